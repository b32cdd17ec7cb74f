"""How well a hotspot map predicts later events: hit rate, PAI and RRI.

Given a hotspot surface made from one period's events and the events of a
later period, the *hotspot area* is the top ``top_percent`` (default 3%, as
in Chainey, Tompson & Uhlig 2008) of the study area's cells by value.
Counting the later events:

* **hit rate** = n / N — the share of later events inside the hotspot area,
  with 95% Wilson score limits (``hit_rate_lcl``, ``hit_rate_ucl``);
* **PAI** (Chainey et al. 2008, after Chainey & Ratcliffe) = (n/N) / (a/A),
  where a is the hotspot area and A the study area (cells with data);
* **RRI**, the recapture rate index (Levine 2008) = (n₂/n₁) / (N₂/N₁): the
  change in events inside the hotspot area relative to the change overall,
  with n₁, N₁ from the period the hotspot was made from (``earlier``) and
  n₂, N₂ from the later period.

The **study area** A is the surface's cells with data (a KDE made with a
boundary masks the cells outside it), further limited to the cells whose
centre lies in ``boundary`` when one is given.  A surface without a mask and
no boundary would make A the whole grid rectangle, padding included, which
inflates PAI: that case warns, and the result's ``study_area`` always says
which A was used.  Later events outside the study area (NaN cells or off the
grid) are left out of N and reported.  Ties at the threshold are broken by cell order
(row-major from the north-west), so the hotspot area is exactly
``ceil(top_percent% × cells)`` cells.

Public functions: :func:`pai_surface`, :func:`pai_areas`.
"""

from __future__ import annotations

import math

import numpy as np

from layers.common.errors import AnalysisError

__all__ = ["pai_surface", "pai_areas"]


def _wilson(n, total):
    """95% Wilson score limits of the hit rate (NaN when there are no events)."""
    if not total:
        return float("nan"), float("nan")
    from mapping.stats.rates import wilson_ci

    lo, hi = wilson_ci(n, total)
    return float(lo), float(hi)


def _cell_index(surface, points, study):
    import shapely

    xy = shapely.get_coordinates(np.asarray(points.geometry.values)) if hasattr(
        points, "geometry") else np.asarray(points, float).reshape(-1, 2)
    ny, nx = surface.shape
    cs = surface.cell_size
    col = np.floor((xy[:, 0] - surface.x0) / cs).astype(np.int64)
    row = ny - 1 - np.floor((xy[:, 1] - surface.y0) / cs).astype(np.int64)
    ok = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
    flat = np.full(len(xy), -1, np.int64)
    flat[ok] = row[ok] * nx + col[ok]
    flat[(flat >= 0) & ~study[np.maximum(flat, 0)]] = -1
    return flat


def _study_cells(surface, boundary):
    """Valid cells (flat, north-up) of the study area and the words for it."""
    vals = surface.values.ravel().astype(np.float64)
    ok = ~np.isnan(vals)
    masked = not ok.all()
    if boundary is not None:
        from mapping.stats.kernels import GridSpec

        ny, nx = surface.shape
        g = GridSpec(surface.x0, surface.y0, nx, ny, surface.cell_size)
        ok &= g.inside(boundary)[::-1].ravel()
        return ok, "the boundary given (cells whose centre is inside)"
    if masked:
        return ok, "the surface's cells with data (its boundary mask)"
    import warnings

    km2 = ok.sum() * (surface.cell_size / 1000) ** 2
    msg = (f"no study area: PAI uses the whole grid rectangle ({km2:,.1f} km², padding "
           "included) as A, which inflates it; give the boundary of the study area")
    warnings.warn(msg, UserWarning, stacklevel=3)
    return ok, "the whole grid rectangle (no boundary given)"


