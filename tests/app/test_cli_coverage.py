"""The deprivation, coverage, whatif and disproportion verbs, in-process and by subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from shapely.geometry import Point, box

from app.cli import main

ROOT = Path(__file__).resolve().parents[2]
CRS = "EPSG:27700"
X0, Y0 = 450_000, 285_000  # on land (the loaders reject points in the sea)


@pytest.fixture
def tiny(tmp_path):
    """Three 100 m squares, two services, a population table and need points.

    Relative to (X0, Y0): areas around (0, 0), (1000, 0), (5000, 0); S1 at (0, 600)
    with capacity 10, S2 at (3000, 0) with capacity 5.
    """
    areas = gpd.GeoDataFrame({"code": ["E01000001", "E01000002", "E01000003"]},
                             geometry=[box(X0 + x - 50, Y0 - 50, X0 + x + 50, Y0 + 50)
                                       for x in (0, 1000, 5000)], crs=CRS)
    areas.to_file(tmp_path / "areas.gpkg")
    pd.DataFrame({"easting": [X0, X0 + 3000], "northing": [Y0 + 600, Y0], "capacity": [10, 5],
                  "sid": ["S1", "S2"]}).to_csv(tmp_path / "svc.csv", index=False)
    pd.DataFrame({"lsoa": ["E01000001", "E01000002", "E01000003", "Grand Total"],
                  "pop": ["100", "300", "50", "450"]}).to_csv(tmp_path / "pop.csv", index=False)
    pd.DataFrame({"easting": [X0 + 1000] * 5 + [X0 + 5000] * 9 + [X0],
                  "northing": [Y0] * 15}).to_csv(
        tmp_path / "need.csv", index=False)
    return tmp_path


def _base(t):
    return ["--areas", str(t / "areas.gpkg"), "--area-id", "code", "--services",
            str(t / "svc.csv"), "--services-id", "sid", "--capacity", "capacity",
            "--population", str(t / "pop.csv"), "--population-id", "lsoa",
            "--population-field", "pop"]


def test_coverage_2sfca_hand_worked(tiny, capsys):
    out = tiny / "cov.csv"
    # catchment 10 km reaches everything: access = total capacity / total demand = 15 / 450
    assert main(["coverage", *_base(tiny), "--method", "2sfca", "--catchment", "10000",
                 "--need", str(tiny / "need.csv"), "--suppress-below", "0",
                 "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert list(df.columns[:7]) == ["code", "origin_x", "origin_y", "origin_method",
                                    "nearest_service_m", "nearest_service",
                                    "services_within_catchment"]
    assert_allclose(df["access"], 15 / 450)
    assert df["services_within_catchment"].tolist() == [2, 2, 2]
    o = df[["origin_x", "origin_y"]].to_numpy()
    s = np.array([[X0, Y0 + 600], [X0 + 3000, Y0]])
    assert_allclose(df["nearest_service_m"], np.hypot(*(o[:, None] - s[None]).T).T.min(axis=1))
    assert df["need"].tolist() == [1, 5, 9] and "gap_class" in df
    meta = json.loads(Path(str(out) + ".meta.json").read_text())
    assert "Luo W, Wang F (2003)" in meta["references"][0] and meta["params"]["catchment_m"] == 10000
    assert "gap areas" in capsys.readouterr().out


def test_coverage_nearest_catchment_counts(tiny):
    out = tiny / "near.csv"
    assert main(["coverage", *_base(tiny), "--catchment", "1500", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert "access" not in df
    assert df["services_within_catchment"].tolist() == [1, 1, 0]
    assert df["nearest_service"].tolist() == ["S1", "S1", "S2"]


def test_coverage_errors_exit_2(tiny, capsys):
    args = ["coverage", "--areas", str(tiny / "areas.gpkg"), "--area-id", "code", "--services",
            str(tiny / "svc.csv"), "--method", "2sfca", "--out", str(tiny / "x.csv")]
    assert main(args) == 2
    assert "needs the areas' --population" in capsys.readouterr().err
    # a Shapefile is a table format every --out writes now (issue 17); a .txt is not
    assert main(["coverage", *_base(tiny), "--out", str(tiny / "x.txt")]) == 2
    assert ".shp" in capsys.readouterr().err


def test_whatif_add_and_remove(tiny, capsys):
    out = tiny / "wi.csv"
    assert main(["whatif", *_base(tiny), "--catchment", "1100", "--need", str(tiny / "need.csv"),
                 "--add", f"{X0 + 5000},{Y0 + 500}", "--add-capacity", "5", "--remove", "S2",
                 "--out", str(out)]) == 0
    df = pd.read_csv(out)
    # new site 500 m from area 3 (50 people, capacity 5): access 0 -> 0.1
    assert_allclose(df["access_after"].iloc[2], 5 / 50)
    # area 3's origin lies in its 100 m square around (5000, 0): 450-551 m from the new site
    assert 450 <= df["nearest_after_m"].iloc[2] <= 551
    assert 1950 <= df["nearest_before_m"].iloc[2] <= 2051  # S2 at (3000, 0), before removal
    assert df["access_change"].iloc[2] > 0
    printed = capsys.readouterr().out
    assert "services_after: 2" in printed and "gap_areas_before" in printed


def test_disproportion_verb(tmp_path, capsys):
    pd.DataFrame({"gender": ["Female"] * 40 + ["Male"] * 160}).to_csv(tmp_path / "g.csv",
                                                                       index=False)
    pd.DataFrame({"gender": ["Female", "Male"], "population": ["5,100", "4,900"]}).to_csv(
        tmp_path / "p.csv", index=False)
    out = tmp_path / "d.csv"
    assert main(["disproportion", "--records", str(tmp_path / "g.csv"), "--category", "gender",
                 "--population-table", str(tmp_path / "p.csv"), "--out", str(out)]) == 0
    df = pd.read_csv(out).set_index("category")
    assert_allclose(df.loc["Female", "ratio"], 0.2 / 0.51)
    assert df.loc["Female", "direction"] == "under"
    assert "under-represented" in capsys.readouterr().out


def test_deprivation_bristol_drugs(tmp_path, capsys, shared_data):
    s = shared_data
    out = tmp_path / "imd.csv"
    police = sorted(str(p) for p in (s / "police_uk").glob("*-avon-and-somerset-street.csv"))
    assert main(["deprivation", "--areas", str(s / "boundaries/bristol_lsoa2011_E06000023.geojson"),
                 "--area-id", "LSOA11CD",
                 "--imd", str(s / "imd/imd2019_england_lsoa11_deciles_ranks.csv"),
                 str(s / "imd/mysociety_UK_IMD_E_2019scores_all_uk.csv"),
                 "--points", *police, "--filter", "crime_type == 'Drugs'",
                 "--population", str(s / "population/mysociety_lsoa_population_mid2019_uk.csv"),
                 "--population-id", "lsoa", "--population-field", "pop",
                 "--suppress-below", "0", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    for c in ("LSOA11CD", "imd_score", "imd_decile", "most_deprived_10", "most_deprived_20",
              "most_deprived_30", "count"):
        assert c in df.columns
    assert len(df) == 263 and df["population"].sum() == 463_377
    assert (df["most_deprived_20"] == (df["imd_decile"] <= 2)).all()
    # independent: IMD 2019 file read with pandas
    ref = pd.read_csv(s / "imd/imd2019_england_lsoa11_deciles_ranks.csv").set_index("lsoa_code")
    assert (df.set_index("LSOA11CD")["imd_decile"] == ref.loc[df["LSOA11CD"], "IMD_decile"]).all()
    printed = capsys.readouterr().out
    share = df.loc[df["most_deprived_20"], "count"].sum() / df["count"].sum()
    assert f"{share:.1%} of points" in printed
    pop_share = df.loc[df["most_deprived_20"], "population"].sum() / 463_377
    assert f"{pop_share:.1%} of population" in printed


def test_coverage_subprocess_gpkg_bristol_pharmacies(tmp_path, shared_data):
    s = shared_data
    out = tmp_path / "access.gpkg"
    exe = Path(sys.executable).with_name("hotmap")
    r = subprocess.run(
        [str(exe), "coverage", "--areas", str(s / "boundaries/bristol_lsoa2011_E06000023.geojson"),
         "--area-id", "LSOA11CD", "--services", str(s / "services/nhs_ods_edispensary_2025-04.csv"),
         "--services-no-header", "--services-columns", "id=1,name=2,postcode=10",
         "--postcodes", str(s / "postcodes/codepoint_open_2018-08_bs.csv"),
         "--services-filter", "col11 <= 20190131 and (col12 is null or col12 >= 20181001)",
         "--population", str(s / "population/mysociety_lsoa_population_mid2019_uk.csv"),
         "--population-id", "lsoa", "--population-field", "pop", "--method", "e2sfca",
         "--imd", str(s / "imd/imd2019_england_lsoa11_deciles_ranks.csv"),
         "--out", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    g = gpd.read_file(out)
    assert len(g) == 263 and g.crs.to_epsg() == 27700
    assert {"access", "bivariate_class", "most_deprived_20"} <= set(g.columns)
    assert g["bivariate_class"].between(1, 9).all()
    md = g["most_deprived_20"].astype(bool)
    want = f"{np.median(g.loc[md, 'nearest_service_m']):,.0f} m in the 20% most deprived"
    assert want in r.stdout
    assert "services: 20,932 read" in r.stdout and "198 match the filter" in r.stdout
    assert g.geometry.contains(gpd.GeoSeries(gpd.points_from_xy(g["origin_x"], g["origin_y"]),
                                             crs=CRS), align=False).all()


def test_deprivation_iod2025_via_lookup(tiny, capsys):
    """IoD 2025 on 2021 LSOAs moved onto the areas' 2011 codes with a lookup."""
    iod = pd.DataFrame({
        "LSOA code (2021)": ["E01100001", "E01100002", "E01100003", "E01100004"],
        "Index of Multiple Deprivation (IMD) Score": [55.0, 45.0, 12.0, 8.0],
        "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)":
            [1, 2, 7, 9]})
    iod.to_csv(tiny / "iod25.csv", index=False)
    pd.DataFrame({"LSOA21CD": ["E01100001", "E01100002", "E01100003", "E01100004"],
                  "LSOA11CD": ["E01000001", "E01000002", "E01000002", "E01000003"],
                  "w": [1, 1, 3, 1]}).to_csv(tiny / "lookup.csv", index=False)
    out = tiny / "d.csv"
    assert main(["deprivation", "--areas", str(tiny / "areas.gpkg"), "--area-id", "code",
                 "--imd", str(tiny / "iod25.csv"), "--imd-lookup", str(tiny / "lookup.csv"),
                 "--lookup-from", "LSOA21CD", "--lookup-to", "LSOA11CD", "--lookup-weight", "w",
                 "--population", str(tiny / "pop.csv"), "--population-id", "lsoa",
                 "--population-field", "pop", "--points", str(tiny / "need.csv"),
                 "--suppress-below", "0", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert_allclose(df["imd_score"], [55.0, (45 + 3 * 12) / 4, 8.0])
    assert df["imd_decile"].tolist() == [1, 7, 9]  # area 2 takes the weight-3 source's decile
    assert df["most_deprived_20"].tolist() == [True, False, False]
    assert df["count"].tolist() == [1, 5, 9]
    printed = capsys.readouterr().out
    # 1 of 15 points (6.7%) and 100 of 450 people (22.2%) in the most deprived 20%
    assert "6.7% of points (1 of 15) vs 22.2% of population" in printed


@pytest.mark.parametrize("siting", ["mclp", "greedy"])
def test_whatif_suggest_sites(tiny, capsys, siting):
    pd.DataFrame({"easting": [X0 + 20_000, X0 + 5000], "northing": [Y0, Y0 + 100]}).to_csv(
        tiny / "cand.csv", index=False)
    out = tiny / "wi.csv"
    assert main(["whatif", *_base(tiny), "--catchment", "1100", "--need", str(tiny / "need.csv"),
                 "--suggest", "1", "--candidates", str(tiny / "cand.csv"), "--siting", siting,
                 "--out", str(out)]) == 0
    sites = pd.read_csv(tiny / "wi_sites.csv")
    # the 9 need records of area 3 are uncovered and only candidate 1 reaches them
    assert sites["candidate"].tolist() == [1] and sites["added_weight"].tolist() == [9]
    assert ("heuristic" in capsys.readouterr().out) == (siting == "greedy")


def test_coverage_with_road_network(tmp_path):
    from shapely.geometry import LineString

    areas = gpd.GeoDataFrame({"code": ["E01000001"], "pop": [100]},
                             geometry=[box(X0 - 50, Y0 - 50, X0 + 50, Y0 + 50)], crs=CRS)
    areas.to_file(tmp_path / "a.gpkg")
    gpd.GeoDataFrame(geometry=[LineString([(X0, Y0), (X0 + 1000, Y0), (X0 + 1000, Y0 + 1000)])],
                     crs=CRS).to_file(tmp_path / "roads.gpkg")
    pd.DataFrame({"easting": [X0 + 1000], "northing": [Y0 + 1000]}).to_csv(tmp_path / "s.csv",
                                                                          index=False)
    base = ["coverage", "--areas", str(tmp_path / "a.gpkg"), "--area-id", "code", "--services",
            str(tmp_path / "s.csv"), "--catchment", "1500"]
    assert main([*base, "--out", str(tmp_path / "e.csv")]) == 0
    assert main([*base, "--network", str(tmp_path / "roads.gpkg"),
                 "--out", str(tmp_path / "n.csv")]) == 0
    e, n = pd.read_csv(tmp_path / "e.csv"), pd.read_csv(tmp_path / "n.csv")
    assert e["nearest_service_m"].item() < 1500 and e["services_within_catchment"].item() == 1
    # along the road: snap leg (< 71 m) + 2000 m; the service sits on the end node
    assert 2000 <= n["nearest_service_m"].item() <= 2071
    assert n["services_within_catchment"].item() == 0


def test_coverage_population_layer_gives_weighted_origins(tiny):
    """Postcode-like points with counts: weighted centroids and summed demand."""
    pts = gpd.GeoDataFrame({"residents": [10, 30, 50, 5]},
                           geometry=[Point(X0 - 40, Y0), Point(X0 + 40, Y0),
                                     Point(X0 + 1000, Y0 + 20), Point(X0 + 5000, Y0 - 20)],
                           crs=CRS)
    pts.to_file(tiny / "postcodes.gpkg")
    out = tiny / "w.csv"
    assert main(["coverage", "--areas", str(tiny / "areas.gpkg"), "--area-id", "code",
                 "--services", str(tiny / "svc.csv"), "--population-units",
                 str(tiny / "postcodes.gpkg"), "--population-units-field", "residents",
                 "--method", "2sfca", "--catchment", "10000", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert (df["origin_method"] == "population-weighted centroid").all()
    assert_allclose(df["origin_x"], [X0 + (10 * -40 + 30 * 40) / 40, X0 + 1000, X0 + 5000])
    assert_allclose(df["origin_y"], [Y0, Y0 + 20, Y0 - 20])
    assert df["demand"].tolist() == [40, 50, 5]
    assert_allclose(df["access"], 2 / 95)  # two services of capacity 1 for 95 people


@pytest.mark.parametrize("verb", ["deprivation", "coverage", "whatif", "disproportion"])
def test_help_texts_render(verb, capsys):
    """argparse %-formats help strings: a bare '%' would crash `hotmap --help`."""
    with pytest.raises(SystemExit) as exc:
        main([verb, "--help"])
    assert exc.value.code == 0
    assert "--out" in capsys.readouterr().out
