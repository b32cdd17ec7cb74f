"""Read geocoded record files (CSV, XLSX, GeoPackage, ...) into point layers.

(First version: the ingest work expands this module.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd

from layers.errors import InputError
from layers.result import LoadResult, REJECT_COLUMNS

__all__ = ["load_records"]


def load_records(paths, *, kind="generic", columns=None, crs=None, postcode_table=None,
                 study_area=None) -> LoadResult:
    """Load record files as one point layer in EPSG:27700.

    Parameters
    ----------
    paths : str, Path or list of them
        Files forming one layer; each record keeps ``source_file`` and ``source_row``.
    kind : str
        Record kind (``arrests``, ``needles``, ``crack_houses``, ``services``,
        ``seizures``, ``generic``); sets the expected columns.
    columns : dict, optional
        Mapping of canonical names (``x``, ``y``, ``lon``, ``lat``, ``postcode``,
        ``date`` ...) to the file's column names.
    crs : str, optional
        CRS of x/y columns (default EPSG:27700).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    columns = dict(columns or {})
    acc, rej, n = [], [], 0
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise InputError("file not found", path=p, fix="check the path")
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        df["source_file"] = str(p)
        df["source_row"] = np.arange(1, len(df) + 1)
        n += len(df)
        xcol = columns.get("x", "easting")
        ycol = columns.get("y", "northing")
        x = pd.to_numeric(df[xcol], errors="coerce")
        y = pd.to_numeric(df[ycol], errors="coerce")
        ok = x.notna() & y.notna()
        bad = df[~ok].copy()
        bad["reason"] = "no coordinates"
        bad["detail"] = ""
        rej.append(bad)
        good = df[ok].copy()
        acc.append(gpd.GeoDataFrame(good, geometry=gpd.points_from_xy(x[ok], y[ok]),
                                    crs=crs or "EPSG:27700").to_crs("EPSG:27700"))
    accepted = gpd.GeoDataFrame(pd.concat(acc, ignore_index=True), crs="EPSG:27700")
    for c in ("date",):
        if c in accepted:
            accepted[c] = pd.to_datetime(accepted[c], errors="coerce")
    rejected = pd.concat(rej, ignore_index=True)
    rejected = rejected[REJECT_COLUMNS + [c for c in rejected.columns if c not in REJECT_COLUMNS]]
    return LoadResult(accepted=accepted, rejected=rejected, rows_read=n, info={"kind": kind})
