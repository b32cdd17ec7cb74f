"""IMD readers, flags, local quintiles, vintage crosswalk, ward ranks, population and origins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from shapely.geometry import Point, box

from boundaries.deprivation import crosswalk_imd, deprivation_flags, local_quintiles, read_imd
from boundaries.wards import national_cutoffs, ward_deprivation
from boundaries.population import area_origins, read_population
from layers.common.errors import InputError
from tests.conftest import shared_path

CRS = "EPSG:27700"

# the header of the official MHCLG IoD2019 "File 7" (first columns and the domains)
FILE7 = ["LSOA code (2011)", "LSOA name (2011)", "Local Authority District code (2019)",
         "Index of Multiple Deprivation (IMD) Score",
         "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
         "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
         "Income Score (rate)", "Income Rank (where 1 is most deprived)",
         "Income Decile (where 1 is most deprived 10% of LSOAs)",
         "Employment Score (rate)", "Education, Skills and Training Score",
         "Health Deprivation and Disability Score", "Crime Score",
         "Barriers to Housing and Services Score", "Living Environment Score",
         "Income Deprivation Affecting Children Index (IDACI) Score (rate)",
         "Children and Young People Sub-domain Score",
         "Total population: mid 2015 (excluding prisoners)"]


def test_read_official_long_column_names(tmp_path):
    p = tmp_path / "File_7.csv"
    rows = [["E01000001", "City of London 001A", "E09000001", "6,208", "29,199", "9",
             "0.007", "32831", "10", "0.01", "0.3", "-1.6", "-2.0", "29.5", "31.9", "0.006",
             "-2.1", "1296"],
            ["E01000002", "City of London 001B", "E09000001", "5.143", "30379", "10", "0.034",
             "29901", "10", "0.02", "0.4", "-1.9", "-1.8", "24.4", "23.1", "0.037", "-1.9",
             "1156"]]
    pd.DataFrame(rows, columns=FILE7).to_csv(p, index=False)
    imd = read_imd(p)
    assert imd["lsoa_code"].tolist() == ["E01000001", "E01000002"]
    assert_allclose(imd["imd_score"], [6208, 5.143])  # thousands separators tolerated
    assert imd["imd_decile"].tolist() == [9, 10] and imd["imd_rank"].tolist() == [29199, 30379]
    for col in ("income_score", "income_rank", "income_decile", "employment_score",
                "education_score", "health_score", "crime_score", "housing_score",
                "environment_score"):
        assert col in imd.columns, col
    assert imd.attrs["columns"]["income_score"].endswith("Income Score (rate)")  # not IDACI
    assert_allclose(imd["income_score"], [0.007, 0.034])
    assert not any("population" in v for v in imd.attrs["columns"].values())


def test_read_published_files_and_agree():
    imd = read_imd([shared_path("imd", "imd2019_england_lsoa11_deciles_ranks.csv"),
                    shared_path("imd", "mysociety_UK_IMD_E_2019scores_all_uk.csv")])
    assert len(imd) == 32_844
    assert {"imd_decile", "imd_rank", "imd_score", "crime_decile", "housing_rank",
            "environment_decile"} <= set(imd.columns)
    assert imd.attrs["columns"]["imd_score"].endswith("overall_local_score")
    assert imd.attrs["columns"]["imd_decile"].startswith("imd2019")  # first file wins
    # published facts: rank 1 is the most deprived, scores fall as rank rises, 10% per decile
    assert imd.loc[imd["imd_rank"] == 1, "imd_decile"].item() == 1
    assert imd[["imd_rank", "imd_score"]].corr("spearman").iloc[0, 1] < -0.999
    assert (imd["imd_decile"].value_counts() // 100).tolist() == [32] * 10
    s15 = read_imd(shared_path("imd", "imd2015_england_lsoa11_scores.csv"))
    assert {"imd_score", "imd_rank", "imd_decile"} <= set(s15.columns) and len(s15) == 32_844


def test_derive_deciles_from_ranks(tmp_path):
    p = tmp_path / "ranks.csv"
    pd.DataFrame({"lsoa11cd": [f"E0100{i:04d}" for i in range(20)],
                  "IMD_rank": range(1, 21)}).to_csv(p, index=False)
    imd = read_imd(p)
    assert imd["imd_decile"].tolist() == np.repeat(np.arange(1, 11), 2).tolist()
    assert imd.attrs["notes"]


def test_read_imd_errors(tmp_path):
    p = tmp_path / "x.csv"
    pd.DataFrame({"a": ["x"], "b": [1]}).to_csv(p, index=False)
    with pytest.raises(InputError, match="LSOA code"):
        read_imd(p)
    with pytest.raises(InputError, match="not found"):
        read_imd(tmp_path / "missing.csv")


def test_flags_and_quintiles():
    f = deprivation_flags([1, 2, 3, 4, 10, None])
    assert f["most_deprived_10"].tolist() == [True, False, False, False, False, False]
    assert f["most_deprived_20"].tolist() == [True, True, False, False, False, False]
    assert f["most_deprived_30"].tolist() == [True, True, True, False, False, False]
    with pytest.raises(InputError, match="outside 1-10"):
        deprivation_flags([0, 11])
    assert local_quintiles(range(10, 0, -1)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert local_quintiles([1, 2, 3, 4, 5], more_deprived="lower").tolist() == [1, 2, 3, 4, 5]


def test_crosswalk_iod2025_onto_2011_codes():
    # IoD 2025 on 2021 LSOAs: X21 is unchanged, Y21a/Y21b merge back into one 2011 LSOA
    iod25 = pd.DataFrame({"lsoa_code": ["E01000021", "E01000031", "E01000032"],
                          "imd_score": [40.0, 10.0, 30.0], "imd_decile": [1, 7, 2]})
    lookup = pd.DataFrame({"LSOA21CD": ["E01000021", "E01000031", "E01000032"],
                           "LSOA11CD": ["E01000011", "E01000012", "E01000012"],
                           "pop": [1500, 1000, 3000]})
    out = crosswalk_imd(iod25, lookup, from_field="LSOA21CD", to_field="LSOA11CD",
                        weight_field="pop").set_index("lsoa_code")
    assert_allclose(out.loc["E01000011", "imd_score"], 40.0)
    assert_allclose(out.loc["E01000012", "imd_score"], (1000 * 10 + 3000 * 30) / 4000)
    assert out.loc["E01000012", "imd_decile"] == 2  # from the larger-weight source
    assert out.loc["E01000012", "n_sources"] == 2
    with pytest.raises(InputError, match="no column"):
        crosswalk_imd(iod25, lookup, from_field="nope", to_field="LSOA11CD")


def _national_imd_stub(n=32_000):
    """A national-sized IMD table: scores n..1 (rank 1 = most deprived), deciles by rank."""
    rank = np.arange(1, n + 1)
    return pd.DataFrame({"lsoa_code": [f"E01{i:06d}" for i in rank],
                         "imd_score": (n + 1 - rank) / 100.0,
                         "imd_decile": np.ceil(rank * 10 / n)})


def test_ward_aggregation_by_hand_both_apportionings():
    """Two wards of two LSOAs each, and one LSOA (d) straddling them 50/50 by area."""
    imd = _national_imd_stub()
    cut = national_cutoffs(imd)
    assert cut[20] == pytest.approx((32_000 + 1 - 6_400) / 100)  # lowest score in deciles 1-2
    codes = {"a": "E01000001", "b": "E01020000", "c": "E01005000", "d": "E01009000"}
    lsoas = gpd.GeoDataFrame({"code": list(codes.values()), "pop": [100, 300, 200, 400]},
                             geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(30, 0, 40, 10),
                                       box(20, 0, 30, 10)], crs=CRS)
    wards = gpd.GeoDataFrame({"wd": ["W1", "W2"]},
                             geometry=[box(0, 0, 25, 10), box(25, 0, 40, 10)], crs=CRS)
    s = imd.set_index("lsoa_code")["imd_score"]
    sa, sb, sc, sd = (s[codes[k]] for k in "abcd")
    area = ward_deprivation(lsoas, wards, imd, lsoa_id="code", ward_id="wd", population="pop",
                            apportion="area").set_index("wd")
    # W1: a, b and half of d (200 people); W2: c and the other half of d
    w1 = (100 * sa + 300 * sb + 200 * sd) / 600
    w2 = (200 * sc + 200 * sd) / 400
    assert_allclose(area["imd_score"], [w1, w2])
    assert area["most_deprived_20"].tolist() == [w1 >= cut[20], w2 >= cut[20]]
    # national 20%: a (decile 1) and c (rank 5000 -> decile 2); d is decile 3, b decile 7
    assert_allclose(area["pop_share_most_deprived_20"], [100 / 600, 200 / 400])
    assert_allclose(area["pop_share_most_deprived_30"], [300 / 600, 400 / 400])
    assert area["n_lsoas"].tolist() == [3, 2]
    best = ward_deprivation(lsoas, wards, imd, lsoa_id="code", ward_id="wd", population="pop",
                            apportion="best_fit").set_index("wd")
    # d is exactly half in each: it goes whole to one ward (the first in its sort)
    assert best["n_lsoas"].sum() == 4 and best["population"].sum() == 1000
    with pytest.raises(InputError, match="not the whole nation"):
        ward_deprivation(lsoas, wards, imd.head(500), lsoa_id="code", ward_id="wd")


def test_bristol_wards_against_the_national_cutoffs():
    """Bristol's 35 wards (2014) from its 263 LSOAs and the shared IMD 2019 files, against
    an independent pandas/geopandas computation: national cut-offs from the ranks file,
    LSOAs to the ward holding most of their area (overlay), population-weighted means."""
    from boundaries import load_boundaries
    from boundaries.wards import ward_deprivation as wd

    lsoa = load_boundaries(shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson")).accepted
    wards = load_boundaries(shared_path("boundaries", "bristol_wards2014_E06000023.geojson")).accepted
    ranks_csv = shared_path("imd", "imd2019_england_lsoa11_deciles_ranks.csv")
    scores_csv = shared_path("imd", "mysociety_UK_IMD_E_2019scores_all_uk.csv")
    pop_csv = shared_path("population", "mysociety_lsoa_population_mid2019_uk.csv")
    imd = read_imd([ranks_csv, scores_csv])
    pop = read_population(pop_csv).set_index("code")["population"]
    out = wd(lsoa, wards, imd, lsoa_id="LSOA11CD", ward_id="WD13CD", population=pop)
    assert len(out) == 35 and out["n_lsoas"].sum() == 263 and out["population"].sum() == 463_377
    assert list(out.columns) == ["WD13CD", "geometry", "imd_score", "most_deprived_20",
                                 "most_deprived_30", "pop_share_most_deprived_20",
                                 "pop_share_most_deprived_30", "n_lsoas", "population"]
    # --- the independent reference ---
    ranks = pd.read_csv(ranks_csv)
    sc = pd.read_csv(scores_csv)
    sc = sc[sc["nation"] == "E"][["lsoa", "overall_local_score"]]
    nat = ranks.merge(sc, left_on="lsoa_code", right_on="lsoa")
    n = len(ranks)
    assert n == 32_844
    cut20 = nat.loc[nat["IMD_rank"] == int(0.2 * n), "overall_local_score"].iloc[0]
    cut30 = nat.loc[nat["IMD_rank"] == int(0.3 * n), "overall_local_score"].iloc[0]
    assert out.attrs["meta"]["params"]["cutoffs"]["most_deprived_20"] == pytest.approx(cut20)
    assert out.attrs["meta"]["params"]["cutoffs"]["most_deprived_30"] == pytest.approx(cut30)
    p = pd.read_csv(pop_csv, thousands=",")
    a = lsoa.merge(nat, left_on="LSOA11CD", right_on="lsoa_code").merge(
        p, left_on="LSOA11CD", right_on="lsoa", suffixes=("", "_p"))
    ov = gpd.overlay(a[["LSOA11CD", "pop", "overall_local_score", "IMD_decile", "geometry"]],
                     wards[["WD13CD", "geometry"]], keep_geom_type=True)
    ov = ov.assign(area=ov.area).sort_values("area").drop_duplicates("LSOA11CD", keep="last")
    ref = ov.groupby("WD13CD").apply(lambda g: pd.Series({
        "score": np.average(g["overall_local_score"], weights=g["pop"]),
        "share20": g.loc[g["IMD_decile"] <= 2, "pop"].sum() / g["pop"].sum(),
        "share30": g.loc[g["IMD_decile"] <= 3, "pop"].sum() / g["pop"].sum()}),
        include_groups=False)
    got = out.set_index("WD13CD").loc[ref.index]
    assert_allclose(got["imd_score"], ref["score"], rtol=1e-9)
    assert_allclose(got["pop_share_most_deprived_20"], ref["share20"], rtol=1e-9)
    assert_allclose(got["pop_share_most_deprived_30"], ref["share30"], rtol=1e-9)
    assert (got["most_deprived_20"] == (ref["score"] >= cut20)).all()
    assert (got["most_deprived_30"] == (ref["score"] >= cut30)).all()
    # national, not local: not the top ceil(0.2 x 35) = 7 wards of Bristol
    assert int(out["most_deprived_20"].sum()) == int((ref["score"] >= cut20).sum()) != 7
    # apportioning by area agrees closely here (2011 LSOAs nest in the 2014 wards)
    by_area = wd(lsoa, wards, imd, lsoa_id="LSOA11CD", ward_id="WD13CD", population=pop,
                 apportion="area")
    assert_allclose(by_area["imd_score"], out["imd_score"], rtol=0.02)


def test_read_population_grand_total_and_thousands():
    pop = read_population(shared_path("population", "mysociety_lsoa_population_mid2019_uk.csv"))
    assert "Grand Total" not in pop["code"].tolist()
    lsoa = gpd.read_file(shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson"))
    assert pop.set_index("code").loc[lsoa["LSOA11CD"], "population"].sum() == 463_377
    assert pop.attrs["value_field"] == "pop"
    # Census 2021 TS001: the total (not the household/communal split) is picked
    c21 = read_population(shared_path("population", "census2021_ts001_usual_residents_lsoa21_ew.csv"))
    assert c21.attrs["value_field"].startswith("Residence type: Total")
    assert len(c21) == 35_672 and abs(c21["population"].sum() - 59_597_542) < 1000  # E&W 2021


def test_population_weighted_origin_by_hand():
    areas = gpd.GeoDataFrame({"id": ["a", "b"]}, geometry=[box(0, 0, 100, 100),
                                                          box(200, 0, 300, 100)], crs=CRS)
    units = gpd.GeoDataFrame({"n": [1, 3, 0]}, geometry=[Point(10, 10), Point(90, 50),
                                                         Point(250, 50)], crs=CRS)
    o = area_origins(areas, area_id="id", population=units, population_field="n").set_index("id")
    assert_allclose(o.loc["a", ["origin_x", "origin_y"]].astype(float),
                    [(10 + 3 * 90) / 4, (10 + 3 * 50) / 4])
    assert o.loc["a", "origin_method"] == "population-weighted centroid"
    # b has only a zero-population unit: representative point, inside the area
    assert o.loc["b", "origin_method"] == "representative point"
    assert areas.geometry.iloc[1].contains(Point(o.loc["b", "origin_x"], o.loc["b", "origin_y"]))
    # output-area polygons are used at their representative points
    oas = gpd.GeoDataFrame({"n": [2, 2]}, geometry=[box(0, 0, 20, 20), box(60, 60, 80, 80)],
                           crs=CRS)
    o2 = area_origins(areas, area_id="id", population=oas, population_field="n").set_index("id")
    rp = oas.geometry.representative_point()
    assert_allclose(o2.loc["a", ["origin_x", "origin_y"]].astype(float), [rp.x.mean(), rp.y.mean()])


def test_cutoffs_from_a_local_table_are_bounded_and_said_so():
    """Without the national file (strict=False), the LSOAs' own national deciles bound the
    cut-off: the lowest decile-1-2 score is used, so nothing outside the national 20% is
    flagged, and the notes give the interval and how many wards fall in it."""
    imd = _national_imd_stub()
    local = imd.iloc[[10, 5_000, 6_500, 9_000]]          # deciles 1, 2, 3, 3
    cut = national_cutoffs(local, strict=False)
    assert not cut["national"] and cut[20] == local["imd_score"].iloc[1]
    lo, hi = cut["bounds"][20]
    assert lo == local["imd_score"].iloc[2] and hi == cut[20]
    assert national_cutoffs(imd)[20] <= cut[20]            # the national one is at or below
    lsoas = gpd.GeoDataFrame({"code": local["lsoa_code"].to_numpy()},
                             geometry=[box(i * 10, 0, i * 10 + 10, 10) for i in range(4)], crs=CRS)
    wards = gpd.GeoDataFrame({"wd": ["W1", "W2"]},
                             geometry=[box(0, 0, 20, 10), box(20, 0, 40, 10)], crs=CRS)
    out = ward_deprivation(lsoas, wards, local, lsoa_id="code", ward_id="wd", strict=False)
    note = " ".join(out.attrs["meta"]["notes"])
    assert "not the whole national file" in note and f"between {lo:.3f} and {hi:.3f}" in note
    assert out["most_deprived_20"].tolist() == [True, False]
