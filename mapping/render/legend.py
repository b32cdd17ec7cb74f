"""Map legend: class ranges, counts per class and units, drawn in millimetres.

:func:`draw_legend` draws onto a panel axes whose data coordinates are
millimetres on the page (``xlim = (0, width)``, ``ylim = (0, height)``), so
sizes are exact at any dpi.  :func:`legend_rows` gives the same content as
plain data for the HTML map and the DOCX tables.
"""

from __future__ import annotations

import textwrap

from mapping.render.draw import layer_render_info
from mapping.render.palettes import BIVARIATE_3X3, CATEGORY_MARKERS, SUPPRESSED_COLOR

__all__ = ["draw_legend", "legend_rows", "legend_entries", "PT_MM"]

PT_MM = 0.3528  # one typographic point in millimetres


def legend_rows(info) -> list[dict]:
    """Return ``[{"label", "color", "count", "alpha", "hatch"}]`` for one drawn layer.

    One row per class, then one per reason a feature has no class
    (suppressed; no population, so no rate; no data), each with its count.
    """
    cls = info.classification
    if cls is None:
        return []
    rows = []
    for i, (lab, col, cnt) in enumerate(zip(cls.labels, cls.colors, cls.counts)):
        alpha = cls.alphas[i] if cls.alphas else 1.0
        rows.append({"label": lab, "color": col, "count": int(cnt), "alpha": alpha,
                     "hatch": ""})
    missing = getattr(info, "missing_rows", None) or []
    if missing:
        rows += [{**r, "alpha": 1.0} for r in missing]
    elif cls.n_missing:
        rows.append({"label": info.missing_label, "color": SUPPRESSED_COLOR,
                     "count": int(cls.n_missing), "alpha": 1.0, "hatch": ""})
    return rows


def legend_entries(layer, *, pool=None, overrides: dict | None = None) -> list[tuple[str, str]]:
    """(colour, label) pairs exactly as the map legend shows them: for the style panel.

    Classified by the one renderer (:func:`mapping.render.draw.layer_render_info`),
    so the panel, the canvas and every export agree; ``pool`` (the layer
    stack) finds the other layers of a shared scale.
    """
    info, _ = layer_render_info(layer, overrides, pool=pool)
    rows = legend_rows(info)
    if not rows:
        st = info.style
        return [(st.color if st.color != "none" else "#ffffff", info.title)]
    return [(r["color"], r["label"] + (" (not shaded)" if r["alpha"] == 0 else ""))
            for r in rows]


def _wrap(text: str, width_mm: float, fontsize: float) -> list[str]:
    chars = max(8, int(width_mm / (fontsize * PT_MM * 0.56)))
    return textwrap.wrap(text, chars) or [""]


def draw_legend(ax, infos, *, x: float, top: float, width: float, bottom: float = 0.0,
                fontsize: float = 7.0) -> float:
    """Draw legend blocks for ``infos`` from ``top`` downwards; return the y reached (mm).

    Parameters
    ----------
    ax : Axes
        Panel axes in page millimetres.
    infos : list of RenderInfo
        Layers to show, top of the legend first.
    x, top, width : float
        Left edge, top and width of the legend area in mm.
    bottom : float
        Stop drawing (with an ellipsis) below this y.
    """
    from matplotlib.patches import Rectangle

    line = fontsize * PT_MM * 1.55
    y = top
    sw, sh = 6.0, line * 0.8
    for info in infos:
        if y - 2 * line < bottom:
            ax.text(x, y, "… (legend continues in notes)", fontsize=fontsize - 1, va="top")
            break
        cls = info.classification
        if cls is None:  # single symbol
            _single_row(ax, info, x, y - line / 2, sw, sh, fontsize)
            y -= line * 1.7
            continue
        # bold text is wider; keep clear of the right-hand "n areas" column
        for t in _wrap(info.title, (width - 14) * 0.9, fontsize + 0.5):
            ax.text(x, y, t, fontsize=fontsize + 0.5, fontweight="bold", va="top")
            y -= line * 1.05
        y -= line * 0.2
        if cls.scheme == "bivariate":
            y = _bivariate(ax, info, x, y, fontsize)
            continue
        show_counts = info.geom != "raster"
        unit = "cells" if info.geom == "raster" else ("points" if info.geom == "point" else "areas")
        if show_counts:
            ax.text(x + width, y + line * 0.25, f"n {unit}", fontsize=fontsize - 1.5,
                    ha="right", va="bottom", color="#555555")
        for row in legend_rows(info):
            if y - line < bottom:
                ax.text(x, y, "…", fontsize=fontsize, va="top")
                break
            cy = y - line / 2
            if info.geom == "point":
                i = cls.labels.index(row["label"]) if row["label"] in cls.labels else 0
                ax.scatter([x + sw / 2], [cy], s=info.style.marker_size * 1.5,
                           c=row["color"], marker=CATEGORY_MARKERS[i % len(CATEGORY_MARKERS)],
                           edgecolors="white", linewidths=0.3)
            else:
                transparent = row["alpha"] == 0
                ax.add_patch(Rectangle((x, cy - sh / 2), sw, sh,
                                       facecolor="none" if transparent else row["color"],
                                       edgecolor="#606060", linewidth=0.4,
                                       linestyle="--" if transparent else "-",
                                       hatch=row.get("hatch") or None, hatchcolor="#969696"))
            label = row["label"] + (" (not shaded)" if row["alpha"] == 0 else "")
            ax.text(x + sw + 2, cy, label, fontsize=fontsize, va="center")
            if show_counts:
                ax.text(x + width, cy, f"{row['count']:,}", fontsize=fontsize, va="center",
                        ha="right", color="#333333")
            y -= line
        if getattr(info, "shared_scale", "") and y - line >= bottom:
            n = len(info.shared_with)
            other = "the other map" if n == 2 else f"the other {n - 1} maps"
            ax.text(x, y - line * 0.1, f"Same classes as {other} of the series "
                    f"‘{info.shared_scale}’" if n > 1 else
                    f"Classes of the series ‘{info.shared_scale}’",
                    fontsize=fontsize - 1.2, va="top", color="#555555", style="italic")
            y -= line
        y -= line * 0.7
    return y


