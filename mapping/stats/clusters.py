"""Hotspot polygons a report can name: point clusters with standard deviational ellipses.

Clusters (``method``)
---------------------
``nnh`` (default): nearest-neighbour hierarchical clusters, first order, as
CrimeStat's NNH: events closer than a **threshold distance** are linked
(single linkage, "friends of friends"); groups of at least ``min_points``
events are clusters.  Without ``distance``, the threshold is CrimeStat's:
the lower ``p`` one-sided confidence limit of the mean nearest-neighbour
distance under complete spatial randomness in the study area,
``0.5 √(A/n) − z_(1−p) · 0.26136 √A / n`` (Clark & Evans 1954; Levine 2013,
ch. 7).

``dbscan``: DBSCAN (Ester et al. 1996) with radius ``distance`` and
``min_points`` (the point itself included): *core* events have at least
``min_points`` events within ``distance``; cores within ``distance`` of
each other form a cluster; other events within ``distance`` of a core
join its cluster (the nearest core's), the rest are noise.

Both use a KD-tree pair query and connected components (scipy); no
O(n²) distance matrix is built.

Ellipses
--------
Each cluster gets its **standard deviational ellipse** (Yuill 1971, as
CrimeStat computes it): centred on the mean centre, axes along the
principal directions of the events, semi-axes
``σ = √2 · √(Σ(rotated offset)² / (n − 2))``, the ``angle`` of the major axis
in degrees clockwise from grid north.  (For a bivariate normal cloud the
principal directions are the eigenvectors of the covariance, and
``σ² = 2 λ (n − 1)/(n − 2)`` for each sample eigenvalue ``λ``.)
``min_axis_m`` sets a floor on the semi-axes (so events stacked on one
point, as police.uk snaps them, never make an ellipse that pinpoints an
address).

References: Levine N (2013) CrimeStat IV, ch. 4 (ellipses) and 7 (NNH);
Yuill RS (1971) The standard deviational ellipse. *Geographical Review*
61:148-161; Ester M et al. (1996) KDD-96: 226-231; Clark PJ, Evans FC
(1954) *Ecology* 35:445-453.

Public functions: :func:`std_ellipse`, :func:`cluster_points`,
:func:`hotspot_clusters`, :func:`nnh_threshold`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from layers.common.errors import AnalysisError

__all__ = ["std_ellipse", "cluster_points", "hotspot_clusters", "nnh_threshold",
           "CLUSTER_METHODS"]

CLUSTER_METHODS = ("nnh", "dbscan")


def std_ellipse(xy, *, min_axis_m: float = 0.0) -> dict:
    """Standard deviational ellipse of points (CrimeStat's formula).

    Parameters
    ----------
    xy : array (n, 2)
        Coordinates in metres; n ≥ 3.
    min_axis_m : float
        Smallest semi-axis returned.

    Returns
    -------
    dict
        ``cx``, ``cy`` (mean centre), ``sx`` (major semi-axis), ``sy`` (minor),
        ``angle_deg`` (major axis, clockwise from north, 0-180), ``n``.

    Examples
    --------
    >>> e = std_ellipse([[-2, 0], [2, 0], [0, -1], [0, 1]])
    >>> round(e["sx"], 4), round(e["sy"], 4), e["angle_deg"]
    (2.8284, 1.4142, 90.0)
    """
    xy = np.asarray(xy, float)
    n = len(xy)
    if n < 3:
        raise AnalysisError("an ellipse needs at least 3 points")
    c = xy.mean(axis=0)
    d = xy - c
    scatter = d.T @ d
    vals, vecs = np.linalg.eigh(scatter)  # ascending
    major = vecs[:, 1]
    sx = math.sqrt(2 * max(vals[1], 0.0) / (n - 2))
    sy = math.sqrt(2 * max(vals[0], 0.0) / (n - 2))
    angle = math.degrees(math.atan2(major[0], major[1])) % 180.0  # clockwise from north
    return {"cx": float(c[0]), "cy": float(c[1]), "sx": max(sx, min_axis_m),
            "sy": max(sy, min_axis_m), "angle_deg": round(angle, 10), "n": n}


def _ellipse_polygon(e: dict, segments: int = 72):
    import shapely

    t = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    a = math.radians(e["angle_deg"])
    u = np.array([math.sin(a), math.cos(a)])  # major axis direction (east, north)
    v = np.array([u[1], -u[0]])
    pts = (e["cx"], e["cy"]) + np.outer(e["sx"] * np.cos(t), u) + np.outer(e["sy"] * np.sin(t), v)
    return shapely.Polygon(pts)


def nnh_threshold(n: int, area_m2: float, p: float = 0.05) -> float:
    """CrimeStat's NNH threshold distance (m): lower ``p`` limit of the random NN distance."""
    from scipy.stats import norm

    if n < 2 or not area_m2 > 0:
        raise AnalysisError("the threshold needs at least 2 events and a study area")
    mean = 0.5 * math.sqrt(area_m2 / n)
    se = 0.26136 * math.sqrt(area_m2) / n
    return max(mean - norm.ppf(1 - p) * se, 1e-6)


def cluster_points(xy, *, method: str = "nnh", distance: float, min_points: int = 10):
    """Cluster label of each point (−1 = not in a cluster), clusters numbered 0, 1 …

    Parameters
    ----------
    xy : array (n, 2)
    method : {"nnh", "dbscan"}
    distance : float
        Threshold (nnh) or radius (dbscan), metres.
    min_points : int
        Smallest cluster (nnh) or core neighbourhood (dbscan, self included).

    Returns
    -------
    ndarray of int
    """
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    xy = np.asarray(xy, float)
    n = len(xy)
    if method not in CLUSTER_METHODS:
        raise AnalysisError(f"unknown cluster method '{method}'", fix="use nnh or dbscan")
    if not distance > 0 or int(min_points) < 2:
        raise AnalysisError("clusters need a positive distance and min_points of 2 or more")
    labels = np.full(n, -1, np.int64)
    if n == 0:
        return labels
    tree = cKDTree(xy)
    pairs = tree.query_pairs(distance, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    if method == "nnh":
        g = sparse.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
        _, comp = connected_components(g, directed=False)
        sizes = np.bincount(comp)
        big = np.flatnonzero(sizes >= min_points)
    else:
        deg = np.bincount(i, minlength=n) + np.bincount(j, minlength=n) + 1
        core = deg >= min_points
        keep = core[i] & core[j]
        g = sparse.coo_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(n, n))
        _, comp = connected_components(g, directed=False)
        comp = np.where(core, comp, -1)
        big = np.unique(comp[core])
        # border points join their nearest core point's cluster
        border = np.flatnonzero(~core)
        if len(border) and core.any():
            ctree = cKDTree(xy[core])
            dist, k = ctree.query(xy[border], distance_upper_bound=distance * (1 + 1e-12))
            ok = np.isfinite(dist)
            comp[border[ok]] = comp[np.flatnonzero(core)[k[ok]]]
    # number clusters by size (largest first), then by first member
    order = sorted(big, key=lambda c: (-(comp == c).sum(), int(np.argmax(comp == c))))
    for new, c in enumerate(order):
        labels[comp == c] = new
    return labels


def hotspot_clusters(points, *, method: str = "nnh", distance: float | None = None,
                     min_points: int = 10, p: float = 0.05, study_area=None, areas=None,
                     area_name: str | None = None, min_axis_m: float = 0.0):
    """Clusters of events as named ellipse polygons (ranked by the number of events).

    Parameters
    ----------
    points : GeoDataFrame or coordinate-only layer
        Events (projected CRS).
    method : {"nnh", "dbscan"}
        See the module notes.
    distance : float, optional
        Threshold or radius in metres; for nnh without it, CrimeStat's random
        nearest-neighbour threshold at ``p`` over ``study_area`` (dbscan needs it).
    min_points : int
        Smallest cluster (default 10).
    p : float
        One-sided level of the nnh threshold (default 0.05).
    study_area : GeoDataFrame, optional
        Area A of the random threshold (default: the events' convex hull).
    areas, area_name : optional
        Areas used to name each hotspot after the one holding its centre.
    min_axis_m : float
        Floor of the ellipse semi-axes (disclosure control of sensitive layers).

    Returns
    -------
    GeoDataFrame
        ``cluster``, ``name``, ``n_events``, ``centre_x``, ``centre_y``,
        ``sx_m``, ``sy_m``, ``angle_deg``, ``area_km2``, ``events_per_km2``,
        ``share_pct``, ellipse polygons; ``attrs['meta']``.
    """
    import shapely

    import geopandas as gpd

    from mapping.core.crs import projected_xy

    xy, _ = projected_xy(points, "the events")
    n = len(xy)
    if n < int(min_points):
        raise AnalysisError(f"{n} events are fewer than min_points ({min_points})",
                            fix="lower min_points or widen the filter")
    auto = distance is None
    if auto:
        if method == "dbscan":
            raise AnalysisError("DBSCAN needs a distance (its radius, metres)",
                                fix="give distance, e.g. 100")
        if study_area is not None:
            area = float((study_area.union_all() if hasattr(study_area, "union_all")
                          else study_area).area)
        else:
            area = float(shapely.MultiPoint(xy).convex_hull.area)
        distance = nnh_threshold(n, area, p)
    labels = cluster_points(xy, method=method, distance=distance, min_points=min_points)
    rows, geoms = [], []
    for c in range(labels.max() + 1):
        e = std_ellipse(xy[labels == c], min_axis_m=min_axis_m)
        poly = _ellipse_polygon(e)
        km2 = poly.area / 1e6
        rows.append({"cluster": c + 1, "n_events": e["n"], "centre_x": e["cx"],
                     "centre_y": e["cy"], "sx_m": e["sx"], "sy_m": e["sy"],
                     "angle_deg": e["angle_deg"], "area_km2": km2,
                     "events_per_km2": e["n"] / km2 if km2 > 0 else np.nan,
                     "share_pct": 100 * e["n"] / n})
        geoms.append(poly)
    crs = getattr(points, "crs", None) or "EPSG:27700"
    out = gpd.GeoDataFrame(pd.DataFrame(rows, columns=[
        "cluster", "n_events", "centre_x", "centre_y", "sx_m", "sy_m", "angle_deg", "area_km2",
        "events_per_km2", "share_pct"]), geometry=geoms, crs=crs)
    names = [f"Hotspot {k}" for k in out["cluster"]]
    if areas is not None and len(out):
        from mapping.stats.rates import assign_points

        col = area_name if area_name in areas.columns else None
        pos = assign_points(areas, out[["centre_x", "centre_y"]].to_numpy())
        names = [f"Hotspot {k}" + (f": {areas[col].iloc[q]}" if col and q >= 0 else "")
                 for k, q in zip(out["cluster"], pos)]
    out.insert(1, "name", names)
    in_c = int((labels >= 0).sum())
    how = (f"threshold {distance:,.0f} m" + (f" (CrimeStat's random NN distance, p = {p:g})"
                                             if auto else "")) if method == "nnh" else \
        f"radius {distance:,.0f} m"
    out.attrs["meta"] = {
        "title": "Hotspot clusters with standard deviational ellipses",
        "units": "events", "value_column": "n_events",
        "method": (("nearest-neighbour hierarchical (first-order, single linkage)"
                    if method == "nnh" else "DBSCAN") + f" clusters, {how}, at least "
                   f"{min_points} events; one standard deviational ellipse each (CrimeStat)"),
        "params": {"method": method, "distance_m": round(float(distance), 1),
                   "min_points": int(min_points),
                   "p": p if auto else None, "min_axis_m": min_axis_m},
        "base_n": n,
        "references": ["Levine N (2013) CrimeStat IV, ch. 4 and 7",
                       "Yuill RS (1971) Geogr Rev 61:148-161",
                       "Ester M et al. (1996) KDD-96:226-231"],
        "count_columns": ["n_events"],
        "rate_columns": ["events_per_km2", "share_pct"],
        "notes": [f"{len(out)} clusters hold {in_c:,} of {n:,} events "
                  f"({100 * in_c / n:.0f}%)"] + (
            [f"ellipse semi-axes at least {min_axis_m:g} m"] if min_axis_m else []),
    }
    return out