def pai_surface(surface, later, *, top_percent: float = 3.0, earlier=None,
                boundary=None) -> dict:
    """Hit rate, PAI and (with ``earlier``) RRI of a hotspot surface.

    Parameters
    ----------
    surface : Surface
        Hotspot surface (e.g. KDE) from the earlier period; NaN = outside.
    later : GeoDataFrame of points or array (n, 2)
        Events of the later period.
    top_percent : float
        Share of the study area's cells taken as the hotspot area (default 3).
    earlier : GeoDataFrame or array, optional
        Events the surface was made from (for RRI).
    boundary : GeoDataFrame or shapely geometry, optional
        The study area; recommended unless the surface is already masked to it.

    Returns
    -------
    dict
        ``study_area`` (which A was used), ``top_percent``, ``hot_cells``, ``cells``,
        ``hot_km2`` (a), ``study_km2`` (A),
        ``n_hot`` (n), ``n_total`` (N), ``hit_rate``, ``pai``, ``threshold`` (lowest
        value in the hotspot area), ``outside`` (later events outside the study
        area), and with ``earlier`` ``n1_hot``, ``n1_total``, ``rri``; plus ``method``.
    """
    if not 0 < top_percent <= 100:
        raise AnalysisError(f"top percent {top_percent} must be in (0, 100]", fix="e.g. 3")
    vals = surface.values.ravel().astype(np.float64)
    ok, study = _study_cells(surface, boundary)
    valid = np.flatnonzero(ok)
    if not len(valid):
        raise AnalysisError("the surface has no cells with data in the study area",
                            fix="check the boundary overlaps the surface")
    vals = np.where(ok, vals, np.nan)
    k = max(1, math.ceil(top_percent / 100 * len(valid)))
    order = valid[np.argsort(-vals[valid], kind="mergesort")]
    hot = np.zeros(vals.size, bool)
    hot[order[:k]] = True
    cell_km2 = (surface.cell_size / 1000) ** 2
    flat = _cell_index(surface, later, ok)
    inside = flat >= 0
    n_all = int(inside.sum())
    n_hot = int(hot[flat[inside]].sum())
    a, big_a = k * cell_km2, len(valid) * cell_km2
    hit = n_hot / n_all if n_all else float("nan")
    lo, hi = _wilson(n_hot, n_all)
    out = {"study_area": study, "top_percent": top_percent, "hot_cells": k, "cells": int(len(valid)),
           "hot_km2": a, "study_km2": big_a, "n_hot": n_hot, "n_total": n_all, "hit_rate": hit,
           "hit_rate_lcl": lo, "hit_rate_ucl": hi,
           "pai": hit / (a / big_a) if n_all else float("nan"),
           "threshold": float(vals[order[k - 1]]), "outside": int((~inside).sum()),
           "method": f"top {top_percent:g}% of cells by value; PAI = (n/N)/(a/A) "
                     "(Chainey, Tompson & Uhlig 2008)"}
    if earlier is not None:
        f1 = _cell_index(surface, earlier, ok)
        in1 = f1 >= 0
        n1, big_n1 = int(hot[f1[in1]].sum()), int(in1.sum())
        out.update(n1_hot=n1, n1_total=big_n1)
        out["rri"] = ((n_hot / n1) / (n_all / big_n1)) if n1 and big_n1 and n_all else \
            float("nan")
        out["method"] += "; RRI = (n2/n1)/(N2/N1) (Levine 2008)"
    return out


def pai_areas(areas, hot, later, *, earlier=None) -> dict:
    """Hit rate, PAI and RRI for hotspot *areas* (e.g. Gi* hot spots).

    Parameters
    ----------
    areas : GeoDataFrame
        Study-area polygons (projected).
    hot : bool array or column name
        Which areas are the hotspot.
    later, earlier : GeoDataFrame of points
    """
    from mapping.stats.rates import assign_points

    hot = np.asarray(areas[hot] if isinstance(hot, str) else hot, bool)
    if not hot.any():
        raise AnalysisError("no area is marked as a hotspot, so PAI is undefined",
                            fix="check the hotspot column or lower the significance level")
    area_km2 = areas.geometry.area.to_numpy() / 1e6
    pos = assign_points(areas, later)
    inside = pos >= 0
    n_all, n_hot = int(inside.sum()), int(hot[pos[inside]].sum())
    a, big_a = float(area_km2[hot].sum()), float(area_km2.sum())
    hit = n_hot / n_all if n_all else float("nan")
    lo, hi = _wilson(n_hot, n_all)
    out = {"hot_areas": int(hot.sum()), "areas": len(areas), "hot_km2": a, "study_km2": big_a,
           "n_hot": n_hot, "n_total": n_all, "hit_rate": hit, "hit_rate_lcl": lo,
           "hit_rate_ucl": hi, "pai": hit / (a / big_a),
           "outside": int((~inside).sum()),
           "method": "hotspot areas; PAI = (n/N)/(a/A) (Chainey, Tompson & Uhlig 2008)"}
    if earlier is not None:
        p1 = assign_points(areas, earlier)
        in1 = p1 >= 0
        n1, big_n1 = int(hot[p1[in1]].sum()), int(in1.sum())
        out.update(n1_hot=n1, n1_total=big_n1, rri=((n_hot / n1) / (n_all / big_n1))
                   if n1 and n_all else float("nan"))
    return out
