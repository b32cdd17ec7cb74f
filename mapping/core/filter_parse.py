"""The filter language's parser: tokens, the recursive-descent parser, the tree.

The grammar is in :mod:`mapping.core.filters`; nothing here evaluates an
expression (that is :mod:`mapping.core.filter_eval`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from layers.common.errors import InputError

__all__ = ["parse_filter", "filter_columns", "FilterNode", "FILTER_FIX", "MAX_NESTING"]

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
#: How to write a filter: the fix of every syntax error.
FILTER_FIX = ("write e.g. `Crime type` == 'Drugs' and date >= '2019-01-01'; quote values, "
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
            raise InputError(f"filter: cannot read '{bad}' at character {pos + 1}", fix=FILTER_FIX)
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
                         fix=FILTER_FIX)

    def expect_op(self, op):
        if self.peek()[:2] != ("op", op):
            self.error(f"'{op}'")
        self.take()

    def parse(self) -> FilterNode:
        if not self.toks:
            raise InputError("filter: the expression is empty", fix=FILTER_FIX)
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
                raise InputError(f"filter: {val} needs a quoted text value", fix=FILTER_FIX)
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
        raise InputError(f"filter: expected text, got {type(expr).__name__}", fix=FILTER_FIX)
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
