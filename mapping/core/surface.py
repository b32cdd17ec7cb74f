"""A regular raster surface in British National Grid (e.g. a KDE result)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Surface"]


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
