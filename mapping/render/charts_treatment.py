"""House-style charts of the treatment and population analyses: waiting times,
retention, age-specific rates and crack-house closure speed.

Each function takes the table or result of its analysis
(:mod:`mapping.audit.treatment`, :mod:`mapping.audit.agerates`, :mod:`mapping.audit.closurespeed`)
and returns a :class:`matplotlib.figure.Figure` drawn with
:mod:`mapping.render.charts` (no pyplot).  ``threshold`` is disclosure control:
a group whose count is from 1 to ``threshold − 1`` shows ``"<threshold"``
instead of its value (0 = off); the step passes the project's threshold.

Public functions: :func:`waits_chart`, :func:`retention_chart`,
:func:`agerates_chart`, :func:`closure_chart`.
"""

from __future__ import annotations

import numpy as np

from mapping.render.charts import PALETTE, chart_figure, chart_finish, format_n, label_width_in

__all__ = ["waits_chart", "retention_chart", "agerates_chart", "closure_chart"]


def _small(v, threshold) -> bool:
    return bool(threshold) and 0 < v < threshold


def _share_chart(table, *, share, n_col, k_col, label, title, sub, cap, source, threshold,
                 extra=None, reference=None):
    """Dots with Wilson intervals, one row per group value (All first)."""
    t = table.reset_index(drop=True)
    hide = np.array([_small(getattr(r, n_col), threshold) or _small(getattr(r, k_col), threshold)
                     for r in t.itertuples(index=False)])
    if threshold:  # what the published table hides, its secondary cells too (the values of
        # a grouping add up to "All"): a share drawn where the table hides a count would
        # give that count back
        from mapping.disclosure.rules import DisclosureRules, display_table

        meta = dict(table.attrs.get("meta") or {}, sensitive=True)
        pub = display_table(t, DisclosureRules(threshold=threshold), meta)
        for c in (n_col, k_col):
            if c in pub.columns:
                hide |= pub[c].map(lambda v: isinstance(v, str)).to_numpy(bool)
    names = []
    for r in t.itertuples(index=False):
        name = "All" if r.group == "All" else f"{r.group.replace('_', ' ')}: {r.value}"
        n = getattr(r, n_col)
        if _small(n, threshold):
            names.append(f"{name}  (n <{threshold})")
        elif hide[len(names)]:
            names.append(f"{name}  (not shown)")
        else:
            names.append(f"{name}  (n = {n:,}" + (f", {extra(r)}" if extra else "") + ")")
    fig, ax = chart_figure(height_cm=4.2 + 0.62 * max(len(t), 3))
    y = np.arange(len(t))[::-1]
    for yi, r, hidden in zip(y, t.itertuples(index=False), hide):
        val = getattr(r, share)
        if hidden or not np.isfinite(val):
            small = _small(getattr(r, n_col), threshold) or _small(getattr(r, k_col), threshold)
            txt = (f"<{threshold}" if small else "suppressed") if hidden else "no data"
            ax.text(1, yi, txt, va="center", fontsize=8, color=PALETTE["grey"])
            continue
        colour = PALETTE["main"] if r.group == "All" else PALETTE["sky"]
        ax.plot([r.ci_low, r.ci_high], [yi, yi], color=colour, lw=2.2, solid_capstyle="butt")
        ax.plot([val], [yi], "o", color=PALETTE["main"], ms=6)
        txt = f"{val:.0f}%"
        ax.annotate(txt, (r.ci_high, yi), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize=8)
    if reference is not None:
        ax.axvline(reference, color=PALETTE["second"], ls="--", lw=1.2)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_ylim(-0.7, len(t) - 0.3)
    ax.set_xlim(0, 110)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel(label)
    ax.grid(True, axis="x", color="#E5E5E5")
    ax.grid(False, axis="y")
    return chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source,
                        legend_row=False, left_in=label_width_in(names, 8) + 0.25)


