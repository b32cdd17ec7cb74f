"""House-style charts of the pattern analyses: near repeats, time profiles, repeat
locations, intervention evaluation and emerging hot spot classes.

Each function takes the result of its analysis (:mod:`mapping.stats.nearrepeat`,
:mod:`mapping.stats.timeprofile`, :mod:`mapping.stats.repeats`, :mod:`mapping.stats.evaluate`,
:mod:`mapping.stats.emerging`) and returns a :class:`matplotlib.figure.Figure`
drawn with :mod:`mapping.render.charts` (no pyplot).  ``threshold`` is disclosure
control for sensitive records: counts from 1 to ``threshold − 1`` are shown
as ``"<threshold"`` (0 = off); the step passes the project's threshold.

Public functions: :func:`knox_chart`, :func:`timeprofile_chart`,
:func:`repeats_chart`, :func:`evaluation_chart`, :func:`emerging_chart`.
"""

from __future__ import annotations

import numpy as np

from mapping.render.charts import PALETTE, chart_figure, chart_finish, format_n, label_width_in

__all__ = ["knox_chart", "timeprofile_chart", "repeats_chart", "evaluation_chart",
           "emerging_chart"]


def _stars(p: float) -> str:
    """Monte Carlo p-values: p = 1/(permutations + 1) is the smallest, so the cut points
    are inclusive (999 permutations can reach p ≤ 0.001)."""
    return "***" if p <= 0.001 else "**" if p <= 0.01 else "*" if p <= 0.05 else ""


def _small(v, threshold) -> bool:
    return bool(threshold) and 0 < v < threshold


