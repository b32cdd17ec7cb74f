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

__all__ = ["poisson_ci", "funnel_limits", "funnel_table", "funnel_chart", "funnel_overdispersion",
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
        key = _level_key(lv)
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


def _level_key(level: float) -> str:
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

    base = prep(areas, "area")
    parts = [base]
    if comparators is not None and len(comparators):
        parts.append(prep(comparators, "comparator").set_axis(
            [f"cmp{i}" for i in range(len(comparators))]))
    t = pd.concat(parts)
    bad = ~(t["population"] > 0) | t["count"].isna()
    n_dropped = int(bad.sum())
    t = t[~bad].copy()
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
    lim = funnel_limits(t["population"].to_numpy(), r, levels=levels, multiplier=multiplier,
                        tau2=tau2)
    keys = [_level_key(lv) for lv in levels]
    for k in keys:
        t[f"lower_{k}"] = lim[f"lower_{k}"].to_numpy()
        t[f"upper_{k}"] = lim[f"upper_{k}"].to_numpy()
    outside = np.full(len(t), "within", dtype=object)
    for lv, k in sorted(zip(levels, keys)):  # widest last, so it wins
        pct = f"{lv * 100:g}%"
        outside[(t["rate"] > t[f"upper_{k}"]).to_numpy()] = f"high {pct}"
        outside[(t["rate"] < t[f"lower_{k}"]).to_numpy()] = f"low {pct}"
    t["outside"] = outside
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
    k = _level_key(outer)
    rate = areas["rate"].to_numpy()
    n_adj = int(((rate > wide[f"upper_{k}"].to_numpy()) | (rate < wide[f"lower_{k}"].to_numpy()))
                .sum())
    return [text + "; Spiegelhalter's (2005) random-effects adjustment widens the limits for "
                   f"the between-area variation (tau2 = {od['tau2']:.3g}) and would leave "
                   f"{n_adj} outside the {pct} limits: use it when the question is which areas "
                   "stand out beyond the usual spread (overdispersion = true, or "
                   "--overdispersion)"]


def funnel_chart(table, *, title: str | None = None, units: str = "records",
                 source: str | None = None, label: str = "outer", max_labels: int = 12,
                 log_x: bool = False, threshold: int = 0):
    """Draw a funnel plot in the house style.

    Parameters
    ----------
    table : DataFrame
        :func:`funnel_table` output.
    title : str, optional
        Chart title (default "<units> per 10,000 by area").
    units : str
        What is counted, for the title and axis label.
    source : str, optional
        Attribution line.
    label : {"outer", "any", "none"}
        Label areas outside the outer limits only, outside any limit, or none.
    max_labels : int
        At most this many labels (the most extreme first).
    log_x : bool
        Logarithmic population axis (for very unequal areas).
    threshold : int
        Disclosure control for counts of people: areas whose count is from 1 to
        ``threshold - 1`` are not drawn (a dot's rate and population give its
        count back), nor the areas the table's secondary suppression hides with
        them (:func:`mapping.disclosure.rules.suppress_counts`); the caption says how
        many.  0 draws every area.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from mapping.render.charts import PALETTE, chart_figure, chart_finish, format_n

    meta = table.attrs.get("meta", {})
    if len(table) == 0:
        raise InputError("the funnel table is empty", fix="check the areas and population")
    table, n_hidden = _hide_small(table, threshold)
    if not len(table):
        raise InputError("every area's count is suppressed by disclosure control",
                         fix="use larger areas")
    mult = meta.get("multiplier", 10000.0)
    levels = meta.get("levels", list(FUNNEL_LEVELS))
    r = meta.get("overall_rate", np.nan) / mult
    fig, ax = chart_figure(height_cm=12.0)
    pmin = max(1.0, float(table["population"].min()) * 0.9)
    pmax = float(table["population"].max()) * 1.05
    grid = np.geomspace(pmin, pmax, 160) if log_x or pmax / pmin > 50 else \
        np.linspace(pmin, pmax, 160)
    tau2 = float(meta.get("tau2", 0.0) or 0.0)
    lim = funnel_limits(grid, r, levels=levels, multiplier=mult, tau2=tau2)
    styles = [("--", PALETTE["grey"]), ("-", PALETTE["alert"])]
    for (ls, colour), lv in zip(styles, sorted(levels)):
        k = _level_key(lv)
        ax.plot(grid, lim[f"upper_{k}"], ls=ls, color=colour, lw=1.2,
                label=f"{lv * 100:g}% limits")
        ax.plot(grid, lim[f"lower_{k}"], ls=ls, color=colour, lw=1.2)
    ax.axhline(r * mult, color=PALETTE["text"], lw=1.0,
               label=f"Overall rate {r * mult:,.1f}")
    # y range: the funnel and the bulk of the areas; far outliers are drawn at the top edge
    outer_k = _level_key(max(levels))
    top_lim = float(np.nanmax(lim[f"upper_{outer_k}"]))
    rates = table["rate"].to_numpy(float)
    ycap = max(top_lim * 1.6, float(np.nanpercentile(rates, 90)) * 1.3 if len(rates) else 0,
               r * mult * 2)
    if np.nanmax(rates) <= ycap * 1.25:
        ycap = float(np.nanmax(rates)) * 1.1
    if not np.isfinite(ycap) or ycap <= 0:  # every rate and limit is zero
        ycap = 1.0
    yplot = np.minimum(rates, ycap)
    off = rates > ycap
    table = table.assign(yplot=yplot, offscale=off)
    areas = table[table["group"] == "area"]
    cats = [("within", PALETTE["sky"], "Area within limits", 14),
            ("high", PALETTE["alert"], "Area above limits", 22),
            ("low", PALETTE["main"], "Area below limits", 22)]
    for key, colour, lab, size in cats:
        sel = areas["outside"].str.startswith(key)
        if not sel.any():
            continue
        on = sel & ~areas["offscale"]
        ax.scatter(areas.loc[on, "population"], areas.loc[on, "yplot"], s=size, color=colour,
                   edgecolor="white", lw=0.4, label=lab, zorder=3 if key == "within" else 4)
        offs = sel & areas["offscale"]
        if offs.any():
            ax.scatter(areas.loc[offs, "population"], areas.loc[offs, "yplot"], s=34, marker="^",
                       color=colour, edgecolor="black", lw=0.4, zorder=5, clip_on=False,
                       label="Off scale (value in label)")
    cmp_ = table[table["group"] == "comparator"]
    if len(cmp_):
        ax.scatter(cmp_["population"], cmp_["yplot"], s=40, marker="D",
                   color=PALETTE["third"], edgecolor="black", lw=0.5, label="Comparator",
                   zorder=5)
    logx = log_x or pmax / pmin > 50
    if logx:
        from matplotlib.ticker import LogLocator, NullFormatter

        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(pmin, pmax)
    ax.set_ylim(0, ycap * 1.12)
    outer = f"{max(levels) * 100:g}%"
    n_lab = n_pick = 0
    if label != "none":
        pick = table[table["outside"] != "within"] if label == "any" else \
            table[table["outside"].str.endswith(outer)]
        pick = pd.concat([pick, cmp_]).drop_duplicates("label")
        dev = (pick["rate"] - r * mult).abs() / pick["population"].pow(-0.5)
        pick = pick.loc[dev.sort_values(ascending=False).index]
        fig.canvas.draw()  # so data -> pixel transforms are final
        boxes = []  # placed label boxes in pixels: (x0, y0, x1, y1)
        ch_w, ch_h = 7.2 * fig.dpi / 72 * 0.6, 7.2 * fig.dpi / 72 * 1.25
        n_pick = len(pick)
        for row in pick.itertuples(index=False):
            if n_lab >= max_labels:
                break
            px, py = ax.transData.transform((row.population, row.yplot))
            text = row.label + (f" ({row.rate:,.0f})" if row.offscale else "")
            w = len(text) * ch_w
            right_edge = px + 6 + w > ax.bbox.x1
            for dx, dy in ((5, 3), (5, -11), (-5, 3), (-5, -11)):
                if right_edge and dx > 0:
                    continue
                x0 = px + dx * fig.dpi / 72 - (w if dx < 0 else 0)
                y0 = py + dy * fig.dpi / 72
                box = (x0, y0, x0 + w, y0 + ch_h)
                if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                           for b in boxes):
                    boxes.append(box)
                    ax.annotate(text, (row.population, row.yplot), xytext=(dx, dy),
                                textcoords="offset points", fontsize=7.2,
                                color=PALETTE["text"], ha="right" if dx < 0 else "left",
                                va="bottom", zorder=6)
                    n_lab += 1
                    break
    ax.set_xlabel("Population (denominator)")
    ax.set_ylabel(f"rate per {mult:,.0f}")
    ax.xaxis.set_major_formatter(_thousands())
    from mapping.render.charts import _legend_above

    _legend_above(ax, ncols=3)
    n_rows = -(-len(ax.get_legend_handles_labels()[0]) // 3)
    n_areas = max(1, int(meta.get("n_areas", len(areas))))
    n_outer = sum(v for k, v in meta.get("n_outside", {}).items() if k.endswith(outer))
    n_out = sum(v for k, v in meta.get("n_outside", {}).items() if k != "within")
    title = title or f"{units[:1].upper() + units[1:]} per {mult:,.0f} population by area"
    sub = (f"{meta.get('n_areas', len(areas))} areas · {format_n(meta.get('base_n'))} {units} · "
           f"population {meta.get('population_total', 0):,.0f} · {n_out} outside the limits")
    how = ("widened for overdispersion (Spiegelhalter 2005 random effects)" if tau2 > 0 else
           "by exact Poisson (chi-squared) limits, the PHE funnel-plot method (Spiegelhalter "
           "2005)")
    lv_text = ", ".join(f"{v * 100:g}%" for v in sorted(levels))
    cap = (f"Each dot is an area: its rate against its population. Lines: {lv_text} "
           f"control limits around the overall rate {how}. Labelled: areas outside the {outer} "
           "limits" + (" and comparators" if len(cmp_) else "")
           + (f" ({n_lab} of {n_pick}, the most extreme whose labels do not overlap)"
              if n_lab < n_pick else "")
           + "." + (f" {n_outer} of {n_areas} areas are outside the {outer} limits, far more than "
                    "chance would give: the areas vary more than Poisson noise (overdispersion), "
                    "so treat single outliers with care (Spiegelhalter 2005)."
                    if n_outer > 0.1 * n_areas and tau2 == 0 else "")
           + (f" {n_hidden} area(s) with counts of 1 to {threshold - 1}, or hidden to protect "
              "them, are not drawn (disclosure control)." if n_hidden else ""))
    return chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source,
                        legend_row=n_rows)


def _hide_small(table, threshold):
    """The table without the areas disclosure control suppresses, and how many those are."""
    if not threshold or threshold <= 1:
        return table, 0
    from mapping.disclosure.rules import DisclosureRules, suppress_counts

    is_area = (table["group"] == "area").to_numpy()
    counts = pd.DataFrame({"count": table["count"].to_numpy(float)[is_area]})
    sup = suppress_counts(counts, ["count"], [], DisclosureRules(threshold=int(threshold)))
    hidden = np.zeros(len(table), bool)
    if "count_suppressed" in sup.columns:
        hidden[is_area] = sup["count_suppressed"].to_numpy(bool)
    return table[~hidden], int(hidden.sum())


def _thousands():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:,.0f}")
