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
:func:`filter_columns`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers.common.errors import InputError

__all__ = ["parse_filter", "filter_mask", "apply_filter", "filter_columns", "FilterNode"]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)(?![\w])
      | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<bq>`[^`]+`)
      | (?P<op>==|!=|<=|>=|<>|=|<|>|\(|\)|\[|\]|,)
      | (?P<word>[A-Za-z_][\w.]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "is", "null", "none", "true", "false",
             "startswith", "contains"}
_CMP = {"==", "=", "!=", "<>", "<", "<=", ">", ">="}
_FIX = ("write e.g. `Crime type` == 'Drugs' and date >= '2019-01-01'; quote values, "
        "back-quote column names with spaces")


@dataclass(frozen=True)
class FilterNode:
    """One node of a parsed filter.

    ``op`` is ``and``/``or`` (``args`` are two or more nodes), ``not`` (one
    node), a comparison
    operator, ``in``/``not in`` (``args`` = (operand, tuple of literals)),
    ``startswith``/``contains``/``not startswith``/``not contains``,
    ``is null``/``is not null``.  Operands are ``("col", name)`` or
    ``("lit", value)`` tuples.
    """

    op: str
    args: tuple


def _tokenize(expr: str) -> list[tuple[str, object, int]]:
    toks, pos = [], 0
    text = expr.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            bad = text[pos:].lstrip()[:20]
            raise InputError(f"filter: cannot read '{bad}' at character {pos + 1}", fix=_FIX)
        kind = m.lastgroup
        raw = m.group(kind)
        start = m.start(kind) + 1
        if kind == "num":
            val = float(raw) if any(c in raw for c in ".eE") else int(raw)
        elif kind == "str":
            val = re.sub(r"\\(.)", r"\1", raw[1:-1])
        elif kind == "bq":
            val = raw[1:-1]
        elif kind == "word" and raw.lower() in _KEYWORDS:
            kind, val = "kw", raw.lower()
        else:
            val = raw
        toks.append((kind, val, start))
        pos = m.end()
    return toks


#: Deepest nesting of brackets and ``not`` a filter may have (a typed filter never needs
#: more; without a limit a generated one could exhaust Python's stack).
MAX_NESTING = 40


class _Parser:
    def __init__(self, expr: str):
        self.expr = expr
        self.toks = _tokenize(expr)
        self.i = 0
        self.depth = 0

    def peek(self, k=0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else ("end", None, len(self.expr) + 1)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def error(self, what: str):
        kind, val, pos = self.peek()
        found = "the end of the expression" if kind == "end" else f"'{val}'"
        raise InputError(f"filter: expected {what} but found {found} at character {pos}",
                         fix=_FIX)

    def expect_op(self, op):
        if self.peek()[:2] != ("op", op):
            self.error(f"'{op}'")
        self.take()

    def parse(self) -> FilterNode:
        if not self.toks:
            raise InputError("filter: the expression is empty", fix=_FIX)
        node = self.or_expr()
        if self.peek()[0] != "end":
            self.error("'and', 'or' or the end")
        return node

    def or_expr(self):
        # a chain "a or b or c ..." is one node with many arguments: no depth to recurse
        args = [self.and_expr()]
        while self.peek()[:2] == ("kw", "or"):
            self.take()
            args.append(self.and_expr())
        return args[0] if len(args) == 1 else FilterNode("or", tuple(args))

    def and_expr(self):
        args = [self.not_expr()]
        while self.peek()[:2] == ("kw", "and"):
            self.take()
            args.append(self.not_expr())
        return args[0] if len(args) == 1 else FilterNode("and", tuple(args))

    def _deeper(self):
        self.depth += 1
        if self.depth > MAX_NESTING:
            _, _, pos = self.peek()
            raise InputError(f"filter: the expression nests brackets or 'not' more than "
                             f"{MAX_NESTING} levels deep (at character {pos})",
                             fix="write it with fewer brackets: 'a or b or c' and "
                                 "'x in [1, 2, 3]' need none")

    def not_expr(self):
        if self.peek()[:2] == ("kw", "not"):
            self.take()
            self._deeper()
            node = FilterNode("not", (self.not_expr(),))
            self.depth -= 1
            return node
        if self.peek()[:2] == ("op", "("):
            self.take()
            self._deeper()
            node = self.or_expr()
            self.expect_op(")")
            self.depth -= 1
            return node
        return self.test()

    def operand(self):
        kind, val, _ = self.peek()
        if kind in ("word", "bq"):
            self.take()
            return ("col", val)
        return ("lit", self.literal())

    def literal(self):
        kind, val, _ = self.peek()
        if kind in ("num", "str"):
            self.take()
            return val
        if kind == "kw" and val in ("true", "false"):
            self.take()
            return val == "true"
        if kind == "word":
            self.error(f"a quoted value (write '{val}' in quotes)")
        self.error("a value (a number or a quoted string)")

    def test(self):
        left = self.operand()
        kind, val, _ = self.peek()
        if kind == "op" and val in _CMP:
            self.take()
            op = {"=": "==", "<>": "!="}.get(val, val)
            right = self.operand()
            if left[0] == "lit" and right[0] == "lit":
                self.error("a column name on one side of the comparison")
            return FilterNode(op, (left, right))
        negate = False
        if (kind, val) == ("kw", "not"):
            self.take()
            negate = True
            kind, val, _ = self.peek()
        if (kind, val) == ("kw", "in"):
            self.take()
            self.expect_op("[")
            values = [self.literal()]
            while self.peek()[:2] == ("op", ","):
                self.take()
                values.append(self.literal())
            self.expect_op("]")
            self._need_col(left)
            return FilterNode("not in" if negate else "in", (left, tuple(values)))
        if kind == "kw" and val in ("startswith", "contains"):
            self.take()
            lit = self.literal()
            if not isinstance(lit, str):
                raise InputError(f"filter: {val} needs a quoted text value", fix=_FIX)
            self._need_col(left)
            return FilterNode(("not " if negate else "") + val, (left, lit))
        if not negate and (kind, val) == ("kw", "is"):
            self.take()
            neg = False
            if self.peek()[:2] == ("kw", "not"):
                self.take()
                neg = True
            if self.peek()[0] != "kw" or self.peek()[1] not in ("null", "none"):
                self.error("'null'")
            self.take()
            self._need_col(left)
            return FilterNode("is not null" if neg else "is null", (left,))
        self.error("a comparison (==, !=, <, <=, >, >=, in, startswith, contains, is null)")

    def _need_col(self, operand):
        if operand[0] != "col":
            self.error("a column name before the operator")


def parse_filter(expr: str) -> FilterNode:
    """Parse a filter expression into a tree without evaluating it.

    Parameters
    ----------
    expr : str
        The expression (grammar in the module docstring).

    Returns
    -------
    FilterNode
        The parsed tree; use it to validate a filter box as the user types.

    Raises
    ------
    InputError
        If the expression cannot be parsed; the message gives the position.

    Examples
    --------
    >>> parse_filter("`Crime type` == 'Drugs'").op
    '=='
    """
    if not isinstance(expr, str):
        raise InputError(f"filter: expected text, got {type(expr).__name__}", fix=_FIX)
    return _Parser(expr).parse()


def filter_columns(expr: str) -> list[str]:
    """Return the column names an expression refers to, in order of appearance."""
    out: list[str] = []

    def walk(node):
        if isinstance(node, FilterNode):
            for a in node.args:
                walk(a)
        elif isinstance(node, tuple) and len(node) == 2 and node[0] == "col":
            if node[1] not in out:
                out.append(node[1])

    walk(parse_filter(expr))
    return out


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
        raise InputError(f"filter: cannot compare with '{op}': {exc}", fix=_FIX) from None
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
        from mapping.core.filter_hints import explain_no_match

        problem, fix = explain_no_match(gdf, node, expr)
        raise InputError(problem, fix=fix)
    out = gdf.loc[mask].copy()
    out.attrs = dict(gdf.attrs)
    out.attrs["filter"] = expr.strip()
    out.attrs["filter_base_n"] = int(len(gdf))
    return out
