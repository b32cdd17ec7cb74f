"""Why a filter matched no record, in words, with the near values the records do hold.

Used by :func:`mapping.core.filters.apply_filter`, so every front (command line,
dialog, project step) gets the same message::

    filter: no record matches crime_type == 'drugs': no record has crime_type
    'drugs'; values present include 'Drugs' (2,214 records)

Each comparison of the filter is checked on its own.  For those that match
nothing the message names what the records hold instead: a value differing
only in case or spaces, else close spellings (:func:`difflib.get_close_matches`),
else the commonest values; the range of a number column; the range of dates.
When every part matches some records but not together, it says how many each
part matches.

Values are only quoted when at least :data:`MIN_SHOWN` records hold them, and
never from columns that hold names, addresses, postcodes, ids or free text, so a
message cannot single out a person.
"""

from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from mapping.core.filter_eval import evaluate_filter, resolve_column
from mapping.core.filter_parse import FilterNode

__all__ = ["explain_no_match", "MIN_SHOWN"]

#: A value is quoted in a message only if at least this many records hold it.
MIN_SHOWN = 5
_PRIVATE = re.compile(r"(^|_)(name|surname|forename|address|street|location|postcode|"
                      r"post_code|pcd|id|ref|reference|urn|notes?|comments?|description|"
                      r"narrative|text|details?|dob|birth|phone|email)(_|$)")


def _snake(name) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def _norm(v) -> str:
    return " ".join(str(v).split()).casefold()


def _show(v) -> str:
    return f"'{v}'" if isinstance(v, str) else str(v)


def _leaves(node):
    if node.op in ("and", "or", "not"):
        for a in node.args:
            if isinstance(a, FilterNode):
                yield from _leaves(a)
    else:
        yield node


def _text(node) -> str:
    """The comparison written back as filter text."""
    def opnd(o):
        kind, v = o
        if kind == "col":
            return f"`{v}`" if not re.match(r"^[A-Za-z_][\w.]*$", str(v)) else str(v)
        return _show(v)

    op = node.op
    if op in ("in", "not in"):
        return f"{opnd(node.args[0])} {op} [{', '.join(_show(v) for v in node.args[1])}]"
    if op in ("is null", "is not null"):
        return f"{opnd(node.args[0])} {op}"
    if op.endswith(("startswith", "contains")):
        return f"{opnd(node.args[0])} {op} {_show(node.args[1])}"
    return f"{opnd(node.args[0])} {op} {opnd(node.args[1])}"


def _common(s: pd.Series, k: int = 3) -> list[tuple[object, int]]:
    counts = s.dropna().astype(str).value_counts()
    counts = counts[counts >= MIN_SHOWN]
    return list(counts.head(k).items())


def _near_text(s: pd.Series, wanted: list, col: str) -> str:
    """What a text column holds instead of ``wanted``."""
    if _PRIVATE.search(_snake(col)):
        n = int(s.dropna().nunique())
        return f"{col} holds {n:,} other distinct values (not listed: the column may name " \
               "people or places)"
    counts = s.dropna().astype(str).value_counts()
    shown = counts[counts >= MIN_SHOWN]
    norm = {}
    for v, c in shown.items():
        norm.setdefault(_norm(v), []).append((v, c))
    hits = []
    for w in wanted:
        hits.extend(norm.get(_norm(w), []))
    if not hits:
        pool = list(shown.index[:5000])
        lower = {str(v).casefold(): v for v in pool}
        for w in wanted:
            for m in difflib.get_close_matches(str(w).casefold(), list(lower), n=3, cutoff=0.6):
                hits.append((lower[m], int(shown[lower[m]])))
    if hits:
        seen = dict.fromkeys(hits)
        return "values present include " + ", ".join(f"{_show(v)} ({c:,} records)"
                                                    for v, c in list(seen)[:3])
    top = list(shown.head(3).items())
    if top:
        return "the commonest values are " + ", ".join(f"{_show(v)} ({c:,} records)"
                                                       for v, c in top)
    return f"{col} holds {int(counts.size):,} distinct value(s), none held by {MIN_SHOWN} or " \
           "more records"


