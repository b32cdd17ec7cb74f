"""When things happen: hour × weekday tables, with aoristic weights for time windows.

A record with one time counts 1 in the hour of the week it happened in.  A
record known only to have happened *between* a start and an end (a burglary
found in the morning, a needle found at a site last seen clear the day
before) is spread over the hours of its window, so that each record still
adds up to exactly 1 (Ratcliffe 2002, "aoristic" analysis):

``method="hours"`` (default; Ratcliffe 2000, 2002)
    Each clock hour the window touches gets an equal share ``1/k`` of the
    record, where ``k`` is the number of clock hours from the start's hour to
    the end's hour.  A window 22:30-01:10 touches 22:00, 23:00, 00:00 and
    01:00 (``k = 4``, a quarter each, the last two on the next day).  An end
    exactly on the hour does not touch that hour (10:00-12:00 is 10:00 and
    11:00).
``method="minutes"``
    The share of each hour is the share of the window's length inside it
    (a uniform chance over the window): 22:30-01:10 gives 22:00 30/160,
    23:00 60/160, 00:00 60/160 and 01:00 10/160.

Windows that cross midnight carry on into the next day (and Sunday into
Monday); windows longer than a week wrap round the 168 hours of the week and
add to each hour once per time they pass it (``max_hours`` can leave such
records out: they say little about when).  Records whose end is before their
start are left out and counted, as are records with no start.  The clock is
the UK clock time the loaders give (GMT or BST).

References
----------
Ratcliffe JH, McCullagh MJ (1998) Aoristic crime analysis. *Int J Geogr Inf Sci*
12:751-764.  Ratcliffe JH (2000) Aoristic analysis: the spatial interpretation of
unspecific temporal events. *Int J Geogr Inf Sci* 14:669-679.  Ratcliffe JH (2002)
Aoristic signatures and the spatio-temporal analysis of high volume crime
patterns. *J Quant Criminol* 18:23-43.

Public functions: :func:`aoristic_week`, :func:`time_profile`, :func:`as_datetimes`; result
:class:`TimeProfile`; :data:`WEEKDAYS`, :data:`AORISTIC_METHODS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers.common.errors import AnalysisError

__all__ = ["aoristic_week", "time_profile", "as_datetimes", "TimeProfile", "WEEKDAYS",
           "AORISTIC_METHODS", "HOUR_COLUMNS"]

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
AORISTIC_METHODS = ("hours", "minutes")
HOUR_COLUMNS = [f"{h:02d}" for h in range(24)]
_HOURS_PER_WEEK = 168
# hours since a Monday 00:00 (1970-01-05), so hour index mod 168 is the hour of the week
_MONDAY = np.datetime64("1970-01-05T00:00", "ns")
_NS_PER_HOUR = 3_600e9


def _hours(ts: pd.Series) -> np.ndarray:
    v = (ts.to_numpy("datetime64[ns]") - _MONDAY).astype("int64").astype(float) / _NS_PER_HOUR
    v[ts.isna().to_numpy()] = np.nan
    return v


def _ring_add(acc, first, length, value):
    """Add ``value`` to ``length`` consecutive hours of the week from ``first`` (wrapping)."""
    length = np.asarray(length, np.int64)
    full = length // _HOURS_PER_WEEK
    rest = length % _HOURS_PER_WEEK
    acc += float(np.sum(full * value))  # whole weeks: every hour once per week
    diff = np.zeros(2 * _HOURS_PER_WEEK + 1)
    np.add.at(diff, first, value)
    np.add.at(diff, first + rest, -value)
    run = np.cumsum(diff)[:2 * _HOURS_PER_WEEK]
    acc += run[:_HOURS_PER_WEEK] + run[_HOURS_PER_WEEK:]


def aoristic_week(start, end=None, *, method: str = "hours", weight=None) -> np.ndarray:
    """Sum of the records' aoristic weights in each of the 168 hours of the week.

    Parameters
    ----------
    start : Series of datetime64
        Start of each record's window (or its time, when there is no end).
    end : Series of datetime64, optional
        End of each window; missing or equal to the start means a single time.
    method : {"hours", "minutes"}
        See the module notes.
    weight : array-like, optional
        Weight of each record (default 1).

    Returns
    -------
    ndarray, shape (168,)
        Index ``24 × weekday + hour`` (Monday 00:00 = 0).  Records with no
        start, or an end before the start, contribute nothing.

    Examples
    --------
    >>> import pandas as pd
    >>> w = aoristic_week(pd.Series(pd.to_datetime(["2024-01-01 22:30"])),
    ...                   pd.Series(pd.to_datetime(["2024-01-02 01:10"])))
    >>> {int(k): float(v) for k, v in enumerate(w) if v}
    {22: 0.25, 23: 0.25, 24: 0.25, 25: 0.25}
    """
    if method not in AORISTIC_METHODS:
        raise AnalysisError(f"unknown aoristic method '{method}'",
                            fix=f"use one of: {', '.join(AORISTIC_METHODS)}")
    s = _hours(pd.to_datetime(pd.Series(start).reset_index(drop=True), errors="coerce"))
    e = s.copy() if end is None else _hours(
        pd.to_datetime(pd.Series(end).reset_index(drop=True), errors="coerce"))
    w = np.ones(len(s)) if weight is None else np.asarray(weight, float)
    e = np.where(np.isnan(e), s, e)
    ok = np.isfinite(s) & (e >= s) & np.isfinite(w)
    s, e, w = s[ok], e[ok], w[ok]
    acc = np.zeros(_HOURS_PER_WEEK)
    h0 = np.floor(s).astype(np.int64)
    h1 = np.where(e > s, np.ceil(e).astype(np.int64) - 1, h0)
    h1 = np.maximum(h1, h0)
    k = h1 - h0 + 1
    b0 = np.mod(h0, _HOURS_PER_WEEK)
    if method == "hours":
        _ring_add(acc, b0, k, w / k)
        return acc
    single = k == 1
    np.add.at(acc, b0[single], w[single])
    m = ~single
    dur = e[m] - s[m]
    dens = w[m] / dur
    np.add.at(acc, b0[m], (h0[m] + 1 - s[m]) * dens)  # the part of the first hour
    np.add.at(acc, np.mod(h1[m], _HOURS_PER_WEEK), (e[m] - h1[m]) * dens)  # of the last hour
    _ring_add(acc, np.mod(b0[m] + 1, _HOURS_PER_WEEK), k[m] - 2, dens)  # whole hours between
    return acc


@dataclass
class TimeProfile:
    """An hour × weekday table.

    Attributes
    ----------
    table : DataFrame
        Seven rows (``weekday`` Monday … Sunday), columns ``00`` … ``23`` (events,
        fractional with aoristic weights) and ``total``.
    long : DataFrame
        ``weekday``, ``day``, ``hour``, ``events``: one row per hour of the week.
    meta : dict
        ``title``, ``units``, ``method``, ``params``, ``base_n``, ``period``,
        ``references``, ``count_columns`` (the hour columns, unless every record is a
        time window: then the cells are shares of records, not counts), ``notes``,
        ``n_windows``, ``n_points``, ``n_excluded``.
    """

    table: pd.DataFrame
    long: pd.DataFrame
    meta: dict = field(default_factory=dict)

    @property
    def by_hour(self) -> pd.Series:
        """Events per hour of the day (all weekdays)."""
        return self.table[HOUR_COLUMNS].sum(axis=0)

    @property
    def by_weekday(self) -> pd.Series:
        """Events per weekday."""
        return self.table.set_index("weekday")["total"]


def _date_only(ts: pd.Series) -> bool:
    v = ts.dropna()
    return len(v) > 0 and bool((v == v.dt.normalize()).all())


def time_profile(records, *, start: str = "date", end: str | None = None,
                 method: str = "hours", weight: str | None = None,
                 max_hours: float | None = None) -> TimeProfile:
    """Hour × weekday profile of records, aoristic where they have a start and an end.

    Parameters
    ----------
    records : DataFrame
        Records with date-time columns (as the loaders give them, or text,
        which is parsed day-first like the loaders do).
    start : str
        Column of the time (or the window's start).  Default ``date``.
    end : str, optional
        Column of the window's end; rows where it is blank are single times.
    method : {"hours", "minutes"}
        Aoristic share of each hour (module notes).  Default ``hours``.
    weight : str, optional
        Numeric column weighting each record (e.g. needle quantity).
    max_hours : float, optional
        Leave out windows longer than this many hours (they say little about
        when); they are counted in the meta.  Default: keep all.

    Returns
    -------
    TimeProfile

    Raises
    ------
    AnalysisError
        Missing columns; times that are all midnight (dates without a time
        of day); no usable record.
    """
    from mapping.core.periods import describe_span

    def col(name):
        if name not in records.columns:
            raise AnalysisError(f"the records have no '{name}' column", column=name,
                                fix=f"choose one of: {', '.join(map(str, records.columns[:20]))}")
        return as_datetimes(records[name], name)

    s = col(start).reset_index(drop=True)
    e = col(end).reset_index(drop=True) if end else pd.Series(pd.NaT, index=s.index)
    if _date_only(s) and (end is None or _date_only(e.dropna())):
        raise AnalysisError(f"the '{start}' column holds dates without a time of day, so "
                            "there is no hour to count", column=start,
                            fix="choose a date-time column (e.g. arrested_at), or map one")
    w = None
    if weight is not None:
        if weight not in records.columns:
            raise AnalysisError(f"no weight column '{weight}'", column=weight)
        w = pd.to_numeric(records[weight], errors="coerce").fillna(0).to_numpy(float)
    has_end = e.notna() & (e != s)
    dur_h = (e - s).dt.total_seconds() / 3600
    no_start = s.isna()
    backwards = has_end & (dur_h < 0)
    too_long = has_end & (dur_h > max_hours) if max_hours is not None else \
        pd.Series(False, index=s.index)
    use = ~no_start & ~backwards & ~too_long
    if not use.any():
        raise AnalysisError("no record has a usable time", column=start,
                            fix="check the time columns and the filter")
    week = aoristic_week(s[use], e[use], method=method,
                         weight=None if w is None else w[use.to_numpy()])
    grid = week.reshape(7, 24)
    table = pd.DataFrame(grid, columns=HOUR_COLUMNS)
    table.insert(0, "weekday", WEEKDAYS)
    table["total"] = grid.sum(axis=1)
    long = pd.DataFrame({"weekday": np.repeat(WEEKDAYS, 24), "day": np.repeat(np.arange(7), 24),
                         "hour": np.tile(np.arange(24), 7), "events": week})
    n_win = int((use & has_end).sum())
    over_week = int((use & has_end & (dur_h > _HOURS_PER_WEEK)).sum())
    excluded = {"no start time": int(no_start.sum()), "end before start": int(backwards.sum())}
    if max_hours is not None:
        excluded[f"window longer than {max_hours:g} h"] = int(too_long.sum())
    notes = [f"{v:,} records left out: {k}" for k, v in excluded.items() if v]
    if n_win:
        med = float(dur_h[use & has_end].median())
        notes.append(f"{n_win:,} records have a time window (median {med:.1f} h), spread over "
                     f"its hours ({method} method)" + (f"; {over_week:,} last more than a week"
                                                       if over_week else ""))
    label = f"{start}–{end}" if end else start
    meta = {
        "title": "Events by hour of the day and day of the week",
        "units": "events (aoristic weights where records have a time window)"
                 if n_win else "events",
        "method": ("hour × weekday counts; time windows spread over the clock hours they span "
                   + ("in equal shares (Ratcliffe 2002)" if method == "hours"
                      else "in proportion to the time inside each hour")),
        "params": {"start": start, "end": end, "method": method, "weight": weight,
                   "max_hours": max_hours},
        "base_n": int(use.sum()), "n_windows": n_win, "n_points": int((use & ~has_end).sum()),
        "n_over_week": over_week, "n_excluded": excluded, "time_columns": label,
        "period": describe_span(s[use]),
        "references": ["Ratcliffe JH (2002) J Quant Criminol 18:23-43",
                       "Ratcliffe JH (2000) Int J Geogr Inf Sci 14:669-679"],
        # a profile made only of time windows holds shares of records, not counts of them
        "count_columns": HOUR_COLUMNS + ["total"] if (use & ~has_end).any() else [],
        "notes": notes,
    }
    return TimeProfile(table=table, long=long, meta=meta)


def as_datetimes(values: pd.Series, name: str, *, date_format=None) -> pd.Series:
    """Datetimes as they are, or text parsed by the loaders' parser
    (:func:`layers.ingest.dates.parse_dates`, day/month order decided by the values or
    by ``date_format``); blanks become NaT, anything else that is not a date raises an
    AnalysisError naming the column and the first bad value."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.Series(values).astype("datetime64[ns]")
    from layers.ingest.dates import parse_dates

    text = pd.Series(values).astype("string").str.strip().replace("", pd.NA)
    parsed, bad, _, _ = parse_dates(text, date_format=date_format, column=name)
    if bad.any():
        first = text[bad].iloc[0]
        raise AnalysisError(f"{int(bad.sum()):,} values of '{name}' are not dates "
                            f"(e.g. '{first}')", column=name,
                            fix="correct them or leave them blank")
    return parsed
