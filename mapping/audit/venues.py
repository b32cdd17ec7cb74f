"""Activity around venues: events within a distance of clubs, schools, hostels, services.

For each venue, :func:`venue_activity` counts the events within ``radius``
metres (a KD-tree on the event coordinates, scipy ``cKDTree``; non-point
venues use a shapely STRtree ``dwithin`` query).  Events near *any* venue are
counted once, so the share of all events "in and around venues" is honest
where buffers overlap.  The observed share is compared with two expectations:

* **area**: the share of the study area covered by the venue buffers
  (``area(union of buffers ∩ study area) / area(study area)``), i.e. events
  spread uniformly over the study area;
* **population**: the share of the population living inside the buffers, each
  area's population apportioned by the fraction of its area inside them
  (areal weighting), i.e. events spread like residents.

The ratio observed / expected and an exact binomial test (the number of
events inside ~ Binomial(N, expected share)) say whether events concentrate
around the venues more than chance.

References
----------
Bentley JL (1975). Multidimensional binary search trees used for associative
searching. *Commun ACM* 18:509-517 (k-d tree).  Goodchild MF, Lam NS-N
(1980). Areal interpolation. *Geo-Processing* 1:297-312 (areal weighting).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.common.errors import AnalysisError, InputError
from mapping.core.filters import apply_filter

__all__ = ["venue_activity", "venue_counts", "VenueResult", "points_in_areas"]


def _is_points(geoms) -> bool:
    import shapely

    return bool(len(geoms) == 0 or (shapely.get_type_id(np.asarray(geoms)) == 0).all())


def _xy(gdf) -> np.ndarray:
    import shapely

    g = gdf.geometry.to_numpy()
    if not _is_points(g):
        raise InputError("events must be points", fix="use a point record layer")
    return shapely.get_coordinates(g) if len(g) else np.empty((0, 2))


def _check_projected(*layers):
    for lyr in layers:
        crs = getattr(lyr, "crs", None)
        if crs is not None and crs.is_geographic:
            raise AnalysisError("distances need a projected CRS in metres, but a layer is in "
                                f"{crs.name}", fix="reproject to EPSG:27700 (hotmap does this "
                                                   "when loading)")


def points_in_areas(points, areas, code: str) -> np.ndarray:
    """Code of the area each point falls in (NaN outside all areas); first match wins."""
    import geopandas as gpd

    if not len(points):
        return np.array([], dtype=object)
    pts = gpd.GeoDataFrame(geometry=points.geometry.to_numpy(), crs=points.crs)
    a = areas[[code, areas.geometry.name]]
    if a.crs is not None and pts.crs is not None and a.crs != pts.crs:
        a = a.to_crs(pts.crs)
    j = gpd.sjoin(pts, a, how="left", predicate="within")
    j = j[~j.index.duplicated(keep="first")]
    return j[code].reindex(range(len(pts))).to_numpy(dtype=object)


def venue_counts(events, venues, *, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Events within ``radius`` metres of each venue, and which events are near any venue.

    Parameters
    ----------
    events : GeoDataFrame
        Points.
    venues : GeoDataFrame
        Points (KD-tree) or other geometries (STRtree ``dwithin``).
    radius : float
        Distance in metres (inclusive).

    Returns
    -------
    counts : ndarray of int
        One count per venue.
    near_any : ndarray of bool
        One flag per event.
    """
    from scipy.spatial import cKDTree

    if not np.isfinite(radius) or radius < 0:
        raise InputError(f"the distance must be >= 0 metres, not {radius}",
                         fix="give a distance such as 250 (metres)")
    _check_projected(events, venues)
    exy = _xy(events)
    near = np.zeros(len(exy), bool)
    counts = np.zeros(len(venues), int)
    if not len(exy) or not len(venues):
        return counts, near
    vg = venues.geometry
    if _is_points(vg.to_numpy()):
        tree = cKDTree(exy, balanced_tree=False, compact_nodes=False)  # faster to build
        vxy = _xy(venues)
        # tiny tolerance so an event exactly at the radius counts (inclusive)
        r = radius * (1 + 1e-12) + 1e-9
        hits = tree.query_ball_point(vxy, r)
        for i, h in enumerate(hits):
            counts[i] = len(h)
            near[h] = True
    else:
        from shapely import STRtree

        tree = STRtree(events.geometry.to_numpy())
        vi, ei = tree.query(vg.to_numpy(), predicate="dwithin", distance=radius)
        counts = np.bincount(vi, minlength=len(venues))
        near[ei] = True
    return counts, near


class VenueResult(dict):
    """Result of :func:`venue_activity`: ``table`` (ranked venues), ``summary`` (dict), ``meta``."""

    @property
    def table(self):
        return self["table"]

    @property
    def summary(self):
        return self["summary"]

    @property
    def meta(self):
        return self["meta"]


