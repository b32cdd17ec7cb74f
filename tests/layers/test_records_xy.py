"""load_records(geometry=False): the coordinate-only layer accepts and rejects exactly
what the point layer does, and its coordinates are the points' coordinates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from pandas.testing import assert_frame_equal

import geopandas as gpd
from shapely.geometry import Point, box

from layers.points import as_geodataframe, is_xy_frame, points_xy
from layers.records import load_records

BROKEN = Path(__file__).resolve().parents[1] / "data" / "broken"


def _same(paths, **kw):
    """Load both ways; everything but the geometry representation must agree."""
    pts = load_records(paths, **kw).check()
    xy = load_records(paths, geometry=False, **kw).check()
    assert isinstance(pts.accepted, gpd.GeoDataFrame)
    assert not isinstance(xy.accepted, gpd.GeoDataFrame) and is_xy_frame(xy.accepted)
    assert xy.rows_read == pts.rows_read
    assert xy.info["files"] == pts.info["files"]
    assert xy.messages == pts.messages
    assert_frame_equal(xy.rejected, pts.rejected)
    xn, yn = xy.accepted.attrs["xy_columns"]
    assert_frame_equal(xy.accepted.drop(columns=[xn, yn]),
                       pd.DataFrame(pts.accepted.drop(columns="geometry")))
    # the coordinates are the points' own, to the last bit
    assert_array_equal(xy.accepted[xn].to_numpy(), pts.accepted.geometry.x.to_numpy())
    assert_array_equal(xy.accepted[yn].to_numpy(), pts.accepted.geometry.y.to_numpy())
    return pts, xy


@pytest.mark.parametrize("name", ["police_small.csv", "swapped_en.csv", "swapped_latlon.csv",
                                  "sea_points.csv", "zero_coords.csv", "dates_mixed.csv",
                                  "latin1.csv", "thousands.csv", "tabs.tsv", "utf8_bom.csv",
                                  "semicolon.csv", "title_lines.csv", "header_only.csv",
                                  "mixed_geometry.geojson"])
def test_coordinate_only_layer_matches_the_point_layer(name):
    pts, xy = _same(BROKEN / name)
    assert len(xy.accepted) + len(xy.rejected) == xy.rows_read


def test_rejections_are_kept_with_reasons(tmp_path):
    p = tmp_path / "mix.csv"
    p.write_text("Ref,Easting,Northing,Date\nA,358000,173000,01/02/2019\n"
                 "B,0,0,01/02/2019\nC,abc,173000,01/02/2019\nD,173000,358000,01/02/2019\n"
                 "A,358100,173100,01/02/2019\nE,,,01/02/2019\nF,358200,173200,31/02/2019\n",
                 encoding="utf-8")
    # 01/02/2019 reads day-first and month-first: the order is stated (issue 16)
    pts, xy = _same(p, date_format="DD/MM/YYYY")
    reasons = dict(zip(xy.rejected["source_row"], xy.rejected["reason"]))
    assert reasons == {2: "zero coordinates", 3: "unparseable coordinate", 4: "swapped axes",
                       5: "duplicate id", 6: "no coordinates"}
    # 31/02/2019 is no date: the record is kept, without a date (issue 16)
    assert xy.accepted["source_row"].tolist() == [1, 7]
    assert xy.accepted["date"].isna().tolist() == [False, True]
    assert points_xy(xy.accepted).tolist() == [[358000.0, 173000.0], [358200.0, 173200.0]]


def test_several_files_and_a_study_area(tmp_path):
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text("Easting,Northing\n358500,173500\n359300,173500\n", encoding="utf-8")
    b.write_text("lat,lon\n51.4545,-2.5979\n51.50,-2.60\n", encoding="utf-8")  # 2nd: 5 km N
    area = gpd.GeoDataFrame(geometry=[box(358000, 172000, 359100, 174000)], crs="EPSG:27700")
    pts, xy = _same([a, b], study_area=area)
    assert sorted(xy.rejected["reason"]) == ["outside study area"] * 2
    assert xy.rejected["detail"].iloc[0].endswith("m outside the study area")
    assert xy.info["files"][str(a)] == {"read": 2, "accepted": 1, "rejected": 1}


def test_a_file_column_named_like_the_coordinates_is_kept(tmp_path):
    p = tmp_path / "clash.csv"
    p.write_text("bng_x,bng_y,Easting,Northing\nkeep,me,358000,173000\n", encoding="utf-8")
    res = load_records(p, geometry=False, columns={"x": "Easting", "y": "Northing"}).check()
    acc = res.accepted
    assert acc.attrs["xy_columns"] == ("bng_x_1", "bng_y_1")
    assert acc["bng_x"].tolist() == ["keep"] and acc["bng_y"].tolist() == ["me"]
    assert points_xy(acc).tolist() == [[358000.0, 173000.0]]


def test_files_with_different_coordinate_names_concatenate(tmp_path):
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text("Easting,Northing\n358000,173000\n", encoding="utf-8")
    b.write_text("bng_x,Easting,Northing\nfile text,358100,173100\n", encoding="utf-8")
    res = load_records([a, b], geometry=False, columns={"x": "Easting", "y": "Northing"})
    acc = res.check().accepted
    xn, yn = acc.attrs["xy_columns"]
    assert (xn, yn) == ("bng_x_1", "bng_y_1")
    assert acc[xn].tolist() == [358000.0, 358100.0]
    assert acc["bng_x"].isna().tolist() == [True, False]


def test_points_xy_and_as_geodataframe_round_trip(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("Easting,Northing,n\n358000,173000,1\n358123.5,173456.25,2\n",
                 encoding="utf-8")
    xy = load_records(p, geometry=False).accepted
    gdf = as_geodataframe(xy)
    assert isinstance(gdf, gpd.GeoDataFrame) and gdf.crs.to_epsg() == 27700
    assert [g.coords[0] for g in gdf.geometry] == [(358000, 173000), (358123.5, 173456.25)]
    assert "bng_x" not in gdf.columns and gdf["n"].tolist() == ["1", "2"]
    assert_array_equal(points_xy(gdf), points_xy(xy))
    # a point layer with a missing geometry gives NaN, not a shorter array
    g = gpd.GeoDataFrame(geometry=[Point(1, 2), None], crs="EPSG:27700")
    out = points_xy(g)
    assert out.shape == (2, 2) and out[0].tolist() == [1.0, 2.0] and np.isnan(out[1]).all()
    with pytest.raises(TypeError, match="coordinate-only"):
        points_xy(pd.DataFrame({"x": [1.0]}))