def waits_chart(table, *, title: str | None = None, source: str | None = None,
                threshold: int = 0, who: str = "episodes"):
    """Share starting treatment within the target, with Wilson intervals, by group.

    Parameters
    ----------
    table : DataFrame
        :func:`mapping.audit.treatment.treatment_waits` output.
    title, source, who
        Title, attribution, what is counted.
    threshold : int
        Disclosure threshold (0 = off).

    Returns
    -------
    matplotlib.figure.Figure
    """
    m = table.attrs.get("meta", {})
    tgt = m.get("params", {}).get("target_days", 21)
    allrow = table.iloc[0]
    title = title or f"Waiting times: share starting treatment within {tgt:g} days"
    sub = (f"{m.get('period', '')} · {format_n(allrow['n'])} {who} started · median wait "
           f"{allrow['median_days']:.0f} days")
    waiting = int(allrow["waiting_now"])
    cap = (f"Dots: share of {who} whose first intervention was within {tgt:g} days of referral; "
           "bars: 95% Wilson intervals; the median wait is beside each group. "
           + (f"Groups with fewer than {threshold} are not shown, nor one more in the same "
              "grouping where a total would give them back (disclosure control). "
              if threshold else "")
           + (f"{waiting:,} referred {who if waiting != 1 else who.rstrip('s')} had not started "
              f"at the census date ({m.get('params', {}).get('census_date', '')}) and "
              f"{'are' if waiting != 1 else 'is'} not in the shares." if waiting else ""))
    return _share_chart(table, share="pct_within", n_col="n", k_col="within_target",
                        label=f"% starting within {tgt:g} days", title=title, sub=sub, cap=cap,
                        source=source, threshold=threshold,
                        extra=lambda r: f"median {r.median_days:.0f} days")


def retention_chart(table, *, title: str | None = None, source: str | None = None,
                    threshold: int = 0, who: str = "episodes"):
    """Share retained (or completed) by group, with Wilson intervals.

    Parameters
    ----------
    table : DataFrame
        :func:`mapping.audit.treatment.treatment_retention` output.
    title, source, who
        Title, attribution, what is counted.
    threshold : int
        Disclosure threshold (0 = off).

    Returns
    -------
    matplotlib.figure.Figure
    """
    m = table.attrs.get("meta", {})
    wk = m.get("params", {}).get("weeks", 12)
    allrow = table.iloc[0]
    title = title or f"Retention: {who} lasting {wk:g} weeks or completed"
    sub = f"{m.get('period', '')} · {format_n(allrow['eligible'])} {who} that can be judged"
    cap = (f"Retained: in treatment at least {wk:g} weeks, or a successful completion before. "
           f"{who[:1].upper() + who[1:]} that started less than {wk:g} weeks before the census "
           f"date ({m.get('params', {}).get('census_date', '')}) are not judged. Bars: 95% "
           "Wilson intervals.")
    return _share_chart(table, share="pct_retained", n_col="eligible", k_col="retained",
                        label=f"% retained {wk:g} weeks or completed", title=title, sub=sub,
                        cap=cap, source=source, threshold=threshold)


def agerates_chart(table, *, title: str | None = None, source: str | None = None,
                   units: str = "records", threshold: int = 0):
    """Rate per 10,000 residents of each age band with Byar limits; all-ages line.

    Parameters
    ----------
    table : DataFrame
        :func:`mapping.audit.agerates.age_specific_rates` output.
    title, source, units
        Title, attribution, what is counted.
    threshold : int
        Disclosure threshold (0 = off): a band with a small count shows no rate.

    Returns
    -------
    matplotlib.figure.Figure
    """
    m = table.attrs.get("meta", {})
    per = m.get("params", {}).get("per", 10_000)
    bands = table[table["age_band"] != "All ages"]
    overall = table[table["age_band"] == "All ages"].iloc[0]
    fig, ax = chart_figure(height_cm=10.0)
    xs = np.arange(len(bands))
    hide = np.array([_small(c, threshold) for c in bands["count"]])
    rate = np.where(hide, 0, bands["rate"].to_numpy(float))
    ax.bar(xs, rate, color=PALETTE["main"], width=0.65)
    lo = bands["rate_lcl"].to_numpy(float)
    hi = bands["rate_ucl"].to_numpy(float)
    ok = ~hide & (bands["count"].to_numpy() > 0)
    ax.errorbar(xs[ok], rate[ok], yerr=[rate[ok] - lo[ok], hi[ok] - rate[ok]], fmt="none",
                ecolor=PALETTE["text"], elinewidth=1, capsize=3)
    for x, r, h, c, u in zip(xs, rate, hide, bands["count"], hi):
        txt = f"<{threshold}" if h else f"{r:,.0f}"
        ax.annotate(txt, (x, 0 if h else (u if np.isfinite(u) else r)), xytext=(0, 3),
                    textcoords="offset points", ha="center", fontsize=8)
    ax.axhline(overall["rate"], color=PALETTE["second"], ls="--", lw=1.4,
               label=f"all ages: {overall['rate']:,.0f}")
    ax.set_xticks(xs, bands["age_band"])
    ax.set_xlabel("age band")
    ax.set_ylabel(f"{units} per {per:,.0f} residents")
    ax.set_ylim(0, max(1.0, float(np.nanmax(np.where(ok, hi, rate)))) * 1.18)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, fontsize=8.5)
    title = title or f"{units[:1].upper() + units[1:]} per {per:,.0f} residents, by age"
    sub = f"{format_n(overall['count'])} {units} · population {overall['population']:,.0f}"
    cap = (f"Bars: {units} in each age band per {per:,.0f} residents of that band; whiskers: "
           "95% limits (Byar). Dashed: the rate for all ages. ")
    cap += " ".join(n[:1].upper() + n[1:] + "." for n in m.get("notes", []))
    return chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source)


