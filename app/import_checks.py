"""Checks the import wizard makes before and after a load (Qt-free).

* :func:`study_area_shares`: which boundary layers the records fall inside,
  from a sample of the file's coordinates, so the wizard only proposes a
  study area that keeps the records (a study area the records miss would
  reject every row as "outside study area").
* :func:`rejection_warning`: the words of the warning shown before Finish
  when (nearly) every row was rejected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["sample_coordinates", "study_area_shares", "rejection_warning",
           "STUDY_AREA_MIN_SHARE", "REJECTED_WARN_SHARE"]

#: A boundary layer is proposed as the study area only if at least this share of the sample
#: is inside it: a force-wide police.uk file with one district's boundaries (a tenth to a
#: half of the records inside) gets that district; records that miss it (e.g. the demo's
#: fictional area with real Bristol records: 0%) get no study area.  Below this share more
#: than 90% of the rows would be rejected, which :func:`rejection_warning` warns about.
STUDY_AREA_MIN_SHARE = 0.10
#: Warn before Finish when this share of the rows (or more) was rejected.
REJECTED_WARN_SHARE = 0.9


def sample_coordinates(frame: pd.DataFrame, choices: dict, crs=None, n: int = 2000):
    """Points (EPSG:27700) of up to ``n`` rows spread evenly through ``frame``.

    Parameters
    ----------
    frame : DataFrame
        Rows as read (text is fine).
    choices : dict
        The wizard's column choices: ``x``/``y`` or ``lon``/``lat`` column names.
    crs : str, optional
        The CRS the user chose for x/y (default EPSG:27700; lon/lat are WGS84).

    Returns
    -------
    ndarray of shapely Points, or None
        None when the rows have no coordinate columns (e.g. postcodes only).
    """
    import shapely
    from pyproj import Transformer

    xcol, ycol, src = choices.get("x"), choices.get("y"), crs or "EPSG:27700"
    if not (xcol and ycol and xcol in frame and ycol in frame):
        xcol, ycol, src = choices.get("lon"), choices.get("lat"), "EPSG:4326"
    if not (xcol and ycol and xcol in frame and ycol in frame):
        return None
    step = max(1, len(frame) // n)
    sub = frame.iloc[::step]
    x = pd.to_numeric(sub[xcol], errors="coerce").to_numpy(float)
    y = pd.to_numeric(sub[ycol], errors="coerce").to_numpy(float)
    ok = np.isfinite(x) & np.isfinite(y) & ~((x == 0) & (y == 0))
    x, y = x[ok], y[ok]
    if src != "EPSG:27700":
        x, y = Transformer.from_crs(src, "EPSG:27700", always_xy=True).transform(x, y)
    return shapely.points(np.asarray(x, float), np.asarray(y, float))


def study_area_shares(points, boundaries: dict) -> dict:
    """Share (0-1) of ``points`` inside each boundary layer (name -> GeoDataFrame).

    Points on an area's edge count as inside, as the loader's study-area
    test does.  An empty sample gives NaN.
    """
    out = {}
    for name, gdf in boundaries.items():
        if points is None or not len(points) or gdf is None or not len(gdf):
            out[name] = float("nan")
            continue
        hit, _ = gdf.sindex.query(points, predicate="intersects")
        out[name] = len(np.unique(hit)) / len(points)
    return out


def rejection_warning(result) -> str | None:
    """Plain words when (nearly) all rows were rejected, naming the main reason; else None."""
    n_r, n_j = result.rows_read, len(result.rejected)
    if n_r == 0:
        return "The file has no data rows: nothing would be imported."
    if n_j < REJECTED_WARN_SHARE * n_r:
        return None
    counts = result.reject_counts()
    top, k = (counts.index[0], int(counts.iloc[0])) if len(counts) else ("", 0)
    what = "All" if n_j == n_r else "Nearly all"
    text = f"{what} rows were rejected ({n_j:,} of {n_r:,})"
    if top:
        text += f", {k:,} of them as '{top}'"
    text += "."
    if top == "outside study area":
        text += (" The records are not inside the chosen study area: go Back and choose "
                 "'everywhere' or the boundary layer they belong to.")
    elif top in ("no coordinates", "zero coordinates", "unparseable coordinate", "outside GB",
                 "in the sea", "swapped axes"):
        text += " Go Back and check which columns hold the coordinates and their CRS."
    return text
