"""Spatial weights: contiguity against libpysal, distance bands, knn, grids, refusals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import geopandas as gpd
from shapely.geometry import Point, box

from layers.common.errors import AnalysisError
from mapping.stats.weights import build_weights, grid_weights, parse_weights_spec

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


def test_snap_matches_libpysal_fuzzy_contiguity_on_bristol_lsoas():
    """Bristol's generalised LSOAs, reprojected from lon/lat, leave neighbours a fraction of a
    millimetre apart: exact contiguity misses 53 pairs.  Queen with a 2 m tolerance equals
    libpysal's fuzzy_contiguity on polygons buffered by 1 m (within 2 m of each other)."""
    from libpysal.weights import fuzzy_contiguity

    from tests.conftest import shared_path

    lsoa = gpd.read_file(shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson")) \
        .to_crs(CRS).reset_index(drop=True)
    exact = build_weights(lsoa, "queen", snap=0)
    snapped = build_weights(lsoa, "queen")
    assert snapped.snap == 2.0 and "within 2 m" in snapped.describe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = fuzzy_contiguity(lsoa.copy(), buffering=True, buffer=1.0)
        ref0 = fuzzy_contiguity(lsoa.copy(), buffering=False)
    assert (ref.sparse.toarray() == snapped.matrix.toarray()).all()
    assert (ref0.sparse.toarray() == exact.matrix.toarray()).all()
    added = (snapped.matrix.nnz - exact.matrix.nnz) // 2
    assert added == 53
    # most pairs added share a long boundary (rook gains them too), some only a corner
    rook0, rook = build_weights(lsoa, "rook", snap=0), build_weights(lsoa, "rook")
    assert (rook0.matrix.toarray() <= rook.matrix.toarray()).all()
    assert (rook.matrix.toarray() <= snapped.matrix.toarray()).all()
    assert 30 <= (rook.matrix.nnz - rook0.matrix.nnz) // 2 < added


def test_snap_rook_edges_not_corners():
    """Two squares 1 m apart along an edge are rook neighbours with a 2 m tolerance; two
    squares 1 m apart at a corner are queen but not rook neighbours."""
    geoms = [box(0, 0, 100, 100), box(101, 0, 201, 100), box(202, 101, 302, 201)]
    g = gpd.GeoDataFrame({"code": ["A", "B", "C"]}, geometry=geoms, crs=CRS)
    assert build_weights(g, "rook", snap=0).matrix.nnz == 0
    assert build_weights(g, "rook").matrix.toarray().tolist() == [[0, 1, 0], [1, 0, 0],
                                                                  [0, 0, 0]]
    assert build_weights(g, "queen").matrix.toarray().tolist() == [[0, 1, 0], [1, 0, 1],
                                                                   [0, 1, 0]]
    with pytest.raises(AnalysisError, match="snapping tolerance"):
        build_weights(g, "queen", snap=-1)


def test_islands_named_by_their_code():
    from mapping.stats.gistar import hotspot_gistar

    geoms = [box(0, 0, 100, 100), box(100, 0, 200, 100), box(5000, 5000, 5100, 5100)]
    g = gpd.GeoDataFrame({"code": ["E01000001", "E01000002", "E01009999"], "v": [1, 2, 3]},
                         geometry=geoms, crs=CRS)
    with pytest.raises(AnalysisError) as e:
        hotspot_gistar(g, "v", id_column="code")
    msg = str(e.value)
    assert "1 of 3 areas have no neighbours under queen weights (E01009999)" in msg
    assert "position" not in msg and "=" not in msg
    assert "knn:8" in msg and "distance:" in msg


def test_grid_cells_without_neighbours_left_out_with_a_note():
    """A study area whose corner holds one cell cut off from the rest: grid Gi* leaves it out,
    names it, and accounts for every point (in the cells, in the lone cell, outside)."""
    from shapely.geometry import MultiPolygon

    from mapping.stats.gistar import hotspot_gistar_grid

    main = box(0, 0, 1000, 1000)
    lone = box(1500, 1500, 1600, 1600)          # one 100 m cell, two cells away from the rest
    bnd = gpd.GeoDataFrame(geometry=[MultiPolygon([main, lone])], crs=CRS)
    rng = np.random.default_rng(1)
    xy = np.r_[rng.uniform(0, 1000, (200, 2)), [[1550, 1550]] * 3, [[1300, 300]] * 4]
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)
    out = hotspot_gistar_grid(pts, cell_size=100, boundary=bnd)
    assert len(out) == 100
    meta = out.attrs["meta"]
    assert meta["points"] == {"read": 207, "analysed": 200, "in_dropped_cells": 3,
                              "outside_cells": 4, "dropped_cells": 1}
    notes = " ".join(meta["notes"])
    assert "1 grid cells without a neighbour under queen weights left out" in notes
    assert "200 of 207 points are in the analysed cells; 4 are outside" in notes
