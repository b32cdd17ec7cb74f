"""The records an audit question uses: filter, area and period.

:func:`select_records` applies them in that order and says what it applied
(``attrs['selection']``); :func:`record_dates` reads a date column as naive datetimes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from mapping.core.filters import apply_filter

__all__ = ["select_records", "record_dates"]


def select_records(records, *, filter: str | None = None, area=None, date_column: str = "date",
                   start=None, end=None):
    """Select the records an analysis uses: filter, area and period.

    Parameters
    ----------
    records : GeoDataFrame or DataFrame
        Records (``load_records`` output); never changed.
    filter : str, optional
        Filter expression, e.g. ``"crime_type == 'Drugs'"``.
    area : shapely geometry or GeoDataFrame, optional
        Keep records that fall within this polygon (or the union of the
        GeoDataFrame's polygons); distances and CRS are EPSG:27700.
    date_column : str
        Datetime column used for ``start``/``end``.
    start, end : str or Timestamp, optional
        Inclusive period limits.

    Returns
    -------
    GeoDataFrame or DataFrame
        The selected rows; ``attrs['selection']`` describes what was applied.

    Raises
    ------
    InputError
        For a bad filter, a missing date column, or records without geometry
        when ``area`` is given.
    """
    out = apply_filter(records, filter)
    notes = []
    if filter:
        notes.append(f"filter: {filter}")
    if area is not None:
        if not hasattr(out, "geometry"):
            raise InputError("an area was given but the records have no geometry",
                             fix="load the records as a point layer")
        geom = area.union_all() if hasattr(area, "union_all") else area
        if hasattr(area, "crs") and area.crs is not None and out.crs is not None \
                and area.crs != out.crs:
            geom = area.to_crs(out.crs).union_all()
        out = out[out.geometry.within(geom)]
        notes.append("within the selected area")
    if start is not None or end is not None:
        d = record_dates(out, date_column)
        keep = np.ones(len(out), bool)
        if start is not None:
            keep &= (d >= pd.Timestamp(start)).to_numpy()
        if end is not None:
            keep &= (d <= pd.Timestamp(end)).to_numpy()
        out = out[keep]
        notes.append(f"period {start or '...'} to {end or '...'}")
    out = out.copy() if out is records else out
    out.attrs = dict(records.attrs)
    out.attrs["selection"] = "; ".join(notes)
    out.attrs["selection_base_n"] = int(len(records))
    return out


def record_dates(df, column: str) -> pd.Series:
    """The records' ``column`` as naive datetimes (unreadable values NaT).

    Raises
    ------
    InputError
        If the records have no such column.
    """
    if column not in df.columns:
        raise InputError(f"the records have no '{column}' column", column=column,
                         fix="map a date column when loading, or choose another date column")
    d = df[column]
    if not pd.api.types.is_datetime64_any_dtype(d):
        d = pd.to_datetime(d, errors="coerce")
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    return d
