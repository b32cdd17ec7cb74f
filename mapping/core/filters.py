"""Filter expressions: a small, safe query language for record layers.

Every analysis verb accepts ``--filter EXPR`` and every dialog a filter box.
The expression is parsed by a hand-written recursive-descent parser into a
tree of comparisons; nothing is passed to ``eval``, ``DataFrame.query`` or
any other code interpreter, so an expression can only select rows.

Grammar (keywords are case-insensitive)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" expr ")" | test
    test       := operand ("==" | "=" | "!=" | "<" | "<=" | ">" | ">=") operand
                | operand ["not"] "in" "[" literal ("," literal)* "]"
                | operand ["not"] ("startswith" | "contains") string
                | operand "is" ["not"] "null"
    operand    := column | literal
    column     := identifier | `back-quoted name with spaces`
    literal    := 'string' | "string" | number | true | false

Examples: ``crime_type == 'Drugs'``, ```Crime type` in ['Drugs', 'Possession of
weapons']``, ``date >= '2018-11-01' and not (quantity < 2)``,
``collected_at is null``, ```LSOA name` startswith 'Bristol '``.

Column names are matched exactly, then ignoring case, then as the canonical
snake-case name (```Crime type``` finds ``crime_type``).  A string compared
with a date column is read as a date.  Missing values (NaN/NaT/None) never
satisfy ``==``, ``<``, ``in``, ``startswith`` or ``contains``; they do satisfy
``!=`` and ``not in`` (pandas semantics), and ``is null``.

Public functions: :func:`parse_filter`, :func:`filter_mask`, :func:`apply_filter`,
:func:`filter_columns`.  The parser is :mod:`mapping.core.filter_parse`, the
evaluation :mod:`mapping.core.filter_eval`, the message when nothing matches
:mod:`mapping.core.filter_hints`; they are imported from here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from mapping.core.filter_eval import evaluate_filter, filter_mask, resolve_column
from mapping.core.filter_hints import explain_no_match
from mapping.core.filter_parse import MAX_NESTING, FilterNode, filter_columns, parse_filter

__all__ = ["parse_filter", "filter_mask", "apply_filter", "filter_columns", "FilterNode",
           "evaluate_filter", "resolve_column", "MAX_NESTING"]


def apply_filter(gdf: pd.DataFrame, expr: str | None, *, allow_empty: bool = False):
    """Return the rows of ``gdf`` that satisfy a filter expression.

    Parameters
    ----------
    gdf : GeoDataFrame or DataFrame
        The records; never changed.
    expr : str or None
        The expression (grammar in :mod:`mapping.core.filters`). ``None`` or blank
        returns ``gdf`` itself, unfiltered.
    allow_empty : bool
        Return an empty selection instead of raising when the filter matches no
        record (default False).

    Returns
    -------
    GeoDataFrame or DataFrame
        The selected rows, a copy with the original index and all columns.
        ``attrs['filter']`` records the expression and ``attrs['filter_base_n']``
        the number of rows before filtering, so outputs can state both.

    Raises
    ------
    InputError
        As :func:`filter_mask`; and when the filter matches none of the records
        (unless ``allow_empty``), saying which part matches nothing and what the
        records hold instead (:func:`mapping.core.filter_hints.explain_no_match`).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"Crime type": ["Drugs", "Burglary"], "n": [1, 2]})
    >>> len(apply_filter(df, "`Crime type` == 'Drugs'"))
    1
    """
    if expr is None or (isinstance(expr, str) and not expr.strip()):
        return gdf
    node = parse_filter(expr)
    mask = np.asarray(evaluate_filter(gdf, node), dtype=bool).reshape(len(gdf))
    if not mask.any() and len(gdf) and not allow_empty:
        problem, fix = explain_no_match(gdf, node, expr)
        raise InputError(problem, fix=fix)
    out = gdf.loc[mask].copy()
    out.attrs = dict(gdf.attrs)
    out.attrs["filter"] = expr.strip()
    out.attrs["filter_base_n"] = int(len(gdf))
    return out
