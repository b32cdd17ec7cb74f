"""Which layers of a workspace an atlas maps, and which project steps it needs.

The atlas itself (one page per area of a boundary layer) is gathered and written
by :mod:`mapping.export.atlas_content`; :func:`atlas_from_workspace` finds its
result and boundary layers in a workspace; :func:`steps_needed` says which steps
of a project must run first, and :func:`atlas_from_project` (``hotmap atlas``)
runs them and writes the atlas.
"""

from __future__ import annotations

from pathlib import Path

from layers.common.errors import ProjectError
from boundaries.workspace import Workspace
from mapping.export.atlas_content import build_atlas, write_atlas
from mapping.pipeline.policy import Policy
from mapping.pipeline.step_runner import run_step

__all__ = ["atlas_from_workspace", "atlas_from_project", "steps_needed"]


def atlas_from_workspace(ws, analysis: str, by: str, out, *, policy=None, layer: str = "",
                         docx: bool = True) -> list[Path]:
    """Write the atlas of a workspace's analysis result ``analysis`` by the areas of ``by``.

    ``layer`` names which output of the analysis to map (default: its main
    result, the layer called ``analysis``; else its first area output).
    """
    policy = policy or Policy.from_project(ws.project)
    names = ws.layers.names()
    if by not in names:
        areas = [n for n in names if (ws.layers[n].source or {}).get("boundaries")]
        raise ProjectError(f"atlas: no boundary layer called '{by}'",
                           fix=f"use one of: {', '.join(areas) or 'none'}")
    target = layer or analysis
    if target not in names:
        outs = [n for n in names if (ws.layers[n].source or {}).get("analysis") == analysis
                and ws.layers[n].kind in ("areas", "grid")]
        if not outs:
            raise ProjectError(f"atlas: no analysis result called '{analysis}'",
                               fix="name an [[analyses]] entry whose result is areas")
        target = outs[0]
    atlas = build_atlas(ws.layers[target], ws.layers[by], list(ws.layers), policy.rules,
                        fictional=bool(ws.project.fictional))
    return write_atlas(atlas, out, docx=docx)


def steps_needed(project, analysis: str) -> list:
    """The project's enabled steps that ``analysis`` needs, in project order: the step itself
    and, recursively, every step whose result its parameters name (a roll-up's source)."""
    steps = [s for s in project.analyses if s.enabled]
    by_name = {s.name: s for s in steps}
    if analysis not in by_name:
        known = ", ".join(by_name) or "none"
        raise ProjectError(f"atlas: the project has no analysis called '{analysis}'",
                           path=project.path, fix=f"use one of: {known}")

    def refs(step):
        vals = []
        for v in step.params.values():
            vals += v if isinstance(v, list) else list(v) if isinstance(v, dict) else [v]
        names = [v for v in vals if isinstance(v, str)]
        return {s for s in by_name for n in names if n == s or n.startswith(s + "_")}

    need, todo = set(), [analysis]
    while todo:
        n = todo.pop()
        if n in need:
            continue
        need.add(n)
        todo += list(refs(by_name[n]) - need)
    return [s for s in steps if s.name in need]


def atlas_from_project(project_path, analysis: str, by: str, out, *, layer: str = "",
                       docx: bool = True, progress=None) -> list[Path]:
    """Open a project, run the steps ``analysis`` needs, and write its atlas by ``by``."""
    ws = Workspace.open(project_path, progress=progress)
    policy = Policy.from_project(ws.project)
    steps = steps_needed(ws.project, analysis)
    for i, step in enumerate(steps):
        if progress:
            progress(i / (len(steps) + 1), f"Running {step.name}")
        run_step(ws, step, policy=policy, outdir=Path(out).parent)
    if progress:
        progress(len(steps) / (len(steps) + 1), "Drawing the atlas pages")
    return atlas_from_workspace(ws, analysis, by, out, policy=policy, layer=layer, docx=docx)
