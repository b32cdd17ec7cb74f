"""House-style charts of the audit questions: breakdowns, lifecycles, needles, venues.

Each function takes the result of its audit question (:mod:`mapping.audit.demographics`,
:mod:`mapping.audit.lifecycle`, :mod:`mapping.audit.needles`, :mod:`mapping.audit.venues`)
and returns a :class:`matplotlib.figure.Figure` drawn with :mod:`mapping.render.charts`
(no pyplot).  The trend charts are in :mod:`mapping.render.charts_trends`, the funnel plot
in :mod:`mapping.render.charts_funnel`.

Public functions: :func:`breakdown_chart`, :func:`lifecycle_chart`,
:func:`needle_response_chart`, :func:`venue_chart`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mapping.audit.demographics import NOT_RECORDED
from mapping.audit.lifecycle import DAYS_PER_MONTH
from mapping.audit.survival import KMResult
from mapping.audit.venues import VenueResult
from mapping.render.charts import (PALETTE, chart_figure, chart_finish, format_n, label_width_in,
                                   legend_above, plural)

__all__ = ["breakdown_chart", "lifecycle_chart", "needle_response_chart", "venue_chart"]


def breakdown_chart(table: pd.DataFrame, *, title: str | None = None, units: str = "records",
                    source: str | None = None):
    """Horizontal bars of each group's percentage with its Wilson interval (house style).

    Suppressed groups are drawn without a bar and labelled with the
    suppression label (e.g. ``"<5"``); the ``Total`` row is left out.

    Parameters
    ----------
    table : DataFrame
        :func:`mapping.audit.demographics.breakdown` output.
    title, units, source
        Title (default "<units> by <field>"), what is counted, attribution.

    Returns
    -------
    matplotlib.figure.Figure
    """
    meta = table.attrs.get("meta", {})
    t = table[(table["group"] != "Total") & (table["group"] != NOT_RECORDED)]
    fig, ax = chart_figure(height_cm=min(24, 5.5 + 0.6 * max(len(t), 3)))
    y = np.arange(len(t))[::-1]
    pct = t["pct"].fillna(0).to_numpy(float)
    ax.barh(y, pct, color=PALETTE["main"], height=0.65)
    lo = (t["pct"] - t["pct_ci_low"]).fillna(0).to_numpy(float)
    hi = (t["pct_ci_high"] - t["pct"]).fillna(0).to_numpy(float)
    ok = ~t["suppressed"].to_numpy(bool)
    ax.errorbar(pct[ok], y[ok], xerr=[lo[ok], hi[ok]], fmt="none", ecolor=PALETTE["text"],
                elinewidth=1, capsize=2.5)
    for yi, row, h in zip(y, t.itertuples(index=False), hi):
        txt = row.display_count if row.suppressed else \
            f"{row.pct:.1f}% ({row.display_count})"
        x = 0 if row.suppressed else row.pct + h
        ax.annotate(txt, (x, yi), xytext=(4, 0), textcoords="offset points", va="center",
                    fontsize=7.8, color=PALETTE["grey"] if row.suppressed else PALETTE["text"])
    labels = [str(g) for g in t["group"]]
    ax.set_yticks(y, labels, fontsize=8)
    ax.grid(True, axis="x", color="#E5E5E5")
    ax.grid(False, axis="y")
    ax.set_xlim(0, min(100, max(10.0, float(np.nanmax(t["pct_ci_high"].to_numpy(float))
                                             if len(t) and ok.any() else 10)) * 1.25))
    ax.set_xlabel(f"% of {units} with the field recorded")
    by = str(meta.get("params", {}).get("by", "group")).replace("_", " ")
    title = title or f"{units[:1].upper() + units[1:]} by {by}"
    sub = f"{format_n(meta.get('base_n'))} {units} with {by} recorded"
    if meta.get("n_not_recorded"):
        sub += f" · {meta['n_not_recorded']:,} not recorded"
    cap = ("Bars: percentage of records in each group; whiskers: 95% Wilson score interval. "
           + " ".join(meta.get("notes", [])))
    return chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source,
                        legend_row=False, left_in=label_width_in(labels, 8) + 0.1)


def lifecycle_chart(km: KMResult, closures: pd.DataFrame | None = None, *,
                    title: str | None = None, source: str | None = None, threshold: int = 0):
    """Reopening curve (1 - Kaplan-Meier) with its interval, and closures per quarter.

    Parameters
    ----------
    km : KMResult
        :func:`mapping.audit.lifecycle.lifecycle_reopening` output.
    closures : DataFrame, optional
        :func:`mapping.audit.lifecycle.lifecycle_closures` output, drawn as a second panel.
    title, source : str, optional
        Title and attribution line.
    threshold : int
        Disclosure control: a quarter with 1 to ``threshold - 1`` closure orders has no
        bar and is labelled ``"<threshold"`` (0 = off; the step passes the project's).

    Returns
    -------
    matplotlib.figure.Figure
    """
    units = km.meta.get("params", {}).get("units", "days")
    two = closures is not None and len(closures) > 1
    fig, axes = chart_figure(height_cm=14.0 if two else 10.0, nrows=2 if two else 1,
                             height_ratios=[1.6, 1] if two else None)
    ax = axes[0] if two else axes
    tab = km.table
    ax.step(tab["time"], tab["cumulative"] * 100, where="post", color=PALETTE["main"], lw=2,
            label="Reopened (Kaplan-Meier)")
    ax.fill_between(tab["time"], (1 - tab["ci_high"]) * 100, (1 - tab["ci_low"]) * 100,
                    step="post", color=PALETTE["sky"], alpha=0.3, lw=0, label="95% interval")
    cens = tab[tab["censored"] > 0]
    ax.plot(cens["time"], cens["cumulative"] * 100, "|", color=PALETTE["text"], ms=8,
            label="Censored (still closed)")
    for m in (3, 6, 12):
        x = m * DAYS_PER_MONTH if units == "days" else m
        if x <= tab["time"].max() * 1.05:
            ax.axvline(x, color=PALETTE["light"], lw=1, zorder=0)
            ax.text(x, 99, f" {m} m", fontsize=7.5, color=PALETTE["grey"], va="top")
    ax.set_ylim(0, 100)
    ax.set_xlim(0, max(1.0, float(tab["time"].max())) * 1.02)
    ax.set_ylabel("% reopened")
    ax.set_xlabel(f"{units} since closure order")
    ax.legend(loc="lower right", frameon=True, framealpha=0.9, edgecolor="#DDDDDD", fontsize=8)
    if two:
        ax2 = axes[1]
        q = closures[closures["quarter"] != "All"]
        n = q["closures"].to_numpy()
        small = (n > 0) & (n < threshold) if threshold else np.zeros(len(n), bool)
        shown = np.where(small, 0, n)  # a hidden count has no bar: its height would tell it
        ax2.bar(q["quarter"], shown, color=PALETTE["second"], width=0.6)
        for i, (c, hid) in enumerate(zip(n, small)):
            ax2.annotate(f"<{threshold}" if hid else f"{c:,}", (i, 0 if hid else c),
                         xytext=(0, 2), textcoords="offset points", ha="center", fontsize=7.5)
        ax2.set_ylabel("closure orders")
        ax2.set_ylim(0, max(1, shown.max(), threshold if small.any() else 0) * 1.25)
        ax2.tick_params(axis="x", rotation=45 if len(q) > 8 else 0)
        for lab in ax2.get_xticklabels():
            lab.set_fontsize(7.5)
    med = "not reached" if not np.isfinite(km.median) else f"{km.median:,.0f} {units}"
    title = title or "Crack-house premises: time from closure order to reopening"
    sub = (f"{format_n(km.n)} closures · {km.n_events:,} reopened, {km.n - km.n_events:,} still "
           f"closed (censored) · median time to reopening {med}")
    census = km.meta.get("params", {}).get("census_date", "")
    cap = (f"Kaplan-Meier estimate of the share reopened, with 95% Greenwood log(-log) interval; "
           f"premises still closed at the census date {census} are censored there."
           + (" Lower panel: closure orders per quarter." if two else ""))
    fig.subplots_adjust(hspace=0.45)
    return chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source,
                        legend_row=False)


def needle_response_chart(summary, *, title: str | None = None, source: str | None = None):
    """Monthly median and 90th-percentile response with the target and share within it.

    Parameters
    ----------
    summary : DataFrame
        :func:`mapping.audit.needles.needle_response_summary` output with ``by="month"``.
    title, source : str, optional
        Title and attribution line.

    Returns
    -------
    matplotlib.figure.Figure
    """
    meta = summary.attrs.get("meta", {})
    target = meta.get("params", {}).get("target_hours", 24.0)
    t = summary[summary.iloc[:, 0] != "All"]
    t = t[t.iloc[:, 0] != "no report date"]
    fig, (ax, ax2) = chart_figure(height_cm=14.0, nrows=2, sharex=True, height_ratios=[1.6, 1])
    x = np.arange(len(t))
    ax.bar(x, t["median_hours"].fillna(0), color=PALETTE["main"], width=0.6,
           label="Median response")
    ax.plot(x, t["p90_hours"], "D", color=PALETTE["second"], ms=4.5, label="90th percentile")
    ax.axhline(target, color=PALETTE["alert"], ls="--", lw=1.3, label=f"Target {target:g} h")
    ax.set_ylabel("hours from report to collection")
    top = np.nanmax(np.r_[t["p90_hours"].to_numpy(float), target, 1])
    ax.set_ylim(0, top * 1.15)
    legend_above(ax)
    ax2.bar(x, t["pct_within_target"].fillna(0), color=PALETTE["third"], width=0.6)
    for xi, (p, k) in enumerate(zip(t["pct_within_target"], t["collected"])):
        if p == p and len(t) <= 18:
            ax2.annotate(f"{p:.0f}%", (xi, p), xytext=(0, 2), textcoords="offset points",
                         ha="center", fontsize=7, color=PALETTE["text"])
    ax2.set_ylim(0, 115)
    ax2.set_ylabel(f"% within {target:g} h")
    labels = [pd.Period(m).strftime("%b\n%Y") if m[:4].isdigit() else m
              for m in t.iloc[:, 0].astype(str)]
    step = 1 if len(t) <= 18 else 3
    ax2.set_xticks(x[::step], labels[::step])
    for lab in ax2.get_xticklabels():
        lab.set_fontsize(7.5)
    fig.subplots_adjust(hspace=0.15)
    allrow = summary[summary.iloc[:, 0] == "All"]
    title = title or "Needle-find collection response times by month"
    sub = f"{format_n(meta.get('base_n'))} reports · {meta.get('n_collected', 0):,} collected"
    if len(allrow):
        a = allrow.iloc[0]
        sub += (f" · median {a['median_hours']:.1f} h, 90th percentile {a['p90_hours']:.1f} h, "
                f"{a['pct_within_target']:.0f}% within {target:g} h")
    miss = int(summary.loc[summary.iloc[:, 0] == "All", "no_collection_time"].sum()) \
        if len(allrow) else 0
    cap = ("Response = collection time minus report time. Median and 90th percentile over "
           "collected reports (linear interpolation). Share within target is of collected "
           f"reports; {miss:,} report(s) with no collection time are flagged and not in the "
           "time statistics.")
    return chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source)


def venue_chart(result: VenueResult, *, top: int = 15, title: str | None = None,
                units: str = "events", venue_kind: str = "venue", source: str | None = None,
                threshold: int = 0):
    """Ranked bar chart of events within the radius of each venue (house style).

    Parameters
    ----------
    result : VenueResult
        :func:`mapping.audit.venues.venue_activity` output.
    top : int
        Number of venues shown (the most events first).
    title, units, venue_kind, source
        Title (default built from units, radius and venue kind), what is
        counted, what the venues are, attribution line.
    threshold : int
        Disclosure control for sensitive events: counts from 1 to
        ``threshold - 1`` are drawn without a bar and labelled ``"<threshold"``
        (0 = off).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.ticker import MaxNLocator

    t = result.table.head(top)
    s = result.summary
    height = 4.5 + 0.55 * max(len(t), 3)
    fig, ax = chart_figure(height_cm=min(height, 24))
    y = np.arange(len(t))[::-1]
    small = ((t["events"] > 0) & (t["events"] < threshold)).to_numpy()
    ax.barh(y, np.where(small, 0, t["events"]), color=PALETTE["main"], height=0.7)
    for yi, c, sh, sm in zip(y, t["events"], t["share_of_events"], small):
        txt = f"<{threshold}" if sm else \
            f"{c:,} ({'<0.1' if 0 < sh < 0.1 else f'{sh:.1f}'}%)"
        ax.annotate(txt, (0 if sm else c, yi), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=7.8, color=PALETTE["grey"] if sm else PALETTE["text"])
    labels = [v if len(v) <= 42 else v[:40] + "…" for v in t["venue"]]
    ax.set_yticks(y, labels, fontsize=7.8)
    ax.grid(True, axis="x", color="#E5E5E5")
    ax.grid(False, axis="y")
    ax.set_xlim(0, max(1, float(t["events"].max() if len(t) else 1)) * 1.25)
    ax.set_xlabel(f"{units} within {s['radius_m']:g} m")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    kinds = plural(venue_kind)
    title = title or f"{units[:1].upper() + units[1:]} within {s['radius_m']:g} m of each " \
                     f"{venue_kind}"
    sub = (f"{format_n(s['n_events'])} {units} · {s['n_venues']:,} {kinds} · "
           f"{s['events_near_any']:,} ({s['pct_near_any']:.1f}%) within {s['radius_m']:g} m of "
           f"any {venue_kind}")
    parts = []
    if "expected_pct_area" in s:
        parts.append(f"{s['expected_pct_area']:.1f}% expected if spread evenly over the study "
                     f"area (ratio {s['ratio_area']:.2f}, exact binomial p = {s['p_area']:.2g})")
    if "expected_pct_population" in s:
        parts.append(f"{s['expected_pct_population']:.1f}% expected if spread like the "
                     f"population (ratio {s['ratio_population']:.2f}, p = "
                     f"{s['p_population']:.2g})")
    cap = (f"Top {len(t)} of {s['n_venues']} {kinds} by {units} within {s['radius_m']:g} m "
           "(k-d tree, inclusive); an event near two venues counts for both bars but once in "
           "the total. " + "; ".join(parts) + "."
           + (f" Counts of 1 to {threshold - 1} are shown as <{threshold} (disclosure control)."
              if threshold > 1 and small.any() else ""))
    return chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source,
                        legend_row=False, left_in=label_width_in(labels) + 0.1)
