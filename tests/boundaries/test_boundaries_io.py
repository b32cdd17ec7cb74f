"""load_boundaries and ONS field detection on small literal layers."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from pyproj import Transformer
from shapely.geometry import Polygon, box

from boundaries.detect import area_level, detect_code_field, detect_name_field
from boundaries.io import load_boundaries
from layers.common.errors import InputError


def _areas(codes, x0=358000, field="LSOA11CD", crs="EPSG:27700", size=1000):
    geoms = [box(x0 + i * size, 173000, x0 + (i + 1) * size, 174000) for i in range(len(codes))]
    return gpd.GeoDataFrame({field: codes, field[:-2] + "NM": [f"Area {c}" for c in codes]},
                            geometry=geoms, crs=crs)


@pytest.mark.parametrize("cols, code, name, level", [
    (["LSOA11CD", "LSOA11NM"], "LSOA11CD", "LSOA11NM", "LSOA"),
    (["OBJECTID", "WD13CD", "WD13NM", "WD13NMW"], "WD13CD", "WD13NM", "ward"),
    (["LAD19CD", "LAD19NM"], "LAD19CD", "LAD19NM", "local authority"),
    (["MSOA11CD", "MSOA11NM", "LAD11CD"], "MSOA11CD", "MSOA11NM", "MSOA"),
    (["lsoa_code", "lsoa_name"], "lsoa_code", "lsoa_name", "LSOA"),
    (["LSOA21CD", "LSOA21NM"], "LSOA21CD", "LSOA21NM", "LSOA"),
])
def test_detect_ons_fields(cols, code, name, level):
    data = {c: [f"E0{i}00000{i}" if c.upper().endswith(("CD", "CODE")) else f"n{i}"
                for i in range(3)] for c in cols}
    if "LAD11CD" in cols:
        data["LAD11CD"] = ["E06000023"] * 3  # coarser level: fewer distinct codes
    df = pd.DataFrame(data)
    assert detect_code_field(df) == code
    assert detect_name_field(df, code) == name
    assert area_level(code) == level


def test_detect_by_values_when_names_are_odd():
    df = pd.DataFrame({"zone": ["E01014485", "E01014486"], "label": ["a", "b"]})
    assert detect_code_field(df) == "zone"
    assert detect_code_field(pd.DataFrame({"a": [1, 2]})) is None


def test_reprojects_lonlat_to_bng(tmp_path):
    t = Transformer.from_crs(27700, 4326, always_xy=True)
    ring = [(358000, 173000), (359000, 173000), (359000, 174000), (358000, 174000)]
    ll = [t.transform(x, y) for x, y in ring]
    p = tmp_path / "a.geojson"
    gpd.GeoDataFrame({"LSOA11CD": ["E01014485"]}, geometry=[Polygon(ll)],
                     crs="EPSG:4326").to_file(p)
    res = load_boundaries(p)
    assert res.accepted.crs.to_epsg() == 27700
    assert_allclose(res.accepted.total_bounds, (358000, 173000, 359000, 174000), atol=0.01)
    assert res.info["code_field"] == "LSOA11CD" and res.info["name_field"] is None
    assert res.info["crs"][str(p)] == "EPSG:4326"


def test_merge_files_and_refuse_duplicate_codes(tmp_path):
    a, b, c = tmp_path / "a.gpkg", tmp_path / "b.geojson", tmp_path / "c.fgb"
    _areas(["E01000001", "E01000002"]).to_file(a)
    _areas(["E01000003"], x0=360000).to_crs(4326).to_file(b)
    _areas(["E01000002"], x0=370000).to_file(c)
    res = load_boundaries([a, b])
    assert res.accepted["LSOA11CD"].tolist() == ["E01000001", "E01000002", "E01000003"]
    assert res.accepted["source_file"].tolist() == [str(a), str(a), str(b)]
    assert res.info["format"] == {str(a): "gpkg", str(b): "geojson"}
    with pytest.raises(InputError, match=r"1 area code\(s\) appear more than once "
                                         r"\(e.g. E01000002 in a.gpkg; c.fgb\)"):
        load_boundaries([a, c])
    both = load_boundaries([a, c], allow_duplicate_codes=True)
    assert len(both.accepted) == 3


def test_different_code_field_names_are_aligned(tmp_path):
    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    _areas(["E01000001"]).to_file(a)
    _areas(["E01000002"], x0=360000).rename(columns={"LSOA11CD": "lsoa11cd"}).to_file(b)
    res = load_boundaries([a, b])
    assert res.accepted["LSOA11CD"].tolist() == ["E01000001", "E01000002"]


def test_zipped_shapefile(tmp_path):
    d = tmp_path / "shp"
    d.mkdir()
    _areas(["E05000001", "E05000002"], field="WD13CD").to_file(d / "wards.shp")
    z = tmp_path / "wards.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in d.iterdir():
            zf.write(f, f.name)
    res = load_boundaries(z)
    assert res.info["code_field"] == "WD13CD" and res.info["level"] == "ward"
    assert len(res.accepted) == 2


def test_user_chosen_fields_and_missing_code(tmp_path):
    p = tmp_path / "x.gpkg"
    g = _areas(["E01000001"])
    g["other"] = ["X1"]
    g.to_file(p)
    assert load_boundaries(p, code_field="other").info["code_field"] == "other"
    with pytest.raises(InputError, match=r"column 'nope'.*no field 'nope'"):
        load_boundaries(p, code_field="nope")
    q = tmp_path / "nocode.gpkg"
    gpd.GeoDataFrame({"v": [1]}, geometry=[box(0, 0, 1, 1)], crs=27700).to_file(q)
    with pytest.raises(InputError, match=r"no area code field found.*Fix: pass code_field="):
        load_boundaries(q)


def test_table_is_not_a_boundary_file(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("code,value\nE01000001,1\n")
    with pytest.raises(InputError, match="a table .* not a boundary file"):
        load_boundaries(p)


def test_wrong_declared_crs_is_caught(tmp_path):
    p = tmp_path / "w.gpkg"
    # BNG metres mislabelled as Web Mercator land far from Britain
    _areas(["E01000001"]).set_crs(3857, allow_override=True).to_file(p)
    with pytest.raises(InputError, match=r"outside Great Britain.*Fix: .*crs="):
        load_boundaries(p)


def test_geopackage_attribute_tables_are_not_layers(tmp_path):
    import sqlite3

    p = tmp_path / "with_table.gpkg"
    _areas(["E01000001"]).to_file(p, layer="lsoa")
    con = sqlite3.connect(p)
    con.execute("create table notes (id integer primary key, txt text)")
    con.execute("insert into gpkg_contents (table_name, data_type, identifier) "
                "values ('notes', 'attributes', 'notes')")
    con.commit()
    con.close()
    res = load_boundaries(p)
    assert res.accepted["LSOA11CD"].tolist() == ["E01000001"]


def test_unknown_declared_crs_and_override(tmp_path):
    shp = tmp_path / "local.shp"
    _areas(["E01000001"]).to_file(shp)
    shp.with_suffix(".prj").write_text('LOCAL_CS["local",UNIT["metre",1]]')
    with pytest.raises(InputError, match=r"local.shp: the file's CRS \(local\) cannot be "
                                         r"converted.*Fix: pass the file's real CRS"):
        load_boundaries(shp)
    res = load_boundaries(shp, crs="EPSG:27700")
    assert_allclose(res.accepted.total_bounds, (358000, 173000, 359000, 174000))
    assert any("replaced by EPSG:27700" in m for m in res.messages)
