"""The analysis dialogs' forms, generated from the analyses' declarations.

:func:`form_for` turns an analysis's inputs and parameters
(:mod:`mapping.pipeline.declare`) into a :class:`FormSpec`: one
:class:`Param` field per input or parameter, with the declaration's label,
plain-words help, unit, range and default.  Nothing about an analysis is
written here; a new analysis has a dialog on the day it is declared.  Qt-free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Param", "FormSpec", "form_for", "parse_literal", "validate_params", "gui_words"]


@dataclass
class Param:
    """One field of an analysis form.

    Attributes
    ----------
    name : str
        The computation's keyword (the project file's key).
    label : str
        Field label.
    kind : str
        Widget kind: ``layer``, ``layers`` (several), ``columns`` (fields of
        the ``of`` layer to tick), ``weighted_layers``
        (several, each with a weight: the value is ``{layer: weight}``),
        ``column`` (of the layer named by ``of``), ``number``, ``int``,
        ``choice``, ``bool``, ``text`` or ``literal`` (a TOML value).
    help : str
        Plain-words explanation: units and what it does to the map.
    layer_kinds : tuple
        Layer kinds a ``layer`` field accepts.
    of : str
        For ``column``: the field naming the layer whose columns are offered.
    choices : tuple
        For ``choice``: the values (registry keys).
    minimum, maximum : float
        Bounds for numbers; for ``layers`` and ``weighted_layers`` the fewest
        layers to tick.
    unit : str
        Suffix shown after numbers (" m", " %").
    optional : bool
        May be left blank (the analysis chooses, or the option is off).
    default : Any
        The declared default.
    advanced : bool
        Shown under "More options".
    also_layers : tuple
        For ``column``: layers of these kinds are offered too.
    editable : bool
        For ``choice``: other values may be typed (``knn:6``).
    item : str
        For lists: the kind of item (``area_code``: codes of the areas, which
        the dialog can take from the map selection).
    """

    name: str
    label: str
    kind: str = "literal"
    help: str = ""
    layer_kinds: tuple = ()
    of: str = ""
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    optional: bool = True
    default: Any = None
    advanced: bool = False
    also_layers: tuple = ()
    editable: bool = False
    item: str = ""


@dataclass
class FormSpec:
    """A whole form: title, description and fields."""

    kind: str
    title: str
    description: str
    params: list = field(default_factory=list)
    one_of: tuple = ()  # groups of fields of which exactly one is filled in


_WIDGET = {"float": "number", "int": "int", "bool": "bool", "choice": "choice",
           "text": "text", "expr": "text", "date": "text", "period": "text",
           "column": "column", "area_table": "column", "file": "literal", "list": "literal",
           "pairs": "literal", "mapping": "literal", "literal": "literal"}


def _title(text: str) -> str:
    return text.replace("{subject}", "records").replace(": records", "")


def _input_field(inp) -> Param:
    kinds = tuple(inp.layer_kinds)
    if inp.weighted:  # the composite's layers, each with its weight
        return Param(inp.name, inp.label + " and weights", "weighted_layers",
                     inp.help + " 2 counts twice as much as 1.", layer_kinds=kinds,
                     optional=not inp.required, minimum=inp.fewest if inp.required else 0)
    many = inp.many and (inp.name == "layers" or inp.named)
    return Param(inp.name, inp.label, "layers" if many else "layer", inp.help,
                 layer_kinds=kinds, optional=not inp.required,
                 minimum=(inp.fewest if inp.required else 0) if many else None,
                 advanced=inp.advanced)


def _param_field(p) -> Param:
    from mapping.pipeline import REQUIRED

    unit = f" {p.unit}" if p.unit and p.unit != "%" else (" %" if p.unit == "%" else "")
    default = None if p.default is REQUIRED else p.default
    if isinstance(default, tuple):
        default = list(default)
    optional = not p.required
    widget = "columns" if p.type == "list" and p.of else _WIDGET[p.type]  # fields to tick
    return Param(p.name, p.label, widget, p.help, of=p.of, choices=tuple(p.choices),
                 minimum=p.minimum, maximum=p.maximum, unit=unit, optional=optional,
                 default=default, advanced=p.advanced,
                 also_layers=tuple({"records": "points"}.get(k, k) for k in p.also_layers),
                 editable=p.name == "weights", item=p.item if p.type == "list" else "")


def form_for(kind: str) -> FormSpec:
    """The form of an analysis kind, from its declaration."""
    from mapping.pipeline import get_analysis

    decl = get_analysis(kind)
    weighted = any(i.weighted for i in decl.inputs)  # weights are given beside the layers
    params = [_input_field(i) for i in decl.inputs] + [
        _param_field(p) for p in decl.params if not (weighted and p.name == "weights")]
    params.append(Param("name", "Result layer name", "text", "Name of the new layer (must be "
                        "unique); its outputs are named after it.", optional=False,
                        default=kind))
    _in_gui_words(params, decl)
    return FormSpec(kind, decl.label or _title(decl.title), decl.about or decl.summary, params,
                    one_of=tuple(tuple(g) for g in decl.one_of))


_BLANK_SENTENCE = re.compile(r"\s*Blank(?: uses| means|:)[^.]*(?:\.|$)")
_FLAG = re.compile(r"--[a-z][a-z0-9-]*")


def _in_gui_words(params: list, decl) -> None:
    """Make the declaration's words right for a form (in place).

    * a required field's help does not say what a blank does (it cannot be
      blank: a shared parameter made required keeps its "Blank: ..." sentence);
    * command-line flags in a help ("for --suggest") become the field's label;
    * two fields with one label (a layer of new sites and typed sites) are told
      apart by what they take.
    """
    flags = {}
    for x in [*decl.inputs, *decl.params]:
        flag = getattr(x, "cli", None) or "--" + x.name.replace("_", "-")
        flags[flag] = x.name
    labels = {p.name: p.label for p in params}
    for p in params:
        if not p.optional and p.help:
            p.help = _BLANK_SENTENCE.sub("", p.help).strip()
        if p.help and "--" in p.help:
            p.help = _FLAG.sub(lambda m: f"“{labels[flags[m.group(0)]]}”"
                               if flags.get(m.group(0)) in labels else m.group(0), p.help)
    seen: dict[str, list] = {}
    for p in params:
        seen.setdefault(p.label, []).append(p)
    for same in seen.values():
        if len(same) > 1:
            for p in same:
                p.label += " (a layer)" if p.kind in ("layer", "layers") else \
                    " (typed in)"


def gui_words(kind: str) -> dict:
    """Parameter names -> their field labels, for messages shown in a dialog."""
    spec = form_for(kind)
    return {p.name: f"“{p.label}”" for p in spec.params}


def parse_literal(text: str):
    """Parse a TOML value typed by the user (``5``, ``"a"``, ``[1, 2]``, ``true``); bare words
    are strings."""
    import tomllib

    text = text.strip()
    if not text:
        return None
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def validate_params(spec: FormSpec, values: dict, layers) -> list[str]:
    """Check values before running; return plain-words problems (empty list = fine).

    Checks required fields, numeric bounds, layer kinds, columns, geographic CRS
    (distances need metres) and filter syntax.  The runner checks the same
    declaration again (:func:`mapping.pipeline.runner.resolve_params`), whatever the front.
    """
    problems = []
    names = layers.names() if hasattr(layers, "names") else list(layers)
    for p in spec.params:
        v = values.get(p.name)
        if v in (None, "", []):
            if not p.optional:
                problems.append(f"{p.label}: please fill this in.")
            continue
        if p.kind in ("number", "int"):
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                problems.append(f"{p.label}: '{v}' is not a number.")
                continue
            lo = -float("inf") if p.minimum is None else p.minimum
            hi = float("inf") if p.maximum is None else p.maximum
            if v < lo or v > hi:
                problems.append(f"{p.label}: {v:g}{p.unit} is outside {lo:g}–{hi:g}{p.unit}.")
        if p.kind in ("layers", "weighted_layers") and isinstance(v, (list, dict)):
            if p.minimum is not None and len(v) < p.minimum:
                problems.append(f"{p.label}: tick at least {p.minimum:g} layers.")
            if isinstance(v, dict):
                w = list(v.values())
                if any(not isinstance(x, (int, float)) or x < 0 for x in w) or not sum(w) > 0:
                    problems.append(f"{p.label}: weights must be 0 or more, not all 0.")
        if p.kind in ("layer", "layers", "weighted_layers"):
            for name in (list(v) if isinstance(v, (list, dict)) else [v]):
                if name not in names:
                    problems.append(f"{p.label}: there is no layer called '{name}'.")
                    continue
                layer = layers[name]
                if p.layer_kinds and layer.kind not in p.layer_kinds:
                    problems.append(f"{p.label}: '{name}' is a {layer.kind} layer; this needs "
                                    f"{' or '.join(p.layer_kinds)}.")
                crs = getattr(layer.data, "crs", None)
                if crs is not None and not getattr(crs, "is_projected", True):
                    problems.append(f"{p.label}: '{name}' is in a geographic CRS (degrees), so "
                                    "distances would be wrong. Fix: re-import it with the CRS "
                                    "set, so it is converted to British National Grid "
                                    "(EPSG:27700, metres).")
        if p.kind == "column" and p.of:
            lname = next((values.get(o) for o in p.of.split("|") if values.get(o)), None)
            if p.also_layers and v in names and layers[v].kind in p.also_layers:
                continue
            if isinstance(lname, str) and lname in names:
                data = layers[lname].data
                if hasattr(data, "columns") and v not in data.columns:
                    problems.append(f"{p.label}: layer '{lname}' has no field '{v}'.")
        if p.kind == "text" and p.name.endswith("filter") and isinstance(v, str):
            try:
                from mapping.core.filters import parse_filter

                parse_filter(v)
            except Exception as exc:  # noqa: BLE001 - reported as a problem
                problems.append(f"{p.label}: {exc}")
    rname = values.get("name")
    if isinstance(rname, str) and rname.strip() == "":
        problems.append("Result layer name: please give the new layer a name.")
    return problems
