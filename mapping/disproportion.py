"""Disproportionality: the make-up of a group (clients, arrests) against the population.

For each category of a characteristic (ethnicity, gender, age band) the
group's share ``a / n`` is compared with the population's share ``b / m``;
the ratio ``(a/n) / (b/m)`` is reported with a confidence interval (see
:func:`mapping.concentration.share_ratio`: Wilson on the group share with
the population share fixed, or the Katz log interval when the population
figures are themselves a sample).  ``flag`` is true when the interval
excludes 1: ``"over"`` or ``"under"``-represented.
"""

from __future__ import annotations

import pandas as pd

from layers.errors import InputError
from mapping.concentration import share_ratio

__all__ = ["disproportion"]


def disproportion(group, population, *, category: str, population_category: str | None = None,
                  population_count: str = "population", level: float = 0.95,
                  method: str = "wilson", missing=("", "unknown", "not stated", "nan")):
    """Compare a group's make-up with the population's, category by category.

    Parameters
    ----------
    group : DataFrame
        One row per person/record with a ``category`` column (e.g. ``ethnicity``).
    population : DataFrame
        The reference population: one row per category with a count column.
    category : str
        Category column of ``group``.
    population_category : str, optional
        Category column of ``population`` (default: same as ``category``).
    population_count : str
        Count column of ``population``.
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
    counts = vals[~miss].value_counts()
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
        "units": "shares (0-1); ratio = group share / population share",
        "method": f"ratio of shares with {method} {int(level * 100)}% interval; flag when it excludes 1",
        "params": {"category": category, "level": level, "method": method,
                   "not_recorded": int(miss.sum()), "group_n": int(n)},
        "references": ["Wilson EB (1927) JASA 22:209-212", "Katz D et al. (1978) Biometrics 34:469-474"],
        "sensitive": True,
    }
    return out
