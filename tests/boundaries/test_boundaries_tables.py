"""Attribute tables joined by code, and roll-ups that add up (hand-worked cases)."""

from __future__ import annotations

import pandas as pd
import pytest

import geopandas as gpd
from shapely.geometry import box

from boundaries.aggregate import aggregate_areas, assign_areas, best_fit_lookup
from boundaries.tables import join_attributes, read_attribute_table
from layers.common.errors import InputError


@pytest.fixture
def lsoas():
    # four 1 km squares in a row; wards are the left pair and the right pair
    codes = ["E01000001", "E01000002", "E01000003", "E01000004"]
    return gpd.GeoDataFrame({"LSOA11CD": codes},
                            geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(4)],
                            crs="EPSG:27700")


@pytest.fixture
def wards():
    return gpd.GeoDataFrame({"WD13CD": ["E05000001", "E05000002"]},
                            geometry=[box(0, 0, 2000, 1000), box(2000, 0, 4000, 1000)],
                            crs="EPSG:27700")


def test_table_with_thousands_and_grand_total(tmp_path):
    p = tmp_path / "pop.csv"
    p.write_text('lsoa,pop\nE01000001,"1,954"\nE01000002,"1,257"\nE01000003,800\n'
                 'E01000009,5\nGrand Total,"4,016"\n')
    t = read_attribute_table(p)
    assert t.code_field == "lsoa"
    assert t.data["pop"].tolist() == [1954, 1257, 800, 5]
    assert any("Grand Total" in m for m in t.messages)


def test_join_reports_unmatched_both_sides(tmp_path, lsoas):
    p = tmp_path / "pop.csv"
    p.write_text('lsoa,pop\nE01000001,"1,954"\nE01000002,"1,257"\nE01000003,800\n'
                 'E01000009,5\nGrand Total,"4,016"\n')
    j = join_attributes(lsoas, p)
    assert j.matched == 3
    assert j.unmatched_areas == ["E01000004"]
    assert j.unmatched_table == ["E01000009"]
    assert j.data["pop"].tolist()[:3] == [1954, 1257, 800]
    assert pd.isna(j.data["pop"].iloc[3])
    assert j.data.crs.to_epsg() == 27700 and len(j.data) == 4


def test_join_xlsx_with_prefix_and_clash(tmp_path, lsoas):
    p = tmp_path / "imd.xlsx"
    pd.DataFrame({"LSOA code (2011)": lsoas["LSOA11CD"], "IMD decile": [1, 2, 3, 10]}) \
        .to_excel(p, index=False)
    j = join_attributes(lsoas, p, table_code="LSOA code (2011)", prefix="imd_")
    assert j.data["imd_IMD decile"].tolist() == [1, 2, 3, 10]
    assert j.unmatched_areas == [] and j.unmatched_table == []
    with pytest.raises(InputError, match="already exist"):
        join_attributes(j.data, p, table_code="LSOA code (2011)", prefix="imd_")


def test_duplicate_codes_in_table_refused(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("code,v\nE01000001,1\nE01000001,2\n")
    with pytest.raises(InputError, match=r"appear more than once.*E01000001"):
        read_attribute_table(p)


def test_aggregate_best_fit_sums(lsoas, wards):
    lsoas = lsoas.assign(pop=[100, 200, 300, 400], crimes=[1, 2, 3, 4])
    r = aggregate_areas(lsoas, wards)
    assert r.method == "best fit"
    assert r.data["pop"].tolist() == [300, 700]
    assert r.data["crimes"].tolist() == [3, 7]
    assert r.data["n_small"].tolist() == [2, 2]
    assert r.data["pop"].sum() == lsoas["pop"].sum()
    assert r.unassigned == []


def test_aggregate_with_lookup_and_unassigned(lsoas, wards, tmp_path):
    lsoas = lsoas.assign(pop=[100, 200, 300, 400])
    lk = tmp_path / "lookup.csv"
    lk.write_text("LSOA11CD,WD13CD\nE01000001,E05000002\nE01000002,E05000002\n"
                  "E01000003,E05000001\n")
    r = aggregate_areas(lsoas, wards, values=["pop"], lookup=lk)
    assert r.method == "lookup"
    assert r.data["pop"].tolist() == [300, 300]
    assert r.unassigned == ["E01000004"]
    assert r.data["pop"].sum() + 400 == lsoas["pop"].sum()


def test_best_fit_lookup_and_assign_points(lsoas, wards):
    lk = best_fit_lookup(lsoas, wards)
    assert lk["large_code"].tolist() == ["E05000001", "E05000001", "E05000002", "E05000002"]
    pts = gpd.GeoSeries.from_xy([500, 2500, 9000], [500, 500, 500], crs="EPSG:27700")
    got = assign_areas(pts, wards)
    assert got.tolist() == ["E05000001", "E05000002", None]
