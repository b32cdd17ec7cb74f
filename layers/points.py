"""Coordinates of a record layer, whether it holds shapely points or plain columns.

:func:`layers.records.load_records` returns a GeoDataFrame of points by default,
or with ``geometry=False`` a coordinate-only DataFrame whose British National
Grid coordinates are the columns named in ``attrs["xy_columns"]``.  Analyses
that need only coordinates read both forms through :func:`points_xy`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["is_xy_frame", "points_xy", "as_geodataframe"]


def is_xy_frame(frame) -> bool:
    """True for a coordinate-only layer (``load_records(..., geometry=False)``)."""
    names = getattr(frame, "attrs", {}).get("xy_columns")
    return bool(names) and all(n in frame.columns for n in names) and \
        "geometry" not in frame.columns


def points_xy(frame) -> np.ndarray:
    """(n, 2) float array of the layer's x/y in its CRS, NaN where a row has no point.

    Parameters
    ----------
    frame : GeoDataFrame, GeoSeries, coordinate-only DataFrame or (n, 2) array
        Point geometries, the DataFrame from ``load_records(geometry=False)``, or
        coordinates already extracted.

    Raises
    ------
    TypeError
        For anything else (a plain DataFrame without ``attrs["xy_columns"]``).
    """
    if isinstance(frame, np.ndarray):
        return np.asarray(frame, float).reshape(-1, 2)
    if is_xy_frame(frame):
        xn, yn = frame.attrs["xy_columns"]
        return np.column_stack([frame[xn].to_numpy(float), frame[yn].to_numpy(float)])
    geoms = getattr(frame, "geometry", None)
    if geoms is None:
        raise TypeError("expected point geometries or a coordinate-only layer, got "
                        f"{type(frame).__name__}")
    import shapely

    arr = np.asarray(geoms.values if hasattr(geoms, "values") else geoms)
    return np.column_stack([shapely.get_x(arr), shapely.get_y(arr)])


def as_geodataframe(frame):
    """A GeoDataFrame of points (EPSG:27700) from a coordinate-only layer; others unchanged."""
    if not is_xy_frame(frame):
        return frame
    import geopandas as gpd

    xn, yn = frame.attrs["xy_columns"]
    geom = gpd.points_from_xy(frame[xn].to_numpy(float), frame[yn].to_numpy(float),
                              crs="EPSG:27700")
    out = gpd.GeoDataFrame(frame.drop(columns=[xn, yn]), geometry=geom, crs="EPSG:27700")
    out.attrs.pop("xy_columns", None)
    return out
