"""Kernels, grids and default parameters of kernel density estimation.

The definitions behind :mod:`mapping.stats.kde` (which re-exports them): the kernel
profiles in :data:`KERNELS`, :func:`kernel_density`, the grid :class:`GridSpec`
aligned to round coordinates (:func:`kde_grid`), and the documented defaults
:func:`default_cell_size` and :func:`default_bandwidth` (see :mod:`mapping.stats.kde`
for the rules and why they were chosen).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from layers.common.errors import AnalysisError, ResourceLimitError

__all__ = ["KERNELS", "kernel_density", "GridSpec", "kde_grid", "default_cell_size",
           "default_bandwidth", "grid_counts", "MAX_CELLS"]

#: Largest grid :func:`kde_grid` builds (cells); bigger ones are refused with a fix.
MAX_CELLS = 60_000_000


def _quartic(u):
    return 3.0 / math.pi * (1 - u * u) ** 2


def _triweight(u):
    return 4.0 / math.pi * (1 - u * u) ** 3


def _epanechnikov(u):
    return 2.0 / math.pi * (1 - u * u)


def _triangular(u):
    return 3.0 / math.pi * (1 - u)


def _uniform(u):
    return np.full_like(u, 1.0 / math.pi)


#: Kernel profiles g(u) for u in [0, 1); density = g(d/h) / h² per m².
KERNELS = {"quartic": _quartic, "triangular": _triangular, "uniform": _uniform,
           "epanechnikov": _epanechnikov, "triweight": _triweight}


def kernel_density(distance, bandwidth: float, kernel: str = "quartic"):
    """Density (per m²) at ``distance`` metres from one event of weight 1."""
    u = np.asarray(distance, float) / bandwidth
    inside = u < 1
    out = np.zeros_like(u)
    out[inside] = KERNELS[kernel](u[inside]) / bandwidth ** 2
    return out


@dataclass(frozen=True)
class GridSpec:
    """A grid: lower-left corner (x0, y0), shape (ny, nx) and cell size, all metres."""

    x0: float
    y0: float
    nx: int
    ny: int
    cell_size: float

    def centres(self):
        """Cell-centre eastings (west→east) and northings (*south→north*)."""
        xs = self.x0 + (np.arange(self.nx) + 0.5) * self.cell_size
        ys = self.y0 + (np.arange(self.ny) + 0.5) * self.cell_size
        return xs, ys

    def inside(self, area) -> np.ndarray:
        """Boolean (ny, nx) mask, row 0 *south*: True where a cell centre lies in ``area``.

        ``area`` is a shapely geometry or a GeoDataFrame/GeoSeries (its union).
        """
        import shapely

        geom = area.union_all() if hasattr(area, "union_all") else area
        shapely.prepare(geom)
        xs, ys = self.centres()
        gx, gy = np.meshgrid(xs, ys)
        return shapely.contains_xy(geom, gx, gy)


def _nice_down(v: float) -> float:
    e = 10 ** math.floor(math.log10(v))
    for m in (5, 2.5, 2, 1):
        if m * e <= v:
            return m * e
    return e


def default_cell_size(bounds) -> float:
    """Shorter side of ``bounds`` / 250, rounded down to 1, 2, 2.5 or 5 × 10ᵏ m, ≥ 5 m."""
    xmin, ymin, xmax, ymax = bounds
    short = min(xmax - xmin, ymax - ymin)
    if not short > 0:
        return 25.0
    return max(5.0, _nice_down(short / 250))


def default_bandwidth(xy, weights=None, cell_size: float | None = None) -> float:
    """ArcGIS's spatial Silverman rule, rounded to 10 m and at least 2 cells.

    ``0.9 × min(SD, sqrt(1/ln 2) × Dm) × n^-0.2`` with SD the (weighted)
    standard distance and Dm the (weighted) median distance to the mean centre.
    """
    xy = np.asarray(xy, float)
    w = np.ones(len(xy)) if weights is None else np.asarray(weights, float)
    n = w.sum()
    if len(xy) < 2 or not n > 0:
        raise AnalysisError("a default bandwidth needs at least 2 points",
                            fix="give --bandwidth in metres")
    centre = (xy * w[:, None]).sum(0) / n
    d2 = ((xy - centre) ** 2).sum(1)
    sd = math.sqrt((w * d2).sum() / n)
    d = np.sqrt(d2)
    order = np.argsort(d)
    cw = np.cumsum(w[order])
    dm = d[order][np.searchsorted(cw, n / 2)]
    h = 0.9 * min(sd, math.sqrt(1 / math.log(2)) * dm) * n ** -0.2
    h = max(10.0, round(h / 10) * 10)
    if cell_size:
        h = max(h, 2 * cell_size)
    return float(h)


def kde_grid(bounds, cell_size: float, pad: float = 0.0) -> GridSpec:
    """Grid covering ``bounds`` (+ ``pad``) with edges on multiples of ``cell_size``."""
    xmin, ymin, xmax, ymax = bounds
    cs = float(cell_size)
    x0 = math.floor((xmin - pad) / cs) * cs
    y0 = math.floor((ymin - pad) / cs) * cs
    nx = max(1, math.ceil((xmax + pad) / cs - x0 / cs - 1e-9))
    ny = max(1, math.ceil((ymax + pad) / cs - y0 / cs - 1e-9))
    if nx * ny > MAX_CELLS:
        raise ResourceLimitError(f"the grid would have {nx * ny:,} cells ({nx}×{ny})",
                                 fix="use a larger cell size or a smaller study area")
    return GridSpec(x0, y0, nx, ny, cs)


def grid_counts(points, cell_size: float, boundary=None, *, xy=None):
    """Count points in square cells aligned to multiples of ``cell_size``.

    Parameters
    ----------
    points : GeoDataFrame or coordinate-only layer (see :mod:`layers.points`)
    cell_size : float
        Cell width in metres.
    boundary : GeoDataFrame or geometry, optional
        Study area: the grid covers its bounds and only cells whose centre is
        inside are *valid*.  Without it the grid covers the points.
    xy : ndarray, optional
        The points' (n, 2) coordinates when already extracted (rows of
        ``points`` without a location must have been dropped).

    Returns
    -------
    (GridSpec, valid, counts, xy)
        ``valid`` and ``counts`` are (ny, nx) and **north-up** (row 0 north);
        ``xy`` are the coordinates counted.
    """
    if xy is None:
        from mapping.core.crs import projected_xy

        xy, _ = projected_xy(points, "the points")
    if boundary is not None:
        bbox = boundary.total_bounds if hasattr(boundary, "total_bounds") else boundary.bounds
    elif len(xy):
        bbox = (*xy.min(0), *xy.max(0))
    else:
        raise AnalysisError("no points and no boundary, so no grid")
    g = kde_grid(bbox, cell_size)
    valid = np.ones((g.ny, g.nx), bool) if boundary is None else g.inside(boundary)[::-1]
    # by partitions of points (mapping.stats.engine: here or on dask workers), counts added
    from mapping.stats.engine import partition_sum

    counts = partition_sum(_cell_counts, g, np.asarray(xy, float))[::-1]
    return g, valid, counts, xy


def _cell_counts(g, part):
    """Points of ``part`` per cell of ``g`` (south-up)."""
    (xy,) = part
    cs = g.cell_size
    return np.histogram2d(xy[:, 1], xy[:, 0], bins=[g.ny, g.nx],
                          range=[[g.y0, g.y0 + g.ny * cs], [g.x0, g.x0 + g.nx * cs]])[0]
