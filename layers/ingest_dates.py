"""Parse the date formats analysts' files really contain, never US month-first.

Accepted: ISO (``2019-01-31``, ``2019-01-31T14:05``, ``2019-01-31 14:05:00``, with
fractions of a second, and with a UTC offset or ``Z`` such as police.uk's
``2019-01-31T14:05:00+00:00``, which become UK local clock time),
UK day-first (``31/01/2019``, ``31-01-2019``, ``31.01.19``, ``31 Jan 2019``,
with optional time), months (``2019-01``, ``01/2019``, ``Jan-19``), compact
``20190131``, and Excel serial day numbers (``43496``).  A value such as
``01/31/2019`` that only parses month-first is *not* accepted: it is reported
as unparseable with a note that hotmap reads dates day-first.

Parsing runs on the distinct values only, so a million rows holding a few
hundred distinct dates cost a few hundred parses.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["parse_dates", "DATE_FORMATS"]

#: (label, strptime format) tried in order on each distinct value.
DATE_FORMATS = [
    ("ISO date-time", "%Y-%m-%dT%H:%M:%S"),
    ("ISO date-time with offset", "%Y-%m-%dT%H:%M:%S%z"),
    ("ISO date-time with offset", "%Y-%m-%dT%H:%M:%S.%f%z"),
    ("ISO date-time with offset", "%Y-%m-%dT%H:%M%z"),
    ("ISO date-time with offset", "%Y-%m-%d %H:%M:%S%z"),
    ("ISO date-time", "%Y-%m-%dT%H:%M:%S.%f"),
    ("ISO date-time", "%Y-%m-%d %H:%M:%S.%f"),
    ("ISO date-time", "%Y-%m-%d %H:%M:%S"),
    ("ISO date-time", "%Y-%m-%dT%H:%M"),
    ("ISO date-time", "%Y-%m-%d %H:%M"),
    ("ISO date", "%Y-%m-%d"),
    ("ISO date", "%Y/%m/%d"),
    ("year-month", "%Y-%m"),
    ("year-month", "%Y/%m"),
    ("UK day-first", "%d/%m/%Y"),
    ("UK day-first", "%d/%m/%Y %H:%M"),
    ("UK day-first", "%d/%m/%Y %H:%M:%S"),
    ("UK day-first", "%d-%m-%Y"),
    ("UK day-first", "%d-%m-%Y %H:%M"),
    ("UK day-first", "%d.%m.%Y"),
    ("UK day-first", "%d/%m/%y"),
    ("UK day-first", "%d/%m/%y %H:%M"),
    ("UK day-first", "%d-%m-%y"),
    ("UK day-first", "%d %b %Y"),
    ("UK day-first", "%d %B %Y"),
    ("UK day-first", "%d-%b-%Y"),
    ("UK day-first", "%d-%b-%y"),
    ("UK day-first", "%d %b %Y %H:%M"),
    ("month-year", "%m/%Y"),
    ("month-year", "%b-%y"),
    ("month-year", "%b %Y"),
    ("month-year", "%B %Y"),
    ("compact YYYYMMDD", "%Y%m%d"),
]
_SERIAL = re.compile(r"^\d{4,5}(\.\d+)?$")
_US = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2,4})")


def parse_dates(values: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray, list[str]]:
    """Parse a text column to datetimes.

    Parameters
    ----------
    values : Series
        Text (or None) values.

    Returns
    -------
    parsed : Series of datetime64[ns]
        NaT for blanks and failures.
    bad : ndarray of bool
        True where a non-blank value could not be parsed.
    detail : ndarray of object
        Why each bad value failed (empty string elsewhere).
    formats : list of str
        Labels of the formats found, most common first.
    """
    s = pd.Series(values, copy=False)
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.astype("datetime64[ns]"), np.zeros(len(s), bool), np.full(len(s), ""), ["native"]
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    uniq = pd.Series(uniques, dtype=object).map(lambda v: str(v).strip())
    out = pd.Series(pd.NaT, index=uniq.index, dtype="datetime64[ns]")
    label = pd.Series("", index=uniq.index, dtype=object)
    todo = uniq.ne("") & uniq.str.lower().ne("nan")
    for lab, fmt in DATE_FORMATS:
        if not todo.any():
            break
        if "%z" in fmt:  # an instant: shown as the UK clock time it was (GMT or BST)
            got = pd.to_datetime(uniq[todo], format=fmt, errors="coerce", utc=True) \
                .dt.tz_convert("Europe/London").dt.tz_localize(None)
        else:
            got = pd.to_datetime(uniq[todo], format=fmt, errors="coerce")
        hit = got.notna()
        idx = got.index[hit]
        out.loc[idx] = got[hit].astype("datetime64[ns]")
        label.loc[idx] = lab
        todo.loc[idx] = False
    if todo.any():
        rest = uniq[todo]
        ser = rest[rest.str.match(_SERIAL)]
        num = pd.to_numeric(ser, errors="coerce")
        ok = num.between(1, 80000) & ~(num.between(1900, 2100) & ~ser.str.contains(r"\."))
        if ok.any():
            idx = num.index[ok]
            out.loc[idx] = (pd.Timestamp("1899-12-30")
                            + pd.to_timedelta(num[ok], unit="D")).dt.round("s")
            label.loc[idx] = "Excel serial"
            todo.loc[idx] = False
    detail_u = pd.Series("", index=uniq.index, dtype=object)
    if todo.any():
        for i, v in uniq[todo].items():
            m = _US.match(v)
            if m and int(m.group(2)) > 12 and int(m.group(1)) <= 12:
                detail_u[i] = (f"{v!r} reads only as US month-first; hotmap reads dates "
                               "day-first (DD/MM/YYYY); fix the column or convert to ISO")
            else:
                detail_u[i] = f"{v!r} is not a recognised date (use ISO YYYY-MM-DD or DD/MM/YYYY)"
    out_v = out.to_numpy()
    bad_u = todo.to_numpy()
    det_v = detail_u.to_numpy()
    valid = codes >= 0
    parsed = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[ns]")
    bad = np.zeros(len(s), bool)
    detail = np.full(len(s), "", dtype=object)
    parsed[valid] = out_v[codes[valid]]
    bad[valid] = bad_u[codes[valid]]
    detail[valid] = det_v[codes[valid]]
    counts = pd.Series(label.to_numpy()[codes[valid]]).value_counts()
    formats = [f for f in counts.index if f]
    return pd.Series(parsed, index=s.index), bad, detail, formats
