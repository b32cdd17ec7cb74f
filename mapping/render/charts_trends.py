"""Trend charts in the house style: monthly counts, quarters against a year earlier, seasons.

They draw the tables of :mod:`mapping.audit.trends` (:func:`~mapping.audit.trends.trend_analysis`)
with the house style of :mod:`mapping.render.charts`.
"""

from __future__ import annotations

from mapping.render.charts import (PALETTE, chart_events, chart_figure, chart_finish, format_n,
                                   legend_above)

__all__ = ["trend_chart", "trend_quarter_chart", "trend_season_chart"]


def _period_text(meta: dict) -> str:
    """'2018-10 to 2019-01' -> 'Oct 2018 – Jan 2019'."""
    import pandas as pd

    parts = meta.get("period", "").split(" to ")
    try:
        return " – ".join(pd.Timestamp(p).strftime("%b %Y") for p in parts if p)
    except ValueError:
        return meta.get("period", "").replace(" to ", " – ")


def _month_axis(ax, months):
    """Tick the middle of each month (or every 3/6/12 months) with 'Mon\nYYYY' labels."""
    import pandas as pd

    months = pd.Series(pd.to_datetime(months)).reset_index(drop=True)
    n = len(months)
    step = 1 if n <= 18 else 3 if n <= 48 else 6 if n <= 96 else 12
    ticks = months[::step]
    fmt = "%b\n%Y" if step < 12 else "%Y"
    ax.set_xticks(ticks + pd.Timedelta(days=15), [t.strftime(fmt) for t in ticks])
    ax.tick_params(axis="x", length=0)


def trend_chart(result, *, title: str | None = None, place: str | None = None, events=None,
                source: str | None = None, units: str = "records"):
    """Monthly counts with the rolling mean and user events (house style).

    Parameters
    ----------
    result : TrendResult or DataFrame
        :func:`mapping.audit.trends.trend_analysis` output, or the
        :func:`mapping.audit.trends.trend_monthly` table.
    title : str, optional
        Chart title; default "<units> per month[, place]".
    place : str, optional
        Area name for the title.
    events : optional
        Events to mark (default: ``result.events``).
    source : str, optional
        Attribution line.
    units : str
        What is counted, e.g. "Drugs offences".

    Returns
    -------
    matplotlib.figure.Figure
    """
    monthly = getattr(result, "monthly", result)
    meta = monthly.attrs.get("meta", {})
    if events is None:
        events = getattr(result, "events", None)
    fig, ax = chart_figure(height_cm=10.0)
    import pandas as pd

    # bars sit in the middle of their month, so dated events fall inside the right bar
    x = monthly["month"] + pd.Timedelta(days=15)
    ax.bar(x, monthly["count"], width=25, color=PALETTE["sky"], label="Monthly count",
           align="center")
    if monthly["rolling_mean"].notna().any():
        win = meta.get("params", {}).get("window", 3)
        ax.plot(x, monthly["rolling_mean"], color=PALETTE["second"], lw=2.2, marker="o", ms=3.5,
                label=f"{win}-month rolling mean")
    if len(x) <= 24:
        for xi, c in zip(x, monthly["count"]):
            if c > 0:
                ax.annotate(f"{c:,}", (xi, 0), xytext=(0, 3), textcoords="offset points",
                            ha="center", va="bottom", fontsize=8, color="white",
                            fontweight="bold")
    _month_axis(ax, monthly["month"])
    ax.set_xlim(monthly["month"].min() - pd.Timedelta(days=3),
                monthly["month"].max() + pd.Timedelta(days=34))
    ax.set_ylabel(f"{units} per month")
    ax.set_ylim(0, max(1, monthly["count"].max()) * 1.2)
    if events is not None and len(events):
        chart_events(ax, events)
    legend_above(ax)
    title = title or f"{units[:1].upper() + units[1:]} per month" + (f", {place}" if place else "")
    miss = meta.get("n_missing_date", 0)
    sub = f"{_period_text(meta)} · {format_n(meta.get('base_n', monthly['count'].sum()))} {units}"
    if miss:
        sub += f" ({miss:,} without a date not shown)"
    cap = "Bars: records per calendar month. Line: " + meta.get("method", "").split("; ")[-1] + "."
    if meta.get("selection"):
        cap += f" Selection: {meta['selection']}."
    return chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source)


