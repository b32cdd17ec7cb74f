"""A regular raster surface in British National Grid (e.g. a KDE result), and its cells.

:func:`surface_to_cells` turns a surface into one square polygon per cell, for the
statistics that work on grid cells and for the GeoPackage writer
(:mod:`mapping.export.surface_io`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Surface", "surface_to_cells"]


@dataclass
class Surface:
    """A north-up grid of float values, cells aligned to round coordinates.

    Attributes
    ----------
    values : ndarray, shape (ny, nx), float32
        Row 0 is the *northernmost* row (GeoTIFF order).  ``NaN`` = no data
        (e.g. outside the study area).
    x0, y0 : float
        Easting and northing of the *lower-left* corner of the grid, metres.
    cell_size : float
        Cell width and height in metres.
    crs : str
        Always ``"EPSG:27700"`` in hotmap.
    units : str
        Units of ``values``, e.g. ``"events per km²"``.
    meta : dict
        Method and parameters (kernel, bandwidth, n points, ...).
    """

    values: np.ndarray
    x0: float
    y0: float
    cell_size: float
    crs: str = "EPSG:27700"
    units: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx)."""
        return self.values.shape

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) in metres, as matplotlib's ``imshow`` wants."""
        ny, nx = self.values.shape
        return (self.x0, self.x0 + nx * self.cell_size, self.y0, self.y0 + ny * self.cell_size)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in metres."""
        xmin, xmax, ymin, ymax = self.extent
        return (xmin, ymin, xmax, ymax)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Return 1-D arrays of cell-centre eastings (west→east) and northings (north→south)."""
        ny, nx = self.values.shape
        xs = self.x0 + (np.arange(nx) + 0.5) * self.cell_size
        ys = self.y0 + (ny - np.arange(ny) - 0.5) * self.cell_size
        return xs, ys

    @property
    def cell_area_km2(self) -> float:
        """Area of one cell in km²."""
        return (self.cell_size / 1000.0) ** 2

    def total(self) -> float:
        """Sum of the values × cell area: the number of events for a density in per km²."""
        return float(np.nansum(self.values, dtype=np.float64) * self.cell_area_km2)


def surface_to_cells(surface, value_name: str = "value", drop_nodata: bool = True, extra=None):
    """One square polygon per cell, with its value (and optional extra arrays).

    Parameters
    ----------
    surface : Surface
        The raster.
    value_name : str
        Name of the value column (e.g. ``density``).
    drop_nodata : bool
        Leave out cells that are NaN (outside the study area).
    extra : dict of name -> ndarray (ny, nx), optional
        More per-cell columns (e.g. each layer's contribution).

    Returns
    -------
    GeoDataFrame
        ``cell_id`` (row-major position), ``row`` (0 = north), ``col``, the
        value column, extras, square polygons in the surface's CRS.
    """
    import shapely

    import geopandas as gpd

    ny, nx = surface.shape
    cs = surface.cell_size
    rows, cols = np.mgrid[0:ny, 0:nx]
    vals = np.asarray(surface.values, float).ravel()
    keep = ~np.isnan(vals) if drop_nodata else np.ones(vals.size, bool)
    r, c = rows.ravel()[keep], cols.ravel()[keep]
    xmin = surface.x0 + c * cs
    ymax = surface.y0 + (ny - r) * cs
    geoms = shapely.box(xmin, ymax - cs, xmin + cs, ymax)
    data = {"cell_id": np.flatnonzero(keep), "row": r, "col": c, value_name: vals[keep]}
    for k, arr in (extra or {}).items():
        data[k] = np.asarray(arr, float).ravel()[keep]
    gdf = gpd.GeoDataFrame(data, geometry=geoms, crs=surface.crs)
    gdf.attrs["meta"] = {"units": surface.units, **(surface.meta or {})}
    return gdf
