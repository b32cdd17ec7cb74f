"""Confidence intervals of counts, rates and proportions: hotmap's one rule.

Counts and rates (:func:`poisson_ci`, method ``"phe"``, used by ``count``,
``funnel``, ``breakdown`` and the maps): the rule Public Health England / OHID
use for published indicators (PHE "Technical Guide: Confidence Intervals",
2018; APHO Technical Briefing 3, Eayres 2008) — the exact Poisson limits
(Garwood 1936; chi-squared form, PHE Appendix 2) for fewer than 10 events, and
Byar's approximation (Breslow & Day 1987, vol. II, p. 69; PHE Appendix 1) from
10 events up::

    exact:  lower = χ²(α/2; 2O) / 2,   upper = χ²(1 − α/2; 2O + 2) / 2
    Byar:   lower = O (1 − 1/(9O) − z/(3√O))³
            upper = (O+1) (1 − 1/(9(O+1)) + z/(3√(O+1)))³

For O = 0 the lower limit is 0.  Below 10 events Byar's lower limit can go
negative (at 99.8% for O ≤ 1), one reason the rule switches; from 10 events it
is positive at any level below 1 − 10⁻¹⁹, so no limit is ever clamped.
``"exact"`` and ``"byar"`` remain available by name.

Proportions: Wilson's score interval (Wilson 1927; Newcombe 1998).

Public functions: :func:`poisson_ci`, :func:`byar_ci`, :func:`exact_poisson_ci`,
:func:`wilson_ci`; registry :data:`CI_METHODS`.
"""

from __future__ import annotations

import numpy as np

from layers.common.errors import AnalysisError

__all__ = ["poisson_ci", "byar_ci", "exact_poisson_ci", "wilson_ci", "CI_METHODS",
           "PHE_EXACT_BELOW"]

#: PHE's rule: exact Poisson limits below this many events, Byar's from it up.
PHE_EXACT_BELOW = 10
#: Interval methods a user can choose for a count or a rate.
CI_METHODS = {"phe": "exact Poisson below 10 events, Byar from 10 (PHE)",
              "exact": "exact Poisson (chi-squared) for every count",
              "byar": "Byar's approximation for every count (lower limit 0 where negative)"}


def _z(confidence: float) -> float:
    if confidence > 1:
        confidence = confidence / 100
    if not 0 < confidence < 1:
        raise AnalysisError(f"confidence level {confidence} is not between 0 and 1",
                            fix="use e.g. 0.95")
    from scipy.special import ndtri

    return float(ndtri(0.5 + confidence / 2))


def byar_ci(count, confidence: float = 0.95):
    """Byar's confidence limits for a Poisson count.

    Parameters
    ----------
    count : array-like of non-negative numbers
    confidence : float
        0.95 (default) or e.g. 0.998.

    Returns
    -------
    (lower, upper) : tuple of ndarrays

    Examples
    --------
    >>> lo, hi = byar_ci(10)
    >>> round(float(lo), 2), round(float(hi), 2)
    (4.79, 18.39)
    """
    o = np.asarray(count, float)
    if np.any(o < 0):
        raise AnalysisError("counts must not be negative")
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    lower = np.where(o == 0, 0.0, np.maximum(lower, 0.0))
    o1 = o + 1
    upper = o1 * (1 - 1 / (9 * o1) + z / (3 * np.sqrt(o1))) ** 3
    return lower, upper


def exact_poisson_ci(count, confidence: float = 0.95):
    """Exact Poisson limits from the chi-squared distribution (Garwood 1936).

    Examples
    --------
    >>> lo, hi = exact_poisson_ci(2)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.2422, 7.2247)
    """
    from scipy import stats

    o = np.asarray(count, float)
    if np.any(o < 0):
        raise AnalysisError("counts must not be negative")
    _z(confidence)  # checks the level
    a = 1 - (confidence / 100 if confidence > 1 else confidence)
    lower = np.where(o == 0, 0.0, stats.chi2.ppf(a / 2, 2 * o) / 2)
    upper = stats.chi2.ppf(1 - a / 2, 2 * (o + 1)) / 2
    return lower, upper


def poisson_ci(count, confidence: float = 0.95, method: str = "phe"):
    """Confidence limits of a Poisson count: hotmap's one rule for counts and rates.

    Parameters
    ----------
    count : array-like of non-negative numbers
    confidence : float
        0.95 (default), 0.998, ... (or 95, 99.8).
    method : {"phe", "exact", "byar"}
        ``phe`` (default): exact below :data:`PHE_EXACT_BELOW` (10) events and
        Byar from 10 up, as PHE publishes; ``exact`` or ``byar`` for every count.

    Returns
    -------
    (lower, upper) : tuple of ndarrays
        Limits of the count; divide by the population for a rate's limits.

    Examples
    --------
    >>> lo, hi = poisson_ci([2, 10])
    >>> [round(float(v), 2) for v in lo], [round(float(v), 2) for v in hi]
    ([0.24, 4.79], [7.22, 18.39])
    """
    if method not in CI_METHODS:
        raise AnalysisError(f"unknown interval method '{method}'",
                            fix=f"use one of: {', '.join(CI_METHODS)}")
    o = np.asarray(count, dtype=float)
    if method == "byar":
        return byar_ci(o, confidence)
    ex_lo, ex_hi = exact_poisson_ci(o, confidence)
    if method == "exact":
        return np.asarray(ex_lo, float), np.asarray(ex_hi, float)
    by_lo, by_hi = byar_ci(o, confidence)
    small = o < PHE_EXACT_BELOW
    return np.where(small, ex_lo, by_lo), np.where(small, ex_hi, by_hi)


def wilson_ci(successes, n, confidence: float = 0.95):
    """Wilson score interval for a proportion ``successes / n``.

    Examples
    --------
    >>> lo, hi = wilson_ci(81, 263)   # Newcombe (1998), Table I, example (a)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.2553, 0.3662)
    """
    r = np.asarray(successes, float)
    n = np.asarray(n, float)
    if np.any(r < 0) or np.any(r > n):
        raise AnalysisError("successes must be between 0 and n")
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = r / n
        a = 2 * r + z * z
        b = z * np.sqrt(z * z + 4 * r * (1 - p))
        c = 2 * (n + z * z)
        return (a - b) / c, (a + b) / c


