"""Concentration in the most deprived areas: share of records vs share of population.

For a record layer (or any count by area) and a flag of "most deprived"
areas, the *share* is ``a / n`` (records in flagged areas over all records
in the study areas) and the *population share* is ``P_in / P``.  The
concentration ratio is ``share / population share``: 1 means the records
sit in deprived areas in proportion to the people who live there, 2 means
twice as concentrated.

Confidence interval, ``method``:

* ``"wilson"`` (default): the population share is treated as fixed (a
  near-census count), and the Wilson score interval of the record share
  (Wilson 1927; Newcombe 1998 method 3) is divided by it.
* ``"katz"``: both shares are treated as sampled; log-scale interval for a
  ratio of two independent proportions (Katz et al. 1978),
  ``SE(log R) = sqrt(1/a - 1/n + 1/b - 1/m)``.

References
----------
Wilson, E.B. (1927) Probable inference... *JASA* 22, 209-212.
Newcombe, R.G. (1998) Two-sided confidence intervals for the single proportion.
*Statistics in Medicine* 17, 857-872.
Katz, D. et al. (1978) Obtaining confidence intervals for the risk ratio in
cohort studies. *Biometrics* 34, 469-474.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from layers.common.errors import InputError
from mapping.stats.intervals import wilson_ci

__all__ = ["share_ratio", "count_in_areas", "concentration",
           "concentration_table", "CI_METHODS"]

CI_METHODS = ("wilson", "katz")


def share_ratio(a, n, b, m, *, level: float = 0.95, method: str = "wilson") -> dict:
    """Ratio of the share ``a/n`` to the reference share ``b/m``, with a CI.

    Parameters
    ----------
    a, n : float
        Count in the category and total of the group studied.
    b, m : float
        Count in the category and total of the reference (population).
    level : float
        Confidence level.
    method : {"wilson", "katz"}
        See the module docstring.

    Returns
    -------
    dict
        ``share``, ``ref_share``, ``ratio``, ``ci_low``, ``ci_high``, ``excludes_1``.
    """
    if method not in CI_METHODS:
        raise InputError(f"unknown interval method '{method}'", fix="use wilson or katz")
    if n <= 0 or m <= 0:
        raise InputError("shares need positive totals (no records or no population)",
                         fix="check the layer and population cover the study areas")
    p1, p0 = a / n, b / m
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = p1 / p0 if p0 > 0 else np.nan
        if method == "wilson":
            lo, hi = wilson_ci(a, n, level)
            lo, hi = (lo / p0, hi / p0) if p0 > 0 else (np.nan, np.nan)
        else:
            z = norm.ppf(0.5 + level / 2)
            if a > 0 and b > 0:
                se = np.sqrt(1 / a - 1 / n + 1 / b - 1 / m)
                lo, hi = ratio * np.exp(-z * se), ratio * np.exp(z * se)
            else:
                lo, hi = np.nan, np.nan
    lo, hi = float(lo), float(hi)
    return {"share": p1, "ref_share": p0, "ratio": float(ratio), "ci_low": lo, "ci_high": hi,
            "excludes_1": bool(np.isfinite(lo) and (lo > 1 or hi < 1))}


def count_in_areas(areas, points, *, area_id: str, snap_m: float = 0.0) -> pd.Series:
    """Count points falling in each area (point-in-polygon), aligned to ``areas``.

    Parameters
    ----------
    areas : GeoDataFrame
        Area polygons with ``area_id``.
    points : GeoDataFrame
        Point records.
    area_id : str
        Area identifier column.
    snap_m : float
        Points outside every area but within this many metres of one are
        given to the nearest area (generalised boundaries leave slivers
        between the coast or the boundary line and real addresses).

    Returns
    -------
    Series
        Counts indexed by area id; ``attrs['outside']`` is the number of
        points not counted and ``attrs['snapped']`` those assigned by ``snap_m``.
    """
    import geopandas as gpd

    pts = points.to_crs(areas.crs) if points.crs != areas.crs else points
    pts = pts[["geometry"]].reset_index(drop=True)
    j = gpd.sjoin(pts, areas[[area_id, "geometry"]], predicate="within")
    j = j[~j.index.duplicated()]
    ids = pd.Series(j[area_id], index=j.index)
    snapped = 0
    if snap_m > 0:
        rest = pts.loc[~pts.index.isin(j.index)]
        if len(rest):
            near = gpd.sjoin_nearest(rest, areas[[area_id, "geometry"]], max_distance=snap_m)
            near = near[~near.index.duplicated()]
            snapped = len(near)
            ids = pd.concat([ids, near[area_id]])
    c = ids.value_counts().reindex(areas[area_id].to_numpy()).fillna(0).astype(int)
    c.attrs["outside"] = int(len(pts) - len(ids))
    c.attrs["snapped"] = int(snapped)
    return c


def concentration(counts, population, flag, *, level: float = 0.95,
                  method: str = "wilson") -> dict:
    """Share of a count in flagged areas vs the population share there, with the ratio's CI.

    Parameters
    ----------
    counts, population, flag : array-like, one value per area
        Records per area, residents per area, and the most-deprived flag.
    level, method
        Interval settings, see :func:`share_ratio`.

    Returns
    -------
    dict
        ``n``, ``n_in``, ``share``, ``population``, ``population_in``,
        ``population_share``, ``ratio``, ``ci_low``, ``ci_high``,
        ``excludes_1``, ``method``, ``level``.

    Examples
    --------
    >>> r = concentration([30, 10, 10], [100, 100, 200], [True, False, False])
    >>> round(r["share"], 2), r["population_share"], round(r["ratio"], 2)
    (0.6, 0.25, 2.4)
    """
    c = pd.to_numeric(pd.Series(counts).reset_index(drop=True), errors="coerce").fillna(0)
    p = pd.to_numeric(pd.Series(population).reset_index(drop=True), errors="coerce").fillna(0)
    f = pd.Series(flag).reset_index(drop=True).fillna(False).astype(bool)
    if not len(c) == len(p) == len(f):
        raise InputError("counts, population and flag must have one value per area")
    a, n, b, m = float(c[f].sum()), float(c.sum()), float(p[f].sum()), float(p.sum())
    r = share_ratio(a, n, b, m, level=level, method=method)
    return {"n": n, "n_in": a, "share": r["share"], "population": m, "population_in": b,
            "population_share": r["ref_share"], "ratio": r["ratio"], "ci_low": r["ci_low"],
            "ci_high": r["ci_high"], "excludes_1": r["excludes_1"], "method": method,
            "level": level}


def concentration_table(areas, layers: dict, *, area_id: str, population: str,
                        flags=("most_deprived_20", "most_deprived_30"), level: float = 0.95,
                        method: str = "wilson") -> pd.DataFrame:
    """Concentration of each record layer (or count column) in each flagged set of areas.

    Parameters
    ----------
    areas : GeoDataFrame
        Areas with ``area_id``, ``population`` and the flag columns.
    layers : dict
        Name -> point GeoDataFrame (counted by point-in-polygon), or the name
        of a count column in ``areas``, or an array of counts per area.
    flags : sequence of str
        Flag columns to report.

    Returns
    -------
    DataFrame
        One row per layer and flag: ``layer``, ``flag`` and the fields of
        :func:`concentration`; ``attrs['meta']`` documents the method.
    """
    rows = []
    for name, lay in layers.items():
        if isinstance(lay, str):
            counts = areas[lay].to_numpy()
        elif hasattr(lay, "geometry"):
            counts = count_in_areas(areas, lay, area_id=area_id).to_numpy()
        else:
            counts = np.asarray(lay)
        for fl in flags:
            if fl not in areas.columns:
                raise InputError(f"areas have no '{fl}' column", column=fl,
                                 fix="join IMD deciles first (deprivation step)")
            rows.append({"layer": name, "flag": fl,
                         **concentration(counts, areas[population].to_numpy(),
                                         areas[fl].to_numpy(), level=level, method=method)})
    out = pd.DataFrame(rows)
    out.attrs["meta"] = {
        "title": "Concentration in the most deprived areas",
        "units": "shares (0-1); ratio = record share / population share",
        "method": f"ratio of shares, {method} {int(level * 100)}% interval",
        "params": {"level": level, "method": method, "flags": list(flags)},
        "references": ["Wilson EB (1927) JASA 22:209-212",
                       "Katz D et al. (1978) Biometrics 34:469-474",
                       "MHCLG (2019) English Indices of Deprivation 2019: Technical report"],
    }
    return out
