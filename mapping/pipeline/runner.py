"""The one runner: every front runs an analysis through :func:`run_step`.

``hotmap run`` (a project file), the command-line verbs (a project built from
their flags, :mod:`app.cli_verbs`) and the GUI's dialogs all call
:func:`run_step`, which

1. checks the parameters against the analysis's declaration
   (:mod:`mapping.pipeline.declare`) and fills the declared defaults;
2. hands the computation the project's :class:`~mapping.pipeline.policy.Policy`
   (disclosure rules, minimum KDE bandwidth for sensitive records);
3. turns every output into a layer with a typed
   :class:`~mapping.core.meta.ResultMeta`: subject and filter in words, period,
   base n, inputs, licences inherited from the inputs, the disclosure rules,
   declared count columns;
4. puts the layers into the workspace, in place of an earlier run's.

The output writers (:func:`write_layer_files` for one result,
:func:`write_project_outputs` for a whole project) apply the same policy.
:func:`run_project` is ``hotmap run``: load, run every step, write everything.

The parts: :mod:`~mapping.pipeline.resolve` (parameters),
:mod:`~mapping.pipeline.step_runner` (one step), :mod:`~mapping.pipeline.result_layers`
(results as layers), :mod:`~mapping.pipeline.layer_files` (a verb's files) and
:mod:`~mapping.pipeline.project_outputs` (a project's); the fronts import them from here.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from boundaries.workspace import Workspace
from mapping.export.chart_writer import chart_writer
from mapping.pipeline.layer_files import (PARALLEL_ROWS, output_folder, published_layers,
                                          write_layer_files)
from mapping.pipeline.policy import Policy
from mapping.pipeline.project_outputs import write_project_outputs
from mapping.pipeline.resolve import resolve_params
from mapping.pipeline.step_runner import Cancelled, run_step

__all__ = ["run_step", "run_project", "write_project_outputs", "write_layer_files",
           "resolve_params", "RunReport", "Cancelled", "published_layers", "PARALLEL_ROWS"]


@dataclass
class RunReport:
    """What ``hotmap run`` did."""

    outdir: Path
    written: list[Path] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)
    loads: dict = field(default_factory=dict)  # layer -> (read, accepted, rejected)
    seconds: float = 0.0

    def summary_lines(self) -> list[str]:
        """Human-readable lines for the command line."""
        lines = [f"{name}: {r} read, {a} accepted, {j} rejected"
                 for name, (r, a, j) in self.loads.items()]
        lines.append(f"{len(self.written)} files written to {self.outdir} "
                     f"in {self.seconds:.1f} s")
        return lines


def run_project(project_path, outdir, *, progress: Callable | None = None,
                cancelled: Callable[[], bool] | None = None,
                freeze_gc: bool = False) -> RunReport:
    """Load a project, run every enabled analysis in order, and write all outputs.

    ``freeze_gc=True`` (``hotmap run``, a process that ends with the run) moves what
    is alive after loading, and again before the output workers fork, out of the
    garbage collector's reach (``gc.freeze``): the loaded layers and libraries live
    to the end anyway, the collector's full passes stop walking them (0.6 s of the
    demo's analyses), and the forked workers do not copy the pages those passes
    would touch.  Objects frozen are never collected, so a long-lived process (the
    desktop app) leaves it off.
    """
    t0 = time.perf_counter()
    ws = Workspace.open(project_path, progress=progress, cancelled=cancelled)
    if freeze_gc:
        gc.freeze()
    if cancelled and cancelled():
        raise Cancelled("cancelled while loading; no outputs were written")
    policy = Policy.from_project(ws.project)
    report = RunReport(outdir=Path(outdir))
    output_folder(outdir)
    for name, res in ws.results.items():
        report.loads[name] = (res.rows_read, len(res.accepted), len(res.rejected))
    results = []
    steps = [s for s in ws.project.analyses if s.enabled]
    # the charts are saved meanwhile, in another process, which finishes the last of
    # them while the disclosure audit runs here
    with chart_writer() as charts:
        for i, step in enumerate(steps):
            if cancelled and cancelled():
                raise Cancelled("cancelled before all analyses ran; no outputs were written")
            if progress:
                progress(i / max(len(steps), 1), f"Running {step.name}")
            results += [lyr.name for lyr in run_step(ws, step, progress=None,
                                                    cancelled=cancelled, outdir=outdir,
                                                    policy=policy, charts=charts)]
        report.layers = results
        if cancelled and cancelled():
            raise Cancelled("cancelled before the outputs were written; none were")

        def before_files():  # the disclosure audit is done; the output workers fork next
            if charts is not None:
                charts.close()
            if freeze_gc:
                gc.freeze()

        report.written = write_project_outputs(ws, outdir, result_names=results,
                                               policy=policy, before_files=before_files)
    report.seconds = time.perf_counter() - t0
    return report
