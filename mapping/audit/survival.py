"""Kaplan-Meier survival estimates with Greenwood log(-log) confidence limits.

Used for the time from a closure order to reopening (:mod:`mapping.audit.lifecycle`)
and the time to closure (:mod:`mapping.audit.closurespeed`): many premises are still
closed (or open) at the census date, so times are censored there.

References
----------
Kaplan EL, Meier P (1958). Nonparametric estimation from incomplete
observations. *JASA* 53:457-481.  Greenwood M (1926). The natural duration of
cancer. *Reports on Public Health and Medical Subjects* 33.  Kalbfleisch JD,
Prentice RL (2002). *The Statistical Analysis of Failure Time Data*, 2nd ed.,
s.1.4 (log(-log) confidence interval).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers.common.errors import InputError

__all__ = ["kaplan_meier", "KMResult", "KM_REFS"]

#: References of the Kaplan-Meier estimate and its interval.
KM_REFS = ["Kaplan & Meier (1958) JASA 53:457-481",
            "Greenwood (1926) variance; log(-log) interval, Kalbfleisch & Prentice (2002) s.1.4"]


@dataclass
class KMResult:
    """Kaplan-Meier estimate.

    Attributes
    ----------
    table : DataFrame
        One row per distinct time (0 first): ``time``, ``n_at_risk``,
        ``events``, ``censored``, ``survival``, ``ci_low``, ``ci_high``,
        ``cumulative`` (1 - survival: share reopened by then).
    median : float
        Median time (first time survival <= 0.5), NaN if not reached.
    n, n_events : int
        Subjects and events.
    meta : dict
        method, units, base n, references.
    """

    table: pd.DataFrame
    median: float
    n: int
    n_events: int
    meta: dict = field(default_factory=dict)

    def survival_at(self, t: float) -> float:
        """Survival probability at time ``t`` (right-continuous step function)."""
        tab = self.table
        i = np.searchsorted(tab["time"].to_numpy(), t, side="right") - 1
        return float(tab["survival"].iloc[max(i, 0)])


def kaplan_meier(durations, events, *, level: float = 0.95, units: str = "days") -> KMResult:
    """Kaplan-Meier survival estimate with Greenwood log(-log) confidence limits.

    Parameters
    ----------
    durations : array-like of float
        Time from the origin to the event or censoring (>= 0).
    events : array-like of bool
        True where the event was observed, False where censored.
    level : float
        Confidence level.
    units : str
        Units of ``durations``, for the metadata.

    Returns
    -------
    KMResult

    Notes
    -----
    ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)``; ``Var[log S] = sum d_i /
    (n_i (n_i - d_i))`` (Greenwood).  The interval is ``S^{exp(±z se)}`` with
    ``se = sqrt(Var[log S]) / |log S|`` (log(-log) transform, as lifelines'
    default), so it stays inside [0, 1].  Ties: events are counted before
    censorings at the same time.
    """
    from scipy.stats import norm

    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    if t.shape != e.shape:
        raise InputError("durations and events differ in length")
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise InputError("durations must be finite and >= 0",
                         fix="check that end dates are not before start dates")
    times, inv = np.unique(np.r_[0.0, t], return_inverse=True)
    inv = inv[1:]  # drop the added origin
    d = np.bincount(inv, weights=e, minlength=len(times)).astype(int)
    cens = np.bincount(inv, weights=~e, minlength=len(times)).astype(int)
    leaving = d + cens
    # at risk at time_i = subjects whose time is >= time_i
    n_at_risk = len(t) - np.r_[0, np.cumsum(leaving)[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n_at_risk > 0, 1 - d / n_at_risk, 1.0)
        surv = np.cumprod(factor)
        gw = np.cumsum(np.where(n_at_risk - d > 0, d / (n_at_risk * (n_at_risk - d)), np.inf * d))
        z = norm.ppf(0.5 + level / 2)
        se = np.sqrt(gw) / np.abs(np.log(surv))
        lo = surv ** np.exp(z * se)
        hi = surv ** np.exp(-z * se)
    lo = np.where(surv >= 1, 1.0, np.where(surv <= 0, 0.0, lo))
    hi = np.where(surv >= 1, 1.0, np.where(surv <= 0, 0.0, hi))
    table = pd.DataFrame({"time": times, "n_at_risk": n_at_risk, "events": d, "censored": cens,
                          "survival": surv, "ci_low": lo, "ci_high": hi,
                          "cumulative": 1 - surv})
    below = np.flatnonzero(surv <= 0.5)
    median = float(times[below[0]]) if len(below) else np.nan
    meta = {"method": f"Kaplan-Meier product-limit estimate; {level:.0%} Greenwood log(-log) "
                      "confidence limits",
            "units": f"probability; time in {units}", "base_n": int(len(t)),
            "n_events": int(e.sum()), "references": list(KM_REFS)}
    return KMResult(table, median, int(len(t)), int(e.sum()), meta)
