"""The plan of a project's outputs, and its writing by worker processes.

:func:`plan_outputs` decides every file :func:`mapping.export.outputs.write_outputs`
writes (maps, GeoPackage, tables, surfaces, workbook, HTML map, audit pack) and
writes none; :func:`write_planned` writes them, each map or file a job of a
:class:`mapping.export.parallel.JobRunner` (worker processes, or this one with one
worker: the same bytes), then the audit pack from the maps' entries.

A map is rendered once (:func:`mapping.render.draw.render_composition`) and that
figure saved as PNG, SVG and PDF; its audit-pack entry is made from the same
figure.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from layers.common.errors import InputError
from mapping.disclosure.rules import DisclosureRules, apply_rules
from mapping.export.audit_pack import chart_entry, chart_files, summary_tables, write_pack
from mapping.export.data import (export_geopackage, export_geotiff, export_meta, export_table,
                                 export_tables_xlsx)
from mapping.export.filenames import slug
from mapping.export.html import export_html
from mapping.export.maps import export_map
from mapping.export.parallel import JobRunner, output_workers
from mapping.export.report import ReportEntry
from mapping.render.layout import render_composition
from mapping.render.layout import composition_notes, select_layers

__all__ = ["OutputPlan", "plan_outputs", "write_planned", "share_scales"]


@dataclass
class OutputPlan:
    """Every file :func:`mapping.export.outputs.write_outputs` will write, decided before any is written.

    :func:`plan_outputs` makes it; :func:`write_planned` writes it.  A check that
    must see what is about to be published (the layers, the maps, the rules)
    takes the plan between the two: nothing has been written yet, and every
    worker process writes from the plan it is given.

    Attributes
    ----------
    layers : list of Layer
        Everything the project loaded and computed.
    maps : list of MapComposition
        The maps, shared scales applied (:func:`share_scales`).
    exportable : list of Layer
        The layers with a table or a surface to write.
    jobs : list of (str, int or None)
        ``("map", i)`` one map in every format, ``("gpkg", None)``,
        ``("layer", j)`` one table or surface of ``exportable``, ``("xlsx", None)``,
        ``("html", None)``; the audit pack is written after the maps.
    """

    layers: list
    maps: list
    outdir: Path
    meta: dict
    rules: DisclosureRules
    formats: tuple = ("png", "svg", "pdf")
    html: bool = True
    report: bool = True
    fictional: bool = False
    exportable: list = field(default_factory=list)
    jobs: list = field(default_factory=list)


def share_scales(maps) -> list:
    """A ``shared_scale`` given to a layer in any map's ``style_overrides`` holds in every map
    of the run, so one ``[maps.style_overrides.<layer>]`` entry puts a series on one scale."""
    shared = {}
    for comp in maps:
        for name, ov in (comp.style_overrides or {}).items():
            if isinstance(ov, dict) and ov.get("shared_scale"):
                shared.setdefault(name, ov["shared_scale"])
    if not shared:
        return list(maps)
    out = []
    for comp in maps:
        comp = copy.copy(comp)  # never write into the project's own tables
        comp.style_overrides = {k: dict(v) for k, v in (comp.style_overrides or {}).items()}
        for name, scale in shared.items():
            comp.style_overrides.setdefault(name, {}).setdefault("shared_scale", scale)
        out.append(comp)
    return out


def plan_outputs(layers, maps, outdir, *, project_meta: dict | None = None,
                 rules: DisclosureRules | None = None, formats=("png", "svg", "pdf"),
                 html: bool = True, report: bool = True) -> OutputPlan:
    """Decide what :func:`mapping.export.outputs.write_outputs` writes (see there); create the folders only."""
    meta = dict(project_meta or {})
    if not meta.get("title") and meta.get("name"):
        meta["title"] = f"{meta['name']}: audit pack"
    all_layers = list(layers)
    maps = share_scales(list(maps))
    outdir = Path(outdir)
    for sub in ("maps", "tables", "surfaces"):
        (outdir / sub).mkdir(parents=True, exist_ok=True)
    exportable = [lyr for lyr in all_layers if lyr.data is not None
                  and (hasattr(lyr.data, "columns") or lyr.kind == "surface")]
    jobs = [("gpkg", None), *(("map", i) for i in range(len(maps))), ("xlsx", None),
            *(("html", None),) * bool(html), *(("layer", j) for j in range(len(exportable)))]
    return OutputPlan(all_layers, maps, outdir, meta, rules or DisclosureRules(),
                      tuple(formats), html, report,
                      bool(meta.get("fictional")) or any(m.fictional for m in maps),
                      exportable, jobs)


def write_planned(plan: OutputPlan, *, workers: int | None = None) -> list[Path]:
    """Write an :class:`OutputPlan`: its jobs in worker processes, then the audit pack.

    Parameters
    ----------
    plan : OutputPlan
    workers : int, optional
        Worker processes (:func:`mapping.export.parallel.output_workers`; 1 writes
        serially, in this process).  The files are the same either way.

    Returns
    -------
    list of Path
        Every file written, in the same order whatever the number of workers:
        maps, charts, GeoPackage, tables and surfaces, workbook, HTML, audit pack.
    """
    n = output_workers(len(plan.jobs), workers)
    with JobRunner(plan, n) as run:
        # the maps first (the audit pack waits for them, and they are most of the work),
        # then the longest of the rest: the workers then finish together
        first = {"map": 0, "html": 1, "gpkg": 2, "xlsx": 3, "layer": 4}
        futures = {job: run.submit(_write_job, job)
                   for job in sorted(plan.jobs, key=lambda j: first[j[0]])}
        charts, entries = [], []  # meanwhile, in this process: the charts and their entries
        for lyr in plan.layers:
            if lyr.kind == "figure":
                charts += chart_files(lyr, plan.outdir)
        maps = [futures[("map", i)].result() for i in range(len(plan.maps))]
        used: set = set()
        entries = [entry for _, entry in maps] + [
            chart_entry(lyr, plan.layers, plan.outdir, plan.rules, used)
            for lyr in plan.layers if lyr.kind == "figure"]
        pack = []
        if plan.report:  # while the workers write the tables
            pack = [write_pack(plan.outdir / "audit_pack.docx", entries, plan.layers,
                               plan.meta, plan.rules, plan.fictional)]
        rest = {job: fut.result() for job, fut in futures.items() if job[0] != "map"}
    written = [p for paths, _ in maps for p in paths] + charts
    order = {"gpkg": 0, "layer": 1, "xlsx": 2, "html": 3}  # as written before the workers
    for job in sorted(rest, key=lambda j: (order[j[0]], j[1] or 0)):
        written += rest[job]
    return written + pack


def _write_job(plan: OutputPlan, job) -> list[Path] | tuple:
    """Write one job of a plan (in a worker process or in this one)."""
    kind, i = job
    if kind == "map":
        return _write_map(plan, plan.maps[i])
    outdir, rules = plan.outdir, plan.rules
    if kind == "gpkg":
        return [export_geopackage(plan.exportable, outdir / "layers.gpkg", rules=rules)]
    if kind == "xlsx":
        return [export_tables_xlsx(plan.exportable, outdir / "tables" / "tables.xlsx",
                                   rules=rules,
                                   grids_in="layers.gpkg and tables/<layer>.csv")]
    if kind == "html":
        return [_write_html(plan)]
    lyr = plan.exportable[i]
    try:
        if lyr.kind == "surface":
            return [export_geotiff(lyr, outdir / "surfaces" / f"{slug(lyr.name)}.tif",
                                   rules=rules)]
        path = outdir / "tables" / f"{slug(lyr.name)}.csv"
        out = [export_table(lyr, path, rules=rules)]
        if lyr.source.get("analysis"):
            out.append(export_meta(lyr, path))
        return out
    except InputError:
        return []  # withheld by disclosure control; the notes say so


def _write_map(plan: OutputPlan, comp) -> tuple:
    """Render one map once, save it in every format; return (paths, audit-pack entry)."""
    all_layers, rules, written = plan.layers, plan.rules, []
    fig = render_composition(comp, all_layers, rules=rules)
    formats = [*plan.formats, *(("png",) if "png" not in plan.formats else ())]
    for fmt in formats:
        written.append(export_map(comp, all_layers, plan.outdir / "maps" / f"{comp.slug}.{fmt}",
                                  figure=fig))
    png = plan.outdir / "maps" / f"{comp.slug}.png"
    chosen = select_layers(comp, all_layers)
    notes = composition_notes(comp, chosen, fig._hotmap_rule_lines)
    infos = {i.name: i for i in fig._hotmap_infos}
    fig.clear()
    safe, _ = apply_rules(chosen, rules, purpose="report")
    main = next((lyr for lyr in reversed(safe) if lyr.name in infos and
                 infos[lyr.name].classification is not None), None)
    cls_t, top_t = (summary_tables(main, infos[main.name], rules) if main is not None
                    else (None, None))
    name = comp.title or comp.name
    raw = []
    if cls_t is not None:
        raw.append((f"Map classes: {name}", cls_t, {}, None, ""))
    if top_t is not None:
        unit = "Cells" if main.kind == "grid" else "Areas"
        col = infos[main.name].style.column or (main.meta or {}).get("value_column")
        cat = infos[main.name].classification.categorical
        lead = f"{unit} in the first classes" if cat else f"{unit} with the highest values"
        raw.append((f"{lead}: {name}", top_t, main.meta or {},
                    col, f"tables/{slug(main.name)}.csv"))
    entry = ReportEntry(title=name, image=png,
                        caption=" – ".join(t for t in (comp.title, comp.subtitle) if t),
                        notes=notes, landscape=comp.size_mm[0] >= comp.size_mm[1],
                        analysis=(main.source or {}).get("analysis", "")
                        if main is not None else "", raw_tables=raw)
    return written, entry


def _write_html(plan: OutputPlan) -> Path:
    names = []
    for comp in plan.maps:
        for n in (comp.layers or [lyr.name for lyr in plan.layers]):
            if n not in names:
                names.append(n)
    order = [lyr for lyr in plan.layers if lyr.name in names] or plan.layers
    overrides = {}
    for comp in plan.maps:
        for k, v in comp.style_overrides.items():
            overrides.setdefault(k, v)
    return export_html(order, plan.outdir / "map.html", rules=plan.rules,
                       title=plan.meta.get("title") or "hotmap map",
                       overrides=overrides, fictional=plan.fictional)
