"""Coordinate-only reading of vector files (issue 18 point 2): no shapely point is built,
yet the accepted coordinates are bit-identical to the geometry path and to an independent
read with geopandas, and the rejected rows are the same, on GeoPackage, GeoJSON,
Shapefile and FlatGeobuf."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from pandas.testing import assert_frame_equal

import geopandas as gpd
import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon

from layers.points import points_xy
from layers.records import load_records

DRIVERS = {"gpkg": "GPKG", "geojson": "GeoJSON", "shp": "ESRI Shapefile", "fgb": "FlatGeobuf"}


def _features(crs):
    rng = np.random.default_rng(11)
    if crs == 27700:
        pts = [Point(x, y) for x, y in zip(rng.uniform(355_000, 362_000, 40),
                                           rng.uniform(170_000, 176_000, 40))]
        far = Point(100.0, 100.0)  # in the sea off Cornwall? outside GB: rejected
        extra = [Point(0, 0), far, Point(358_000.123456789, 173_000.987654321)]
    else:
        pts = [Point(x, y) for x, y in zip(rng.uniform(-2.7, -2.5, 40),
                                           rng.uniform(51.40, 51.50, 40))]
        extra = [Point(0, 0), Point(10.0, 60.0), Point(-2.587654321987, 51.454321987654)]
    return pts + extra


def _write(tmp_path, ext, crs, mixed):
    geoms = _features(crs)
    ids = [f"R{i:03d}" for i in range(len(geoms))]
    kinds = ["pt"] * len(geoms)
    if mixed:  # formats that hold mixed geometry types (not Shapefile)
        c = geoms[0]
        d = 50.0 if crs == 27700 else 0.0005  # about 50 m either way
        geoms += [None, Point(), MultiPoint([c, Point(c.x + d / 5, c.y + d / 5)]),
                  Polygon([(c.x, c.y), (c.x + d, c.y), (c.x + d, c.y + d)]),
                  LineString([(c.x, c.y), (c.x + d / 2, c.y + d / 2)])]
        ids += ["N1", "E1", "M1", "P1", "L1"]
        kinds += ["null", "empty", "multi", "poly", "line"]
    ids[5] = ids[4]  # a repeated id: rejected as a duplicate either way
    gdf = gpd.GeoDataFrame({"ref": ids, "kind": kinds, "n": np.arange(len(ids)),
                            "when": ["2019-01-05"] * len(ids)}, geometry=geoms, crs=crs)
    p = tmp_path / f"pts.{ext}"
    opts = {"SPATIAL_INDEX": "NO"} if ext == "fgb" else {}  # FlatGeobuf's index refuses nulls
    gdf.to_file(p, driver=DRIVERS[ext], engine="pyogrio", layer_options=opts)
    return p


@pytest.mark.parametrize("ext", list(DRIVERS))
@pytest.mark.parametrize("crs", [27700, 4326])
def test_coordinate_only_vector_layer_matches_geometry_path(tmp_path, ext, crs):
    mixed = ext != "shp"
    p = _write(tmp_path, ext, crs, mixed)
    pts = load_records(p).check()
    xy = load_records(p, geometry=False).check()
    assert xy.rows_read == pts.rows_read == len(_features(crs)) + (5 if mixed else 0)
    assert_frame_equal(xy.rejected, pts.rejected)
    assert xy.messages == pts.messages and xy.info["files"] == pts.info["files"]
    xn, yn = xy.accepted.attrs["xy_columns"]
    assert_frame_equal(xy.accepted.drop(columns=[xn, yn]),
                       pd.DataFrame(pts.accepted.drop(columns="geometry")))
    assert_array_equal(xy.accepted[xn].to_numpy(), pts.accepted.geometry.x.to_numpy())
    assert_array_equal(xy.accepted[yn].to_numpy(), pts.accepted.geometry.y.to_numpy())
    reasons = dict(zip(xy.rejected["ref"], xy.rejected["reason"]))
    assert reasons["R040"] == "zero coordinates"
    by_row = dict(zip(xy.rejected["source_row"], xy.rejected["reason"]))
    assert by_row[6] == "duplicate id"  # the second R004
    if mixed:
        assert reasons["N1"] == "no coordinates"
        # GeoJSON and FlatGeobuf store an empty point as no geometry at all
        assert reasons["E1"] == ("empty geometry" if ext == "gpkg" else "no coordinates")
        assert {"M1", "P1", "L1"} <= set(xy.accepted["ref"])  # placed at one point each
    # an independent read: geopandas' own points, projected by pyproj the same way
    ref = gpd.read_file(p).set_index("n")
    got = xy.accepted.set_index("n")
    plain = [n for n, r in zip(got.index, got["ref"]) if r.startswith("R")]
    g = ref.loc[plain].geometry
    if crs == 4326:
        from pyproj import Transformer

        t = Transformer.from_crs(4326, 27700, always_xy=True)
        ex, ny = t.transform(g.x.to_numpy(), g.y.to_numpy())
    else:
        ex, ny = g.x.to_numpy(), g.y.to_numpy()
    assert_array_equal(got.loc[plain, xn].to_numpy(), ex)  # bit for bit
    assert_array_equal(got.loc[plain, yn].to_numpy(), ny)


def test_multipoint_is_placed_at_its_first_point_and_polygon_on_its_surface(tmp_path):
    p = _write(tmp_path, "gpkg", 27700, True)
    xy = load_records(p, geometry=False)
    got = xy.accepted.set_index("ref")
    xn, yn = xy.accepted.attrs["xy_columns"]
    c = _features(27700)[0]
    assert (got.loc["M1", xn], got.loc["M1", yn]) == (c.x, c.y)
    poly = Polygon([(c.x, c.y), (c.x + 50, c.y), (c.x + 50, c.y + 50)])
    assert poly.covers(Point(got.loc["P1", xn], got.loc["P1", yn]))
    assert any("multipoints placed at one point" in m for m in xy.messages)


def test_nan_coordinates_in_geojson_are_rejected_not_crashed(tmp_path):
    p = tmp_path / "nan.geojson"
    p.write_text('{"type":"FeatureCollection","features":['
                 '{"type":"Feature","properties":{"a":1},"geometry":{"type":"Point",'
                 '"coordinates":[NaN,51.4]}},'
                 '{"type":"Feature","properties":{"a":2},"geometry":{"type":"Polygon",'
                 '"coordinates":[[[-2.6,51.4],[NaN,51.5],[-2.5,51.5],[-2.6,51.4]]]}},'
                 '{"type":"Feature","properties":{"a":3},"geometry":{"type":"Point",'
                 '"coordinates":[-2.6,51.4]}}]}')
    for geometry in (True, False):
        res = load_records(p, geometry=geometry).check()
        assert res.rows_read == 3 and len(res.accepted) == 1
        why = dict(zip(res.rejected["a"], res.rejected["reason"]))
        assert why[1] in ("empty geometry", "unparseable coordinate")
        assert why[2] == "unparseable coordinate"


def test_no_shapely_point_is_built_for_a_point_geopackage(tmp_path, monkeypatch):
    """The coordinate-only path never asks shapely to decode the million-point case."""
    p = _write(tmp_path, "gpkg", 27700, False)
    calls = []
    real = shapely.from_wkb

    def spy(wkb, *a, **k):
        calls.append(len(wkb))
        return real(wkb, *a, **k)

    monkeypatch.setattr(shapely, "from_wkb", spy)
    res = load_records(p, geometry=False)
    # only the rejected rows' geometries are decoded (for their WKT)
    assert sum(calls) == len(res.rejected)
    assert points_xy(res.accepted).shape == (len(res.accepted), 2)


@pytest.mark.parametrize("case", ["packed", "packed-big-endian", "mixed"])
def test_wkb_points_decodes_as_shapely_does(case):
    """The numpy WKB decoder against shapely's: packed 21-byte points (read through
    strided views), packed points with a big-endian one among them, and a mix of nulls,
    3-D points, lines and polygons (gathered)."""
    import pyarrow as pa

    from layers.ingest.vector import wkb_points

    rng = np.random.default_rng(3)
    xy = rng.uniform(-1e6, 1e6, (500, 2))
    geoms = list(shapely.points(xy))
    kinds = ["little"] * len(geoms)
    if case == "packed-big-endian":
        kinds[7] = kinds[300] = "big"
    if case == "mixed":
        geoms[3] = None
        geoms[10] = Point(1.0, 2.0, 3.0)
        geoms[11] = LineString([(0, 0), (1, 1)])
        geoms[499] = Polygon([(0, 0), (1, 0), (1, 1)])
    wkb = [None if g is None else shapely.to_wkb(g, byte_order=0 if k == "big" else 1)
           for g, k in zip(geoms, kinds)]
    arr = pa.array(wkb, pa.binary())
    for a in (arr, arr.slice(5)):  # also an array with an offset into its buffers
        x, y, plain = wkb_points(a)
        src = wkb[len(wkb) - len(a):]
        want = np.array([g is not None and len(g) == 21 and g[0] == 1 and
                         shapely.get_type_id(shapely.from_wkb(g)) == 0 for g in src])
        assert_array_equal(plain, want)
        ref = shapely.get_coordinates(shapely.from_wkb(np.array(src, object)[want]))
        assert_array_equal(x[plain], ref[:, 0])
        assert_array_equal(y[plain], ref[:, 1])
        assert np.isnan(x[~plain]).all() and np.isnan(y[~plain]).all()