def knox_chart(result, *, title: str | None = None, source: str | None = None,
               units: str = "events", threshold: int = 0):
    """Knox ratios by distance band (rows) and time band (columns), stars for p-values.

    Parameters
    ----------
    result : KnoxResult
        :func:`mapping.stats.nearrepeat.near_repeat_knox` output.
    title, source, units
        Title, attribution line, what the events are.
    threshold : int
        Bands with 1 to ``threshold − 1`` pairs show ``"<threshold pairs"`` and no
        ratio (the ratio and the expected count would give the count back); 0 = off.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.colors import LogNorm

    ratio = result.wide("knox_ratio").to_numpy(float)
    p = result.wide("p_value").to_numpy(float)
    obs = result.wide("observed").to_numpy(float)
    nd, nt = ratio.shape
    left = label_width_in(result.distance_labels, 8.5) + 0.3
    fig, ax = chart_figure(height_cm=4.2 + 1.05 * nd)
    hidden = np.vectorize(lambda v: _small(v, threshold))(obs) if obs.size else obs > 0
    shown = np.where(np.isfinite(ratio) & (ratio > 0) & ~hidden, ratio, np.nan)
    img = ax.imshow(np.clip(shown, 0.5, 2.0), cmap="RdBu_r", norm=LogNorm(0.5, 2.0),
                    aspect="auto")
    for a in range(nd):
        for b in range(nt):
            r = ratio[a, b]
            none = not np.isfinite(r) or obs[a, b] == 0 or hidden[a, b]
            txt = "–" if none else f"{r:.2f}{_stars(p[a, b])}"
            dark = not none and (r > 1.6 or r < 0.62)
            colour = "white" if dark else PALETTE["text"]
            ax.text(b, a - 0.08, txt, ha="center", va="center", fontsize=8.5, color=colour,
                    fontweight="bold" if p[a, b] <= 0.05 and not none else "normal")
            pairs = f"<{threshold} pairs" if hidden[a, b] else \
                f"{obs[a, b]:,.0f} pair" + ("" if obs[a, b] == 1 else "s")
            ax.text(b, a + 0.28, pairs, ha="center", va="center", fontsize=6.3,
                    color=colour if dark else PALETTE["grey"])
    ax.set_xticks(range(nt), result.time_labels, fontsize=8)
    ax.set_yticks(range(nd), result.distance_labels, fontsize=8)
    ax.tick_params(length=0)
    ax.grid(False)
    for s in ax.spines.values():
        s.set_visible(False)
    ax.set_xlabel("time between the two events")
    cb = fig.colorbar(img, ax=ax, fraction=0.04, pad=0.02)
    from matplotlib.ticker import FixedLocator, NullLocator

    cb.ax.yaxis.set_major_locator(FixedLocator([0.5, 0.75, 1, 1.5, 2]))
    cb.ax.yaxis.set_minor_locator(NullLocator())
    cb.ax.set_yticklabels(["≤0.5", "0.75", "1", "1.5", "≥2"], fontsize=7.5)
    cb.set_label("Knox ratio (observed / expected)", fontsize=8)
    m = result.meta
    title = title or f"Near repeats: are {units} close in space also close in time?"
    sub = (f"{m.get('period', '')} · {format_n(m['base_n'])} {units} · "
           f"{m['pairs']:,} pairs · {m['params']['permutations']} permutations")
    cap = ("Each cell: pairs of events at that distance and time apart, divided by the number "
           "expected if times were unrelated to places (the row total × column total / all "
           "pairs). Above 1 (red): more pairs than chance, a near-repeat pattern. "
           "* p ≤ 0.05, ** p ≤ 0.01, *** p ≤ 0.001 (one-sided Monte Carlo test, event times "
           "permuted across locations; Ratcliffe's Near Repeat Calculator method). "
           "– = no pairs. A ratio from a handful of pairs (the count under it) is fragile."
           + (f" Bands with 1 to {threshold - 1} pairs show no ratio (disclosure control)."
              if threshold > 1 and hidden.any() else ""))
    chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source,
                 legend_row=False, left_in=left)
    fig.subplots_adjust(right=0.9)  # room for the colour bar's labels
    return fig


def timeprofile_chart(profile, *, title: str | None = None, source: str | None = None,
                      units: str = "events", threshold: int = 0):
    """Hour × weekday heat map with the hour-of-day totals above and weekday totals beside.

    Parameters
    ----------
    profile : TimeProfile
        :func:`mapping.stats.timeprofile.time_profile` output.
    title, source, units
        Title, attribution, what is counted.
    threshold : int
        Cells from 0 to ``threshold`` (exclusive, non-zero) are drawn hatched
        and labelled ``<threshold`` (sensitive records); 0 = off.  Not applied
        when every record is a time window (the cells are then shares of
        records, not counts; the profile's ``count_columns`` is empty).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import Rectangle

    from mapping.stats.timeprofile import HOUR_COLUMNS, WEEKDAYS

    grid = profile.table[HOUR_COLUMNS].to_numpy(float)
    if not profile.meta.get("count_columns"):
        threshold = 0
    fig, (top, ax) = chart_figure(height_cm=11.5, nrows=2, height_ratios=[1, 2.6])
    fig.subplots_adjust(hspace=0.08)
    by_hour = grid.sum(axis=0)
    top.bar(np.arange(24), by_hour, color=PALETTE["main"], width=0.8)
    top.set_xlim(-0.5, 23.5)
    top.set_xticks([])
    top.set_ylabel(f"{units}\nper hour", fontsize=8)
    small = (grid > 0) & (grid < threshold) if threshold else np.zeros_like(grid, bool)
    shown = np.where(small, np.nan, grid)
    finite = shown[np.isfinite(shown)]
    lo_c = float(finite.min()) if len(finite) else 0.0
    hi_c = float(finite.max()) if len(finite) else 1.0
    ax.imshow(shown, cmap="YlOrRd", aspect="auto", vmin=lo_c, vmax=max(hi_c, lo_c + 1e-9))
    if small.any():
        rr, cc = np.nonzero(small)
        for r, c in zip(rr, cc):
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="#f0f0f0", hatch="///",
                                   edgecolor="#bdbdbd", lw=0))
    whole = np.allclose(grid, np.round(grid))
    for r in range(7):
        for c in range(24):
            v = grid[r, c]
            if small[r, c]:
                txt = f"<{threshold}"
            else:
                txt = f"{v:.0f}" if (whole or v >= 10) else f"{v:.1f}"
            ax.text(c, r, txt, ha="center", va="center", fontsize=6.2,
                    color="white" if hi_c > lo_c and v > lo_c + 0.65 * (hi_c - lo_c)
                    and not small[r, c]
                    else PALETTE["text"])
    ax.set_yticks(range(7), [d[:3] for d in WEEKDAYS], fontsize=8)
    ax.set_xticks(range(24), HOUR_COLUMNS, fontsize=7.5)
    ax.set_xlabel("hour of the day (start of the hour, UK clock time)")
    ax.tick_params(length=0)
    ax.grid(False)
    for s in ax.spines.values():
        s.set_visible(False)
    totals = profile.table["total"].to_numpy(float)
    for r, t in enumerate(totals):
        txt = f"<{threshold}" if _small(t, threshold) else f"{t:,.0f}"
        ax.text(24.0, r, txt, ha="left", va="center", fontsize=7.5, color=PALETTE["grey"])
    ax.text(24.0, -0.8, "total", ha="left", va="center", fontsize=7.5, color=PALETTE["grey"])
    m = profile.meta
    title = title or f"{units[:1].upper() + units[1:]} by hour of the day and day of the week"
    sub = f"{m.get('period', '')} · {format_n(m['base_n'])} {units}"
    if m.get("n_windows"):
        sub += f" ({m['n_windows']:,} with a time window)"
    cap = ("Cells: " + units + " in each hour of each weekday" + (" (a window's share)"
                                                                   if m.get("n_windows") else "")
           + "; colours run from the lowest to the highest cell; bars above: all weekdays "
           "together; right: weekday totals.")
    if m.get("n_windows"):
        cap += (" Records known only to have happened between two times are shared over the "
                "hours of their window " + ("in equal parts" if m["params"]["method"] == "hours"
                                            else "in proportion to the time in each hour")
                + " (aoristic analysis, Ratcliffe 2002), so cells can hold fractions.")
    if threshold:
        cap += f" Hatched: fewer than {threshold}, not shown (disclosure control)."
    for n in m.get("notes", [])[:2]:
        cap += f" {n[:1].upper() + n[1:]}."
    chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source,
                 legend_row=False, left_in=0.65)
    fig.subplots_adjust(right=0.92)  # room for the weekday totals
    return fig


