"""Crack-house closure speed: days from the premises first being known to its closure order.

For each premises with a first-known date, the time to a closure order is
``closure_order − first_known`` in days.  Premises not (yet) closed at the
census date are *censored* at it: they count in the Kaplan-Meier estimate
of the time to closure (:func:`mapping.audit.survival.kaplan_meier`, Greenwood
log(-log) limits), which — unlike the median of the closed ones alone —
is not biased towards the fast closures.  The table gives the
distribution of the closed premises' times in bands (default up to 30, 90,
180 and 365 days, and over a year) and the summary: number closed and
open, median, quartiles, mean, and the Kaplan-Meier median.

Premises with a closure order before their first-known date are left out
and counted (a data error to correct).

Public functions: :func:`closure_speed`; result :class:`ClosureSpeed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers.common.errors import AnalysisError
from mapping.audit.survival import kaplan_meier
from mapping.stats.timeprofile import as_datetimes

__all__ = ["closure_speed", "ClosureSpeed"]


@dataclass
class ClosureSpeed:
    """Closure times of premises.

    Attributes
    ----------
    distribution : DataFrame
        ``band``, ``from_days``, ``to_days``, ``premises``, ``pct``.
    summary : dict
        ``n``, ``closed``, ``open``, ``median_days``, ``q1_days``, ``q3_days``,
        ``mean_days``, ``km_median_days``, ``excluded``.
    km : KMResult
        Kaplan-Meier time to closure (open premises censored).
    meta : dict
    """

    distribution: pd.DataFrame
    summary: dict
    km: object
    meta: dict = field(default_factory=dict)


def closure_speed(records, *, first_known: str = "first_known",
                  closure: str = "closure_order", census_date=None,
                  bands=(30, 90, 180, 365), date_format=None) -> ClosureSpeed:
    """Time from first known to closure order, with the Kaplan-Meier estimate.

    Parameters
    ----------
    records : DataFrame
        One row per premises.
    first_known, closure : str
        Date columns (first known to the police or partners; closure order).
    census_date : date, optional
        End of follow-up for premises not closed (default: the latest date).
    bands : sequence of int
        Upper edges (days) of the distribution's bands; a last band "over" is added.
    date_format : str, optional
        'DD/MM/YYYY' or 'MM/DD/YYYY' for text dates. The two columns come from one
        register, so they are read together: a closure on 31/01 settles that a
        first-known 01/02 is the 1st of February.

    Returns
    -------
    ClosureSpeed
    """
    for c in (first_known, closure):
        if c not in records.columns:
            raise AnalysisError(f"the records have no '{c}' column", column=c,
                                fix="map the first-known and closure-order date columns")
    n = len(records)
    both = pd.concat([records[first_known], records[closure]], ignore_index=True)
    if not pd.api.types.is_datetime64_any_dtype(both):
        both = both.astype("string")
    both = as_datetimes(both, f"{first_known}' and '{closure}",
                        date_format=date_format).reset_index(drop=True)
    fk, cl = both.iloc[:n].reset_index(drop=True), both.iloc[n:].reset_index(drop=True)
    latest = [d for d in (fk.max(), cl.max()) if pd.notna(d)]
    if census_date is None and not latest:
        raise AnalysisError("no dates in the records", fix="check the date columns")
    census = pd.Timestamp(census_date) if census_date is not None else max(latest)
    closed = (cl.notna() & (cl <= census)).to_numpy()
    days = np.where(closed, (cl - fk).dt.days, (census - fk).dt.days).astype(float)
    no_first = fk.isna().to_numpy()
    bad = closed & ~no_first & (days < 0)
    future = ~no_first & (fk > census).to_numpy()
    use = ~no_first & ~bad & ~future
    if not use.any():
        raise AnalysisError("no premises has a usable first-known date", column=first_known)
    km = kaplan_meier(days[use], closed[use], units="days")
    d = days[use & closed]
    edges = [float(b) for b in bands]
    if any(b <= a for a, b in zip(edges[:-1], edges[1:])) or edges[0] <= 0:
        raise AnalysisError("closure bands must be increasing positive days")
    lo = [0.0] + edges
    hi = edges + [np.inf]
    rows = []
    for a, b in zip(lo, hi):
        k = int((((d >= a) if a == 0 else (d > a)) & (d <= b)).sum())
        label = f"{int(a) + (1 if a else 0)}–{int(b)} days" if np.isfinite(b) else \
            f"over {int(a)} days"
        rows.append({"band": label, "from_days": a, "to_days": b, "premises": k})
    dist = pd.DataFrame(rows)
    dist["pct"] = 100 * dist["premises"] / max(len(d), 1)
    q = np.percentile(d, [25, 50, 75]) if len(d) else [np.nan] * 3
    summary = {"n": int(use.sum()), "closed": int(len(d)), "open": int((use & ~closed).sum()),
               "median_days": float(q[1]), "q1_days": float(q[0]), "q3_days": float(q[2]),
               "mean_days": float(d.mean()) if len(d) else np.nan,
               "km_median_days": km.median,
               "excluded": {"no first-known date": int(no_first.sum()),
                            "closure before first known": int(bad.sum()),
                            "first known after the census date": int(future.sum())}}
    notes = [f"{v} premises left out: {k}" for k, v in summary["excluded"].items() if v]
    meta = {
        "title": "Crack-house closure speed: days from first known to closure order",
        "units": "premises; days",
        "method": ("days from first known to the closure order; open premises censored at the "
                   "census date in a Kaplan-Meier estimate (Greenwood log(-log) limits)"),
        "params": {"first_known": first_known, "closure": closure,
                   "census_date": str(census.date()), "bands_days": edges},
        "base_n": summary["n"], "summary": summary,
        "references": ["Kaplan EL, Meier P (1958) JASA 53:457-481",
                       "Home Office (2023) Anti-social Behaviour, Crime and Policing Act 2014: "
                       "anti-social behaviour powers, statutory guidance (closure powers)"],
        "count_columns": ["premises"], "rate_columns": ["pct"],
        "notes": notes,
    }
    return ClosureSpeed(distribution=dist, summary=summary, km=km, meta=meta)
