"""The analyses: one declaration each, run by one runner from every front.

Each analysis kind (``count``, ``kde``, ``gistar`` ...) is declared once with
:func:`analysis` (see :mod:`mapping.pipeline.declare`): its inputs,
parameters (type, unit, default, range, help) and outputs, and the function
that computes it.  Modules in this package are discovered automatically, so a
new analysis is one module (or one declaration in a module) here; the CLI
verb, the GUI dialog and the project step come from the declaration.

A computation has the signature ``step(ctx: StepContext, **params) ->
list[StepOutput]``.  It reads input layers by name with ``ctx.data(name)``
and returns its outputs; the runner (:func:`mapping.pipeline.runner.run_step`) has
already checked and completed the parameters, applies the project's policy
(disclosure, minimum KDE bandwidth, attribution) and the typed result
metadata, and adds the outputs to the workspace.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

from mapping.pipeline.declare import REQUIRED, Analysis, Input, Output, Param

__all__ = ["StepOutput", "StepContext", "analysis", "get_analysis", "get_step", "step_names",
           "analyses", "register_step", "Analysis", "Input", "Output", "Param", "REQUIRED"]

_ANALYSES: dict[str, Analysis] = {}
_DISCOVERED = False


@dataclass
class StepOutput:
    """One result of an analysis step.

    Attributes
    ----------
    name : str
        Layer or table name; unique in the project.
    data : GeoDataFrame, DataFrame or Surface
        The result.
    kind : str
        ``"areas"`` (polygons with values), ``"points"``, ``"grid"`` (cell
        polygons), ``"surface"`` (a :class:`mapping.core.surface.Surface`),
        ``"table"`` (no geometry) or ``"figure"`` (a saved chart, ``data`` is a path).
    meta : dict
        What the computation knows about its result: ``title`` (may contain
        ``{subject}``, filled in by the runner), ``units``, ``value_column``,
        ``method``, ``params``, ``base_n``, ``period``, ``notes``, ``style``
        hints, ``count_columns`` ... (see :class:`mapping.core.meta.ResultMeta`).
    """

    name: str
    data: Any
    kind: str = "table"
    meta: dict = field(default_factory=dict)


@dataclass
class StepContext:
    """What a computation can see: the loaded layers, earlier outputs and the policy."""

    layers: dict = field(default_factory=dict)  # name -> GeoDataFrame / DataFrame / Surface
    meta: dict = field(default_factory=dict)  # name -> metadata dict
    outdir: Any = None
    project: Any = None
    progress: Callable[[float, str], None] | None = None
    cancelled: Callable[[], bool] = lambda: False
    policy: Any = None  # mapping.pipeline.policy.Policy
    charts: Any = None  # mapping.export.chart_writer.ChartWriter, or None: save here

    def data(self, name: str):
        """Return the layer or earlier output called ``name``."""
        from layers.common.errors import ProjectError

        if name not in self.layers:
            known = ", ".join(sorted(self.layers)) or "none"
            raise ProjectError(f"no layer or result called '{name}' (known: {known})",
                               fix="check the layer names in the project file")
        return self.layers[name]

    def sensitive(self, *names) -> bool:
        """True if any of the named layers is sensitive."""
        flat = [n for x in names for n in ([x] if isinstance(x, str) else list(x or []))]
        return any(self.meta.get(n, {}).get("sensitive") for n in flat)


def analysis(kind: str, **declaration):
    """Declare the analysis ``kind`` and register the decorated function as its computation.

    The keywords are those of :class:`~mapping.pipeline.declare.Analysis`.
    Raises TypeError at import when the function's keywords differ from the
    declared inputs and parameters, or when one has a default of its own
    (defaults are declared once, in the :class:`Param`).
    """

    def deco(func):
        decl = Analysis(kind=kind, compute=func, **declaration)
        decl.check_signature()
        import inspect

        own = [n for n, p in inspect.signature(func).parameters.items()
               if n != "ctx" and p.default is not inspect.Parameter.empty]
        if own:
            raise TypeError(f"analysis {kind!r}: defaults belong in the declaration, not the "
                            f"function ({', '.join(own)})")
        if kind in _ANALYSES and _ANALYSES[kind].compute is not func:
            raise TypeError(f"analysis {kind!r} is declared twice")
        _ANALYSES[kind] = decl
        return func

    return deco


#: Modules of this package that declare no analysis: the declarations' vocabulary, the
#: inputs and examples the analyses share, and the runner with its writers.  Discovery
#: skips them, so listing the analyses (every ``hotmap`` verb's start) does not load the
#: output writers.
_NOT_ANALYSES = ("declare", "declared_fields", "params", "examples", "inputs", "access_inputs",
                 "policy", "resolve", "result_layers", "step_runner", "layer_files",
                 "project_outputs", "runner", "atlas")


def _discover():
    global _DISCOVERED
    if _DISCOVERED:
        return
    for mod in pkgutil.iter_modules(__path__):
        if mod.name not in _NOT_ANALYSES:
            importlib.import_module(f"{__name__}.{mod.name}")
    _DISCOVERED = True


def get_analysis(kind: str) -> Analysis:
    """Return the declaration of ``kind`` or raise a ProjectError naming the known kinds."""
    from layers.common.errors import ProjectError

    _discover()
    if kind not in _ANALYSES:
        raise ProjectError(f"unknown analysis kind '{kind}'",
                           fix=f"use one of: {', '.join(sorted(_ANALYSES))}")
    return _ANALYSES[kind]


def get_step(kind: str) -> Callable:
    """A callable ``step(ctx, **params)`` that fills the declared defaults and computes.

    It does no more than that: the runner (:func:`mapping.pipeline.runner.run_step`)
    also validates parameters and applies the project's policy and metadata.
    """
    decl = get_analysis(kind)

    def step(ctx, **params):
        if getattr(ctx, "policy", None) is None:
            from mapping.pipeline.policy import Policy

            ctx.policy = Policy.from_project(getattr(ctx, "project", None))
        full = {**decl.defaults(), **{i.name: None for i in decl.inputs}, **params}
        full.setdefault("name", kind)
        return decl.compute(ctx, **full)

    step.__doc__ = decl.compute.__doc__
    step.declaration = decl
    return step


def step_names() -> list[str]:
    """Names of all declared analysis kinds."""
    _discover()
    return sorted(_ANALYSES)


def analyses() -> list[Analysis]:
    """Every declaration, in menu order."""
    _discover()
    return sorted(_ANALYSES.values(), key=lambda a: (a.order, a.kind))


def register_step(kind: str):
    """Register a computation whose parameters are read from its signature (transitional).

    Every keyword becomes a ``literal`` parameter with the function's default,
    so a step written this way runs from a project file and the GUI at once;
    declare it with :func:`analysis` to give it typed parameters, inputs and a
    command-line verb.
    """
    import inspect

    def deco(func):
        params = []
        for n, p in inspect.signature(func).parameters.items():
            if n in ("ctx", "name") or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            default = REQUIRED if p.default is inspect.Parameter.empty else p.default
            params.append(Param(n, "literal", n.replace("_", " ").capitalize(),
                                "A value as the project file writes it (number, \"text\", "
                                "[list]). Blank: default.", default=default, advanced=True))
        decl = Analysis(kind=kind, title=kind.replace("_", " ").capitalize(),
                        summary=(inspect.getdoc(func) or kind).split("\n")[0],
                        params=params, compute=func, out="folder")
        decl.auto = True
        _ANALYSES[kind] = decl
        return func

    return deco
