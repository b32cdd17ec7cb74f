"""Spatial weights for Gi* and LISA: queen, rook, distance band and k nearest neighbours.

Every weights matrix hotmap builds is **binary** (1 = neighbour, 0 = not) and
holds **no self-weights**; Gi* adds the self-weight (the "star") itself and
LISA row-standardises.  Distances are metres, so geographic (degree)
coordinates are refused.

Specifications are strings, as on the command line and in project files:

``queen``
    Areas sharing at least one boundary point (grid cells: the 8 around).
``rook``
    Areas sharing a boundary segment of positive length (grid cells: the 4
    edge neighbours).
``distance:METRES``
    Areas whose centroids are at most METRES apart (ArcGIS "fixed distance
    band"; polygon centroids, as ArcGIS uses).
``knn:K``
    The K nearest centroids (not symmetric: i may be among j's K nearest
    without the reverse).

Public functions: :func:`build_weights`, :func:`grid_weights`,
:func:`parse_weights_spec`, :func:`check_projected`; class :class:`SpatialWeights`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

import shapely

from layers.errors import AnalysisError
from mapping.crs import check_projected  # noqa: F401  (re-exported)

__all__ = ["SpatialWeights", "build_weights", "grid_weights", "parse_weights_spec",
           "check_projected", "WEIGHT_KINDS"]

#: Weight kinds a user can choose, with one-line descriptions (GUI combo boxes bind to the keys).
WEIGHT_KINDS = {
    "queen": "areas sharing a boundary point",
    "rook": "areas sharing a boundary edge",
    "distance": "centroids within a distance band (metres): distance:800",
    "knn": "k nearest centroids: knn:8",
}


@dataclass
class SpatialWeights:
    """A binary spatial weights matrix without self-weights.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix, shape (n, n)
        ``matrix[i, j] == 1`` when j is a neighbour of i; the diagonal is 0.
    spec : str
        The specification it was built from (``"queen"``, ``"distance:800"``...).
    """

    matrix: sparse.csr_matrix
    spec: str
    coords: np.ndarray | None = None  # centroids, for distance-based advice

    def min_band_without_islands(self) -> float | None:
        """Smallest distance band (metres, rounded up to 10) giving every area a neighbour."""
        if self.coords is None or len(self.coords) < 2:
            return None
        d, _ = cKDTree(self.coords).query(self.coords, k=2)
        return float(np.ceil(d[:, 1].max() / 10) * 10)

    @property
    def n(self) -> int:
        """Number of areas or cells."""
        return self.matrix.shape[0]

    @property
    def cardinalities(self) -> np.ndarray:
        """Number of neighbours of each area (self excluded)."""
        return np.diff(self.matrix.indptr)

    @property
    def islands(self) -> np.ndarray:
        """Positions of areas with no neighbour."""
        return np.flatnonzero(self.cardinalities == 0)

    def to_libpysal(self, ids=None):
        """Return the same weights as a ``libpysal.weights.W`` (for checks against esda)."""
        from libpysal.weights import WSP

        ids = list(range(self.n)) if ids is None else list(ids)
        return WSP(self.matrix.tocsr().astype(float), id_order=ids).to_W(silence_warnings=True)

    def describe(self) -> str:
        """A short text for metadata, e.g. ``"queen contiguity, binary, mean 5.8 neighbours"``."""
        card = self.cardinalities
        return (f"{self.spec} weights, binary, mean {card.mean():.1f} neighbours "
                f"(min {card.min()}, max {card.max()})")


def parse_weights_spec(spec: str) -> tuple[str, float | None]:
    """Split ``"distance:800"`` into ``("distance", 800.0)``; check the kind and value.

    Raises
    ------
    AnalysisError
        For an unknown kind or a missing / non-positive parameter.
    """
    text = str(spec).strip().lower()
    kind, _, arg = text.partition(":")
    fix = "use queen, rook, distance:METRES (e.g. distance:800) or knn:K (e.g. knn:8)"
    if kind not in WEIGHT_KINDS:
        raise AnalysisError(f"unknown weights '{spec}'", fix=fix)
    if kind in ("queen", "rook"):
        if arg:
            raise AnalysisError(f"weights '{kind}' take no value (got '{spec}')", fix=fix)
        return kind, None
    try:
        value = float(arg)
    except ValueError:
        raise AnalysisError(f"weights '{spec}' need a number after the colon", fix=fix) from None
    if value <= 0 or (kind == "knn" and value != int(value)):
        raise AnalysisError(f"weights '{spec}': the value must be a positive "
                            f"{'whole number' if kind == 'knn' else 'distance in metres'}", fix=fix)
    return kind, (int(value) if kind == "knn" else value)


def _from_pairs(i, j, n) -> sparse.csr_matrix:
    keep = i != j
    i, j = i[keep], j[keep]
    m = sparse.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)).tocsr()
    m.data[:] = 1.0  # duplicates summed by tocsr: back to binary
    m.sort_indices()
    return m


def _contiguity(geoms, rook: bool) -> sparse.csr_matrix:
    geoms = np.asarray(geoms)
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    if rook and len(i):
        inter = shapely.intersection(geoms[i], geoms[j])
        # an edge (or an overlap) has length; a single shared point has none
        shared = shapely.length(shapely.boundary(inter)) + shapely.length(inter)
        ok = shared > 0
        i, j = i[ok], j[ok]
    n = len(geoms)
    return _from_pairs(np.r_[i, j], np.r_[j, i], n)


def _centroid_xy(gdf) -> np.ndarray:
    geoms = np.asarray(gdf.geometry.values)
    if np.all(shapely.get_type_id(geoms) == 0):
        return shapely.get_coordinates(geoms)
    return shapely.get_coordinates(shapely.centroid(geoms))


def _distance_band(xy, band) -> sparse.csr_matrix:
    tree = cKDTree(xy)
    pairs = tree.query_pairs(band, output_type="ndarray")
    n = len(xy)
    if len(pairs) == 0:
        return sparse.csr_matrix((n, n))
    return _from_pairs(np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]], n)


def _knn(xy, k) -> sparse.csr_matrix:
    n = len(xy)
    if k >= n:
        raise AnalysisError(f"knn:{k} needs more than {k} areas (there are {n})",
                            fix="choose a smaller k")
    tree = cKDTree(xy)
    _, idx = tree.query(xy, k=k + 1)
    rows = np.repeat(np.arange(n), k + 1)
    cols = idx.ravel()
    # drop self; when duplicate points make self not come first, drop the farthest instead
    self_hit = cols == rows
    has_self = self_hit.reshape(n, k + 1).any(axis=1)
    drop = self_hit.copy()
    drop.reshape(n, k + 1)[~has_self, k] = True
    return _from_pairs(rows[~drop], cols[~drop], n)


def build_weights(gdf, spec: str = "queen") -> SpatialWeights:
    """Build binary spatial weights (no self-weights) for areas or points.

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygons (areas) or points, in a projected CRS in metres.
    spec : str
        ``queen``, ``rook``, ``distance:METRES`` or ``knn:K``.

    Returns
    -------
    SpatialWeights

    Raises
    ------
    AnalysisError
        Geographic CRS, unknown spec, or queen/rook on points.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> cells = gpd.GeoDataFrame(geometry=[shapely.box(x, 0, x + 1, 1) for x in range(3)],
    ...                          crs="EPSG:27700")
    >>> build_weights(cells, "rook").cardinalities.tolist()
    [1, 2, 1]
    """
    check_projected(gdf)
    kind, value = parse_weights_spec(spec)
    if kind in ("queen", "rook"):
        types = set(gdf.geom_type.dropna().unique())
        if not types <= {"Polygon", "MultiPolygon"}:
            raise AnalysisError(f"{kind} contiguity needs polygon areas (got {sorted(types)})",
                                fix="use distance:METRES or knn:K for points")
        m = _contiguity(gdf.geometry.values, rook=(kind == "rook"))
        return SpatialWeights(m, spec=kind)
    xy = _centroid_xy(gdf)
    m = _distance_band(xy, value) if kind == "distance" else _knn(xy, value)
    return SpatialWeights(m, spec=f"{kind}:{value:g}", coords=xy)


def grid_weights(ny: int, nx: int, spec: str = "queen", valid=None,
                 cell_size: float = 1.0) -> SpatialWeights:
    """Binary weights between the cells of a regular grid (row-major order).

    Parameters
    ----------
    ny, nx : int
        Grid shape.
    spec : str
        ``queen`` (8 neighbours), ``rook`` (4), ``distance:METRES`` (cell centres
        within the band; needs ``cell_size``) or ``knn:K``.
    valid : bool array of shape (ny, nx), optional
        Cells to keep (e.g. inside the study area); the result is indexed by
        the valid cells in row-major order.
    cell_size : float
        Cell size in metres (for distance bands).
    """
    kind, value = parse_weights_spec(spec)
    valid = np.ones((ny, nx), bool) if valid is None else np.asarray(valid, bool)
    rr, cc = np.nonzero(valid)
    if kind in ("distance", "knn"):
        xy = np.column_stack([cc * cell_size, rr * cell_size]).astype(float)
        m = _distance_band(xy, value * (1 + 1e-9)) if kind == "distance" else _knn(xy, value)
        return SpatialWeights(m, spec=f"{kind}:{value:g}")
    pos = -np.ones((ny, nx), np.int64)
    pos[rr, cc] = np.arange(len(rr))
    offsets = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if kind == "queen":
        offsets += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    ii, jj = [], []
    for dr, dc in offsets:
        r2, c2 = rr + dr, cc + dc
        ok = (r2 >= 0) & (r2 < ny) & (c2 >= 0) & (c2 < nx)
        j = np.full(len(rr), -1)
        j[ok] = pos[r2[ok], c2[ok]]
        ok = j >= 0
        ii.append(np.flatnonzero(ok))
        jj.append(j[ok])
    return SpatialWeights(_from_pairs(np.concatenate(ii), np.concatenate(jj), len(rr)), spec=kind)