def repeats_chart(result, *, title: str | None = None, source: str | None = None,
                  units: str = "events", location_kind: str = "locations"):
    """Concentration curve: cumulative share of events against share of locations.

    Parameters
    ----------
    result : RepeatResult
        :func:`mapping.stats.repeats.repeat_locations` output.
    title, source, units, location_kind
        Title, attribution, what is counted, what the locations are.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x, y = result.curve()
    s = result.summary
    fig, ax = chart_figure(height_cm=11.0)
    ax.plot([0, 100], [0, 100], color=PALETTE["grey"], lw=1, ls="--",
            label="every location the same")
    ax.plot(100 * x, 100 * y, color=PALETTE["main"], lw=2.2, label="observed")
    t20, l80 = s["top20_events_pct"], s["locations_for_80_pct"]
    ax.plot([20, 20, 0], [0, t20, t20], color=PALETTE["second"], lw=1.2)
    ax.plot([l80, l80, 0], [0, 80, 80], color=PALETTE["alert"], lw=1.2)
    ax.scatter([20, l80], [t20, 80], color=[PALETTE["second"], PALETTE["alert"]], zorder=3, s=22)
    ax.annotate(f"top 20% of {location_kind}: {t20:.0f}% of {units}", (20, t20),
                xytext=(8, -14), textcoords="offset points", fontsize=8,
                color=PALETTE["second"])
    ax.annotate(f"{l80:.0f}% of {location_kind} hold 80% of {units}", (l80, 80),
                xytext=(8, -14), textcoords="offset points", fontsize=8, color=PALETTE["alert"])
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 102)
    ax.set_xlabel(f"% of {location_kind}, most {units} first")
    ax.set_ylabel(f"cumulative % of {units}")
    ax.grid(True, axis="both", color="#E5E5E5")
    ax.legend(loc="lower right", frameon=False, fontsize=8.5)
    m = result.meta
    title = title or f"Repeat {location_kind}: how concentrated are the {units}?"
    sub = (f"{format_n(s['n_events'])} {units} at {s['n_locations']:,} {location_kind} · "
           f"{s['n_repeat_locations']:,} with more than one ({s['events_at_repeats_pct']:.0f}% "
           f"of {units}) · Gini {s['gini']:.2f}")
    prm = m.get("params", {})
    by = (f"by '{prm['location']}'" if prm.get("location") else
          f"by coordinates snapped to {prm['snap_m']:g} m" if prm.get("snap_m")
          else "by exact coordinates")
    one = units[:-1] if units.endswith("s") else units
    cap = (f"{location_kind[:1].upper() + location_kind[1:]} ({by}) ranked from most to fewest "
           f"{units}; the curve's height at x is the share of {units} at the top x% of "
           f"{location_kind} (linear between them). Only {location_kind} with at least one "
           f"{one} are counted, so the shares describe where {units} happened, not every "
           "address. Gini: 0 = the same everywhere, near 1 = all at one place.")
    return chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source,
                        legend_row=False)


def evaluation_chart(result, *, title: str | None = None, source: str | None = None,
                     units: str = "events", threshold: int = 0):
    """Before and after counts in each area, with the WDD and WDQ in the subtitle.

    Parameters
    ----------
    result : EvaluationResult
        :func:`mapping.stats.evaluate.evaluate_intervention` output.
    title, source, units
        Title, attribution, what is counted.
    threshold : int
        Counts below it (and above 0) are labelled ``<threshold`` without a bar.

    Returns
    -------
    matplotlib.figure.Figure
    """
    t = result.table
    fig, ax = chart_figure(height_cm=10.5)
    xs = np.arange(len(t))
    w = 0.38
    for k, (col, colour, label) in enumerate((("before", PALETTE["light"], "before"),
                                              ("after", PALETTE["main"], "after"))):
        vals = t[col].to_numpy(float)
        hide = np.array([_small(v, threshold) for v in vals])
        pos = xs + (k - 0.5) * w
        ax.bar(pos, np.where(hide, 0, vals), width=w, color=colour, label=label)
        for xp, v, h in zip(pos, vals, hide):
            ax.annotate(f"<{threshold}" if h else f"{v:,.0f}", (xp, 0 if h else v),
                        xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                        fontsize=8)
    ticks = []
    for row in t.itertuples(index=False):
        name = row.area[:1].upper() + row.area[1:]
        hidden = _small(row.before, threshold) or _small(row.after, threshold)
        if np.isfinite(row.pct_change) and not hidden:
            name += f"\n{row.pct_change:+.0f}%"
        ticks.append(name)
    ax.set_xticks(xs, ticks)
    ax.tick_params(axis="x", length=0)
    ax.set_ylim(0, max(1.0, float(t[["before", "after"]].to_numpy().max())) * 1.2)
    ax.set_ylabel(units)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, frameon=False, fontsize=8.5)
    d, m = result.wdd, result.meta
    title = title or f"Did the intervention work? {units[:1].upper() + units[1:]} before and after"
    counts = t[["before", "after"]].to_numpy(float).ravel()
    if any(_small(v, threshold) for v in counts):
        # the WDD, its variance (the sum of the counts) and the WDQ would give back a
        # suppressed count from the others
        sub = f"Too few {units} for a test: a count is below {threshold} (disclosure control)"
    elif np.isfinite(d["wdd"]):
        sub = (f"WDD {d['wdd']:+,.1f} (95% CI {d['ci_low']:+,.1f} to {d['ci_high']:+,.1f}), "
               f"z = {d['z']:.2f}, " + ("p < 0.001" if d["p"] < 0.001 else f"p = {d['p']:.3f}"))
        if result.wdq and np.isfinite(result.wdq.get("wdq", np.nan)):
            sub += f" · WDQ {result.wdq['wdq']:.2f}"
    else:
        sub = "WDD not available"
    cap = (f"Before: {m['params']['before']}; after: {m['params']['after']}. WDD = change in "
           "the target − change in the control + change in the buffer − change in the "
           "control's buffer; negative = events prevented (Wheeler & Ratcliffe 2018, normal "
           "test with Poisson variance).")
    if result.wdq and not sub.startswith("Too few"):
        cap += f" WDQ (Bowers & Johnson 2003): {result.wdq['reading']}."
    for n in m.get("notes", []):
        cap += f" {n[:1].upper() + n[1:]}."
    return chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source)


def emerging_chart(cells, *, title: str | None = None, source: str | None = None,
                   unit: str = "cells"):
    """Number of cells (or areas) in each emerging hot spot class, in ArcGIS's colours.

    Parameters
    ----------
    cells : GeoDataFrame
        :func:`mapping.stats.emerging.emerging_hotspots` output.
    title, source, unit
        Title, attribution, what the units are ("cells", "areas").

    Returns
    -------
    matplotlib.figure.Figure
    """
    from mapping.stats.emerging_classes import EMERGING_CLASSES, EMERGING_COLOURS

    counts = cells["emerging_class"].value_counts()
    classes = [c for c in EMERGING_CLASSES[:-1] if counts.get(c, 0)]  # patterns only
    fig, ax = chart_figure(height_cm=4.0 + 0.6 * max(len(classes), 3))
    y = np.arange(len(classes))[::-1]
    vals = [int(counts[c]) for c in classes]
    ax.barh(y, vals, color=[EMERGING_COLOURS[c] for c in classes], edgecolor="#9e9e9e",
            linewidth=0.5, height=0.7)
    for yi, v in zip(y, vals):
        ax.annotate(f"{v:,}", (v, yi), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=8)
    ax.set_yticks(y, [c[:1].upper() + c[1:] for c in classes], fontsize=8)
    ax.grid(True, axis="x", color="#E5E5E5")
    ax.grid(False, axis="y")
    ax.set_xlabel(f"number of {unit}")
    ax.set_xlim(0, max(vals, default=1) * 1.15)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if not classes:
        ax.text(0.5, 0.5, f"No {unit[:-1]} shows an emerging hot or cold spot pattern",
                transform=ax.transAxes, ha="center", va="center", color=PALETTE["grey"])
    m = cells.attrs.get("meta", {})
    per = m.get("periods", [])
    title = title or "Emerging hot spots: pattern of each " + unit[:-1]
    with_pattern = int(sum(vals))
    sub = (f"{with_pattern:,} of {len(cells):,} {unit} show a pattern · {len(per)} periods "
           f"({m.get('period', '')}) · {format_n(m.get('base_n', 0))} events")
    cap = m.get("method", "") + "."
    return chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source,
                        legend_row=False, left_in=label_width_in(classes, 8) + 0.2)
