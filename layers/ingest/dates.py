"""Parse the date formats analysts' files really contain; refuse the ambiguous ones.

Accepted: ISO (``2019-01-31``, ``2019-01-31T14:05``, ``2019-01-31 14:05:00``, with
fractions of a second, and with a UTC offset or ``Z`` such as police.uk's
``2019-01-31T14:05:00+00:00``, which become UK local clock time), day-first and
month-first numeric dates (``31/01/2019``, ``31-01-2019``, ``31.01.19``,
``12/31/2019``, with optional time), dates with month names (``31 Jan 2019``),
months (``2019-01``, ``01/2019``, ``Jan-19``), compact ``20190131``, and Excel
serial day numbers (``43496``).

Numeric dates are read **by column**, not value by value: the order of day,
month and year (day-first ``DD/MM/YYYY``, month-first ``MM/DD/YYYY``, or
year-first ``YY-MM-DD`` for two-digit parts) is the one reading under which the
column's values are real dates.  ``12/31/2019`` is read as 31 December (31
cannot be a month).  A column that reads equally well two ways (every value has
day and month at most 12, such as ``05/03/2019``; or ``22-04-01``, which is
2022-04-01 or 22 April 2001) raises :class:`AmbiguousDates`, naming the column
and example values, unless ``date_format`` says which it is.  A value that fits
no reading, or only one other than the column's, is reported as unparseable.

Parsing runs on the distinct values only, so a million rows holding a few
hundred distinct dates cost a few hundred parses (police.uk's ``Month`` column
holds one value per file: one parse).
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from layers.common.errors import InputError

__all__ = ["parse_dates", "AmbiguousDates", "DATE_ORDERS", "normalise_date_format"]

#: Orders of the numeric day/month/year parts, by the labels used in messages.
DATE_ORDERS = {"DMY": "day-first", "MDY": "month-first", "YMD": "year-first"}
#: Words accepted for each order in ``date_format`` (case-insensitive); patterns such
#: as ``DD/MM/YYYY``, ``MM-DD-YY`` or ``YY.MM.DD`` are read by the order of their letters.
_ORDER_WORDS = {"DMY": {"dmy", "dayfirst", "day-first", "day_first", "uk"},
                "MDY": {"mdy", "monthfirst", "month-first", "month_first", "us"},
                "YMD": {"ymd", "yearfirst", "year-first", "year_first", "iso"}}
_PATTERN = re.compile(r"^(DD?|MM?|YY(?:YY)?)([/.\- ])(DD?|MM?|YY(?:YY)?)\2(DD?|MM?|YY(?:YY)?)$",
                      re.IGNORECASE)
#: Formats with month names (and a few others) tried in order on the values they fit.
_NAMED_FORMATS = [
    ("day month-name year", "%d %b %Y"),
    ("day month-name year", "%d %B %Y"),
    ("day month-name year", "%d-%b-%Y"),
    ("day month-name year", "%d-%b-%y"),
    ("day month-name year", "%d %b %y"),
    ("day month-name year", "%d %b %Y %H:%M"),
    ("day month-name year", "%d %b %Y %H:%M:%S"),
    ("day month-name year", "%d-%b-%Y %H:%M"),
    ("month-year", "%b-%y"),
    ("month-year", "%b %Y"),
    ("month-year", "%B %Y"),
    ("month-year", "%b-%Y"),
]
_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                  r"(?:Z|[+-]\d{2}:?\d{2})?)?$")
_ISO_SLASH = re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$")
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})/(\d{4})$")
_TRIPLE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})"
                     r"(?:[ T](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$")
_COMPACT = re.compile(r"^\d{8}$")
_SERIAL = re.compile(r"^\d{4,5}(\.\d+)?$")


class AmbiguousDates(InputError):
    """A date column whose values read as real dates in more than one order.

    ``orders`` holds the fitting orders (keys of :data:`DATE_ORDERS`) and
    ``examples`` up to three values whose readings differ.
    """

    def __init__(self, problem, *, orders=(), examples=(), **kw):
        self.orders = tuple(orders)
        self.examples = list(examples)
        super().__init__(problem, **kw)


def normalise_date_format(fmt):
    """``None``, an order key (``'DMY'``, ``'MDY'``, ``'YMD'``) or a strptime format.

    Accepts the spellings users write: ``'dayfirst'``, ``'DD/MM/YYYY'``,
    ``'US'``, ``'%d/%m/%Y'`` ...

    Raises
    ------
    InputError
        For text that is neither an order nor a format with ``%`` directives.
    """
    if fmt is None or (isinstance(fmt, str) and not fmt.strip()):
        return None
    text = str(fmt).strip()
    for order, names in _ORDER_WORDS.items():
        if text.lower() in names:
            return order
    m = _PATTERN.match(text)
    if m:
        order = "".join(g[0].upper() for g in (m.group(1), m.group(3), m.group(4)))
        if sorted(order) == ["D", "M", "Y"] and order in DATE_ORDERS:
            return order
    if "%" in text:
        return text
    raise InputError(f"unknown date format {text!r}",
                     fix="use DD/MM/YYYY (day first), MM/DD/YYYY (month first), YY-MM-DD "
                         "(year first) or a strftime format such as '%d/%m/%Y %H:%M'")


def parse_dates(values: pd.Series, *, date_format=None, column=None):
    """Parse a text column to datetimes.

    Parameters
    ----------
    values : Series
        Text (or None) values; a datetime column is returned unchanged.
    date_format : str, optional
        The order of numeric dates (``'DMY'``/``'DD/MM/YYYY'``, ``'MDY'``,
        ``'YMD'``) or an exact strptime format, for a column that is ambiguous.
    column : str, optional
        The column's name, for messages.

    Returns
    -------
    parsed : Series of datetime64[ns]
        NaT for blanks and failures.
    bad : ndarray of bool
        True where a non-blank value could not be read.
    detail : ndarray of object
        Why each bad value failed (empty string elsewhere).
    formats : list of str
        Labels of the formats found, most common first.

    Raises
    ------
    AmbiguousDates
        When the column's numeric dates read as real dates in two orders and
        ``date_format`` does not choose one.
    """
    s = pd.Series(values, copy=False)
    n = len(s)
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("Europe/London").dt.tz_localize(None)
        return s.astype("datetime64[ns]"), np.zeros(n, bool), np.full(n, "", object), ["native"]
    fmt = normalise_date_format(date_format)
    codes, uniques = _distinct(s)
    texts = tuple(str(v).strip() for v in uniques)
    if len(texts) <= 256:  # monthly files repeat their few values: parse each set once
        out_v, label_v, det_v = _parse_cached(texts, fmt, column)
    else:
        out_v, label_v, det_v = _parse_distinct(pd.Series(texts, dtype=object), fmt, column)
    uniq = texts
    bad_u = pd.isna(out_v) & (det_v != "")
    valid = codes >= 0
    parsed = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    parsed[valid] = out_v[codes[valid]]
    bad = np.zeros(n, bool)
    bad[valid] = bad_u[codes[valid]]
    detail = np.full(n, "", dtype=object)
    if bad.any():
        detail[valid] = det_v[codes[valid]]
    if len(uniq) == 1:
        formats = [label_v[0]] if label_v[0] and valid.any() else []
    else:
        counts = pd.Series(label_v[codes[valid]]).value_counts()
        formats = [f for f in counts.index if f]
    return pd.Series(parsed, index=s.index), bad, detail, formats


@functools.lru_cache(maxsize=512)
def _parse_cached(texts: tuple, fmt, column):
    out, label, detail = _parse_distinct(pd.Series(texts, dtype=object), fmt, column)
    for a in (out, label, detail):
        a.setflags(write=False)  # shared between calls: never changed in place
    return out, label, detail


def _distinct(s: pd.Series):
    """``(codes, distinct values)``, -1 for missing; Arrow text is encoded in C++."""
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(s.array)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        enc = pc.dictionary_encode(arr)
        idx = enc.indices
        codes = idx.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, enc.dictionary.to_pylist()
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    return codes, list(uniques)


def _parse_distinct(uniq: pd.Series, fmt, column):
    """Parse distinct stripped values: (datetime64 array, label array, detail array)."""
    u = len(uniq)
    out = np.full(u, np.datetime64("NaT"), dtype="datetime64[ns]")
    label = np.full(u, "", dtype=object)
    detail = np.full(u, "", dtype=object)
    text = uniq.to_numpy(dtype=object)
    todo = np.array([bool(t) and t.lower() not in ("nan", "nat", "none") for t in text], bool)
    if fmt is not None and fmt not in DATE_ORDERS:  # an exact strptime format
        got = pd.to_datetime(pd.Series(text[todo], dtype=object), format=fmt, errors="coerce")
        idx = np.flatnonzero(todo)
        ok = got.notna().to_numpy()
        out[idx[ok]] = got[ok].to_numpy(dtype="datetime64[ns]")
        label[idx[ok]] = fmt
        detail[idx[~ok]] = [f"{text[i]!r} does not match the date format {fmt!r}"
                            for i in idx[~ok]]
        return out, label, detail
    shapes = [("iso", _ISO), ("iso", _ISO_SLASH), ("year-month", _YEAR_MONTH),
              ("month-year", _MONTH_YEAR), ("triple", _TRIPLE), ("compact", _COMPACT)]
    # each distinct value goes to the first shape it fits (one regex pass in Python: the
    # values are distinct, so this is cheap next to pandas' per-call overhead)
    group = np.full(u, -1, np.int64)
    for i in np.flatnonzero(todo):
        t = text[i]
        for k, (_, rx) in enumerate(shapes):
            if rx.match(t):
                group[i] = k
                break
    for k, (name, _) in enumerate(shapes):
        idx = np.flatnonzero(group == k)
        if not len(idx):
            continue
        vals = text[idx]
        if name == "iso":
            _parse_iso(vals, idx, out, label)
        elif name == "year-month":
            got = pd.to_datetime(pd.Series(vals, dtype=object).str.replace("/", "-"),
                                 format="%Y-%m", errors="coerce")
            _put(got, idx, out, label, "year-month")
        elif name == "month-year":
            got = pd.to_datetime(pd.Series(vals, dtype=object), format="%m/%Y", errors="coerce")
            _put(got, idx, out, label, "month-year")
        elif name == "triple":
            _parse_triples(vals, idx, out, label, detail, fmt, column)
        elif name == "compact":
            got = pd.to_datetime(pd.Series(vals, dtype=object), format="%Y%m%d", errors="coerce")
            _put(got, idx, out, label, "compact YYYYMMDD")
        # parsed, or explained: done; a shape that failed silently leaves it to the rest
        todo[idx[pd.notna(out[idx]) | (detail[idx] != "")]] = False
    if todo.any():  # month names
        idx = np.flatnonzero(todo)
        rest = pd.Series(text[idx], dtype=object)
        named = rest.str.contains(r"[A-Za-z]", regex=True).to_numpy(dtype=bool)
        left = named.copy()
        for lab, f in _NAMED_FORMATS:
            if not left.any():
                break
            got = pd.to_datetime(rest[left], format=f, errors="coerce")
            okm = got.notna().to_numpy()
            pos = np.flatnonzero(left)[okm]
            out[idx[pos]] = got[okm].to_numpy(dtype="datetime64[ns]")
            label[idx[pos]] = lab
            left[pos] = False
        todo[idx[named & ~left]] = False
    if todo.any():  # Excel serial day numbers
        idx = np.flatnonzero(todo)
        ser = pd.Series(text[idx], dtype=object)
        m = ser.str.match(_SERIAL).fillna(False).to_numpy(dtype=bool)
        num = pd.to_numeric(ser.where(m), errors="coerce")
        ok = (num.between(1, 80000) & ~(num.between(1900, 2100) & ~ser.str.contains(r"\.",
                                                                              regex=True))
              ).to_numpy(dtype=bool) & m
        if ok.any():
            days = pd.to_timedelta(num[ok].to_numpy(dtype=float), unit="D")
            stamp = (pd.Timestamp("1899-12-30") + days).round("s")
            out[idx[ok]] = np.asarray(stamp, dtype="datetime64[ns]")
            label[idx[ok]] = "Excel serial"
            todo[idx[ok]] = False
    for i in np.flatnonzero(todo & (detail == "")):
        detail[i] = f"{text[i]!r} is not a recognised date (use ISO YYYY-MM-DD or DD/MM/YYYY)"
    return out, label, detail


def _put(got, idx, out, label, lab):
    ok = got.notna().to_numpy()
    out[idx[ok]] = got[ok].to_numpy(dtype="datetime64[ns]")
    label[idx[ok]] = lab


def _parse_iso(vals, idx, out, label):
    """ISO dates and date-times; instants with an offset become UK clock time."""
    s = pd.Series(vals, dtype=object)
    off = np.array([bool(_OFFSET.search(v)) and ":" in v for v in vals], bool)
    if (~off).any():
        got = pd.to_datetime(s[~off], format="ISO8601", errors="coerce")
        sub = idx[~off]
        okm = got.notna().to_numpy()
        out[sub[okm]] = got[okm].to_numpy(dtype="datetime64[ns]")
        has_time = np.array([":" in v for v in vals[~off]], bool)
        label[sub[okm]] = np.where(has_time[okm], "ISO date-time", "ISO date")
    if off.any():
        got = pd.to_datetime(s[off], format="ISO8601", errors="coerce", utc=True)
        got = got.dt.tz_convert("Europe/London").dt.tz_localize(None)
        sub = idx[off]
        okm = got.notna().to_numpy()
        out[sub[okm]] = got[okm].to_numpy(dtype="datetime64[ns]")
        label[sub[okm]] = "ISO date-time with offset"


def _days_in_month(year, month):
    ok = (month >= 1) & (month <= 12)
    m = np.where(ok, month, 1)
    y = year.astype("int64")
    start = (y - 1970) * 12 + (m - 1)
    d0 = np.array(start, dtype="datetime64[M]").astype("datetime64[D]")
    d1 = np.array(start + 1, dtype="datetime64[M]").astype("datetime64[D]")
    return np.where(ok, (d1 - d0).astype(int), 0)


def _full_year(y, digits):
    # two-digit years as strptime reads them: 69-99 -> 1900s, 00-68 -> 2000s
    return np.where(digits == 2, np.where(y >= 69, 1900 + y, 2000 + y), y)


def _parse_triples(vals, idx, out, label, detail, fmt, column):
    """Numeric day/month/year dates, with the order decided for the whole column."""
    parts = pd.Series(vals, dtype=object).str.extract(_TRIPLE)
    a = parts[0].astype(int).to_numpy()
    b = parts[2].astype(int).to_numpy()
    c = parts[3].astype(int).to_numpy()
    a_digits = parts[0].str.len().to_numpy()
    b_digits = parts[2].str.len().to_numpy()
    c_digits = parts[3].str.len().to_numpy()
    times = parts[4].fillna("").to_numpy(dtype=object)
    # year first (22-04-01) is possible only with two-digit parts joined by '-' (YY/MM/DD
    # with slashes or dots is not a UK or US habit)
    two = (a_digits == 2) & (b_digits == 2) & (c_digits == 2) & (parts[1] == "-").to_numpy()
    readings = {}  # order -> (year, month, day)
    readings["DMY"] = (_full_year(c, c_digits), b, a)
    readings["MDY"] = (_full_year(c, c_digits), a, b)
    if two.all():
        readings["YMD"] = (_full_year(a, a_digits), b, c)
    valid = {}
    for order, (y, m, d) in readings.items():
        valid[order] = (m >= 1) & (m <= 12) & (d >= 1) & (d <= _days_in_month(y, m))
    any_ok = np.zeros(len(vals), bool)
    for v in valid.values():
        any_ok |= v
    if fmt in DATE_ORDERS:
        if fmt not in readings:  # YMD asked but the values have four-digit years
            readings[fmt] = (_full_year(a, a_digits), b, c)
            y, m, d = readings[fmt]
            valid[fmt] = (m >= 1) & (m <= 12) & (d >= 1) & (d <= _days_in_month(y, m))
        chosen = fmt
    else:
        chosen = _choose_order(readings, valid, any_ok, vals, column)
    y, m, d = readings[chosen]
    ok = valid[chosen]
    if ok.any():
        iso = pd.Series([f"{yy:04d}-{mm:02d}-{dd:02d}" + (f" {t}" if t else "")
                         for yy, mm, dd, t in zip(y[ok], m[ok], d[ok], times[ok])], dtype=object)
        got = pd.to_datetime(iso, format="ISO8601", errors="coerce")
        sub = idx[ok]
        okm = got.notna().to_numpy()
        out[sub[okm]] = got[okm].to_numpy(dtype="datetime64[ns]")
        label[sub[okm]] = ("UK day-first" if chosen == "DMY" else
                           "US month-first" if chosen == "MDY" else "year-first YY-MM-DD")
        for i in sub[~okm]:
            pos = np.flatnonzero(idx == i)[0]
            detail[i] = f"{vals[pos]!r} has an impossible time of day"
    word = DATE_ORDERS[chosen]
    for k in np.flatnonzero(~ok):
        others = [DATE_ORDERS[o] for o, v in valid.items() if o != chosen and v[k]]
        if others:
            detail[idx[k]] = (f"{vals[k]!r} reads only {others[0]}, but the column's other "
                              f"dates read {word}; correct the value, or convert the column "
                              "to ISO YYYY-MM-DD")
        else:
            detail[idx[k]] = (f"{vals[k]!r} is not a real date read {word} (nor in another "
                              "order); correct the value or convert the column to ISO "
                              "YYYY-MM-DD")


def _choose_order(readings, valid, any_ok, vals, column):
    """The one order under which every readable value is a real date, else the likeliest."""
    live = any_ok
    if not live.any():
        return "DMY"
    fitting = [o for o in readings if valid[o][live].all()]
    # orders that give the same date for every value are one reading (e.g. 01/01/2019)
    distinct = []
    for o in fitting:
        same = any(all(np.array_equal(readings[o][k][live], readings[p][k][live])
                       for k in range(3)) for p in distinct)
        if not same:
            distinct.append(o)
    if len(distinct) == 1:
        return distinct[0]
    if len(distinct) > 1:
        y0, m0, d0 = readings[distinct[0]]
        y1, m1, d1 = readings[distinct[1]]
        differ = live & ((y0 != y1) | (m0 != m1) | (d0 != d1))
        ex = [str(v) for v in vals[differ][:3]]
        names = " or ".join(DATE_ORDERS[o] for o in distinct)
        m = _TRIPLE.match(ex[0])
        sep, yy = m.group(2), "YYYY" if len(m.group(4)) == 4 else "YY"
        pattern = {"DMY": f"DD{sep}MM{sep}{yy}", "MDY": f"MM{sep}DD{sep}{yy}",
                   "YMD": f"YY{sep}MM{sep}DD"}
        raise AmbiguousDates(
            f"ambiguous dates: values such as {', '.join(repr(e) for e in ex)} are real dates "
            f"read {names}, and no value in the column decides which",
            column=column, orders=distinct, examples=ex,
            fix="say which with the date-format option (date_format="
                + " or ".join(repr(pattern[o]) for o in distinct)
                + ", in load_records or a project's [records.options]), or convert the "
                  "column to ISO YYYY-MM-DD")
    # no order fits every value: take the one that reads most of them (UK first on a tie)
    prefer = ["DMY", "YMD", "MDY"]
    return max((o for o in prefer if o in readings),
               key=lambda o: (int(valid[o].sum()), -prefer.index(o)))
