"""Which columns of a table are counts, rates, statistics derived from the counts, or classes.

Disclosure control treats each kind differently (:mod:`mapping.disclosure.rules`):
counts are suppressed, rates on a suppressed count too, derived statistics
(z-scores, p-values) withheld in a table with a suppressed count, classes
(hot/cold-spot bins) published unless they narrow one.
"""

from __future__ import annotations

import re

import numpy as np

from mapping.stats.local_classes import CLASS_COLUMN_RE

__all__ = ["count_columns", "rate_columns", "derived_columns", "secondary_flag",
           "class_kind", "CLASS_COLUMN_RE"]

_COUNT_NAMES = {"count", "n", "events", "n_events", "n_points", "incidents", "crimes",
                "offences", "arrests", "finds", "records", "observed", "cases", "needles",
                "needle_finds", "crack_houses", "seizures", "clients", "residents_in_treatment"}
# Whole-number columns that are not counts of people or events.
_NOT_COUNT_RE = re.compile(r"(year|month|quarter|week|day|date|rank|decile|quintile|tercile|"
                           r"terc|class|bin|row|col|_id|^id|code|index|order|period|population|"
                           r"^pop|capacity|places|seed|lag|k$|^k_|neighbo|cluster|bivariate|"
                           r"^time$)",
                           re.IGNORECASE)
# numbers of areas, cells or periods (n_lsoas, n_years): not people or events
_N_OF_PLACES_OR_TIMES = re.compile(r"n_(lsoa|msoa|oa|area|cell|ward|district|year|month|quarter|"
                                   r"period|week|day|neighbour|neighbor)s?")
#: Statistics computed from the counts that give them back exactly (issue 16): a Gi* or
#: LISA z-score, its p-values, local Moran's I, the G ratio, a survival curve and its
#: cumulative share.  Their classes (``gi_bin``, LISA quadrants) are bands and stay.
_DERIVED_RE = re.compile(r"(^gi_z$|^gi_p|^gi_g$|^g_star|^z$|_z$|z_?score|^lisa_i$|^lisa_p|"
                         r"^lisa_z|^local_i$|^moran|^p_value$|^p_sim$|^p_fdr$|^survival$|"
                         r"^cumulative$|^km_)", re.IGNORECASE)
# Classes of local statistics (hot/cold spot bins, LISA quadrants): bands, published
# except where they would narrow a suppressed count
# (:func:`mapping.disclosure.classes.withhold_classes`).  Named once, beside the
# statistics that write them (:data:`mapping.stats.local_classes.CLASS_COLUMN_RE`).


_RATE_RE = re.compile(r"(rate|per_1000|per_10k|per_100k|ci_low|ci_high|ci_lower|ci_upper|"
                      r"lcl|ucl|lower_ci|upper_ci|ratio|expected|share|pct|percent|change|diff)",
                      re.IGNORECASE)

def _whole_non_negative(s) -> bool:
    v = s.to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    return bool(len(v)) and bool(np.all(v >= 0)) and bool(np.all(v == np.round(v)))


def count_columns(df, meta: dict | None = None) -> list[str]:
    """Columns holding counts of records.

    Declared ones (``meta["count_columns"]``) come first.  Any other column is a
    count if its name says so (``count``, ``n_*``, ``*_count``, a record kind
    such as ``needles`` or ``arrests``), if it is the ``value`` column of an
    analysis whose ``params["value"]`` is a count, or - for a *sensitive*
    layer - if it holds whole non-negative numbers and is not a key, rank,
    class or calendar field.
    """
    meta = meta or {}
    declared = [c for c in (meta.get("count_columns") or []) if c in df.columns]
    value_is_count = "count" in str((meta.get("params") or {}).get("value", "")).lower()
    sensitive = bool(meta.get("sensitive"))
    out = []
    # dtypes read once: ``df[c]`` builds a Series and deep-copies the frame's attrs
    for c, dtype in zip(df.columns, df.dtypes):
        lc = str(c).lower()
        if c == "geometry" or dtype.kind not in "iuf":
            continue
        if _RATE_RE.search(lc) or CLASS_COLUMN_RE.match(lc) or _DERIVED_RE.search(lc):
            continue  # rates, classes and statistics are not counts (even once withheld)
        if c in declared:
            continue
        named = (lc in _COUNT_NAMES or lc.endswith("_count") or lc.startswith("count_")
                 or lc.startswith("n_") and not _N_OF_PLACES_OR_TIMES.fullmatch(lc))
        if named or (lc == "value" and value_is_count):
            out.append(c)
        elif sensitive and not _NOT_COUNT_RE.search(lc) and not \
                _N_OF_PLACES_OR_TIMES.fullmatch(lc) and _whole_non_negative(df[c]):
            out.append(c)
    return declared + out


def rate_columns(df, meta: dict | None = None) -> list[str]:
    """Columns derived from counts (rates, ratios, confidence limits)."""
    meta = meta or {}
    if meta.get("rate_columns") is not None:
        return [c for c in meta["rate_columns"] if c in df.columns]
    return [c for c, dtype in zip(df.columns, df.dtypes) if c != "geometry"
            and dtype.kind in "iuf" and _RATE_RE.search(str(c))]


def derived_columns(df, meta: dict | None = None) -> list[str]:
    """Columns of statistics computed from the counts that would give them back exactly
    (z-scores, p-values, local I, survival); declared ones (``meta["derived_columns"]``)
    first.  When any count of the table is suppressed they are withheld
    (:func:`suppress_counts`), so the counts cannot be solved for."""
    meta = meta or {}
    declared = [c for c in (meta.get("derived_columns") or []) if c in df.columns]
    return declared + [c for c, dtype in zip(df.columns, df.dtypes)
                       if c not in declared and c != "geometry"
                       and dtype.kind in "fc" and _DERIVED_RE.search(str(c))]


def class_kind(cls) -> str | None:
    """``"gistar"`` or ``"lisa"``: the statistic whose classes the columns ``cls`` hold
    (else None)."""
    names = {str(c).lower() for c in cls}
    if names & {"gi_bin", "gi_sig"}:
        return "gistar"
    if names & {"lisa_quadrant", "lisa_cluster", "lisa_sig", "lisa_q"}:
        return "lisa"
    return None


def secondary_flag(column: str) -> str:
    """Name of the flag marking a column's *secondary* suppressions (``count_secondary_suppressed``).

    It ends with ``_suppressed`` so every reader that drops flag columns drops it too.
    """
    return f"{column}_secondary_suppressed"

