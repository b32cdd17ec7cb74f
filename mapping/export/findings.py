"""Key findings in plain English, read from an analysis's published results.

A small registry of *finding* functions, one per analysis kind
(:data:`FINDERS`, filled with :func:`finder`).  Each reads the result tables
of one analysis as disclosure control left them (a hidden cell is missing,
never guessed at) and their :class:`~mapping.core.meta.ResultMeta`, and computes
nothing new: it picks figures out, with their base n and intervals, and says
where small numbers make a finding fragile (most areas below the threshold,
intervals wider than the value, suppressed cells).  The audit pack opens
each analysis's section with them (:func:`analysis_findings`).

A finder has the signature ``fn(ctx: FindingContext) -> list[Finding]``; the
context, the registry and the finders' helpers are in
:mod:`mapping.export.finding_context` (imported from here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mapping.export.finding_context import (FINDERS, Finding, FindingContext, base_text,
                                            code_column, finder, numbers, pct, small_count_findings,
                                            whole)

__all__ = ["Finding", "FindingContext", "FINDERS", "finder", "analysis_findings", "pct"]


# ------------------------------------------------------------------ finders
@finder("count", "rollup")
def _count(ctx) -> list[Finding]:
    df = ctx.main.data
    out = []
    n = len(df)
    cnt = numbers(df["count"]) if "count" in df.columns else None
    base = ctx.meta.get("base_n")
    if cnt is not None and isinstance(base, (int, float)):
        zero = int((cnt == 0).sum())
        when = f"In {ctx.meta['period']}, " if ctx.meta.get("period") else ""
        text = f"{whole(base)} {ctx.subject} were counted in {n} {ctx.areas_word()}"
        out.append(Finding((when + text if when else text[:1].upper() + text[1:])
                           + f"; {zero} of the {ctx.areas_word()} ({pct(zero / n)}) had none.",
                           values={"base_n": base, "n": n, "zero": zero}))
    if {"rate_per_10k", "rate_lcl", "rate_ucl"} <= set(df.columns):
        r = numbers(df["rate_per_10k"])
        if np.isfinite(r).any():
            i = int(np.nanargmax(r))
            code = df[code_column(ctx, df)].iloc[i] if code_column(ctx, df) else i
            lo, hi = numbers(df["rate_lcl"])[i], numbers(df["rate_ucl"])[i]
            c = cnt[i] if cnt is not None else np.nan
            pop = numbers(df["population"])[i] if "population" in df.columns else np.nan
            out.append(Finding(
                f"The highest rate was in {ctx.area_name(code)}: {r[i]:,.1f} per 10,000 "
                f"residents (95% CI {lo:,.1f}–{hi:,.1f}; {whole(c)} {ctx.subject} among "
                f"{whole(pop)} residents).",
                values={"code": str(code), "rate": r[i], "lcl": lo, "ucl": hi, "count": c}))
            ok = np.isfinite(r) & (r > 0)
            wide = int((ok & ((numbers(df["rate_ucl"]) - numbers(df["rate_lcl"])) > r)).sum())
            if ok.sum() and wide / ok.sum() > 0.5:
                out.append(Finding(f"Wide intervals: {wide} of the {int(ok.sum())} published "
                                   "non-zero rates have a 95% interval wider than the rate "
                                   "itself.", True, {"wide": wide}))
    elif cnt is not None and np.isfinite(cnt).any():
        i = int(np.nanargmax(cnt))
        code = df[code_column(ctx, df)].iloc[i] if code_column(ctx, df) else i
        out.append(Finding(f"The most were in {ctx.area_name(code)}: {whole(cnt[i])} "
                           f"{ctx.subject}.", values={"code": str(code), "count": cnt[i]}))
    return out + small_count_findings(ctx, df)


def _concentration_rows(ctx, df) -> list[Finding]:
    out = []
    for _, row in df.iterrows():
        flag = str(row.get("flag", ""))
        if not flag.startswith("most_deprived_"):
            continue
        share, n_in, n = row.get("share"), row.get("n_in"), row.get("n")
        ps, ratio = row.get("population_share"), row.get("ratio")
        lo, hi = row.get("ci_low"), row.get("ci_high")
        if any(pd.isna(v) for v in (share, n_in, n, ps, ratio)):
            out.append(Finding(f"The share of {row.get('layer')} in the {flag[-2:]}% most "
                               "deprived areas is suppressed (small numbers).", True))
            continue
        who = ctx.subject if df["layer"].nunique() == 1 else \
            str(row.get("layer")).replace("_", " ")
        ci = f", 95% CI {lo:.1f}–{hi:.1f}" if not (pd.isna(lo) or pd.isna(hi)) else ""
        text = (f"{pct(share)} of {who} ({whole(n_in)} of {whole(n)}) were in the {flag[-2:]}% "
                f"most deprived {ctx.areas_word()}, which hold {pct(ps)} of residents: "
                f"{ratio:.1f} times their share{ci}.")
        out.append(Finding(text, values={"share": share, "n_in": n_in, "n": n,
                                         "population_share": ps, "ratio": ratio,
                                         "ci_low": lo, "ci_high": hi, "flag": flag}))
        if not pd.isna(lo) and lo <= 1 <= hi:
            out.append(Finding(f"For the {flag[-2:]}% most deprived, the interval includes 1: "
                               "no clear over-representation.", True))
        if n_in < 20:
            out.append(Finding(f"Only {whole(n_in)} {who} fall in the {flag[-2:]}% most deprived "
                               "areas: the share is fragile.", True))
    return out


@finder("concentration")
def _concentration(ctx) -> list[Finding]:
    return _concentration_rows(ctx, ctx.main.data)


@finder("deprivation")
def _deprivation(ctx) -> list[Finding]:
    out = []
    df = ctx.main.data
    if "most_deprived_20" in df.columns:
        k = int(pd.Series(df["most_deprived_20"]).fillna(False).astype(bool).sum())
        out.append(Finding(f"{k} of {len(df)} {ctx.areas_word()} are among the 20% most "
                           "deprived in England (IMD).", values={"k": k, "n": len(df)}))
    conc = ctx.table("_concentration")
    if conc is not None:
        out += _concentration_rows(ctx, conc)
    return out


@finder("gistar")
def _gistar(ctx) -> list[Finding]:
    df = ctx.main.data
    b = numbers(df["gi_bin"]) if "gi_bin" in df.columns else np.array([])
    n = len(df)
    hot = {k: int((b == k).sum()) for k in (1, 2, 3)}
    cold = int((b < 0).sum())
    fdr = (ctx.meta.get("params") or {}).get("fdr", True)
    adj = " (false discovery rate controlled)" if fdr else ""
    text = (f"{sum(hot.values())} of {n} {ctx.areas_word()} are hot spots of {ctx.subject} at "
            f"90% confidence or more{adj}: {hot[3]} at 99%, {hot[2]} at 95%, {hot[1]} at 90%; "
            f"{cold} are cold spots.")
    out = [Finding(text, values={"hot": sum(hot.values()), "cold": cold, "n": n,
                                 "hot99": hot[3]})]
    if "value" in df.columns:
        v = numbers(df["value"])
        zero = int((v == 0).sum())
        if n and zero / n > 0.5:
            out.append(Finding(f"Most {ctx.areas_word()} ({zero} of {n}) have no {ctx.subject}: "
                               "hot spots on such sparse counts are fragile.", True))
    return out


@finder("lisa")
def _lisa(ctx) -> list[Finding]:
    df = ctx.main.data
    c = pd.Series(df.get("lisa_cluster", pd.Series(dtype=object))).astype(str)
    sig = c[~c.isin(["Not significant", "nan", "None"])]
    counts = sig.value_counts()
    parts = ", ".join(f"{v} {k}" for k, v in counts.items()) or "none"
    return [Finding(f"Local Moran's I finds {len(sig)} of {len(df)} {ctx.areas_word()} in "
                    f"significant clusters or outliers of {ctx.subject}: {parts}.",
                    values={"significant": len(sig), "n": len(df)})]


@finder("change")
def _change(ctx) -> list[Finding]:
    df = ctx.main.data
    col = "trend" if "trend" in df.columns else "hotspot_class" if "hotspot_class" in \
        df.columns else None
    out = [Finding(s.rstrip(".") + ".") for s in ctx.meta.get("summary") or []][:1]
    if col:
        vc = pd.Series(df[col]).astype(str).value_counts()
        quiet = {"no significant change", "no pattern", "nan", "None"}
        parts = ", ".join(f"{v} {k}" for k, v in vc.items() if k not in quiet)
        out.append(Finding(f"Of {len(df)} {ctx.areas_word() if col == 'trend' else 'cells'}: "
                           f"{parts or 'none changed significantly'}.",
                           values={str(k): int(v) for k, v in vc.items()}))
    return out


@finder("funnel")
def _funnel(ctx) -> list[Finding]:
    df = ctx.table() if ctx.table() is not None else ctx.layers[0].data
    if "outside" not in getattr(df, "columns", []):
        return []
    areas = df[df.get("group", "area") == "area"] if "group" in df.columns else df
    vc = areas["outside"].astype(str).value_counts()
    hi = int(sum(v for k, v in vc.items() if k.startswith("high 99.8")))
    lo = int(sum(v for k, v in vc.items() if k.startswith("low 99.8")))
    return [Finding(f"Against the funnel's 99.8% limits, {hi} of {len(areas)} areas have "
                    f"unusually high rates and {lo} unusually low.",
                    values={"high": hi, "low": lo, "n": len(areas)})]


@finder("breakdown")
def _breakdown(ctx) -> list[Finding]:
    out = []
    for lyr in ctx.layers:
        df = lyr.data
        if not hasattr(df, "columns") or not {"group", "pct", "count"} <= set(df.columns):
            continue
        field_name = lyr.name[len(ctx.analysis) + 1:].replace("_", " ")
        p = numbers(df["pct"])
        total = df["group"].astype(str).str.lower().isin(["total", "all"]).to_numpy()
        p[total] = np.nan  # the table's total row is not a group
        if not np.isfinite(p).any():
            continue
        i = int(np.nanargmax(p))
        bn = numbers(df["base_n"])[i] if "base_n" in df.columns else np.nan
        lo = numbers(df["pct_ci_low"])[i] if "pct_ci_low" in df.columns else np.nan
        hi = numbers(df["pct_ci_high"])[i] if "pct_ci_high" in df.columns else np.nan
        out.append(Finding(f"By {field_name}, the largest group is {df['group'].iloc[i]}: "
                           f"{p[i]:.1f}% of {ctx.subject} ({whole(numbers(df['count'])[i])} of "
                           f"{whole(bn)}, 95% CI {lo:.1f}–{hi:.1f}).",
                           values={"field": field_name, "pct": p[i]}))
        hidden = int(np.isnan(numbers(df["count"])).sum())
        if hidden:
            out.append(Finding(f"By {field_name}, {hidden} group counts are suppressed.", True))
    return out


@finder("coverage", "whatif")
def _coverage(ctx) -> list[Finding]:
    out = []
    df = ctx.main.data
    if "gap_class" in getattr(df, "columns", []):
        gaps = int((df["gap_class"].astype(str) == "gap").sum())
        out.append(Finding(f"{gaps} of {len(df)} {ctx.areas_word()} have high need and low "
                           "access to services (gap areas).", values={"gaps": gaps}))
    if "nearest_service_m" in getattr(df, "columns", []):
        d = numbers(df["nearest_service_m"])
        out.append(Finding(f"Half of the {ctx.areas_word()} are within {np.nanmedian(d):,.0f} m "
                           "of a service (median distance).", values={"median_m": np.nanmedian(d)}))
    summ = ctx.table("_summary")
    if summ is not None and {"gap_areas_before", "gap_areas_after"} <= set(summ.columns):
        r = summ.iloc[0]
        out.append(Finding(f"The change takes the services from {whole(r['services_before'])} to "
                           f"{whole(r['services_after'])} and the gap areas from "
                           f"{whole(r['gap_areas_before'])} to {whole(r['gap_areas_after'])}."))
    return out


@finder("pai")
def _pai(ctx) -> list[Finding]:
    df = ctx.main.data
    if not {"pai", "hit_rate"} <= set(getattr(df, "columns", [])):
        return []
    r = df.iloc[0]
    return [Finding(f"The top {r['top_percent']:g}% of the area ({r['hot_km2']:.1f} km²) held "
                    f"{pct(r['hit_rate'])} of the later {ctx.subject} ({whole(r['n_hot'])} of "
                    f"{whole(r['n_total'])}, 95% CI {pct(r['hit_rate_lcl'])}–"
                    f"{pct(r['hit_rate_ucl'])}): a PAI of {r['pai']:.1f}.",
                    values={"pai": r["pai"], "hit_rate": r["hit_rate"]})]


@finder("venues")
def _venues(ctx) -> list[Finding]:
    s = ctx.table("_summary")
    if s is None or not len(s):
        return []
    r = s.iloc[0]
    return [Finding(f"{pct(r['pct_near_any'] / 100)} of {ctx.subject} "
                    f"({whole(r['events_near_any'])} of {whole(r['n_events'])}) were within {r['radius_m']:g} m of the "
                    f"{whole(r['n_venues'])} venues, which cover {r['expected_pct_area']:.1f}% of "
                    f"the area: {r['ratio_area']:.1f} times their share.")]


@finder("crackhouses")
def _crackhouses(ctx) -> list[Finding]:
    s = ctx.table("_status_counts")
    if s is None or not len(s):
        return []
    r = s.iloc[0]
    bits = [f"{r[c]} {c}" for c in ("active", "closed", "reopened") if c in s.columns]
    return [Finding(f"On {r.get('date', 'the census date')}: " + ", ".join(map(str, bits))
                    + " premises.")]


@finder("trend")
def _trend(ctx) -> list[Finding]:
    m = ctx.table("_monthly")
    if m is None or "count" not in m.columns or not len(m):
        return []
    c = numbers(m["count"])
    if not np.isfinite(c).any():
        return []
    i = int(np.nanargmax(c))
    month = pd.to_datetime(m["month"].iloc[i])
    return [Finding(f"{ctx.subject[:1].upper() + ctx.subject[1:]} per month ranged from "
                    f"{whole(np.nanmin(c))} to {whole(c[i])} (highest in {month:%B %Y}); "
                    f"median {np.nanmedian(c):,.0f} a month over {len(c)} months.",
                    values={"max": c[i], "min": np.nanmin(c)})]


def analysis_findings(analysis: str, layers, pool, *, threshold: int = 5) -> list[Finding]:
    """The key findings of one analysis from its published layers (empty when none apply).

    Parameters
    ----------
    analysis : str
        The analysis's name (its main result's layer name).
    layers : list of Layer
        Its published layers (after disclosure control).
    pool : list of Layer
        Every layer of the run (for area names and geographies).
    threshold : int
        The run's small-number threshold.
    """
    layers = [lyr for lyr in layers if lyr is not None]
    if not layers:
        return []
    kind = (layers[0].meta or {}).get("kind") or ""
    ctx = FindingContext(analysis, kind, layers, list(pool), threshold or 5)
    fn = FINDERS.get(kind)
    try:
        out = fn(ctx) if fn is not None else []
    except (KeyError, ValueError, TypeError, IndexError):
        out = []  # a result without the expected columns gets the general sentence only
    if not out:
        base = base_text(ctx)
        summary = [str(s).split(": ", 1)[1] if str(s).startswith(f"{kind}: ") else str(s)
                   for s in ctx.meta.get("summary") or [] if s]
        summary = [s[:1].upper() + s[1:] for s in summary]
        out = [Finding(s.rstrip(".") + ".") for s in summary[:2]] or \
            ([Finding(f"{ctx.meta.get('title') or analysis}: {base}.")] if base else [])
    return out