def closure_chart(result, *, title: str | None = None, source: str | None = None,
                  threshold: int = 0):
    """Closure speed: days from first known to closure order (bands) and Kaplan-Meier curve.

    Parameters
    ----------
    result : ClosureSpeed
        :func:`mapping.audit.closurespeed.closure_speed` output.
    title, source
        Title and attribution.
    threshold : int
        Disclosure threshold for the band counts (0 = off).

    Returns
    -------
    matplotlib.figure.Figure
    """
    d, s, km = result.distribution, result.summary, result.km
    fig, (a1, a2) = chart_figure(height_cm=10.0, ncols=2)
    fig.subplots_adjust(wspace=0.35)
    xs = np.arange(len(d))
    hide = np.array([_small(v, threshold) for v in d["premises"]])
    vals = np.where(hide, 0, d["premises"].to_numpy(float))
    a1.bar(xs, vals, color=PALETTE["main"], width=0.7)
    for x, v, h in zip(xs, d["premises"], hide):
        a1.annotate(f"<{threshold}" if h else f"{v:,}", (x, 0 if h else v), xytext=(0, 2),
                    textcoords="offset points", ha="center", fontsize=8)
    a1.set_xticks(xs, [b.replace(" days", "") for b in d["band"]], fontsize=7.5)
    a1.set_xlabel("days from first known to closure order")
    a1.set_ylabel("premises closed")
    a1.set_ylim(0, max(1, float(vals.max())) * 1.2)
    from matplotlib.ticker import MaxNLocator

    a1.yaxis.set_major_locator(MaxNLocator(integer=True))
    tab = km.table
    a2.step(tab["time"], 100 * tab["cumulative"], where="post", color=PALETTE["main"], lw=2)
    a2.fill_between(tab["time"], 100 * (1 - tab["ci_high"]), 100 * (1 - tab["ci_low"]),
                    step="post", color=PALETTE["sky"], alpha=0.25, lw=0)
    if np.isfinite(km.median):
        a2.axvline(km.median, color=PALETTE["second"], ls="--", lw=1.2)
        a2.annotate(f"half closed by {km.median:,.0f} days", (km.median, 50), xytext=(5, -12),
                    textcoords="offset points", fontsize=8, color=PALETTE["second"])
    a2.set_ylim(0, 100)
    a2.set_xlim(0, None)
    a2.set_xlabel("days since first known")
    a2.set_ylabel("% closed (Kaplan-Meier)")
    m = result.meta
    title = title or "Crack-house closure speed: days from first known to closure order"
    sub = (f"{format_n(s['n'])} premises · {s['closed']:,} closed (median "
           f"{s['median_days']:.0f} days) · {s['open']:,} not closed by "
           f"{m['params']['census_date']}")
    cap = ("Left: premises with a closure order, by days from first known. Right: share closed "
           "over time, counting premises not yet closed until the census date (Kaplan-Meier, "
           "95% band); its median is not biased towards quick closures as the median of the "
           "closed premises is. ")
    cap += " ".join(n[:1].upper() + n[1:] + "." for n in m.get("notes", []))
    return chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source,
                        legend_row=False)
