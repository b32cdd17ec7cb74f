"""Everything a project run writes: maps, layers, tables, the HTML map and the audit pack.

:func:`write_outputs` is what ``hotmap run`` and ``hotmap demo`` call after the
analyses have run: :func:`mapping.export.output_plan.plan_outputs` decides the
files, :func:`~mapping.export.output_plan.write_planned` writes them, the audit
pack through :mod:`mapping.export.audit_pack`.
:func:`~mapping.export.compositions.default_composition` builds a sensible map for
an analysis result when the project file declares none.

Output folder layout::

    maps/<map>.png|.svg|.pdf   one page per map composition
    layers.gpkg                all layers, EPSG:27700 (surfaces as raster tables)
    tables/<layer>.csv         attribute tables ("<5" for suppressed counts)
    tables/tables.xlsx         the same tables as one workbook (grid-cell tables only in
                               layers.gpkg and tables/<layer>.csv)
    surfaces/<layer>.tif       KDE and other surfaces, EPSG:27700
    map.html                   offline interactive map
    audit_pack.docx            maps, notes, summary tables, methods, sources
"""

from __future__ import annotations

from pathlib import Path

from mapping.disclosure.rules import DisclosureRules
from mapping.export.compositions import default_composition
from mapping.export.output_plan import plan_outputs, write_planned

# default_composition is re-exported: the tests and the GUI's callers import it from here
__all__ = ["write_outputs", "default_composition"]

def write_outputs(layers, maps, outdir, *, project_meta: dict | None = None,
                  rules: DisclosureRules | None = None, formats=("png", "svg", "pdf"),
                  html: bool = True, report: bool = True,
                  workers: int | None = None) -> list[Path]:
    """Write all maps, the GeoPackage, tables, surfaces, HTML map and DOCX audit pack.

    :func:`mapping.export.output_plan.plan_outputs` then :func:`~mapping.export.output_plan.write_planned`: the outputs are written in
    worker processes (one map, table or file each), the audit pack once the
    maps are; with ``workers=1`` everything is written in this process, to the
    same bytes.

    Parameters
    ----------
    layers : LayerStack or list of Layer
        Everything the project loaded and computed.
    maps : list of MapComposition
        The maps to draw (see :func:`default_composition`).
    outdir : str or Path
        Output folder (created if needed).
    project_meta : dict, optional
        ``title``, ``area``, ``period``, ``fictional``...
    rules : DisclosureRules, optional
        Disclosure control (on by default).
    workers : int, optional
        Worker processes (default: ``HOTMAP_WORKERS``, else the CPUs available).

    Returns
    -------
    list of Path
        Every file written.
    """
    plan = plan_outputs(layers, maps, outdir, project_meta=project_meta, rules=rules,
                        formats=formats, html=html, report=report)
    return write_planned(plan, workers=workers)

