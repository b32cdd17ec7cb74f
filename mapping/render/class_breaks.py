"""Class breaks: the scheme registry over mapclassify, bound rounding and class labels.

:data:`CLASSIFIERS` maps each scheme name (``quantiles``, ``fisher_jenks``,
``equal_interval``, ``std_mean``, ``manual``) to a function returning upper bounds;
Fisher-Jenks is computed here (:func:`fisher_jenks_bins`), exactly up to
:data:`JENKS_MAX_N` values and on evenly spaced order statistics above.
:func:`bound_decimals` and :func:`rounded_bins` round the bounds as
:mod:`mapping.render.classify` states, and :func:`class_labels` writes them.
"""

from __future__ import annotations

import re

import numpy as np

from layers.common.errors import InputError

__all__ = ["CLASSIFIERS", "JENKS_MAX_N", "scheme_names", "fisher_jenks_bins", "format_number",
           "class_labels", "bound_decimals", "rounded_bins"]


#: Largest number of values Fisher-Jenks runs on exactly (mapclassify's own sampling size).
JENKS_MAX_N = 1000


def _quantiles(y, k, breaks):
    import mapclassify
    return mapclassify.Quantiles(y, k=k).bins


def _fisher_jenks(y, k, breaks):
    if len(y) > JENKS_MAX_N:  # exact Fisher-Jenks is O(k n^2): evenly spaced order statistics
        s = np.sort(y)
        y = s[np.round(np.linspace(0, len(s) - 1, JENKS_MAX_N)).astype(int)]
        k = max(1, min(k, len(np.unique(y))))
    return fisher_jenks_bins(y, k)


def fisher_jenks_bins(values, k: int) -> np.ndarray:
    """Upper bounds of the ``k`` Fisher-Jenks (natural breaks) classes of ``values``.

    The same dynamic programme as ``mapclassify.FisherJenks`` (Jenks 1977; the same
    tie rule: of equally good splits, the last class starts earliest), written with
    numpy over the candidate starts of the last class.  Why by hand: without numba,
    mapclassify runs it in pure Python, 2.3 s for 1,000 values and ``k = 5`` on this
    machine (once per map, on every map and atlas page of a run), against 0.1 s here.
    ``tests/mapping/test_classify.py`` checks the bins equal mapclassify's on
    skewed, tied, zero-heavy and rounded data.
    """
    x = np.sort(np.asarray(values, dtype="f8"))
    n = len(x)
    if n == 0:
        return np.array([])
    k = max(1, min(int(k), n))
    c = x - x.mean()  # centred: the prefix sums lose less to cancellation
    s1 = np.concatenate([[0.0], np.cumsum(c)])
    s2 = np.concatenate([[0.0], np.cumsum(c * c)])
    back = np.zeros((n + 1, k + 1), dtype=np.int64)  # (1-based) first value of the last class
    cost = np.full((n + 1, k + 1), np.inf)  # least within-class sum of squares
    back[1, 1:] = 1
    cost[1, 1:] = 0.0
    for last in range(2, n + 1):
        start = np.arange(1, last + 1)
        seg = s1[last] - s1[start - 1]
        ssd = (s2[last] - s2[start - 1]) - seg * seg / (last - start + 1)
        cost[last, 1], back[last, 1] = ssd[0], 1
        for j in range(2, k + 1):
            cand = ssd[1:] + cost[start[1:] - 1, j - 1]
            i = int(np.argmin(cand))  # first minimum: the earliest start wins a tie
            cost[last, j], back[last, j] = cand[i], start[1 + i]
    out = np.empty(k + 1)
    out[0], out[k] = x[0], x[n - 1]
    m = n
    for j in range(k, 1, -1):
        pivot = back[m, j]
        out[j - 1] = x[pivot - 2]
        m = pivot - 1
    return out[1:]


def _equal_interval(y, k, breaks):
    import mapclassify
    return mapclassify.EqualInterval(y, k=k).bins


def _std_mean(y, k, breaks):
    import mapclassify
    return mapclassify.StdMean(y).bins


