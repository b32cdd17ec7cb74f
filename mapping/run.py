"""Run a project's analyses and write its outputs: the engine behind ``hotmap run``.

The GUI runs single analyses through :func:`run_step` and exports through
:func:`write_project_outputs`, so both fronts produce the same results.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from layers.errors import HotmapError, InputError, ProjectError
from layers.model import Layer
from layers.project import AnalysisStep
from layers.style import LayerStyle
from layers.workspace import Workspace
from mapping.pipeline import StepContext, StepOutput, get_step

__all__ = ["run_step", "run_project", "write_project_outputs", "RunReport", "Cancelled"]


class Cancelled(HotmapError):
    """The user cancelled the work; nothing half-made was kept."""


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


def _context(ws: Workspace, progress=None, cancelled=None, outdir=None) -> StepContext:
    layers, meta = {}, {}
    for lyr in ws.layers:
        layers[lyr.name] = lyr.data
        meta[lyr.name] = {**lyr.meta, "kind": lyr.kind, "sensitive": lyr.sensitive}
    return StepContext(layers=layers, meta=meta, project=ws.project, progress=progress,
                       cancelled=cancelled or (lambda: False), outdir=outdir)


_HINT_KEYS = {"cmap": "palette", "colormap": "palette"}
_SCHEME_NAMES = {"categories": "categorical", "category": "categorical"}


def _normalise_hints(hints: dict) -> dict:
    """Map analysis style hints onto :class:`LayerStyle` field names and scheme keys."""
    out = {_HINT_KEYS.get(k, k): v for k, v in dict(hints).items()}
    if "scheme" in out:
        out["scheme"] = _SCHEME_NAMES.get(out["scheme"], out["scheme"])
    return out


def _referenced(params, names) -> set:
    """Layer names a step's parameters refer to (strings, lists and table keys)."""
    found = set()
    for v in params.values():
        items = v if isinstance(v, (list, tuple)) else list(v) if isinstance(v, dict) else [v]
        found.update(i for i in items if isinstance(i, str) and i in names)
    return found


def _to_layer(out: StepOutput, step: AnalysisStep, inputs_sensitive: bool = False) -> Layer:
    meta = dict(out.meta)
    # Anything made from a sensitive layer is sensitive unless the analysis says otherwise,
    # so disclosure control treats its small counts and raw locations as such.
    meta.setdefault("sensitive", inputs_sensitive)
    hints = _normalise_hints(meta.get("style") or {})
    meta["style"] = hints  # renderers fill fields the user left at their defaults from these
    style = LayerStyle.from_dict(hints)
    if style.column is None and meta.get("value_column"):
        style.column = meta["value_column"]
    kind = out.kind if out.kind in ("areas", "points", "grid", "surface", "table", "figure") \
        else "table"
    return Layer(out.name, out.data, kind=kind, style=style,
                 source={"analysis": step.name, "kind": step.kind}, meta=meta,
                 sensitive=bool(meta.get("sensitive", False)))


def run_step(ws: Workspace, step: AnalysisStep, *, progress: Callable | None = None,
             cancelled: Callable[[], bool] | None = None, outdir=None) -> list[Layer]:
    """Run one analysis on a workspace and add (or replace) its result layers.

    Charts an analysis draws are saved under ``outdir/charts`` (a temporary
    folder when ``outdir`` is None).

    Raises
    ------
    ProjectError
        Unknown analysis kind or bad parameters; :class:`Cancelled` when cancelled.
    """
    func = get_step(step.kind)
    ctx = _context(ws, progress, cancelled, outdir)
    params = dict(step.params)
    if "name" in inspect.signature(func).parameters:
        params.setdefault("name", step.name)  # results are named after the analysis
    try:
        outputs = func(ctx, **params)
    except TypeError as exc:
        if "argument" in str(exc):
            raise ProjectError(f"analysis '{step.name}' ({step.kind}): {exc}",
                               path=ws.project.path,
                               fix="check the parameter names in [analyses.params]") from exc
        raise
    if cancelled and cancelled():
        raise Cancelled("cancelled: no result was added")
    names = set(ws.layers.names())
    sensitive = any(ws.layers[n].sensitive for n in _referenced(step.params, names))
    new = [_to_layer(o, step, sensitive) for o in outputs]
    for lyr in new:
        if lyr.name in ws.layers:
            ws.layers.remove(lyr.name)
        ws.layers.append(lyr)
    return new


def write_project_outputs(ws: Workspace, outdir: str | Path, *, result_names=None) -> list[Path]:
    """Write maps, data, tables, the HTML map and the audit pack for a workspace."""
    from mapping.compose import MapComposition
    from mapping.disclosure import DisclosureRules
    from mapping.outputs import default_composition, write_outputs

    outdir = _output_folder(outdir)
    proj = ws.project
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
    meta = {"name": proj.name, "fictional": proj.fictional, "description": proj.description}
    return write_outputs(ws.layers, maps, outdir, project_meta=meta,
                         rules=DisclosureRules(threshold=proj.suppression_threshold))


def _output_folder(outdir) -> Path:
    """Create the output folder, or raise a clear InputError when that is impossible."""
    outdir = Path(outdir)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder ({exc.strerror})", path=outdir,
                         fix="choose a writable output folder") from exc
    return outdir


def run_project(project_path, outdir, *, progress: Callable | None = None,
                cancelled: Callable[[], bool] | None = None) -> RunReport:
    """Load a project, run every enabled analysis in order, and write all outputs."""
    t0 = time.perf_counter()
    ws = Workspace.open(project_path, progress=progress, cancelled=cancelled)
    if cancelled and cancelled():
        raise Cancelled("cancelled while loading; no outputs were written")
    report = RunReport(outdir=Path(outdir))
    for name, res in ws.results.items():
        report.loads[name] = (res.rows_read, len(res.accepted), len(res.rejected))
    results = []
    steps = [s for s in ws.project.analyses if s.enabled]
    for i, step in enumerate(steps):
        if cancelled and cancelled():
            raise Cancelled("cancelled before all analyses ran; no outputs were written")
        if progress:
            progress(i / max(len(steps), 1), f"Running {step.name}")
        results += [lyr.name for lyr in run_step(ws, step, progress=None, cancelled=cancelled,
                                                outdir=outdir)]
    report.layers = results
    if cancelled and cancelled():
        raise Cancelled("cancelled before the outputs were written; none were")
    report.written = write_project_outputs(ws, outdir, result_names=results)
    report.seconds = time.perf_counter() - t0
    return report
