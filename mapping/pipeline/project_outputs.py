"""Everything a project run publishes: maps, data, tables, the HTML map, the audit pack, atlases.

:func:`write_project_outputs` passes the workspace's layers through the
cross-table disclosure audit, adds a default map for each result no map draws,
and has :mod:`mapping.export.output_plan` write them; then each of the
project's ``[[atlases]]`` (:func:`mapping.pipeline.atlas.atlas_from_workspace`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from boundaries.workspace import Workspace
from mapping.export.compositions import default_composition
from mapping.export.filenames import slug
from mapping.export.output_plan import plan_outputs, write_planned
from mapping.pipeline.atlas import atlas_from_workspace
from mapping.pipeline.layer_files import output_folder, published_layers
from mapping.pipeline.policy import Policy
from mapping.render.compose import MapComposition

__all__ = ["write_project_outputs"]


def write_project_outputs(ws: Workspace, outdir: str | Path, *, result_names=None,
                          policy: Policy | None = None, workers: int | None = None,
                          before_files: Callable[[], None] | None = None) -> list[Path]:
    """Write maps, data, tables, the HTML map and the audit pack for a workspace.

    The files are written by ``workers`` processes (default ``HOTMAP_WORKERS``, else
    the CPUs available; 1 writes them in this process), to the same bytes either
    way (:func:`mapping.export.output_plan.write_planned`).  ``before_files``, when
    given, is called after the disclosure audit and before the first file is
    written (``hotmap run`` waits there for its chart writer, which meanwhile saves
    the last charts beside the audit).
    """
    outdir = output_folder(outdir)
    proj = ws.project
    policy = policy or Policy.from_project(proj)
    maps = [MapComposition.from_dict(m) for m in proj.maps]
    drawn = {n for m in maps for n in getattr(m, "layers", [])}
    base = [lyr for lyr in ws.layers if lyr.source.get("boundaries")
            or (lyr.source.get("basemaps") and lyr.visible)]
    names = result_names if result_names is not None else \
        [lyr.name for lyr in ws.layers if lyr.source.get("analysis")]
    for name in names:
        lyr = ws.layers[name]
        if lyr.kind in ("areas", "grid", "surface") and name not in drawn:
            comp = default_composition(lyr, base, fictional=proj.fictional)
            if comp is not None:
                maps.append(comp)
    if not maps and base:  # a project with no analyses still gets a map of its layers
        maps.append(MapComposition(name="overview", title=proj.name,
                                   layers=[lyr.name for lyr in ws.layers if lyr.kind != "table"],
                                   fictional=proj.fictional))
    meta = {"name": proj.name, "fictional": proj.fictional, "description": proj.description,
            "loads": {name: {"read": res.rows_read, "accepted": len(res.accepted),
                             "rejected": len(res.rejected), "reasons": _reasons(res)}
                      for name, res in ws.results.items()}}
    # what will be published has passed the cross-table disclosure audit before the plan
    # decides any file, and the worker processes write only that
    published = published_layers(ws.layers, policy)
    if before_files is not None:
        before_files()
    plan = plan_outputs(published, maps, outdir, project_meta=meta, rules=policy.rules)
    written = write_planned(plan, workers=workers)
    for entry in getattr(proj, "atlases", []):
        if entry.get("enabled", True):
            path = outdir / "atlases" / f"{slug(entry['name'])}.pdf"
            path.parent.mkdir(parents=True, exist_ok=True)
            written += atlas_from_workspace(ws, entry["analysis"], entry["by"], path,
                                            policy=policy, layer=entry.get("layer", ""),
                                            docx=entry.get("docx", True))
    return written


def _reasons(res) -> dict:
    """Rejected rows per reason (for the audit pack's data limitations)."""
    rej = getattr(res, "rejected", None)
    if rej is None or not len(rej) or "reason" not in getattr(rej, "columns", []):
        return {}
    return {str(k): int(v) for k, v in rej["reason"].value_counts().items()}
