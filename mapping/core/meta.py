"""The typed metadata of an analysis result, and the plain-English words built from it.

:class:`ResultMeta` is what every writer reads: map titles and notes, tables'
``.meta.json`` sidecars, GeoTIFF tags, the DOCX audit pack and the HTML map.
The runner (:func:`mapping.pipeline.runner.run_step`) makes one for every output from
what the computation returned and what the runner knows (the subject and
filter of the records, their period, inputs, licences and the disclosure
rules), so no front has to.

A layer keeps its metadata as the plain dict :meth:`ResultMeta.to_dict`
returns (TOML/JSON-safe, readable by code that only wants one key);
:meth:`ResultMeta.from_dict` gives the typed view back.

The *subject* says what was counted, from the record layers' kind and the
filter: ``crime_type == 'Drugs'`` on police.uk street crimes is "Drugs
offences", so a map is titled "Drugs offences per 10,000 residents", never
"crime per 10,000 residents".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

__all__ = ["ResultMeta", "describe_filter", "record_subject", "fill_title", "meta_of",
           "notes_sentences", "word_list", "POLICE_UK_SUBJECTS", "KIND_SUBJECTS"]

#: Record kind -> what its records are, in the plural.
KIND_SUBJECTS = {
    "police_uk": "Street crimes and anti-social behaviour (police.uk)",
    "arrests": "Arrests", "offences": "Offences", "needles": "Needle finds",
    "crack_houses": "Crack houses", "services": "Services", "seizures": "Drug seizures",
    "stop_search": "Stop and searches", "clients": "Clients in treatment",
    "generic": "Records",
}

#: police.uk crime types -> subject words.
POLICE_UK_SUBJECTS = {
    "drugs": "Drugs offences", "anti-social behaviour": "Anti-social behaviour incidents",
    "burglary": "Burglaries", "robbery": "Robberies", "vehicle crime": "Vehicle crimes",
    "violence and sexual offences": "Violence and sexual offences",
    "shoplifting": "Shoplifting offences", "bicycle theft": "Bicycle thefts",
    "other theft": "Other thefts", "theft from the person": "Thefts from the person",
    "criminal damage and arson": "Criminal damage and arson offences",
    "possession of weapons": "Possession of weapons offences",
    "public order": "Public order offences", "other crime": "Other crimes",
}

_TYPE_COLUMNS = {"crime_type", "crimetype", "crime type", "offence", "offence_type", "type",
                 "category", "offence_group"}


@dataclass
class ResultMeta:
    """Everything known about one result, for every writer.

    Attributes
    ----------
    title : str
        Plain-English title ("Drugs offences per 10,000 residents").
    subject : str
        What was counted ("Drugs offences"); empty for results not made of records.
    units : str
        Units of the mapped value ("events per 10,000 residents").
    method : str
        The method in a sentence or two, with its reference.
    params : dict
        The parameters as run (declared names).
    settings : list of str
        The parameters a reader needs, in words with units ("Search radius
        (bandwidth) 300 m"), from the analysis's declaration.
    filter : str or None
        The filter expression as given.
    filter_text : str
        The filter in words ("crime type is Drugs"), or "".
    period : str
        The time span of the records used ("Oct 2018 – Jan 2019").
    base_n : int, dict or None
        Number of records the result is built from (per layer for several).
    inputs : list of dict
        ``{"name", "kind", "record_kind", "rows"}`` per input layer.
    attribution : list of str
        Licence keys (``mapping.core.attribution.LICENCES``) or literal lines.
    disclosure : dict
        The rules applied (threshold, secondary suppression, minimum bandwidth).
    notes : list of str
        Sentences a reader needs (warnings, what was raised or left out).
    references : list of str
    count_columns, rate_columns : list of str
        Declared columns of counts of people or events, and of values derived
        from them (disclosure control reads these).
    value_column : str or None
        The column a map of the result shows.
    sensitive, fictional : bool
    analysis, kind : str
        The analysis name and kind that made it.
    style : dict
        Style hints for the map.
    strand : str
        The strategy strand of the audit pack it belongs to (:mod:`mapping.export.strands`).
    extra : dict
        Analysis-specific keys (legends, summaries ...).
    """

    title: str = ""
    subject: str = ""
    units: str = ""
    method: str = ""
    params: dict = field(default_factory=dict)
    settings: list = field(default_factory=list)
    filter: str | None = None
    filter_text: str = ""
    period: str = ""
    base_n: object = None
    inputs: list = field(default_factory=list)
    attribution: list = field(default_factory=list)
    disclosure: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    references: list = field(default_factory=list)
    count_columns: list = field(default_factory=list)
    rate_columns: list | None = None
    value_column: str | None = None
    sensitive: bool = False
    fictional: bool = False
    analysis: str = ""
    kind: str = ""
    style: dict = field(default_factory=dict)
    strand: str = ""
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict | None) -> "ResultMeta":
        """The typed view of a metadata dict (unknown keys go to ``extra``)."""
        d = dict(d or {})
        names = {f.name for f in fields(cls)}
        kw = {k: d.pop(k) for k in list(d) if k in names}
        extra = dict(kw.pop("extra", None) or {})
        extra.update(d)
        notes = kw.get("notes")
        if isinstance(notes, str):
            kw["notes"] = [notes]
        return cls(**kw, extra=extra)

    def to_dict(self) -> dict:
        """A plain dict: the fields, with ``extra`` keys at the top level."""
        d = asdict(self)
        extra = d.pop("extra")
        return {**extra, **d}

    def to_json(self) -> str:
        """The ``.meta.json`` sidecar text."""
        return json.dumps(self.to_dict(), indent=2, default=str, ensure_ascii=False)

    def tags(self) -> dict:
        """Flat string tags for a GeoTIFF (every value a string)."""
        out = {}
        for k, v in self.to_dict().items():
            if v in (None, "", [], {}):
                continue
            out[str(k)] = v if isinstance(v, str) else json.dumps(v, default=str,
                                                                   ensure_ascii=False)
        return out


def meta_of(obj) -> dict:
    """The metadata an analysis function attached to a frame or surface (one spelling).

    Frames carry it in ``attrs["meta"]``; surfaces in ``.meta``.
    """
    attrs = getattr(obj, "attrs", None)
    if isinstance(attrs, dict):
        m = attrs.get("meta")
        if m is not None:
            return m
    m = getattr(obj, "meta", None)
    return m if isinstance(m, dict) else {}


# ------------------------------------------------------------------ filters
def _words(col: str) -> str:
    return str(col).replace("_", " ").strip()


def literal_text(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return f"{v:g}" if isinstance(v, float) else str(v)


_OPS = {"==": "is", "=": "is", "!=": "is not", "<>": "is not", "<": "is below",
        "<=": "is at most", ">": "is above", ">=": "is at least"}
_DATE_OPS = {"<": "before", "<=": "on or before", ">": "after", ">=": "on or after",
             "==": "on", "=": "on", "!=": "not on", "<>": "not on"}


def _describe(node) -> str:
    op, args = node.op, node.args
    if op in ("and", "or"):
        parts = [_describe(a) for a in args]
        return f" {op} ".join(f"({p})" if a.op in ("and", "or") and a.op != op else p
                              for a, p in zip(args, parts))
    if op == "not":
        return f"not ({_describe(args[0])})"
    if op in _OPS:
        (ka, a), (kb, b) = args
        if ka == "lit" and kb == "col":  # 5 < x  ->  x > 5
            flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
            op, (ka, a), (kb, b) = flip.get(op, op), (kb, b), (ka, a)
        col = _words(a) if ka == "col" else literal_text(a)
        val = _words(b) if kb == "col" else literal_text(b)
        dateish = ka == "col" and ("date" in str(a).lower() or str(a).lower() in
                                   ("month", "reported_at", "collected_at"))
        verb = (_DATE_OPS if dateish else _OPS)[op]
        return f"{col} {verb} {val}"
    if op in ("in", "not in"):
        (_, col), values = args
        vals = ", ".join(literal_text(v) for v in values)
        return f"{_words(col)} is {'not ' if op == 'not in' else ''}one of {vals}"
    if op.endswith(("startswith", "contains")):
        (_, col), (_, val) = args
        neg = op.startswith("not ")
        verb = "starts with" if op.endswith("startswith") else "contains"
        return f"{_words(col)} {'does not ' + verb.replace('starts', 'start').replace('contains', 'contain') if neg else verb} '{val}'"
    if op in ("is null", "is not null"):
        (_, col), = args
        return f"{_words(col)} is {'not ' if op == 'is not null' else ''}missing"
    return str(op)


def describe_filter(expr: str | None) -> str:
    """The filter in words: ``crime_type == 'Drugs'`` -> ``"crime type is Drugs"``.

    Returns the expression itself if it cannot be parsed, and ``""`` for none.
    """
    if not expr or not str(expr).strip():
        return ""
    from mapping.core.filters import parse_filter

    try:
        return _describe(parse_filter(str(expr)))
    except Exception:  # noqa: BLE001 - an unparsable filter is reported where it is applied
        return str(expr)


def _type_value(expr: str | None):
    """The single record type a filter selects (``crime_type == 'Drugs'``), else None."""
    if not expr:
        return None
    from mapping.core.filters import parse_filter

    try:
        node = parse_filter(str(expr))
    except Exception:  # noqa: BLE001
        return None
    tests = [node] if node.op not in ("and",) else list(node.args)
    for t in tests:
        if t.op in ("==", "=") and t.args[0][0] == "col" and t.args[1][0] == "lit":
            col = str(t.args[0][1]).lower().replace(" ", "_")
            if col in _TYPE_COLUMNS and isinstance(t.args[1][1], str):
                return t.args[1][1], len(tests) > 1
    return None


def record_subject(record_kinds, filter_expr: str | None = None, label: str = "") -> str:
    """What a record layer (or several) holds, in the plural, after the filter.

    Parameters
    ----------
    record_kinds : sequence of str
        The layers' record kinds (``police_uk``, ``arrests`` ...).
    filter_expr : str, optional
        The filter applied.
    label : str
        A name to use for generic records (e.g. the layer's name).

    Examples
    --------
    >>> record_subject(["police_uk"], "crime_type == 'Drugs'")
    'Drugs offences'
    >>> record_subject(["arrests"])
    'Arrests'
    """
    kinds = [k for k in dict.fromkeys(record_kinds or []) if k]
    typed = _type_value(filter_expr)
    if typed is not None:
        value, more = typed
        base = POLICE_UK_SUBJECTS.get(value.strip().lower())
        if base is None:
            noun = KIND_SUBJECTS.get(kinds[0], "Records") if len(kinds) == 1 else "Records"
            base = f"{value} {noun.lower()}" if noun not in ("Records",) else value
            if kinds == ["police_uk"]:
                base = f"{value} crimes"
        return base + (" (selected)" if more else "")
    if len(kinds) == 1 and kinds[0] != "generic":
        base = KIND_SUBJECTS.get(kinds[0], kinds[0].replace("_", " ").capitalize())
    elif label:
        base = label.replace("_", " ").strip()
        base = base[:1].upper() + base[1:]
    else:
        base = " and ".join(KIND_SUBJECTS.get(k, k) for k in kinds) if kinds else "Records"
    return base + (" (selected)" if filter_expr else "")


def fill_title(template: str, subject: str) -> str:
    """Put the subject into a title template (``"{subject} per 10,000 residents"``)."""
    if "{subject}" not in template:
        return template
    text = template.replace("{subject}", subject or "Records")
    return text[:1].upper() + text[1:]


# -------------------------------------------------------------------- notes
def _lower_first(text: str) -> str:
    """``"Drugs offences"`` -> ``"drugs offences"``, but keep acronyms (``"LSOAs"``)."""
    word = text.split(" ", 1)[0]
    return text if word.isupper() or word[1:2].isupper() else text[:1].lower() + text[1:]


def word_list(parts) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"`` (one item: itself).

    >>> word_list(["Arrests", "Needle finds"])
    'Arrests and Needle finds'
    """
    parts = list(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def _fmt_n(bn) -> str:
    if isinstance(bn, dict):
        return word_list(f"{_fmt_n(v)} {str(k).replace('_', ' ')}" for k, v in bn.items())
    if isinstance(bn, bool):
        return str(bn)
    if isinstance(bn, (int, float)) and float(bn).is_integer():
        return f"{int(bn):,}"
    return str(bn)


def _param_text(params: dict) -> str:
    bits = []
    for k, v in params.items():
        if v in (None, "", [], {}, False) or k in ("name", "filter"):
            continue
        if isinstance(v, bool):
            bits.append(k.replace("_", " "))
            continue
        if isinstance(v, (list, tuple)):
            v = ", ".join(map(literal_text, v))
        elif isinstance(v, dict):
            v = ", ".join(f"{a} {literal_text(b)}" for a, b in v.items())
        else:
            v = literal_text(v)
        bits.append(f"{k.replace('_', ' ')} {v}")
    return "; ".join(bits)


def notes_sentences(meta, *, with_params: bool = True) -> list[str]:
    """The notes of a result as sentences a reader of the audit report understands.

    Parameters
    ----------
    meta : ResultMeta or dict
    with_params : bool
        Include a sentence listing the parameters.
    """
    m = meta if isinstance(meta, ResultMeta) else ResultMeta.from_dict(meta)
    out = []
    if m.method:
        out.append(_sentence(m.method))
    if m.filter_text:
        out.append(f"Records selected: {m.filter_text}.")
    if m.period:
        out.append(f"Period: {m.period}.")
    if m.base_n not in (None, "", {}):
        what = _lower_first(m.subject) if m.subject else "records"
        out.append(f"Based on {_fmt_n(m.base_n)} {what} (base n)."
                   if not isinstance(m.base_n, dict) else f"Based on {_fmt_n(m.base_n)} (base n).")
    if with_params and m.settings:
        out.append("Settings: " + "; ".join(m.settings) + ".")
    elif with_params and m.params:
        text = _param_text(m.params)
        if text:
            out.append(f"Parameters: {text}.")
    out.extend(_sentence(n) for n in m.notes if n)
    return out


def _sentence(text) -> str:
    t = str(text).strip()
    if not t:
        return t
    t = t[:1].upper() + t[1:]
    return t if t.endswith((".", "!", "?")) else t + "."
