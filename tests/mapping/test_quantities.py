"""Weighted counts: a quantity summed per area and per 10,000 residents (issue 17)."""

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
from shapely.geometry import Point, box

from layers.common.errors import InputError
from layers.model import Layer
from mapping.disclosure.rules import DisclosureRules, apply_rules
from mapping.stats.quantities import area_sums, sum_column_names


def _areas():
    return gpd.GeoDataFrame({"code": ["E01000001", "E01000002", "E01000003"],
                             "pop": [2000.0, 1000.0, 4000.0]},
                            geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(20, 0, 30, 10)],
                            crs=27700)


def _seizures():
    # area 1: 12.5 + 1,250 + (no value); area 2: 3 x 20 on one stacked point; area 3: none;
    # one record outside every area
    xy = [(1, 1), (2, 2), (3, 3), (15, 5), (15, 5), (15, 5), (99, 99)]
    w = ["12.5", "1,250", "", "20", "20", "20", "7"]
    return gpd.GeoDataFrame({"weight_g": w}, geometry=[Point(p) for p in xy], crs=27700)


def test_sums_and_rates_by_hand():
    out = area_sums(_areas(), _seizures(), "code", "weight_g", population="pop",
                    units="grams of cannabis")
    assert out["count"].tolist() == [3, 3, 0]  # the record without a value is counted
    assert out["weight_g_sum"].tolist() == [1262.5, 60.0, 0.0]
    np.testing.assert_allclose(out["weight_g_per_10k"], [1262.5 / 2000 * 1e4, 600.0, 0.0])
    assert list(out.columns) == ["code", "count", "population", "rate_per_10k", "rate_lcl",
                                 "rate_ucl", "weight_g_sum", "weight_g_per_10k",
                                 "small_number", "geometry"]
    meta = out.attrs["meta"]
    assert meta["summed"] == {"field": "weight_g", "units": "grams of cannabis",
                              "total": 1322.5, "records_with_value": 5,
                              "records_without_value": 1}
    assert meta["units"] == "grams of cannabis per 10,000 residents"
    assert meta["value_column"] == "weight_g_per_10k"
    assert "no confidence limits" in meta["method"]
    assert any("1 records have no 'weight_g' value" in n for n in meta["notes"])
    assert out.attrs["assignment"] == {"read": 7, "assigned": 6, "unassigned": 1}


def test_without_population_the_sum_is_the_value():
    out = area_sums(_areas(), _seizures(), "code", "weight_g")
    assert "weight_g_per_10k" not in out.columns
    assert out.attrs["meta"]["value_column"] == "weight_g_sum"


def test_a_suppressed_count_suppresses_its_sum():
    out = area_sums(_areas(), _seizures(), "code", "weight_g", population="pop")
    lyr = Layer("s", out, kind="areas", meta=out.attrs["meta"] | {"sensitive": True})
    [safe], _ = apply_rules([lyr], DisclosureRules(threshold=5))
    # 3 seizures in each of areas 1 and 2: both small, so their sums must not be published
    assert safe.data["weight_g_sum"].iloc[:2].isna().all()
    assert safe.data["weight_g_per_10k"].iloc[:2].isna().all()


def test_bad_weight_fields():
    with pytest.raises(InputError, match="no field 'grams'"):
        area_sums(_areas(), _seizures(), "code", "grams")
    s = _seizures().assign(note="n/a")
    with pytest.raises(InputError, match="holds no numbers"):
        area_sums(_areas(), s, "code", "note")
    s = _seizures().assign(weight_g=["1", "-2", "3", "4", "5", "6", "7"])
    with pytest.raises(InputError, match="1 negative value"):
        area_sums(_areas(), s, "code", "weight_g")


def test_column_names_are_safe():
    assert sum_column_names("Cash (£)") == ("cash_sum", "cash_per_10k")
    assert sum_column_names("weight_g") == ("weight_g_sum", "weight_g_per_10k")
