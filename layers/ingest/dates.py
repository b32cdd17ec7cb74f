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
from layers.ingest.date_orders import DATE_ORDERS, TRIPLE, AmbiguousDates, parse_triples

__all__ = ["parse_dates", "AmbiguousDates", "DATE_ORDERS", "normalise_date_format"]

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
_COMPACT = re.compile(r"^\d{8}$")
_SERIAL = re.compile(r"^\d{4,5}(\.\d+)?$")


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
        _parse_exact(text, todo, fmt, out, label, detail)
        return out, label, detail
    _parse_shapes(text, todo, fmt, column, out, label, detail)
    if todo.any():
        _parse_named(text, todo, out, label)
    if todo.any():
        _parse_serials(text, todo, out, label)
    for i in np.flatnonzero(todo & (detail == "")):
        detail[i] = f"{text[i]!r} is not a recognised date (use ISO YYYY-MM-DD or DD/MM/YYYY)"
    return out, label, detail


#: The numeric shapes of a date, tried in order; each value goes to the first it fits.
_SHAPES = [("iso", _ISO), ("iso", _ISO_SLASH), ("year-month", _YEAR_MONTH),
           ("month-year", _MONTH_YEAR), ("triple", TRIPLE), ("compact", _COMPACT)]


def _parse_exact(text, todo, fmt, out, label, detail):
    """Every value read with one strptime format given by the user."""
    got = pd.to_datetime(pd.Series(text[todo], dtype=object), format=fmt, errors="coerce")
    idx = np.flatnonzero(todo)
    ok = got.notna().to_numpy()
    out[idx[ok]] = got[ok].to_numpy(dtype="datetime64[ns]")
    label[idx[ok]] = fmt
    detail[idx[~ok]] = [f"{text[i]!r} does not match the date format {fmt!r}"
                        for i in idx[~ok]]


def _parse_shapes(text, todo, fmt, column, out, label, detail):
    """Numeric dates, shape by shape; ``todo`` keeps the values left for the next stages."""
    u = len(text)
    # each distinct value goes to the first shape it fits (one regex pass in Python: the
    # values are distinct, so this is cheap next to pandas' per-call overhead)
    group = np.full(u, -1, np.int64)
    for i in np.flatnonzero(todo):
        t = text[i]
        for k, (_, rx) in enumerate(_SHAPES):
            if rx.match(t):
                group[i] = k
                break
    for k, (name, _) in enumerate(_SHAPES):
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
            parse_triples(vals, idx, out, label, detail, fmt, column)
        elif name == "compact":
            got = pd.to_datetime(pd.Series(vals, dtype=object), format="%Y%m%d", errors="coerce")
            _put(got, idx, out, label, "compact YYYYMMDD")
        # parsed, or explained: done; a shape that failed silently leaves it to the rest
        todo[idx[pd.notna(out[idx]) | (detail[idx] != "")]] = False


def _parse_named(text, todo, out, label):
    """Dates with month names (``31 Jan 2019``, ``Jan-19``)."""
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


def _parse_serials(text, todo, out, label):
    """Excel serial day numbers (``43496``), not four-digit years."""
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


