"""The attacker's linear program across every table of a run (issue 16).

Per-table rules (:func:`mapping.disclosure.rules.suppress_counts`) hide small counts
and keep no line of a table with a single hidden cell.  An attacker holds more
than one table: the published cells of *every* table of a run, and the
relations between them.  This module models that attacker and closes what
the per-table rules leave open.

What the attacker is assumed to know (all found from the true values, so a
relation is used only if it holds exactly):

* every published cell, and each hidden cell's label: a cell shown as
  ``"<5"`` lies in ``1 .. threshold-1`` (``0 ..`` when zeros are suppressed),
  a cell shown as ``"suppressed"`` is at least the threshold;
* each count column's total (published as the base n);
* a **Total row** (a row labelled Total / All / Overall) is the sum of the
  other rows;
* a count column that equals the sum of other count columns in every row
  (``reports = collected + other``, ``total = active + reopened + operating``),
  or whose fall from one row to the next does (a survival table's number at
  risk falls by the events and the censored);
* the **same areas or categories counted in two tables**: two tables sharing
  key values (area codes, category names, "Total") whose count columns agree
  on every shared key (a count by area and the Gi* table of the same counts;
  a breakdown and its Total row in another breakdown).

For each hidden cell :func:`scipy.optimize.linprog` (HiGHS) finds the least
and greatest value consistent with all of that.  A small (primary) cell is
protected when the attacker's interval for it is still at least ``min_interval`` wide (default 2: three or more of
the values 1..4 stay possible).  While one is not,
the smallest published count (at least the threshold) that shares a relation
with it is suppressed too (secondary suppression across tables), and the
program is solved again.  A table holding a cell that cannot be protected that
way has every count of its table withheld (each cell "suppressed"), and the notes
say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from mapping.disclosure.rules import (DisclosureRules, count_columns, derived_columns, rate_columns,
                                secondary_flag, suppress_counts, withhold_classes)

__all__ = ["AuditReport", "Table", "audit_tables", "audit_layers", "attacker_intervals",
           "find_relations", "protection"]

_TOTAL_RE = re.compile(r"^\s*(total|all|overall|all areas|all records|grand total)\s*$",
                       re.IGNORECASE)
#: Relations among count columns are searched over subsets of at most this many columns.
_MAX_IDENTITY_COLUMNS = 10
_TOL = 1e-6


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


@dataclass
class AuditReport:
    """What the audit did: cells added, cells it could not protect, LPs solved."""

    added: list = field(default_factory=list)  # (table, row, column)
    withheld: list = field(default_factory=list)  # (table, column): every cell hidden
    unprotected: list = field(default_factory=list)  # (table, row, column, lo, hi)
    relations: int = 0
    solves: int = 0

    def notes(self, rules: DisclosureRules, table: str | None = None) -> list[str]:
        """Lines for the notes: a summary of the run, and the cells that could not be
        protected (of ``table`` only when given; at most five, then how many more)."""
        out = []
        if self.added:
            out.append(f"Cross-table disclosure check: {len(self.added)} more count(s) "
                       "suppressed (shown as \"suppressed\") so that no small count can be "
                       "worked out from the totals and the other tables of this run.")
        gone = [c for t, c in self.withheld if table is None or t == table]
        if gone:
            out.append(f"Count column(s) {', '.join(repr(c) for c in gone)} of "
                       + (f"table '{table}'" if table else "this run's tables")
                       + " withheld entirely (every cell reads \"suppressed\", whatever its "
                       "size): the published tables would narrow a small count in them "
                       "and no other count could be suppressed to protect it.")
        weak = [u for u in self.unprotected if table is None or u[0] == table]
        for t, r, c, lo, hi in weak[:5]:
            out.append(f"WARNING: table '{t}', row {r + 1}, column '{c}': the published "
                       f"tables narrow a suppressed count to {lo:.3g}..{hi:.3g}; no other "
                       "count could be suppressed to protect it. Review before publishing.")
        if len(weak) > 5:
            out.append(f"WARNING: {len(weak) - 5} more such count(s) in "
                       + (f"table '{table}'." if table else "this run's tables."))
        return out


# ----------------------------------------------------------------- relations
def _keys(df) -> dict:
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
            if not np.isfinite(got) or abs(got - rhs) > _TOL * max(1.0, abs(rhs)):
                return
        rels.append((terms, float(rhs)))

    for k, t in enumerate(tables):
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
    # the same keys counted in two tables
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
    return rels


# ------------------------------------------------------------------------ LP
def _bounds(t: Table, i: int, j: int, rules: DisclosureRules):
    if t.secondary[i, j]:
        return (float(rules.threshold), None)
    return (0.0 if rules.suppress_zero else 1.0, float(rules.threshold - 1))


def _uf_find(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _single_equation(row: dict, b: float, bounds: dict, v) -> tuple[float, float]:
    """Exact interval of ``v`` under one equation ``sum(a x) = b`` and box bounds.

    The projection of that feasible set on one variable is the interval below
    (the others' sum ranges over [smin, smax]); written out because it is most
    components (a column total) and costs nothing, where two linear programs per
    cell cost milliseconds.  The property test checks it against linprog.
    """
    smin = smax = 0.0
    for u, a in row.items():
        if u == v:
            continue
        lo, hi = bounds[u]
        ends = (a * lo, a * (np.inf if hi is None else hi))
        smin += min(ends)
        smax += max(ends)
    a = row[v]
    ends = ((b - smax) / a, (b - smin) / a)
    blo, bhi = bounds[v]
    return float(max(min(ends), blo)), float(min(max(ends), np.inf if bhi is None else bhi))


def _reachable(tables, relations, members, cells) -> list:
    """The relations joined to ``cells`` through hidden cells (their group's equations)."""
    seen_rel, seen_cell, todo = set(), set(cells), list(cells)
    while todo:
        c = todo.pop()
        for n in members.get(c, []):
            if n in seen_rel:
                continue
            seen_rel.add(n)
            for c2, _ in relations[n][0]:
                if c2 not in seen_cell and tables[c2[0]].hidden[c2[1], c2[2]]:
                    seen_cell.add(c2)
                    todo.append(c2)
    return [relations[n] for n in sorted(seen_rel)]


def attacker_intervals(tables: list[Table], relations, rules: DisclosureRules,
                       cells=None, members=None, need: float | None = None) -> dict:
    """``{cell: (lo, hi)}``: the attacker's least and greatest value of each hidden cell.

    ``cells`` limits which hidden cells are solved for (default: all).  With
    ``need``, a cell already seen to vary that much across the solutions found
    for other cells gets that (inner) interval without a program of its own:
    enough to call it protected, and far fewer programs.  Cells a
    relation says are equal (the same area in two tables) are one unknown; the
    equations are then split into independent groups, so each program is small.
    """
    if cells is not None and members is not None:  # only the groups of these cells
        relations = _reachable(tables, relations, members, cells)
        hidden = sorted({c for terms, _ in relations for c, _ in terms
                         if tables[c[0]].hidden[c[1], c[2]]} | set(cells))
    else:
        hidden = [(k, i, j) for k, t in enumerate(tables)
                  for i, j in zip(*np.nonzero(t.hidden))]
    index = {c: n for n, c in enumerate(hidden)}
    eqs = []
    for terms, rhs in relations:
        row, b = {}, rhs
        for cell, coef in terms:
            if cell in index:
                row[index[cell]] = row.get(index[cell], 0.0) + coef
            else:
                k, i, j = cell
                b -= coef * tables[k].values[i, j]
        row = {v: c for v, c in row.items() if c != 0}
        if row:
            eqs.append((row, b))
    # hidden cells equal to one another: one unknown with the tighter bounds
    same = list(range(len(hidden)))
    for row, b in eqs:
        if len(row) == 2 and abs(b) < _TOL and sum(row.values()) == 0:
            u, v = row
            same[_uf_find(same, u)] = _uf_find(same, v)
    rep = [_uf_find(same, v) for v in range(len(hidden))]
    bounds: dict = {}
    for v, c in enumerate(hidden):
        lo, hi = _bounds(tables[c[0]], c[1], c[2], rules)
        r = rep[v]
        plo, phi = bounds.get(r, (-np.inf, None))
        hi2 = hi if phi is None else (phi if hi is None else min(hi, phi))
        bounds[r] = (max(lo, plo), hi2)
    merged = {}
    for row, b in eqs:
        new: dict = {}
        for v, c in row.items():
            new[rep[v]] = new.get(rep[v], 0.0) + c
        new = {v: c for v, c in new.items() if abs(c) > _TOL}
        if new:
            key = tuple(sorted(new.items()))
            merged[key] = (new, b)
    eqs = list(merged.values())
    parent = {r: r for r in bounds}
    for row, _ in eqs:
        vs = list(row)
        for v in vs[1:]:
            parent[_uf_find(parent, v)] = _uf_find(parent, vs[0])
    eq_of: dict = {}
    for row, b in eqs:
        eq_of.setdefault(_uf_find(parent, next(iter(row))), []).append((row, b))
    todo = hidden if cells is None else [c for c in cells if c in index]
    by_group: dict = {}
    for c in todo:
        r = rep[index[c]]
        by_group.setdefault(_uf_find(parent, r), []).append((c, r))
    groups: dict = {}
    for r in bounds:
        groups.setdefault(_uf_find(parent, r), []).append(r)
    out = {}
    for root, wanted in by_group.items():
        group_eqs = eq_of.get(root, [])
        if not group_eqs:
            for c, r in wanted:
                lo, hi = bounds[r]
                out[c] = (float(lo), np.inf if hi is None else float(hi))
            continue
        if len(group_eqs) == 1:
            row, b = group_eqs[0]
            for c, r in wanted:
                out[c] = _single_equation(row, b, bounds, r)
            continue
        members = groups[root]
        pos = {v: n for n, v in enumerate(members)}
        a_eq = np.zeros((len(group_eqs), len(members)))
        b_eq = np.zeros(len(group_eqs))
        for n, (row, b) in enumerate(group_eqs):
            for v, c in row.items():
                a_eq[n, pos[v]] = c
            b_eq[n] = b
        bnds = [bounds[v] for v in members]
        done: dict = {}
        # Every solution found is a point the attacker cannot rule out: the spread seen so
        # far in each cell is inside its interval.  With ``need``, a cell whose seen spread
        # is already that wide is protected and needs no program of its own.
        seen_lo = np.array([tables[hidden[v][0]].values[hidden[v][1], hidden[v][2]]
                            for v in members], float)  # the truth is one such point
        seen_hi = seen_lo.copy()
        for c, r in wanted:
            k = pos[r]
            if r not in done and need is not None and seen_hi[k] - seen_lo[k] >= need - 1e-9:
                done[r] = (float(seen_lo[k]), float(seen_hi[k]))
            if r not in done:
                # imported here: scipy.optimize costs 0.7 s to import, and most runs are
                # settled by the single-equation closed form without any program
                from scipy.optimize import linprog

                obj = np.zeros(len(members))
                obj[k] = 1.0
                lo = linprog(obj, A_eq=a_eq, b_eq=b_eq, bounds=bnds, method="highs")
                hi = linprog(-obj, A_eq=a_eq, b_eq=b_eq, bounds=bnds, method="highs")
                for res in (lo, hi):
                    if res.status == 0:
                        seen_lo = np.minimum(seen_lo, res.x)
                        seen_hi = np.maximum(seen_hi, res.x)
                low = lo.fun if lo.status == 0 else bnds[k][0]
                high = -hi.fun if hi.status == 0 else (np.inf if hi.status == 3 else
                                                      bnds[k][1] or np.inf)
                done[r] = (float(low), float(high))
            out[c] = done[r]
    return out


def protection(rules: DisclosureRules) -> float:
    """The width an attacker's interval for a small count must keep (``min_interval``,
    at most the width of the label's band)."""
    band = (rules.threshold - 1) - (0 if rules.suppress_zero else 1)
    return float(max(0, min(int(rules.min_interval), band)))


def _at(tables, cell):
    return tables[cell[0]], cell[1], cell[2]


def _protected(t: Table, i: int, j: int, lo: float, hi: float, rules) -> bool:
    return hi - lo >= protection(rules) - 1e-6


def audit_tables(tables: list[Table], rules: DisclosureRules, *,
                 max_rounds: int = 5000) -> AuditReport:
    """Suppress more cells (in place, across tables) until no small count can be narrowed.

    Returns the :class:`AuditReport`.
    """
    report = AuditReport()
    relations = find_relations(tables, rules)
    report.relations = len(relations)
    members: dict = {}
    for n, (terms, _) in enumerate(relations):
        for cell, _c in terms:
            members.setdefault(cell, []).append(n)
    primary = [(k, i, j) for k, t in enumerate(tables)
               for i, j in zip(*np.nonzero(t.hidden & ~t.secondary)) if (k, i, j) in members]
    spans = attacker_intervals(tables, relations, rules, cells=primary,
                               need=protection(rules))
    report.solves += len(spans)
    # Hiding one more cell only widens every interval (the old solutions stay feasible),
    # so a protected cell stays protected: only weak cells are solved again.
    weak_left = []
    added = 0
    for cell in [c for c, sp in spans.items() if not _protected(*_at(tables, c), *sp, rules)]:
        span = attacker_intervals(tables, relations, rules, cells=[cell], members=members)[cell]
        report.solves += 1
        while not _protected(*_at(tables, cell), *span, rules) and added < max_rounds:
            near = {cell}
            for n in members.get(cell, []):  # hidden cells one relation away
                near.update(c for c, _ in relations[n][0] if tables[c[0]].hidden[c[1], c[2]])
            cand = {}
            for c0 in near:
                for n in members.get(c0, []):
                    for (k2, i2, j2), _c in relations[n][0]:
                        t2 = tables[k2]
                        val = t2.values[i2, j2]
                        if not t2.hidden[i2, j2] and np.isfinite(val) and \
                                val >= rules.threshold:
                            cand[(k2, i2, j2)] = val
            if not cand:
                break
            k2, i2, j2 = min(cand, key=lambda c: (cand[c], c))
            tables[k2].hidden[i2, j2] = True
            tables[k2].secondary[i2, j2] = True
            report.added.append((tables[k2].name, int(i2), tables[k2].columns[j2]))
            added += 1
            span = attacker_intervals(tables, relations, rules, cells=[cell], members=members)[cell]
            report.solves += 1
        if not _protected(*_at(tables, cell), *span, rules):
            weak_left.append((cell, span))
    for (k, i, j), (lo, hi) in (weak_left or []):
        report.unprotected.append((tables[k].name, int(i), tables[k].columns[j], lo, hi))
    return report


# -------------------------------------------------------------------- layers
def _table_of(lyr, rules):
    """``(Table, suppressed frame, counts, rates)`` of a layer, or None."""
    from mapping.disclosure.rules import is_sensitive

    data = lyr.data
    if data is None or not hasattr(data, "columns") or lyr.kind in ("surface", "figure"):
        return None
    if lyr.kind == "points" and is_sensitive(lyr) and not (lyr.meta or {}).get("aggregate"):
        return None  # withheld by the writers
    meta = {**(lyr.meta or {}), "sensitive": is_sensitive(lyr)}
    counts = count_columns(data, meta)
    if not counts:
        return None
    rates = rate_columns(data, meta)
    derived = derived_columns(data, meta)
    rates = [*rates, *[d for d in derived if d not in rates]]
    sup = suppress_counts(data, counts, rates, rules, derived)
    vals = np.column_stack([data[c].to_numpy(dtype=float) for c in counts])
    hid = np.column_stack([sup[f"{c}_suppressed"].to_numpy(bool) if f"{c}_suppressed" in sup
                           else np.zeros(len(sup), bool) for c in counts])
    sec = np.column_stack([sup[secondary_flag(c)].to_numpy(bool) if secondary_flag(c) in sup
                           else np.zeros(len(sup), bool) for c in counts])
    return Table(lyr.name, list(counts), vals, hid, sec & hid, _keys(data)), sup, counts, rates


def _class_note(sup) -> list[str]:
    """The map note on withheld hot/cold-spot classes (one sentence), or none."""
    from mapping.disclosure.rules import _CLASS_RE

    flags = [f"{c}_suppressed" for c in sup.columns if _CLASS_RE.match(str(c))
             and f"{c}_suppressed" in sup.columns]
    if not flags:
        return []
    gone = int(np.logical_or.reduce([sup[f].fillna(False).to_numpy(bool) for f in flags]).sum())
    if not gone:
        return []
    return [f"Hot/cold-spot classes are shown except for {gone} of {len(sup)} areas whose "
            "class would narrow a suppressed count."]


def audit_layers(layers, rules: DisclosureRules | None = None):
    """Return ``(layers, report)``: the layers of a run with cross-table suppression applied.

    Every frame with count columns comes back with its per-table suppression
    done (``<column>_suppressed`` flags, values blanked) plus the cells the
    cross-table audit added; the writers then keep those flags (suppression is
    idempotent).  Other layers come back unchanged; nothing is modified in place.
    """
    from mapping.disclosure.rules import _copy_layer

    rules = rules or DisclosureRules()
    layers = list(layers)
    report = AuditReport()
    if not rules.enabled:
        return layers, report
    entries = {}
    for n, lyr in enumerate(layers):
        got = _table_of(lyr, rules)
        if got is not None:
            entries[n] = got
    tables = [e[0] for e in entries.values()]
    if not tables:
        return layers, report
    for _round in range(5):  # the line rule may add cells; audit again until stable
        before = sum(int(t.hidden.sum()) for t in tables)
        rep = audit_tables(tables, rules)
        report.added += rep.added
        report.unprotected = rep.unprotected
        report.relations, report.solves = rep.relations, report.solves + rep.solves
        for t, (n, (_, sup, counts, rates)) in zip(tables, entries.items()):
            data = layers[n].data
            lyr_meta = layers[n].meta
            flagged = data.copy()
            for j, c in enumerate(counts):
                if t.hidden[:, j].any():
                    flagged[f"{c}_suppressed"] = t.hidden[:, j]
                    flagged[secondary_flag(c)] = t.secondary[:, j]
            sup = suppress_counts(flagged, counts, rates, rules, derived_columns(data, lyr_meta))
            sup = withhold_classes(sup, {**(lyr_meta or {}), "count_columns": counts}, rules,
                                   truth=data)
            entries[n] = (t, sup, counts, rates)
            t.hidden = np.column_stack([sup[f"{c}_suppressed"].to_numpy(bool)
                                        if f"{c}_suppressed" in sup
                                        else np.zeros(len(sup), bool) for c in counts])
            t.secondary = np.column_stack([sup[secondary_flag(c)].to_numpy(bool)
                                           if secondary_flag(c) in sup
                                           else np.zeros(len(sup), bool) for c in counts])
        if sum(int(t.hidden.sum()) for t in tables) == before + len(rep.added):
            break  # the line rule added nothing to the audit's own cells: stable
    # What the audit could not protect by suppressing more cells goes whole: every count of
    # the table is withheld (hiding only the weak cell's column is not enough when the other
    # columns and the totals determine it; a survival table's events, all 1 or 2, ...).
    for t, (n, (_, sup, counts, rates)) in zip(tables, entries.items()):
        weak = [c for tn, _r, c, _lo, _hi in report.unprotected if tn == t.name]
        if not weak:
            continue
        flagged = sup.copy()
        for c in counts:
            flagged[c] = np.nan
            flagged[f"{c}_suppressed"] = True
            flagged[secondary_flag(c)] = True
            report.withheld.append((t.name, c))
        lyr_meta = layers[n].meta
        sup = suppress_counts(flagged, counts, rates, rules,
                              derived_columns(layers[n].data, lyr_meta))
        sup = withhold_classes(sup, {**(lyr_meta or {}), "count_columns": counts}, rules,
                               truth=layers[n].data)
        entries[n] = (t, sup, counts, rates)
    report.unprotected = []
    out = list(layers)
    for n, (t, sup, counts, rates) in entries.items():
        lyr = layers[n]
        notes = report.notes(rules, table=lyr.name)
        mine = [a for a in report.added if a[0] == lyr.name]
        extra = {"disclosure_threshold": rules.threshold}
        notes = notes + _class_note(sup)
        if notes:
            extra["disclosure_audit"] = notes
        if mine:
            extra["disclosure_audit_added"] = len(mine)
        out[n] = _copy_layer(lyr, sup, extra)
        if hasattr(sup, "attrs") and hasattr(lyr.data, "attrs"):
            sup.attrs.update(lyr.data.attrs)
    return out, report
