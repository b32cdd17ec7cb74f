"""The attacker's least and greatest value of each hidden cell, by linear programming.

:func:`attacker_intervals` turns the relations of a run's tables
(:func:`mapping.disclosure.relations.find_relations`) into equations over the
hidden cells, merges cells that a relation says are equal, splits the equations
into independent groups and solves each: a group with no equation gives the
label's bounds, one equation its closed form (:func:`_single_equation`), more a
pair of HiGHS programs per cell (:class:`mapping.disclosure.programs.IntervalPrograms`).
"""

from __future__ import annotations

import numpy as np

from mapping.disclosure.programs import OPTIMAL, UNBOUNDED, IntervalPrograms
from mapping.disclosure.relations import TOLERANCE, Table
from mapping.disclosure.settings import DisclosureRules

__all__ = ["attacker_intervals"]


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


def _single_equation_each(row: dict, b: float, bounds: dict, vs) -> dict:
    """:func:`_single_equation` for each unknown ``v`` of ``vs``, in one pass.

    The others' range is the whole equation's less ``v``'s own share, so a column
    total over thousands of hidden cells costs a pass instead of a pass per cell
    (2,650 cells of a national count: 7 million steps, 1.9 s).  Infinite ends are
    counted, not summed, so that taking one away is exact; with whole counts the
    finite sums are exact too (``tests/mapping/test_disclosure_attacks.py`` checks
    it against :func:`_single_equation`)."""
    us = list(row)
    at = {u: n for n, u in enumerate(us)}
    a = np.array([row[u] for u in us], float)
    lo = np.array([bounds[u][0] for u in us], float)
    hi = np.array([np.inf if bounds[u][1] is None else bounds[u][1] for u in us], float)
    e1, e2 = a * lo, a * hi
    mins, maxs = np.minimum(e1, e2), np.maximum(e1, e2)
    lo_inf, hi_inf = np.isneginf(mins), np.isposinf(maxs)
    n_lo_inf, n_hi_inf = int(lo_inf.sum()), int(hi_inf.sum())
    s_lo = float(mins[~lo_inf].sum())
    s_hi = float(maxs[~hi_inf].sum())
    out = {}
    for v in vs:
        k = at[v]
        smin = -np.inf if n_lo_inf - lo_inf[k] > 0 else s_lo - (0.0 if lo_inf[k] else mins[k])
        smax = np.inf if n_hi_inf - hi_inf[k] > 0 else s_hi - (0.0 if hi_inf[k] else maxs[k])
        ends = ((b - smax) / a[k], (b - smin) / a[k])
        out[v] = (float(max(min(ends), lo[k])), float(min(max(ends), hi[k])))
    return out


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
    hidden, relations = _unknowns(tables, relations, cells, members)
    index = {c: n for n, c in enumerate(hidden)}
    eqs = _equations(tables, relations, index)
    rep, bounds, eqs = _merge_equal(tables, hidden, eqs, rules)
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
        elif len(group_eqs) == 1:
            row, b = group_eqs[0]
            each = _single_equation_each(row, b, bounds, {r for _, r in wanted})
            for c, r in wanted:
                out[c] = each[r]
        else:
            out.update(_program_intervals(tables, hidden, group_eqs, groups[root], bounds,
                                          wanted, need))
    return out


def _unknowns(tables, relations, cells, members):
    """``(hidden cells, relations)``: the unknowns and the relations that hold them.

    With ``cells`` and ``members``, only the groups of those cells (:func:`_reachable`).
    """
    if cells is not None and members is not None:  # only the groups of these cells
        relations = _reachable(tables, relations, members, cells)
        hidden = sorted({c for terms, _ in relations for c, _ in terms
                         if tables[c[0]].hidden[c[1], c[2]]} | set(cells))
    else:
        hidden = [(k, i, j) for k, t in enumerate(tables)
                  for i, j in zip(*np.nonzero(t.hidden))]
    return hidden, relations


def _equations(tables, relations, index) -> list:
    """``[(row, b)]``: each relation over the hidden cells (``{unknown: coef}``), the
    published cells moved to the right-hand side."""
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
    return eqs


def _merge_equal(tables, hidden, eqs, rules):
    """``(rep, bounds, eqs)``: hidden cells equal to one another as one unknown (``rep[v]``)
    with the tighter bounds, and the equations over those unknowns, each once."""
    same = list(range(len(hidden)))
    for row, b in eqs:
        if len(row) == 2 and abs(b) < TOLERANCE and sum(row.values()) == 0:
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
        new = {v: c for v, c in new.items() if abs(c) > TOLERANCE}
        if new:
            key = tuple(sorted(new.items()))
            merged[key] = (new, b)
    return rep, bounds, list(merged.values())


def _program_intervals(tables, hidden, group_eqs, members, bounds, wanted, need) -> dict:
    """``{cell: (lo, hi)}`` of the ``wanted`` cells of one group of two or more equations:
    a pair of linear programs per unknown, unless ``need`` is already met."""
    out = {}
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
    programs = None  # built on the first cell that needs one
    for c, r in wanted:
        k = pos[r]
        if r not in done and need is not None and seen_hi[k] - seen_lo[k] >= need - 1e-9:
            done[r] = (float(seen_lo[k]), float(seen_hi[k]))
        if r not in done:
            if programs is None:
                programs = IntervalPrograms(a_eq, b_eq, bnds)
            (s_lo, low, x_lo), (s_hi, high, x_hi) = programs.extremes(k)
            for status, x in ((s_lo, x_lo), (s_hi, x_hi)):
                if status == OPTIMAL:
                    seen_lo = np.minimum(seen_lo, x)
                    seen_hi = np.maximum(seen_hi, x)
            low = low if s_lo == OPTIMAL else bnds[k][0]
            high = high if s_hi == OPTIMAL else (np.inf if s_hi == UNBOUNDED else
                                                 bnds[k][1] or np.inf)
            done[r] = (float(low), float(high))
        out[c] = done[r]
    return out
