"""Running one analysis step on a workspace: :func:`run_step`, what every front calls.

It checks the parameters (:func:`mapping.pipeline.resolve.resolve_params`), hands
the computation the project's policy, turns every output into a layer with its
typed metadata (:mod:`mapping.pipeline.result_layers`) and puts the layers into
the workspace, in place of an earlier run's.  The whole list of what it does is
in :mod:`mapping.pipeline.runner`.
"""

from __future__ import annotations

from typing import Callable

from layers.common.errors import HotmapError
from layers.model import Layer
from layers.project import AnalysisStep
from boundaries.workspace import Workspace
from mapping.pipeline import StepContext, get_analysis
from mapping.pipeline.policy import Policy
from mapping.pipeline.resolve import resolve_params
from mapping.pipeline.result_layers import result_meta, to_layer

__all__ = ["run_step", "Cancelled"]


class Cancelled(HotmapError):
    """The user cancelled the work; nothing half-made was kept."""


def _context(ws: Workspace, policy, progress=None, cancelled=None, outdir=None,
             charts=None) -> StepContext:
    """What the computation sees: every layer's data and meta, the project and the policy."""
    layers, meta = {}, {}
    for lyr in ws.layers:
        layers[lyr.name] = lyr.data
        meta[lyr.name] = {**lyr.meta, "kind": lyr.kind, "sensitive": lyr.sensitive,
                          "allow_raw_export": lyr.allow_raw_export}
    return StepContext(layers=layers, meta=meta, project=ws.project, progress=progress,
                       cancelled=cancelled or (lambda: False), outdir=outdir, policy=policy,
                       charts=charts)



def _place(ws, layers: list[Layer]) -> None:
    """Put result layers into the stack, each where an earlier run's layer of that name was."""
    for lyr in layers:
        ws.layers.replace(lyr)


def run_step(ws: Workspace, step: AnalysisStep, *, progress: Callable | None = None,
             cancelled: Callable[[], bool] | None = None, outdir=None,
             policy: Policy | None = None, charts=None) -> list[Layer]:
    """Run one analysis on a workspace and add (or replace) its result layers.

    Charts an analysis draws are saved under ``outdir/charts`` (a temporary
    folder when ``outdir`` is None).

    Parameters
    ----------
    ws : Workspace
    step : AnalysisStep
        Kind, name and parameters (as the project file writes them).
    progress, cancelled : callable, optional
    outdir : path, optional
    policy : Policy, optional
        Default: the project's (:meth:`Policy.from_project`).
    charts : mapping.export.chart_writer.ChartWriter, optional
        Saves the charts in its own process (``hotmap run``); default: saved here.

    Raises
    ------
    ProjectError
        Unknown analysis kind or bad parameters; :class:`Cancelled` when cancelled.
    """
    decl = get_analysis(step.kind)
    policy = policy or Policy.from_project(ws.project)
    where = f"analysis '{step.name}' ({step.kind})"
    params = resolve_params(decl, step.params, ws, where=where)
    params["name"] = params.get("name") or step.name
    ctx = _context(ws, policy, progress, cancelled, outdir, charts)
    outputs = decl.compute(ctx, **params)
    if cancelled and cancelled():
        raise Cancelled("cancelled: no result was added")
    new = [to_layer(o, result_meta(o, decl, step, params, ws, policy), step)
           for o in outputs]
    _place(ws, new)
    return new