def venue_activity(events, venues, *, radius: float = 250.0, name_column: str | None = None,
                   filter: str | None = None, study_area=None, population=None,
                   population_column: str = "population", progress=None) -> VenueResult:
    """Events in and around venues, ranked, with expected shares.

    Parameters
    ----------
    events : GeoDataFrame
        Event points (EPSG:27700).
    venues : GeoDataFrame
        Venue layer (clubs, schools, hostels, pharmacies ...).
    radius : float
        Distance in metres.
    name_column : str, optional
        Venue name column for the table (default ``name`` if present).
    filter : str, optional
        Filter expression applied to the events.
    study_area : shapely geometry or GeoDataFrame, optional
        The study area for the area-based expectation (default: the union of
        ``population`` areas if given, else the events' convex hull).
    population : GeoDataFrame, optional
        Areas with a population column for the population-based expectation.
    population_column : str
        Population column of ``population``.
    progress : callable(float, str), optional
        Progress callback.

    Returns
    -------
    VenueResult
        ``table``: GeoDataFrame of venues (their geometry) with ``venue``
        (name), ``events`` (within radius), ``share_of_events`` (percent of
        all events), ``rank`` (1 = most), sorted by rank.  ``summary``:
        ``n_events``, ``n_venues``, ``events_near_any`` (counted once),
        ``pct_near_any``, ``expected_pct_area``, ``ratio_area``,
        ``p_area`` and, with population, ``expected_pct_population``,
        ``ratio_population``, ``p_population``.  ``meta``: method, units,
        base n, references.
    """
    if progress:
        progress(0.0, "selecting events")
    ev = apply_filter(events, filter)
    ev = ev[~ev.geometry.is_empty & ev.geometry.notna()]
    if venues is None or not len(venues):
        raise InputError("the venue layer is empty", fix="choose a venue layer with features")
    if ev.crs is not None and venues.crs is not None and ev.crs != venues.crs:
        venues = venues.to_crs(ev.crs)
    if progress:
        progress(0.2, "counting events near venues (KD-tree)")
    counts, near = venue_counts(ev, venues, radius=radius)
    n = int(len(ev))
    table = _venue_table(venues, counts, n, name_column)
    if progress:
        progress(0.6, "expected shares")
    k = int(near.sum())
    summary = {"n_events": n, "n_venues": int(len(venues)), "radius_m": float(radius),
               "events_near_any": k, "pct_near_any": k / n * 100 if n else np.nan}
    summary.update(_expected_shares(k, ev, venues, radius, study_area, population,
                                    population_column))
    meta = {
        "title": f"Events within {radius:g} m of venues",
        "method": f"events within {radius:g} m (inclusive) of each venue by k-d tree; events "
                  "near any venue counted once; expected share = buffer area share of the "
                  "study area, or areal-weighted population share; exact binomial test",
        "units": "events; percent of all events", "value_column": "events",
        "base_n": n, "params": {"radius": radius, "filter": filter},
        "references": ["Bentley (1975) Commun ACM 18:509-517",
                       "Goodchild & Lam (1980) Geo-Processing 1:297-312"],
        "count_columns": ["events"], "rate_columns": ["share_of_events"],
    }
    table.attrs["meta"] = meta
    if progress:
        progress(1.0, "done")
    return VenueResult(table=table, summary=summary, meta=meta)


def _venue_table(venues, counts, n, name_column):
    """The venues ranked by the events near them (ties by name), with their share of all
    events."""
    import geopandas as gpd

    name_column = name_column or next((c for c in ("name", "Name", "NAME") if c in venues), None)
    names = venues[name_column].astype(str).to_numpy() if name_column else \
        np.array([f"venue {i + 1}" for i in range(len(venues))])
    table = gpd.GeoDataFrame({"venue": names, "events": counts,
                              "share_of_events": counts / n * 100 if n else np.nan},
                             geometry=venues.geometry.to_numpy(), crs=venues.crs,
                             index=venues.index)
    table["rank"] = table["events"].rank(method="min", ascending=False).astype(int)
    return table.sort_values(["rank", "venue"], kind="stable")


def _expected_shares(k, ev, venues, radius, study_area, population, population_column) -> dict:
    """The ``k`` events near a venue against the share expected by area (of the study
    area: given, else the population's area, else the events' convex hull) and by
    population (areal weighting), each with its exact binomial test.

    Raises
    ------
    InputError
        If the population layer lacks its population column.
    """
    from scipy.stats import binomtest

    n = int(len(ev))
    buffers = venues.geometry.buffer(radius).union_all()
    if study_area is None:
        if population is not None:
            study = population.geometry.union_all()
        else:
            study = ev.geometry.union_all().convex_hull if n else None
    else:
        study = study_area.union_all() if hasattr(study_area, "union_all") else study_area
    out = {}
    if study is not None and study.area > 0:
        exp_a = buffers.intersection(study).area / study.area
        out.update(_compare(k, n, exp_a, "area", binomtest))
    if population is not None:
        if population_column not in population.columns:
            raise InputError(f"the population layer has no '{population_column}' column",
                             column=population_column, fix="choose the population column")
        pop = pd.to_numeric(population[population_column], errors="coerce").fillna(0)
        frac = population.geometry.intersection(buffers).area / population.geometry.area
        exp_p = float((pop * frac.fillna(0)).sum() / pop.sum()) if pop.sum() > 0 else np.nan
        out.update(_compare(k, n, exp_p, "population", binomtest))
    return out


def _compare(k: int, n: int, expected: float, label: str, binomtest) -> dict:
    out = {f"expected_pct_{label}": expected * 100}
    if n and 0 < expected < 1:
        out[f"ratio_{label}"] = (k / n) / expected
        out[f"p_{label}"] = float(binomtest(k, n, expected).pvalue)
    else:
        out[f"ratio_{label}"] = np.nan
        out[f"p_{label}"] = np.nan
    return out
