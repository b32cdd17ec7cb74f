"""One declaration per analysis: its inputs, parameters and outputs, in front-neutral terms.

An :class:`Analysis` says everything a front needs to offer an analysis:
what it is called and does (in plain words), which layers it reads
(:class:`Input`), which parameters it takes (:class:`Param`: type, unit,
default, range, help text), which outputs it makes (:class:`Output`) and
which of their columns count people or events (disclosure control reads
that, instead of guessing from column names).

The three fronts are generated from it and never describe an analysis a
second time:

* the project step (``[[analyses]]`` in a project file) is validated
  against it by :func:`mapping.pipeline.runner.run_step`;
* the command-line verb (``hotmap <kind>``): options, help and examples
  come from it (:mod:`app.cli_verbs`);
* the GUI dialog's form (:mod:`app.analysis_forms`).

A parameter's *type* is the shared vocabulary: each front implements each
type once (a file flag and a layer combo box for ``layer``, a
``--population F --population-id C --population-field C`` triple and a
column combo box for ``area_table`` ...).

Declaring an analysis::

    @analysis("count", strand="supply", title="Counts and rates per area", summary="...",
              inputs=[AREAS, POINTS], params=[AREA_ID, FILTER, POPULATION, ...],
              outputs=[Output("", "areas", counts=("count",))])
    def count_step(ctx, *, areas, points, area_id=None, filter=None, ...):
        ...

The decorated function is the computation; its keyword arguments must be
exactly the declared inputs and parameters (checked at registration).

:class:`Param`, :class:`Input` and :class:`Output` are in
:mod:`mapping.pipeline.declared_fields` and imported from here.
"""

from __future__ import annotations

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable

# re-exported: the analyses and the fronts import the fields from here
from mapping.pipeline.declared_fields import (INPUT_KINDS, PARAM_TYPES, REQUIRED, Input, Output,
                                              Param)

__all__ = ["Param", "Input", "Output", "Analysis", "REQUIRED", "PARAM_TYPES", "INPUT_KINDS"]


@dataclass
class Analysis:
    """The declaration of one analysis (see the module docstring).

    Attributes
    ----------
    kind : str
        The analysis kind: project ``kind``, CLI verb and registry key.
    title : str
        The result's title template (``{subject}`` is filled in by the runner).
    label : str
        The analysis's name in plain words (menu entry, dialog title).
    about : str
        What it does in plain words, without command-line terms (the dialog's
        introduction, the audit pack's methods); ``description`` is the CLI help.
    summary : str
        One line for ``hotmap --help``.
    description : str
        Paragraphs for ``hotmap <kind> --help`` and the dialog.
    inputs : list of Input
    params : list of Param
    outputs : list of Output
    compute : callable
        ``compute(ctx, **params) -> list[StepOutput]``.
    examples : list of str
        Command lines (without ``hotmap``) shown in ``--help``; each is run
        by the test suite.
    out : str
        ``"file"``: the CLI's ``--out`` names the main output's file (extra
        outputs are written beside it); ``"folder"``: ``--out`` is a folder.
    out_formats : tuple
        Suffixes ``--out`` accepts for ``out="file"`` (first is the default).
    menu : str
        GUI menu section (``hotspots``, ``deprivation``, ``audit`` ...).
    order : int
        Position in menus and ``--help``.
    aliases : dict
        Older parameter names still read from project files (old -> new).
    cli : bool
        False: no command-line verb (the analysis works on results held in a
        project, e.g. ``rollup``; the verb of another analysis offers it).
    uses_dates : bool
        False: the analysis reads no record dates, so a date column that
        cannot be read (day-first or month-first?) keeps its records, undated
        and counted, instead of stopping the command.
    uses_geometry : bool
        False: the analysis reads nothing of its record layers but coordinates
        and columns (``count``, ``kde``, ``gistar``), so the command line loads
        them coordinate-only (``load_records(geometry=False)``: no shapely point
        is built; the checks and accounting are the same).
    one_of : tuple of tuples
        Groups of inputs/parameters of which exactly one must be given (areas
        or a grid cell size).  The runner refuses both or neither, in the
        words of the front; the dialog clears the others when one is set.
    strand : str
        The strategy strand its results belong to in the audit pack
        (``supply``, ``communities``, ``young_people``, ``treatment``; see
        :mod:`mapping.export.strands`); a project's ``[[analyses]] strand`` overrides it.
    """

    kind: str
    title: str
    summary: str
    label: str = ""
    about: str = ""
    description: str = ""
    inputs: list = field(default_factory=list)
    params: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    compute: Callable | None = None
    examples: list = field(default_factory=list)
    out: str = "file"
    out_formats: tuple = (".csv", ".gpkg", ".geojson", ".shp", ".shp.zip")  # VECTOR_SUFFIXES
    menu: str = "hotspots"
    order: int = 50
    aliases: dict = field(default_factory=dict)
    cli: bool = True
    one_of: tuple = ()
    uses_dates: bool = True
    uses_geometry: bool = True
    strand: str = ""

    # ------------------------------------------------------------------ lookup
    @property
    def fields(self) -> list:
        """Inputs and parameters, in declaration order (inputs first)."""
        return [*self.inputs, *self.params]

    def input(self, name: str) -> Input | None:
        """The input called ``name``, or None."""
        return next((i for i in self.inputs if i.name == name), None)

    def param(self, name: str) -> Param | None:
        """The parameter called ``name``, or None."""
        return next((p for p in self.params if p.name == name), None)

    def names(self) -> list[str]:
        """Every keyword the computation takes."""
        return [f.name for f in self.fields]

    def output_for(self, analysis_name: str, layer_name: str) -> Output | None:
        """The declared output a result layer is (by its name)."""
        exact = [o for o in self.outputs if "*" not in o.suffix]
        for o in exact + [o for o in self.outputs if "*" in o.suffix]:
            if o.matches(analysis_name, layer_name):
                return o
        return None

    def main_output(self, analysis_name: str, layer_names, suffix: str) -> str | None:
        """The result layer the CLI's ``--out FILE<suffix>`` names."""
        suffix = suffix.lower()
        for o in self.outputs:
            if o.formats and suffix in o.formats:
                hit = next((n for n in layer_names if o.matches(analysis_name, n)), None)
                if hit:
                    return hit
        return analysis_name if analysis_name in layer_names else None

    def defaults(self) -> dict:
        """Declared defaults of the parameters that have one (not REQUIRED)."""
        return {p.name: p.default for p in self.params if not p.required}

    # -------------------------------------------------------------- checking
    def check_signature(self) -> None:
        """Raise TypeError unless ``compute``'s keywords are exactly the declared ones."""
        sig = inspect.signature(self.compute)
        kw = [n for n, p in sig.parameters.items()
              if n != "ctx" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
        declared = self.names() + ["name"]
        missing = [n for n in declared if n not in kw]
        extra = [n for n in kw if n not in declared]
        if missing or extra:
            raise TypeError(f"analysis {self.kind!r}: computation and declaration differ "
                            f"(declared only: {missing or 'none'}; computation only: "
                            f"{extra or 'none'})")
        dup = {n for n in declared if declared.count(n) > 1}
        if dup:
            raise TypeError(f"analysis {self.kind!r}: {sorted(dup)} declared twice")
