"""User-marked events (holidays, operations) for the trend tables and charts.

:func:`trend_events` reads them from tuples, dicts or a table into one
``start``, ``end``, ``label`` table; :func:`mapping.render.charts.chart_events` marks them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.common.errors import InputError

__all__ = ["trend_events"]


def trend_events(events) -> pd.DataFrame:
    """Read user-marked events (holidays, operations) into a table.

    Parameters
    ----------
    events : None, DataFrame, or list of tuples/dicts
        ``(date, label)`` or ``(start, end, label)`` tuples, dicts with those
        keys, or a DataFrame with ``date`` (or ``start``), optional ``end``
        and ``label`` columns (e.g. read from a CSV).

    Returns
    -------
    DataFrame
        ``start``, ``end`` (NaT for a one-day event), ``label``.

    Raises
    ------
    InputError
        If a date cannot be read or the table lacks a date column.
    """
    if events is None:
        return pd.DataFrame({"start": pd.Series([], dtype="datetime64[ns]"),
                             "end": pd.Series([], dtype="datetime64[ns]"), "label": []})
    if isinstance(events, pd.DataFrame):
        cols = {c.lower(): c for c in events.columns}
        sc = cols.get("start") or cols.get("date")
        if sc is None:
            raise InputError("the events table has no 'date' or 'start' column",
                             fix="add a date column (YYYY-MM-DD) and a label column")
        df = pd.DataFrame({"start": events[sc],
                           "end": events[cols["end"]] if "end" in cols else pd.NaT,
                           "label": events[cols["label"]] if "label" in cols else ""})
    else:
        rows = []
        for e in events:
            if isinstance(e, dict):
                rows.append((e.get("start", e.get("date")), e.get("end"), e.get("label", "")))
            elif len(e) == 2:
                rows.append((e[0], None, e[1]))
            elif len(e) == 3:
                rows.append(tuple(e))
            else:
                raise InputError(f"cannot read the event {e!r}",
                                 fix="give (date, label) or (start, end, label)")
        df = pd.DataFrame(rows, columns=["start", "end", "label"])
    for c in ("start", "end"):
        parsed = pd.to_datetime(df[c], errors="coerce")
        bad = parsed.isna() & df[c].notna() & (df[c].astype(str).str.strip() != "")
        if c == "start":
            bad |= parsed.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"event date '{df[c].iloc[i]}' cannot be read", row=i + 1,
                             column=c, fix="write dates as YYYY-MM-DD")
        df[c] = parsed
    df["label"] = df["label"].fillna("").astype(str)
    return df.reset_index(drop=True)
