"""The fictional demo: reproducible, plausible, and labelled fictional."""

import filecmp

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd

from layers.project import open_project
from resources.demo import DEMO_DIR, DEMO_PROJECT, write_demo_project
from resources.demo_build import build_demo


@pytest.fixture(scope="module")
def demo():
    d = DEMO_DIR / "data"
    return {
        "lsoa": gpd.read_file(d / "areas.geojson"),
        "wards": gpd.read_file(d / "wards.geojson"),
        "arrests": pd.read_csv(d / "arrests.csv", parse_dates=["date"]),
        "needles": pd.read_csv(d / "needle_finds.csv", parse_dates=["reported_at", "collected_at"]),
        "crack": pd.read_csv(d / "crack_houses.csv"),
        "services": pd.read_csv(d / "treatment_services.csv"),
    }


def test_rebuilding_with_the_seed_gives_identical_files(tmp_path):
    project = write_demo_project(tmp_path)
    cmp = filecmp.dircmp(DEMO_DIR / "data", tmp_path / "data")
    assert cmp.left_only == [] and cmp.right_only == []
    assert cmp.diff_files == [], "committed demo differs from a rebuild: rerun resources/demo.py"
    same = filecmp.cmp(DEMO_PROJECT, project, shallow=False)
    assert same, "the committed demo project file differs from a rebuild"


def test_another_seed_gives_other_data(tmp_path):
    build_demo(tmp_path, seed=1)
    assert not filecmp.cmp(DEMO_DIR / "data" / "arrests.csv", tmp_path / "data" / "arrests.csv",
                           shallow=False)


def test_areas_nest_in_wards_in_british_national_grid(demo):
    lsoa, wards = demo["lsoa"], demo["wards"]
    assert lsoa.crs.to_epsg() == 27700 and wards.crs.to_epsg() == 27700
    assert 100 <= len(lsoa) <= 200 and 15 <= len(wards) <= 25
    assert lsoa["code"].is_unique and lsoa.is_valid.all()
    # Plausible England coordinates (metres), well inside the BNG grid.
    xmin, ymin, xmax, ymax = lsoa.total_bounds
    assert 100_000 < xmin < xmax < 650_000 and 50_000 < ymin < ymax < 650_000
    # Every LSOA lies in the ward it names (its representative point, at least).
    pts = gpd.GeoDataFrame(lsoa[["ward_code"]], geometry=lsoa.representative_point(), crs=lsoa.crs)
    joined = gpd.sjoin(pts, wards[["ward_code", "geometry"]], predicate="within",
                       lsuffix="l", rsuffix="w")
    assert (joined["ward_code_l"] == joined["ward_code_w"]).all() and len(joined) == len(lsoa)
    # Ward populations are the sums of their LSOAs'.
    sums = lsoa.groupby("ward_code")["population"].sum()
    assert (wards.set_index("ward_code")["population"] == sums).all()
    assert lsoa["imd_decile"].between(1, 10).all() and set(lsoa["imd_decile"]) >= {1, 2, 3}


def test_records_span_two_years_with_seasonal_peaks(demo):
    dates = demo["arrests"]["date"]
    assert (dates.max() - dates.min()).days >= 2 * 365
    by_month = dates.dt.month.value_counts()
    # August (festival weekend, summer) beats February, the trough of the seasonal cycle.
    assert by_month[8] > 1.3 * by_month[2]


def test_arrests_cluster_in_deprived_areas(demo):
    lsoa, arrests = demo["lsoa"], demo["arrests"]
    pts = gpd.GeoDataFrame(arrests, geometry=gpd.points_from_xy(arrests.easting, arrests.northing),
                           crs=27700)
    hit = gpd.sjoin(pts, lsoa[["code", "imd_decile", "geometry"]], predicate="within")
    counts = hit.groupby("code").size().reindex(lsoa["code"], fill_value=0)
    rate = counts.to_numpy() / lsoa["population"].to_numpy()
    deprived = lsoa["imd_decile"].to_numpy() <= 3
    assert rate[deprived].mean() > 3 * rate[~deprived].mean()
    # Clark-Evans nearest-neighbour ratio well below 1: clustered, not random.
    from scipy.spatial import cKDTree
    xy = np.c_[arrests.easting, arrests.northing].astype(float)
    d, _ = cKDTree(xy).query(xy, k=2)
    area = lsoa.union_all().area
    r = d[:, 1].mean() / (0.5 * np.sqrt(area / len(xy)))
    assert r < 0.8  # complete spatial randomness gives about 1.0


