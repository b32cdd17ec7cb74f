"""Static map export: PNG (dpi stored in the file), SVG and PDF (vector).

Exporters live in a name-keyed registry (:data:`EXPORTERS`, keyed by file
suffix).  Figures come from :func:`mapping.render.draw.render_composition` (an Agg
canvas, no pyplot state) and are written atomically.
"""

from __future__ import annotations

from pathlib import Path

from layers.common.atomic import atomic_write_path
from layers.common.errors import InputError
from mapping.render.png import figure_rgba, write_png

__all__ = ["export_map", "export_all_maps", "EXPORTERS"]


def _meta(comp, fmt):
    title = comp.title or comp.name
    if fmt == "png":
        return {"Title": title, "Software": "hotmap"}
    if fmt == "svg":
        return {"Title": title, "Creator": "hotmap"}
    return {"Title": title, "Creator": "hotmap"}


def _save(fig, tmp: Path, fmt: str, dpi: int, comp):
    import matplotlib

    if fmt == "png":  # matplotlib's own Agg drawing, written by the fast PNG writer
        write_png(tmp, figure_rgba(fig, dpi, fig.get_facecolor()), dpi=dpi,
                  text=_meta(comp, fmt))
        return
    # SVG keeps text as text (editable); PDF uses Type 3 fonts: ~8x faster to write than
    # Type 42 subsetting, still vector and text-searchable
    rc = {"svg.fonttype": "none", "pdf.fonttype": 3, "svg.hashsalt": "hotmap"}
    with matplotlib.rc_context(rc):
        fig.savefig(tmp, format=fmt, dpi=dpi, metadata=_meta(comp, fmt),
                    facecolor=fig.get_facecolor())


#: File suffix -> format name understood by matplotlib.
EXPORTERS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def export_map(comp, layers, path, dpi: int | None = None, *, rules=None, figure=None) -> Path:
    """Render a composition and write it as PNG, SVG or PDF (chosen by suffix).

    Parameters
    ----------
    comp : MapComposition
    layers : LayerStack, list of Layer or dict
    path : str or Path
        Output file; ``.png``, ``.svg`` or ``.pdf``.
    dpi : int, optional
        Defaults to ``comp.dpi`` (300).  Written into the PNG (pHYs chunk).
    rules : DisclosureRules, optional
        Disclosure control (on by default).
    figure : Figure, optional
        A figure already rendered for this composition (reused across formats).

    Returns
    -------
    Path

    Raises
    ------
    InputError
        For an unsupported suffix or an unwritable folder.
    """
    path = Path(path)
    fmt = EXPORTERS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"cannot export a map as '{path.suffix or path.name}'", path=path,
                         fix=f"use one of {', '.join(EXPORTERS)}")
    fig = figure
    if fig is None:
        from mapping.render.layout import render_composition
        fig = render_composition(comp, layers, rules=rules)
    with atomic_write_path(path) as tmp:
        _save(fig, tmp, fmt, int(dpi or comp.dpi), comp)
    return path


def export_all_maps(maps, layers, folder, *, formats=("png", "svg", "pdf"), dpi=None,
                    rules=None) -> list[Path]:
    """Write every map of a project to ``folder`` (one file per map and format).

    Returns
    -------
    list of Path
        Written files, in map order.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    from mapping.render.layout import render_composition

    for comp in maps:
        fig = render_composition(comp, layers, rules=rules)
        for fmt in formats:
            out.append(export_map(comp, layers, folder / f"{comp.slug}.{fmt.lstrip('.')}",
                                  dpi=dpi, rules=rules, figure=fig))
        fig.clear()
    return out