def _single_row(ax, info, x, cy, sw, sh, fontsize):
    from matplotlib.patches import Rectangle

    st = info.style
    if info.geom == "point":
        ax.scatter([x + sw / 2], [cy], s=st.marker_size * 1.5, c=st.color, marker=st.marker,
                   edgecolors=st.edgecolor if st.edgecolor != "none" else "none", linewidths=0.3)
        label = f"{info.title} ({info.n:,} points)"
    else:
        filled = st.color != "none" and st.opacity > 0
        edge = st.edgecolor if st.edgecolor not in ("none", None) else "#606060"
        if filled:
            from matplotlib.colors import to_rgba

            ax.add_patch(Rectangle((x, cy - sh / 2), sw, sh, facecolor=to_rgba(st.color,
                                                                             st.opacity),
                                   edgecolor=edge, linewidth=max(st.linewidth, 0.4)))
        else:  # an outline layer: its boundary line, in its colour and width
            ax.add_patch(Rectangle((x, cy - sh / 2), sw, sh, facecolor="none", edgecolor=edge,
                                   linewidth=max(st.linewidth, 0.35)))
        label = info.title
    ax.text(x + sw + 2, cy, label, fontsize=fontsize, va="center")


def _bivariate(ax, info, x, y, fontsize) -> float:
    from matplotlib.patches import FancyArrow, Rectangle

    cell = 6.0
    biv = info.bivariate
    fs = fontsize - 0.5
    xl, yl = biv.get("x_label", "x"), biv.get("y_label", "y")
    ax.text(x, y, f"↑ {yl} (higher up)", fontsize=fs, va="top", ha="left")
    ox, oy = x + 3, y - fs * PT_MM * 1.8 - 3 * cell
    for i in range(3):
        for j in range(3):
            ax.add_patch(Rectangle((ox + i * cell, oy + j * cell), cell, cell,
                                   facecolor=BIVARIATE_3X3[i][j], edgecolor="white",
                                   linewidth=0.5))
    ax.add_patch(FancyArrow(ox, oy - 1.2, 3 * cell, 0, width=0.15, head_width=1.2,
                            head_length=1.5, color="#333333", length_includes_head=True))
    ax.add_patch(FancyArrow(ox - 1.2, oy, 0, 3 * cell, width=0.15, head_width=1.2,
                            head_length=1.5, color="#333333", length_includes_head=True))
    ax.text(x, oy - 2.4, f"{xl} (higher right) →", fontsize=fs, ha="left", va="top")
    tx = ox + 3 * cell + 2.5
    ax.text(tx, oy + 2.5 * cell, f"high {yl} and {xl}", fontsize=fontsize - 1, va="center")
    ax.text(tx, oy + 1.5 * cell, "classes are tertiles", fontsize=fontsize - 1.5,
            va="center", color="#555555")
    ax.text(tx, oy + 0.5 * cell, f"high {xl} only", fontsize=fontsize - 1, va="center")
    return oy - 2.4 - fs * PT_MM * 2.6
