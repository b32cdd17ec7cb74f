"""Atlas pages as one multi-page PDF (matplotlib ``PdfPages``), drawn by the one renderer.

Each A4 portrait page has the area's name and code, the analysis's map
zoomed to the area (the whole layer drawn and classified once, so every page
has the same classes; the other areas faded; the area outlined), a locator
inset of the whole study area, the legend, the area's figures with their
limits, its monthly trend (months hidden by disclosure control are labelled,
never drawn), notes and the attribution lines.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from layers.common.atomic import atomic_write_path
from mapping.render.legend import PT_MM, draw_legend

__all__ = ["write_atlas_pdf", "render_atlas_page", "page_extent"]

W, H, M = 210.0, 297.0, 10.0
MAP_BOX = (M, 136.0, W - 2 * M, 132.0)  # x, y, w, h in mm


def page_extent(geom, frame_w: float, frame_h: float, pad: float = 0.12, min_m: float = 600.0):
    """The map extent (xmin, ymin, xmax, ymax) showing ``geom`` whole, with a margin, at the
    frame's aspect ratio."""
    xmin, ymin, xmax, ymax = geom.bounds
    dx, dy = max(xmax - xmin, min_m), max(ymax - ymin, min_m)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    dx, dy = dx * (1 + 2 * pad), dy * (1 + 2 * pad)
    if dx / dy > frame_w / frame_h:
        dy = dx * frame_h / frame_w
    else:
        dx = dy * frame_w / frame_h
    return cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2


def _overlays(atlas, area):
    """The fade (every other area, whitened) and focus (the area's outline) layers."""
    import geopandas as gpd

    from layers.model import Layer

    gdf = atlas.by.data
    crs = gdf.crs
    others = gpd.GeoDataFrame(geometry=[g for i, g in enumerate(gdf.geometry)
                                        if i != area.index], crs=crs)
    fade = Layer("atlas_fade", others, kind="areas")
    fade.update_style(color="#ffffff", opacity=0.62, edgecolor="none", linewidth=0.0,
                      column=None)
    focus = Layer("atlas_focus", gpd.GeoDataFrame(geometry=[area.geometry], crs=crs),
                  kind="areas")
    focus.update_style(color="none", edgecolor="#000000", linewidth=1.8, column=None)
    return [fade, focus]


def _axes_mm(fig, x, y, w, h):
    return fig.add_axes((x / W, y / H, w / W, h / H))


def _locator(fig, atlas, area, ext):
    from layers.model import Layer
    from mapping.render.draw import draw_layers

    size = 36.0
    mx, my, mw, mh = MAP_BOX  # bottom right: the north arrow is top right, the scale bottom left
    iax = _axes_mm(fig, mx + mw - size - 1.5, my + 1.5, size, size)
    whole = Layer("locator", atlas.by.data, kind="areas")
    whole.update_style(color="#eeeeee", edgecolor="#9e9e9e", linewidth=0.2, column=None)
    import geopandas as gpd

    here = Layer("locator_area", gpd.GeoDataFrame(geometry=[area.geometry],
                                                  crs=atlas.by.data.crs), kind="areas")
    here.update_style(color="#d7301f", edgecolor="#d7301f", linewidth=0.4, column=None)
    draw_layers(iax, [whole, here])
    b = atlas.by.data.total_bounds
    pad = 0.04 * max(b[2] - b[0], b[3] - b[1])
    iax.set_xlim(b[0] - pad, b[2] + pad)
    iax.set_ylim(b[1] - pad, b[3] + pad)
    iax.set_aspect("equal", adjustable="box")
    iax.set_xticks([])
    iax.set_yticks([])
    iax.set_facecolor("white")
    for sp in iax.spines.values():
        sp.set_linewidth(0.5)
        sp.set_edgecolor("#636363")


