"""Composite index of areas: every scaling and combination against a pandas hand computation."""

import numpy as np
import pandas as pd
import pytest

import shapely
import geopandas as gpd

from layers.common.errors import AnalysisError
from mapping.stats.composite_index import composite_index


@pytest.fixture
def areas():
    return pd.DataFrame({"code": list("ABCDEF"), "crime": [10, 20, 20, 40, 80, 30],
                         "imd": [5.0, 9.0, 12.0, 30.0, 41.0, 22.0],
                         "access": [0.9, 0.7, 0.8, 0.2, 0.1, 0.4]})


def _minmax(s):
    return (s - s.min()) / (s.max() - s.min())


def test_minmax_mean_with_a_reversed_indicator_and_weights(areas):
    out = composite_index(areas, ["crime", "imd", "access"], reverse=["access"],
                          weights={"crime": 2, "imd": 1, "access": 1}, id_column="code")
    ref = (2 * _minmax(areas.crime) + _minmax(areas.imd) + (1 - _minmax(areas.access))) / 4
    np.testing.assert_allclose(out["index"], ref)
    np.testing.assert_allclose(out["access_scaled"], 1 - _minmax(areas.access))
    assert out["index_rank"].tolist() == ref.rank(ascending=False, method="min").tolist()
    assert out["index_quintile"].max() == 5 and out.iloc[4]["index_quintile"] == 5


def test_percentile_scaling_counts_ties_at_the_higher_rank(areas):
    out = composite_index(areas, ["crime", "imd"], scaling="percentile")
    ref = (areas.crime.rank(method="max", pct=True) + areas.imd.rank(method="max", pct=True)) / 2
    np.testing.assert_allclose(out["index"], ref)
    assert out["crime_scaled"].tolist()[1:3] == [0.5, 0.5]  # 20 and 20: three of six ≤ 20


def test_zscore_sum_and_reversal_by_negation(areas):
    out = composite_index(areas, ["crime", "access"], scaling="zscore", combine="sum",
                          reverse=["access"])
    z = lambda s: (s - s.mean()) / s.std(ddof=0)  # noqa: E731
    np.testing.assert_allclose(out["index"], z(areas.crime) - z(areas.access))


def test_geometric_mean_and_product_of_percentiles(areas):
    out = composite_index(areas, ["crime", "imd"], scaling="percentile", combine="geomean",
                          weights=[3, 1])
    p1, p2 = areas.crime.rank(method="max", pct=True), areas.imd.rank(method="max", pct=True)
    np.testing.assert_allclose(out["index"], (p1 ** 3 * p2) ** 0.25)
    out = composite_index(areas, ["crime", "imd"], scaling="raw", combine="product")
    np.testing.assert_allclose(out["index"], areas.crime * areas.imd)


def test_output_range_and_reversed_index(areas):
    out = composite_index(areas, ["crime", "imd"], output_range=(0, 100), reverse_index=True)
    raw = (_minmax(areas.crime) + _minmax(areas.imd)) / 2
    scaled = (raw - raw.min()) / (raw.max() - raw.min()) * 100
    np.testing.assert_allclose(out["index"], 100 - scaled)


def test_missing_values_give_no_index_and_are_counted(areas):
    areas.loc[2, "imd"] = np.nan
    out = composite_index(areas, ["crime", "imd"])
    assert np.isnan(out["index"][2])
    ok = areas.drop(index=2)
    ref = (_minmax(ok.crime) + _minmax(ok.imd)) / 2
    np.testing.assert_allclose(out["index"].drop(index=2), ref)
    assert "1 areas lack an indicator" in out.attrs["meta"]["notes"][0]


def test_geometry_is_kept(areas):
    gdf = gpd.GeoDataFrame(areas, geometry=[shapely.box(i, 0, i + 1, 1) for i in range(6)],
                           crs="EPSG:27700")
    out = composite_index(gdf, ["crime", "imd"])
    assert isinstance(out, gpd.GeoDataFrame) and out.crs.to_epsg() == 27700


@pytest.mark.parametrize("kw, msg", [
    ({"indicators": ["crime"]}, "at least two"),
    ({"indicators": ["crime", "nope"]}, "no column"),
    ({"indicators": ["crime", "imd"], "scaling": "zscore", "combine": "geomean"}, "z-scores"),
    ({"indicators": ["crime", "imd"], "combine": "product"}, "above 0"),
    ({"indicators": ["crime", "imd"], "reverse": ["access"]}, "not in the list"),
    ({"indicators": ["crime", "flat"]}, "same value in every area"),
])
def test_bad_requests_are_refused_with_a_reason(areas, kw, msg):
    areas["flat"] = 1.0
    with pytest.raises(AnalysisError, match=msg):
        composite_index(areas, **kw)
