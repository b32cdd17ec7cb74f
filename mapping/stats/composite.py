"""Composite hotspots: several layers' densities combined on one grid.

The Home Office drug-market audit guidance asks for "composite GIS hotspot
maps" that put non-offence data (needle finds, crack-house closures,
service contacts) beside police data.  hotmap:

1. computes each layer's KDE on **one shared grid** (same origin, cell size,
   mask) — :func:`composite_layers`; or takes surfaces already on one grid;
2. **normalises** each surface so layers with very different volumes can be
   combined (``normalise``):

   * ``max`` (default): divide by the layer's highest cell, so each layer
     ranges 0–1 and its peak counts as much as any other layer's peak;
   * ``percentile``: each cell's percentile rank (0–1) among the study
     area's cells with a non-zero density (zeros stay 0) — robust to a
     single extreme cell;
   * ``zscore``: (value − mean) / s.d. over the study area, then negative
     values set to 0;

3. combines them as a **weighted mean** with the user's weights (default
   equal): ``composite = Σ wₖ·normₖ / Σ wₖ`` (0–1 for ``max`` and ``percentile``);
4. reports each layer's **contribution** in every cell,
   ``share_k = wₖ·normₖ / Σⱼ wⱼ·normⱼ`` (shares sum to 1 where the composite is > 0).

Public functions: :func:`composite_surfaces`, :func:`composite_layers`;
registry :data:`NORMALISERS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from layers.common.errors import AnalysisError
from mapping.core.surface import Surface, surface_to_cells

__all__ = ["composite_surfaces", "composite_layers", "CompositeResult", "NORMALISERS"]


def _norm_max(v):
    m = np.nanmax(v) if np.isfinite(v).any() else 0.0
    return v / m if m > 0 else np.zeros_like(v)


def _norm_percentile(v):
    out = np.where(np.isnan(v), np.nan, 0.0)
    pos = np.isfinite(v) & (v > 0)
    if pos.any():
        from scipy.stats import rankdata

        out[pos] = rankdata(v[pos], method="average") / pos.sum()
    return out


def _norm_zscore(v):
    mu, sd = np.nanmean(v), np.nanstd(v)
    if not sd > 0:
        return np.zeros_like(v)
    return np.maximum((v - mu) / sd, 0.0)


#: Normalisation methods by name (see module notes).
NORMALISERS = {"max": _norm_max, "percentile": _norm_percentile, "zscore": _norm_zscore}


@dataclass
class CompositeResult:
    """The composite surface, each layer's normalised surface and its share per cell."""

    surface: object
    normalised: dict = field(default_factory=dict)
    contributions: dict = field(default_factory=dict)

    def to_cells(self):
        """Grid cells with ``composite``, ``<layer>_norm`` and ``<layer>_share`` columns."""
        extra = {f"{k}_norm": v for k, v in self.normalised.items()}
        extra.update({f"{k}_share": v for k, v in self.contributions.items()})
        cells = surface_to_cells(self.surface, "composite", extra=extra)
        cells.attrs["meta"] = dict(self.surface.meta)
        return cells


def composite_surfaces(surfaces: dict, *, weights: dict | None = None,
                       normalise: str = "max") -> CompositeResult:
    """Combine surfaces already on one grid.

    Parameters
    ----------
    surfaces : dict of name -> Surface
        At least two, on the same grid.
    weights : dict of name -> float, optional
        Non-negative user weights (default 1 each).
    normalise : {"max", "percentile", "zscore"}

    Returns
    -------
    CompositeResult
    """
    if len(surfaces) < 2:
        raise AnalysisError("a composite needs at least two layers")
    if normalise not in NORMALISERS:
        raise AnalysisError(f"unknown normalisation '{normalise}'",
                            fix=f"use one of: {', '.join(NORMALISERS)}")
    names = list(surfaces)
    ref = surfaces[names[0]]
    for n in names[1:]:
        s = surfaces[n]
        if (s.shape, s.x0, s.y0, s.cell_size) != (ref.shape, ref.x0, ref.y0, ref.cell_size):
            raise AnalysisError(f"layer '{n}' is on a different grid from '{names[0]}'",
                                fix="compute the layers with composite_layers (one grid)")
    weights = {n: 1.0 for n in names} | dict(weights or {})
    unknown = set(weights) - set(names)
    if unknown:
        raise AnalysisError(f"weights given for unknown layers: {', '.join(sorted(unknown))}")
    if any(w < 0 for w in weights.values()) or sum(weights[n] for n in names) <= 0:
        raise AnalysisError("layer weights must be non-negative and not all zero")
    norm = {n: NORMALISERS[normalise](surfaces[n].values.astype(np.float64)) for n in names}
    parts = {n: weights[n] * norm[n] for n in names}
    total = sum(parts.values())
    wsum = sum(weights[n] for n in names)
    comp = total / wsum
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = {n: np.where(total > 0, parts[n] / total, 0.0) for n in names}
    nan = np.isnan(ref.values)
    for d in (norm, shares):
        for n in names:
            d[n] = np.where(nan, np.nan, d[n])
    meta = {
        "method": f"composite of {len(names)} layers: {normalise}-normalised densities, "
                  "weighted mean",
        "units": "composite index (0–1)" if normalise != "zscore" else "composite index",
        "normalise": normalise, "weights": {n: float(weights[n]) for n in names},
        "layers": {n: {k: surfaces[n].meta.get(k) for k in
                       ("kernel", "bandwidth_m", "cell_size_m", "base_n")} for n in names},
        "base_n": {n: surfaces[n].meta.get("base_n") for n in names},
    }
    surf = Surface(values=np.where(nan, np.nan, comp).astype(np.float32), x0=ref.x0, y0=ref.y0,
                   cell_size=ref.cell_size, crs=ref.crs, units=meta["units"], meta=meta)
    return CompositeResult(surface=surf, normalised=norm, contributions=shares)


def composite_layers(layers: dict, *, cell_size: float, bandwidth, kernel: str = "quartic",
                     boundary=None, weights: dict | None = None, normalise: str = "max",
                     weight_fields: dict | None = None) -> CompositeResult:
    """KDE each point layer on one shared grid, then :func:`composite_surfaces`.

    Parameters
    ----------
    layers : dict of name -> GeoDataFrame of points
    cell_size : float
        Metres.
    bandwidth : float or dict of name -> float
        One bandwidth for all, or per layer (metres).
    kernel, boundary
        As :func:`mapping.stats.kde.hotspot_kde`.
    weights : dict, optional
        Layer weights in the composite.
    normalise : str
    weight_fields : dict of name -> column, optional
        Event weights per layer (e.g. needle ``quantity``).
    """
    import shapely

    from mapping.stats.kde import hotspot_kde, kde_grid

    if boundary is not None:
        bbox = boundary.total_bounds
        pad = 0.0
    else:
        xy = np.vstack([shapely.get_coordinates(np.asarray(g.geometry.values))
                        for g in layers.values()])
        if not len(xy):
            raise AnalysisError("the layers have no points")
        bbox = (*xy.min(0), *xy.max(0))
        pad = max(bandwidth.values()) if isinstance(bandwidth, dict) else bandwidth
    grid = kde_grid(bbox, cell_size, pad=pad)
    surfaces = {}
    for name, gdf in layers.items():
        bw = bandwidth[name] if isinstance(bandwidth, dict) else bandwidth
        surfaces[name] = hotspot_kde(gdf, cell_size=cell_size, bandwidth=bw, kernel=kernel,
                                     boundary=boundary, grid=grid,
                                     weight=(weight_fields or {}).get(name))
    return composite_surfaces(surfaces, weights=weights, normalise=normalise)