def _figures(ax, area, x, top, width) -> float:
    fs = 7.5
    line = fs * PT_MM * 1.6
    ax.text(x, top, "Figures", fontsize=9, fontweight="bold", va="top")
    y = top - line * 1.5
    if not area.figures:
        ax.text(x, y, "The result has no row for this area.", fontsize=fs, va="top",
                style="italic")
        return y - line
    chars = max(10, int(width * 0.45 / (fs * PT_MM * 0.55)))
    for label, text in area.figures:
        lab = textwrap.wrap(str(label), chars) or [""]
        val = textwrap.wrap(str(text), chars) or [""]
        for k in range(max(len(lab), len(val))):
            if k < len(lab):
                ax.text(x, y, lab[k], fontsize=fs, va="top", color="#333333")
            if k < len(val):
                ax.text(x + width * 0.52, y, val[k], fontsize=fs, va="top",
                        fontweight="bold" if k == 0 else "normal")
            y -= line
    return y


def _subareas(ax, area, x, top, width, bottom) -> None:
    t = area.subareas
    if t is None or not len(t):
        return
    fs = 6.5
    line = fs * PT_MM * 1.5
    y = top - 1.5
    ax.text(x, y, f"The {len(t)} finer areas inside it", fontsize=7.5, fontweight="bold",
            va="top")
    y -= line * 1.4
    cols = list(t.columns)[:4]
    xs = [x + width * f for f in (0.0, 0.34, 0.55, 0.75)][:len(cols)]
    for cx, c in zip(xs, cols):
        ax.text(cx, y, str(c), fontsize=fs, va="top", fontweight="bold", color="#333333")
    y -= line
    for _, row in t.iterrows():
        if y - line < bottom:
            ax.text(x, y, f"… {len(t)} in all (full list in the DOCX)", fontsize=fs, va="top",
                    style="italic")
            break
        for cx, c in zip(xs, cols):
            ax.text(cx, y, str(row[c])[:22], fontsize=fs, va="top")
        y -= line


