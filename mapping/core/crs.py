"""Checks that a layer's coordinates are in metres before distances are used."""

from __future__ import annotations

from layers.common.errors import AnalysisError

__all__ = ["check_projected", "projected_xy"]


def check_projected(gdf, what: str = "the areas") -> None:
    """Refuse geographic (degree) coordinates, where distances would be nonsense.

    Raises
    ------
    AnalysisError
        If ``gdf.crs`` is geographic, or missing while the coordinates look like degrees.
    """
    crs = getattr(gdf, "crs", None)
    fix = ("reproject to British National Grid (EPSG:27700) first; hotmap's loaders do this "
           "when the file declares its CRS")
    if crs is not None and crs.is_geographic:
        raise AnalysisError(f"{what} are in a geographic CRS ({crs.to_string()}), so "
                            "distances would be in degrees, not metres", fix=fix)
    if crs is None and len(gdf):
        xmin, ymin, xmax, ymax = gdf.total_bounds
        if -180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90:
            raise AnalysisError(f"{what} have no CRS and their coordinates look like "
                                "degrees", fix=fix)


def projected_xy(points, what: str = "the points"):
    """x/y in metres of a point layer (GeoDataFrame or coordinate-only), rows without a
    location dropped; refuses geographic coordinates like :func:`check_projected`.

    Returns
    -------
    (xy, keep) : ((m, 2) float ndarray, (n,) bool ndarray)
        ``keep`` marks the rows that have a location.
    """
    import numpy as np

    from layers.points import is_xy_frame, points_xy

    if not is_xy_frame(points):  # a coordinate-only layer is British National Grid
        check_projected(points, what)
    xy = points_xy(points)
    keep = np.isfinite(xy).all(axis=1)
    return (xy if keep.all() else xy[keep]), keep
