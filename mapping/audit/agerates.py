"""Age-specific rates: records per 10,000 residents of each age band.

Records (arrests, clients) are counted by age band and divided by the
population of that band (a table of age band and population, e.g. ONS
mid-year estimates summed to the bands).  Each rate has Byar's 95% limits
(:func:`mapping.stats.rates.byar_ci`), and the ratio to the all-ages rate shows
which ages are over-represented.

The records' bands must be the population's bands.  Records with a numeric
``age`` instead are put into the population's bands, read from labels such
as ``10-17``, ``18 to 24``, ``55+``, ``65 and over`` or ``under 18``.
Records with no age (or an age in no band) are counted and left out.

References: PHE/APHO (2008) *Technical Briefing 3*; Breslow NE, Day NE
(1987) *Statistical methods in cancer research*, vol. II.

Public functions: :func:`age_specific_rates`, :func:`parse_age_band`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from layers.common.errors import AnalysisError

__all__ = ["age_specific_rates", "parse_age_band"]

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-|–|to)\s*(\d+)\s*$", re.I)
_PLUS = re.compile(r"^\s*(\d+)\s*(?:\+|and over|and older|or over|plus)\s*$", re.I)
_UNDER = re.compile(r"^\s*(?:under|less than|<)\s*(\d+)\s*$", re.I)


def parse_age_band(label) -> tuple[float, float]:
    """Years ``[lo, hi)`` of an age band label.

    Examples
    --------
    >>> parse_age_band("18-24"), parse_age_band("55+"), parse_age_band("under 18")
    ((18.0, 25.0), (55.0, inf), (0.0, 18.0))
    """
    s = str(label)
    if m := _RANGE.match(s):
        return float(m.group(1)), float(m.group(2)) + 1
    if m := _PLUS.match(s):
        return float(m.group(1)), float("inf")
    if m := _UNDER.match(s):
        return 0.0, float(m.group(1))
    raise AnalysisError(f"'{label}' is not an age band hotmap can read",
                        fix="write bands as 10-17, 18 to 24, 55+ or under 18")


def age_specific_rates(records, population, *, age_band: str | None = "age_band",
                       age: str | None = None, population_band: str = "age_band",
                       population_count: str = "population", per: float = 10_000.0,
                       confidence: float = 0.95) -> pd.DataFrame:
    """Records per ``per`` residents in each age band, with Byar limits.

    Parameters
    ----------
    records : DataFrame
        One row per record, with ``age_band`` (labels) or ``age`` (years).
    population : DataFrame
        One row per age band: ``population_band`` and ``population_count``.
    age_band : str, optional
        Band column of the records (used unless ``age`` is given).
    age : str, optional
        Numeric age column, put into the population's bands.
    population_band, population_count : str
        Columns of the population table.
    per : float
        Rate per this many residents.
    confidence : float
        Confidence level of the limits.

    Returns
    -------
    DataFrame
        ``age_band``, ``count``, ``population``, ``rate``, ``rate_lcl``,
        ``rate_ucl``, ``share_of_records`` and ``share_of_population`` (percent),
        ``rate_ratio`` (to all ages); a last row ``All ages``; ``attrs['meta']``.
    """
    from mapping.stats.rates import byar_ci

    for c in (population_band, population_count):
        if c not in population.columns:
            raise AnalysisError(f"the population table has no '{c}' column", column=c,
                                fix="give a table of age band and population")
    bands = population[population_band].astype("string").str.strip()
    pop = pd.to_numeric(population[population_count], errors="coerce")
    if pop.isna().any() or (pop < 0).any():
        raise AnalysisError("the population table has missing or negative populations",
                            column=population_count)
    if bands.duplicated().any():
        raise AnalysisError(f"age band '{bands[bands.duplicated()].iloc[0]}' appears twice in "
                            "the population table", column=population_band)
    if age is not None:
        if age not in records.columns:
            raise AnalysisError(f"the records have no '{age}' column", column=age)
        years = pd.to_numeric(records[age], errors="coerce").to_numpy(float)
        lims = [parse_age_band(b) for b in bands]
        lab = np.full(len(years), None, dtype=object)
        for b, (lo, hi) in zip(bands, lims):
            lab[(years >= lo) & (years < hi)] = b
        rec = pd.Series(lab, dtype="string")
        source = f"ages in '{age}'"
    else:
        if age_band not in records.columns:
            raise AnalysisError(f"the records have no '{age_band}' column", column=age_band,
                                fix="name the age band column, or give age for years")
        rec = records[age_band].astype("string").str.strip().replace("", pd.NA)
        unknown = sorted(set(rec.dropna()) - set(bands))
        if unknown:
            raise AnalysisError(f"record age bands not in the population table: {unknown[:5]}",
                                column=age_band, fix="use the same bands in both, or give "
                                                     "numeric ages (age = ...)")
        source = f"bands in '{age_band}'"
    counts = rec.value_counts().reindex(bands.to_numpy(), fill_value=0).to_numpy(float)
    n_missing = int(rec.isna().sum())
    total_c, total_p = counts.sum(), float(pop.sum())
    c_all = np.r_[counts, total_c]
    p_all = np.r_[pop.to_numpy(float), total_p]
    lo, hi = byar_ci(c_all, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(p_all > 0, c_all / p_all * per, np.nan)
        lcl = np.where(p_all > 0, lo / p_all * per, np.nan)
        ucl = np.where(p_all > 0, hi / p_all * per, np.nan)
        overall = total_c / total_p * per if total_p > 0 else np.nan
    out = pd.DataFrame({"age_band": list(bands) + ["All ages"], "count": c_all.astype(int),
                        "population": p_all, "rate": rate, "rate_lcl": lcl, "rate_ucl": ucl,
                        "share_of_records": 100 * c_all / total_c if total_c else np.nan,
                        "share_of_population": 100 * p_all / total_p,
                        "rate_ratio": rate / overall})
    out.attrs["meta"] = {
        "title": f"Age-specific rates per {per:,.0f} residents",
        "units": f"records per {per:,.0f} residents of the age band",
        "method": (f"count by age band ({source}) / population of the band × {per:,.0f}; "
                   f"{confidence:.0%} limits by Byar's approximation"),
        "params": {"age_band": age_band, "age": age, "per": per, "confidence": confidence},
        "base_n": int(total_c),
        "references": ["PHE/APHO (2008) Technical Briefing 3",
                       "Breslow NE, Day NE (1987) Statistical methods in cancer research II"],
        "count_columns": ["count"],
        "rate_columns": ["rate", "rate_lcl", "rate_ucl", "share_of_records", "rate_ratio"],
        "notes": [f"{n_missing:,} records with no age band (or an age in no band) left out"]
        if n_missing else [],
    }
    return out
