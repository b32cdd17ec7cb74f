"""Time periods from record dates: months, quarters, years (calendar or financial).

Periods are pandas ``Period`` labels: ``2018-11`` (month), ``2018Q4``
(calendar quarter), ``2018`` (calendar year) or ``2018/19`` (UK financial
year, April–March).  Records without a date (NaT) get no period and are
counted separately, never silently dropped.

Days of data
------------
:func:`period_coverage` says how many days of a period the data cover, for
comparisons between periods of unequal length or incomplete data.  When every
date is the first of its month (police.uk gives months only), a month counts
in full when it has at least one record and not at all when it has none.
Otherwise (day-level dates) the covered days are those of the period between
the layer's first and last date, less the months without any record.  Give the
dates of the whole layer, before any filter, so that a month with no Drugs
offence is a zero, not a gap.

Public functions: :func:`assign_periods`, :func:`period_label`,
:func:`same_period_last_year`, :func:`describe_span`, :func:`period_bounds`,
:func:`period_coverage`.
"""

from __future__ import annotations

import pandas as pd

from layers.common.errors import AnalysisError

__all__ = ["assign_periods", "period_label", "same_period_last_year", "describe_span",
           "period_bounds", "period_coverage", "PERIOD_KINDS"]

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


def period_bounds(label: str, kind: str = "quarter"):
    """First day and the day after the last day of a period, as Timestamps.

    Examples
    --------
    >>> a, b = period_bounds("2018Q4")
    >>> str(a.date()), str(b.date()), (b - a).days
    ('2018-10-01', '2019-01-01', 92)
    """
    if kind == "financial_year":
        try:
            start = int(str(label).split("/")[0])
        except ValueError:
            raise AnalysisError(f"'{label}' is not a financial year",
                                fix="write e.g. 2018/19") from None
        return pd.Timestamp(start, 4, 1), pd.Timestamp(start + 1, 4, 1)
    p = pd.Period(period_label(label, kind), freq=PERIOD_KINDS[kind])
    return p.start_time.normalize(), (p + 1).start_time.normalize()


def period_coverage(dates, label: str, kind: str = "quarter") -> dict:
    """How many days of a period the data cover (see the module notes).

    Parameters
    ----------
    dates : Series of datetime64
        Dates of the whole layer (NaT ignored).
    label : str
        The period, e.g. ``2019Q1``.
    kind : {"month", "quarter", "year", "financial_year"}

    Returns
    -------
    dict
        ``period``, ``days`` (covered), ``period_days``, ``complete`` (bool),
        ``months_missing`` (labels of months of the period with no record, e.g.
        ``["2019-03"]``), ``resolution`` (``"month"`` or ``"day"``) and ``text``
        (a sentence for notes).

    Examples
    --------
    >>> d = pd.Series(pd.to_datetime(["2019-01-01", "2019-02-01"]))
    >>> c = period_coverage(d, "2019Q1")
    >>> c["days"], c["period_days"], c["months_missing"]
    (59, 90, ['2019-03'])
    """
    start, end = period_bounds(label, kind)
    ts = pd.to_datetime(pd.Series(dates), errors="coerce").dropna()
    months = pd.period_range(start, end - pd.Timedelta(days=1), freq="M")
    present = set(ts.dt.to_period("M").astype(str))
    monthly = bool(len(ts)) and bool((ts.dt.day == 1).all() and (ts.dt.normalize() == ts).all())
    lo = ts.min().normalize() if len(ts) else end
    hi = ts.max().normalize() + pd.Timedelta(days=1) if len(ts) else start
    days, missing = 0, []
    for m in months:
        if str(m) not in present:
            missing.append(str(m))
            continue
        m0, m1 = m.start_time.normalize(), (m + 1).start_time.normalize()
        if not monthly:
            m0, m1 = max(m0, lo), min(m1, hi)
        days += max(0, (m1 - m0).days)
    total = (end - start).days
    text = (f"{label}: the data cover {days} of its {total} days"
            + (f" (no records in {', '.join(missing)})" if missing else "")
            + ("" if days == total else "; it is incomplete"))
    return {"period": label, "days": int(days), "period_days": int(total),
            "complete": days == total, "months_missing": missing,
            "resolution": "month" if monthly else "day", "text": text}
