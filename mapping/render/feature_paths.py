"""Polygon paths and the spatial index of a layer's features, cached on the layer.

Polygon geometry is converted to matplotlib paths once per layer and cached on the
layer (keyed by the data object), so redraws after a style change only recompute
colours; a shapely ``STRtree``, cached the same way, finds the features in a view,
and the features' bounding boxes give the drawn collection its data limits
(:func:`area_collection`) without matplotlib walking every vertex again.
"""

from __future__ import annotations

import numpy as np

__all__ = ["polygon_paths", "in_view", "cached_paths", "cached_bounds", "area_collection"]


def polygon_paths(geoms) -> list:
    """Convert polygons/multipolygons to one matplotlib ``Path`` per feature (holes kept).

    Vectorised with shapely: rings and coordinates are extracted in bulk, then
    split per feature; empty geometries give an empty path.
    """
    import gc

    import shapely
    from matplotlib.path import Path

    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    parts, part_idx = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_idx = shapely.get_coordinates(rings, return_index=True)
    if len(coords) == 0:
        return [Path(np.zeros((0, 2))) for _ in range(n)]
    coords = _wound_for_nonzero(coords, rings, ring_part, ring_idx)
    codes = np.full(len(coords), Path.LINETO, dtype=np.uint8)
    starts = np.r_[0, np.flatnonzero(np.diff(ring_idx)) + 1]
    ends = np.r_[starts[1:] - 1, len(coords) - 1]
    codes[starts] = Path.MOVETO
    codes[ends] = Path.CLOSEPOLY
    feat_of_coord = part_idx[ring_part[ring_idx]]
    bounds = np.searchsorted(feat_of_coord, np.arange(n + 1))
    make = _path_maker(Path)
    # tens of thousands of new objects and no cycles: the collector's passes over the
    # whole heap they would set off (half the time here) find nothing to free
    paused = gc.isenabled()
    gc.disable()
    try:
        return [make(coords[a:b], codes[a:b]) if b > a else Path(np.zeros((0, 2)))
                for a, b in zip(bounds[:-1], bounds[1:])]
    finally:
        if paused:
            gc.enable()


def _wound_for_nonzero(coords, rings, ring_part, ring_idx):
    """The ring coordinates with shells anticlockwise and holes clockwise.

    matplotlib fills by the non-zero winding rule, so holes must wind against their
    shell.  ``shapely.orient_polygons(parts, exterior_cw=False)`` gives these
    coordinates too (GEOS reverses each ring whose ``isCCW`` is the wrong way), but
    builds a new geometry per polygon: reversing the same rings in the coordinate array
    takes a third of the time.
    """
    import shapely

    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]]  # the first ring of each part
    flip = shapely.is_ccw(rings) != exterior
    if not flip.any():
        return coords
    per_ring = np.arange(len(rings))
    first = np.searchsorted(ring_idx, per_ring)
    last = np.searchsorted(ring_idx, per_ring, side="right") - 1
    order = np.arange(len(coords))
    f = flip[ring_idx]
    order[f] = (first + last)[ring_idx[f]] - order[f]
    return coords[order]


def _path_maker(Path):
    """``make(vertices, codes)`` giving the ``Path`` that ``Path(vertices, codes)`` gives.

    ``Path.__init__`` re-validates its arrays and reads rcParams for every path: about
    two thirds of the time of converting the nation's 34,753 LSOAs (0.2 s of 0.3 s).
    The arrays built above are valid by construction, so each path is made the way
    matplotlib makes its own derived paths (``Path._fast_from_codes_and_verts``), with
    the simplification settings copied from one path made by the constructor with the
    same kind of codes (each ends with CLOSEPOLY): the same Path, drawn the same.
    """
    template = Path(np.zeros((3, 2)), [Path.MOVETO, Path.LINETO, Path.CLOSEPOLY])
    fast = getattr(Path, "_fast_from_codes_and_verts", None)
    if fast is None or not hasattr(template, "_should_simplify"):
        return Path  # another matplotlib: the constructor

    def make(vertices, codes):
        return fast(vertices, codes, internals_from=template)

    return make


