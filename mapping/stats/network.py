"""Road-network distances for service coverage (Dijkstra on a line network).

A road file (GeoPackage/Shapefile/GeoJSON of LineStrings, e.g. OS Open Roads)
becomes an undirected graph: every vertex is a node (vertices closer than
``snap_tolerance`` metres are merged, so lines that share an end point
connect) and every segment an edge weighted by its length in metres.
Origins and services join the network at their nearest node; the straight
"snap leg" from the point to that node is added to the network distance.
Shortest paths come from :func:`scipy.sparse.csgraph.dijkstra`, searched
only up to the catchment, so no all-pairs matrix is formed.

Limits (kept simple on purpose): no one-way streets, turn costs or speeds;
lines are only joined where they share vertices (no planarisation of crossings).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from layers.common.errors import InputError

__all__ = ["RoadNetwork", "read_network", "build_network", "network_pairs", "network_nearest"]


@dataclass
class RoadNetwork:
    """A road graph: node coordinates, a CSR adjacency of lengths (m) and a node KD-tree."""

    nodes: np.ndarray
    graph: csr_matrix
    tree: cKDTree

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)


def read_network(path, *, layer=None, snap_tolerance: float = 0.5) -> RoadNetwork:
    """Read a road centre-line file (GeoPackage, Shapefile, GeoJSON ...) into a network.

    Lines are reprojected to EPSG:27700 (metres).

    Raises
    ------
    InputError
        If the file is missing, declares no CRS or has no lines.
    """
    from pathlib import Path

    import geopandas as gpd

    path = Path(path)
    if not path.exists():
        raise InputError("road network file not found", path=path, fix="check the path")
    lines = gpd.read_file(path, layer=layer)
    if lines.crs is None:
        raise InputError("the road network file has no coordinate reference system", path=path,
                         fix="save it with its CRS (e.g. EPSG:27700)")
    return build_network(lines.to_crs("EPSG:27700"), snap_tolerance=snap_tolerance)


def build_network(lines, *, snap_tolerance: float = 0.5) -> RoadNetwork:
    """Build a :class:`RoadNetwork` from a line GeoDataFrame in metres.

    Parameters
    ----------
    lines : GeoDataFrame
        LineString / MultiLineString features in a projected CRS.
    snap_tolerance : float
        Vertices within this many metres are the same node.

    Returns
    -------
    RoadNetwork

    Raises
    ------
    InputError
        If the layer is geographic or has no line segments.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> net = build_network(gpd.GeoDataFrame(geometry=[LineString([(0, 0), (3, 4)])],
    ...                                      crs="EPSG:27700"))
    >>> net.n_nodes, float(net.graph[0, 1])
    (2, 5.0)
    """
    import shapely

    if lines.crs is not None and lines.crs.is_geographic:
        raise InputError("the road network is in a geographic CRS (degrees)",
                         fix="reproject it to EPSG:27700")
    geoms = lines.geometry[~lines.geometry.is_empty & lines.geometry.notna()]
    geoms = geoms[geoms.geom_type.isin(["LineString", "MultiLineString"])].explode(index_parts=False)
    if geoms.empty:
        raise InputError("the road network file has no line features",
                         fix="give a file of road centre lines (LineStrings)")
    coords, idx = shapely.get_coordinates(geoms.to_numpy(), return_index=True)
    same = idx[1:] == idx[:-1]
    a = np.flatnonzero(same)
    keys = np.round(coords / snap_tolerance).astype(np.int64)
    uniq, node = np.unique(keys, axis=0, return_inverse=True)
    node = node.ravel()
    nodes_xy = pd.DataFrame(coords).groupby(node).mean().to_numpy()
    u, v = node[a], node[a + 1]
    w = np.hypot(*(coords[a + 1] - coords[a]).T)
    keep = u != v
    e = pd.DataFrame({"u": np.minimum(u, v)[keep], "v": np.maximum(u, v)[keep], "w": w[keep]})
    e = e.groupby(["u", "v"], as_index=False)["w"].min()
    n = len(uniq)
    # tiny floor: csgraph treats explicit zeros as missing edges
    ww = np.maximum(e["w"].to_numpy(), 1e-9)
    g = coo_matrix((np.r_[ww, ww], (np.r_[e.u, e.v], np.r_[e.v, e.u])), shape=(n, n)).tocsr()
    return RoadNetwork(nodes=nodes_xy, graph=g, tree=cKDTree(nodes_xy))


def _snap(net: RoadNetwork, xy: np.ndarray):
    d, k = net.tree.query(np.asarray(xy, dtype=float), k=1)
    return d, k


def network_pairs(net: RoadNetwork, origins, services, max_cost: float, *, batch: int = 256):
    """Origin-service pairs within ``max_cost`` network metres.

    Cost = origin snap leg + shortest path between the snapped nodes +
    service snap leg.  Dijkstra runs from each service node with
    ``limit=max_cost``, in batches, reading only the origins' nodes.

    Returns
    -------
    i, j : ndarray of int
        Origin and service positions.
    d : ndarray of float
        Network distance in metres (inclusive of ``max_cost``).
    """
    oxy, sxy = np.asarray(origins, float), np.asarray(services, float)
    if len(oxy) == 0 or len(sxy) == 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    so, ko = _snap(net, oxy)
    ss, ks = _snap(net, sxy)
    I, J, Dd = [], [], []
    for start in range(0, len(sxy), batch):
        js = np.arange(start, min(start + batch, len(sxy)))
        lim = max(0.0, max_cost - float(ss[js].min()))
        dist = dijkstra(net.graph, directed=False, indices=ks[js], limit=lim)
        sub = dist[:, ko] + so[None, :] + ss[js][:, None]  # (batch, n_origins)
        r, c = np.nonzero(sub <= max_cost)
        I.append(c)
        J.append(js[r])
        Dd.append(sub[r, c])
    return np.concatenate(I), np.concatenate(J), np.concatenate(Dd)


def network_nearest(net: RoadNetwork, origins, services):
    """Network distance from each origin to its nearest service, and that service.

    A virtual source node joins every service node with an edge of that
    service's snap-leg length, so one Dijkstra search gives every origin's
    nearest service exactly.

    Returns
    -------
    dist : ndarray
        Metres (``inf`` where the origin's network component has no service).
    index : ndarray of int
        Position of the nearest service (-1 when unreachable).
    """
    oxy, sxy = np.asarray(origins, float), np.asarray(services, float)
    if len(sxy) == 0:
        return np.full(len(oxy), np.inf), np.full(len(oxy), -1)
    so, ko = _snap(net, oxy)
    ss, ks = _snap(net, sxy)
    n = net.n_nodes
    best = pd.DataFrame({"k": ks, "s": ss, "j": np.arange(len(sxy))}).sort_values("s")
    best = best.drop_duplicates("k")
    g = net.graph.tocoo()
    rows = np.r_[g.row, np.full(len(best), n)]
    cols = np.r_[g.col, best["k"].to_numpy()]
    vals = np.r_[g.data, np.maximum(best["s"].to_numpy(), 1e-9)]
    big = coo_matrix((vals, (rows, cols)), shape=(n + 1, n + 1)).tocsr()
    dist, pred = dijkstra(big, directed=True, indices=n, return_predecessors=True)
    d = dist[ko] + so
    # walk each origin's path back to the node the virtual source entered at
    cur = ko.copy()
    reach = np.isfinite(dist[ko])
    for _ in range(n + 1):
        p = pred[cur]
        step = reach & (p != n) & (p >= 0)
        if not step.any():
            break
        cur = np.where(step, p, cur)
    svc_at = pd.Series(best["j"].to_numpy(), index=best["k"].to_numpy())
    j = np.where(reach, svc_at.reindex(cur).fillna(-1).to_numpy(), -1).astype(int)
    return np.where(reach, d, np.inf), j
