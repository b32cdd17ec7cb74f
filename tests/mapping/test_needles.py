"""Tests of mapping.audit.needles: response times against pandas on the same data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from shapely.geometry import Point, box

from layers.common.errors import InputError
from mapping.audit.needles import (needle_finds_by_area, needle_response, needle_response_summary,
                             needle_slow_areas)


@pytest.fixture
def reports():
    return gpd.GeoDataFrame({
        "reported_at": pd.to_datetime(["2019-01-01 10:00", "2019-01-02 09:00", "2019-01-05 12:00",
                                       "2019-02-01 08:00", "2019-02-03 00:00",
                                       "2019-02-10 00:00"]),
        "collected_at": pd.to_datetime(["2019-01-01 20:00", "2019-01-04 09:00", None,
                                        "2019-02-01 09:00", "2019-02-02 00:00",
                                        "2019-02-11 00:00"]),
        "quantity": [1, 5, None, 2, 0, 3],
    }, geometry=[Point(1, 1), Point(2, 2), Point(12, 2), Point(13, 3), Point(50, 50),
                 Point(14, 4)], crs=27700)


@pytest.fixture
def areas():
    return gpd.GeoDataFrame({"code": ["A", "B", "C"]},
                            geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(20, 0, 30, 10)],
                            crs=27700)


def test_response_flags_and_hours(reports):
    r = needle_response(reports)
    assert_allclose(r["response_hours"].to_numpy(), [10, 48, np.nan, 1, np.nan, 24])
    assert r["response_flag"].tolist() == ["collected", "collected", "no collection time",
                                           "collected", "collected before reported", "collected"]
    assert r["within_target"].tolist() == [True, False, False, True, False, True]  # 24 h inclusive
    assert r["weight"].tolist() == [1, 5, 1, 2, 1, 3]
    assert len(r) == len(reports)  # flagged, never dropped
    assert r.attrs["meta"]["flags"]["no collection time"] == 1


def test_summary_against_pandas(reports):
    s = needle_response_summary(reports, target_hours=24).set_index("month")
    r = needle_response(reports)
    r["month"] = r["reported_at"].dt.to_period("M").astype(str)
    for month, g in r.groupby("month"):
        h = g["response_hours"].dropna()
        assert s.loc[month, "reports"] == len(g)
        assert s.loc[month, "collected"] == len(h)
        assert_allclose(s.loc[month, "median_hours"], h.median())
        assert_allclose(s.loc[month, "p90_hours"], h.quantile(0.9))
        assert_allclose(s.loc[month, "pct_within_target"], (h <= 24).mean() * 100)
    allh = r["response_hours"].dropna()
    assert_allclose(s.loc["All", "p90_hours"], np.percentile(allh, 90))  # linear, = Excel PERCENTILE.INC
    assert s.loc["All", "reports"] == 6 and s.loc["All", "no_collection_time"] == 1
    assert_allclose(s.loc["All", "pct_within_target_all"], 3 / 6 * 100)
    assert_allclose(s.loc["All", "needles"], 13.0)
    meta = s.attrs["meta"]
    assert meta["base_n"] == 6 and meta["n_collected"] == 4 and "hours" in meta["units"]


def test_configurable_target(reports):
    s = needle_response_summary(reports, by="all", target_hours=12)
    assert s["within_target"].iloc[0] == 2  # 10 h and 1 h


def test_by_area_and_slow_areas(reports, areas):
    s = needle_response_summary(reports, by="area", areas=areas, area_code="code")
    assert isinstance(s, gpd.GeoDataFrame) and s["code"].tolist() == ["A", "B", "C"]
    assert s["reports"].tolist() == [2, 3, 0]  # the point at (50, 50) is outside every area
    assert s.attrs["meta"]["n_outside_areas"] == 1
    assert_allclose(s.loc[0, "median_hours"], 29.0)
    slow = needle_slow_areas(s, target_hours=24, min_collected=1)
    assert slow["response_class"].tolist() == ["slow", "within target", "no reports"]
    slow2 = needle_slow_areas(s, min_collected=5)
    assert slow2["response_class"].tolist()[:2] == ["too few", "too few"]
    with pytest.raises(InputError, match="needs an area layer"):
        needle_response_summary(reports, by="area")


def test_finds_weighted_by_quantity(reports, areas):
    f = needle_finds_by_area(reports, areas, area_code="code")
    assert f["reports"].tolist() == [2, 3, 0]
    assert f["needles"].tolist() == [6.0, 6.0, 0.0]  # B: missing quantity counts 1, plus 2 + 3
    assert f.attrs["meta"]["sensitive"] is True


def test_filter_and_errors(reports):
    s = needle_response_summary(reports, by="all", filter="quantity >= 2")
    assert s["reports"].iloc[0] == 3
    with pytest.raises(InputError, match="no 'collected_at' column"):
        needle_response(reports.drop(columns="collected_at"))
    with pytest.raises(InputError, match="positive"):
        needle_response(reports, target_hours=0)
    with pytest.raises(InputError, match="cannot group by"):
        needle_response_summary(reports, by="nonsense")
