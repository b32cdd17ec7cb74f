"""load_records on small hand-made files: locations, kinds, mapping, dates, reconciliation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from pyproj import Transformer
from shapely.geometry import Point, box

from layers.common.errors import InputError
from layers.records import RECORD_KINDS, load_records
from layers.result import REJECT_COLUMNS


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _ok(res):
    res.check()
    for f, c in res.info["files"].items():
        assert c["accepted"] + c["rejected"] == c["read"]
    return res


def test_easting_northing_csv(tmp_path):
    p = _write(tmp_path, "a.csv", "ID,Easting,Northing,Date\n1,358000,173000,31/01/2019\n"
                                  "2,358123.5,173456.25,2019-02-01\n")
    res = _ok(load_records(p))
    a = res.accepted
    assert a.crs.to_epsg() == 27700
    assert [g.coords[0] for g in a.geometry] == [(358000, 173000), (358123.5, 173456.25)]
    assert a["source_file"].tolist() == [str(p)] * 2
    assert a["source_row"].tolist() == [1, 2]
    assert a["date"].tolist() == [pd.Timestamp("2019-01-31"), pd.Timestamp("2019-02-01")]
    assert a["date"].dtype == "datetime64[ns]"
    assert res.info["columns"]["x"] == "Easting" and res.info["columns"]["y"] == "Northing"
    assert res.info["coordinates"][str(p)] == "bng"
    assert res.info["time_span"] == (pd.Timestamp("2019-01-31"), pd.Timestamp("2019-02-01"))
    assert list(res.rejected.columns[:4]) == REJECT_COLUMNS


def test_lonlat_reprojected_like_pyproj(tmp_path):
    lon, lat = [-2.5879, -2.6001], [51.4545, 51.4600]
    p = _write(tmp_path, "b.csv", "lat,lng\n" + "".join(f"{b},{a}\n" for a, b in zip(lon, lat)))
    res = _ok(load_records(p))
    t = Transformer.from_crs(4326, 27700, always_xy=True)
    ex, ny = t.transform(lon, lat)
    assert_allclose(res.accepted.geometry.x, ex, atol=1e-6)
    assert_allclose(res.accepted.geometry.y, ny, atol=1e-6)
    # a hand check: Bristol centre is about 358,900 E 173,000 N
    assert 358_000 < ex[0] < 360_000 and 172_500 < ny[0] < 173_600


def test_xy_with_stated_crs(tmp_path):
    t = Transformer.from_crs(27700, 3857, always_xy=True)
    x, y = t.transform(358000, 173000)
    p = _write(tmp_path, "c.csv", f"X,Y\n{x},{y}\n")
    res = _ok(load_records(p, crs="EPSG:3857"))
    assert_allclose(res.accepted.geometry.iloc[0].coords[0], (358000, 173000), atol=1e-3)
    assert res.info["crs"][str(p)] == "EPSG:3857"


def test_xy_that_look_like_lonlat_are_read_as_wgs84(tmp_path):
    p = _write(tmp_path, "d.csv", "x,y\n-2.5879,51.4545\n")
    res = _ok(load_records(p))
    assert res.info["coordinates"][str(p)] == "lonlat"
    assert any("look like longitude/latitude" in m for m in res.messages)


def test_column_override_and_positions(tmp_path):
    p = _write(tmp_path, "e.csv", "A,B,C\n358000,173000,31/01/2019\n")
    res = _ok(load_records(p, columns={"x": "A", "y": "B", "date": "C"}))
    assert res.info["columns"] == {"x": "A", "y": "B", "date": "C"}
    res2 = _ok(load_records(p, columns={"easting": 1, "northing": 2, "date": 3}))
    assert res2.accepted.geometry.iloc[0].coords[0] == (358000, 173000)
    with pytest.raises(InputError, match=r"column 'Z'.*no such column.*Fix: correct"):
        load_records(p, columns={"x": "Z", "y": "B"})


def test_headerless_with_column_names(tmp_path):
    p = _write(tmp_path, "f.csv", "358000,173000,Possession\n358100,173100,Supply\n")
    res = _ok(load_records(p, header=False, column_names=["east", "north", "offence"],
                           kind="arrests"))
    assert res.accepted["offence"].tolist() == ["Possession", "Supply"]
    res2 = _ok(load_records(p, header=False, columns={"x": 1, "y": 2}))
    assert res2.accepted.columns[:3].tolist() == ["col1", "col2", "col3"]


def test_several_files_are_one_layer_with_source_rows(tmp_path):
    a = _write(tmp_path, "jan.csv", "Easting,Northing\n358000,173000\n,\n358100,173100\n")
    b = _write(tmp_path, "feb.csv", "Easting,Northing\n358200,173200\n")
    res = _ok(load_records([a, b]))
    assert res.rows_read == 4
    assert list(zip(res.accepted["source_file"], res.accepted["source_row"])) == [
        (str(a), 1), (str(a), 3), (str(b), 1)]
    assert res.rejected[["source_file", "source_row", "reason"]].values.tolist() == [
        [str(a), 2, "no coordinates"]]
    assert res.info["files"][str(a)] == {"read": 3, "accepted": 2, "rejected": 1}


def test_kinds_add_their_canonical_columns(tmp_path):
    p = _write(tmp_path, "g.csv", "Easting,Northing\n358000,173000\n")
    for kind, fields in RECORD_KINDS.items():
        res = _ok(load_records(p, kind=kind))
        for f in set(fields) | {"date", "geometry", "source_file", "source_row"}:
            assert f in res.accepted.columns, (kind, f)
    res = load_records(p, kind="crack_houses")
    for f in ("opened", "closure_order", "reopened"):
        assert res.accepted[f].dtype == "datetime64[ns]"


def test_needles_schema(tmp_path):
    p = _write(tmp_path, "n.csv",
               "Easting,Northing,Date Reported,Date Collected,No of needles\n"
               "358000,173000,31/01/2019 14:05,01/02/2019 09:00,3\n"
               "358000,173000,01/02/2019,,many\n")
    res = _ok(load_records(p, kind="needles"))
    a = res.accepted
    assert a["reported_at"].iloc[0] == pd.Timestamp("2019-01-31 14:05")
    assert a["collected_at"].iloc[0] == pd.Timestamp("2019-02-01 09:00")
    assert a["quantity"].iloc[0] == 3
    assert a["date"].iloc[0] == pd.Timestamp("2019-01-31 14:05")
    assert res.rejected["reason"].tolist() == ["unparseable number"]
    assert res.info["columns"]["collected_at"] == "Date Collected"


def test_arrests_and_seizures_schema(tmp_path):
    p = _write(tmp_path, "h.csv", "Easting,Northing,Arrest Date,Offence Type,Class,Age,Sex,"
                                  "Self Defined Ethnicity\n358000,173000,2019-01-05,PWITS,A,"
                                  "23,M,White British\n")
    a = _ok(load_records(p, kind="arrests")).accepted
    assert a[["offence", "drug_class", "gender", "ethnicity"]].iloc[0].tolist() == [
        "PWITS", "A", "M", "White British"]
    assert a["age"].iloc[0] == 23 and a["date"].iloc[0] == pd.Timestamp("2019-01-05")
    s = _write(tmp_path, "s.csv", "Easting,Northing,Seizure Date,Drug Type,Weight (g)\n"
                                  "358000,173000,05/01/2019,Cannabis,12.5\n")
    with pytest.raises(InputError, match="ambiguous dates: values such as '05/01/2019'"):
        load_records(s, kind="seizures")  # 5 January or 1 May: the file does not say
    a = _ok(load_records(s, kind="seizures", date_format="DD/MM/YYYY")).accepted
    assert a["date"].iloc[0] == pd.Timestamp("2019-01-05")
    assert a["drug"].iloc[0] == "Cannabis" and a["weight"].iloc[0] == 12.5


def test_services_from_xlsx(tmp_path):
    p = tmp_path / "svc.xlsx"
    df = pd.DataFrame({"Service Name": ["Hub", "Outreach"], "Service Type": ["NSP", "OST"],
                       "Places": [40, 12], "Easting": [358000, 358500],
                       "Northing": [173000, 173500],
                       "Opened": [pd.Timestamp("2015-03-01"), pd.Timestamp("2018-11-30")]})
    df.to_excel(p, index=False, sheet_name="Sites")
    res = _ok(load_records(p, kind="services", sheet="Sites"))
    a = res.accepted
    assert a["name"].tolist() == ["Hub", "Outreach"]
    assert a["capacity"].tolist() == [40, 12]
    assert a["date"].tolist() == [pd.Timestamp("2015-03-01"), pd.Timestamp("2018-11-30")]
    assert res.info["format"][str(p)] == "xlsx"
    with pytest.raises(InputError, match="worksheet 'Nope' not found"):
        load_records(p, sheet="Nope")


def test_geopackage_points_reprojected(tmp_path):
    p = tmp_path / "pts.gpkg"
    gpd.GeoDataFrame({"id": [1, 2], "when": ["2019-01-01", "2019-01-02"]},
                     geometry=[Point(-2.5879, 51.4545), None], crs="EPSG:4326").to_file(p)
    res = _ok(load_records(p, columns={"date": "when"}))
    assert res.accepted.crs.to_epsg() == 27700
    assert res.accepted.geometry.iloc[0].x == pytest.approx(358_900, abs=1_000)
    assert res.rejected["reason"].tolist() == ["no coordinates"]


def test_study_area_rejects_with_distance(tmp_path):
    area = gpd.GeoDataFrame({"LSOA11CD": ["E01000001"]},
                            geometry=[box(358000, 173000, 359000, 174000)], crs="EPSG:27700")
    p = _write(tmp_path, "sa.csv", "Easting,Northing\n358500,173500\n359300,173500\n"
                                   "359000,174000\n358000,172000\n")
    res = _ok(load_records(p, study_area=area))
    assert res.accepted["source_row"].tolist() == [1, 3]  # on the edge counts as inside
    assert res.rejected["reason"].tolist() == ["outside study area"] * 2
    assert res.rejected["detail"].tolist() == ["300 m outside the study area",
                                               "1,000 m outside the study area"]


def test_duplicate_ids_rejected_after_the_first(tmp_path):
    p = _write(tmp_path, "dup.csv", "Reference,Easting,Northing\nR1,358000,173000\n"
                                    "R2,358000,173000\nR1,358100,173100\n,358000,173000\n"
                                    ",358000,173000\n")
    res = _ok(load_records(p))
    assert res.rejected[["source_row", "reason"]].values.tolist() == [[3, "duplicate id"]]
    assert res.rejected["detail"].iloc[0] == "same Reference as dup.csv row 1"
    assert len(_ok(load_records(p, dedupe=False)).accepted) == 5


def test_unknown_kind_and_no_location(tmp_path):
    p = _write(tmp_path, "k.csv", "Easting,Northing\n358000,173000\n")
    with pytest.raises(InputError, match="unknown record kind 'bogus'"):
        load_records(p, kind="bogus")
    q = _write(tmp_path, "pc.csv", "Postcode\nBS1 1AD\n")
    with pytest.raises(InputError, match=r"postcode column \('Postcode'\) but no postcode table"):
        load_records(q)


def test_write_rejected_round_trip(tmp_path):
    p = _write(tmp_path, "w.csv", "Easting,Northing,Note\n358000,173000,ok\nabc,1,bad\n")
    res = _ok(load_records(p))
    out = res.write_rejected(tmp_path / "rej.csv")
    back = pd.read_csv(out)
    assert back.columns.tolist() == REJECT_COLUMNS + ["Easting", "Northing", "Note"]
    assert back.iloc[0].tolist()[:3] == [str(p), 2, "unparseable coordinate"]
    assert back["Note"].tolist() == ["bad"]


def test_police_uk_small():
    p = Path(__file__).resolve().parents[1] / "data" / "broken" / "police_small.csv"
    res = _ok(load_records(p))
    a = res.accepted
    assert res.info["police_uk"]
    assert a["is_asb"].tolist() == [False, True]
    assert a["crime_type"].tolist() == ["Drugs", "Anti-social behaviour"]
    assert a["lsoa_code"].tolist() == ["E01014485"] * 2
    assert a["last_outcome"].iloc[0] == "Under investigation"
    assert (a["date"] == pd.Timestamp("2019-01-01")).all()
    assert (a["period"] == "2019-01").all()
    assert sorted(res.rejected["reason"]) == ["duplicate id", "no location published"]


def test_vectorised_many_rows_reconcile(tmp_path):
    rng = np.random.default_rng(0)
    n = 20_000
    e = rng.uniform(350_000, 365_000, n).round(1).astype(str)
    e[::97] = ""
    e[5::101] = "x"
    df = pd.DataFrame({"Easting": e, "Northing": rng.uniform(165_000, 180_000, n).round(1)})
    p = tmp_path / "many.csv"
    df.to_csv(p, index=False)
    res = _ok(load_records(p))
    blank = (df["Easting"] == "").sum()
    bad = (df["Easting"] == "x").sum()
    assert res.reject_counts().to_dict() == {"no coordinates": blank,
                                             "unparseable coordinate": bad}


def test_places_outside_great_britain(tmp_path):
    p = _write(tmp_path, "ie.csv", "Longitude,Latitude,Place\n-6.26,53.35,Dublin\n"
                                   "-5.93,54.60,Belfast\n2.35,48.86,Paris\n-2.59,51.45,Bristol\n")
    res = _ok(load_records(p))
    assert res.accepted["Place"].tolist() == ["Belfast", "Bristol"]  # police.uk covers PSNI
    got = dict(zip(res.rejected["Place"], res.rejected["reason"]))
    assert got["Dublin"] in ("in the sea", "outside GB")
    assert got["Paris"] == "outside GB"


def test_study_area_from_a_boundary_file(tmp_path):
    from boundaries.io import load_boundaries

    area = tmp_path / "area.geojson"
    gpd.GeoDataFrame({"WD13CD": ["E05000001"]}, geometry=[box(358000, 173000, 359000, 174000)],
                     crs="EPSG:27700").to_crs(4326).to_file(area)
    p = _write(tmp_path, "pts.csv", "Easting,Northing\n358500,173500\n360000,173500\n")
    for sa in (area, str(area), load_boundaries(area)):
        res = _ok(load_records(p, study_area=sa))
        assert res.accepted["source_row"].tolist() == [1]
        assert res.rejected["detail"].iloc[0].endswith("m outside the study area")


def test_systematic_problems_get_a_file_level_hint(tmp_path):
    t = Transformer.from_crs(27700, 3857, always_xy=True)
    x, y = t.transform([358000, 358500], [173000, 173500])
    p = _write(tmp_path, "merc.csv", "X,Y\n" + "".join(f"{a},{b}\n" for a, b in zip(x, y)))
    res = _ok(load_records(p))
    assert set(res.rejected["reason"]) <= {"outside GB", "in the sea"}
    assert any("probably uses another CRS (pass crs=)" in m for m in res.messages)
    q = _write(tmp_path, "sw.csv", "Latitude,Longitude\n-2.59,51.45\n-2.60,51.46\n")
    res = _ok(load_records(q))
    assert res.rejected["reason"].tolist() == ["swapped axes"] * 2
    hint = [m for m in res.messages if "wrong way round" in m][0]
    assert "columns={'lon': 'Latitude', 'lat': 'Longitude'}" in hint
    fixed = _ok(load_records(q, columns={"lon": "Latitude", "lat": "Longitude"}))
    assert len(fixed.accepted) == 2


def test_study_area_distances_for_many_points_match_exact_within_3m():
    import shapely

    from layers.ingest.checks import StudyArea

    rng = np.random.default_rng(3)
    area = shapely.Polygon([(0, 0), (1000, 0), (1300, 700), (400, 1200), (-200, 600)])
    x = rng.uniform(-5000, 5000, 5000)
    y = rng.uniform(-5000, 5000, 5000)
    out = ~shapely.intersects_xy(area, x, y)
    approx = StudyArea(area)._distance(x[out], y[out])
    exact = shapely.distance(area, shapely.points(x[out], y[out]))
    assert np.abs(approx - exact).max() <= 2.6
