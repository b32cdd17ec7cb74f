"""Tests of mapping.audit.venues against brute-force distances, and on real pharmacies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from shapely.geometry import Point, Polygon, box

from layers.common.errors import AnalysisError, InputError
from mapping.audit.venues import venue_activity, venue_counts
from tests.conftest import shared_path


def _pts(xy, crs=27700, **cols):
    return gpd.GeoDataFrame(cols, geometry=[Point(x, y) for x, y in xy], crs=crs)


def test_counts_match_brute_force_distances():
    rng = np.random.default_rng(5)
    exy = rng.uniform(0, 5000, (3000, 2))
    vxy = rng.uniform(0, 5000, (40, 2))
    ev, ve = _pts(exy), _pts(vxy)
    counts, near = venue_counts(ev, ve, radius=250)
    d = np.hypot(exy[:, None, 0] - vxy[None, :, 0], exy[:, None, 1] - vxy[None, :, 1])
    assert counts.tolist() == (d <= 250).sum(axis=0).tolist()
    assert near.tolist() == (d <= 250).any(axis=1).tolist()


def test_radius_is_inclusive_and_polygon_venues():
    ev = _pts([(250, 0), (250.001, 0), (0, 0)])
    counts, near = venue_counts(ev, _pts([(0, 0)]), radius=250)
    assert counts.tolist() == [2] and near.tolist() == [True, False, True]
    club = gpd.GeoDataFrame(geometry=[box(-10, -10, 10, 10)], crs=27700)
    counts, _ = venue_counts(_pts([(30, 0), (31, 0), (0, 0)]), club, radius=20)
    assert counts.tolist() == [2]  # distance to the polygon edge, not its centre


def test_activity_table_shares_and_expected():
    ev = _pts([(0, 0), (10, 0), (100, 0), (1000, 1000), (5, 5)], crime_type=["Drugs"] * 5)
    ve = _pts([(0, 0), (100, 0), (3000, 3000)], name=["A", "B", "C"])
    study = box(-1000, -1000, 4000, 4000)
    r = venue_activity(ev, ve, radius=20, study_area=study)
    t = r.table
    assert t["venue"].tolist() == ["A", "B", "C"]
    assert t["events"].tolist() == [3, 1, 0] and t["rank"].tolist() == [1, 2, 3]
    assert_allclose(t["share_of_events"], [60, 20, 0])
    s = r.summary
    assert s["events_near_any"] == 4 and s["pct_near_any"] == 80
    exp = 3 * np.pi * 20 ** 2 / study.area  # three disjoint buffers inside the study area
    assert_allclose(s["expected_pct_area"], exp * 100, rtol=2e-3)  # buffer polygons approximate a circle
    from scipy.stats import binomtest

    assert_allclose(s["p_area"], binomtest(4, 5, s["expected_pct_area"] / 100).pvalue)
    assert r.meta["base_n"] == 5 and "k-d tree" in r.meta["method"]


def test_population_expectation_areal_weighting():
    pop = gpd.GeoDataFrame({"population": [1000, 3000]},
                           geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=27700)
    ve = gpd.GeoDataFrame({"name": ["club"]}, geometry=[box(0, 0, 50, 100)], crs=27700)
    ev = _pts([(10, 10), (150, 50)])
    r = venue_activity(ev, ve, radius=0, population=pop)
    # the venue covers half of the first area: 500 of 4000 residents
    assert_allclose(r.summary["expected_pct_population"], 12.5)
    assert_allclose(r.summary["expected_pct_area"], 25.0)


def test_errors():
    ev = _pts([(0, 0)])
    with pytest.raises(InputError, match="empty"):
        venue_activity(ev, _pts([]), radius=10)
    with pytest.raises(InputError, match=">= 0"):
        venue_counts(ev, _pts([(0, 0)]), radius=-1)
    with pytest.raises(AnalysisError, match="projected CRS"):
        venue_counts(_pts([(-2.6, 51.4)], crs=4326), _pts([(-2.6, 51.4)], crs=4326), radius=10)
    with pytest.raises(InputError, match="no 'pop' column"):
        venue_activity(ev, _pts([(0, 0)]), radius=1, population=gpd.GeoDataFrame(
            {"x": [1]}, geometry=[box(0, 0, 1, 1)], crs=27700), population_column="pop")


def _pharmacies(study):
    ph = pd.read_csv(shared_path("services", "nhs_ods_edispensary_2025-04.csv"), header=None,
                     dtype=str)
    ph = ph[ph[12] == "A"]
    cp = pd.read_csv(shared_path("postcodes", "codepoint_open_2018-08_bs.csv"), header=None,
                     dtype=str)
    cp["pc"] = cp[0].str.replace(" ", "").str.upper()
    ph["pc"] = ph[9].str.replace(" ", "").str.upper()
    m = ph.merge(cp[["pc", 2, 3]].rename(columns={2: "E", 3: "N"}), on="pc")
    v = gpd.GeoDataFrame({"name": m[1] + " (" + m[9] + ")"},
                         geometry=gpd.points_from_xy(m["E"].astype(float), m["N"].astype(float)),
                         crs=27700)
    return v[v.within(study)].reset_index(drop=True)


def test_real_offences_within_250m_of_active_pharmacies():
    import glob

    from layers.records import load_records

    files = sorted(glob.glob(str(shared_path("police_uk") / "*.csv")))
    lsoa = gpd.read_file(shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson"))
    study = lsoa.to_crs(27700).union_all()
    venues = _pharmacies(study)
    ev = load_records(files).accepted
    ev = ev[ev.within(study)]
    r = venue_activity(ev, venues, radius=250, filter="crime_type == 'Drugs'", study_area=study)
    drugs = ev[ev["crime_type"] == "Drugs"]
    d = np.hypot(drugs.geometry.x.to_numpy()[:, None] - venues.geometry.x.to_numpy()[None, :],
                 drugs.geometry.y.to_numpy()[:, None] - venues.geometry.y.to_numpy()[None, :])
    ref = (d <= 250).sum(axis=0)
    got = r.table.sort_index()["events"].to_numpy()
    assert got.tolist() == ref.tolist()
    assert r.summary["events_near_any"] == int((d <= 250).any(axis=1).sum())
    assert len(venues) > 50 and r.summary["n_events"] > 200
