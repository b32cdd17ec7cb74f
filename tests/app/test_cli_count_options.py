"""`hotmap count`: every --out format, --weight, --roll-up-to, --population-lookup (issue 17).
These are contracts the generated verbs must keep."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
from shapely.geometry import box

from app.cli import main

CRS = "EPSG:27700"
X0, Y0 = 358000, 172000


@pytest.fixture
def files(tmp_path):
    """Four 1 km LSOAs in two wards, seizure records with weights, populations, lookups."""
    lsoa = gpd.GeoDataFrame(
        {"LSOA11CD": ["E01000001", "E01000002", "E01000003", "E01000004"]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000),
                  box(0, 1000, 1000, 2000), box(1000, 1000, 2000, 2000)], crs=CRS)
    lsoa.geometry = lsoa.geometry.translate(X0, Y0)
    lsoa.to_file(tmp_path / "lsoa.gpkg")
    wards = gpd.GeoDataFrame({"WD13CD": ["E05000001", "E05000002"],
                              "WD13NM": ["South ward", "North ward"]},
                             geometry=[box(0, 0, 2000, 1000), box(0, 1000, 2000, 2000)], crs=CRS)
    wards.geometry = wards.geometry.translate(X0, Y0)
    wards.to_file(tmp_path / "wards.gpkg")
    rng = np.random.default_rng(2)
    xy = np.r_[rng.uniform(0, 2000, (60, 2)), [[5000, 5000]]]
    pd.DataFrame({"easting": (xy[:, 0] + X0).round(1), "northing": (xy[:, 1] + Y0).round(1),
                  "date": "2019-01-15", "weight_g": rng.uniform(1, 50, len(xy)).round(1)}
                 ).to_csv(tmp_path / "seizures.csv", index=False)
    (tmp_path / "pop.csv").write_text("lsoa,pop\nE01000001,1500\nE01000002,1200\n"
                                      "E01000003,2000\nE01000004,900\n")
    # Census 2021 style: LSOA 3 was split into two 2021 LSOAs (new codes)
    (tmp_path / "pop21.csv").write_text("geography code,residents\nE01000001,1500\n"
                                        "E01000002,1200\nE01100001,1100\nE01100002,900\n"
                                        "E01000004,900\n")
    (tmp_path / "lsoa11_21.csv").write_text(
        "\ufeffLSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND,LAD22CD,LAD22NM,LAD22NMW,ObjectId\n"
        "E01000001,A,E01000001,A,U,E06000023,B,,1\nE01000002,B,E01000002,B,U,E06000023,B,,2\n"
        "E01000003,C,E01100001,C1,S,E06000023,B,,3\nE01000003,C,E01100002,C2,S,E06000023,B,,4\n"
        "E01000004,D,E01000004,D,U,E06000023,B,,5\n")
    return tmp_path


def _count(files, *extra):
    # arithmetic contracts: disclosure control off (it is tested in test_disclosure_sweep)
    return main(["count", "--areas", str(files / "lsoa.gpkg"), "--area-id", "LSOA11CD",
                 "--points", str(files / "seizures.csv"), "--suppress-below", "0", *extra])


@pytest.mark.parametrize("suffix", [".csv", ".gpkg", ".geojson", ".shp", ".shp.zip"])
def test_count_writes_every_vector_format(files, suffix):
    out = files / f"c{suffix}"
    assert _count(files, "--out", str(out)) == 0
    if suffix == ".csv":
        t = pd.read_csv(out)
    elif suffix == ".shp.zip":
        t = gpd.read_file(f"zip://{out}")
    else:
        t = gpd.read_file(out)
    assert len(t) == 4 and int(t["count"].sum()) == 60
    if suffix == ".geojson":
        assert t.crs.to_epsg() == 4326
    elif suffix != ".csv":
        assert t.crs.to_epsg() == 27700
    if suffix == ".shp":
        assert (files / "c.fields.csv").exists()
    assert (out.parent / (out.name + ".meta.json")).exists()


def test_count_refuses_an_unknown_format_naming_the_ones_it_writes(files, capsys):
    assert _count(files, "--out", str(files / "c.txt")) == 2
    err = capsys.readouterr().err
    assert ".geojson" in err and ".shp" in err and ".gpkg" in err and ".csv" in err


def test_count_weight_sums_a_quantity_per_area_and_per_10000(files):
    out = files / "w.csv"
    assert _count(files, "--weight", "weight_g", "--weight-units", "grams",
                  "--population", str(files / "pop.csv"), "--population-id", "lsoa",
                  "--population-field", "pop", "--out", str(out)) == 0
    t = pd.read_csv(out)
    raw = pd.read_csv(files / "seizures.csv")
    inside = raw[(raw["easting"] < X0 + 2000) & (raw["northing"] < Y0 + 2000)]
    assert t["weight_g_sum"].sum() == pytest.approx(inside["weight_g"].sum())
    np.testing.assert_allclose(t["weight_g_per_10k"], t["weight_g_sum"] /
                               t["population"] * 1e4)
    meta = json.loads((files / "w.csv.meta.json").read_text())
    assert meta["summed"]["field"] == "weight_g" and meta["summed"]["units"] == "grams"
    assert meta["units"] == "grams per 10,000 residents"


def test_count_rolls_up_to_wards_with_rates_on_the_sums(files, capsys):
    out = files / "wards.gpkg"
    assert _count(files, "--population", str(files / "pop.csv"), "--population-id", "lsoa",
                  "--population-field", "pop", "--roll-up-to", str(files / "wards.gpkg"),
                  "--out", str(out)) == 0
    g = gpd.read_file(out)
    assert g["WD13CD"].tolist() == ["E05000001", "E05000002"]
    assert g["population"].tolist() == [1500 + 1200, 2000 + 900]
    np.testing.assert_allclose(g["rate_per_10k"], g["count"] / g["population"] * 1e4)
    assert int(g["count"].sum()) == 60
    text = capsys.readouterr().out
    assert "roll-up: 4 areas into 2 by largest overlap" in text
    # and a ward funnel now works on the rolled-up wards
    assert main(["funnel", "--areas", str(out), "--area-id", "WD13CD", "--name-field", "WD13NM",
                 "--count-field", "count", "--population-field", "population",
                 "--suppress-below", "0", "--out", str(files / "funnel")]) == 0
    assert (files / "funnel" / "funnel.csv").exists()


def test_census_2021_population_on_2011_lsoas_via_the_ons_lookup(files, capsys):
    out = files / "r.csv"
    # without the lookup, the split LSOA has no population and the verb says so on screen
    assert _count(files, "--population", str(files / "pop21.csv"), "--population-id",
                  "geography code", "--population-field", "residents", "--out", str(out)) == 0
    text = capsys.readouterr().out
    assert "note: 1 areas have no population" in text
    assert pd.read_csv(out)["rate_per_10k"].isna().sum() == 1
    assert _count(files, "--population", str(files / "pop21.csv"), "--population-id",
                  "geography code", "--population-field", "residents",
                  "--population-lookup", str(files / "lsoa11_21.csv"), "--out", str(out)) == 0
    text = capsys.readouterr().out
    assert "converted to 2011 LSOAs" in text and "split 1" in text
    t = pd.read_csv(out)
    assert t["rate_per_10k"].notna().all()
    assert t.set_index("LSOA11CD").loc["E01000003", "population"] == 1100 + 900  # exact sum


def test_roll_up_lookup_needs_roll_up_to(files, capsys):
    assert _count(files, "--roll-up-lookup", str(files / "pop.csv"),
                  "--out", str(files / "x.csv")) == 2
    assert "--roll-up-to" in capsys.readouterr().err
