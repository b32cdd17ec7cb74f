"""The fields of a declaration: :class:`Param`, :class:`Input` and :class:`Output`.

A parameter's *type* (:data:`PARAM_TYPES`) and an input's *kind*
(:data:`INPUT_KINDS`) are the vocabulary every front implements once; how they
make an :class:`~mapping.pipeline.declare.Analysis` is in
:mod:`mapping.pipeline.declare`, which they are imported from.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

__all__ = ["Param", "Input", "Output", "REQUIRED", "PARAM_TYPES", "INPUT_KINDS"]


class _Required:
    """The type of :data:`REQUIRED` (one instance)."""

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
