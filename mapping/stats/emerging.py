"""Emerging hot spots: Gi* per period, the Mann-Kendall trend of each unit, ArcGIS's classes.

Method (after ArcGIS Pro's *Emerging Hot Spot Analysis*)
----------------------------------------------------------
The records are counted in a space-time cube: grid cells (``cell_size``) or
areas × periods (month, quarter, year, financial year; every period from the
first to the last, empty ones included).  In each period, Getis-Ord Gi*
(:func:`mapping.stats.gistar.gistar`, the same statistic, weights, FDR adjustment
and optional permutations as ``hotmap gistar``) marks each unit as a
significant **hot** spot (z > 0 and p < alpha) or **cold** spot (z < 0 and
p < alpha); the neighbourhood is spatial only, ArcGIS's default
*neighbourhood time step* of 1.  The **Mann-Kendall trend test** of each
unit's series of Gi* z-scores gives its trend (S, Kendall's tau-b against
time, z and a two-sided p, with the tie correction of the variance and,
by default, the continuity correction of Kendall 1975).

Classes, as ArcGIS documents them (T periods; "90%" means at least
0.9 × T periods; the trend is significant when its p < ``trend_alpha``):

* ``new hot spot`` — hot in the final period, never significant before;
* ``consecutive hot spot`` — a single uninterrupted run of at least two hot
  periods ending in the final one, never significant before the run, and
  hot in less than 90% of the periods;
* ``intensifying hot spot`` — hot in 90% of the periods including the final
  one, with a significant *upward* trend of the z-scores;
* ``persistent hot spot`` — hot in 90% of the periods including the final
  one, with no significant trend;
* ``diminishing hot spot`` — hot in 90% of the periods including the final
  one, with a significant *downward* trend;
* ``sporadic hot spot`` — hot in the final period, on-and-off hot before,
  hot in less than 90% of the periods and never a cold spot;
* ``oscillating hot spot`` — hot in the final period, a cold spot in some
  earlier period, hot in less than 90% of the periods;
* ``historical hot spot`` — not hot in the final period, but hot in at least
  90% of the periods;
* the same eight for cold spots (with the trend directions reversed), and
  ``no pattern detected``.

Where ArcGIS's wording overlaps, the classes are tested in the order above;
and a unit that was a cold spot before its first hot period is
*oscillating*, not new or consecutive (ArcGIS's "never been a hot spot
before" read as "never significant before").  hotmap's own classes
(:func:`mapping.stats.change.classify_hotspots`: emerging, persistent, former,
intermittent) are given beside them from the same hot/not-hot table.

References
----------
Mann HB (1945) Nonparametric tests against trend. *Econometrica* 13:245-259.
Kendall MG (1975) *Rank correlation methods*, 4th ed. Griffin, London.
Esri (2024) How Emerging Hot Spot Analysis works. ArcGIS Pro documentation.

Public function: :func:`emerging_hotspots`.  The trend test and the classes
(:func:`mann_kendall`, :func:`emerging_classify`, :data:`EMERGING_CLASSES`) are in
:mod:`mapping.stats.emerging_classes`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.common.errors import AnalysisError
from mapping.core.crs import projected_xy
from mapping.core.surface import Surface, surface_to_cells
from mapping.stats.change import classify_hotspots
from mapping.stats.emerging_classes import emerging_classify, mann_kendall
from mapping.stats.gistar import fdr_bh, gi_bins, gistar
from mapping.stats.kernels import grid_counts
from mapping.stats.rates import assign_points
from mapping.stats.weights import build_weights, check_islands, check_projected, grid_weights

__all__ = ["emerging_hotspots"]


def _periods(dates, kind, drop_incomplete):
    from mapping.core.periods import PERIOD_KINDS, assign_periods

    labels = assign_periods(dates, kind)
    ts = pd.to_datetime(pd.Series(dates), errors="coerce").dropna()
    if ts.empty:
        raise AnalysisError("no record has a date", fix="check the date column")
    if kind == "financial_year":
        years = range(int(labels.dropna().min()[:4]), int(labels.dropna().max()[:4]) + 1)
        names = [f"{y}/{(y + 1) % 100:02d}" for y in years]
        starts = [pd.Timestamp(f"{y}-04-01") for y in years]
        ends = [pd.Timestamp(f"{y + 1}-03-31") for y in years]
    else:
        rng = pd.period_range(ts.min(), ts.max(), freq=PERIOD_KINDS[kind])
        names = [str(p) for p in rng]
        starts = [p.start_time for p in rng]
        ends = [p.end_time.normalize() for p in rng]
    dropped = []
    last = ts.max().normalize()
    if len(ts) >= 10 and (ts == ts.dt.normalize()).all() and (ts.dt.day == 1).all():
        # month-only dates (police.uk publishes the month): a record of 2019-01-01 stands
        # for the whole of January, so the data run to the end of the last month
        last = (last + pd.offsets.MonthEnd(0)).normalize()
    if drop_incomplete and len(names) > 2:
        if ts.min().normalize() > starts[0]:
            dropped.append(names[0])
        if last < ends[-1]:
            dropped.append(names[-1])
    keep = [n for n in names if n not in dropped]
    return labels, keep, dropped


def emerging_hotspots(points, *, cell_size: float | None = None, areas=None,
                      area_id: str | None = None, kind: str = "quarter",
                      date_column: str = "date", boundary=None, weights: str = "queen",
                      alpha: float = 0.05, fdr: bool = True, permutations: int = 0, seed=None,
                      trend_alpha: float = 0.05, continuity: bool = True,
                      drop_incomplete: bool = True, recent_prop: float = 0.2,
                      persistent_prop: float = 0.8):
    """Space-time cube → Gi* per period → Mann-Kendall trend → emerging hot spot classes.

    Parameters
    ----------
    points : GeoDataFrame or coordinate-only layer
        Dated events (projected CRS).
    cell_size : float, optional
        Square grid cells of this size (m), aligned to its multiples; with a
        ``boundary`` only cells whose centre is inside.  Give this or ``areas``.
    areas, area_id : GeoDataFrame, str, optional
        Areas (and their code column) to count the events in.
    kind : {"month", "quarter", "year", "financial_year"}
        Length of a period (the cube's time step).
    date_column : str
        Event date.
    boundary : GeoDataFrame, optional
        Study area for the grid.
    weights : str
        Spatial weights of Gi* (``queen``, ``rook``, ``distance:M``, ``knn:K``).
    alpha : float
        Significance of a hot or cold spot in a period (after FDR when ``fdr``).
    fdr : bool
        Benjamini-Hochberg adjustment per period (ArcGIS applies FDR too).
    permutations, seed : int, optional
        Conditional permutation p-values of Gi* (0 = analytic).
    trend_alpha : float
        Significance of the Mann-Kendall trend.
    continuity : bool
        Continuity correction of the Mann-Kendall z.
    drop_incomplete : bool
        Leave out a first or last period the data do not cover completely.
    recent_prop, persistent_prop : float
        Parameters of hotmap's own classes given beside (``hotspot_class``).

    Returns
    -------
    GeoDataFrame
        Cells (``cell_id``, ``row``, ``col``) or areas (``area_id``) with
        ``count_<p>``, ``gi_z_<p>``, ``gi_bin_<p>`` per period, ``n_hot``,
        ``n_cold``, ``trend_S``, ``trend_tau``, ``trend_z``, ``trend_p``,
        ``emerging_class`` and ``hotspot_class``; ``attrs['meta']``.
    """
    if (cell_size is None) == (areas is None):
        raise AnalysisError("emerging hot spots need either a cell size or areas",
                            fix="give cell_size = 250, or areas with area_id")
    if areas is not None and (not area_id or area_id not in areas.columns):
        raise AnalysisError(f"the areas have no id field '{area_id}'", column=area_id,
                            fix="set area_id to the areas' code column")
    if date_column not in points.columns:
        raise AnalysisError(f"the records have no '{date_column}' column", column=date_column)
    if areas is not None and areas.crs is not None and getattr(points, "crs", None) is not None \
            and points.crs != areas.crs:
        points = points.to_crs(areas.crs)
    xy, keep = projected_xy(points, "the points")
    dates = pd.to_datetime(points[date_column], errors="coerce")[keep].reset_index(drop=True)
    labels, periods, dropped = _periods(dates, kind, drop_incomplete)
    if len(periods) < 3:
        raise AnalysisError(f"the records span {len(periods)} complete {kind}(s); a trend needs "
                            "at least 3 (ArcGIS advises 10)", fix="use shorter periods")
    if cell_size is None:
        w, count = _area_counter(areas, area_id, weights, xy)
        grid = None
    else:
        w, count, grid = _grid_counter(points, cell_size, boundary, weights, xy)
    cols, hot, cold, z, flat = _gistar_per_period(count, w, periods, labels.to_numpy(object),
                                                  alpha=alpha, fdr=fdr,
                                                  permutations=permutations, seed=seed)
    mk = mann_kendall(z, continuity=continuity)
    cls = emerging_classify(hot, cold, mk["z"], mk["p"], trend_alpha=trend_alpha)
    if cell_size is None:
        import geopandas as gpd

        out = gpd.GeoDataFrame({area_id: areas[area_id].to_numpy(), **cols},
                               geometry=areas.geometry.values, crs=areas.crs)
        unit = "areas"
    else:
        out = _cells_frame(cols, grid, cell_size)
        unit = f"grid cells of {cell_size:g} m"
    out["n_hot"] = hot.sum(axis=1)
    out["n_cold"] = cold.sum(axis=1)
    out["trend_S"] = mk["S"]
    out["trend_tau"] = mk["tau"]
    out["trend_z"] = mk["z"]
    out["trend_p"] = mk["p"]
    out["emerging_class"] = cls
    out["hotspot_class"] = classify_hotspots(hot, recent_prop=recent_prop,
                                             persistent_prop=persistent_prop)
    n_used = int(sum(cols[f"count_{p}"].sum() for p in periods))
    out.attrs["meta"] = {
        "title": "Emerging hot spots",
        "method": (f"Gi* per {kind} on {unit} ({weights} weights, "
                   f"{'FDR-adjusted ' if fdr else ''}p < {alpha:g}"
                   + (f", {permutations} permutations" if permutations else "")
                   + "), Mann-Kendall trend of the z-scores "
                   f"(p < {trend_alpha:g}), classes as ArcGIS's Emerging Hot Spot Analysis"),
        "units": "class", "value_column": "emerging_class",
        "params": {"cell_size_m": cell_size, "kind": kind, "weights": weights, "alpha": alpha,
                   "fdr": "Benjamini-Hochberg" if fdr else "off", "permutations": permutations,
                   "seed": seed, "trend_alpha": trend_alpha, "continuity": continuity},
        "periods": list(periods),
        "base_n": n_used, "period": f"{periods[0]} – {periods[-1]}",
        "references": ["Mann HB (1945) Econometrica 13:245-259",
                       "Kendall MG (1975) Rank correlation methods, Griffin",
                       "Esri: How Emerging Hot Spot Analysis works (ArcGIS Pro)",
                       "Getis A, Ord JK (1992) Geogr Anal 24:189-206"],
        "count_columns": [f"count_{p}" for p in periods],
        "notes": _emerging_notes(dropped, flat, periods, cls),
    }
    return out


def _area_counter(areas, area_id, weights, xy):
    """The areas' spatial weights and a function counting the selected events per area."""
    check_projected(areas)
    w = build_weights(areas, weights)
    check_islands(w, areas[area_id].to_numpy())
    pos = assign_points(areas, xy)

    def count(sel):
        return np.bincount(pos[sel & (pos >= 0)], minlength=len(areas)).astype(float)

    return w, count


def _grid_counter(points, cell_size, boundary, weights, xy):
    """The grid's spatial weights, a function counting the selected events per valid cell
    (north-up), and the grid with its valid cells."""
    g, valid, _, _ = grid_counts(points, cell_size, boundary, xy=xy)
    w = grid_weights(g.ny, g.nx, weights, valid=valid, cell_size=cell_size)
    check_islands(w, what="cells")
    rng = [[g.y0, g.y0 + g.ny * cell_size], [g.x0, g.x0 + g.nx * cell_size]]

    def count(sel):  # north-up counts of the valid cells
        return np.histogram2d(xy[sel, 1], xy[sel, 0], bins=[g.ny, g.nx],
                              range=rng)[0][::-1][valid]

    return w, count, (g, valid)


def _gistar_per_period(count, w, periods, lab, *, alpha, fdr, permutations, seed):
    """Gi* of each period's counts: the per-period columns, the hot and cold flags
    (units x periods), the z-scores and the periods with no clustering to test."""
    cols, zs, hot, cold, flat = {}, [], [], [], []
    for per in periods:
        c = count(lab == per)
        try:
            res = gistar(c, w, permutations=permutations, seed=seed)
        except AnalysisError:  # every unit has the same count: no clustering to find
            res = {"z": np.zeros(len(c)), "p": np.ones(len(c))}
            flat.append(per)
        p_used = res.get("p_sim", res["p"]) if permutations else res["p"]
        p_class = fdr_bh(p_used) if fdr else p_used
        cols[f"count_{per}"] = c
        cols[f"gi_z_{per}"] = res["z"]
        cols[f"gi_bin_{per}"] = gi_bins(res["z"], p_class)
        zs.append(res["z"])
        hot.append((res["z"] > 0) & (p_class < alpha))
        cold.append((res["z"] < 0) & (p_class < alpha))
    return cols, np.column_stack(hot), np.column_stack(cold), np.column_stack(zs), flat


def _cells_frame(cols, grid, cell_size):
    """The per-period columns of the valid cells back on the whole grid, as cell polygons."""
    g, valid = grid
    base = Surface(values=np.where(valid, 0.0, np.nan).astype(np.float32), x0=g.x0,
                   y0=g.y0, cell_size=float(cell_size))
    full = {}
    for k, v in cols.items():  # back onto the whole grid for surface_to_cells
        a = np.full((g.ny, g.nx), np.nan)
        a[valid] = v
        full[k] = a
    return surface_to_cells(base, "valid", extra=full).drop(columns="valid")


def _emerging_notes(dropped, flat, periods, cls) -> list:
    """Notes: periods left out or untestable, a short series, and the classes found."""
    notes = []
    if dropped:
        notes.append(f"incomplete period(s) left out: {', '.join(dropped)}")
    if flat:
        notes.append(f"no clustering could be tested in {', '.join(flat)} (every unit had "
                     "the same count)")
    if len(periods) < 10:
        notes.append(f"only {len(periods)} periods: the trend test has little power below 10")
    counts = pd.Series(cls).value_counts()
    notes.append("; ".join(f"{v} {k}" for k, v in counts.items() if k != "no pattern detected")
                 or "no emerging pattern detected")
    return notes