def trend_quarter_chart(result, *, title: str | None = None, place: str | None = None,
                        source: str | None = None, units: str = "records"):
    """Quarterly totals beside the same quarter a year earlier, with change and test.

    Parameters
    ----------
    result : TrendResult or DataFrame
        :func:`mapping.audit.trends.trend_analysis` output or the quarterly table.
    title, place, source, units
        As :func:`trend_chart`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import numpy as np

    q = getattr(result, "quarterly", result)
    meta = q.attrs.get("meta", {})
    fig, ax = chart_figure(height_cm=10.0)
    xs = np.arange(len(q))
    has_prev = q["count_year_earlier"].notna().to_numpy()
    w = 0.38
    if has_prev.any():
        ax.bar(xs[has_prev] - w / 2, q["count_year_earlier"][has_prev].astype(float), width=w,
               color=PALETTE["light"], label="Same quarter a year earlier")
    colours = [PALETTE["main"] if c else PALETTE["sky"] for c in q["complete"]]
    ax.bar(np.where(has_prev, xs + w / 2, xs), q["count"], width=w, color=colours,
           label="Quarter")
    top = float(np.nanmax(np.r_[q["count"].to_numpy(float),
                                q["count_year_earlier"].to_numpy(float, na_value=np.nan), 1]))
    for i, row in enumerate(q.itertuples(index=False)):
        xpos = i + w / 2 if has_prev[i] else i
        label = f"{row.count:,}"
        if has_prev[i] and np.isfinite(row.pct_change):
            star = "*" if row.significant else ""
            label += f"\n{row.pct_change:+.0f}%{star}"
        elif not row.complete:
            label += "\n(part)"
        ax.annotate(label, (xpos, row.count), xytext=(0, 2), textcoords="offset points",
                    ha="center", va="bottom", fontsize=7.5, color=PALETTE["text"])
    ax.set_xticks(xs, q["quarter"], rotation=0 if len(q) <= 10 else 45)
    ax.set_ylim(0, top * 1.3)
    ax.set_ylabel(f"{units} per quarter")
    legend_above(ax)
    title = title or (f"{units[:1].upper() + units[1:]} per quarter"
                      + (f", {place}" if place else ""))
    sub = f"{_period_text(meta)} · {format_n(meta.get('base_n', q['count'].sum()))} {units}"
    if not has_prev.any():
        sub += " · no complete quarter a year earlier in the data"
    cap = ("Change is against the same quarter a year earlier (complete quarters only); "
           "* = p < 0.05 by the exact conditional binomial test of two Poisson counts. "
           "Pale bars: quarters only partly inside the period.")
    return chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source)


def trend_season_chart(result, *, title: str | None = None, place: str | None = None,
                       source: str | None = None, units: str = "records"):
    """Seasonal profile: mean records per month of the year (house style).

    Parameters
    ----------
    result : TrendResult or DataFrame
        :func:`mapping.audit.trends.trend_analysis` output or the seasonal table.
    title, place, source, units
        As :func:`trend_chart`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    s = getattr(result, "seasonal", result)
    meta = s.attrs.get("meta", {})
    fig, ax = chart_figure(height_cm=10.0)
    ax.bar(s["month_name"], s["mean_per_year"].fillna(0), color=PALETTE["main"], width=0.7)
    mean = s["mean_per_year"].mean()
    if mean == mean:
        ax.axhline(mean, color=PALETTE["second"], lw=1.5, ls="--", label="Average month")
        legend_above(ax)
    covered = s.loc[s["n_years"] > 0, "n_years"]
    same = covered.nunique() <= 1
    for i, row in enumerate(s.itertuples(index=False)):
        if row.n_years == 0:
            txt = "no\ndata"
        else:
            txt = f"{row.mean_per_year:,.1f}" + ("" if same else f"\n({row.n_years} yr)")
        ax.annotate(txt, (i, 0 if row.n_years == 0 else row.mean_per_year), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=7.5,
                    color=PALETTE["grey"] if row.n_years == 0 else PALETTE["text"])
    ax.set_ylim(0, max(1.0, float(s["mean_per_year"].max(skipna=True) or 1)) * 1.3)
    ax.set_ylabel("mean per month")
    title = title or "Seasonal profile" + (f", {place}" if place else "")
    sub = f"{_period_text(meta)} · {format_n(meta.get('base_n', s['count'].sum()))} {units}"
    yrs = (f"each month covered by {int(covered.iloc[0])} year(s)" if same and len(covered)
           else "years covered shown under each value")
    cap = (f"Mean {units} in each month of the year across the years in the period "
           f"({yrs}). Dashed line: the average month. With fewer than 3 years of data a "
           "seasonal pattern cannot be told apart from chance.")
    return chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source)
