"""Counts of events per area, rates per 10,000 population, and their confidence intervals.

Intervals: **one rule everywhere** — PHE's (exact Poisson below 10 events,
Byar from 10), in :mod:`mapping.stats.intervals` (re-exported here).  A rate's
limits are the count's limits divided by the population, times 10,000.

Areas with fewer than ``small_number`` events (default 5) are flagged
``small_number = True``: their rates are unstable and may be disclosive.
When most areas are below it, the result's notes say so and suggest
smoothed rates (:mod:`mapping.stats.smoothing`) or a coarser geography.

Public functions: :func:`count_points`, :func:`assign_points`, :func:`area_rates`;
re-exported from :mod:`mapping.stats.intervals`: :func:`poisson_ci`, :func:`byar_ci`,
:func:`exact_poisson_ci`, :func:`wilson_ci`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from layers.common.errors import AnalysisError, InputError
from mapping.stats.intervals import (CI_METHODS, PHE_EXACT_BELOW, byar_ci,  # noqa: F401 (re-exported)
                               exact_poisson_ci, poisson_ci, wilson_ci)

__all__ = ["poisson_ci", "byar_ci", "exact_poisson_ci", "wilson_ci", "count_points",
           "assign_points", "area_rates", "RATE_PER", "PHE_EXACT_BELOW", "CI_METHODS"]

#: The audit's unit: rates per 10,000 residents.
RATE_PER = 10_000


#: Pre-filter candidate pairs handled at once by :func:`_bbox_candidates` (bounds memory).
_CANDIDATE_CHUNK = 1_000_000


def _bbox_candidates(xy, bounds):
    """(area, point) pairs with the point inside the area's bounding box, sorted by area.

    The points are sorted into square buckets a quarter of the median area's
    bounding box wide; each area reads the contiguous runs of the buckets its
    box covers, one run per bucket row, then keeps the points inside its box.
    All vectorised, with no point geometries, in chunks of areas so the
    temporary arrays stay bounded.
    """
    span = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
    ok_b = np.isfinite(span)
    if not ok_b.any() or not len(xy):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    cs = max(float(np.median(span[ok_b])) / 4, 1.0)
    x0, y0 = xy[:, 0].min(), xy[:, 1].min()
    nx = int((xy[:, 0].max() - x0) // cs) + 1
    ny = int((xy[:, 1].max() - y0) // cs) + 1
    if nx * ny > 4 * len(xy) + 1_000_000:  # sparse points: coarser buckets, bounded memory
        f = math.sqrt(nx * ny / (4 * len(xy) + 1_000_000))
        cs *= f
        nx = int((xy[:, 0].max() - x0) // cs) + 1
        ny = int((xy[:, 1].max() - y0) // cs) + 1
    bid = ((xy[:, 1] - y0) // cs).astype(np.int64) * nx + ((xy[:, 0] - x0) // cs).astype(np.int64)
    order = np.argsort(bid)
    sx, sy = xy[order, 0], xy[order, 1]
    starts = np.searchsorted(bid[order], np.arange(nx * ny + 1))
    x1, y1 = xy[:, 0].max(), xy[:, 1].max()
    areas = np.flatnonzero(ok_b & (bounds[:, 2] >= x0) & (bounds[:, 3] >= y0)
                           & (bounds[:, 0] <= x1) & (bounds[:, 1] <= y1))
    if not len(areas):  # no area's box reaches the points
        return np.empty(0, np.int64), np.empty(0, np.int64)
    b = bounds[areas]
    j0 = np.clip((b[:, 0] - x0) // cs, 0, nx - 1).astype(np.int64)
    j1 = np.clip((b[:, 2] - x0) // cs, 0, nx - 1).astype(np.int64)
    i0 = np.clip((b[:, 1] - y0) // cs, 0, ny - 1).astype(np.int64)
    i1 = np.clip((b[:, 3] - y0) // cs, 0, ny - 1).astype(np.int64)
    nrows = i1 - i0 + 1
    owner = np.repeat(np.arange(len(areas)), nrows)  # one entry per (area, bucket row)
    row = np.arange(len(owner)) - np.repeat(np.cumsum(nrows) - nrows, nrows) + i0[owner]
    run_s = starts[row * nx + j0[owner]]
    run_len = starts[row * nx + j1[owner] + 1] - run_s
    out_a, out_p = [], []
    cum = np.cumsum(run_len)
    lo = 0
    while lo < len(owner):
        hi = int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + _CANDIDATE_CHUNK, "right"))
        hi = max(hi, lo + 1)
        ln, st, ow = run_len[lo:hi], run_s[lo:hi], owner[lo:hi]
        idx = np.arange(int(ln.sum())) - np.repeat(np.cumsum(ln) - ln - st, ln)
        pa = np.repeat(ow, ln)
        x, y = sx[idx], sy[idx]
        keep = (x >= b[pa, 0]) & (x <= b[pa, 2]) & (y >= b[pa, 1]) & (y <= b[pa, 3])
        out_a.append(areas[pa[keep]])
        out_p.append(order[idx[keep]])
        lo = hi
    return np.concatenate(out_a), np.concatenate(out_p)


def assign_points(areas, points, *, distinct: bool = False) -> np.ndarray:
    """Position of the area containing each point (−1 if none).

    ``distinct=True`` says no two points share a place (a generated sample grid),
    so the search for shared places is skipped; the answer is the same.

    Each area's bounding box picks its candidate points from a bucket grid of
    the point coordinates (:func:`_bbox_candidates`; no point geometries are
    built, so a coordinate-only layer works as well as a point layer), then
    each prepared polygon tests its candidates at once (``shapely.contains_xy``).
    Points exactly on a boundary are settled by a second pass with
    ``intersects_xy`` and go to the first area in file order, as do points in
    overlapping areas.  No Python loop per point.
    """
    from layers.points import is_xy_frame, points_xy

    polys = np.asarray(areas.geometry.values)
    if is_xy_frame(points):  # read chunk by chunk from its columns, not copied whole
        cols = [points[c].to_numpy() for c in points.attrs["xy_columns"]]

        def chunk(lo, hi):
            return np.column_stack([cols[0][lo:hi], cols[1][lo:hi]]).astype(float)
        n = len(points)
    else:
        xy = points_xy(points)
        n = len(xy)

        def chunk(lo, hi):
            return xy[lo:hi]
    out = np.full(n, -1, np.int64)
    if n == 0 or len(polys) == 0:
        return out
    # by partitions of points (mapping.stats.engine: here or on dask workers), so the temporary
    # arrays stay bounded however many there are; a point's area does not depend on the
    # others
    from mapping.stats.engine import current, partition_bounds

    bounds = partition_bounds(n)
    fn = _assign_distinct if distinct else _assign_chunk
    for (lo, hi), pos in zip(bounds, current().map(fn, polys,
                                                   (chunk(lo, hi) for lo, hi in bounds))):
        out[lo:hi] = pos
    return out


def _assign_chunk(polys, xy) -> np.ndarray:
    out = np.full(len(xy), -1, np.int64)
    valid = np.isfinite(xy).all(axis=1)
    idx_valid = np.flatnonzero(valid)
    xy = xy[valid]
    # records share places (police.uk publishes snapped map points; repeat addresses):
    # each distinct place is placed once and its records take its area (pandas' hash
    # table on the (x, y) pairs read as one complex number: exact equality, any order)
    back, places = pd.factorize(np.ascontiguousarray(xy, np.float64).view(np.complex128)
                                .ravel())
    if len(places) < 0.8 * len(xy):
        places = np.ascontiguousarray(places).view(np.float64).reshape(-1, 2)
        out[idx_valid] = _assign_xy(polys, places)[back]
    else:
        del back, places
        out[idx_valid] = _assign_xy(polys, xy)
    return out


def _assign_distinct(polys, xy) -> np.ndarray:
    """:func:`_assign_chunk` for points known to be at distinct places."""
    out = np.full(len(xy), -1, np.int64)
    valid = np.isfinite(xy).all(axis=1)
    out[valid] = _assign_xy(polys, xy[valid])
    return out


def _assign_xy(polys, xy) -> np.ndarray:
    """:func:`assign_points` on finite coordinates ``xy`` (n, 2)."""
    import shapely

    a_idx, p_idx = _bbox_candidates(xy, shapely.bounds(polys))  # sorted by area
    if not len(a_idx):
        return np.full(len(xy), -1, np.int64)
    shapely.prepare(polys)
    x, y = xy[:, 0], xy[:, 1]
    sub = np.full(len(xy), -1, np.int64)
    for test in (shapely.contains_xy, shapely.intersects_xy):
        keep = sub[p_idx] < 0
        aa, pp_all = a_idx[keep], p_idx[keep]
        if not len(aa):
            break
        # every (area, point) pair tested in one call, a block of pairs at a time (bounded
        # memory), not one call per area: 35,000 areas cost more in calls than in tests.
        # The pairs are sorted by area, so a point takes the first area in file order that
        # holds it: the first of its hits in the earliest block (np.unique's first index)
        for lo in range(0, len(aa), _CANDIDATE_CHUNK):
            a, pp = aa[lo:lo + _CANDIDATE_CHUNK], pp_all[lo:lo + _CANDIDATE_CHUNK]
            hit = test(polys[a], x[pp], y[pp])
            a, pp = a[hit], pp[hit]
            free = sub[pp] < 0
            pts, first = np.unique(pp[free], return_index=True)
            sub[pts] = a[free][first]
    return sub


def count_points(areas, points, area_id: str):
    """Count points per area; every area appears, including those with none.

    Returns
    -------
    (counts, assigned) : (DataFrame with ``area_id`` and ``count``, ndarray)
        ``assigned`` is each point's area position (−1 when outside every area).
    """
    if area_id not in areas.columns:
        raise InputError(f"the areas have no field '{area_id}'", column=area_id,
                         fix=f"choose one of: {', '.join(map(str, areas.columns[:15]))}")
    from layers.points import as_geodataframe, is_xy_frame

    if is_xy_frame(points) and areas.crs is not None and areas.crs.to_epsg() != 27700:
        points = as_geodataframe(points)  # coordinate-only layers are British National Grid
    pcrs = getattr(points, "crs", None)
    if pcrs is not None and areas.crs is not None and pcrs != areas.crs:
        points = points.to_crs(areas.crs)
    pos = assign_points(areas, points)
    n = np.bincount(pos[pos >= 0], minlength=len(areas))
    return pd.DataFrame({area_id: areas[area_id].to_numpy(), "count": n}), pos


def _small_number_note(cnt, small_number: int, smooth) -> list[str]:
    """The warning a result carries when most areas have fewer than ``small_number`` events."""
    n_small, n = int((cnt < small_number).sum()), len(cnt)
    if not n or n_small <= n / 2:
        return []
    tip = ("the smoothed rates (rate_eb_per_10k) are steadier; read the raw rates with care"
           if smooth else "consider smoothed rates (empirical Bayes: global, local or "
                          "spatial) or a coarser geography (e.g. MSOAs or wards)")
    return [f"warning: {n_small} of {n} areas have fewer than {small_number} events, so their "
            f"rates are unstable: {tip}"]


def area_rates(areas, points, area_id: str, *, population=None, per: int = RATE_PER,
               confidence: float = 0.95, small_number: int = 5, ci_method: str = "phe",
               counts=None, smooth: str | None = None, weights: str = "queen",
               snap: float | None = None):
    """Count events per area and, with a population, rates per 10,000 with PHE's limits.

    Parameters
    ----------
    areas : GeoDataFrame
        Area polygons with an id field.
    points : GeoDataFrame or None
        Events (several files already concatenated into one layer).
    area_id : str
        Area id field; it is the first output column, under its own name.
    population : str, Series or DataFrame, optional
        A column of ``areas``, a Series indexed by area id, or a two-column
        DataFrame (id, population).
    per : int
        Rate denominator (default 10,000 residents).
    confidence : float
        Confidence level of the limits (default 0.95).
    small_number : int
        Counts below this are flagged (default 5); when more than half the areas
        are below it the notes warn and suggest smoothing or a coarser geography.
    ci_method : {"phe", "exact", "byar"}
        Interval rule (:func:`poisson_ci`; default ``phe``, the one rule hotmap uses).
    counts : array, optional
        Pre-computed counts aligned with ``areas`` (then ``points`` is ignored).
    smooth : {None, "global", "local", "spatial"}
        With a population, add empirical Bayes smoothed rates (``rate_eb_per_10k``,
        :func:`mapping.stats.smoothing.smooth_rates`) beside the raw rate; the map then
        shows the smoothed rate.
    weights, snap
        Neighbours of ``local`` and ``spatial`` smoothing (default queen, 2 m).

    Returns
    -------
    GeoDataFrame
        ``<area_id>``, ``count``, [``population``, ``rate_per_10k``, ``rate_lcl``,
        ``rate_ucl``, [``rate_eb_per_10k``]], ``small_number``, geometry;
        ``attrs['meta']`` and ``attrs['assignment']`` (records assigned /
        unassigned).
    """
    import geopandas as gpd

    if ci_method not in CI_METHODS:
        raise AnalysisError(f"unknown CI method '{ci_method}'",
                            fix=f"use one of: {', '.join(CI_METHODS)}")
    if smooth is not None and population is None:
        raise AnalysisError("smoothed rates need a population",
                            fix="give a population table, or leave smoothing off")
    if counts is None:
        table, pos = count_points(areas, points, area_id)
        n_assigned = int((pos >= 0).sum())
        n_points = len(pos)
    else:
        table = pd.DataFrame({area_id: areas[area_id].to_numpy(),
                              "count": np.asarray(counts, np.int64)})
        n_assigned = n_points = int(table["count"].sum())
    cnt = table["count"].to_numpy(float)
    notes, smooth_info = [], None
    if population is not None:
        pop = _area_population(areas, area_id, population, notes)
        lo, hi = poisson_ci(cnt, confidence, ci_method)
        table["population"] = pop
        table["rate_per_10k"] = cnt / pop * per
        table["rate_lcl"] = lo / pop * per
        table["rate_ucl"] = hi / pop * per
        if smooth is not None:
            from mapping.stats.smoothing import smooth_rates

            eb, smooth_info = smooth_rates(cnt, pop, method=smooth, areas=areas,
                                           weights=weights, snap=snap)
            table["rate_eb_per_10k"] = eb * per
    table["small_number"] = cnt < small_number
    out = gpd.GeoDataFrame(table, geometry=areas.geometry.values, crs=areas.crs)
    out.attrs["assignment"] = {"read": n_points, "assigned": n_assigned,
                               "unassigned": n_points - n_assigned}
    out.attrs["meta"] = _rates_meta(table, cnt, n_assigned, notes, smooth_info,
                                    with_population=population is not None, per=per,
                                    confidence=confidence, ci_method=ci_method,
                                    small_number=small_number, smooth=smooth)
    return out


def _area_population(areas, area_id, population, notes) -> np.ndarray:
    """Each area's population (NaN where missing or not above zero, with a note).

    Raises
    ------
    AnalysisError
        If no area has a population (the codes do not match).
    """
    if isinstance(population, str):
        pop = pd.to_numeric(areas[population], errors="coerce").to_numpy(float)
    else:
        if isinstance(population, pd.DataFrame):
            population = population.set_index(population.columns[0])[population.columns[1]]
        pop_s = pd.to_numeric(population, errors="coerce")
        pop_s.index = pop_s.index.astype(str).str.strip()
        pop = pop_s.reindex(areas[area_id].astype(str).str.strip()).to_numpy(float)
    missing = np.isnan(pop) | (pop <= 0)
    if missing.all():
        raise AnalysisError("no area has a population: the population table's codes do "
                            "not match the area ids", column=area_id,
                            fix="check --population-id and that both use the same "
                                "geography (e.g. LSOA 2011)")
    if missing.any():
        notes.append(f"{int(missing.sum())} areas have no population; their rates are blank")
    return np.where(missing, np.nan, pop)


def _rates_meta(table, cnt, n_assigned, notes, smooth_info, *, with_population, per,
                confidence, ci_method, small_number, smooth) -> dict:
    """The method (count, rate limits, smoothing), units, value column, parameters, base n
    and notes of an area-rates table."""
    level = f"{confidence * 100 if confidence <= 1 else confidence:g}%"
    method = "point-in-polygon count"
    if with_population:
        method += f"; rate per {per:,} population with {level} confidence limits: " \
                  + CI_METHODS[ci_method]
    if smooth_info:
        method += f"; smoothed rate (rate_eb_per_10k): {smooth_info['description']}"
    params = {"confidence": confidence, "ci_method": ci_method, "small_number": small_number,
              "per": per, "smooth": smooth}
    if smooth_info and "weights" in smooth_info:
        params["smooth_weights"] = smooth_info["weights"]
    return {
        "method": method,
        "units": f"events per {per:,} residents" if with_population else "events",
        "value_column": ("rate_eb_per_10k" if smooth_info else "rate_per_10k")
        if with_population else "count",
        "params": params,
        "base_n": n_assigned,
        "notes": notes + [f"{int(table['small_number'].sum())} areas with fewer than "
                          f"{small_number} events (flagged small_number)"]
        + _small_number_note(cnt, small_number, smooth_info),
    }
