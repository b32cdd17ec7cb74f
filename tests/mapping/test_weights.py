"""Spatial weights: contiguity against libpysal, distance bands, knn, grids, refusals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import geopandas as gpd
from shapely.geometry import Point, box

from layers.errors import AnalysisError
from mapping.weights import build_weights, grid_weights, parse_weights_spec

CRS = "EPSG:27700"


@pytest.fixture
def tiles():
    """A 4 x 5 tessellation of 100 m squares (shared vertices, as libpysal expects)."""
    geoms = [box(c * 100, r * 100, c * 100 + 100, r * 100 + 100)
             for r in range(4) for c in range(5)]
    return gpd.GeoDataFrame({"id": range(20)}, geometry=geoms, crs=CRS)


@pytest.mark.parametrize("kind", ["queen", "rook"])
def test_contiguity_matches_libpysal(tiles, kind):
    from libpysal.weights import Queen, Rook

    ref = (Queen if kind == "queen" else Rook).from_dataframe(tiles, use_index=False)
    ours = build_weights(tiles, kind).matrix
    assert (ref.sparse.toarray() == ours.toarray()).all()
    assert ours.diagonal().sum() == 0


def test_grid_weights_match_polygon_weights(tiles):
    for kind in ("queen", "rook"):
        g = grid_weights(4, 5, kind).matrix.toarray()
        # grid rows run north -> south; tiles run south -> north: flip row order
        order = np.arange(20).reshape(4, 5)[::-1].ravel()
        p = build_weights(tiles, kind).matrix.toarray()[np.ix_(order, order)]
        assert (g == p).all()


def test_grid_weights_with_mask():
    valid = np.array([[True, True], [False, True]])
    w = grid_weights(2, 2, "rook", valid=valid)
    assert w.n == 3 and w.cardinalities.tolist() == [1, 2, 1]


def test_distance_band_and_knn():
    pts = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(100, 0), Point(250, 0), Point(1000, 0)],
                           crs=CRS)
    w = build_weights(pts, "distance:150")
    assert w.matrix.toarray().tolist() == [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0],
                                           [0, 0, 0, 0]]
    assert w.islands.tolist() == [3]
    k = build_weights(pts, "knn:1").matrix.toarray()
    assert k.tolist() == [[0, 1, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
    assert k.sum(axis=1).tolist() == [1, 1, 1, 1]


def test_knn_matches_libpysal():
    from libpysal.weights import KNN

    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 5000, (60, 2))
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = KNN.from_array(xy, k=5)
    assert (ref.sparse.toarray() == build_weights(pts, "knn:5").matrix.toarray()).all()


def test_refuses_geographic_crs_and_bad_specs(tiles):
    geo = tiles.set_crs("EPSG:4326", allow_override=True)
    with pytest.raises(AnalysisError, match="geographic CRS.*Fix: reproject"):
        build_weights(geo, "distance:500")
    for bad in ("hexagon", "distance", "distance:-5", "knn:2.5", "queen:3"):
        with pytest.raises(AnalysisError):
            parse_weights_spec(bad)
    assert parse_weights_spec("Distance:800") == ("distance", 800.0)
    pts = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(1, 1)], crs=CRS)
    with pytest.raises(AnalysisError, match="polygon"):
        build_weights(pts, "queen")
