"""The funnel plot in the house style: area rates against population with control limits.

It draws the table of :func:`mapping.audit.funnel.funnel_table`, with the limits of
:func:`mapping.audit.funnel.funnel_limits` (Spiegelhalter 2005; PHE Fingertips funnel-plot
method), in the house style of :mod:`mapping.render.charts`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from mapping.audit.funnel import FUNNEL_LEVELS, funnel_limits, level_key
from mapping.disclosure.rules import DisclosureRules, suppress_counts
from mapping.render.charts import PALETTE, chart_figure, chart_finish, format_n, legend_above

__all__ = ["funnel_chart"]


def funnel_chart(table, *, title: str | None = None, units: str = "records",
                 source: str | None = None, label: str = "outer", max_labels: int = 12,
                 log_x: bool = False, threshold: int = 0):
    """Draw a funnel plot in the house style.

    Parameters
    ----------
    table : DataFrame
        :func:`mapping.audit.funnel.funnel_table` output.
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
    tau2 = float(meta.get("tau2", 0.0) or 0.0)
    fig, ax = chart_figure(height_cm=12.0)
    pmin = max(1.0, float(table["population"].min()) * 0.9)
    pmax = float(table["population"].max()) * 1.05
    logx = log_x or pmax / pmin > 50
    lim = _draw_limits(ax, pmin, pmax, logx, r, mult, levels, tau2)
    ycap = _rate_cap(table["rate"].to_numpy(float), lim, levels, r * mult)
    rates = table["rate"].to_numpy(float)
    table = table.assign(yplot=np.minimum(rates, ycap), offscale=rates > ycap)
    areas, cmp_ = _draw_areas(ax, table)
    if logx:
        from matplotlib.ticker import LogLocator, NullFormatter

        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(pmin, pmax)
    ax.set_ylim(0, ycap * 1.12)
    outer = f"{max(levels) * 100:g}%"
    pick = None
    if label != "none":
        pick = table[table["outside"] != "within"] if label == "any" else \
            table[table["outside"].str.endswith(outer)]
        pick = pd.concat([pick, cmp_]).drop_duplicates("label")
    ax.set_xlabel("Population (denominator)")
    ax.set_ylabel(f"rate per {mult:,.0f}")
    ax.xaxis.set_major_formatter(_thousands())
    legend_above(ax, ncols=3)
    n_rows = -(-len(ax.get_legend_handles_labels()[0]) // 3)
    title = title or f"{units[:1].upper() + units[1:]} per {mult:,.0f} population by area"
    # The labels are placed in the final layout (chart_finish moves the axes), and the
    # caption says how many were placed: lay out, label, and lay out again if the count
    # changed the caption.
    n_lab, n_pick, placed, texts = 0, 0 if pick is None else len(pick), [], []
    for _ in range(3):
        for t in texts + placed:
            t.remove()
        sub, cap = _funnel_text(meta, units, areas, len(cmp_), levels, outer, tau2, n_lab,
                                n_pick, n_hidden, threshold)
        before = set(map(id, fig.texts))
        chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source,
                     legend_row=n_rows)
        texts = [t for t in fig.texts if id(t) not in before]
        if pick is None:
            break
        got, placed = _label_areas(fig, ax, pick, r * mult, max_labels,
                                   dots=pd.concat([areas, cmp_])[["population", "yplot"]])
        if got == n_lab:
            break
        n_lab = got
    else:  # still changing: keep the labels placed and say how many
        for t in texts:
            t.remove()
        sub, cap = _funnel_text(meta, units, areas, len(cmp_), levels, outer, tau2, n_lab,
                                n_pick, n_hidden, threshold)
        chart_finish(fig, title=title, subtitle=sub, caption=cap, source=source,
                     legend_row=n_rows)
    return fig


def _draw_limits(ax, pmin, pmax, logx, r, mult, levels, tau2):
    """Draw the control limits and the overall rate; return the limits on a population grid."""
    grid = np.geomspace(pmin, pmax, 160) if logx else np.linspace(pmin, pmax, 160)
    lim = funnel_limits(grid, r, levels=levels, multiplier=mult, tau2=tau2)
    styles = [("--", PALETTE["grey"]), ("-", PALETTE["alert"])]
    for (ls, colour), lv in zip(styles, sorted(levels)):
        k = level_key(lv)
        ax.plot(grid, lim[f"upper_{k}"], ls=ls, color=colour, lw=1.2,
                label=f"{lv * 100:g}% limits")
        ax.plot(grid, lim[f"lower_{k}"], ls=ls, color=colour, lw=1.2)
    ax.axhline(r * mult, color=PALETTE["text"], lw=1.0,
               label=f"Overall rate {r * mult:,.1f}")
    return lim


def _rate_cap(rates, lim, levels, overall):
    """Top of the rate axis: the funnel and the bulk of the areas (far outliers are drawn
    at the top edge)."""
    top_lim = float(np.nanmax(lim[f"upper_{level_key(max(levels))}"]))
    ycap = max(top_lim * 1.6, float(np.nanpercentile(rates, 90)) * 1.3 if len(rates) else 0,
               overall * 2)
    if np.nanmax(rates) <= ycap * 1.25:
        ycap = float(np.nanmax(rates)) * 1.1
    if not np.isfinite(ycap) or ycap <= 0:  # every rate and limit is zero
        ycap = 1.0
    return ycap


