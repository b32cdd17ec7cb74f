"""Kernel density estimation (KDE) of point events on a grid aligned to round coordinates.

Units
-----
The output is **events per km²**: each event spreads a total of 1 (or its
weight) over the plane with a kernel of unit volume, so away from the edges
``sum(values) * cell_area_km2 ≈ number of events``.  (Events whose kernel
reaches past the boundary lose that part.  ``edge_correction=True`` applies
the uniform edge correction instead, dividing each cell by the share of its
kernel inside the study area; the metadata says which was done.)

Kernels (u = distance / bandwidth, zero for u ≥ 1; normalised in 2-D)
-------------------------------------------------------------------------
``quartic`` (default, also called biweight; as ArcGIS and QGIS)  3/(πh²)·(1−u²)²
``triweight``      4/(πh²)·(1−u²)³
``epanechnikov``   2/(πh²)·(1−u²)
``triangular``     3/(πh²)·(1−u)
``uniform``        1/(πh²)

Defaults
--------
*Cell size*: ArcGIS Kernel Density uses the shorter side of the output
extent divided by 250; sfhotspot's ``hotspot_kde`` sets 50 cells on the
shorter side (rounded when the data are in metres).  hotmap uses ArcGIS's
1/250 (50 cells are coarse at report size), rounded **down** to a round
number (1, 2, 2.5 or 5 × 10ᵏ m) so cell edges fall on round British National
Grid coordinates, and at least 5 m.
*Bandwidth*: ArcGIS uses a spatial variant of Silverman's rule,
``0.9 × min(SD, sqrt(1/ln 2) × Dm) × n^-0.2`` (SD = standard distance,
Dm = median distance to the mean centre); sfhotspot uses
``MASS::bandwidth.nrd`` on the coordinates (a normal-reference rule made
for Gaussian kernels, and sensitive to outlying points).  hotmap uses
ArcGIS's rule — it is the one analysts' other tool reports, it is defined
for a bounded kernel's radius and its median term resists outliers — computed
on the events inside the study area, rounded to 10 m, never below 2 cells.  Both defaults are written to the
metadata; analysts should normally state a bandwidth that matches the
question (e.g. 250 m for street-level drug markets).  A bandwidth smaller
than the cell size triggers a warning (as in sfhotspot): the map would show
single cells.

Computation
-----------
``method="binned"`` (default) runs :func:`mapping.stats.binning.kde_binned`: events
on the same location are collapsed, and when that is affordable every
location is evaluated exactly; otherwise events are linearly binned onto the
cell centres and convolved with the sampled kernel by FFT (Wand & Jones 1995,
ch. 4.2), heavy snap points are evaluated exactly, and the surface is checked
against the exact sum at a sample of cells and refined when needed.
``method="exact"`` evaluates every event's kernel at every cell centre: slow,
but the reference.  **Stated tolerance** (tested on stacked police.uk points
and synthetic stacks): with bandwidth ≥ 4 cells, max |binned − exact| is
within 2.5% of the exact peak for quartic, triweight, epanechnikov and
triangular kernels and 8% for the uniform kernel (its discontinuous edge);
with bandwidth ≥ 10 cells, 0.5% (uniform 2.5%); see :data:`KDE_TOLERANCE`.
Below 4 cells per bandwidth no tolerance is stated and a warning says so.
The metadata (``tolerance``, and the GeoTIFF's tag) say how the surface was
evaluated and the difference found at the cells checked.

Public functions: :func:`hotspot_kde`, :func:`kde_exact`, :func:`kde_grid`,
:func:`default_cell_size`, :func:`default_bandwidth`; registry :data:`KERNELS`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from layers.common.errors import AnalysisError, InputError
from mapping.core.limits import check_grid_size
from mapping.core.surface import Surface
from mapping.stats.binning import (KDE_TOLERANCE, KDE_TOLERANCE_10, edge_mass,  # noqa: F401
                             kde_binned, kde_exact, stated_tolerance)
from mapping.stats.kernels import (KERNELS, MAX_CELLS, GridSpec, default_bandwidth,  # noqa: F401
                             default_cell_size, kde_grid, kernel_density)

__all__ = ["hotspot_kde", "kde_exact", "edge_mass", "kde_grid", "GridSpec", "KERNELS",
           "kernel_density", "default_cell_size", "default_bandwidth", "KDE_TOLERANCE",
           "KDE_TOLERANCE_10", "MAX_CELLS", "stated_tolerance"]


def _points_xy(points, weight):
    """Event coordinates and weights from points (GeoDataFrame, coordinate-only layer)
    or an (n, 2) array; rows without a location are dropped."""
    from layers.points import is_xy_frame

    if hasattr(points, "columns") and not (hasattr(points, "geometry") or is_xy_frame(points)):
        raise InputError("the records have no locations (neither point geometries nor "
                         "coordinate columns)", fix="load them with layers.records.load_records")
    if not (hasattr(points, "geometry") or is_xy_frame(points)):
        xy = np.asarray(points, float).reshape(-1, 2)
        return xy, np.ones(len(xy)) if weight is None else np.asarray(weight, float)
    from mapping.core.crs import projected_xy

    xy, good = projected_xy(points, "the points")
    allgood = bool(good.all())
    if weight is None:
        return xy, np.ones(len(xy))
    if weight not in points.columns:
        raise InputError(f"no weight column '{weight}'", column=weight,
                         fix="choose a numeric column such as quantity")
    import pandas as pd

    w = pd.to_numeric(points[weight], errors="coerce").to_numpy(float)
    w = w if allgood else w[good]
    bad = np.isnan(w) | (w < 0)
    if bad.any():
        warnings.warn(f"{int(bad.sum())} events have a missing or negative "
                      f"'{weight}' and count as 0", UserWarning, stacklevel=3)
        w[bad] = 0.0
    return xy, w


def _period(points) -> str:
    from mapping.core.periods import describe_span

    return describe_span(points["date"]) if hasattr(points, "columns") and \
        "date" in points.columns else ""


def _tolerance_text(info) -> str:
    """What the metadata (and the GeoTIFF tag) say about the accuracy."""
    if info is None:
        return "exact: every event's kernel evaluated at every cell centre"
    if info["evaluation"] != "binned":
        return (f"exact: the {info['exact_points']:,} distinct event locations evaluated at "
                "every cell centre")
    tol = info["tolerance"]
    checked = (f"; checked against the exact sum at {info['checked_cells']} cells: largest "
               f"difference {info['checked_error'] * 100:.2g}% of the peak"
               + (f", grid refined ×{info['refine']}" if info["refine"] > 1 else "")
               + (f", {info['exact_points']:,} heavy snap points evaluated exactly"
                  if info["exact_points"] else ""))
    if tol is None:
        return "binned (linear binning + FFT), below 4 cells per bandwidth: no stated " \
               "tolerance" + checked
    return (f"binned (linear binning + FFT), stated tolerance {tol * 100:g}% of the exact peak "
            f"(bandwidth {info['cells_per_bandwidth']:.3g} cells ≥ "
            f"{'10' if info['cells_per_bandwidth'] >= 10 - 1e-9 else '4'})" + checked)


def hotspot_kde(points, *, cell_size: float | None = None, bandwidth: float | None = None,
                kernel: str = "quartic", weight=None, boundary=None, grid: GridSpec | None = None,
                method: str = "binned", min_bandwidth: float | None = None,
                edge_correction: bool = False):
    """Kernel density of events, in events per km², on a grid aligned to round coordinates.

    Parameters
    ----------
    points : GeoDataFrame of points (projected, metres) or array (n, 2)
    cell_size : float, optional
        Cell size in metres (default: see module notes).
    bandwidth : float, optional
        Kernel radius in metres (default: see module notes).
    kernel : str
        One of :data:`KERNELS` (default ``quartic``).
    weight : str or array, optional
        Column (or array) of event weights, e.g. needle quantity.
    boundary : GeoDataFrame or shapely geometry, optional
        Study area: the grid covers its bounds and cells whose centre is
        outside are NaN (no data).  Events just outside still add density to
        cells inside within the bandwidth (filter them first if unwanted).
    grid : GridSpec, optional
        Use exactly this grid (e.g. to put several layers on one grid).
    method : {"binned", "exact"}
    min_bandwidth : float, optional
        Smallest bandwidth allowed (for disclosure control of sensitive layers).
    edge_correction : bool
        With a ``boundary``: divide the density in each cell by the share of its
        kernel that lies inside the study area (:func:`edge_mass`; the uniform
        correction of Diggle 1985 and Jones 1993, spatstat's default), so cells
        near the boundary are not under-estimated for the area outside that can
        hold no events.  The density then no longer sums to the number of events.
        Off by default; without a boundary there is no edge and it does nothing.

    Returns
    -------
    mapping.core.surface.Surface
        float32, north-up, ``units="events per km²"``, metadata in ``meta``.

    Raises
    ------
    AnalysisError
        Unknown kernel, non-positive sizes, bandwidth below ``min_bandwidth``.
    """
    if kernel not in KERNELS:
        raise AnalysisError(f"unknown kernel '{kernel}'", fix=f"use one of: {', '.join(KERNELS)}")
    xy, w = _points_xy(points, weight)
    notes = []
    bgeom = None
    if boundary is not None:
        bgeom = boundary.union_all() if hasattr(boundary, "union_all") else boundary
    grid, cell_size, bandwidth = _grid_and_bandwidth(xy, w, bgeom, grid, cell_size, bandwidth,
                                                     min_bandwidth, notes)
    dens, info = _density(xy, w, grid, bandwidth, kernel, method, notes)
    dens, edge = _to_study_area(dens * 1e6, grid, bgeom, bandwidth, kernel, edge_correction,
                                notes)  # per m² -> per km²
    values = np.ascontiguousarray(dens[::-1]).astype(np.float32)
    cell_km2 = (cell_size / 1000) ** 2
    total = float(np.nansum(values, dtype=np.float64) * cell_km2)
    meta = {
        "method": f"kernel density, {kernel} kernel, "
                  f"{'linear binning + FFT convolution' if method == 'binned' else 'exact'}",
        "units": "events per km²",
        "kernel": kernel, "bandwidth_m": float(bandwidth), "cell_size_m": float(cell_size),
        "weight": weight if isinstance(weight, str) else (None if weight is None else "array"),
        "base_n": int(len(xy)), "weighted_total": float(w.sum()),
        "density_total": total,
        "tolerance": _tolerance_text(info),
        "evaluation": info["evaluation"] if info else "exact",
        "edge_correction": edge,
        "period": _period(points),
        "notes": notes,
    }
    return Surface(values=values, x0=grid.x0, y0=grid.y0, cell_size=float(cell_size),
                   crs="EPSG:27700", units="events per km²", meta=meta)


def _grid_and_bandwidth(xy, w, bgeom, grid, cell_size, bandwidth, min_bandwidth, notes):
    """The grid, cell size and bandwidth: the caller's, else the defaults (noted), checked
    against the minimum bandwidth and the memory the grid would take.

    Returns
    -------
    (GridSpec, float, float)
    """
    bbox = None
    if bgeom is not None:
        bbox = bgeom.bounds
    elif len(xy):
        bbox = (xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max())
    if grid is not None:
        cell_size = grid.cell_size
    if cell_size is None:
        if bbox is None:
            raise AnalysisError("no points and no boundary, so no grid",
                                fix="give --cell-size and a boundary")
        cell_size = default_cell_size(bbox)
        notes.append(f"default cell size {cell_size:g} m (shorter side / 250, rounded down)")
    if bandwidth is None:
        inb = np.ones(len(xy), bool)
        if bbox is not None:
            inb = ((xy[:, 0] >= bbox[0]) & (xy[:, 0] <= bbox[2]) & (xy[:, 1] >= bbox[1])
                   & (xy[:, 1] <= bbox[3]))
        bandwidth = default_bandwidth(xy[inb], w[inb], cell_size)
        notes.append(f"default bandwidth {bandwidth:g} m (ArcGIS spatial Silverman rule)")
    if not (cell_size > 0 and bandwidth > 0):
        raise AnalysisError("cell size and bandwidth must be positive metres")
    if min_bandwidth is not None and bandwidth < min_bandwidth:
        raise AnalysisError(f"bandwidth {bandwidth:g} m is below the minimum {min_bandwidth:g} m "
                            "set for this layer (disclosure control)",
                            fix=f"use a bandwidth of at least {min_bandwidth:g} m")
    if bandwidth < cell_size:
        msg = (f"bandwidth {bandwidth:g} m is smaller than the cell size {cell_size:g} m: "
               "the surface shows single cells, not a smooth density")
        warnings.warn(msg, UserWarning, stacklevel=3)
        notes.append(msg)
    if grid is None:
        if bbox is None:
            raise AnalysisError("no points and no boundary, so no grid")
        grid = kde_grid(bbox, cell_size, pad=0 if bgeom is not None else bandwidth)
    # refuse a grid that would not fit in memory (with the FFT's kernel padding), before
    # anything is allocated: also covers a GridSpec the caller passed in
    r = int(math.ceil(bandwidth / grid.cell_size))
    check_grid_size(grid.nx + 4 * r + 3, grid.ny + 4 * r + 3, bytes_per_cell=64,
                    cell_size=grid.cell_size, what="KDE grid (with kernel padding)")
    return grid, cell_size, bandwidth


def _density(xy, w, grid, bandwidth, kernel, method, notes):
    """The density per m² (south-up) by the binned or exact method, and the binned
    method's accuracy record (None for exact); a doubtful accuracy is warned and noted."""
    cells_per_bw = bandwidth / grid.cell_size
    info = None
    if method == "binned":
        dens, info = kde_binned(xy, w, grid, bandwidth, kernel)
        if info["tolerance"] is None:
            msg = (f"bandwidth {bandwidth:g} m is {cells_per_bw:.1f} cells of {grid.cell_size:g} "
                   "m: below 4 cells per bandwidth the binned surface has no stated accuracy "
                   "(use smaller cells, a larger bandwidth or the exact method)")
            warnings.warn(msg, UserWarning, stacklevel=3)
            notes.append(msg)
        elif info["checked_error"] > 0.5 * info["tolerance"]:
            msg = (f"the binned surface differs from the exact one by up to "
                   f"{info['checked_error']:.1%} of the peak at the cells checked, so it may "
                   f"not be within the stated {info['tolerance'] * 100:g}% everywhere: use the "
                   "exact method, or smaller cells")
            warnings.warn(msg, UserWarning, stacklevel=3)
            notes.append(msg)
    elif method == "exact":
        dens = kde_exact(xy, grid, bandwidth, kernel, w)
    else:
        raise AnalysisError(f"unknown KDE method '{method}'", fix="use binned or exact")
    return dens, info


def _to_study_area(dens, grid, bgeom, bandwidth, kernel, edge_correction, notes):
    """Cells outside the study area set to NaN, edge-corrected when asked; returns the
    density and the edge correction's description."""
    edge = "none"
    if bgeom is not None:
        inside = grid.inside(bgeom)
        if edge_correction:
            mass = edge_mass(inside, grid.cell_size, bandwidth, kernel)
            dens = np.where(inside, dens / np.where(inside, mass, 1.0), dens)
            edge = ("uniform: each cell divided by the share of its kernel inside the study "
                    "area (Diggle 1985; Jones 1993)")
            notes.append(f"edge correction: cells within {bandwidth:g} m of the boundary "
                         f"raised by up to ×{1 / mass[inside].min():.1f}; the density no "
                         "longer sums to the number of events")
        dens = np.where(inside, dens, np.nan)
    elif edge_correction:
        notes.append("edge correction asked for, but with no boundary the grid holds every "
                     "event's whole kernel: nothing to correct")
    return dens, edge
