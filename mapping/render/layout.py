"""Page layout of a map composition: :func:`render_composition` draws a whole page.

Everything is placed in page millimetres: a title band, the map frame, a
side (landscape) or bottom (portrait) panel with the legend and the notes
box, and the attribution line along the foot.  Text sizes are fixed in points
so they print legibly at A4 (title 15 pt, body 7 pt, attribution 6 pt).
"""

from __future__ import annotations

import textwrap

from layers.common.errors import ProjectError
from layers.model import Layer
from mapping.core.attribution import attribution_text
from mapping.core.meta import notes_sentences
from mapping.disclosure.rules import DisclosureRules, apply_rules
from mapping.render.draw import draw_labels, draw_layers
from mapping.render.legend import PT_MM, draw_legend
from mapping.render.scalebar import draw_north_arrow, draw_scale_bar
from mapping.render.styling import resolve_style

__all__ = ["render_composition", "render_page", "composition_notes", "select_layers"]

MARGIN = 8.0


def select_layers(comp, layers) -> list:
    """Return the composition's layers (by name, bottom first) from a stack/list/dict."""
    if isinstance(layers, dict):
        pool = list(layers.values())
    else:
        pool = list(layers)
    if not comp.layers:
        return pool
    by_name = {lyr.name: lyr for lyr in pool}
    missing = [n for n in comp.layers if n not in by_name]
    if missing:
        raise ProjectError(f"map '{comp.name}' refers to unknown layer(s): {', '.join(missing)}",
                           fix=f"use layer names from: {', '.join(by_name) or 'none'}")
    return [by_name[n] for n in comp.layers]


def composition_notes(comp, layers, rule_lines=()) -> str:
    """The notes box: for each result drawn, what it shows in plain sentences (method,
    records selected, period, base n, parameters, warnings), then the disclosure rules."""
    if comp.notes is not None:
        parts = [comp.notes]
    else:
        parts = []
        for lyr in layers:
            m = lyr.meta or {}
            if not (m.get("method") or m.get("period") or m.get("base_n") is not None
                    or m.get("notes") or m.get("filter")):
                continue
            parts.append(f"{m.get('title') or lyr.name}. " + " ".join(notes_sentences(m)))
    if comp.extra_notes:
        parts.append(comp.extra_notes)
    parts.extend(rule_lines)
    return "\n".join(p for p in parts if p)


def _frame(comp, layers, w, h):
    """Return (xmin, ymin, xmax, ymax) expanded to the frame aspect ratio w:h (mm)."""
    if comp.extent:
        xmin, ymin, xmax, ymax = comp.extent
    else:
        bs = [b for b in (lyr.bounds for lyr in layers) if b is not None]
        if not bs:
            xmin, ymin, xmax, ymax = 0.0, 0.0, 1000.0, 1000.0
        else:
            xmin, ymin = min(b[0] for b in bs), min(b[1] for b in bs)
            xmax, ymax = max(b[2] for b in bs), max(b[3] for b in bs)
        pad = 0.03 * max(xmax - xmin, ymax - ymin, 100.0)
        xmin, ymin, xmax, ymax = xmin - pad, ymin - pad, xmax + pad, ymax + pad
    dx, dy = max(xmax - xmin, 1.0), max(ymax - ymin, 1.0)
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    if dx / dy > w / h:
        dy = dx * h / w
    else:
        dx = dy * w / h
    return cx - dx / 2, cy - dy / 2, cx + dx / 2, cy + dy / 2


def _wrap_lines(text, width, fontsize) -> list[str]:
    chars = max(10, int(width / (fontsize * PT_MM * 0.55)))
    lines = []
    for para in text.split("\n"):
        lines.extend(textwrap.wrap(para, chars) or [""])
    return lines


def _text_block(ax, lines, x, top, bottom, fontsize, **kw) -> float:
    line = fontsize * PT_MM * 1.45
    y = top
    for ln in lines:
        if y - line < bottom - 0.5:
            ax.text(x, y, "… (full notes in the audit pack)", fontsize=fontsize, va="top",
                    style="italic")
            y -= line
            break
        ax.text(x, y, ln, fontsize=fontsize, va="top", **kw)
        y -= line
    return y


