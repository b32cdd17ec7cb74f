"""The linear relations an attacker holding every table of a run knows among its cells.

A published :class:`Table` is its true counts, which cells are hidden and how,
and its key columns; :func:`find_relations` finds every linear relation that
holds exactly among the cells of a run's tables: column totals, Total rows,
columns that sum to another, running counts, and the same keys counted in two
tables (the cross-table audit, :mod:`mapping.disclosure.audit`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from mapping.disclosure.settings import DisclosureRules

__all__ = ["Table", "find_relations", "table_keys", "TOLERANCE"]

_TOTAL_RE = re.compile(r"^\s*(total|all|overall|all areas|all records|grand total)\s*$",
                       re.IGNORECASE)
#: Relations among count columns are searched over subsets of at most this many columns.
_MAX_IDENTITY_COLUMNS = 10
#: Relative tolerance of a relation on the true values (and of a coefficient).
TOLERANCE = 1e-6


@dataclass
class Table:
    """One published table: its true values, which cells are hidden, and how.

    ``values`` holds the true counts (rows x count columns); ``hidden`` and
    ``secondary`` the flags of the published version; ``keys`` the table's
    key columns (text columns with one value per row).
    """

    name: str
    columns: list
    values: np.ndarray
    hidden: np.ndarray
    secondary: np.ndarray
    keys: dict = field(default_factory=dict)  # column -> list of str



def table_keys(df) -> dict:
    """A table's key columns: text columns with one distinct value per row (stripped)."""
    out = {}
    for c in df.columns:
        if c == "geometry" or df[c].dtype.kind not in "OSU" and str(df[c].dtype) not in (
                "string", "category", "str"):
            continue
        vals = df[c].astype(str).tolist()
        if len(set(vals)) == len(vals) and len(vals) > 1:
            out[c] = [v.strip() for v in vals]
    return out


def _total_rows(t: Table) -> list[int]:
    rows = set()
    for vals in t.keys.values():
        rows.update(i for i, v in enumerate(vals) if _TOTAL_RE.match(v))
    return sorted(rows)


def find_relations(tables: list[Table], rules: DisclosureRules | None = None
                   ) -> list[tuple[list, float]]:
    """The linear relations among published cells, each ``([(cell, coef), ...], rhs)``.

    A cell is ``(table index, row, column index)``.  Every relation returned
    holds exactly on the true values.
    """
    rules = rules or DisclosureRules()
    rels: list = []

    def add(terms, rhs, check=True):
        if check:
            got = sum(coef * tables[k].values[i, j] for (k, i, j), coef in terms)
            if not np.isfinite(got) or abs(got - rhs) > TOLERANCE * max(1.0, abs(rhs)):
                return
        rels.append((terms, float(rhs)))

    for k, t in enumerate(tables):
        _table_relations(k, t, rules, add)
    _shared_key_relations(tables, add)
    return rels


def _table_relations(k, t: Table, rules: DisclosureRules, add) -> None:
    """The relations within table ``k``: column totals, Total rows, a column that is the
    sum of others (row by row, or as a running count); each passed to ``add``."""
    n, m = t.values.shape
    ok = np.isfinite(t.values)
    totals = _total_rows(t)
    body_rows = [i for i in range(n) if i not in totals]
    # column totals (the base n; a small one is published as "<5", so not known)
    for j in range(m):
        col_total = float(t.values[body_rows, j].sum())
        if ok[body_rows, j].all() and len(body_rows) > 1 and col_total >= rules.threshold:
            add([((k, i, j), 1.0) for i in body_rows], col_total, check=False)
    # Total rows
    for r in totals:
        others = body_rows
        for j in range(m):
            if others and ok[[r, *others], j].all():
                add([((k, r, j), 1.0), *[((k, i, j), -1.0) for i in others]], 0.0)
    # a count column that is the sum of other count columns, row by row
    body = [i for i in range(n) if ok[i].all()]
    cols = [j for j in range(m) if np.any(t.values[body, j] != 0)] if body else []
    if len(body) >= 2 and 1 < len(cols) <= _MAX_IDENTITY_COLUMNS + 1:
        v = t.values[body]
        for c in cols:
            rest = [j for j in cols if j != c]
            for size in range(1, len(rest) + 1):
                for sub in combinations(rest, size):
                    if np.array_equal(v[:, c], v[:, list(sub)].sum(axis=1)):
                        for i in body:
                            add([((k, i, c), 1.0), *[((k, i, j), -1.0) for j in sub]],
                                0.0, check=False)
                    # a running count: this row's c less the next row's is the sum of
                    # the others (at risk, minus events and censored: a survival table)
                    if len(body) > 2 and body == list(range(body[0], body[-1] + 1)) and \
                            np.array_equal(v[:-1, c] - v[1:, c],
                                           v[:-1, list(sub)].sum(axis=1)):
                        for i in body[:-1]:
                            add([((k, i, c), 1.0), ((k, i + 1, c), -1.0),
                                 *[((k, i, j), -1.0) for j in sub]], 0.0, check=False)


def _shared_key_relations(tables, add) -> None:
    """The same keys counted in two tables: cells equal on every shared key are one count."""
    for a, b in combinations(range(len(tables)), 2):
        ta, tb = tables[a], tables[b]
        for ka, va in ta.keys.items():
            for kb, vb in tb.keys.items():
                common = set(va) & set(vb)
                if len(common) < 2 or len(common) < 0.5 * min(len(set(va)), len(set(vb))):
                    continue
                ia = {v: i for i, v in enumerate(va)}
                ib = {v: i for i, v in enumerate(vb)}
                pairs = [(ia[v], ib[v]) for v in sorted(common)]
                ra, rb = [p[0] for p in pairs], [p[1] for p in pairs]
                for ja in range(ta.values.shape[1]):
                    x = ta.values[ra, ja]
                    if not np.isfinite(x).all() or not np.any(x):
                        continue
                    for jb in range(tb.values.shape[1]):
                        if np.array_equal(x, tb.values[rb, jb]):
                            for i, i2 in pairs:
                                add([((a, i, ja), 1.0), ((b, i2, jb), -1.0)], 0.0, check=False)
