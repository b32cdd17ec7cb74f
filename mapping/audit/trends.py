"""Trends over time: monthly counts, quarters against a year earlier, seasonality.

Monthly figures fluctuate, so the audit compares quarters with the same
quarter a year earlier, with an exact test of the change, and shows a
rolling mean and the seasonal profile.  All functions take a record layer (a
GeoDataFrame or DataFrame with a datetime column), an optional filter
expression (:mod:`mapping.core.filters`) and an optional area, and return plain
DataFrames whose ``attrs['meta']`` states the method, units, base n and
references.  :func:`mapping.render.charts_trends.trend_chart`, ``trend_quarter_chart`` and
``trend_season_chart`` draw them in the house style (:mod:`mapping.render.charts`).

References
----------
Armitage P, Berry G, Matthews JNS (2002). *Statistical Methods in Medical
Research*, 4th ed., section 5.3 (comparison of two Poisson counts by the
conditional binomial test).  Ulm K (1990). A simple method to calculate the
confidence interval of a standardized mortality ratio. *Am J Epidemiol* 131:373-5.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from mapping.audit.events import trend_events
from mapping.audit.selection import record_dates, select_records

__all__ = ["trend_monthly", "trend_quarterly", "trend_seasonal", "trend_analysis", "TrendResult",
           "poisson_rate_test"]

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_REF_MA = ("Hyndman RJ, Athanasopoulos G (2021) Forecasting: principles and practice, 3rd ed., "
           "s.3.3 Moving averages")
_REF_SEASON = ("Hyndman RJ, Athanasopoulos G (2021) Forecasting: principles and practice, "
               "3rd ed., s.3.4 Classical decomposition (seasonal indices)")
_REF_TEST = ("conditional binomial (exact Poisson ratio) test: given n = a + b, a ~ Binomial(n, "
             "Ea/(Ea+Eb)) under equal rates; Clopper-Pearson interval for the ratio "
             "(Armitage, Berry & Matthews 2002, s.5.3)")


def trend_monthly(records, *, date_column: str = "date", filter: str | None = None, area=None,
                  start=None, end=None, window: int = 3) -> pd.DataFrame:
    """Count records per calendar month with a trailing rolling mean.

    Parameters
    ----------
    records : GeoDataFrame or DataFrame
        Records with a datetime column.
    date_column : str
        The date used (``date`` by default).
    filter, area : optional
        Passed to :func:`mapping.audit.selection.select_records`.
    start, end : str or Timestamp, optional
        Period to report; months inside it with no records count 0.  Default:
        the first and last month in the data.
    window : int
        Months in the rolling mean (3 = the month and the two before it).

    Raises
    ------
    InputError
        If no record has a date and no period is given.

    Returns
    -------
    DataFrame
        ``month`` (month start), ``count`` (records), ``rolling_mean``
        (trailing mean over ``window`` months; NaN until ``window`` months
        are available).  ``attrs['meta']``: method, units ("records per
        month"), base_n (records counted), n_missing_date (records without a
        date, not counted), period.
    """
    sel = select_records(records, filter=filter, area=area, date_column=date_column)
    d = record_dates(sel, date_column)
    n_missing = int(d.isna().sum())
    months = d.dropna().dt.to_period("M")
    lo = pd.Period(pd.Timestamp(start), "M") if start is not None else \
        (months.min() if len(months) else None)
    hi = pd.Period(pd.Timestamp(end), "M") if end is not None else \
        (months.max() if len(months) else None)
    if lo is None or hi is None:
        what = f" matching '{filter}'" if filter else ""
        raise InputError(f"no records with a date{what} to count ({len(sel):,} selected, "
                         f"{n_missing:,} without a date)",
                         fix="check the filter, the area and the date column, or give "
                             "start and end dates")
    else:
        if hi < lo:
            raise InputError(f"the period ends ({hi}) before it starts ({lo})",
                             fix="swap the start and end dates")
        idx = pd.period_range(lo, hi, freq="M")
    counts = months.value_counts().reindex(idx, fill_value=0)
    out = pd.DataFrame({"month": idx.to_timestamp(), "count": counts.to_numpy(dtype=int)})
    out["rolling_mean"] = out["count"].rolling(window, min_periods=window).mean()
    out.attrs["meta"] = {
        "title": "Records per month",
        "method": f"count of records per calendar month of '{date_column}'; "
                  f"{window}-month trailing rolling mean (month and the {window - 1} before)",
        "units": "records per month",
        "base_n": int(out["count"].sum()),
        "n_missing_date": n_missing,
        "period": f"{idx[0]} to {idx[-1]}" if len(idx) else "",
        "selection": sel.attrs.get("selection", ""),
        "params": {"date_column": date_column, "filter": filter, "window": window},
        "references": [_REF_MA],
    }
    return out


def poisson_rate_test(count1: int, count2: int, exposure1: float = 1.0, exposure2: float = 1.0,
                      *, confidence: float = 0.95) -> dict:
    """Exact test of two Poisson counts (conditional binomial test).

    Parameters
    ----------
    count1, count2 : int
        Counts in the period of interest and the comparison period.
    exposure1, exposure2 : float
        Their exposures (days, or population-time).
    confidence : float
        Confidence level of the rate-ratio interval.

    Returns
    -------
    dict
        ``rate_ratio`` (count1/exposure1 over count2/exposure2), ``ci_low``,
        ``ci_high`` (exact Clopper-Pearson limits transformed to the ratio),
        ``p_value`` (two-sided exact binomial p, the sum of probabilities no
        larger than the observed one), ``method``.

    Notes
    -----
    Given ``n = count1 + count2``, under equal rates ``count1`` is
    Binomial(n, exposure1 / (exposure1 + exposure2)).  See Armitage, Berry &
    Matthews (2002) s.5.3.
    """
    from scipy.stats import beta, binomtest

    a, b = int(count1), int(count2)
    if a < 0 or b < 0 or exposure1 <= 0 or exposure2 <= 0:
        raise InputError("counts must be >= 0 and exposures > 0",
                         fix="check the counts and periods being compared")
    n = a + b
    ratio_e = exposure2 / exposure1
    if n == 0:
        return {"rate_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": 1.0,
                "method": _REF_TEST}
    p0 = exposure1 / (exposure1 + exposure2)
    p_value = float(binomtest(a, n, p0, alternative="two-sided").pvalue)
    alpha = 1 - confidence
    p_lo = beta.ppf(alpha / 2, a, n - a + 1) if a > 0 else 0.0
    p_hi = beta.ppf(1 - alpha / 2, a + 1, n - a) if a < n else 1.0
    rr = (a / b) * ratio_e if b > 0 else np.inf
    lo = p_lo / (1 - p_lo) * ratio_e
    hi = p_hi / (1 - p_hi) * ratio_e if p_hi < 1 else np.inf
    return {"rate_ratio": float(rr), "ci_low": float(lo), "ci_high": float(hi),
            "p_value": min(1.0, p_value), "method": _REF_TEST}


def trend_quarterly(records, *, date_column: str = "date", filter: str | None = None, area=None,
                    start=None, end=None, alpha: float = 0.05,
                    financial_year: bool = False) -> pd.DataFrame:
    """Quarterly totals compared with the same quarter a year earlier.

    Parameters
    ----------
    records, date_column, filter, area, start, end
        As :func:`trend_monthly`.
    alpha : float
        Significance level for the ``significant`` flag.
    financial_year : bool
        Use UK financial-year quarters (Q1 = April-June, labelled
        "2019/20 Q1") instead of calendar quarters.

    Returns
    -------
    DataFrame
        One row per quarter: ``quarter`` ("2019 Q1" or "2019/20 Q1"), ``quarter_start``,
        ``months_covered`` (months of the quarter inside the period),
        ``complete`` (all 3 covered), ``count``, ``count_year_earlier``,
        ``change`` (count - year earlier), ``pct_change``, ``rate_ratio``,
        ``ci_low``, ``ci_high`` (95% exact), ``p_value``, ``significant``.
        Comparisons are made only between two complete quarters, with days
        as exposure (the test is :func:`poisson_rate_test`).
        ``attrs['meta']`` gives method, units, base n and reference.
    """
    monthly = trend_monthly(records, date_column=date_column, filter=filter, area=area,
                            start=start, end=end)
    m = monthly.copy()
    m["q"] = m["month"].dt.to_period("Q-MAR" if financial_year else "Q")
    g = m.groupby("q").agg(count=("count", "sum"), months_covered=("count", "size"))
    out = pd.DataFrame({
        "quarter": [f"{p.qyear - 1}/{p.qyear % 100:02d} Q{p.quarter}" if financial_year
                    else f"{p.year} Q{p.quarter}" for p in g.index],
        "quarter_start": g.index.to_timestamp(),
        "months_covered": g["months_covered"].to_numpy(),
        "count": g["count"].to_numpy(dtype=int),
    })
    out["complete"] = out["months_covered"] == 3
    lookup = {p: (int(c), bool(k)) for p, c, k in zip(g.index, out["count"], out["complete"])}
    cols = {k: [] for k in ("count_year_earlier", "change", "pct_change", "rate_ratio", "ci_low",
                            "ci_high", "p_value")}
    for p, c, comp in zip(g.index, out["count"], out["complete"]):
        prev = lookup.get(p - 4)
        if comp and prev is not None and prev[1]:
            days1 = (p.end_time.normalize() - p.start_time).days + 1
            p0 = p - 4
            days0 = (p0.end_time.normalize() - p0.start_time).days + 1
            t = poisson_rate_test(c, prev[0], days1, days0)
            vals = [prev[0], c - prev[0], (c - prev[0]) / prev[0] * 100 if prev[0] else np.nan,
                    t["rate_ratio"], t["ci_low"], t["ci_high"], t["p_value"]]
        else:
            vals = [np.nan] * 7
        for k, v in zip(cols, vals):
            cols[k].append(v)
    for k, v in cols.items():
        out[k] = pd.array(v, dtype="Int64") if k in ("count_year_earlier", "change") else \
            np.asarray(v, dtype=float)
    out["significant"] = out["p_value"] < alpha
    out.attrs["meta"] = {
        "title": "Records per quarter and change on the same quarter a year earlier",
        "method": "calendar-quarter totals; change vs the same quarter a year earlier (complete "
                  "quarters only, days as exposure); " + _REF_TEST,
        "units": "records per quarter; rate ratio; percent change",
        "base_n": int(out["count"].sum()),
        "n_missing_date": monthly.attrs["meta"]["n_missing_date"],
        "period": monthly.attrs["meta"]["period"],
        "params": {"date_column": date_column, "filter": filter, "alpha": alpha,
                   "financial_year": financial_year},
        "references": ["Armitage, Berry & Matthews (2002) Statistical Methods in Medical "
                       "Research, 4th ed., s.5.3"],
    }
    return out


def trend_seasonal(records, *, date_column: str = "date", filter: str | None = None, area=None,
                   start=None, end=None) -> pd.DataFrame:
    """Seasonal profile: records by month of the year.

    Returns
    -------
    DataFrame
        12 rows: ``month_of_year`` (1-12), ``month_name``, ``count`` (all
        years), ``n_years`` (how many times that month occurs in the period),
        ``mean_per_year`` (count / n_years), ``index`` (mean_per_year over the
        mean of the monthly means; 1 = average month, NaN where not covered).
        ``attrs['meta']`` gives method, units and base n.
    """
    monthly = trend_monthly(records, date_column=date_column, filter=filter, area=area,
                            start=start, end=end)
    moy = monthly["month"].dt.month
    g = monthly.groupby(moy)["count"].agg(["sum", "size"]).reindex(range(1, 13))
    out = pd.DataFrame({
        "month_of_year": np.arange(1, 13),
        "month_name": _MONTHS,
        "count": g["sum"].fillna(0).astype(int).to_numpy(),
        "n_years": g["size"].fillna(0).astype(int).to_numpy(),
    })
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_per_year"] = np.where(out["n_years"] > 0, out["count"] / out["n_years"], np.nan)
    overall = np.nanmean(out["mean_per_year"]) if out["n_years"].sum() else np.nan
    out["index"] = out["mean_per_year"] / overall if overall else np.nan
    out.attrs["meta"] = {
        "title": "Seasonal profile by month of year",
        "method": "records per calendar month pooled across years; mean per year of each month "
                  "of the year; seasonal index = that mean / mean of the 12 monthly means",
        "units": "records per month (mean); index (1 = average month)",
        "base_n": int(out["count"].sum()),
        "period": monthly.attrs["meta"]["period"],
        "params": {"date_column": date_column, "filter": filter},
        "references": [_REF_SEASON],
    }
    return out


@dataclass
class TrendResult:
    """The three trend tables for one selection, and their shared metadata."""

    monthly: pd.DataFrame
    quarterly: pd.DataFrame
    seasonal: pd.DataFrame
    events: pd.DataFrame
    meta: dict = field(default_factory=dict)


def trend_analysis(records, *, date_column: str = "date", filter: str | None = None, area=None,
                   start=None, end=None, window: int = 3, events=None,
                   financial_year: bool = False, progress=None) -> TrendResult:
    """Run :func:`trend_monthly`, :func:`trend_quarterly` and :func:`trend_seasonal` together.

    Parameters
    ----------
    records, date_column, filter, area, start, end, window
        As :func:`trend_monthly`.
    events : optional
        User events for the charts (:func:`mapping.audit.events.trend_events`).
    financial_year : bool
        Financial-year quarters (April-March) in the quarterly table.
    progress : callable(float, str), optional
        Called with a fraction done and a message.

    Returns
    -------
    TrendResult
    """
    kw = dict(date_column=date_column, filter=filter, area=area, start=start, end=end)
    if progress:
        progress(0.0, "counting records per month")
    monthly = trend_monthly(records, window=window, **kw)
    if progress:
        progress(0.4, "comparing quarters")
    quarterly = trend_quarterly(records, financial_year=financial_year, **kw)
    if progress:
        progress(0.8, "seasonal profile")
    seasonal = trend_seasonal(records, **kw)
    if progress:
        progress(1.0, "done")
    meta = dict(monthly.attrs["meta"])
    meta["references"] = [_REF_MA, *quarterly.attrs["meta"]["references"], _REF_SEASON]
    return TrendResult(monthly, quarterly, seasonal, trend_events(events), meta)