def render_page(comp, layers, *, rules=None):
    """Lay out and draw one composition; return an Agg-backed Figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rules = rules if rules is not None else DisclosureRules()
    chosen = select_layers(comp, layers)
    safe, rule_lines = apply_rules(chosen, rules, purpose="image")
    W, H = comp.size_mm
    fig = Figure(figsize=(W / 25.4, H / 25.4), dpi=comp.dpi)
    FigureCanvasAgg(fig)
    fig.patch.set_facecolor("white")
    landscape, map_box, panel_box, foot_h = _title_and_boxes(fig, comp, W, H)
    infos = _draw_map(fig, comp, safe, chosen, layers, rules, map_box, W, H)
    px, py, pw, ph = panel_box
    if pw > 0 and ph > 0:
        pax = fig.add_axes((px / W, py / H, pw / W, ph / H))
        _draw_panel(pax, comp, infos, chosen, rule_lines, pw, ph, landscape)
    attribution = comp.attribution
    if attribution is None:
        attribution = attribution_text(chosen, fictional=comp.fictional)
    if attribution:
        chars = int((W - 2 * MARGIN) / (6 * PT_MM * 0.55))
        lines = textwrap.wrap(attribution, chars)[:3]
        fig.text(MARGIN / W, (MARGIN + foot_h - 1.5) / H, "\n".join(lines), fontsize=6,
                 va="top", ha="left", color="#333333", linespacing=1.3)
    fig._hotmap_infos = infos  # for callers that want the legend data (HTML, DOCX)
    fig._hotmap_rule_lines = rule_lines
    return fig


def _title_and_boxes(fig, comp, W, H):
    """Write the title and subtitle; return whether the page is landscape, the map box,
    the panel box (legend and notes: beside the map in landscape, below in portrait),
    each (x, y, w, h) in page mm, and the height of the foot."""
    landscape = W >= H
    title_h = 16.0 if comp.subtitle else 11.0
    foot_h = 9.0
    top = H - MARGIN
    fig.text(MARGIN / W, (top - 1) / H, comp.title or comp.name, fontsize=15,
             fontweight="bold", va="top", ha="left")
    if comp.subtitle:
        fig.text(MARGIN / W, (top - 9) / H, comp.subtitle, fontsize=10, va="top", ha="left",
                 color="#333333")
    body_top = top - title_h
    body_bottom = MARGIN + foot_h
    if landscape:
        panel_w = 74.0 if (comp.legend or comp.show_notes) else 0.0
        map_box = (MARGIN, body_bottom, W - 2 * MARGIN - panel_w - (4 if panel_w else 0),
                   body_top - body_bottom)
        panel_box = (W - MARGIN - panel_w, body_bottom, panel_w, body_top - body_bottom)
    else:
        panel_h = 78.0 if (comp.legend or comp.show_notes) else 0.0
        map_box = (MARGIN, body_bottom + panel_h + (4 if panel_h else 0), W - 2 * MARGIN,
                   body_top - body_bottom - panel_h - (4 if panel_h else 0))
        panel_box = (MARGIN, body_bottom, W - 2 * MARGIN, panel_h)
    return landscape, map_box, panel_box, foot_h


def _draw_map(fig, comp, safe, chosen, layers, rules, map_box, W, H) -> list:
    """The map frame: the disclosure-safe layers, labels, extent, scale bar, north arrow,
    the fictional-data banner and the locator; returns what was drawn (for the legend)."""
    mx, my, mw, mh = map_box
    ax = fig.add_axes((mx / W, my / H, mw / W, mh / H))
    pool = _scale_pool(comp, safe, chosen, layers, rules)
    infos = draw_layers(ax, safe, overrides=comp.style_overrides, pool=pool)
    if comp.label_layer and comp.label_column:
        lab = [lyr for lyr in safe if lyr.name == comp.label_layer]
        if lab and hasattr(lab[0].data, "geometry"):
            draw_labels(ax, lab[0].data, comp.label_column, rules.threshold)
    xmin, ymin, xmax, ymax = _frame(comp, chosen, mw, mh)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_linewidth(0.6)
    page_label = f"{comp.page} {comp.orientation}" if comp.page != "custom" else ""
    if comp.scale_bar:
        draw_scale_bar(ax, mw, page_label=page_label)
    if comp.north_arrow:
        draw_north_arrow(ax, size_frac=min(0.09, 14.0 / mh))
    if comp.fictional:
        ax.text(0.012, 0.985, "FICTIONAL DATA – not real events, people or places",
                transform=ax.transAxes, fontsize=9, fontweight="bold", color="#b2182b",
                va="top", ha="left", zorder=12,
                bbox=dict(boxstyle="square,pad=0.4", facecolor="white", edgecolor="#b2182b",
                          linewidth=1.2))
    if comp.locator_layer:
        _locator(fig, comp, layers, (xmin, ymin, xmax, ymax), map_box, W, H)
    return infos


def _draw_panel(pax, comp, infos, chosen, rule_lines, pw, ph, landscape) -> None:
    """The panel (``pw`` x ``ph`` mm): the legend, then the notes box."""
    from matplotlib.patches import Rectangle

    pax.set_xlim(0, pw)
    pax.set_ylim(0, ph)
    pax.axis("off")
    y = ph
    if comp.legend:
        shown = [i for i in reversed(infos)
                 if comp.legend_layers is None or i.name in comp.legend_layers]
        leg_w = pw if landscape else pw * 0.46
        y = draw_legend(pax, shown, x=0, top=ph, width=leg_w,
                        bottom=ph * (0.35 if landscape else 0.0))
    if not comp.show_notes:
        return
    notes = composition_notes(comp, chosen, rule_lines)
    if landscape:
        nx, ntop, nw = 0.0, min(y, ph) - 2, pw
    else:
        nx, ntop, nw = pw * 0.52, ph, pw * 0.48
    if notes:
        fs = 6.5
        body = _wrap_lines(notes, nw - 4, fs)
        need = 2 + 7.5 * PT_MM * 1.6 + len(body) * fs * PT_MM * 1.45 + 2
        nbottom = max(0.0, ntop - need)
        pax.add_patch(Rectangle((nx, nbottom), nw, ntop - nbottom, facecolor="#f7f7f7",
                                edgecolor="#bdbdbd", linewidth=0.5))
        pax.text(nx + 2, ntop - 2, "Notes", fontsize=7.5, fontweight="bold", va="top")
        _text_block(pax, body, nx + 2, ntop - 2 - 7.5 * PT_MM * 1.6, nbottom + 1, fs)


def _scale_pool(comp, safe, chosen, layers, rules) -> list:
    """The drawn layers plus, for each shared scale they use, its other layers as
    disclosure control leaves them (class edges never come from suppressed values)."""
    names = {getattr(resolve_style(lyr, comp.style_overrides.get(lyr.name)), "shared_scale", "")
             for lyr in chosen}
    names.discard("")
    if not names:
        return safe
    pool = list(layers.values()) if isinstance(layers, dict) else list(layers)
    drawn = {lyr.name for lyr in chosen}
    others = [lyr for lyr in pool if lyr.name not in drawn and lyr.data is not None
              and lyr.kind in ("areas", "grid", "surface")
              and getattr(resolve_style(lyr, comp.style_overrides.get(lyr.name)),
                          "shared_scale", "") in names]
    if not others:
        return safe
    extra, _ = apply_rules(others, rules, purpose="image")
    by_name = {lyr.name: lyr for lyr in [*safe, *extra]}
    # in the project's order, so every map of a series takes the scheme from the same layer
    ordered = [by_name.pop(lyr.name) for lyr in pool if lyr.name in by_name]
    return ordered + list(by_name.values())


def _locator(fig, comp, layers, ext, map_box, W, H):
    from matplotlib.patches import Rectangle

    pool = list(layers.values()) if isinstance(layers, dict) else list(layers)
    loc = [lyr for lyr in pool if lyr.name == comp.locator_layer]
    if not loc or loc[0].bounds is None or loc[0].kind == "surface":
        return
    mx, my, mw, mh = map_box
    size = min(mw, mh) * 0.26
    iax = fig.add_axes(((mx + mw - size - 2) / W, (my + 14) / H, size / W, size / H))
    outline = Layer("locator", loc[0].data, kind=loc[0].kind)
    outline.update_style(color="#eeeeee", edgecolor="#888888", linewidth=0.2, column=None)
    draw_layers(iax, [outline])
    xmin, ymin, xmax, ymax = ext
    iax.add_patch(Rectangle((xmin, ymin), xmax - xmin, ymax - ymin, facecolor="none",
                            edgecolor="#d7301f", linewidth=1.0))
    b = loc[0].bounds
    iax.set_xlim(min(b[0], xmin), max(b[2], xmax))
    iax.set_ylim(min(b[1], ymin), max(b[3], ymax))
    iax.set_aspect("equal", adjustable="box")
    iax.set_xticks([])
    iax.set_yticks([])
    iax.set_facecolor("white")


def render_composition(comp, layers, *, rules=None):
    """Render a :class:`mapping.render.compose.MapComposition` to a page ``Figure``.

    Parameters
    ----------
    comp : MapComposition
        Page, extent, layer names, title, legend and furniture options.
    layers : LayerStack, list of Layer or dict
        Where to look up ``comp.layers`` by name.
    rules : DisclosureRules, optional
        Disclosure control applied to the layers before drawing (on by
        default; pass ``DisclosureRules(enabled=False)`` only for the analyst's
        own screen).

    Returns
    -------
    matplotlib.figure.Figure
        With an Agg canvas attached; call ``fig.savefig``.
    """
    return render_page(comp, layers, rules=rules)
