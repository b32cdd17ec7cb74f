"""Empirical Bayes smoothed rates for small areas (Marshall 1991), over esda's smoothers.

On small areas a rate rests on a handful of events: one more offence moves an
LSOA of 1,500 people by 6.7 per 10,000.  Empirical Bayes smoothing pulls each
area's rate towards a reference rate by an amount that depends on how much
the area's own rate can be trusted (its population): large areas keep their
rate, small ones move most.

Methods (``smooth=``)
---------------------
``global``
    Marshall (1991) global EB: reference rate m = Σe / Σb; between-area variance
    of the true rates ``v = Σ b (r − m)² / Σb − m / b̄``; each rate becomes
    ``m + (r − m) · v / (v + m / b)``.  When v ≤ 0 (no more variation than
    Poisson noise) every area gets m.  esda's ``Empirical_Bayes`` computes the
    same without that floor (it returns shrinkage weights below 0), so hotmap
    computes it here and a test proves parity with esda where v > 0.
``local``
    Marshall (1991) local EB: as global, with the reference rate and variance
    taken over each area and its neighbours (queen contiguity with the snapping
    tolerance of :mod:`mapping.stats.weights`); esda's ``Spatial_Empirical_Bayes``, except
    that an area whose neighbourhood has no events gets 0 where esda divides 0 by
    0 (NaN).
``spatial``
    Spatial rate smoother: events over population of each area and its
    neighbours together, ``(e_i + Σ_j e_j) / (b_i + Σ_j b_j)``; esda's
    ``Spatial_Rate`` (GeoDa's "spatial rate").  Not Bayesian, but the simplest
    borrowing of strength.

Areas without a population (missing or 0) get no smoothed rate and take no
part in the others' reference rates.

References: Marshall RJ (1991) Mapping disease and mortality rates using
empirical Bayes estimators. J R Stat Soc C 40:283-294.  Anselin L, Lozano N,
Koschinsky J (2006) Rate transformations and smoothing, GeoDa Center.

Public functions: :func:`smooth_rates`; registry :data:`SMOOTHERS`.
"""

from __future__ import annotations

import numpy as np

from layers.common.errors import AnalysisError

__all__ = ["smooth_rates", "SMOOTHERS"]

#: Smoothing methods a user can choose, with one-line descriptions.
SMOOTHERS = {
    "global": "empirical Bayes towards the overall rate (Marshall 1991)",
    "local": "empirical Bayes towards the rate of each area and its neighbours (Marshall 1991)",
    "spatial": "rate of each area pooled with its neighbours (spatial rate smoother)",
}


def _global_eb(e, b):
    m = e.sum() / b.sum()
    r = e / b
    v = (b * (r - m) ** 2).sum() / b.sum() - m / b.mean()
    if not v > 0:
        return np.full_like(r, m), {"reference_rate": float(m), "variance": float(v)}
    return m + (r - m) * (v / (v + m / b)), {"reference_rate": float(m), "variance": float(v)}


def smooth_rates(events, population, *, method: str = "global", areas=None,
                 weights: str = "queen", snap: float | None = None):
    """Smoothed rates per person (multiply by 10,000 for the audit's unit).

    Parameters
    ----------
    events : array-like, shape (n,)
        Events per area.
    population : array-like, shape (n,)
        Population per area; missing or 0 gives NaN.
    method : {"global", "local", "spatial"}
        See the module notes and :data:`SMOOTHERS`.
    areas : GeoDataFrame, optional
        The area polygons (projected), needed by ``local`` and ``spatial``.
    weights : str
        Neighbours for ``local`` and ``spatial`` (default queen).
    snap : float, optional
        Contiguity snapping tolerance in metres (default 2 m).

    Returns
    -------
    (rates, info) : (ndarray, dict)
        Smoothed rates per person, and ``method``, ``description`` and (global)
        ``reference_rate`` and ``variance``.

    Raises
    ------
    AnalysisError
        Unknown method, or ``local``/``spatial`` without areas.
    """
    if method not in SMOOTHERS:
        raise AnalysisError(f"unknown smoothing '{method}'",
                            fix=f"use one of: {', '.join(SMOOTHERS)}")
    e = np.asarray(events, float)
    b = np.asarray(population, float)
    ok = np.isfinite(b) & (b > 0) & np.isfinite(e)
    out = np.full(len(e), np.nan)
    info = {"method": method, "description": SMOOTHERS[method]}
    if ok.sum() < 2:
        return out, info
    if method == "global":
        out[ok], extra = _global_eb(e[ok], b[ok])
        info.update(extra)
        return out, info
    if areas is None:
        raise AnalysisError(f"'{method}' smoothing needs the area polygons for neighbours",
                            fix="use global smoothing, or pass the areas")
    from esda.smoothing import Spatial_Empirical_Bayes, Spatial_Rate

    from mapping.stats.weights import build_weights

    w = build_weights(areas[ok] if not ok.all() else areas, weights, snap=snap)
    lw = w.to_libpysal()
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = np.asarray(Spatial_Rate(e[ok], b[ok], lw).r, float).ravel()
        res = pooled if method == "spatial" else \
            np.asarray(Spatial_Empirical_Bayes(e[ok], b[ok], lw).r, float).ravel()
    # an area whose neighbourhood has no events: esda's local EB divides 0 by 0; its
    # smoothed rate is the neighbourhood rate, 0
    out[ok] = np.where(np.isnan(res), pooled, res)
    info["weights"] = w.describe()
    return out, info
