"""Numeric day/month/year dates, read in the one order that fits the whole column.

``31/01/2019``, ``12/31/2019``, ``31.01.19``, ``22-04-01``: the order of the
parts (day-first, month-first, or year-first for two-digit parts joined by
``-``) is chosen for the column, not value by value; a column that reads
equally well two ways raises :class:`AmbiguousDates`.  Used by
:func:`layers.ingest.dates.parse_dates`, which describes the rules.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from layers.common.errors import InputError

__all__ = ["DATE_ORDERS", "TRIPLE", "AmbiguousDates", "parse_triples"]

#: Orders of the numeric day/month/year parts, by the labels used in messages.
DATE_ORDERS = {"DMY": "day-first", "MDY": "month-first", "YMD": "year-first"}
#: A numeric day/month/year date, with an optional time of day.
TRIPLE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})"
                    r"(?:[ T](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$")


class AmbiguousDates(InputError):
    """A date column whose values read as real dates in more than one order.

    ``orders`` holds the fitting orders (keys of :data:`DATE_ORDERS`) and
    ``examples`` up to three values whose readings differ.
    """

    def __init__(self, problem, *, orders=(), examples=(), **kw):
        self.orders = tuple(orders)
        self.examples = list(examples)
        super().__init__(problem, **kw)


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


def parse_triples(vals, idx, out, label, detail, fmt, column):
    """Numeric day/month/year dates, with the order decided for the whole column.

    Parameters
    ----------
    vals : ndarray of str
        Distinct values matching :data:`TRIPLE`.
    idx : ndarray of int
        Their positions in ``out``, ``label`` and ``detail``, filled in place.
    out, label, detail : ndarray
        The dates, how each was read, and why a value was not read.
    fmt : str or None
        An order key of :data:`DATE_ORDERS` given by the user, else None.
    column : str or None
        The column's name, for :class:`AmbiguousDates`.
    """
    parts = pd.Series(vals, dtype=object).str.extract(TRIPLE)
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
        m = TRIPLE.match(ex[0])
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
