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

Snapping tolerance
------------------
Published boundaries are generalised, and reprojected from longitude and
latitude they no longer meet exactly: neighbouring areas are left a fraction of
a millimetre to a few metres apart, and exact contiguity misses them (53 of
the 719 neighbour pairs of Bristol's 263 LSOAs are 0.00x m apart).  So queen
and rook count two boundaries as touching when they come within ``snap``
metres (default :data:`DEFAULT_SNAP_M`, 2 m; 0 = exact contiguity), as
libpysal's ``fuzzy_contiguity`` does with buffered polygons.  For rook, areas
sharing an edge stay neighbours, and areas that only come within the tolerance
need a stretch of boundary within it longer than three times the tolerance
(two areas meeting at a corner give about twice the tolerance).  The
tolerance is stated in :meth:`SpatialWeights.describe` and so in every
output's metadata.  Grid cells share their edges exactly and need none.

Islands
-------
:func:`check_islands` refuses areas without neighbours, naming them by their
code, with the fix; :func:`drop_islands` takes them out (grid cells).

Public functions: :func:`build_weights`, :func:`grid_weights`,
:func:`parse_weights_spec`, :func:`check_projected`, :func:`check_islands`,
:func:`drop_islands`; class :class:`SpatialWeights`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

import shapely

from layers.common.errors import AnalysisError
from mapping.core.crs import check_projected  # noqa: F401  (re-exported)

__all__ = ["SpatialWeights", "build_weights", "grid_weights", "parse_weights_spec",
           "check_projected", "check_islands", "drop_islands", "WEIGHT_KINDS",
           "DEFAULT_SNAP_M"]

#: Default snapping tolerance of queen and rook contiguity between polygons (metres).
DEFAULT_SNAP_M = 2.0

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
    snap: float | None = None  # contiguity tolerance in metres (queen/rook on polygons)

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
        snap = "" if self.snap is None else (
            "exact contiguity, " if self.snap == 0 else
            f"boundaries within {self.snap:g} m count as shared, ")
        return (f"{self.spec} weights, {snap}binary, mean {card.mean():.1f} neighbours "
                f"(min {card.min()}, max {card.max()})")

    def subset(self, keep) -> "SpatialWeights":
        """The weights among the sites where ``keep`` is True (same order)."""
        keep = np.asarray(keep, bool)
        m = self.matrix.tocsr()[keep][:, keep].tocsr()
        m.sort_indices()
        coords = None if self.coords is None else self.coords[keep]
        return SpatialWeights(m, spec=self.spec, coords=coords, snap=self.snap)


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


def _contiguity(geoms, rook: bool, snap: float = 0.0) -> sparse.csr_matrix:
    geoms = np.asarray(geoms)
    tree = shapely.STRtree(geoms)
    if snap > 0:
        i, j = tree.query(geoms, predicate="dwithin", distance=snap)
    else:
        i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    if rook and len(i):
        inter = shapely.intersection(geoms[i], geoms[j])
        # an edge (or an overlap) has length; a single shared point has none
        ok = shapely.length(shapely.boundary(inter)) + shapely.length(inter) > 0
        if snap > 0:
            # the stretch of i's boundary within snap of j: a shared edge of length L gives
            # about L + 2 snap, a meeting at a corner about 2 snap
            t = np.flatnonzero(~ok)
            near = shapely.intersection(shapely.boundary(geoms[i[t]]),
                                        shapely.buffer(geoms[j[t]], snap))
            ok[t] = shapely.length(near) > 3 * snap
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


def build_weights(gdf, spec: str = "queen", *, snap: float | None = None) -> SpatialWeights:
    """Build binary spatial weights (no self-weights) for areas or points.

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygons (areas) or points, in a projected CRS in metres.
    spec : str
        ``queen``, ``rook``, ``distance:METRES`` or ``knn:K``.
    snap : float, optional
        Queen and rook: boundaries within this many metres count as touching
        (default :data:`DEFAULT_SNAP_M`; 0 = exact).  Not used by distance and knn.

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
        snap = DEFAULT_SNAP_M if snap is None else float(snap)
        if not (np.isfinite(snap) and snap >= 0):
            raise AnalysisError(f"the snapping tolerance must be 0 or more metres (got {snap:g})",
                                fix=f"use e.g. {DEFAULT_SNAP_M:g} (metres), or 0 for exact "
                                    "contiguity")
        m = _contiguity(gdf.geometry.values, rook=(kind == "rook"), snap=snap)
        return SpatialWeights(m, spec=kind, coords=_centroid_xy(gdf), snap=snap)
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


def _fix_islands(w: SpatialWeights, what: str) -> str:
    kind = w.spec.split(":")[0]
    band = w.min_band_without_islands()
    alt = (f"a distance band of at least {band:g} m (distance:{band:g}, the largest "
           "nearest-neighbour distance)" if band else "a distance band")
    if kind in ("queen", "rook"):
        more = (f", or a larger snapping tolerance than {w.snap:g} m if the boundaries nearly "
                "touch" if w.snap is not None else "")
        return f"choose weights knn:8 (every one of the {what} gets 8 neighbours) or {alt}{more}"
    if kind == "distance":
        return f"choose {alt}, or weights knn:8"
    return "choose weights knn:8"


def check_islands(w: SpatialWeights, ids=None, *, what: str = "areas") -> None:
    """Refuse weights under which some areas have no neighbour, naming them.

    Parameters
    ----------
    w : SpatialWeights
    ids : sequence, optional
        The areas' codes (or cell ids), in the order of the weights; positions otherwise.
    what : str
        What the sites are, for the message ("areas", "grid cells").

    Raises
    ------
    AnalysisError
        Naming up to 10 islands by their code, with the fix.
    """
    islands = w.islands
    if not len(islands):
        return
    names = [str(ids[i]) for i in islands] if ids is not None else \
        [f"number {i + 1}" for i in islands]
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    raise AnalysisError(
        f"{len(islands)} of {w.n} {what} have no neighbours under {w.spec} weights "
        f"({shown}), so a local statistic would compare them only with themselves",
        fix=_fix_islands(w, what))


def drop_islands(w: SpatialWeights) -> tuple[np.ndarray, SpatialWeights]:
    """Split off the sites without neighbours.

    Returns
    -------
    (keep, weights) : (bool ndarray, SpatialWeights)
        ``keep`` is False for the islands; ``weights`` are among the others.
        Removing islands never leaves another site without neighbours.
    """
    keep = w.cardinalities > 0
    if keep.all():
        return keep, w
    return keep, w.subset(keep)
