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

For each hidden cell a pair of HiGHS programs finds the least
and greatest value consistent with all of that.  A small (primary) cell is
protected when the attacker's interval for it is still at least ``min_interval`` wide (default 2: three or more of
the values 1..4 stay possible).  While one is not,
the smallest published count (at least the threshold) that shares a relation
with it is suppressed too (secondary suppression across tables), and the
program is solved again.  A table holding a cell that cannot be protected that
way has every count of its table withheld (each cell "suppressed"), and the notes
say so.

The relations are found by :mod:`mapping.disclosure.relations`, the intervals
by :mod:`mapping.disclosure.attacker`; this module suppresses more cells until
every small count is protected, and applies that to a run's layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mapping.disclosure.attacker import attacker_intervals
from mapping.disclosure.classes import withhold_classes
from mapping.disclosure.columns import (CLASS_COLUMN_RE, count_columns, derived_columns,
                                        rate_columns, secondary_flag)
from mapping.disclosure.relations import Table, find_relations, table_keys
from mapping.disclosure.rules import copy_layer
from mapping.disclosure.settings import DisclosureRules, is_sensitive, protection
from mapping.disclosure.suppression import suppress_counts

__all__ = ["AuditReport", "audit_tables", "audit_layers"]

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
        # a weak cell's span is exact (only a protected cell gets the inner interval of
        # ``need``), so it is solved again only once a cell has been hidden since
        if added:
            span = attacker_intervals(tables, relations, rules, cells=[cell],
                                      members=members)[cell]
            report.solves += 1
        else:
            span = spans[cell]
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
    return Table(lyr.name, list(counts), vals, hid, sec & hid, table_keys(data)), sup, counts, rates


def _class_note(sup) -> list[str]:
    """The map note on withheld hot/cold-spot classes (one sentence), or none."""
    flags = [f"{c}_suppressed" for c in sup.columns if CLASS_COLUMN_RE.match(str(c))
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
    _audit_rounds(layers, tables, entries, rules, report)
    _withhold_weak_tables(layers, tables, entries, rules, report)
    report.unprotected = []
    return _audited_layers(layers, entries, rules, report), report


def _flags(sup, counts, name) -> np.ndarray:
    """The boolean flags ``name(column)`` of the count columns, as rows x columns."""
    return np.column_stack([sup[name(c)].to_numpy(bool) if name(c) in sup
                            else np.zeros(len(sup), bool) for c in counts])


def _audit_rounds(layers, tables, entries, rules, report) -> None:
    """Audit the tables and apply the cells added to each layer's frame, again while the
    line rule of :func:`suppress_counts` adds cells of its own (at most five rounds)."""
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
            t.hidden = _flags(sup, counts, lambda c: f"{c}_suppressed")
            t.secondary = _flags(sup, counts, secondary_flag)
        if sum(int(t.hidden.sum()) for t in tables) == before + len(rep.added):
            break  # the line rule added nothing to the audit's own cells: stable


def _withhold_weak_tables(layers, tables, entries, rules, report) -> None:
    """Withhold every count of a table holding a cell the audit could not protect."""
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


def _audited_layers(layers, entries, rules, report) -> list:
    """The layers with their audited frames and the audit's notes in their meta."""
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
        out[n] = copy_layer(lyr, sup, extra)
        if hasattr(sup, "attrs") and hasattr(lyr.data, "attrs"):
            sup.attrs.update(lyr.data.attrs)
    return out
