"""The status line's words for the selected layer: what it is, of what, when, out of how many;
and the layer list's tooltip (:func:`layer_tooltip`).

Reads the layer's metadata defensively: a plain ``meta`` dict (``title``,
``params.filter``, ``period``, ``base_n``) or a typed result metadata object
with ``subject`` and ``filter`` attributes both work.
"""

from __future__ import annotations

import re

__all__ = ["layer_summary", "layer_tooltip"]

_KIND_WORDS = {"areas": "areas", "points": "records", "grid": "grid cells",
               "surface": "density surface", "table": "table", "figure": "chart",
               "basemap": "basemap"}


def _get(meta, key, default=None):
    if meta is None:
        return default
    if isinstance(meta, dict):
        return meta.get(key, default)
    return getattr(meta, key, default)


def _base_n(value) -> str:
    if isinstance(value, dict):  # one base per input layer (composites)
        parts = [f"{k} {int(v):,}" for k, v in value.items() if isinstance(v, (int, float))]
        return "base n: " + ", ".join(parts) if parts else ""
    try:
        return f"base n = {int(value):,}"
    except (TypeError, ValueError):
        return ""


_SPAN = re.compile(r"^(\d{4}-\d{2}(?:-\d{2})?) to (\d{4}-\d{2}(?:-\d{2})?)$")
_SPANS: dict = {}  # id of a record frame -> (rows, period text)


def _period_words(period) -> str:
    """One spelling for every layer: "2018-10 to 2019-01" -> "Oct 2018 – Jan 2019 (4 months)"."""
    text = str(period)
    m = _SPAN.match(text.strip())
    if m:
        from mapping.core.periods import describe_span

        return describe_span([m.group(1), m.group(2)]) or text
    return text


def _records_period(layer) -> str:
    """The span of a record layer's dates ("" without a date column); remembered per frame."""
    data = layer.data
    if layer.kind != "points" or not hasattr(data, "columns") or "date" not in data.columns:
        return ""
    key = id(data)
    got = _SPANS.get(key)
    if got is None or got[0] != len(data):
        from mapping.core.periods import describe_span

        got = (len(data), describe_span(data["date"]))
        _SPANS[key] = got
    return got[1]


def _analysis_period(layer, stack) -> str:
    """A chart or table without a period of its own: the period of its analysis's other
    outputs (the trend chart of the trend's tables)."""
    step = (layer.source or {}).get("analysis")
    if not step or stack is None:
        return ""
    for other in stack:
        if other is not layer and (other.source or {}).get("analysis") == step:
            p = _get(other.meta, "period")
            if p and not isinstance(p, dict):
                return str(p)
    return ""


def layer_summary(layer, stack=None) -> str:
    """One line: name, subject, filter, period and base n of a layer (blank parts left out).

    The period is the layer's own, else the span of a record layer's dates, else (with
    ``stack``) that of another output of the same analysis; spans of months are written
    one way ("Oct 2018 – Jan 2019 (4 months)").

    Examples
    --------
    >>> from layers.model import Layer
    >>> line = layer_summary(Layer("rates", meta={"title": "Arrests per 10,000",
    ...                                        "base_n": 1234, "period": "2024-01 to 2024-12",
    ...                                        "params": {"filter": "offence == 'Supply'"}}))
    >>> for part in line.split(" · "):
    ...     print(part)
    rates: Arrests per 10,000
    only offence == 'Supply'
    Jan 2024 – Dec 2024 (12 months)
    base n = 1,234
    """
    if layer is None:
        return ""
    meta = layer.meta
    params = _get(meta, "params", {}) or {}
    subject = _get(meta, "subject") or _get(meta, "title")
    if not subject:
        n = len(layer.data) if hasattr(layer.data, "__len__") and layer.kind != "surface" else None
        what = _KIND_WORDS.get(layer.kind, layer.kind)
        kind = _get(meta, "record_kind")
        from mapping.core.meta import KIND_SUBJECTS

        words = KIND_SUBJECTS.get(kind, str(kind).replace("_", " ")) if kind else ""
        subject = (f"{n:,} {what}" if n is not None else what) + \
            (f" ({words[:1].lower() + words[1:]})" if words else "")
    filt = _get(meta, "filter")
    if filt is None and isinstance(params, dict):
        filt = params.get("filter")
    if isinstance(filt, dict):  # per-layer filters (composites)
        filt = "; ".join(f"{k}: {v}" for k, v in filt.items() if v)
    period = _get(meta, "period")
    if isinstance(period, dict):
        period = " to ".join(str(v) for v in period.values() if v)
    period = period or _records_period(layer) or _analysis_period(layer, stack)
    period = _period_words(period) if period else ""
    base = _base_n(_get(meta, "base_n"))
    if not base and layer.kind == "points" and hasattr(layer.data, "__len__"):
        base = f"base n = {len(layer.data):,}"
    parts = [f"{layer.name}: {subject}" if subject != layer.name else layer.name]
    parts.append(f"only {filt}" if filt else "all records" if layer.source.get("analysis")
                 else "")
    parts += [str(period) if period else "", base]
    if not layer.enabled:
        parts.append(f"not drawn: {layer.disabled_reason}")
    return " · ".join(p for p in parts if p)


def layer_tooltip(layer) -> str:
    """The layer list's tooltip: how many features of what kind, or why it cannot be drawn."""
    if not layer.enabled:
        return f"Cannot be drawn: {layer.disabled_reason}"
    if layer.kind == "basemap":
        bm = layer.data
        return (f"{layer.name}: basemap from {bm.path.name} ({bm.crs}, {bm.bands} "
                "band(s)); drawn under the map, not exported as data")
    n = len(layer.data) if hasattr(layer.data, "__len__") else 0
    what = {"areas": "areas", "points": "points", "grid": "grid cells",
            "surface": "surface", "table": "table rows", "figure": "chart"}.get(
                layer.kind, layer.kind)
    src = layer.source.get("analysis")
    origin = f"\nResult of analysis '{src}'" if src else ""
    return f"{layer.name}: {n:,} {what}{origin}"
