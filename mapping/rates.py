"""Counts of events per area, rates per 10,000 population, and their confidence intervals.

Methods (the ones Public Health England / APHO use for published indicators;
APHO Technical Briefing 3, "Commonly used public health statistics and their
confidence intervals", Eayres 2008; PHE "Technical Guide: Confidence
Intervals", 2018):

* **Counts and rates** — Byar's approximation to the exact Poisson interval
  (Breslow & Day 1987, vol. II, p. 69)::

      lower = O (1 − 1/(9O) − z/(3√O))³
      upper = (O+1) (1 − 1/(9(O+1)) + z/(3√(O+1)))³

  For O = 0 the lower limit is 0.  A rate's limits are the count's limits
  divided by the population, times 10,000.  ``method="exact"`` gives the
  exact (chi-squared) Poisson limits instead.
* **Proportions** — Wilson's score interval (Wilson 1927; Newcombe 1998).

Areas with fewer than ``small_number`` events (default 5) are flagged
``small_number = True``: their rates are unstable and may be disclosive.

Public functions: :func:`byar_ci`, :func:`exact_poisson_ci`, :func:`wilson_ci`,
:func:`count_points`, :func:`area_rates`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from layers.errors import AnalysisError, InputError

__all__ = ["byar_ci", "exact_poisson_ci", "wilson_ci", "count_points", "assign_points",
           "area_rates", "RATE_PER"]

#: The audit's unit: rates per 10,000 residents.
RATE_PER = 10_000


def _z(confidence: float) -> float:
    if confidence > 1:
        confidence = confidence / 100
    if not 0 < confidence < 1:
        raise AnalysisError(f"confidence level {confidence} is not between 0 and 1",
                            fix="use e.g. 0.95")
    from scipy.special import ndtri

    return float(ndtri(0.5 + confidence / 2))


def byar_ci(count, confidence: float = 0.95):
    """Byar's confidence limits for a Poisson count.

    Parameters
    ----------
    count : array-like of non-negative numbers
    confidence : float
        0.95 (default) or e.g. 0.998.

    Returns
    -------
    (lower, upper) : tuple of ndarrays

    Examples
    --------
    >>> lo, hi = byar_ci(10)
    >>> round(float(lo), 2), round(float(hi), 2)
    (4.79, 18.39)
    """
    o = np.asarray(count, float)
    if np.any(o < 0):
        raise AnalysisError("counts must not be negative")
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    lower = np.where(o == 0, 0.0, np.maximum(lower, 0.0))
    o1 = o + 1
    upper = o1 * (1 - 1 / (9 * o1) + z / (3 * np.sqrt(o1))) ** 3
    return lower, upper


def exact_poisson_ci(count, confidence: float = 0.95):
    """Exact Poisson limits from the chi-squared distribution (Garwood 1936)."""
    from scipy import stats

    o = np.asarray(count, float)
    a = 1 - (confidence / 100 if confidence > 1 else confidence)
    lower = np.where(o == 0, 0.0, stats.chi2.ppf(a / 2, 2 * o) / 2)
    upper = stats.chi2.ppf(1 - a / 2, 2 * (o + 1)) / 2
    return lower, upper


def wilson_ci(successes, n, confidence: float = 0.95):
    """Wilson score interval for a proportion ``successes / n``.

    Examples
    --------
    >>> lo, hi = wilson_ci(81, 263)   # Newcombe (1998), Table I, example (a)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.2553, 0.3662)
    """
    r = np.asarray(successes, float)
    n = np.asarray(n, float)
    if np.any(r < 0) or np.any(r > n):
        raise AnalysisError("successes must be between 0 and n")
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = r / n
        a = 2 * r + z * z
        b = z * np.sqrt(z * z + 4 * r * (1 - p))
        c = 2 * (n + z * z)
        return (a - b) / c, (a + b) / c


#: Pre-filter candidate pairs handled at once by :func:`_bbox_candidates` (bounds memory).
_CANDIDATE_CHUNK = 4_000_000


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


def assign_points(areas, points) -> np.ndarray:
    """Position of the area containing each point (−1 if none).

    Each area's bounding box picks its candidate points from a bucket grid of
    the point coordinates (:func:`_bbox_candidates`; no point geometries are
    built, so a coordinate-only layer works as well as a point layer), then
    each prepared polygon tests its candidates at once (``shapely.contains_xy``).
    Points exactly on a boundary are settled by a second pass with
    ``intersects_xy`` and go to the first area in file order, as do points in
    overlapping areas.  No Python loop per point.
    """
    import shapely

    from layers.points import points_xy

    polys = np.asarray(areas.geometry.values)
    xy = points_xy(points)
    out = np.full(len(xy), -1, np.int64)
    if len(xy) == 0 or len(polys) == 0:
        return out
    valid = np.isfinite(xy).all(axis=1)
    idx_valid = np.flatnonzero(valid)
    xy = xy[valid]
    a_idx, p_idx = _bbox_candidates(xy, shapely.bounds(polys))  # sorted by area
    if not len(a_idx):
        return out
    shapely.prepare(polys)
    x, y = xy[:, 0], xy[:, 1]
    sub = np.full(len(xy), -1, np.int64)
    for test in (shapely.contains_xy, shapely.intersects_xy):
        keep = sub[p_idx] < 0
        aa, pp_all = a_idx[keep], p_idx[keep]
        if not len(aa):
            break
        cuts = np.flatnonzero(np.r_[True, aa[1:] != aa[:-1], True])
        for s, e in zip(cuts[:-1], cuts[1:]):
            k = aa[s]
            pp = pp_all[s:e]
            hit = pp[test(polys[k], x[pp], y[pp])]
            sub[hit[sub[hit] < 0]] = k
    out[idx_valid] = sub
    return out


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


def area_rates(areas, points, area_id: str, *, population=None, per: int = RATE_PER,
               confidence: float = 0.95, small_number: int = 5, ci_method: str = "byar",
               counts=None):
    """Count events per area and, with a population, rates per 10,000 with Byar CIs.

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
        Counts below this are flagged (default 5).
    ci_method : {"byar", "exact"}
    counts : array, optional
        Pre-computed counts aligned with ``areas`` (then ``points`` is ignored).

    Returns
    -------
    GeoDataFrame
        ``<area_id>``, ``count``, [``population``, ``rate_per_10k``, ``rate_lcl``,
        ``rate_ucl``], ``small_number``, geometry; ``attrs['hotmap_meta']`` and
        ``attrs['assignment']`` (records assigned / unassigned).
    """
    import geopandas as gpd

    if counts is None:
        table, pos = count_points(areas, points, area_id)
        n_assigned = int((pos >= 0).sum())
        n_points = len(pos)
    else:
        table = pd.DataFrame({area_id: areas[area_id].to_numpy(),
                              "count": np.asarray(counts, np.int64)})
        n_assigned = n_points = int(table["count"].sum())
    ci = {"byar": byar_ci, "exact": exact_poisson_ci}.get(ci_method)
    if ci is None:
        raise AnalysisError(f"unknown CI method '{ci_method}'", fix="use byar or exact")
    cnt = table["count"].to_numpy(float)
    notes = []
    if population is not None:
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
        pop = np.where(missing, np.nan, pop)
        lo, hi = ci(cnt, confidence)
        table["population"] = pop
        table["rate_per_10k"] = cnt / pop * per
        table["rate_lcl"] = lo / pop * per
        table["rate_ucl"] = hi / pop * per
    table["small_number"] = cnt < small_number
    out = gpd.GeoDataFrame(table, geometry=areas.geometry.values, crs=areas.crs)
    out.attrs["assignment"] = {"read": n_points, "assigned": n_assigned,
                               "unassigned": n_points - n_assigned}
    out.attrs["hotmap_meta"] = {
        "method": "point-in-polygon count" + (
            f"; rate per {per:,} population with {confidence:.0%} "
            f"{'Byar' if ci_method == 'byar' else 'exact Poisson'} confidence limits"
            if population is not None else ""),
        "units": f"events per {per:,} residents" if population is not None else "events",
        "value_column": "rate_per_10k" if population is not None else "count",
        "params": {"confidence": confidence, "ci_method": ci_method,
                   "small_number": small_number, "per": per},
        "base_n": n_assigned,
        "notes": notes + [f"{int(table['small_number'].sum())} areas with fewer than "
                          f"{small_number} events (flagged small_number)"],
    }
    return out
