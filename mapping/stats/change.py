"""Change over time: two-period comparisons per area, KDE differences, hotspot classes.

Two periods per area
--------------------
For counts a (earlier) and b (later) with exposures Eₐ and E_b (population ×
days of data in the period, :func:`mapping.core.periods.period_coverage`: a
quarter whose data hold two months has about 61 days, not 92), the **rate
ratio** is RR = (b/E_b)/(a/Eₐ).  A period whose months are not all in the
data is reported in the notes and warned about.  The **exact conditional
binomial test** (Przyborowski & Wilenski 1940; Breslow & Day 1987 §2.3)
conditions on the total n = a + b: under "no change", b ~ Binomial(n, π₀)
with π₀ = E_b/(Eₐ+E_b).  The two-sided p-value is scipy's exact binomial
test; the RR confidence limits are the Clopper–Pearson limits for π mapped
through RR = π/(1−π) · Eₐ/E_b.  p-values are BH-FDR adjusted by default.

Hotspot classes across several periods (in the spirit of sfhotspot's
``hotspot_classify``)
----------------------------------------------------------------------
A unit is *hot* in a period when its Gi* is positive and significant
(FDR-adjusted p < alpha; analytic, or the two-sided tie-aware permutation
p-value with ``permutations``), and never when its neighbourhood is flat
(:mod:`mapping.stats.permutation`).  With T periods, the last R = max(1,
round(recent_prop × T)) are *recent* and the others *earlier*:

* ``persistent hotspot`` — hot in at least ``persistent_prop`` (0.8) of all periods;
* ``emerging hotspot`` — hot in a recent period and in no earlier period;
* ``former hotspot`` — hot in an earlier period and in no recent period;
* ``intermittent hotspot`` — hot in both earlier and recent periods but in
  fewer than ``persistent_prop`` of them;
* ``no pattern`` — never hot.

The rules are applied in this order and are exhaustive.

Public functions: :func:`rate_ratio_test`, :func:`compare_periods`,
:func:`kde_difference`, :func:`classify_hotspots`, :func:`hotspot_classify`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from layers.common.errors import AnalysisError
from layers.points import as_geodataframe, is_xy_frame
from mapping.core.crs import projected_xy
from mapping.core.periods import (assign_periods, period_coverage, period_label,
                                  same_period_last_year)
from mapping.core.surface import Surface, surface_to_cells
from mapping.stats.gistar import classify_p, fdr_bh, gi_bins, gistar
from mapping.stats.kernels import grid_counts
from mapping.stats.rates import assign_points, count_points
from mapping.stats.weights import (build_weights, check_islands, check_projected, drop_islands,
                                   grid_weights)

__all__ = ["rate_ratio_test", "compare_periods", "kde_difference", "classify_hotspots",
           "hotspot_classify", "HOTSPOT_CLASSES"]

HOTSPOT_CLASSES = ["persistent hotspot", "emerging hotspot", "former hotspot",
                   "intermittent hotspot", "no pattern"]


def rate_ratio_test(count_a, count_b, exposure_a=1.0, exposure_b=1.0,
                    confidence: float = 0.95) -> pd.DataFrame:
    """Rate ratio (later / earlier) with an exact conditional binomial test per row.

    Returns
    -------
    DataFrame
        ``rate_ratio``, ``rr_lcl``, ``rr_ucl``, ``p_exact`` (two-sided).
    """
    from scipy import stats

    a = np.asarray(count_a, np.int64)
    b = np.asarray(count_b, np.int64)
    ea = np.broadcast_to(np.asarray(exposure_a, float), a.shape)
    eb = np.broadcast_to(np.asarray(exposure_b, float), a.shape)
    if np.any(a < 0) or np.any(b < 0):
        raise AnalysisError("counts must not be negative")
    n = a + b
    pi0 = eb / (ea + eb)
    with np.errstate(divide="ignore", invalid="ignore"):
        rr = (b / eb) / (a / ea)
    alpha = 1 - confidence
    # Clopper-Pearson limits for pi = b / n
    lo_pi = np.where(b == 0, 0.0, stats.beta.ppf(alpha / 2, b, n - b + 1))
    hi_pi = np.where(b == n, 1.0, stats.beta.ppf(1 - alpha / 2, b + 1, n - b))
    with np.errstate(divide="ignore", invalid="ignore"):
        rr_lcl = lo_pi / (1 - lo_pi) * ea / eb
        rr_ucl = np.where(hi_pi >= 1, np.inf, hi_pi / (1 - hi_pi) * ea / eb)
    p = np.ones(len(a))
    cache = {}
    for i in range(len(a)):
        if n[i] == 0:
            continue
        key = (int(b[i]), int(n[i]), float(pi0[i]))
        if key not in cache:
            cache[key] = stats.binomtest(key[0], key[1], key[2]).pvalue
        p[i] = cache[key]
    rr_lcl = np.where(n == 0, np.nan, rr_lcl)
    rr_ucl = np.where(n == 0, np.nan, rr_ucl)
    return pd.DataFrame({"rate_ratio": rr, "rr_lcl": rr_lcl, "rr_ucl": rr_ucl, "p_exact": p})


def compare_periods(areas, points, area_id: str, *, period_a: str | None, period_b: str,
                    kind: str = "quarter", date_column: str = "date", population=None,
                    alpha: float = 0.05, fdr: bool = True, per: int = 10_000,
                    coverage_dates=None):
    """Per-area comparison of two periods (e.g. 2019Q1 vs 2018Q1).

    Parameters
    ----------
    areas, points : GeoDataFrame
    area_id : str
    period_a, period_b : str
        Earlier and later period labels (``2018Q1``, ``2018``, ``2018-11``, ``2018/19``);
        ``period_a=None`` means the same period a year before ``period_b``.
    kind : {"month", "quarter", "year", "financial_year"}
    date_column : str
        Date of each record.
    population : str or Series, optional
        Gives rates per 10,000 (the same population for both periods).
    alpha, fdr
        Significance level and Benjamini–Hochberg adjustment (default on).
    coverage_dates : Series of datetime64, optional
        Dates of the whole layer before any filter, to judge which days each
        period's data cover (default: the points' own dates).  A month with no
        Drugs offence is a zero; a month missing from every crime type is a gap.

    Returns
    -------
    GeoDataFrame
        ``<area_id>``, ``count_a``, ``count_b``, ``change``, [``rate_a``,
        ``rate_b``: per 10,000 over each period's days of data], ``rate_ratio``
        (per day of data), ``rr_lcl``, ``rr_ucl``, ``p_exact``, ``p_fdr``,
        ``trend`` (``up``/``down``/``no significant change``), geometry;
        ``attrs['meta']['params']`` holds ``days_a`` and ``days_b``.
    """
    import geopandas as gpd

    if date_column not in points.columns:
        raise AnalysisError(f"the records have no '{date_column}' column", column=date_column,
                            fix="load records with a date column")
    pb = period_label(period_b, kind)
    pa = period_label(period_a, kind) if period_a else same_period_last_year(pb, kind)
    labels = assign_periods(points[date_column], kind)
    n_undated = int(labels.isna().sum())
    counts = {}
    for tag, lab in (("a", pa), ("b", pb)):
        sel = (labels == lab).fillna(False).to_numpy(bool)
        if not sel.any():
            found = ", ".join(sorted(labels.dropna().unique())[:12]) or "none"
            raise AnalysisError(f"no records in period {lab}",
                                fix=f"choose periods present in the data: {found}")
        counts[tag] = count_points(areas, points[sel], area_id)[0]["count"].to_numpy()
    cover_from = points[date_column] if coverage_dates is None else coverage_dates
    cov = {tag: period_coverage(cover_from, lab, kind) for tag, lab in (("a", pa), ("b", pb))}
    notes = [c["text"] for c in cov.values() if not c["complete"]]
    if notes:
        notes.append(f"rate ratios use exposure = population × days of data ({cov['a']['days']} "
                     f"vs {cov['b']['days']} days), so the incomplete period is not read as a "
                     "fall; check that the missing months are truly missing")
        warnings.warn("; ".join(notes), UserWarning, stacklevel=2)
    res = rate_ratio_test(counts["a"], counts["b"], exposure_a=float(cov["a"]["days"]),
                          exposure_b=float(cov["b"]["days"]))
    out = pd.DataFrame({area_id: areas[area_id].to_numpy(), "count_a": counts["a"],
                        "count_b": counts["b"], "change": counts["b"] - counts["a"]})
    if population is not None:
        pop = (pd.to_numeric(areas[population], errors="coerce") if isinstance(population, str)
               else pd.to_numeric(population, errors="coerce").reindex(areas[area_id]))
        pop = np.asarray(pop, float)
        out["rate_a"] = counts["a"] / pop * per
        out["rate_b"] = counts["b"] / pop * per
    for c in res.columns:
        out[c] = res[c].to_numpy()
    out["p_fdr"] = fdr_bh(out["p_exact"])
    p_used = out["p_fdr"] if fdr else out["p_exact"]
    out["trend"] = np.where(p_used < alpha, np.where(out["rate_ratio"] > 1, "up", "down"),
                            "no significant change")
    gdf = gpd.GeoDataFrame(out, geometry=areas.geometry.values, crs=areas.crs)
    gdf.attrs["meta"] = {
        "method": "rate ratio (later/earlier) with exact conditional binomial test, "
                  "Clopper-Pearson limits; exposure = population × days of data",
        "units": "rate ratio", "value_column": "rate_ratio",
        "params": {"period_a": pa, "period_b": pb, "kind": kind, "alpha": alpha,
                   "fdr": "Benjamini-Hochberg" if fdr else "off",
                   "days_a": cov["a"]["days"], "days_b": cov["b"]["days"],
                   "complete_a": cov["a"]["complete"], "complete_b": cov["b"]["complete"]},
        "base_n": int(counts["a"].sum() + counts["b"].sum()),
        "period": f"{pa} vs {pb}",
        "notes": ([f"{n_undated} records without a date are not in either period"]
                  if n_undated else []) + notes,
    }
    return gdf


def kde_difference(before, after):
    """KDE difference surface ``after − before`` (events per km²) on the same grid.

    Raises
    ------
    AnalysisError
        If the two surfaces are not on the same grid.
    """
    same = (before.shape == after.shape and before.x0 == after.x0 and before.y0 == after.y0
            and before.cell_size == after.cell_size)
    if not same:
        raise AnalysisError("the two surfaces are on different grids",
                            fix="compute both KDEs with the same boundary, cell size and grid")
    for k in ("kernel", "bandwidth_m"):
        if before.meta.get(k) != after.meta.get(k):
            raise AnalysisError(f"the two surfaces differ in {k} ({before.meta.get(k)} vs "
                                f"{after.meta.get(k)}), so their difference is not a change",
                                fix="use the same kernel and bandwidth for both periods")
    vals = after.values.astype(np.float64) - before.values.astype(np.float64)
    meta = {"method": "difference of two kernel density surfaces (after − before)",
            "units": "change in events per km²", "kernel": after.meta.get("kernel"),
            "bandwidth_m": after.meta.get("bandwidth_m"), "cell_size_m": after.cell_size,
            "base_n": [before.meta.get("base_n"), after.meta.get("base_n")]}
    return Surface(values=vals.astype(np.float32), x0=after.x0, y0=after.y0,
                   cell_size=after.cell_size, crs=after.crs, units=meta["units"], meta=meta)


def classify_hotspots(hot, *, recent_prop: float = 0.2, persistent_prop: float = 0.8):
    """Classify units from a (units × periods) boolean "hot" table; see module notes.

    Examples
    --------
    >>> classify_hotspots([[1, 1, 1, 1, 1], [0, 0, 0, 0, 1], [1, 0, 0, 0, 0],
    ...                    [1, 0, 1, 0, 1], [0, 0, 0, 0, 0]]).tolist()
    ['persistent hotspot', 'emerging hotspot', 'former hotspot', 'intermittent hotspot', 'no pattern']
    """
    h = np.asarray(hot, bool)
    if h.ndim != 2 or h.shape[1] < 2:
        raise AnalysisError("hotspot classes need at least two periods",
                            fix="use a longer date range or shorter periods")
    t = h.shape[1]
    r = max(1, int(round(recent_prop * t)))
    r = min(r, t - 1)
    recent, earlier = h[:, t - r:].any(1), h[:, :t - r].any(1)
    share = h.mean(1)
    return np.select(
        [share >= persistent_prop, recent & ~earlier, earlier & ~recent, recent & earlier],
        HOTSPOT_CLASSES[:4], default="no pattern").astype(object)


def hotspot_classify(points, *, cell_size: float | None = None, kind: str = "quarter",
                     date_column: str = "date", boundary=None, weights: str = "queen",
                     alpha: float = 0.05, fdr: bool = True, recent_prop: float = 0.2,
                     persistent_prop: float = 0.8, areas=None, area_id: str | None = None,
                     permutations: int = 0, seed=None, snap: float | None = None):
    """Counts per period → Gi* per period → hotspot class per grid cell or per area.

    Give ``cell_size`` (square cells aligned to its multiples; with a ``boundary``
    only cells whose centre is inside) or ``areas`` with ``area_id`` (the points
    counted per area, Gi* with the areas' ``weights``, boundaries within ``snap``
    metres counting as shared).  The points may be a GeoDataFrame or a
    coordinate-only layer.  ``permutations`` (with ``seed``) uses Gi*'s
    conditional permutation p-values instead of the analytic ones.  Grid cells
    without neighbours are left out, with a note.

    Returns
    -------
    GeoDataFrame
        Cells (``cell_id``, ``row``, ``col``) or areas (``area_id``) with
        ``count_<period>`` and ``gi_bin_<period>`` per period, ``hot_periods`` and
        ``hotspot_class``.
    """
    if (cell_size is None) == (areas is None):
        raise AnalysisError("hotspot classes need either a cell size or areas",
                            fix="give --cell-size M, or --areas FILE with --area-id FIELD")
    if areas is not None and (not area_id or area_id not in areas.columns):
        raise AnalysisError(f"the areas have no id field '{area_id}'", column=area_id,
                            fix="give --area-id FIELD naming the areas' code column")
    if areas is not None and areas.crs is not None:  # count in the areas' CRS
        if is_xy_frame(points) and areas.crs.to_epsg() != 27700:
            points = as_geodataframe(points)
        pcrs = getattr(points, "crs", None)
        if pcrs is not None and pcrs != areas.crs:
            points = points.to_crs(areas.crs)
    xy, keep = projected_xy(points, "the points")
    labels = assign_periods(points[date_column], kind)[keep].reset_index(drop=True)
    periods = sorted(labels.dropna().unique())
    if len(periods) < 2:
        raise AnalysisError(f"the records span {len(periods)} {kind}(s); classes need two or more",
                            fix="use shorter periods (e.g. month)")
    if areas is None:
        w, count, grid, n_isolated = _grid_counter(points, cell_size, boundary, weights, xy)
    else:
        w, count = _area_counter(areas, area_id, weights, snap, xy)
        n_isolated = 0
    extra, hot, n_flat = _classes_per_period(count, w, periods, labels, alpha=alpha, fdr=fdr,
                                             permutations=permutations, seed=seed)
    cls = classify_hotspots(hot, recent_prop=recent_prop, persistent_prop=persistent_prop)
    if areas is None:
        out = _cells_frame(extra, grid, cell_size)
        unit = f"grid cells of {cell_size:g} m"
    else:
        import geopandas as gpd

        out = gpd.GeoDataFrame({area_id: areas[area_id].to_numpy(), **extra},
                               geometry=areas.geometry.values, crs=areas.crs)
        unit = "areas"
    out["hot_periods"] = hot.sum(1)
    out["hotspot_class"] = cls
    notes = [f"flat neighbourhoods (never hot) per period: {', '.join(map(str, n_flat))}"]
    if n_isolated:
        notes.append(f"{n_isolated} grid cells without a neighbour under {weights} weights "
                     "left out")
    out.attrs["meta"] = {
        "method": f"Gi* per period on {unit}, classified by hotmap's rules "
                  "(sfhotspot hotspot_classify spirit)"
                  + (f"; {permutations} conditional permutations per period (seed {seed} + "
                     "period number), two-sided pseudo p-value counting ties"
                     if permutations else "; analytic z"),
        "units": "class", "value_column": "hotspot_class",
        "params": {"cell_size_m": cell_size, "kind": kind, "weights": weights,
                   "weights_detail": w.describe(), "alpha": alpha,
                   "fdr": "Benjamini-Hochberg" if fdr else "off", "recent_prop": recent_prop,
                   "persistent_prop": persistent_prop, "periods": list(periods),
                   "permutations": int(permutations), "seed": seed},
        "base_n": int(len(xy)), "period": f"{periods[0]} – {periods[-1]}",
        "notes": notes,
    }
    return out


def _grid_counter(points, cell_size, boundary, weights, xy):
    """The grid's spatial weights (cells without a neighbour dropped), a function counting
    the selected events per kept cell (north-up), the grid with its kept cells, and how
    many cells were dropped."""
    g, valid, _, _ = grid_counts(points, cell_size, boundary, xy=xy)
    w = grid_weights(g.ny, g.nx, weights, valid=valid, cell_size=cell_size)
    keep, w = drop_islands(w)
    n_isolated = int((~keep).sum())
    if n_isolated:
        valid = valid.copy()
        valid[tuple(a[~keep] for a in np.nonzero(valid))] = False
    rng = [[g.y0, g.y0 + g.ny * cell_size], [g.x0, g.x0 + g.nx * cell_size]]

    def count(sel):  # north-up counts of the valid cells
        return np.histogram2d(xy[sel, 1], xy[sel, 0], bins=[g.ny, g.nx],
                              range=rng)[0][::-1][valid]

    return w, count, (g, valid), n_isolated


def _area_counter(areas, area_id, weights, snap, xy):
    """The areas' spatial weights and a function counting the selected events per area."""
    check_projected(areas)
    w = build_weights(areas, weights, snap=snap)
    check_islands(w, areas[area_id].to_numpy())
    pos = assign_points(areas, xy)

    def count(sel):
        return np.bincount(pos[sel & (pos >= 0)], minlength=len(areas)).astype(float)

    return w, count


def _classes_per_period(count, w, periods, labels, *, alpha, fdr, permutations, seed):
    """Gi* of each period's counts: the per-period columns, the hot flags (units x
    periods) and the number of flat neighbourhoods in each period."""
    extra, hot, n_flat = {}, [], []
    for k, per in enumerate(periods):
        c = count((labels == per).fillna(False).to_numpy(bool))
        res = gistar(c, w, permutations=permutations,
                     seed=None if seed is None else int(seed) + k)
        _, p = classify_p(res["p_sim"] if permutations else res["p"], res["flat"], fdr=fdr)
        extra[f"count_{per}"] = c
        extra[f"gi_bin_{per}"] = gi_bins(res["z"], p)
        hot.append((res["z"] > 0) & (p < alpha))
        n_flat.append(int(res["flat"].sum()))
    return extra, np.column_stack(hot), n_flat


def _cells_frame(extra, grid, cell_size):
    """The per-period columns of the kept cells back on the whole grid, as cell polygons."""
    g, valid = grid
    base = Surface(values=np.where(valid, 0.0, np.nan).astype(np.float32), x0=g.x0,
                   y0=g.y0, cell_size=cell_size)
    full = {}
    for k, v in extra.items():  # back onto the whole grid for surface_to_cells
        a = np.full((g.ny, g.nx), np.nan)
        a[valid] = v
        full[k] = a
    return surface_to_cells(base, "valid", extra=full).drop(columns="valid")
