"""Demographic breakdowns: counts, shares with Wilson intervals, rates, disproportionality.

Every figure in the audit is to be broken down by age, gender and ethnicity
(and disability and sexuality where recorded).  :func:`breakdown` gives, for
one characteristic, the count and percentage of each group with its base n
and a Wilson score interval, with small counts suppressed by the disclosure
rules (:mod:`mapping.disclosure.rules`: 1-4 shown as ``"<5"`` by default, with
secondary suppression).  Given group populations it adds rates per 10,000
with PHE's exact/Byar intervals (:func:`mapping.stats.intervals.poisson_ci`) and the
disproportionality ratio (the group's share of records over its share of the
population) from :func:`mapping.stats.disproportion.disproportion`.

Records with the characteristic missing are counted as ``Not recorded`` and
shown, but left out of the percentage base, which is stated.

References
----------
Wilson EB (1927). Probable inference, the law of succession, and
statistical inference. *JASA* 22:209-212.  Newcombe RG (1998). Two-sided
confidence intervals for the single proportion. *Stat Med* 17:857-872.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from mapping.core.filters import apply_filter
from mapping.disclosure.rules import (DisclosureRules, describe_rules, secondary_flag,
                                      suppress_counts)
from mapping.stats.intervals import poisson_ci, wilson_ci

__all__ = ["breakdown", "age_bands", "breakdown_display", "DEFAULT_AGE_BANDS",
           "BREAKDOWN_FIELDS", "NOT_RECORDED"]

#: Default age bands (lower bounds); the last is open-ended.
DEFAULT_AGE_BANDS = (0, 18, 25, 35, 45, 55, 65)
#: Characteristics offered in dialogs, with the canonical column names tried in order.
BREAKDOWN_FIELDS = {"age": ("age_band", "age"), "gender": ("gender", "sex"),
                    "ethnicity": ("ethnicity", "ethnic_group"),
                    "disability": ("disability",), "sexuality": ("sexuality",
                                                                 "sexual_orientation")}
NOT_RECORDED = "Not recorded"
_MISSING = {"", "nan", "none", "unknown", "not stated", "not known", "n/a", "na",
            "not recorded", "prefer not to say"}


def age_bands(age, bands=DEFAULT_AGE_BANDS) -> pd.Series:
    """Band numeric ages, e.g. 0-17, 18-24, ..., 65+.

    Parameters
    ----------
    age : array-like
        Ages in years (non-numeric values become missing).
    bands : sequence of int
        Increasing lower bounds.

    Returns
    -------
    pandas.Series of ordered Categorical
    """
    a = pd.to_numeric(pd.Series(age), errors="coerce")
    b = list(bands)
    labels = [f"{lo}-{hi - 1}" for lo, hi in zip(b[:-1], b[1:])] + [f"{b[-1]}+"]
    return pd.cut(a, bins=b + [np.inf], right=False, labels=labels)


def _resolve(records, by: str) -> tuple[pd.Series, str, list | None]:
    """The grouping column (banding ages) and its natural category order."""
    cands = BREAKDOWN_FIELDS.get(by, (by,))
    for c in cands:
        if c in records.columns:
            s = records[c]
            if c == "age" or (by == "age" and pd.api.types.is_numeric_dtype(s)):
                cat = age_bands(s)
                return cat, c, list(cat.cat.categories)
            if isinstance(s.dtype, pd.CategoricalDtype):
                return s, c, list(s.cat.categories)
            return s, c, None
    raise InputError(f"the records have no '{by}' column (tried {', '.join(cands)})",
                     column=by, fix="map the column when loading, or choose another field")


def breakdown(records, by: str, *, population=None, population_column: str = "population",
              category_column: str | None = None, filter: str | None = None,
              threshold: int = 5, level: float = 0.95, multiplier: float = 10000.0,
              rules=None, progress=None) -> pd.DataFrame:
    """Counts, percentages (Wilson CI), rates and disproportionality by group.

    Parameters
    ----------
    records : DataFrame or GeoDataFrame
        Records with the characteristic column.
    by : str
        ``age``, ``gender``, ``ethnicity``, ``disability``, ``sexuality`` or
        any column name (``age`` is banded if numeric).
    population : DataFrame, dict or Series, optional
        Group populations: a table with the category column and
        ``population_column``, or a mapping of category to population.
    population_column : str
        Population count column of a population table.
    category_column : str, optional
        Category column of a population table (default: first other column).
    filter : str, optional
        Filter expression applied first.
    threshold : int
        Counts 1 to threshold-1 are suppressed (5 -> "<5").  Ignored when
        ``rules`` is given.
    level : float
        Confidence level of the intervals.
    multiplier : float
        Rates per ``multiplier`` people.
    rules : mapping.disclosure.rules.DisclosureRules, optional
        Disclosure rules (default: on, with ``threshold``).
    progress : callable(float, str), optional
        Progress callback.

    Returns
    -------
    DataFrame
        One row per group and a ``Total`` row: ``group``, ``count``,
        ``pct`` (of records with the field recorded), ``base_n``,
        ``pct_ci_low``, ``pct_ci_high`` (Wilson), ``suppressed`` (bool) and
        ``display_count`` (``"<5"`` when suppressed); with ``population``
        also ``population``, ``rate`` (per ``multiplier``), ``rate_ci_low``,
        ``rate_ci_high``, ``population_pct``, ``disproportion_ratio``,
        ``ratio_ci_low``, ``ratio_ci_high``, ``direction``.  Values derived
        from a suppressed count are NaN.  ``attrs['meta']``: method, units,
        base n, references, rules.
    """
    rules = rules or DisclosureRules(threshold=threshold)
    recs = apply_filter(records, filter)
    if progress:
        progress(0.1, f"grouping by {by}")
    s, col, order = _resolve(recs, by)
    vals = s.astype(object).where(s.notna(), "").astype(str).str.strip()
    missing = vals.str.lower().isin(_MISSING)
    vals = vals.where(~missing, NOT_RECORDED)
    counts = vals.value_counts()
    pop = _population(population, population_column, category_column)
    t = _group_table(counts, order, pop, len(recs), level)
    recorded = t["group"] != NOT_RECORDED
    base_n = int(t.loc[recorded, "count"].sum())
    rate_cols = ["pct", "pct_ci_low", "pct_ci_high"]
    if pop is not None:
        t = _group_rates(t, recs, vals, pop, level, multiplier)
        rate_cols += ["rate", "rate_ci_low", "rate_ci_high", "population_pct",
                      "disproportion_ratio", "ratio_ci_low", "ratio_ci_high"]
    total = {"group": "Total", "count": int(len(recs)), "base_n": int(len(recs)),
             "pct": 100.0 if len(recs) else np.nan}
    if pop is not None:
        total.update({"population": float(pop.sum()),
                      "rate": len(recs) / pop.sum() * multiplier if pop.sum() else np.nan})
    sup = _suppressed_with_total(t, total, rules, rate_cols)
    sup.attrs["meta"] = {
        "title": f"Records by {by}",
        "method": f"counts by {col}; percentages of records with {by} recorded (base n "
                  f"stated) with {level:.0%} Wilson score intervals"
                  + ("; rates per {:,.0f} with exact (<10) / Byar intervals; disproportionality "
                     "ratio = share of records / share of population".format(multiplier)
                     if pop is not None else ""),
        "units": "records; percent" + (f"; per {multiplier:,.0f} population"
                                       if pop is not None else ""),
        "base_n": base_n, "n_total": int(len(recs)),
        "n_not_recorded": int(counts.get(NOT_RECORDED, 0)),
        "params": {"by": by, "column": col, "filter": filter, "level": level},
        "notes": describe_rules(rules),
        "references": ["Wilson (1927) JASA 22:209-212", "Newcombe (1998) Stat Med 17:857-872"],
        "count_columns": ["count"],
    }
    if progress:
        progress(1.0, "done")
    return sup


def _group_table(counts, order, pop, n_records, level) -> pd.DataFrame:
    """One row per group (the population's too; ``Not recorded`` last): count, base n,
    percentage of the records with the field recorded and its Wilson interval."""
    cats = [c for c in (order or sorted(set(counts.index) - {NOT_RECORDED})) if c != NOT_RECORDED]
    if pop is not None:
        cats += [c for c in pop.index if c not in cats]
    if NOT_RECORDED in counts.index:
        cats.append(NOT_RECORDED)
    t = pd.DataFrame({"group": cats, "count": [int(counts.get(c, 0)) for c in cats]})
    recorded = t["group"] != NOT_RECORDED
    base_n = int(t.loc[recorded, "count"].sum())
    t["base_n"] = np.where(recorded, base_n, n_records)
    with np.errstate(invalid="ignore", divide="ignore"):
        t["pct"] = t["count"] / t["base_n"] * 100
        lo, hi = wilson_ci(t["count"].to_numpy(), t["base_n"].to_numpy(), level)
    t["pct_ci_low"], t["pct_ci_high"] = np.clip(lo, 0, 1) * 100, np.clip(hi, 0, 1) * 100
    return t


def _group_rates(t, recs, vals, pop, level, multiplier) -> pd.DataFrame:
    """Each group's population, rate per ``multiplier`` with its PHE interval, and its
    disproportionality (none for ``Not recorded``)."""
    recorded = t["group"] != NOT_RECORDED
    p = pop.reindex(t["group"]).to_numpy(dtype=float)
    t["population"] = p
    with np.errstate(invalid="ignore", divide="ignore"):
        t["rate"] = t["count"] / p * multiplier
        clo, chi = poisson_ci(t["count"].to_numpy(), level, "phe")
        t["rate_ci_low"], t["rate_ci_high"] = clo / p * multiplier, chi / p * multiplier
    t.loc[~recorded, ["population", "rate", "rate_ci_low", "rate_ci_high"]] = np.nan
    return _add_disproportion(t, recs, vals, pop, level)


def _suppressed_with_total(t, total, rules, rate_cols) -> pd.DataFrame:
    """The groups under disclosure control, a ``suppressed`` flag, the ``Total`` row and
    the honest ``display_count``: ``"<5"`` only for a small count, ``"suppressed"`` for
    one hidden to protect it."""
    sup = suppress_counts(t, ["count"], rate_cols, rules) if rules.enabled else t.copy()
    flag = sup["count_suppressed"].to_numpy(bool) if "count_suppressed" in sup else \
        np.zeros(len(sup), bool)
    second = sup[secondary_flag("count")].to_numpy(bool) if secondary_flag("count") in sup \
        else np.zeros(len(sup), bool)
    sup = sup.drop(columns=[c for c in sup.columns if c.endswith("_suppressed")])
    sup["suppressed"] = flag
    if "direction" in sup:
        sup.loc[flag, "direction"] = ""
    total["suppressed"] = False
    if "direction" in sup:
        total["direction"] = ""
    sup = pd.concat([sup, pd.DataFrame([total])], ignore_index=True)
    sup["suppressed"] = sup["suppressed"].astype(bool)
    second = np.r_[second, False]  # the Total row
    # honest labels: "<5" only for a small count; one hidden to protect it reads "suppressed"
    sup["display_count"] = [("suppressed" if s2 else rules.small_label) if f else
                            (f"{int(c):,}" if c == c else "")
                            for f, s2, c in zip(sup["suppressed"], second, sup["count"])]
    return sup


def _population(population, value_col, cat_col) -> pd.Series | None:
    if population is None:
        return None
    if isinstance(population, dict):
        return pd.Series(population, dtype=float)
    if isinstance(population, pd.Series):
        return population.astype(float)
    if value_col not in population.columns:
        raise InputError(f"the population table has no '{value_col}' column", column=value_col,
                         fix="give a table with a category column and a population column")
    cat_col = cat_col or next(c for c in population.columns if c != value_col)
    v = pd.to_numeric(population[value_col].astype(str).str.replace(",", ""), errors="coerce")
    return v.groupby(population[cat_col].astype(str).str.strip()).sum()


def _add_disproportion(t, recs, vals, pop, level):
    try:
        from mapping.stats.disproportion import disproportion
    except ImportError:  # pragma: no cover - module of issue 5
        disproportion = None
    keep = vals != NOT_RECORDED
    g = pd.DataFrame({"category": vals[keep].to_numpy()})
    p = pd.DataFrame({"category": pop.index, "population": pop.to_numpy()})
    unknown = set(g["category"]) - set(p["category"])
    if disproportion is None or unknown:
        t["population_pct"] = t["population"] / pop.sum() * 100
        for c in ("disproportion_ratio", "ratio_ci_low", "ratio_ci_high"):
            t[c] = np.nan
        t["direction"] = ""
        return t
    d = disproportion(g, p, category="category", level=level).set_index("category")
    t["population_pct"] = t["group"].map(d["population_share"]) * 100
    t["disproportion_ratio"] = t["group"].map(d["ratio"])
    t["ratio_ci_low"] = t["group"].map(d["ci_low"])
    t["ratio_ci_high"] = t["group"].map(d["ci_high"])
    t["direction"] = t["group"].map(d["direction"]).fillna("")
    return t


def breakdown_display(table: pd.DataFrame, *, digits: int = 1) -> pd.DataFrame:
    """Format a :func:`breakdown` table for people: "<5", percentages with CIs, base n.

    Returns
    -------
    DataFrame of str
        ``Group``, ``Count``, ``% (95% CI)``, ``Base n`` and, when present,
        ``Rate per 10,000 (95% CI)`` and ``Disproportionality (95% CI)``.
    """
    def ci(v, lo, hi):
        if not (v == v):
            return "–"
        return f"{v:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})" if lo == lo else \
            f"{v:.{digits}f}"

    out = pd.DataFrame({"Group": table["group"], "Count": table["display_count"],
                        "% (95% CI)": [ci(*r) for r in zip(table["pct"], table.get(
                            "pct_ci_low", np.nan), table.get("pct_ci_high", np.nan))],
                        "Base n": [f"{int(b):,}" for b in table["base_n"]]})
    if "rate" in table:
        out["Rate per 10,000 (95% CI)"] = [ci(*r) for r in zip(
            table["rate"], table["rate_ci_low"], table["rate_ci_high"])]
    if "disproportion_ratio" in table:
        out["Disproportionality (95% CI)"] = [ci(*r) for r in zip(
            table["disproportion_ratio"], table["ratio_ci_low"], table["ratio_ci_high"])]
    return out
