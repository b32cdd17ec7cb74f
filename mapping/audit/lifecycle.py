"""Crack-house lifecycle: operating premises, closures, reopening and its timing.

Crack-house records (``load_records(kind="crack_houses")``) carry ``opened``
(opened or first-known date), ``closure_order`` (date of the closure order)
and ``reopened`` (date the premises were next known to be in use), all
datetime64 and possibly NaT.  The audit asks how many premises operate at a
date, how many are closed per quarter, what share of closed premises reopen
within 3, 6 and 12 months, and how fast: because many are still closed at the
census date, time to reopening is estimated by Kaplan-Meier with censoring.

Crack-house locations are **sensitive**: :func:`lifecycle_status_at` marks
its output ``sensitive`` so disclosure rules (:mod:`mapping.disclosure.rules`)
apply to any export.

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
from mapping.audit.survival import KM_REFS, KMResult, kaplan_meier

__all__ = ["lifecycle_status_at", "lifecycle_operating", "lifecycle_closures",
           "lifecycle_reopening", "lifecycle_analysis", "LifecycleResult", "LIFECYCLE_STATES",
           "DAYS_PER_MONTH"]

#: Status of a premises at a date, in drawing order.
LIFECYCLE_STATES = ("active", "closed", "reopened", "not yet open")
#: Mean days in a month (365.25 / 12), for windows and durations given in months.
DAYS_PER_MONTH = 365.25 / 12
_LAW_REF = ("Anti-social Behaviour, Crime and Policing Act 2014, Part 4, Chapter 3 "
            "(closure of premises associated with nuisance or disorder)")


def _date_col(df, name: str) -> pd.Series:
    if name not in df.columns:
        raise InputError(f"the crack-house records have no '{name}' column", column=name,
                         fix="load them with kind='crack_houses' and map the opened, "
                             "closure_order and reopened dates")
    s = df[name]
    if not pd.api.types.is_datetime64_any_dtype(s):
        s = pd.to_datetime(s, errors="coerce")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    return s


def _dates(records, opened="opened", closure="closure_order", reopened="reopened"):
    o = _date_col(records, opened) if opened in records.columns else \
        pd.Series(pd.NaT, index=records.index)
    c = _date_col(records, closure)
    r = _date_col(records, reopened) if reopened in records.columns else \
        pd.Series(pd.NaT, index=records.index)
    return o, c, r


def lifecycle_status_at(records, date, *, opened: str = "opened", closure: str = "closure_order",
                        reopened: str = "reopened"):
    """Status of every premises at a date: active, closed, reopened or not yet open.

    Parameters
    ----------
    records : GeoDataFrame
        Crack-house records; never changed.
    date : str or Timestamp
        The date (inclusive: an event on this date has happened).
    opened, closure, reopened : str
        Date column names.

    Returns
    -------
    GeoDataFrame
        A copy with ``status_at`` (one of :data:`LIFECYCLE_STATES`) and
        ``operating`` (active or reopened).  ``attrs['meta']`` has
        ``sensitive=True``, the counts per status as ``counts`` and base n.

    Notes
    -----
    *active*: opened (or opening date unknown) and no closure order by the
    date; *closed*: closure order by the date and not reopened by it;
    *reopened*: reopened by the date; *not yet open*: opened after the date.
    A premises with no dates at all counts as active (first known = in the
    data).
    """
    d = pd.Timestamp(date)
    o, c, r = _dates(records, opened, closure, reopened)
    status = np.full(len(records), "active", dtype=object)
    status[(o > d).to_numpy()] = "not yet open"
    closed = ((c <= d) & ~(r <= d)).to_numpy()
    status[closed] = "closed"
    status[((c <= d) & (r <= d)).to_numpy()] = "reopened"
    out = records.copy()
    out["status_at"] = pd.Categorical(status, categories=list(LIFECYCLE_STATES))
    out["operating"] = np.isin(status, ["active", "reopened"])
    counts = {k: int((status == k).sum()) for k in LIFECYCLE_STATES}
    out.attrs["meta"] = {
        "title": f"Crack-house premises by status at {d.date()}",
        "method": "status from opened, closure-order and reopened dates on or before the date",
        "units": "premises", "base_n": int(len(records)), "counts": counts,
        "period": str(d.date()), "sensitive": True,
        "value_column": "status_at",
        "notes": ["Sensitive: locations of premises are subject to disclosure rules."],
        "references": [_LAW_REF],
    }
    return out


def lifecycle_operating(records, *, start=None, end=None, freq: str = "MS",
                        opened: str = "opened", closure: str = "closure_order",
                        reopened: str = "reopened") -> pd.DataFrame:
    """Number of premises in each status at a series of dates.

    Parameters
    ----------
    records : GeoDataFrame or DataFrame
        Crack-house records.
    start, end : str or Timestamp, optional
        Range of dates (default: earliest to latest date in the data).
    freq : str
        pandas frequency of the dates (``"MS"`` = first of each month).

    Returns
    -------
    DataFrame
        ``date``, one count column per status, and ``operating``
        (active + reopened).  ``attrs['meta']`` gives units and base n.
    """
    o, c, r = _dates(records, opened, closure, reopened)
    alld = pd.concat([o, c, r]).dropna()
    if not len(alld) and (start is None or end is None):
        raise InputError("the crack-house records have no dates",
                         fix="map the opened / closure_order / reopened date columns")
    start = pd.Timestamp(start) if start is not None else alld.min().to_period("M").to_timestamp()
    end = pd.Timestamp(end) if end is not None else alld.max()
    dates = pd.date_range(start, end, freq=freq)
    rows = []
    for d in dates:
        s = lifecycle_status_at(records, d, opened=opened, closure=closure, reopened=reopened)
        cnt = s.attrs["meta"]["counts"]
        rows.append({"date": d, **cnt, "operating": cnt["active"] + cnt["reopened"]})
    out = pd.DataFrame(rows, columns=["date", *LIFECYCLE_STATES, "operating"])
    out.attrs["meta"] = {"title": "Crack-house premises operating over time",
                         "method": "status of every premises at each date "
                                   "(see lifecycle_status_at)",
                         "units": "premises", "base_n": int(len(records)),
                         "period": f"{start.date()} to {end.date()}",
                         "references": [_LAW_REF]}
    return out


def lifecycle_closures(records, *, census_date, windows=(3, 6, 12), opened: str = "opened",
                       closure: str = "closure_order", reopened: str = "reopened") -> pd.DataFrame:
    """Closures per quarter and the share reopened within 3, 6 and 12 months.

    Parameters
    ----------
    records : GeoDataFrame or DataFrame
        Crack-house records.
    census_date : str or Timestamp
        Date the data were complete to; follow-up ends here.
    windows : sequence of int
        Months after closure.

    Returns
    -------
    DataFrame
        One row per quarter of closure plus a final ``"All"`` row:
        ``quarter``, ``closures``, and for each window ``w``:
        ``followed_{w}m`` (closures with at least ``w`` months of follow-up
        before the census date, or reopened within ``w``), ``reopened_{w}m``
        (reopened within ``w`` months of closure) and ``pct_reopened_{w}m``
        (reopened / followed * 100).  Closures with too little follow-up
        are left out of that window's denominator rather than counted as
        not reopened.  ``attrs['meta']`` gives method, units, base n and
        ``excluded`` (rows with reopening before closure, left out).
    """
    census = pd.Timestamp(census_date)
    o, c, r = _dates(records, opened, closure, reopened)
    bad = (r < c).to_numpy()
    keep = c.notna().to_numpy() & (c <= census).to_numpy() & ~bad
    c, r = c[keep], r[keep].where(r[keep] <= census)
    days = (r - c).dt.days.to_numpy(dtype=float)
    follow = (census - c).dt.days.to_numpy(dtype=float)
    q = c.dt.to_period("Q")
    base = pd.DataFrame({"q": q.to_numpy()})
    for w in windows:
        wd = w * DAYS_PER_MONTH
        within = np.nan_to_num(days, nan=np.inf) <= wd
        base[f"followed_{w}m"] = within | (follow >= wd)
        base[f"reopened_{w}m"] = within
    agg = base.groupby("q").sum(numeric_only=True)
    agg.insert(0, "closures", base.groupby("q").size())
    if len(agg):
        allq = pd.period_range(agg.index.min(), agg.index.max(), freq="Q")
        agg = agg.reindex(allq, fill_value=0)
    agg.loc["All"] = agg.sum()
    out = agg.reset_index(names="quarter")
    out["quarter"] = [f"{p.year} Q{p.quarter}" if isinstance(p, pd.Period) else p
                      for p in out["quarter"]]
    for w in windows:
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"pct_reopened_{w}m"] = np.where(
                out[f"followed_{w}m"] > 0,
                out[f"reopened_{w}m"] / out[f"followed_{w}m"] * 100, np.nan)
    out = out.astype({c: int for c in out.columns if c.startswith(("closures", "followed",
                                                                   "reopened_"))})
    out.attrs["meta"] = {
        "title": "Closure orders per quarter and reopening within "
                 + "/".join(str(w) for w in windows) + " months",
        "method": "closures counted by quarter of the closure-order date; reopened within w "
                  "months = reopened date - closure date <= w x 30.44 days; denominator = "
                  "closures with w months of follow-up before the census date (or reopened "
                  "within w)",
        "units": "premises; percent of followed-up closures",
        "base_n": int(keep.sum()), "excluded": int(bad.sum()),
        "period": f"to census date {census.date()}",
        "params": {"census_date": str(census.date()), "windows": list(windows)},
        "references": [_LAW_REF],
        "count_columns": ["closures"] + [f"{p}_{w}m" for w in windows
                                         for p in ("followed", "reopened")],
    }
    return out


def lifecycle_reopening(records, *, census_date, units: str = "days", level: float = 0.95,
                        opened: str = "opened", closure: str = "closure_order",
                        reopened: str = "reopened") -> KMResult:
    """Time from closure order to reopening, by Kaplan-Meier.

    Parameters
    ----------
    records : GeoDataFrame or DataFrame
        Crack-house records.
    census_date : str or Timestamp
        Premises not reopened by this date are censored at it.
    units : {"days", "months"}
        Time units of the result (months = days / 30.44).
    level : float
        Confidence level.

    Returns
    -------
    KMResult
        ``cumulative`` is the share of closed premises reopened by each
        time.  ``meta['excluded']`` counts records left out: closure after
        the census date or reopening recorded before closure.
    """
    if units not in ("days", "months"):
        raise InputError(f"unknown time unit '{units}'", fix="use 'days' or 'months'")
    census = pd.Timestamp(census_date)
    _, c, r = _dates(records, opened, closure, reopened)
    ok = c.notna() & (c <= census)
    bad = ok & (r < c)
    use = (ok & ~bad).to_numpy()
    n_excluded = int(bad.sum() + (c > census).sum())
    c, r = c[use], r[use]
    event = (r.notna() & (r <= census)).to_numpy()
    end = r.where(event, census)
    dur = (end - c).dt.days.to_numpy(dtype=float)
    if units == "months":
        dur = dur / DAYS_PER_MONTH
    if not len(dur):
        raise InputError("no closure orders on or before the census date",
                         column=closure, fix="check the closure_order dates and the census date")
    km = kaplan_meier(dur, event, level=level, units=units)
    km.meta.update({
        "title": "Time from closure order to reopening (Kaplan-Meier)",
        "params": {"census_date": str(census.date()), "units": units, "level": level},
        "excluded": n_excluded,
        "notes": [f"premises still closed at {census.date()} are censored there",
                  f"{n_excluded} record(s) left out (closure after the census date, or "
                  "reopening recorded before closure)"],
    })
    return km


@dataclass
class LifecycleResult:
    """All crack-house lifecycle outputs for one census date (see :func:`lifecycle_analysis`)."""

    status: object
    operating: pd.DataFrame
    closures: pd.DataFrame
    reopening: KMResult
    census_date: pd.Timestamp
    meta: dict = field(default_factory=dict)


def lifecycle_analysis(records, *, census_date=None, date=None, windows=(3, 6, 12),
                       units: str = "days", filter: str | None = None,
                       progress=None) -> LifecycleResult:
    """Run the whole lifecycle analysis, for a dialog or a script.

    Parameters
    ----------
    records : GeoDataFrame
        Crack-house records.
    census_date : str or Timestamp, optional
        Follow-up end (default: the latest opened/closure/reopened date).
    date : str or Timestamp, optional
        Date of the status map (default: the census date).
    windows : sequence of int
        Reopening windows in months.
    units : {"days", "months"}
        Kaplan-Meier time units.
    filter : str, optional
        Filter expression (:mod:`mapping.core.filters`).
    progress : callable(float, str), optional
        Progress callback.

    Returns
    -------
    LifecycleResult
        ``status`` (sensitive GeoDataFrame), ``operating``, ``closures``,
        ``reopening`` (:class:`KMResult`); each carries method, units, base n
        and references in its meta.
    """
    from mapping.core.filters import apply_filter

    recs = apply_filter(records, filter)
    if census_date is None:
        o, c, r = _dates(recs)
        alld = pd.concat([o, c, r]).dropna()
        if not len(alld):
            raise InputError("the crack-house records have no dates",
                             fix="map the opened / closure_order / reopened date columns")
        census_date = alld.max()
    census = pd.Timestamp(census_date)
    steps = [(0.0, "status at the date"), (0.3, "operating over time"), (0.6, "closures"),
             (0.8, "Kaplan-Meier")]
    out = []
    for (f, msg), fn in zip(steps, (
            lambda: lifecycle_status_at(recs, date if date is not None else census),
            lambda: lifecycle_operating(recs, end=census),
            lambda: lifecycle_closures(recs, census_date=census, windows=tuple(windows)),
            lambda: lifecycle_reopening(recs, census_date=census, units=units))):
        if progress:
            progress(f, msg)
        out.append(fn())
    if progress:
        progress(1.0, "done")
    meta = {"census_date": str(census.date()), "filter": filter, "base_n": int(len(recs)),
            "references": [_LAW_REF, *KM_REFS]}
    return LifecycleResult(*out, census_date=census, meta=meta)