def _range(s: pd.Series, col: str) -> str:
    if pd.api.types.is_datetime64_any_dtype(s):
        d = s.dropna()
        if not len(d):
            return f"no record has a date in {col}"
        return f"the dates in {col} run from {d.min():%Y-%m-%d} to {d.max():%Y-%m-%d}"
    v = pd.to_numeric(s, errors="coerce").dropna()
    if not len(v):
        # a text column compared as dates ('2019-01' months)
        d = pd.to_datetime(s, errors="coerce", format="mixed").dropna()
        if len(d):
            return f"the dates in {col} run from {d.min():%Y-%m-%d} to {d.max():%Y-%m-%d}"
        return f"{col} holds no numbers"
    fmt = (lambda x: f"{x:,.0f}") if (v == v.round()).all() else (lambda x: f"{x:,.4g}")
    return f"{col} ranges from {fmt(v.min())} to {fmt(v.max())}"


def _leaf_hint(df, leaf) -> str:
    op = leaf.op
    colop = next((a for a in leaf.args if isinstance(a, tuple) and a and a[0] == "col"), None)
    if colop is None:
        return ""
    col = resolve_column(df, colop[1])
    s = df[col]
    if op in ("is null", "is not null"):
        n = int(s.isna().sum())
        return f"{n:,} of {len(s):,} records have {col} missing"
    if op in ("in", "not in", "==", "!=", "startswith", "contains", "not startswith",
              "not contains"):
        lits = list(leaf.args[1]) if op in ("in", "not in") else (
            [leaf.args[1]] if op.endswith(("startswith", "contains")) else
            [a[1] for a in leaf.args if a[0] == "lit"])
        text_col = not (pd.api.types.is_numeric_dtype(s) or
                        pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_bool_dtype(s))
        if text_col and all(isinstance(v, str) for v in lits):
            what = " or ".join(_show(v) for v in lits)
            verb = {"startswith": "starting with ", "contains": "containing "}.get(
                op, "")
            return f"no record has {col} {verb}{what}; " + _near_text(s, lits, col)
        return f"no record has {col} {op} {' or '.join(_show(v) for v in lits)}; " + \
            _range(s, col)
    return f"no record has {_text(leaf)}; " + _range(s, col)


def explain_no_match(df: pd.DataFrame, node, expr: str) -> tuple[str, str]:
    """``(problem, fix)`` of the error raised when ``expr`` selects no row of ``df``.

    Parameters
    ----------
    df : DataFrame
        The records (at least one row).
    node : FilterNode
        The parsed expression.
    expr : str
        The expression as the user wrote it.
    """
    head = f"filter: no record matches {expr.strip()}"
    empty, counts = [], []
    for leaf in _leaves(node):
        try:
            n = int(np.asarray(evaluate_filter(df, leaf), bool).sum())
        except Exception:  # noqa: BLE001 - a hint must never hide the real message
            continue
        counts.append((leaf, n))
        if n == 0:
            empty.append(leaf)
    hints = []
    for leaf in empty[:3]:
        try:
            h = _leaf_hint(df, leaf)
        except Exception:  # noqa: BLE001
            h = ""
        if h:
            hints.append(h)
    spelling = "check the value's spelling and capitals (text is matched exactly)"
    widen = "widen the filter to the values or dates the records hold"
    if hints:
        text = "; ".join(hints)
        fix = spelling if ("values present" in text or "commonest" in text) else widen
        return head + ": " + text, fix
    if len(counts) > 1:
        parts = ", ".join(f"{_text(leaf)}: {n:,}" for leaf, n in counts[:6])
        return (head + f": each part matches some of the {len(df):,} records ({parts}) but "
                "no record matches them all together",
                "combine the parts with 'or', or drop one of them")
    return head + f" (among {len(df):,} records)", widen
