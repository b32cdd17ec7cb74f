"""Checks that a layer's coordinates are in metres before distances are used."""

from __future__ import annotations

from layers.errors import AnalysisError

__all__ = ["check_projected"]


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
