"""Evaluating a parsed filter on a frame: column names resolved, values made comparable.

:func:`evaluate_filter` walks a :class:`~mapping.core.filter_parse.FilterNode`
tree (semantics in :mod:`mapping.core.filters`); :func:`filter_mask` parses and
evaluates an expression.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from mapping.core.filter_parse import FILTER_FIX, FilterNode, parse_filter

__all__ = ["evaluate_filter", "filter_mask", "resolve_column"]


def _snake(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def resolve_column(df: pd.DataFrame, name: str) -> str:
    cols = [c for c in df.columns if isinstance(c, str)]
    if name in cols:
        return name
    for rule in (str.lower, _snake):
        hits = [c for c in cols if rule(c) == rule(name)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            # prefer the canonical snake-case column if present
            canon = [c for c in hits if c == _snake(name)]
            if canon:
                return canon[0]
    shown = ", ".join(cols[:25]) + (" ..." if len(cols) > 25 else "")
    raise InputError(f"filter: no column called '{name}'", column=name,
                     fix=f"use one of: {shown} (back-quote names with spaces)")


def _as_date(value, col):
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        ts = pd.NaT
    if pd.isna(ts):
        raise InputError(f"filter: '{value}' is not a date", column=col,
                         fix="write dates as 'YYYY-MM-DD'")
    return ts


def _coerce(series: pd.Series, value, col: str, ordered: bool):
    """Return (series, value) made comparable, or raise InputError."""
    if pd.api.types.is_datetime64_any_dtype(series):
        tz = getattr(series.dt, "tz", None)
        ts = _as_date(value, col)
        if tz is not None and ts.tzinfo is None:
            ts = ts.tz_localize(tz)
        elif tz is None and ts.tzinfo is not None:
            ts = ts.tz_convert(None)
        return series, ts
    if pd.api.types.is_bool_dtype(series):
        if isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        return series, value
    if pd.api.types.is_numeric_dtype(series):
        if isinstance(value, str):
            try:
                value = float(value.replace(",", ""))
            except ValueError:
                raise InputError(f"filter: column '{col}' holds numbers but '{value}' is text",
                                 column=col, fix="compare it with a number, e.g. >= 18") from None
        return series, value
    # text / object column
    if isinstance(value, bool):
        return series, value
    if isinstance(value, (int, float)):
        return pd.to_numeric(series, errors="coerce"), value
    if ordered:
        ts = pd.Timestamp(value) if re.match(r"^\d{4}-\d{2}", value) else None
        if ts is not None:
            parsed = pd.to_datetime(series, errors="coerce")
            return parsed, ts
        raise InputError(f"filter: '<', '>' compare numbers and dates, not the text '{value}'",
                         column=col, fix="use == or in [...] for text values")
    return series, value


def _operand(df, opnd):
    kind, val = opnd
    if kind == "col":
        c = resolve_column(df, val)
        return df[c], c
    return val, None


def evaluate_filter(df: pd.DataFrame, node: FilterNode) -> np.ndarray:
    op = node.op
    if op in ("and", "or"):
        out = evaluate_filter(df, node.args[0])
        for a in node.args[1:]:
            out = (out & evaluate_filter(df, a)) if op == "and" else (out | evaluate_filter(df, a))
        return out
    if op == "not":
        return ~evaluate_filter(df, node.args[0])
    if op in ("is null", "is not null"):
        s, _ = _operand(df, node.args[0])
        isna = s.isna().to_numpy()
        return isna if op == "is null" else ~isna
    if op in ("in", "not in"):
        s, c = _operand(df, node.args[0])
        vals, s2 = [], s
        for v in node.args[1]:
            s2, v2 = _coerce(s, v, c, ordered=False)
            vals.append(v2)
        hit = s2.isin(vals).to_numpy(dtype=bool)  # literals are never missing
        return hit if op == "in" else ~hit
    if op.endswith(("startswith", "contains")):
        s, c = _operand(df, node.args[0])
        text = s.astype("string")
        fn = text.str.startswith if op.endswith("startswith") else \
            (lambda v: text.str.contains(v, regex=False))
        hit = fn(node.args[1]).fillna(False).to_numpy(dtype=bool)
        return ~hit if op.startswith("not ") else hit
    # binary comparison
    left, right = node.args
    ordered = op in ("<", "<=", ">", ">=")
    if left[0] == "col" and right[0] == "col":
        a, _ = _operand(df, left)
        try:
            b, _ = _operand(df, right)
        except InputError:
            raise InputError(f"filter: no column called '{right[1]}'", column=right[1],
                             fix=f"if '{right[1]}' is a value, put it in quotes: "
                                 f"'{right[1]}'") from None
    elif left[0] == "col":
        a, c = _operand(df, left)
        a, b = _coerce(a, right[1], c, ordered)
    else:
        b, c = _operand(df, right)
        b, a = _coerce(b, left[1], c, ordered)
    fns = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
           ">": np.greater, ">=": np.greater_equal}
    try:
        res = fns[op](a, b)
    except TypeError as exc:
        raise InputError(f"filter: cannot compare with '{op}': {exc}", fix=FILTER_FIX) from None
    res = pd.Series(res) if not isinstance(res, pd.Series) else res
    if res.dtype == "boolean":  # nullable dtypes give <NA> where a value is missing
        na = res.isna().to_numpy()
        out = res.fillna(False).to_numpy(dtype=bool)
        return out | na if op == "!=" else out
    # numpy semantics already give False for NaN/NaT/None, and True for "!="
    return res.to_numpy(dtype=bool)


def filter_mask(df: pd.DataFrame, expr: str | None) -> np.ndarray:
    """Evaluate a filter expression to a boolean row mask.

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
        The records.
    expr : str or None
        The expression; ``None`` or blank selects every row.

    Returns
    -------
    numpy.ndarray of bool
        One value per row of ``df``.

    Raises
    ------
    InputError
        On a syntax error, an unknown column (the message lists the known
        ones), or a value that cannot be compared with the column.
    """
    if expr is None or (isinstance(expr, str) and not expr.strip()):
        return np.ones(len(df), dtype=bool)
    node = parse_filter(expr)
    mask = evaluate_filter(df, node)
    return np.asarray(mask, dtype=bool).reshape(len(df))
