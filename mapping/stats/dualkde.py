"""Risk-adjusted density: a dual KDE of events over residents (events per 10,000 people).

A kernel density of events shows where events are; where people live
accounts for much of that.  The dual KDE divides the event density by a
**population density made the same way** (same kernel, bandwidth and grid,
CrimeStat's "dual kernel density" and sfhotspot's ``hotspot_dual_kde``),
so each cell shows events per 10,000 residents within about a bandwidth.

The population surface is built from areas' populations (census counts per
LSOA or output area) by one of:

* ``spread="uniform"`` (default): each area's population is spread evenly
  over its land (sampled on a sub-grid of ``cell_size / subsample`` metres,
  each sample carrying its area's population / samples), then smoothed with
  the kernel;
* ``spread="points"``: population-weighted points (e.g. output-area
  population-weighted centroids) with a population column, smoothed with
  the kernel.

Both surfaces are :func:`mapping.stats.kde.hotspot_kde` results on one grid.
**Guard against tiny populations**: where the population density × the
kernel's area (π h²) is below ``min_population`` residents the rate is not
shown (NaN): a park or an industrial estate with a handful of residents
would otherwise give huge, meaningless rates.

References: Levine N (2013) CrimeStat IV, ch. 10 (dual kernel estimates);
Hoppe L, Gerell M (2019) sfhotspot; Kelsall JE, Diggle PJ (1995) Kernel
estimation of relative risk. *Bernoulli* 1:3-16.

Public functions: :func:`dual_kde`, :func:`population_surface`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers.common.errors import AnalysisError

__all__ = ["dual_kde", "population_surface", "DualKDEResult", "MAX_SAMPLES"]

#: Population sample points held at most (the sub-grid coarsens to keep below it).
MAX_SAMPLES = 3_000_000


@dataclass
class DualKDEResult:
    """Rate surface with the two surfaces it was made from.

    Attributes
    ----------
    rate : Surface
        Events per ``per`` residents (NaN outside the study area and where the
        population is below the guard).
    events, population : Surface
        Events per km² and residents per km².
    meta : dict
    """

    rate: object
    events: object
    population: object
    meta: dict = field(default_factory=dict)


def _uniform_samples(areas, pop, spacing):
    """Sample points on a sub-grid inside each area, each carrying pop / samples."""
    import shapely

    from mapping.stats.rates import assign_points

    xmin, ymin, xmax, ymax = areas.total_bounds
    xs = np.arange(math.floor(xmin / spacing) * spacing + spacing / 2, xmax, spacing)
    ys = np.arange(math.floor(ymin / spacing) * spacing + spacing / 2, ymax, spacing)
    gx, gy = np.meshgrid(xs, ys)
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    pos = assign_points(areas, xy, distinct=True)  # a regular grid: no place twice
    inside = pos >= 0
    xy, pos = xy[inside], pos[inside]
    n_per = np.bincount(pos, minlength=len(areas))
    w = pop[pos] / n_per[pos]
    empty = np.flatnonzero((n_per == 0) & (pop > 0))  # slivers smaller than a sample cell
    if len(empty):
        rp = shapely.point_on_surface(np.asarray(areas.geometry.values)[empty])
        xy = np.vstack([xy, shapely.get_coordinates(rp)])
        w = np.r_[w, pop[empty]]
    return xy, w, len(empty)


def population_surface(areas, *, population: str = "population", grid, bandwidth: float,
                       kernel: str = "quartic", boundary=None, spread: str = "uniform",
                       points=None, point_population: str = "population",
                       subsample: int = 4):
    """Residents per km² on ``grid``, smoothed with the same kernel as the events.

    Parameters
    ----------
    areas : GeoDataFrame
        Areas with a ``population`` column (used for ``spread="uniform"``).
    population : str
        Population column of the areas.
    grid : GridSpec
        The event KDE's grid.
    bandwidth, kernel
        As the event KDE.
    boundary : GeoDataFrame, optional
        Study area mask.
    spread : {"uniform", "points"}
        See the module notes.
    points : GeoDataFrame, optional
        Population-weighted points (``spread="points"``) with ``point_population``.
    subsample : int
        Sub-grid samples per cell side for the uniform spread (default 4).

    Returns
    -------
    (Surface, dict)
        The surface and notes (``total_population``, ``slivers``).
    """
    from mapping.stats.kde import hotspot_kde

    if spread == "uniform":
        if population not in areas.columns:
            raise AnalysisError(f"the areas have no population column '{population}'",
                                column=population, fix="join a population table to the areas")
        pop = pd.to_numeric(areas[population], errors="coerce").fillna(0).to_numpy(float)
        if (pop < 0).any():
            raise AnalysisError("some populations are negative", column=population)
        spacing = grid.cell_size / max(1, int(subsample))
        total_km2 = float(areas.geometry.area.sum()) / 1e6
        spacing = max(spacing, math.sqrt(total_km2 * 1e6 / MAX_SAMPLES))
        xy, w, slivers = _uniform_samples(areas, pop, spacing)
        info = {"total_population": float(pop.sum()), "slivers": slivers,
                "sample_spacing_m": spacing}
    elif spread == "points":
        if points is None or point_population not in points.columns:
            raise AnalysisError("spread 'points' needs population-weighted points with a "
                                f"'{point_population}' column",
                                fix="give points (e.g. output-area centroids) or use uniform")
        from mapping.core.crs import projected_xy

        xy, keep = projected_xy(points, "the population points")
        w = pd.to_numeric(points[point_population], errors="coerce").fillna(0).to_numpy(float)[keep]
        info = {"total_population": float(w.sum()), "slivers": 0}
    else:
        raise AnalysisError(f"unknown population spread '{spread}'", fix="use uniform or points")
    surf = hotspot_kde(xy, bandwidth=bandwidth, kernel=kernel, weight=w, boundary=boundary,
                       grid=grid)
    surf.units = "residents per km²"
    surf.meta["units"] = "residents per km²"
    return surf, info


def dual_kde(points, areas, *, population: str = "population", cell_size: float,
             bandwidth: float, kernel: str = "quartic", boundary=None, weight=None,
             spread: str = "uniform", population_points=None,
             point_population: str = "population", per: float = 10_000.0,
             min_population: float = 100.0, subsample: int = 4) -> DualKDEResult:
    """Events per ``per`` residents: event KDE / population KDE on one grid.

    Parameters
    ----------
    points : GeoDataFrame or coordinate-only layer
        Events (projected CRS).
    areas : GeoDataFrame
        Areas with a population column; also the default study area.
    population : str
        Population column of ``areas``.
    cell_size, bandwidth : float
        Metres; the same for both surfaces.
    kernel : str
        Kernel of both surfaces (default quartic).
    boundary : GeoDataFrame, optional
        Study area (default: the areas).
    weight : str, optional
        Event weight column.
    spread : {"uniform", "points"}
        How the population surface is made (module notes).
    population_points, point_population : optional
        Population-weighted points and their population column (``spread="points"``).
    per : float
        Rate per this many residents (default 10,000).
    min_population : float
        Residents within the kernel's area below which the rate is not shown.
    subsample : int
        Sub-grid samples per cell side for the uniform spread.

    Returns
    -------
    DualKDEResult
    """
    from mapping.stats.kde import hotspot_kde, kde_grid
    from mapping.core.surface import Surface

    if not (cell_size and bandwidth and cell_size > 0 and bandwidth > 0):
        raise AnalysisError("the dual KDE needs a positive cell size and bandwidth (metres)",
                            fix="e.g. cell_size = 50, bandwidth = 400")
    bnd = areas if boundary is None else boundary
    bgeom = bnd.union_all() if hasattr(bnd, "union_all") else bnd
    grid = kde_grid(bgeom.bounds, cell_size)
    ev = hotspot_kde(points, bandwidth=bandwidth, kernel=kernel, weight=weight, boundary=bnd,
                     grid=grid)
    pop, info = population_surface(areas, population=population, grid=grid,
                                   bandwidth=bandwidth, kernel=kernel, boundary=bnd,
                                   spread=spread, points=population_points,
                                   point_population=point_population, subsample=subsample)
    e = ev.values.astype(np.float64)
    p = pop.values.astype(np.float64)
    window_km2 = math.pi * bandwidth ** 2 / 1e6
    low = ~(p * window_km2 >= min_population)  # NaN counts as low
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(low, np.nan, e / p * per)
    inside = np.isfinite(e)
    n_low = int((low & inside).sum())
    notes = [f"{n_low:,} of {int(inside.sum()):,} cells have fewer than {min_population:g} "
             f"residents within {bandwidth:g} m and show no rate"] if n_low else []
    if info.get("slivers"):
        notes.append(f"{info['slivers']} areas smaller than a sample cell placed at one point")
    meta = {
        "title": f"Events per {per:,.0f} residents (dual kernel density)",
        "method": (f"dual KDE: event density / population density ({kernel} kernel, bandwidth "
                   f"{bandwidth:g} m, {cell_size:g} m cells, one grid); population "
                   + ("spread evenly over each area" if spread == "uniform"
                      else "at population-weighted points")
                   + f"; cells with fewer than {min_population:g} residents within the "
                     "bandwidth not shown"),
        "units": f"events per {per:,.0f} residents",
        "kernel": kernel, "bandwidth_m": float(bandwidth), "cell_size_m": float(cell_size),
        "base_n": ev.meta["base_n"], "population": info["total_population"],
        "params": {"kernel": kernel, "bandwidth_m": float(bandwidth),
                   "cell_size_m": float(cell_size), "spread": spread, "per": per,
                   "min_population": min_population, "population": population},
        "period": ev.meta.get("period", ""),
        "references": ["Levine N (2013) CrimeStat IV, ch. 10 (dual kernel density)",
                       "Kelsall JE, Diggle PJ (1995) Bernoulli 1:3-16"],
        "notes": notes,
    }
    surf = Surface(values=rate.astype(np.float32), x0=ev.x0, y0=ev.y0, cell_size=ev.cell_size,
                   crs=ev.crs, units=meta["units"], meta=meta)
    return DualKDEResult(rate=surf, events=ev, population=pop, meta=meta)