def _draw_areas(ax, table):
    """Draw the areas by where they fall (within, above, below; off scale) and the
    comparators; return the area and comparator rows."""
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
    return areas, cmp_


def _label_areas(fig, ax, pick, overall, max_labels, dots=None):
    """Label the picked areas, the most extreme first, where a label covers no other
    label, the legend or the plot's edge, nor (but for an off-scale area's, which
    carries its value) another area's dot (extents measured as drawn); return (labels
    placed, the label artists)."""
    dev = (pick["rate"] - overall).abs() / pick["population"].pow(-0.5)
    pick = pick.loc[dev.sort_values(ascending=False).index]
    frame = ax.get_window_extent()  # extents as drawn: the layout is final here
    legend = ax.get_legend()
    boxes = [legend.get_window_extent()] if legend is not None else []
    at = np.empty((0, 2)) if dots is None else ax.transData.transform(
        dots.to_numpy(float))
    reach = 3.0 * fig.dpi / 72  # a dot's radius and a little, in pixels
    placed = []
    for row in pick.itertuples(index=False):
        if len(placed) >= max_labels:
            break
        text = row.label + (f" ({row.rate:,.0f})" if row.offscale else "")
        own = ax.transData.transform([(row.population, row.yplot)])[0]
        others = at[np.hypot(*(at - own).T) > 0.5] if len(at) else at
        for dx, dy in ((5, 3), (5, -11), (-5, 3), (-5, -11)):
            ann = ax.annotate(text, (row.population, row.yplot), xytext=(dx, dy),
                              textcoords="offset points", fontsize=7.2,
                              color=PALETTE["text"], ha="right" if dx < 0 else "left",
                              va="bottom", zorder=6)
            box = ann.get_window_extent().padded(1)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0
            # an off-scale area's label carries its value: it may cover a dot, not a label
            covers = not row.offscale and len(others) and bool((
                (others[:, 0] > box.x0 - reach) & (others[:, 0] < box.x1 + reach)
                & (others[:, 1] > box.y0 - reach) & (others[:, 1] < box.y1 + reach)).any())
            if inside and not covers and not any(box.overlaps(b) for b in boxes):
                boxes.append(box)
                placed.append(ann)
                break
            ann.remove()
    return len(placed), placed


def _funnel_text(meta, units, areas, n_cmp, levels, outer, tau2, n_lab, n_pick, n_hidden,
                 threshold):
    """The subtitle (areas, base n, population, how many outside) and the method caption."""
    n_areas = max(1, int(meta.get("n_areas", len(areas))))
    n_outer = sum(v for k, v in meta.get("n_outside", {}).items() if k.endswith(outer))
    n_out = sum(v for k, v in meta.get("n_outside", {}).items() if k != "within")
    sub = (f"{meta.get('n_areas', len(areas))} areas · {format_n(meta.get('base_n'))} {units} · "
           f"population {meta.get('population_total', 0):,.0f} · {n_out} outside the "
           f"{min(levels) * 100:g}% limits")
    how = ("widened for overdispersion (Spiegelhalter 2005 random effects)" if tau2 > 0 else
           "by exact Poisson (chi-squared) limits, the PHE funnel-plot method (Spiegelhalter "
           "2005)")
    lv_text = ", ".join(f"{v * 100:g}%" for v in sorted(levels))
    cap = (f"Each dot is an area: its rate against its population. Lines: {lv_text} "
           f"control limits around the overall rate {how}. Labelled: areas outside the {outer} "
           "limits" + (" and comparators" if n_cmp else "")
           + (f" ({n_lab} of {n_pick}, the most extreme whose labels cover no other "
              "label or dot)"
              if n_lab < n_pick else "")
           + "." + (f" {n_outer} of {n_areas} areas are outside the {outer} limits, far more than "
                    "chance would give: the areas vary more than Poisson noise (overdispersion), "
                    "so treat single outliers with care (Spiegelhalter 2005)."
                    if n_outer > 0.1 * n_areas and tau2 == 0 else "")
           + (f" {n_hidden} area(s) with counts of 1 to {threshold - 1}, or hidden to protect "
              "them, are not drawn (disclosure control)." if n_hidden else ""))
    return sub, cap


def _hide_small(table, threshold):
    """The table without the areas disclosure control suppresses, and how many those are."""
    if not threshold or threshold <= 1:
        return table, 0
    is_area = (table["group"] == "area").to_numpy()
    counts = pd.DataFrame({"count": table["count"].to_numpy(float)[is_area]})
    sup = suppress_counts(counts, ["count"], [], DisclosureRules(threshold=int(threshold)))
    hidden = np.zeros(len(table), bool)
    if "count_suppressed" in sup.columns:
        hidden[is_area] = sup["count_suppressed"].to_numpy(bool)
    return table[~hidden], int(hidden.sum())


def _thousands_label(v, _pos) -> str:
    return f"{v:,.0f}"


def _thousands():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(_thousands_label)  # a module function: the figure can be pickled