def _cached_on(layer, attr: str, gdf, make):
    """``make()`` kept on the layer as ``attr`` for as long as its data is ``gdf`` (same
    frame, same length): the paths, bounds and spatial index are built once a layer."""
    cache = getattr(layer, attr, None)
    if cache is not None and cache[0] is gdf and cache[1] == len(gdf):
        return cache[2]
    value = make()
    try:
        setattr(layer, attr, (gdf, len(gdf), value))
    except AttributeError:
        pass
    return value


def _cached_tree(layer, gdf):
    """A shapely ``STRtree`` of the layer's geometries, cached on the layer like its paths."""
    import shapely

    return _cached_on(layer, "_hotmap_tree", gdf, lambda: shapely.STRtree(
        np.asarray(gdf.geometry.values, dtype=object)))


def in_view(layer, gdf, view) -> np.ndarray | None:
    """Positions of the features whose bounding box meets ``view`` (sorted), or None for all.

    ``view`` is (xmin, ymin, xmax, ymax) in the layer's metres, already widened by
    the caller for strokes that reach over its edge.  A spatial index (shapely's
    ``STRtree``, built once per layer) answers in well under a millisecond, so a
    redraw zoomed to one city draws its few hundred polygons, not the nation's
    34,753.  Features are drawn in their own order either way, so a culled draw
    gives the pixels of the full one inside the view.
    """
    if view is None:
        return None
    import shapely

    x0, y0, x1, y1 = view
    idx = _cached_tree(layer, gdf).query(shapely.box(x0, y0, x1, y1))
    return np.sort(idx)


def cached_paths(layer, gdf):
    """The layer's polygon paths (:func:`polygon_paths`), cached on the layer by its data."""
    return _cached_on(layer, "_hotmap_paths", gdf, lambda: polygon_paths(gdf.geometry.values))


def cached_bounds(layer, gdf) -> np.ndarray:
    """The features' (xmin, ymin, xmax, ymax), an ``n x 4`` array cached like the paths."""
    import shapely

    return _cached_on(layer, "_hotmap_bounds", gdf, lambda: shapely.bounds(
        np.asarray(gdf.geometry.values, dtype=object)))


_AREA_COLLECTION = None


def area_collection(paths, bounds, **kw):
    """A ``PathCollection`` of ``paths`` whose data limits come from ``bounds``.

    ``Axes.add_collection`` asks a collection for its data limits, which matplotlib
    finds by walking every vertex of every path (70 ms for the nation's LSOAs, each
    full render).  The polygons' bounding boxes (``bounds``, one row per path, from
    :func:`cached_bounds`) give the same box; its minimum positive values (for log
    scales) are the minima too when those are positive, else matplotlib's own walk
    is used.
    """
    global _AREA_COLLECTION
    if _AREA_COLLECTION is None:
        from matplotlib import collections
        from matplotlib.transforms import Bbox

        class PathCollection(collections.PathCollection):
            """Polygons in data coordinates with their extent known beforehand.

            Named as its base class: SVG exports name each group after the class, so
            they stay byte for byte what a plain ``PathCollection`` writes.
            """

            extent = None  # (xmin, ymin, xmax, ymax) of the paths, or None

            def get_datalim(self, transData):  # noqa: N803 - matplotlib's name
                ext = self.extent
                if (ext is None or self.get_transform() is not transData
                        or np.any(self.get_offsets()) or not len(self.get_paths())):
                    return super().get_datalim(transData)
                box = Bbox.null()
                box.update_from_data_xy(np.array([ext[:2], ext[2:]]), ignore=True)
                return box

        _AREA_COLLECTION = PathCollection
    coll = _AREA_COLLECTION(paths, **kw)
    bounds = np.asarray(bounds, dtype=float).reshape(-1, 4)
    if len(bounds) and not np.isnan(bounds).all():
        with np.errstate(invalid="ignore"):
            ext = (np.nanmin(bounds[:, 0]), np.nanmin(bounds[:, 1]),
                   np.nanmax(bounds[:, 2]), np.nanmax(bounds[:, 3]))
        if ext[0] > 0 and ext[1] > 0 and np.isfinite(ext).all():
            coll.extent = ext
    return coll
