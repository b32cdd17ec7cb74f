"""Polygon paths and the spatial index of a layer's features, cached on the layer.

Polygon geometry is converted to matplotlib paths once per layer and cached on the
layer (keyed by the data object), so redraws after a style change only recompute
colours; a shapely ``STRtree``, cached the same way, finds the features in a view.
"""

from __future__ import annotations

import numpy as np

__all__ = ["polygon_paths", "in_view", "cached_paths"]


def polygon_paths(geoms) -> list:
    """Convert polygons/multipolygons to one matplotlib ``Path`` per feature (holes kept).

    Vectorised with shapely: rings and coordinates are extracted in bulk, then
    split per feature; empty geometries give an empty path.
    """
    import shapely
    from matplotlib.path import Path

    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    parts, part_idx = shapely.get_parts(geoms, return_index=True)
    # matplotlib fills by the non-zero winding rule: holes must wind against the shell
    parts = shapely.orient_polygons(parts, exterior_cw=False)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_idx = shapely.get_coordinates(rings, return_index=True)
    if len(coords) == 0:
        return [Path(np.zeros((0, 2))) for _ in range(n)]
    codes = np.full(len(coords), Path.LINETO, dtype=np.uint8)
    starts = np.r_[0, np.flatnonzero(np.diff(ring_idx)) + 1]
    ends = np.r_[starts[1:] - 1, len(coords) - 1]
    codes[starts] = Path.MOVETO
    codes[ends] = Path.CLOSEPOLY
    feat_of_coord = part_idx[ring_part[ring_idx]]
    bounds = np.searchsorted(feat_of_coord, np.arange(n + 1))
    return [Path(coords[a:b], codes[a:b]) if b > a else Path(np.zeros((0, 2)))
            for a, b in zip(bounds[:-1], bounds[1:])]


def _cached_tree(layer, gdf):
    """A shapely ``STRtree`` of the layer's geometries, cached on the layer like its paths."""
    import shapely

    cache = getattr(layer, "_hotmap_tree", None)
    if cache is not None and cache[0] is gdf and cache[1] == len(gdf):
        return cache[2]
    tree = shapely.STRtree(np.asarray(gdf.geometry.values, dtype=object))
    try:
        layer._hotmap_tree = (gdf, len(gdf), tree)
    except AttributeError:
        pass
    return tree


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
    cache = getattr(layer, "_hotmap_paths", None)
    if cache is not None and cache[0] is gdf and cache[1] == len(gdf):
        return cache[2]
    paths = polygon_paths(gdf.geometry.values)
    try:
        layer._hotmap_paths = (gdf, len(gdf), paths)
    except AttributeError:
        pass
    return paths
