"""Service coverage: nearest service, services in a catchment, 2SFCA and enhanced 2SFCA.

Distances are Euclidean metres between each area's origin point
(:func:`boundaries.population.area_origins`) and the service points, found
with a KD-tree (:class:`scipy.spatial.cKDTree`): only origin-service pairs
within the catchment are ever formed, never an all-pairs matrix.  With a road
network (:mod:`mapping.stats.network`) the same pairs come from Dijkstra searches.

Two-step floating catchment area (2SFCA, Luo & Wang 2003)::

    R_j = S_j / sum_{i: d_ij <= d0} w(d_ij) D_i     (supply per unit demand at service j)
    A_i = sum_{j: d_ij <= d0} w(d_ij) R_j           (access of area i)

with ``w = 1`` for 2SFCA and a distance-decay weight for the enhanced 2SFCA
(E2SFCA, Luo & Qi 2009), applied in both steps as PySAL ``access`` does.  A
service whose catchment holds no demand gets ``R_j = 0``; an area with no
service in reach gets ``A_i = 0``.  ``S_j`` is capacity (places, staff; 1
per service when no capacity is given), ``D_i`` population or need.

References
----------
Luo, W. & Wang, F. (2003) Measures of spatial accessibility to health care in
a GIS environment. *Environment and Planning B* 30(6), 865-884.
Luo, W. & Qi, Y. (2009) An enhanced two-step floating catchment area (E2SFCA)
method. *Health & Place* 15(4), 1100-1107.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from layers.common.errors import AnalysisError, InputError

__all__ = ["DECAY_FUNCTIONS", "decay_weights", "nearest_service", "service_pairs",
           "two_step_fca", "coverage", "services_in_flagged_areas", "COVERAGE_REFERENCES"]

COVERAGE_REFERENCES = [
    "Luo W, Wang F (2003) Measures of spatial accessibility to health care in a GIS "
    "environment. Environment and Planning B 30(6):865-884 (2SFCA)",
    "Luo W, Qi Y (2009) An enhanced two-step floating catchment area (E2SFCA) method. "
    "Health & Place 15(4):1100-1107 (E2SFCA)",
]


def _binary(d, catchment, **_):
    return np.where(d <= catchment, 1.0, 0.0)


def _step(d, catchment, *, zones=(1 / 3, 2 / 3, 1.0), weights=(1.0, 0.68, 0.22), **_):
    """Luo & Qi (2009) zones: thirds of the catchment weighted 1, 0.68, 0.22."""
    w = np.zeros_like(d, dtype=float)
    for z, wt in sorted(zip(zones, weights), reverse=True):
        w = np.where(d <= z * catchment, wt, w)
    return w


def _gaussian(d, catchment, *, sigma=None, **_):
    """exp(-d^2 / 2 sigma^2) inside the catchment; sigma defaults to catchment / 2."""
    s = catchment / 2.0 if sigma is None else sigma
    return np.where(d <= catchment, np.exp(-(d * d) / (2.0 * s * s)), 0.0)


#: Distance-decay weights by name (2SFCA uses ``"none"``; E2SFCA ``"step"`` by default).
DECAY_FUNCTIONS = {"none": _binary, "step": _step, "gaussian": _gaussian}


def decay_weights(d, catchment: float, decay: str = "none", **params) -> np.ndarray:
    """Distance-decay weights for distances ``d`` (metres) within ``catchment``.

    Parameters
    ----------
    d : array-like
        Distances in metres.
    catchment : float
        Catchment radius in metres; weights are 0 beyond it.
    decay : str
        A key of :data:`DECAY_FUNCTIONS`: ``"none"`` (1 inside), ``"step"``
        (Luo & Qi 2009: 1, 0.68, 0.22 in the inner, middle and outer third,
        boundaries inclusive) or ``"gaussian"`` (``sigma`` parameter).

    Examples
    --------
    >>> decay_weights([0, 400, 700, 1200, 1300], 1200, "step").tolist()
    [1.0, 1.0, 0.68, 0.22, 0.0]
    """
    if decay not in DECAY_FUNCTIONS:
        raise InputError(f"unknown distance decay '{decay}'",
                         fix=f"use one of: {', '.join(DECAY_FUNCTIONS)}")
    return DECAY_FUNCTIONS[decay](np.asarray(d, dtype=float), float(catchment), **params)


def _xy(obj) -> np.ndarray:
    if hasattr(obj, "geometry"):
        g = obj.geometry
        if obj.crs is not None and obj.crs.is_geographic:
            raise InputError("layer is in a geographic CRS (degrees)",
                             fix="reproject to EPSG:27700 before measuring distances")
        if not (g.geom_type == "Point").all():
            g = g.representative_point()
        return np.column_stack([g.x.to_numpy(), g.y.to_numpy()])
    a = np.asarray(obj, dtype=float)
    if a.ndim != 2 or a.shape[1] != 2:
        raise InputError("coordinates must be an (n, 2) array of x, y metres")
    return a


def nearest_service(origins, services):
    """Distance (m) from each origin to its nearest service, with the service's position.

    Parameters
    ----------
    origins, services : (n, 2) array or GeoDataFrame of points

    Returns
    -------
    dist : ndarray of float
        Euclidean metres (``inf`` when there are no services).
    index : ndarray of int
        Position of the nearest service (-1 when there are none).
    """
    o, s = _xy(origins), _xy(services)
    if len(s) == 0:
        return np.full(len(o), np.inf), np.full(len(o), -1)
    d, j = cKDTree(s).query(o, k=1)
    return d, j.astype(int)


def service_pairs(origins, services, catchment: float):
    """All origin-service pairs within ``catchment`` metres (inclusive), via KD-trees.

    Returns
    -------
    i, j : ndarray of int
        Origin and service positions.
    d : ndarray of float
        Euclidean distance in metres.
    """
    o, s = _xy(origins), _xy(services)
    if len(o) == 0 or len(s) == 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    m = cKDTree(o).sparse_distance_matrix(cKDTree(s), float(catchment), output_type="ndarray")
    i, j, d = m["i"].astype(np.int64), m["j"].astype(np.int64), m["v"].astype(float)
    keep = d <= catchment
    return i[keep], j[keep], d[keep]


def two_step_fca(demand, supply, pairs, catchment: float, *, decay: str = "none",
                 **decay_params):
    """Two-step floating catchment access from precomputed origin-service pairs.

    Parameters
    ----------
    demand : array-like, length n_origins
        Population or need ``D_i``.
    supply : array-like, length n_services
        Capacity ``S_j``.
    pairs : tuple (i, j, d)
        From :func:`service_pairs` or :func:`mapping.stats.network.network_pairs`.
    catchment : float
        Catchment in metres.
    decay : str
        ``"none"`` for 2SFCA, ``"step"`` / ``"gaussian"`` for E2SFCA.

    Returns
    -------
    access : ndarray, length n_origins
        ``A_i`` (supply per unit demand).
    ratio : ndarray, length n_services
        ``R_j``.

    Examples
    --------
    One service of 10 places shared by two areas of 100 and 300 people:

    >>> a, r = two_step_fca([100, 300], [10], ([0, 1], [0, 0], [50.0, 80.0]), 100)
    >>> a.tolist(), r.tolist()
    ([0.025, 0.025], [0.025])
    """
    D = np.asarray(demand, dtype=float)
    S = np.asarray(supply, dtype=float)
    i, j, d = (np.asarray(x) for x in pairs)
    if np.any(D < 0) or np.any(S < 0) or np.isnan(D).any() or np.isnan(S).any():
        raise InputError("demand and supply must be non-negative numbers",
                         fix="fill missing population/capacity with 0 or drop those rows")
    w = decay_weights(d, catchment, decay, **decay_params)
    wd = np.bincount(j, weights=w * D[i], minlength=len(S))
    with np.errstate(divide="ignore", invalid="ignore"):
        R = np.where(wd > 0, S / wd, 0.0)
    A = np.bincount(i, weights=w * R[j], minlength=len(D))
    return A, R


def coverage(areas, *, area_id: str, services, capacity: str | None = None,
             demand: str | None = None, catchment: float = 1600.0, method: str = "nearest",
             decay: str | None = None, origins: pd.DataFrame | None = None, network=None,
             service_id: str | None = None, **decay_params):
    """Distance to the nearest service, services in the catchment, and 2SFCA access per area.

    Parameters
    ----------
    areas : GeoDataFrame
        Area polygons (EPSG:27700) with ``area_id`` and, for 2SFCA, ``demand``.
    area_id : str
        Area identifier column.
    services : GeoDataFrame
        Service points.
    capacity : str, optional
        Capacity column of ``services``; 1 per service when omitted.
    demand : str, optional
        Demand column of ``areas`` (population or need); required for 2SFCA.
    catchment : float
        Catchment distance in metres (default 1600 m, about a 20-minute walk).
    method : {"nearest", "2sfca", "e2sfca"}
        ``nearest`` gives distances and counts only.
    decay : str, optional
        Decay for E2SFCA (default ``"step"``); 2SFCA always uses ``"none"``.
    origins : DataFrame, optional
        From :func:`boundaries.population.area_origins`; representative points if omitted.
    network : mapping.stats.network.RoadNetwork, optional
        Road network; distances become network metres (snap legs included).
    service_id : str, optional
        Column naming each service in ``nearest_service``.

    Returns
    -------
    GeoDataFrame
        ``area_id``, ``origin_x``, ``origin_y``, ``origin_method``,
        ``nearest_service_m``, ``nearest_service``, ``services_within_catchment``,
        then for 2SFCA/E2SFCA ``demand``, ``access`` and ``access_per_1000``; ``attrs['meta']``
        records method, units, parameters and references.
    """
    from boundaries.population import area_origins

    method = method.lower()
    if method not in ("nearest", "2sfca", "e2sfca"):
        raise InputError(f"unknown coverage method '{method}'", fix="use nearest, 2sfca or e2sfca")
    if not catchment or catchment <= 0:
        raise InputError("catchment must be a positive distance in metres", fix="e.g. 1600")
    if origins is None:
        origins = area_origins(areas, area_id=area_id)
    org = origins.set_index(area_id).loc[areas[area_id].to_numpy()]
    oxy = org[["origin_x", "origin_y"]].to_numpy(dtype=float)
    sxy = _xy(services)
    for xy, what, ids in ((oxy, "areas", areas[area_id]), (sxy, "services", None)):
        bad = ~np.isfinite(xy).all(axis=1)
        if bad.any():
            first = f" (e.g. {ids.iloc[int(np.argmax(bad))]!r})" if ids is not None else ""
            raise InputError(f"{int(bad.sum())} {what} have an empty or invalid location{first}",
                             fix=f"repair or remove the {what} without a geometry")
    if capacity is not None and capacity not in services.columns:
        raise InputError(f"services have no column '{capacity}'", column=capacity,
                         fix="pass --capacity naming the capacity column, or omit it")
    supply = (np.ones(len(sxy)) if capacity is None else
              pd.to_numeric(services[capacity], errors="coerce").fillna(0).to_numpy(float))
    if network is None:
        dist, jn = nearest_service(oxy, sxy)
        pairs = service_pairs(oxy, sxy, catchment)
        metric = "Euclidean"
    else:
        from mapping.stats.network import network_nearest, network_pairs

        dist, jn = network_nearest(network, oxy, sxy)
        pairs = network_pairs(network, oxy, sxy, catchment)
        metric = "road network (Dijkstra) plus straight snap legs"
    names = (services[service_id].astype(str).to_numpy() if service_id
             else np.arange(len(sxy)).astype(str))
    out = areas[[area_id, "geometry"]].copy()
    out["origin_x"], out["origin_y"] = oxy[:, 0], oxy[:, 1]
    out["origin_method"] = org["origin_method"].to_numpy()
    out["nearest_service_m"] = dist
    out["nearest_service"] = np.where(jn >= 0, names[np.clip(jn, 0, None)] if len(names) else "", "")
    out["services_within_catchment"] = np.bincount(pairs[0], minlength=len(oxy)).astype(int)
    params = {"catchment_m": catchment, "distance": metric, "n_services": len(sxy),
              "capacity": capacity or "1 per service"}
    refs = []
    if method != "nearest":
        if demand is None or demand not in areas.columns:
            raise InputError(f"2SFCA needs a demand column in the areas (got {demand!r})",
                             fix="pass --demand population (or a need column)")
        D = pd.to_numeric(areas[demand], errors="coerce").fillna(0).to_numpy(float)
        decay = "none" if method == "2sfca" else (decay or "step")
        A, R = two_step_fca(D, supply, pairs, catchment, decay=decay, **decay_params)
        out["demand"] = D
        out["access"] = A
        out["access_per_1000"] = A * 1000.0  # readable for maps: places per 1,000 demand
        params.update(decay=decay, demand=demand, **decay_params)
        refs = COVERAGE_REFERENCES[:1] if method == "2sfca" else COVERAGE_REFERENCES
        out.attrs["service_ratio"] = R.tolist()
    if not np.isfinite(dist).all() and len(sxy):
        out.attrs["unreachable"] = int((~np.isfinite(dist)).sum())
    out.attrs["meta"] = {
        "title": "Access to services" if method != "nearest" else "Distance to nearest service",
        "units": ("access_per_1000 = capacity per 1,000 demand (access = per 1); distances in metres"
                  if method != "nearest" else "metres"),
        "value_column": "access_per_1000" if method != "nearest" else "nearest_service_m",
        "method": {"nearest": "nearest service by KD-tree",
                   "2sfca": "two-step floating catchment area (Luo & Wang 2003)",
                   "e2sfca": "enhanced 2SFCA with distance decay (Luo & Qi 2009)"}[method],
        "params": params,
        "references": refs,
        "notes": "origins: " + ", ".join(sorted(set(out["origin_method"]))),
    }
    return out


def services_in_flagged_areas(services, areas, *, area_id: str, flag: str):
    """List the services that sit inside areas where ``flag`` is true.

    Parameters
    ----------
    services : GeoDataFrame
        Service points.
    areas : GeoDataFrame
        Areas with a boolean ``flag`` column (e.g. ``most_deprived_20``).
    area_id, flag : str
        Column names.

    Returns
    -------
    GeoDataFrame
        The services inside flagged areas, with the ``area_id`` they fall in;
        ``len()`` is the count.
    """
    import geopandas as gpd

    if flag not in areas.columns:
        raise AnalysisError(f"areas have no '{flag}' column; run the deprivation step first")
    flagged = areas.loc[areas[flag].astype(bool), [area_id, "geometry"]]
    j = gpd.sjoin(services, flagged, predicate="within", how="inner")
    return j.drop(columns=[c for c in ("index_right",) if c in j.columns])
