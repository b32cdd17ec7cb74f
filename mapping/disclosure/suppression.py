"""Small counts suppressed in a table, and the table as people read it.

:func:`suppress_counts` blanks small counts (and, by secondary suppression, the
next smallest of a line with a single hidden cell), the rates built on them and
the statistics that would give them back; :func:`display_table` labels what is
hidden honestly (``"<5"`` for a small count, ``"suppressed"`` for the rest).
The rules are described in :mod:`mapping.disclosure.rules`.
"""

from __future__ import annotations

import numpy as np

from mapping.disclosure.classes import withhold_classes
from mapping.disclosure.columns import (CLASS_COLUMN_RE, count_columns, derived_columns,
                                        rate_columns, secondary_flag)
from mapping.disclosure.settings import DisclosureRules

__all__ = ["suppress_counts", "display_table"]


def _secondary(small, v, eligible):
    """Grow ``small`` until no row or column of the count table has exactly one
    suppressed cell (while a candidate is left), always taking the smallest
    eligible count, so no published total, row or column, gives a cell back."""
    n, m = small.shape
    while True:
        before = int(small.sum())
        if n > 1:  # each column's total (the base n) is published
            for j in np.flatnonzero(small.sum(axis=0) == 1):
                cand = np.where(eligible[:, j] & ~small[:, j], v[:, j], np.inf)
                if np.isfinite(cand).any():
                    small[int(np.argmin(cand)), j] = True
        if m > 1:  # a row's counts may add up to another published count
            rows = np.flatnonzero(small.sum(axis=1) == 1)
            if len(rows):
                cand = np.where(eligible[rows] & ~small[rows], v[rows], np.inf)
                k = np.argmin(cand, axis=1)
                ok = np.isfinite(cand[np.arange(len(rows)), k])
                small[rows[ok], k[ok]] = True
        if int(small.sum()) == before:
            return small



def suppress_counts(df, counts: list[str], rates: list[str], rules: DisclosureRules,
                    derived: list[str] | None = None):
    """Return a copy of ``df`` with small counts and dependent rates set to NaN.

    Adds a boolean ``<column>_suppressed`` column for each count and rate
    column that had anything suppressed, and ``<column>_secondary_suppressed``
    marking the count cells hidden only to protect others (shown as
    "suppressed", not as "<5").  Secondary suppression treats the
    count columns as one table: until no row and no column has exactly one
    suppressed cell, the smallest other count of that line is suppressed too
    (the usual rule for tables whose row and column totals are published).

    ``derived`` columns (:func:`derived_columns`: z-scores, p-values, survival)
    are withheld in every row once any count is suppressed: a Gi* z-score to 16
    digits, with the weights, gives back every suppressed count by least
    squares, and rounding it is not enough (an attacker who knows the mean and
    spread solves a linear program).

    Idempotent: flags already present (from an earlier pass, or from the
    cross-table audit :mod:`mapping.disclosure.audit`) are kept and counted as
    suppressed cells.
    """
    attrs = getattr(df, "attrs", {})
    out = df.copy()
    out.attrs = {}  # pandas deep-copies attrs on every column operation: put them back at the end
    counts = [c for c in counts if c in out.columns]
    if not counts:
        out.attrs = attrs
        return out

    def flags(name):
        return np.column_stack([out[name(c)].fillna(False).to_numpy(bool) if name(c) in out
                                else np.zeros(len(out), bool) for c in counts])

    pre = flags(lambda c: f"{c}_suppressed")
    pre_sec = flags(secondary_flag) & pre
    v = np.column_stack([out[c].to_numpy(dtype=float) for c in counts])
    v[pre] = np.nan
    live = np.isfinite(v) & ((v > 0) | rules.suppress_zero)
    primary = ((v < rules.threshold) & live) | (pre & ~pre_sec)
    small = primary | pre
    if rules.secondary and small.any():
        small = _secondary(small, v, live)
    second = small & ~primary
    row_mask = small.any(axis=1)
    for j, c in enumerate(counts):
        if small[:, j].any():
            out[c] = out[c].astype(float).where(~small[:, j])
            out[f"{c}_suppressed"] = small[:, j]
        if second[:, j].any():
            out[secondary_flag(c)] = second[:, j]
        elif secondary_flag(c) in out:
            out = out.drop(columns=secondary_flag(c))
    if row_mask.any():
        for c in derived or []:
            if c in out.columns and c not in counts:
                out[c] = np.nan
                out[f"{c}_suppressed"] = True
        for c in [r for r in rates if r not in (derived or [])]:
            prev = out[f"{c}_suppressed"].fillna(False).to_numpy(bool) \
                if f"{c}_suppressed" in out else False
            out[c] = out[c].astype(float).where(~row_mask)
            out[f"{c}_suppressed"] = row_mask | prev
    out.attrs = attrs
    return out


def display_table(df, rules: DisclosureRules, meta: dict | None = None):
    """Return a table for people to read: small counts as ``"<5"``, the rest hidden as ``"suppressed"``.

    Honest labels: a count hidden because it is small (primary suppression) reads
    ``"<5"`` (the threshold as set); a count hidden to protect another
    (secondary suppression, cross-table audit) and a rate read ``"suppressed"``,
    so no large number is ever labelled ``"<5"``.

    ``df`` should already have passed :func:`suppress_counts` (via :func:`apply_rules`);
    flag columns are dropped and geometry removed.
    """
    import pandas as pd

    out = pd.DataFrame(df.drop(columns="geometry", errors="ignore")).copy()
    if not rules.enabled:
        return out
    if not any(str(c).endswith("_suppressed") for c in out.columns):
        out = withhold_classes(suppress_counts(out, count_columns(out, meta),
                                               rate_columns(out, meta), rules,
                                               derived_columns(out, meta)), meta, rules,
                               truth=out)
    rates = set(rate_columns(out, meta)) | set(derived_columns(out, meta))
    for c in list(out.columns):
        flag = f"{c}_suppressed"
        if flag in out.columns and not str(c).endswith("_suppressed"):
            # a flagged column that is not a rate, a withheld statistic or a class is a count
            is_count = c not in rates and not CLASS_COLUMN_RE.match(str(c)) and \
                c not in ((meta or {}).get("class_columns") or [])
            hide = out[flag].fillna(False).to_numpy(bool)
            second = out[secondary_flag(c)].fillna(False).to_numpy(bool) \
                if secondary_flag(c) in out.columns else np.zeros(len(out), bool)
            vals = []
            for v, h, s2 in zip(out[c].tolist(), hide, second):
                if h:  # honest labels: "<5" only for a count that is below 5
                    vals.append(rules.small_label if is_count and not s2 else "suppressed")
                elif is_count and isinstance(v, float) and v == v and v.is_integer():
                    vals.append(int(v))
                else:
                    vals.append(v)
            out[c] = pd.Series(vals, index=out.index, dtype=object)
    return out.drop(columns=[c for c in out.columns if str(c).endswith("_suppressed")])
