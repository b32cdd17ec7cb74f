"""Disproportionality: the make-up of a group (clients, arrests) against the population.

For each category of a characteristic (ethnicity, gender, age band) the
group's share ``a / n`` is compared with the population's share ``b / m``;
the ratio ``(a/n) / (b/m)`` is reported with a confidence interval (see
:func:`mapping.stats.concentration.share_ratio`: Wilson on the group share with
the population share fixed, or the Katz log interval when the population
figures are themselves a sample).  ``flag`` is true when the interval
excludes 1: ``"over"`` or ``"under"``-represented.
"""

from __future__ import annotations

import pandas as pd

from layers.common.errors import InputError
from mapping.stats.concentration import share_ratio

__all__ = ["disproportion"]


def disproportion(group, population, *, category: str, population_category: str | None = None,
                  population_count: str = "population", count: str | None = None,
                  level: float = 0.95, method: str = "wilson",
                  missing=("", "unknown", "not stated", "nan")):
    """Compare a group's make-up with the population's, category by category.

    Parameters
    ----------
    group : DataFrame
        One row per person/record with a ``category`` column (e.g. ``ethnicity``),
        or, with ``count``, a table of counts per category (as NDTMS gives
        clients by ethnicity); rows of the same category are added up.
    population : DataFrame
        The reference population: one row per category with a count column.
    category : str
        Category column of ``group``.
    population_category : str, optional
        Category column of ``population`` (default: same as ``category``).
    population_count : str
        Count column of ``population``.
    count : str, optional
        Count column of ``group`` when it is a table of counts: whole numbers of
        people, not blank and not suppressed at source (``*``, ``<5``), since the
        group's make-up is then unknown.
    level, method
        Interval settings.
    missing : sequence of str
        Category values (case-insensitive) treated as not recorded and left
        out of the shares; their number is in ``attrs['meta']['params']``.

    Returns
    -------
    DataFrame
        ``category``, ``group_n``, ``group_share``, ``population_n``,
        ``population_share``, ``ratio``, ``ci_low``, ``ci_high``, ``flag``
        (bool) and ``direction`` (``"over"``, ``"under"`` or ``""``).

    Examples
    --------
    >>> import pandas as pd
    >>> g = pd.DataFrame({"gender": ["M"] * 70 + ["F"] * 30})
    >>> p = pd.DataFrame({"gender": ["M", "F"], "population": [490, 510]})
    >>> disproportion(g, p, category="gender")[["category", "flag", "direction"]].values.tolist()
    [['F', True, 'under'], ['M', True, 'over']]
    """
    pc = population_category or category
    if category not in group.columns:
        raise InputError(f"group has no column '{category}'", column=category,
                         fix="map the column (e.g. ethnicity, gender, age_band)")
    for c in (pc, population_count):
        if c not in population.columns:
            raise InputError(f"population table has no column '{c}'", column=c,
                             fix="give a table of category and count")
    vals = group[category].astype(str).str.strip()
    miss = vals.str.lower().isin([m.lower() for m in missing])
    if count is None:
        counts = vals[~miss].value_counts()
        n_missing = int(miss.sum())
    else:
        people = _people(group, count)
        counts = people[~miss.to_numpy()].groupby(vals[~miss].to_numpy()).sum()
        n_missing = int(people[miss.to_numpy()].sum())
    pop = population.assign(_c=population[pc].astype(str).str.strip())
    popn = pd.to_numeric(pop[population_count], errors="coerce").fillna(0).groupby(pop["_c"]).sum()
    unmatched = sorted(set(counts.index) - set(popn.index))
    if unmatched:
        raise InputError(f"group categories not in the population table: {unmatched[:5]}",
                         column=category, fix="recode the group to the population's categories")
    n, m = float(counts.sum()), float(popn.sum())
    rows = []
    for cat in sorted(popn.index):
        a, b = float(counts.get(cat, 0)), float(popn[cat])
        r = share_ratio(a, n, b, m, level=level, method=method)
        direction = "" if not r["excludes_1"] else ("over" if r["ci_low"] > 1 else "under")
        rows.append({"category": cat, "group_n": int(a), "group_share": r["share"],
                     "population_n": b, "population_share": r["ref_share"],
                     "ratio": r["ratio"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                     "flag": r["excludes_1"], "direction": direction})
    out = pd.DataFrame(rows)
    out.attrs["meta"] = {
        "title": f"Disproportionality by {category}",
        "count_columns": ["group_n"],
        "units": "shares (0-1); ratio = group share / population share",
        "method": f"ratio of shares with {method} {int(level * 100)}% interval; flag when it excludes 1",
        "params": {"category": category, "count": count, "level": level, "method": method,
                   "not_recorded": n_missing, "group_n": int(n)},
        "references": ["Wilson EB (1927) JASA 22:209-212", "Katz D et al. (1978) Biometrics 34:469-474"],
        "sensitive": True,
    }
    return out


def _people(group, count: str) -> pd.Series:
    """The ``count`` column of a table of counts as whole numbers of people."""
    import numpy as np

    if count not in group.columns:
        raise InputError(f"group table has no column '{count}'", column=count,
                         fix="name the column holding the number of people")
    text = group[count].astype("string").str.strip().str.replace(",", "", regex=False)
    num = pd.to_numeric(text, errors="coerce")
    bad = num.isna() | (num < 0) | (num != np.round(num))
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"'{text.iloc[pos]}' in '{count}' is not a whole number of people "
                         "(blank or suppressed at source), so the group's make-up is not known",
                         row=pos + 1, column=count,
                         fix="use the unsuppressed local extract, with every count given")
    return num.astype(float).reset_index(drop=True)