def _trend(fig, area, what: str):
    ax = _axes_mm(fig, M + 14, 48.0, W - 2 * M - 18, 22.0)
    fig.text((M) / W, 77.0 / H, f"{what} per month inside this area", fontsize=9,
             fontweight="bold", va="top")
    t = area.trend
    if t is None or not len(t):
        ax.axis("off")
        ax.text(0.0, 0.6, "The records of this analysis have no dates: no trend is shown.",
                fontsize=7.5, style="italic", transform=ax.transAxes)
        return
    x = np.arange(len(t))
    vals = t["value"].to_numpy(float)
    ok = np.isfinite(vals)
    ax.bar(x[ok], vals[ok], color="#2c7fb8", width=0.7)
    top = np.nanmax(vals) if ok.any() else 5.0
    top = max(top, 5.0)
    if len(t) <= 24:  # the published counts on the bars
        for xi, shown, v in zip(x[ok], t["shown"][ok], vals[ok]):
            ax.text(xi, v + top * 0.02, shown, ha="center", va="bottom", fontsize=6)
    for xi, shown, v in zip(x, t["shown"], vals):
        if not np.isfinite(v):  # hidden by disclosure control: its label, no bar
            ax.text(xi, top * 0.03, shown, ha="center", va="bottom", fontsize=6,
                    color="#636363", rotation=90 if len(t) > 18 else 0)
    ax.set_ylim(0, top * 1.15)
    step = max(1, len(t) // 12)
    ax.set_xticks(x[::step])
    ax.set_xticklabels([f"{m:%b %y}" for m in t["month"]][::step], fontsize=6.5)
    ax.tick_params(axis="y", labelsize=6.5)
    ax.set_xlim(-0.6, len(t) - 0.4)
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.set_ylabel("Records", fontsize=6.5)


def render_atlas_page(atlas, area, page: int, pages: int, dpi: int = 150):
    """Draw one area's page; return an Agg-backed Figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from mapping.render.draw import draw_layers
    from mapping.render.scalebar import draw_north_arrow, draw_scale_bar

    fig = Figure(figsize=(W / 25.4, H / 25.4), dpi=dpi)
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor("white")
    top = H - M
    fig.text(M / W, top / H, area.name, fontsize=17, fontweight="bold", va="top")
    fig.text(M / W, (top - 8.5) / H, f"{area.code} · {atlas.by_title}", fontsize=9,
             va="top", color="#333333")
    sub = " · ".join(t for t in (atlas.title, atlas.subtitle) if t)
    fig.text(M / W, (top - 14) / H, sub, fontsize=9, va="top", color="#333333")
    fig.text((W - M) / W, top / H, f"Page {page} of {pages}", fontsize=7, va="top",
             ha="right", color="#636363")
    mx, my, mw, mh = MAP_BOX
    ax = _axes_mm(fig, mx, my, mw, mh)
    drawn = draw_layers(ax, list(atlas.map_layers) + _overlays(atlas, area),
                        overrides=atlas.overrides, pool=atlas.map_layers)
    ext = page_extent(area.geometry, mw, mh)
    ax.set_xlim(ext[0], ext[2])
    ax.set_ylim(ext[1], ext[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_linewidth(0.6)
    draw_scale_bar(ax, mw, page_label="A4 portrait")
    draw_north_arrow(ax, size_frac=0.08)
    if atlas.fictional:
        ax.text(0.012, 0.985, "FICTIONAL DATA – not real events, people or places",
                transform=ax.transAxes, fontsize=8, fontweight="bold", color="#b2182b",
                va="top", ha="left", zorder=12,
                bbox=dict(boxstyle="square,pad=0.4", facecolor="white", edgecolor="#b2182b"))
    _locator(fig, atlas, area, ext)
    ph = 52.0
    panel = _axes_mm(fig, M, 81.0, W - 2 * M, ph)
    panel.set_xlim(0, W - 2 * M)
    panel.set_ylim(0, ph)
    panel.axis("off")
    half = (W - 2 * M) / 2
    y = _figures(panel, area, 0.0, ph, half - 4)
    _subareas(panel, area, 0.0, y, half - 4, 0.0)
    shown = [i for i in reversed(drawn) if i.name == atlas.result.name]
    draw_legend(panel, shown, x=half + 2, top=ph, width=half - 2, bottom=0.0, fontsize=6.5)
    what = (atlas.result.meta or {}).get("subject") or "Records"
    _trend(fig, area, what)
    notes = list(area.notes) + list(atlas.notes) + [
        "Map classes are those of the whole study area; the other areas are faded."] + \
        list(atlas.rule_lines)
    fs = 6.0
    chars = int((W - 2 * M) / (fs * PT_MM * 0.55))
    lines = [ln for n in notes for ln in textwrap.wrap(n, chars)][:9]
    fig.text(M / W, 40.0 / H, "\n".join(lines), fontsize=fs, va="top", color="#333333",
             linespacing=1.35)
    if atlas.attribution:
        att = textwrap.wrap(atlas.attribution, chars)[:3]
        fig.text(M / W, (M + 8) / H, "\n".join(att), fontsize=5.5, va="top",
                 color="#333333", linespacing=1.3)
    return fig


def write_atlas_pdf(atlas, path, *, dpi: int = 150, png_dir=None) -> Path:
    """Write every page of ``atlas`` into one PDF (atomically); return the path.

    With ``png_dir``, each page is also saved there as ``page_<n>.png`` (for the DOCX).
    """
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    path = Path(path)
    n = len(atlas.areas)
    with atomic_write_path(path) as tmp, matplotlib.rc_context({"pdf.fonttype": 3}):
        with PdfPages(tmp, metadata={"Title": f"Atlas: {atlas.title}", "Creator": "hotmap"}) \
                as pdf:
            for k, area in enumerate(atlas.areas, 1):
                fig = render_atlas_page(atlas, area, k, n, dpi=dpi)
                pdf.savefig(fig)
                if png_dir is not None:
                    fig.savefig(Path(png_dir) / f"page_{k:04d}.png", dpi=110)
                fig.clear()
    return path
