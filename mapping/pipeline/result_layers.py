"""An analysis's outputs as layers: the typed metadata the runner completes, and the layer.

:func:`result_meta` completes what a computation says about an output (inputs,
subject and filter in words, licences, disclosure rules, declared count
columns, the settings as run); :func:`to_layer` makes the
:class:`~layers.model.Layer` with its style hints.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from layers.model import Layer
from layers.style import LayerStyle
from mapping.core.meta import (ResultMeta, describe_filter, fill_title, literal_text, meta_of,
                               record_subject)
from mapping.export.strands import strand_of
from mapping.pipeline import StepOutput

__all__ = ["result_meta", "to_layer"]


_HINT_KEYS = {"cmap": "palette", "colormap": "palette"}
_SCHEME_NAMES = {"categories": "categorical", "category": "categorical"}


def _normalise_hints(hints: dict) -> dict:
    """Map analysis style hints onto :class:`LayerStyle` field names and scheme keys."""
    out = {_HINT_KEYS.get(k, k): v for k, v in dict(hints).items()}
    if "scheme" in out:
        out["scheme"] = _SCHEME_NAMES.get(out["scheme"], out["scheme"])
    return out


def _input_layers(decl, params, ws):
    """``[(Input, [Layer, ...])]`` for every input the step names."""
    out = []
    for inp in decl.inputs:
        v = params.get(inp.name)
        names = [] if v is None else ([v] if isinstance(v, str) else list(v))
        out.append((inp, [ws.layers[n] for n in names if n in ws.layers]))
    return out


def result_meta(out: StepOutput, decl, step, params, ws, policy) -> ResultMeta:
    """The typed metadata of one output: the computation's, completed by the runner."""
    raw = {**meta_of(out.data), **(out.meta or {})}
    m = ResultMeta.from_dict(raw)
    ins = _input_layers(decl, params, ws)
    m.analysis, m.kind = step.name, decl.kind
    m.inputs = [{"input": inp.name, "layer": lyr.name, "kind": lyr.kind,
                 "record_kind": (lyr.meta or {}).get("record_kind"),
                 "rows": len(lyr.data) if hasattr(lyr.data, "__len__") else None}
                for inp, lyrs in ins for lyr in lyrs]
    records = next(((inp, lyrs) for inp, lyrs in ins if lyrs and (
        inp.kind == "records" or (inp.kind == "table" and inp.filter_param))), None)
    if records is not None and m.filter is None:
        fp = records[0].filter_param
        m.filter = params.get(fp) if fp else None
    if m.filter and not m.filter_text:
        m.filter_text = describe_filter(m.filter)
    if records is not None and not m.subject:
        inp, lyrs = records
        kinds = [(lyr.meta or {}).get("record_kind") or "generic" for lyr in lyrs]
        label = " and ".join(lyr.name for lyr in lyrs)
        m.subject = record_subject(kinds, m.filter, label=label)
    m.title = fill_title(m.title or decl.title, m.subject)
    if "sensitive" not in raw:
        m.sensitive = any(lyr.sensitive for _, lyrs in ins for lyr in lyrs)
    lines = list(m.attribution or [])
    for _, lyrs in ins:
        for lyr in lyrs:
            lines += list((lyr.meta or {}).get("attribution") or [])
    m.attribution = list(dict.fromkeys([*lines, *policy.attribution]))
    m.fictional = m.fictional or policy.fictional
    m.disclosure = policy.rules.to_dict()
    spec = decl.output_for(step.name, out.name)
    if spec is not None:
        cols = [str(c) for c in getattr(out.data, "columns", [])]
        m.count_columns = list(dict.fromkeys([*_columns(spec.counts, cols), *m.count_columns]))
        if spec.rates and m.rate_columns is None:
            m.rate_columns = _columns(spec.rates, cols)
    m.strand = strand_of(decl, getattr(step, "strand", None))
    m.params = {k: v for k, v in {**params, **(m.params or {})}.items() if k != "name"}
    m.settings = _settings(decl, params, m.params)
    return m


_SETTING_TYPES = ("float", "int", "bool", "choice", "period", "date", "list")


def _settings(decl, params: dict, ran: dict) -> list[str]:
    """The declared parameters a reader needs, as "Label value unit" (values as run)."""
    out = []
    as_run = {"bandwidth": ran.get("bandwidth_m"), "cell_size": ran.get("cell_size_m")}
    for p in decl.params:
        v = as_run.get(p.name) if as_run.get(p.name) is not None else params.get(p.name)
        if p.type not in _SETTING_TYPES or v in (None, False, [], ()):
            continue
        if p.type == "bool":
            out.append(p.label)
            continue
        text = ", ".join(map(literal_text, v)) if isinstance(v, (list, tuple)) else literal_text(v)
        unit = "" if not p.unit else ("%" if p.unit == "%" else f" {p.unit}")
        out.append(f"{p.label.lower() if out else p.label} {text}{unit}")
    return out


def _columns(declared, present) -> list[str]:
    """Declared column names, ``*`` patterns (``*_sum``) matched against the columns present."""
    out = []
    for d in declared:
        out += [c for c in present if fnmatchcase(c, d)] if "*" in d else [d]
    return list(dict.fromkeys(out))


def to_layer(out: StepOutput, meta: ResultMeta, step) -> Layer:
    d = meta.to_dict()
    hints = _normalise_hints(d.get("style") or {})
    d["style"] = hints  # renderers fill fields the user left at their defaults from these
    style = LayerStyle.from_dict(hints)
    if style.column is None and d.get("value_column"):
        style.column = d["value_column"]
    kind = out.kind if out.kind in ("areas", "points", "grid", "surface", "table", "figure") \
        else "table"
    if hasattr(out.data, "attrs") and isinstance(out.data.attrs, dict):
        out.data.attrs["meta"] = d  # the typed metadata replaces what the computation wrote
    return Layer(out.name, out.data, kind=kind, style=style,
                 source={"analysis": step.name, "kind": step.kind}, meta=d,
                 sensitive=bool(meta.sensitive))
