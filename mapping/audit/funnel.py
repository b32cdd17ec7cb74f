"""Funnel plots: area rates against population with exact Poisson control limits.

A funnel plot shows each area's rate against its population, with control
limits around the overall (partnership) rate that narrow as the population
grows.  Areas outside the 99.8% limits are unlikely to differ by chance alone
("special-cause variation"); this is the honest way to say which wards stand
out given their size.

Method (PHE Fingertips technical guidance, crude rates): for a population
``N`` the expected count is ``mu = N * r`` (``r`` = overall rate).  The lower
control limit is the count ``O_L`` whose exact upper confidence limit equals
``mu``, and the upper limit the count ``O_U`` whose exact lower confidence
limit equals ``mu``, using the chi-squared (gamma) form of the exact Poisson
interval: ``LCL(O) = chi2.ppf(a/2, 2 O) / 2``, ``UCL(O) = chi2.ppf(1 - a/2,
2 O + 2) / 2``, solved for a continuous ``O`` (as the PHE tool does by
bisection).  The limits on the rate scale are ``O / N x multiplier``.  An area
is outside the limits exactly when its own exact interval excludes ``mu``.

References
----------
Spiegelhalter DJ (2005). Funnel plots for comparing institutional
performance. *Stat Med* 24:1185-1202.  APHO (2008) Technical Briefing 2:
Statistical process control methods in public health intelligence.  Public
Health England, Fingertips technical guidance: funnel plots, and Technical
Guide: Confidence Intervals (2018), Appendix 1 (Byar's method) and Appendix 2
(chi-squared exact method).  Breslow NE, Day NE (1987) *Statistical Methods
in Cancer Research* vol. II (Byar's approximation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from mapping.stats.intervals import CI_METHODS, poisson_ci  # the one interval rule (re-exported)

__all__ = ["poisson_ci", "funnel_limits", "funnel_table", "funnel_overdispersion", "level_key",
           "FUNNEL_LEVELS"]

#: Default control-limit levels: "2 sigma" (95%) and "3 sigma" (99.8%).
FUNNEL_LEVELS = (0.95, 0.998)
_REFS = ["Spiegelhalter (2005) Stat Med 24:1185-1202",
         "APHO (2008) Technical Briefing 2: Statistical process control methods",
         "PHE Fingertips technical guidance: funnel plots; Technical Guide: Confidence "
         "Intervals (2018) Appendices 1-2"]


def _count_limits(mu: np.ndarray, level: float):
    """Continuous control-limit counts (O_L, O_U) around expected counts ``mu``."""
    from scipy.optimize import brentq
    from scipy.special import gammaincinv

    a = 1 - level
    lo = np.zeros(len(mu))
    hi = np.zeros(len(mu))
    for i, m in enumerate(mu):
        if m <= 0:
            lo[i] = hi[i] = 0.0
            continue
        top = m + 20 * np.sqrt(m) + 50
        # lower: UCL(O_L) = gammaincinv(O_L + 1, 1 - a/2) = m; UCL is increasing in O
        if gammaincinv(1.0, 1 - a / 2) >= m:
            lo[i] = 0.0
        else:
            lo[i] = brentq(lambda o: gammaincinv(o + 1, 1 - a / 2) - m, 0.0, top, xtol=1e-10)
        # upper: LCL(O_U) = gammaincinv(O_U, a/2) = m
        hi[i] = brentq(lambda o: gammaincinv(o, a / 2) - m, 1e-12, top * 2, xtol=1e-10)
    return lo, hi


def funnel_limits(population, rate: float, *, levels=FUNNEL_LEVELS,
                  multiplier: float = 10000.0, tau2: float = 0.0) -> pd.DataFrame:
    """Exact Poisson control limits of a rate at the given populations.

    Parameters
    ----------
    population : array-like of float
        Populations (denominators) at which to evaluate the limits.
    rate : float
        Overall (target) rate as a proportion per person (events / population).
    levels : sequence of float
        Two-sided control levels, e.g. (0.95, 0.998).
    multiplier : float
        Rates are expressed per ``multiplier`` people (10,000 by default).
    tau2 : float
        Between-area variance of the rate (per person, squared) from
        :func:`funnel_overdispersion`.  0 (default) gives the exact Poisson
        limits; above 0, the additive random-effects limits of Spiegelhalter
        (2005): ``rate ± z sqrt(rate / N + tau2)``, normal approximation.

    Returns
    -------
    DataFrame
        ``population``, ``baseline`` (rate x multiplier), and for each
        level ``L`` (as a percentage string, e.g. ``95``, ``99.8``):
        ``lower_L``, ``upper_L`` on the rate scale (per ``multiplier``).

    Examples
    --------
    >>> t = funnel_limits([10000], 0.001, multiplier=10000)
    >>> round(float(t["baseline"][0]), 1)
    10.0
    """
    pop = np.asarray(population, dtype=float)
    if np.any(pop <= 0):
        raise InputError("populations must be > 0", fix="remove areas with no population")
    if not np.isfinite(rate) or rate < 0:
        raise InputError(f"the overall rate must be >= 0, not {rate}")
    out = pd.DataFrame({"population": pop, "baseline": rate * multiplier})
    mu = pop * rate
    for lv in levels:
        key = level_key(lv)
        if tau2 > 0:
            from scipy.stats import norm

            half = norm.ppf(0.5 + lv / 2) * np.sqrt(rate / pop + tau2)
            out[f"lower_{key}"] = np.maximum(rate - half, 0.0) * multiplier
            out[f"upper_{key}"] = (rate + half) * multiplier
            continue
        lo, hi = _count_limits(mu, lv)
        out[f"lower_{key}"] = lo / pop * multiplier
        out[f"upper_{key}"] = hi / pop * multiplier
    return out


def funnel_overdispersion(count, population, rate: float | None = None, *,
                          winsor: float = 0.1) -> dict:
    """Overdispersion of area rates around the overall rate (Spiegelhalter 2005).

    Parameters
    ----------
    count, population : array-like
        Area counts and populations.
    rate : float, optional
        Target rate per person (default: total count / total population).
    winsor : float
        Share winsorised at each tail of the z-scores (10% as recommended).

    Returns
    -------
    dict
        ``phi`` (overdispersion factor, 1 = Poisson), ``tau2`` (additive
        between-area variance, 0 when ``I phi <= I - 1``), ``n_areas`` and
        ``p_value`` (``I phi`` against chi-squared on ``I - 1`` degrees of
        freedom).

    Notes
    -----
    ``z_i = (y_i - r) / sqrt(r / N_i)`` with ``y_i = O_i / N_i``;
    ``phi = mean(winsorised z^2)``; ``tau2 = (I phi - (I - 1)) /
    (sum w - sum w^2 / sum w)`` with ``w_i = N_i / r``.
    """
    from scipy.stats import chi2

    o = np.asarray(count, float)
    n = np.asarray(population, float)
    ok = (n > 0) & np.isfinite(o)
    o, n = o[ok], n[ok]
    r = float(o.sum() / n.sum()) if rate is None else float(rate)
    k = len(o)
    if k < 3 or r <= 0:
        return {"phi": np.nan, "tau2": 0.0, "n_areas": k, "p_value": np.nan}
    z = (o / n - r) / np.sqrt(r / n)
    lo, hi = np.quantile(z, [winsor, 1 - winsor])
    zw = np.clip(z, lo, hi)
    phi = float(np.mean(zw ** 2))
    w = n / r
    tau2 = max(0.0, (k * phi - (k - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
    return {"phi": phi, "tau2": float(tau2), "n_areas": k,
            "p_value": float(chi2.sf(k * phi, k - 1))}


def level_key(level: float) -> str:
    return f"{level * 100:g}".replace(".", "_")


def funnel_table(areas, *, count: str = "count", population: str = "population",
                 name: str | None = None, multiplier: float = 10000.0, levels=FUNNEL_LEVELS,
                 comparators=None, target_rate: float | None = None,
                 ci_method: str = "phe", overdispersion: bool = False) -> pd.DataFrame:
    """Area rates with their control limits and an outlier flag.

    Parameters
    ----------
    areas : DataFrame or GeoDataFrame
        One row per area with a count and a population column.
    count, population : str
        Column names.
    name : str, optional
        Area name/code column used for labels (default: the index).
    multiplier : float
        Rates per ``multiplier`` people.
    levels : sequence of float
        Control levels (inner, outer).
    comparators : DataFrame, optional
        Comparator areas supplied by the user (same ``count``/``population``
        columns and ``name``).  They are placed against the same limits but
        do not enter the overall rate; ``group`` says which rows they are.
    target_rate : float, optional
        Rate per person to draw the limits around (default: the overall rate
        of ``areas``, total count / total population).
    ci_method : str
        Interval for each area's own rate (:func:`poisson_ci`).
    overdispersion : bool
        Widen the limits for between-area variation beyond Poisson noise
        (Spiegelhalter 2005 additive random effects, :func:`funnel_overdispersion`).
        Off by default, as in PHE's standard method; the estimate (``phi``,
        ``tau2``) is always reported in the meta.

    Returns
    -------
    DataFrame or GeoDataFrame
        ``label``, ``group`` ("area" or "comparator"), ``count``,
        ``population``, ``rate``, ``rate_ci_low``, ``rate_ci_high``,
        ``expected`` (count at the overall rate), limits ``lower_<L>`` /
        ``upper_<L>`` at the area's population, ``outside`` ("high 99.8%",
        "high 95%", "low 95%", "low 99.8%" or "within").
        ``attrs['meta']``: overall rate, method, units, base n, references.
        Areas with zero or missing population are dropped and counted in
        ``meta['n_dropped']``.
    """
    import geopandas as gpd

    t, n_dropped = _funnel_rows(areas, comparators, count=count, population=population,
                                name=name)
    b = t[t["group"] == "area"]
    if not len(b) or b["population"].sum() <= 0:
        raise InputError("no areas with a population", fix="check the population column")
    r = float(b["count"].sum() / b["population"].sum()) if target_rate is None else target_rate
    t["rate"] = t["count"] / t["population"] * multiplier
    lo, hi = poisson_ci(t["count"].to_numpy(), 0.95, ci_method)
    t["rate_ci_low"] = lo / t["population"] * multiplier
    t["rate_ci_high"] = hi / t["population"] * multiplier
    t["expected"] = t["population"] * r
    od = funnel_overdispersion(b["count"], b["population"], r)
    tau2 = od["tau2"] if overdispersion else 0.0
    outside = _limits_and_flags(t, r, levels, multiplier, tau2)
    notes = _overdispersion_notes(t, od, r, levels, multiplier, adjusted=tau2 > 0)
    if hasattr(areas, "geometry") and isinstance(areas, gpd.GeoDataFrame):
        geom = areas.geometry.reindex(t.index)
        t = gpd.GeoDataFrame(t, geometry=geom.to_numpy(), crs=areas.crs)
    t.attrs["meta"] = {
        "title": f"Rates per {multiplier:,.0f} against population with control limits",
        "method": ("funnel plot: control limits around the overall rate widened for "
                   "overdispersion (Spiegelhalter 2005 additive random effects, tau2 = "
                   f"{tau2:.3g}, normal approximation)" if tau2 > 0 else
                   "funnel plot: exact Poisson control limits (chi-squared form, solved for a "
                   "continuous count) around the overall rate, PHE Fingertips method")
                  + f"; area rate intervals: {CI_METHODS[ci_method]}",
        "units": f"per {multiplier:,.0f} population", "value_column": "rate",
        "overall_rate": r * multiplier, "multiplier": multiplier, "levels": list(levels),
        "base_n": int(b["count"].sum()), "population_total": float(b["population"].sum()),
        "n_areas": int(len(b)), "n_dropped": n_dropped,
        "overdispersion": {**od, "adjusted": bool(overdispersion and tau2 > 0)},
        "tau2": tau2,
        "n_outside": {o: int(((t["outside"] == o) & (t["group"] == "area")).sum())
                      for o in sorted(set(outside))},
        "references": list(_REFS),
        "count_columns": ["count"],
        "notes": notes,
    }
    return t


def _funnel_rows(areas, comparators, *, count, population, name):
    """The areas' (and comparators') label, group, count and population, without those
    with no population or count; returns the rows and how many were dropped.

    Raises
    ------
    InputError
        A missing column or a negative count.
    """
    def prep(df, group):
        for c in (count, population):
            if c not in df.columns:
                raise InputError(f"the table has no '{c}' column", column=c,
                                 fix="choose the count and population columns")
        t = pd.DataFrame({
            "label": df[name].astype(str).to_numpy() if name else df.index.astype(str),
            "group": group,
            "count": pd.to_numeric(df[count], errors="coerce").to_numpy(dtype=float),
            "population": pd.to_numeric(df[population], errors="coerce").to_numpy(dtype=float),
        }, index=df.index)
        if (t["count"] < 0).any():
            raise InputError("counts must be >= 0", column=count)
        return t

    parts = [prep(areas, "area")]
    if comparators is not None and len(comparators):
        parts.append(prep(comparators, "comparator").set_axis(
            [f"cmp{i}" for i in range(len(comparators))]))
    t = pd.concat(parts)
    bad = ~(t["population"] > 0) | t["count"].isna()
    return t[~bad].copy(), int(bad.sum())


def _limits_and_flags(t, r, levels, multiplier, tau2) -> np.ndarray:
    """Add each row's control limits at its population and where it falls (``outside``);
    returns the flags."""
    lim = funnel_limits(t["population"].to_numpy(), r, levels=levels, multiplier=multiplier,
                        tau2=tau2)
    keys = [level_key(lv) for lv in levels]
    for k in keys:
        t[f"lower_{k}"] = lim[f"lower_{k}"].to_numpy()
        t[f"upper_{k}"] = lim[f"upper_{k}"].to_numpy()
    outside = np.full(len(t), "within", dtype=object)
    for lv, k in sorted(zip(levels, keys)):  # widest last, so it wins
        pct = f"{lv * 100:g}%"
        outside[(t["rate"] > t[f"upper_{k}"]).to_numpy()] = f"high {pct}"
        outside[(t["rate"] < t[f"lower_{k}"]).to_numpy()] = f"low {pct}"
    t["outside"] = outside
    return outside


#: Overdispersion worth a word: the chi-squared test of I·phi on I − 1 df below this p-value.
OVERDISPERSION_P = 0.05


def _overdispersion_notes(t, od, r, levels, multiplier, *, adjusted: bool) -> list[str]:
    """Say how overdispersed the areas are and what Spiegelhalter's adjustment would do."""
    phi, p = od.get("phi"), od.get("p_value")
    if phi is None or not np.isfinite(phi):
        return []
    text = f"overdispersion phi = {phi:.1f} over {od['n_areas']} areas"
    if not (np.isfinite(p) and p < OVERDISPERSION_P):
        return [text + " (consistent with Poisson variation)"]
    outer = max(levels)
    pct = f"{outer * 100:g}%"
    areas = t[t["group"] == "area"]
    n_out = int(areas["outside"].str.endswith(pct).sum())
    ptxt = "< 0.001" if p < 0.001 else f"= {p:.2g}"
    text += (f" (chi-squared test p {ptxt}): the areas vary more than chance alone would "
             f"give, so more fall outside the limits than the {(1 - outer) * 100:g}% expected "
             f"({n_out} of {len(areas)} outside the {pct} limits)")
    if adjusted:
        return [text + f"; the limits are widened for it (Spiegelhalter 2005 random effects, "
                       f"tau2 = {od['tau2']:.3g})"]
    wide = funnel_limits(areas["population"].to_numpy(), r, levels=[outer],
                         multiplier=multiplier, tau2=od["tau2"])
    k = level_key(outer)
    rate = areas["rate"].to_numpy()
    n_adj = int(((rate > wide[f"upper_{k}"].to_numpy()) | (rate < wide[f"lower_{k}"].to_numpy()))
                .sum())
    return [text + "; Spiegelhalter's (2005) random-effects adjustment widens the limits for "
                   f"the between-area variation (tau2 = {od['tau2']:.3g}) and would leave "
                   f"{n_adj} outside the {pct} limits: use it when the question is which areas "
                   "stand out beyond the usual spread (overdispersion = true, or "
                   "--overdispersion)"]
