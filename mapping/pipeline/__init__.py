"""Project steps: the analyses a project file declares, run by ``hotmap run``.

Each analysis kind (``count``, ``kde``, ``gistar`` ...) is a function
registered under its name with :func:`register_step`.  Modules in this package
are discovered automatically, so a new analysis adds a module here and needs
no edit elsewhere.

A step function has the signature ``step(ctx: StepContext, **params) ->
list[StepOutput]``.  It reads input layers by name with ``ctx.data(name)``,
and returns its outputs; the runner adds them to the context (so later steps
and maps can use them by name) and writes them to the output folder.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["StepOutput", "StepContext", "register_step", "get_step", "step_names"]

_STEPS: dict[str, Callable] = {}
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
        polygons), ``"surface"`` (a :class:`mapping.surface.Surface`),
        ``"table"`` (no geometry) or ``"figure"`` (a saved chart, ``data`` is a path).
    meta : dict
        ``title``, ``units``, ``value_column``, ``method``, ``params``,
        ``base_n``, ``period``, ``notes``, ``style`` hints, ``sensitive``.
    """

    name: str
    data: Any
    kind: str = "table"
    meta: dict = field(default_factory=dict)


@dataclass
class StepContext:
    """What a step can see: the project's loaded layers and earlier outputs."""

    layers: dict = field(default_factory=dict)  # name -> GeoDataFrame / DataFrame / Surface
    meta: dict = field(default_factory=dict)  # name -> metadata dict
    outdir: Any = None
    project: Any = None
    progress: Callable[[float, str], None] | None = None
    cancelled: Callable[[], bool] = lambda: False

    def data(self, name: str):
        """Return the layer or earlier output called ``name``."""
        from layers.errors import ProjectError

        if name not in self.layers:
            known = ", ".join(sorted(self.layers)) or "none"
            raise ProjectError(f"no layer or result called '{name}' (known: {known})",
                               fix="check the layer names in the project file")
        return self.layers[name]


def register_step(kind: str):
    """Register ``func`` as the project step for analysis ``kind``."""

    def deco(func):
        _STEPS[kind] = func
        return func

    return deco


def _discover():
    global _DISCOVERED
    if _DISCOVERED:
        return
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
    _DISCOVERED = True


def get_step(kind: str) -> Callable:
    """Return the step function for ``kind`` or raise a ProjectError naming the known kinds."""
    from layers.errors import ProjectError

    _discover()
    if kind not in _STEPS:
        raise ProjectError(f"unknown analysis kind '{kind}'",
                           fix=f"use one of: {', '.join(sorted(_STEPS))}")
    return _STEPS[kind]


def step_names() -> list[str]:
    """Names of all registered analysis kinds."""
    _discover()
    return sorted(_STEPS)