def test_record_layers_carry_their_schemas(demo):
    assert {"date", "offence", "drug_class", "age_band", "gender", "ethnicity"} <= set(demo["arrests"])
    n = demo["needles"]
    assert (n["collected_at"].dropna() >= n.loc[n["collected_at"].notna(), "reported_at"]).all()
    assert n["collected_at"].isna().any(), "some finds must lack a collection time"
    c = demo["crack"]
    assert {"opened", "closure_order", "reopened", "status"} <= set(c)
    assert set(c["status"]) == {"open", "closed", "reopened"}
    s = demo["services"]
    assert {"name", "type", "capacity"} <= set(s) and s["name"].str.contains("fictional").all()


def test_demo_project_is_labelled_fictional():
    proj = open_project(DEMO_PROJECT)
    assert proj.fictional and "FICTIONAL" in proj.name
    assert {s.name for s in proj.records} == {"arrests", "needle_finds", "crack_houses", "services"}


def test_the_extra_fields_come_from_their_own_stream(tmp_path, monkeypatch):
    """Building without the issue-20 extras gives exactly the original columns and rows."""
    import resources.demo_build as db

    monkeypatch.setattr(db, "_extras", lambda seed, lsoa, tables: {})
    db.build_demo(tmp_path)
    new_cols = {"arrests.csv": ["arrested_at"], "needle_finds.csv": ["discarded_after"],
                "crack_houses.csv": ["first_known"], "treatment_services.csv": []}
    for name, extra in new_cols.items():
        committed = pd.read_csv(DEMO_DIR / "data" / name, dtype=str, keep_default_na=False)
        plain = pd.read_csv(tmp_path / "data" / name, dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(committed.drop(columns=extra), plain)
    for name in ("areas.geojson", "wards.geojson"):
        assert filecmp.cmp(DEMO_DIR / "data" / name, tmp_path / "data" / name, shallow=False)


def test_the_extra_fields_are_plausible(demo):
    d = DEMO_DIR / "data"
    a = pd.read_csv(d / "arrests.csv", parse_dates=["date", "arrested_at"])
    assert (a["arrested_at"].dt.normalize() == a["date"]).all()
    hours = a["arrested_at"].dt.hour
    assert hours.nunique() == 24 and (hours.between(15, 20).mean() > 2 * hours.between(3, 8)
                                      .mean())
    n = pd.read_csv(d / "needle_finds.csv", parse_dates=["discarded_after", "reported_at"])
    w = n.dropna(subset=["discarded_after"])
    gap = (w["reported_at"] - w["discarded_after"]).dt.total_seconds() / 3600
    assert 0.4 < len(w) / len(n) < 0.8 and (gap > 0).all() and (gap > 168).any()
    assert (w["discarded_after"].dt.date != w["reported_at"].dt.date).any()  # cross midnight
    c = pd.read_csv(d / "crack_houses.csv")
    fk = pd.to_datetime(c["first_known"], format="%d/%m/%Y")
    op = pd.to_datetime(c["opened"], format="%d/%m/%Y")
    cl = pd.to_datetime(c["closure_order"], format="%d/%m/%Y")
    assert (fk >= op).all() and ((fk <= cl - pd.Timedelta(days=7)) | cl.isna()).all()
    cl_counts = pd.read_csv(d / "treatment_clients.csv")
    assert set(cl_counts["lsoa_code"]) == set(demo["lsoa"]["code"])
    assert (cl_counts[["adults_in_treatment", "young_people_in_treatment"]] >= 0).all().all()
    ep = pd.read_csv(d / "treatment_episodes.csv",
                     parse_dates=["referral_date", "first_intervention_date", "exit_date"])
    assert (ep["first_intervention_date"].dropna() >= ep.loc[
        ep["first_intervention_date"].notna(), "referral_date"]).all()
    assert (ep["exit_date"].dropna() >= ep.loc[ep["exit_date"].notna(),
                                                "first_intervention_date"]).all()
    assert set(ep["age_group"]) == {"Adults", "Young people (under 18)"}
    pop = pd.read_csv(d / "population_by_age.csv")
    assert pop["population"].sum() == demo["lsoa"]["population"].sum()
    assert set(demo["arrests"]["age_band"]) <= set(pop["age_band"])
