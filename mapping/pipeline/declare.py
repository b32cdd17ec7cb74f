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
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, replace
from typing import Any, Callable

__all__ = ["Param", "Input", "Output", "Analysis", "REQUIRED", "PARAM_TYPES", "INPUT_KINDS"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: Default of a parameter the user must give.
REQUIRED: Any = _Required()

#: The parameter types every front implements.
PARAM_TYPES = (
    "float",     # a number (unit, minimum, maximum)
    "int",       # a whole number
    "bool",      # on/off
    "choice",    # one of ``choices`` (a registry's keys)
    "text",      # free text (titles, labels)
    "expr",      # a filter expression (mapping.core.filters)
    "date",      # YYYY-MM-DD
    "period",    # a period label: 2019Q1, 2019-01, 2019, 2019/20
    "column",    # a field of the input named by ``of`` (or, with also_layers, a layer)
    "area_table",  # a value per area: a column of ``of``; on the CLI a table joined by code
    "file",      # a path (IMD files, road network, comparators); several when ``many``
    "list",      # a list of text or numbers (CLI: comma-separated)
    "pairs",     # a list of [x, y] coordinates in metres (CLI: X,Y repeated)
    "mapping",   # key -> value pairs (CLI: KEY=VALUE repeated)
    "literal",   # anything TOML can write (advanced)
)

#: What a layer input holds.
INPUT_KINDS = ("records", "areas", "surface", "table", "any")


@dataclass(frozen=True)
class Param:
    """One parameter of an analysis.

    Attributes
    ----------
    name : str
        The keyword of the computation and the key in ``[analyses.params]``.
    type : str
        One of :data:`PARAM_TYPES`.
    label : str
        Short label (GUI field, CLI metavar hint).
    help : str
        Plain-words explanation: what it does to the result, with units.
    default : Any
        :data:`REQUIRED`, ``None`` (off / chosen by the analysis) or a value.
    unit : str
        Unit of numbers, e.g. ``"m"``, ``"%"``, ``"h"``.
    minimum, maximum : float, optional
        Allowed range of numbers (inclusive).
    choices : tuple
        Allowed values of a ``choice``.
    of : str
        For ``column`` and ``area_table``: the input whose fields are meant.
    many : bool
        ``file`` and ``column``: several values allowed.
    also_layers : tuple
        For ``column``: a layer of these input kinds may be named instead
        (e.g. need = a record layer counted per area, or an area field).
    cli : str, optional
        The command-line flag (default ``--`` + name with dashes).
    cli_hidden : bool
        Not offered on the command line (e.g. the result name, given by --name).
    advanced : bool
        Shown under "More options" in the GUI.
    item : str
        For ``list``: ``"text"``, ``"int"`` or ``"float"`` items; ``"area_code"``
        for codes of areas (text, which a dialog can take from the map selection).
    """

    name: str
    type: str
    label: str
    help: str = ""
    default: Any = None
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple = ()
    of: str = ""
    many: bool = False
    also_layers: tuple = ()
    cli: str | None = None
    cli_hidden: bool = False
    advanced: bool = False
    item: str = "text"

    def __post_init__(self):
        if self.type not in PARAM_TYPES:
            raise ValueError(f"parameter {self.name!r}: unknown type {self.type!r}")

    @property
    def required(self) -> bool:
        """True when the user must give a value."""
        return self.default is REQUIRED

    @property
    def flag(self) -> str:
        """The command-line flag of this parameter."""
        return self.cli or "--" + self.name.replace("_", "-")

    def but(self, **changes) -> "Param":
        """A copy with some attributes changed (shared parameters tailored per analysis)."""
        return replace(self, **changes)

    def describe_range(self) -> str:
        """``"25 to 5,000 m"``-style text for messages and help."""
        u = f" {self.unit}" if self.unit and self.unit != "%" else self.unit
        if self.minimum is not None and self.maximum is not None:
            return f"{self.minimum:,g} to {self.maximum:,g}{u}"
        if self.minimum is not None:
            return f"at least {self.minimum:,g}{u}"
        if self.maximum is not None:
            return f"at most {self.maximum:,g}{u}"
        return ""


@dataclass(frozen=True)
class Input:
    """One layer an analysis reads.

    Attributes
    ----------
    name : str
        The keyword of the computation and the key in ``[analyses.params]``
        (its value there is a layer name, or a list of names when ``many``).
    kind : str
        One of :data:`INPUT_KINDS`: ``records`` (points), ``areas``
        (polygons), ``surface`` (a KDE result) or ``table``.
    label, help : str
        Plain words.
    required : bool
        False: the analysis runs without it.
    many : bool
        Several layers form one input (records files of several months) or,
        for ``areas``, several are allowed.
    id_param : str
        For ``areas``: the parameter naming the code field (``area_id``).
    filter_param : str
        For ``records``: the parameter holding the filter expression.
    record_kind : str
        For ``records``: the record kind a command-line verb assumes
        (``needles``, ``crack_houses`` ...; police.uk files are recognised
        whatever it says).
    cli : str, optional
        The command-line flag (default ``--`` + name with dashes).
    cli_prefix : str
        For a second records input: the prefix of its own ``--<prefix>-kind``,
        ``--<prefix>-columns``, ``--<prefix>-filter`` options (the first
        records input uses ``--kind``, ``--columns``, ``--filter``).
    result_kinds : tuple
        Layer kinds of analysis results also accepted (``grid`` for areas,
        ``points`` results for records ...).
    named : bool
        Several named layers (the composite's): on the command line
        ``--layer NAME=FILE[,FILE]``, repeated.
    advanced : bool
        Shown under "More options" in the GUI.
    weighted : bool
        With ``named``: each layer carries a weight (the composite's); the
        GUI shows a weight beside each layer and the project may give
        ``{layer = weight}``.
    fewest : int
        With ``many``: the fewest layers the analysis needs when given (the
        composite combines at least 2).
    """

    name: str
    kind: str
    label: str
    help: str = ""
    required: bool = True
    many: bool = False
    id_param: str = ""
    filter_param: str = ""
    record_kind: str = "generic"
    cli: str | None = None
    cli_prefix: str = ""
    result_kinds: tuple = ()
    named: bool = False
    advanced: bool = False
    weighted: bool = False
    fewest: int = 1

    def __post_init__(self):
        if self.kind not in INPUT_KINDS:
            raise ValueError(f"input {self.name!r}: unknown kind {self.kind!r}")

    @property
    def flag(self) -> str:
        """The command-line flag of this input."""
        return self.cli or "--" + self.name.replace("_", "-")

    @property
    def layer_kinds(self) -> tuple:
        """Layer kinds (:data:`layers.model.LAYER_KINDS`) this input accepts."""
        base = {"records": ("points",), "areas": ("areas",), "surface": ("surface",),
                "table": ("table", "areas", "points"), "any": ()}[self.kind]
        return tuple(dict.fromkeys(base + self.result_kinds))

    def but(self, **changes) -> "Input":
        """A copy with some attributes changed."""
        return replace(self, **changes)


@dataclass(frozen=True)
class Output:
    """One output of an analysis.

    Attributes
    ----------
    suffix : str
        Appended to the analysis name: ``""`` for the main result,
        ``"_summary"``, ``"_chart"`` ...  A ``*`` stands for a part chosen
        at run time (``"_*"``: one table per breakdown field).
    kind : str
        ``areas``, ``grid``, ``points``, ``surface``, ``table`` or ``figure``.
    title : str
        What it is, in plain words (for help texts and the audit pack).
    counts : tuple
        Columns that count people or events (suppressed when small).
    rates : tuple
        Columns derived from those counts (suppressed with them).
    optional : bool
        Made only for some parameter values.
    formats : tuple
        Output file suffixes for which this is the output the CLI's ``--out``
        names (e.g. the composite's cell grid for ``.gpkg``, its surface for
        ``.tif``); empty: the first output is.
    """

    suffix: str
    kind: str
    title: str = ""
    counts: tuple = ()
    rates: tuple = ()
    optional: bool = False
    formats: tuple = ()

    def matches(self, analysis_name: str, layer_name: str) -> bool:
        """True if ``layer_name`` is this output of the analysis called ``analysis_name``."""
        full = analysis_name + self.suffix
        if "*" not in full:
            return layer_name == full
        head, tail = full.split("*", 1)
        return layer_name.startswith(head) and layer_name.endswith(tail) and \
            len(layer_name) > len(head) + len(tail) - 1


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