def _manual(y, k, breaks):
    if isinstance(breaks, str):  # "5, 10, 20" as typed in a form
        breaks = [t for t in re.split(r"[\s,;]+", breaks.strip()) if t]
    if not breaks:
        raise InputError("manual classification needs breaks", column="breaks",
                         fix="give the upper bound of each class, e.g. breaks = [5, 10, 20]")
    try:
        b = np.asarray(sorted({float(v) for v in breaks}))
    except (TypeError, ValueError):
        raise InputError(f"manual breaks must be numbers (got {list(breaks)!r})",
                         column="breaks", fix="give numbers, e.g. breaks = [5, 10, 20]") from None
    if not np.all(np.isfinite(b)):
        raise InputError("manual breaks must be finite numbers", column="breaks",
                         fix="remove inf/NaN from the breaks")
    if len(y) and b[-1] < np.max(y):
        b = np.append(b, np.max(y))
    return b


#: Scheme name -> function(values, k, breaks) returning upper bounds.
CLASSIFIERS = {"quantiles": _quantiles, "fisher_jenks": _fisher_jenks,
               "equal_interval": _equal_interval, "std_mean": _std_mean, "manual": _manual}


def scheme_names() -> list[str]:
    """All classification scheme keys (for the GUI's combo box), ``auto`` first."""
    return ["auto"] + list(CLASSIFIERS) + ["gistar", "categorical"]


def format_number(x: float, decimals: int = 0) -> str:
    """Format a class bound: thousands separators, ``decimals`` places, a true minus sign.

    Examples
    --------
    >>> format_number(1234.5, 1), format_number(-2, 0)
    ('1,234.5', '−2')
    """
    if x is None or not np.isfinite(x):
        return "–"
    x = round(float(x), decimals) + 0.0  # no "-0"
    return f"{x:,.{decimals}f}".replace("-", "−")


def class_labels(lows, highs, decimals: int = 0) -> list[str]:
    """Range labels at one precision; a class of one value is labelled by that value.

    Examples
    --------
    >>> class_labels([0, 1, 4], [0, 3, 7])
    ['0', '1 – 3', '4 – 7']
    """
    lows, highs = np.asarray(lows, float), np.asarray(highs, float)
    neg = bool(np.any(lows < 0) or np.any(highs < 0))
    sep = " to " if neg else " – "  # "−5 – −1" reads badly
    out = []
    for lo, hi in zip(lows, highs):
        a, b = format_number(lo, decimals), format_number(hi, decimals)
        if a == b and lo == hi == 0:
            a = b = "0"  # a class of zeros reads "0", never "0.0"
        out.append(a if a == b else f"{a}{sep}{b}")
    return out


def bound_decimals(y, bins, integer: bool, after_zero: bool = False) -> int:
    """Places for bounds: 0 for whole numbers, else 3 significant figures of the maximum,
    up to two more while two bounds would print alike or (after a zero class) the
    smallest positive value would print as 0."""
    if integer:
        return 0
    m = float(np.max(np.abs(y))) if len(y) else 0.0
    base = int(np.clip(2 - np.floor(np.log10(m)), 0, 4)) if m > 0 else 0
    d = base
    b = np.asarray(bins, float)
    while d < base + 2 and len(np.unique(np.round(b, d))) < len(np.unique(b)):
        d += 1
    pos = y[y > 0]
    while after_zero and d < base + 2 and len(pos) and np.round(pos.min(), d) == 0:
        d += 1
    return d


def rounded_bins(raw, y, d: int, integer: bool) -> np.ndarray:
    """Upper bounds rounded to ``d`` places (whole numbers for integer data), the last at
    the rounded maximum, without repeats."""
    top = float(np.max(y))
    raw = np.minimum(np.asarray(raw, float), top)  # std_mean bounds can pass the maximum
    b = np.floor(raw + 1e-9) if integer else np.round(raw, d)
    b = np.unique(np.append(b[b < np.round(top, d)], np.round(top, d)))
    return b
