"""Running an analysis for the GUI: a shadow workspace on the worker, results on the GUI thread."""

from __future__ import annotations

import copy

from layers.common.errors import InputError
from layers.style import LayerStyle
from boundaries.workspace import Workspace
from mapping.pipeline.runner import run_step

from app.analysis_forms import gui_words

__all__ = ["run_analysis", "add_results", "unique_name", "default_layer"]


def run_analysis(ws, step, *, progress=None, cancelled=None) -> list:
    """Run ``step`` on a shadow copy of ``ws`` and return the new, detached layers.

    Runs on a worker thread: it never touches ``ws.layers`` (only reads data).
    """
    shadow = Workspace(copy.copy(ws.project))
    for lyr in ws.layers:
        shadow.layers.append(lyr.copy())
    try:
        new = run_step(shadow, step, progress=progress, cancelled=cancelled)
    except InputError as exc:  # name the dialog's fields, not the project file's keys
        raise exc.localise(gui_words(step.kind)) from exc.__cause__
    for lyr in new:
        shadow.layers.remove(lyr)
    return new


def add_results(ws, step, layers, default_palette: str | None = None) -> None:
    """Put result layers into the document (GUI thread) and record the step in the project."""
    for lyr in layers:
        hints = (lyr.meta or {}).get("style") or {}
        if lyr.style.palette == LayerStyle().palette:
            pal = hints.get("palette") or hints.get("cmap") or default_palette
            if pal:
                lyr.style.palette = pal
        ws.layers.replace(lyr)  # a re-run keeps its place in the layer list
    analyses = [a for a in ws.project.analyses if a.name != step.name]
    ws.project.analyses = analyses + [step]
    ws.mark_dirty(True)


def unique_name(ws, base: str) -> str:
    """``base``, or ``base_2``, ``base_3`` ... not yet used by a layer, source or analysis."""
    p = ws.project
    used = set(ws.layers.names()) | {s.name for s in [*p.boundaries, *p.records, *p.tables]} | \
        {a.name for a in p.analyses}
    name, i = base, 2
    while name in used:
        name, i = f"{base}_{i}", i + 1
    return name


def default_layer(ws, p):
    """The layer an analysis form offers first for parameter ``p`` (None: no layer fits).

    Parameters
    ----------
    ws : layers.workspace.Workspace
        The document.
    p : parameter declaration
        A layer parameter of an analysis (``layer_kinds``, ``name``).

    Returns
    -------
    Layer or None
    """
    layers = [lyr for lyr in ws.layers if not p.layer_kinds or lyr.kind in p.layer_kinds]
    if not layers:
        return None
    if p.layer_kinds[:1] == ("table",):  # a table input: tables first, by name
        tables = [lyr for lyr in layers if lyr.kind == "table"]
        named = [lyr for lyr in tables if p.name.rstrip("s") in lyr.name]
        if named or (tables and p.name != "records"):  # records: arrests before tables
            return (named or tables)[0]
    if "areas" in p.layer_kinds:  # prefer the finest boundary layer (LSOA rather than wards)
        bnd = [lyr for lyr in layers if lyr.source.get("boundaries")] or layers
        return max(bnd, key=lambda lyr: len(lyr.data) if hasattr(lyr.data, "__len__") else 0)
    if "points" in p.layer_kinds:  # prefer imported records over analysis results
        recs = [lyr for lyr in layers if lyr.source.get("records")]
        if p.name == "services":
            svc = [lyr for lyr in recs if (lyr.meta or {}).get("record_kind") == "services"]
            return (svc or recs or layers)[0]
        recs = [lyr for lyr in recs if (lyr.meta or {}).get("record_kind") != "services"] or recs
        return (recs or layers)[0]
    return layers[-1]
