"""The Mann-Kendall trend test and the emerging hot spot classes of ArcGIS.

:func:`mann_kendall` tests the trend of each unit's series of Gi* z-scores and
:func:`emerging_classify` gives each unit its class from its hot and cold periods and
that trend, as :mod:`mapping.stats.emerging` describes (after ArcGIS Pro's
*Emerging Hot Spot Analysis*).

References
----------
Mann HB (1945) Nonparametric tests against trend. *Econometrica* 13:245-259.
Kendall MG (1975) *Rank correlation methods*, 4th ed. Griffin, London.
Esri (2024) How Emerging Hot Spot Analysis works. ArcGIS Pro documentation.
"""

from __future__ import annotations

import numpy as np

from layers.common.errors import AnalysisError

__all__ = ["mann_kendall", "emerging_classify", "EMERGING_CLASSES", "EMERGING_COLOURS"]

_KINDS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic",
          "oscillating", "historical")
EMERGING_CLASSES = ([f"{k} hot spot" for k in _KINDS] + [f"{k} cold spot" for k in _KINDS]
                    + ["no pattern detected"])
#: Map colours in ArcGIS's spirit: reds for hot patterns, blues for cold.
EMERGING_COLOURS = dict(zip(EMERGING_CLASSES, [
    "#ff0000", "#ff7f7f", "#a80000", "#e64c00", "#ffaa00", "#ffbebe", "#b27777", "#7f4c4c",
    "#0070ff", "#73b2ff", "#002673", "#004da8", "#00c5ff", "#bee8ff", "#7777b2", "#4c4c7f",
    "#f0f0f0"]))


def mann_kendall(values, *, continuity: bool = True) -> dict:
    """Mann-Kendall trend test of each row of ``values`` against time (its columns).

    Parameters
    ----------
    values : array-like, shape (T,) or (units, T)
        Series in time order.
    continuity : bool
        Subtract 1 from |S| before dividing by its standard deviation
        (Kendall 1975; default).  ``False`` gives scipy's asymptotic
        ``kendalltau`` test against time exactly.

    Returns
    -------
    dict of ndarray
        ``S`` (number of increasing minus decreasing pairs), ``var_S`` (with
        the tie correction), ``tau`` (Kendall's tau-b of the values against
        time), ``z`` and ``p`` (two-sided normal); NaN where the series is
        constant or shorter than 3.

    Examples
    --------
    >>> r = mann_kendall([1, 2, 3, 4, 5])
    >>> int(r["S"]), float(r["tau"])
    (10, 1.0)
    """
    from scipy.special import ndtr

    x = np.atleast_2d(np.asarray(values, float))
    m, t = x.shape
    ii, jj = np.triu_indices(t, k=1)
    s = np.sign(x[:, jj] - x[:, ii]).sum(axis=1)
    ties = np.zeros(m)
    pairs_tied = np.zeros(m)
    srt = np.sort(x, axis=1)
    for r in range(m):
        _, counts = np.unique(srt[r], return_counts=True)
        counts = counts[counts > 1].astype(float)
        ties[r] = np.sum(counts * (counts - 1) * (2 * counts + 5))
        pairs_tied[r] = np.sum(counts * (counts - 1) / 2)
    var = (t * (t - 1) * (2 * t + 5) - ties) / 18.0
    n0 = t * (t - 1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = s / np.sqrt(n0 * (n0 - pairs_tied))
        num = np.where(continuity, np.sign(s) * np.maximum(np.abs(s) - 1, 0), s)
        z = np.where(var > 0, num / np.sqrt(var), np.nan)
    if t < 3:
        z[:] = np.nan
    p = np.where(np.isfinite(z), 2 * ndtr(-np.abs(z)), np.nan)
    out = {"S": s, "var_S": var, "tau": tau, "z": z, "p": p}
    if np.ndim(values) == 1:
        out = {k: v[0] for k, v in out.items()}
    return out


def _final_run(flags: np.ndarray) -> np.ndarray:
    """Length of the run of True values at the end of each row."""
    rev = flags[:, ::-1]
    return np.where(rev.all(axis=1), flags.shape[1], np.argmin(rev, axis=1))


def emerging_classify(hot, cold, trend_z, trend_p, *, trend_alpha: float = 0.05):
    """ArcGIS emerging hot spot class of each unit (module notes give the rules).

    Parameters
    ----------
    hot, cold : bool array, shape (units, T)
        Significant hot and cold spots per period.
    trend_z, trend_p : array, shape (units,)
        Mann-Kendall z and p of each unit's Gi* z-scores.
    trend_alpha : float
        Significance level of the trend.

    Returns
    -------
    ndarray of str

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([[0, 0, 0, 1], [0, 0, 1, 1], [1, 0, 1, 1]], bool)
    >>> emerging_classify(h, np.zeros_like(h), [0, 0, 0], [1, 1, 1]).tolist()
    ['new hot spot', 'consecutive hot spot', 'sporadic hot spot']
    """
    hot, cold = np.asarray(hot, bool), np.asarray(cold, bool)
    if hot.shape != cold.shape or hot.ndim != 2:
        raise AnalysisError("hot and cold tables must have the same (units × periods) shape")
    t = hot.shape[1]
    tz = np.asarray(trend_z, float)
    sig = np.asarray(trend_p, float) < trend_alpha
    out = np.full(hot.shape[0], "no pattern detected", dtype=object)

    def assign(mine, other, up, label):
        n_m = mine.sum(axis=1)
        share = n_m / t
        final = mine[:, -1]
        run = _final_run(mine)
        other_before = other.any(axis=1)  # the final period cannot be both
        ninety = share >= 0.9
        rules = [
            ("new", final & (n_m == 1) & ~other_before),
            ("consecutive", final & (run >= 2) & (n_m == run) & ~ninety & ~other_before),
            ("intensifying", final & ninety & sig & up),
            ("persistent", final & ninety & ~sig),
            ("diminishing", final & ninety & sig & ~up),
            ("sporadic", final & ~ninety & ~other_before),
            ("oscillating", final & ~ninety & other_before),
            ("historical", ~final & ninety),
        ]
        for name, rule in rules:
            take = rule & (out == "no pattern detected")
            out[take] = f"{name} {label}"

    assign(hot, cold, tz > 0, "hot spot")
    assign(cold, hot, tz < 0, "cold spot")
    return out
