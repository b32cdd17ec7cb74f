"""Time periods from record dates: months, quarters, years (calendar or financial).

Periods are pandas ``Period`` labels: ``2018-11`` (month), ``2018Q4``
(calendar quarter), ``2018`` (calendar year) or ``2018/19`` (UK financial
year, April–March).  Records without a date (NaT) get no period and are
counted separately, never silently dropped.

Public functions: :func:`assign_periods`, :func:`period_label`,
:func:`same_period_last_year`, :func:`describe_span`.
"""

from __future__ import annotations

import pandas as pd

from layers.errors import AnalysisError

__all__ = ["assign_periods", "period_label", "same_period_last_year", "describe_span",
           "PERIOD_KINDS"]

#: Period kinds a user can choose.
PERIOD_KINDS = {"month": "M", "quarter": "Q", "year": "Y", "financial_year": "Q-MAR"}


def _financial_label(ts: pd.Series) -> pd.Series:
    start = (ts.dt.year - (ts.dt.month < 4)).astype("Int64")
    out = start.astype("string") + "/" + ((start + 1) % 100).astype("string").str.zfill(2)
    return out.where(ts.notna(), pd.NA)


def assign_periods(dates, kind: str = "quarter") -> pd.Series:
    """Label each date with its period.

    Parameters
    ----------
    dates : Series of datetime64 (NaT allowed)
    kind : {"month", "quarter", "year", "financial_year"}

    Returns
    -------
    Series of str
        e.g. ``"2018Q4"``; ``<NA>`` where the date is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> assign_periods(pd.Series(pd.to_datetime(["2018-11-01", "2019-01-31"])), "quarter").tolist()
    ['2018Q4', '2019Q1']
    """
    if kind not in PERIOD_KINDS:
        raise AnalysisError(f"unknown period '{kind}'", fix=f"use one of: {', '.join(PERIOD_KINDS)}")
    ts = pd.to_datetime(pd.Series(dates), errors="coerce")
    if kind == "financial_year":
        return _financial_label(ts)
    per = ts.dt.to_period(PERIOD_KINDS[kind])
    return per.astype("string").where(ts.notna(), pd.NA)


def period_label(label: str, kind: str = "quarter") -> str:
    """Normalise a user-typed period (``2018q4``, ``2018-Q4``) to hotmap's label."""
    text = str(label).strip().upper().replace("-Q", "Q").replace(" ", "")
    if kind == "financial_year":
        return text
    try:
        return str(pd.Period(text, freq=PERIOD_KINDS[kind]))
    except (ValueError, KeyError):
        raise AnalysisError(f"'{label}' is not a {kind} period",
                            fix="write e.g. 2018Q4, 2018-11 or 2018") from None


def same_period_last_year(label: str, kind: str = "quarter") -> str:
    """The period one year earlier (``2019Q1`` → ``2018Q1``; ``2019/20`` → ``2018/19``)."""
    if kind == "financial_year":
        start = int(label.split("/")[0]) - 1
        return f"{start}/{(start + 1) % 100:02d}"
    p = pd.Period(period_label(label, kind), freq=PERIOD_KINDS[kind])
    steps = {"month": 12, "quarter": 4, "year": 1}[kind]
    return str(p - steps)


def describe_span(dates) -> str:
    """``"Oct 2018 – Jan 2019 (4 months)"`` style text for metadata (empty if no dates)."""
    ts = pd.to_datetime(pd.Series(dates), errors="coerce").dropna()
    if ts.empty:
        return ""
    a, b = ts.min(), ts.max()
    months = (b.year - a.year) * 12 + b.month - a.month + 1
    return f"{a:%b %Y} – {b:%b %Y} ({months} month{'s' if months != 1 else ''})"
