"""Change over time: exact conditional test by hand, period comparison, KDE difference, classes."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import geopandas as gpd
from shapely.geometry import box

from layers.errors import AnalysisError
from mapping.change import (classify_hotspots, compare_periods, hotspot_classify,
                            kde_difference, rate_ratio_test)
from mapping.kde import hotspot_kde, kde_grid

CRS = "EPSG:27700"


def _binom_two_sided_by_hand(k, n, p=0.5):
    pmf = [comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(n + 1)]
    return min(1.0, sum(q for q in pmf if q <= pmf[k] * (1 + 1e-7)))


def test_exact_conditional_test_by_hand():
    # 10 events last year, 22 this year, same population: given 32, is 22 unusual under p=.5?
    res = rate_ratio_test([10, 5, 0], [22, 5, 0])
    assert res.loc[0, "rate_ratio"] == pytest.approx(2.2)
    assert res.loc[0, "p_exact"] == pytest.approx(_binom_two_sided_by_hand(22, 32), rel=1e-9)
    assert res.loc[1, "p_exact"] == pytest.approx(1.0)
    assert np.isnan(res.loc[2, "rr_lcl"]) and res.loc[2, "p_exact"] == 1
    # Clopper-Pearson limits for pi = 22/32 mapped to the ratio pi / (1 - pi)
    lo = stats.beta.ppf(0.025, 22, 11)
    hi = stats.beta.ppf(0.975, 23, 10)
    assert_allclose(res.loc[0, ["rr_lcl", "rr_ucl"]].to_numpy(float),
                    [lo / (1 - lo), hi / (1 - hi)])


def test_unequal_exposures():
    # a quarter (exposure 1) vs a year (exposure 4): 10 vs 40 is no change
    res = rate_ratio_test([10], [40], exposure_a=1, exposure_b=4)
    assert res.loc[0, "rate_ratio"] == pytest.approx(1.0)
    assert res.loc[0, "p_exact"] == pytest.approx(1.0)


@pytest.fixture
def areas_and_points():
    areas = gpd.GeoDataFrame({"code": ["A", "B"], "pop": [1000.0, 2000.0]},
                             geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=CRS)
    rows = [(50, 50, "2018-01-15")] * 5 + [(50, 50, "2019-01-10")] * 30 + \
        [(150, 50, "2018-02-01")] * 4 + [(150, 50, "2019-03-01")] * 4 + [(150, 50, None)]
    x, y, d = zip(*rows)
    pts = gpd.GeoDataFrame({"date": pd.to_datetime(list(d))},
                           geometry=gpd.points_from_xy(x, y), crs=CRS)
    return areas, pts


def test_compare_periods(areas_and_points):
    areas, pts = areas_and_points
    out = compare_periods(areas, pts, "code", period_a="2018Q1", period_b="2019Q1",
                          population="pop")
    assert out["count_a"].tolist() == [5, 4] and out["count_b"].tolist() == [30, 4]
    assert out["trend"].tolist() == ["up", "no significant change"]
    assert out["rate_b"].tolist() == [300.0, 20.0]
    assert out.attrs["hotmap_meta"]["period"] == "2018Q1 vs 2019Q1"
    assert "1 records without a date" in out.attrs["hotmap_meta"]["notes"][0]
    same = compare_periods(areas, pts, "code", period_a=None, period_b="2019Q1")
    assert same.attrs["hotmap_meta"]["period"] == "2018Q1 vs 2019Q1"
    with pytest.raises(AnalysisError, match="no records in period 2017Q1"):
        compare_periods(areas, pts, "code", period_a="2017Q1", period_b="2019Q1")


def test_kde_difference_same_grid_only():
    pa = gpd.GeoDataFrame(geometry=gpd.points_from_xy([100], [100]), crs=CRS)
    pb = gpd.GeoDataFrame(geometry=gpd.points_from_xy([300, 300], [100, 100]), crs=CRS)
    g = kde_grid((0, 0, 400, 200), 20)
    a = hotspot_kde(pa, bandwidth=80, grid=g)
    b = hotspot_kde(pb, bandwidth=80, grid=g)
    d = kde_difference(a, b)
    assert_allclose(d.values, b.values - a.values, atol=1e-4)
    assert np.nansum(d.values, dtype=float) * 0.02 ** 2 == pytest.approx(1.0, rel=1e-4)
    assert d.units == "change in events per km²"
    c = hotspot_kde(pb, bandwidth=80, cell_size=20)
    with pytest.raises(AnalysisError, match="different grids"):
        kde_difference(a, c)
    e = hotspot_kde(pb, bandwidth=120, grid=g)
    with pytest.raises(AnalysisError, match="bandwidth"):
        kde_difference(a, e)


def test_classify_rules():
    hot = [[1, 1, 1, 1, 1], [0, 0, 0, 0, 1], [1, 1, 0, 0, 0], [1, 0, 1, 0, 1],
           [0, 0, 0, 0, 0], [1, 1, 1, 1, 0]]
    assert classify_hotspots(hot).tolist() == [
        "persistent hotspot", "emerging hotspot", "former hotspot", "intermittent hotspot",
        "no pattern", "persistent hotspot"]
    # two periods: the last one is "recent"
    assert classify_hotspots([[0, 1], [1, 0], [1, 1]]).tolist() == [
        "emerging hotspot", "former hotspot", "persistent hotspot"]
    with pytest.raises(AnalysisError):
        classify_hotspots([[1], [0]])


def test_hotspot_classify_grid():
    rng = np.random.default_rng(5)
    bg = rng.uniform(0, 2000, (1200, 2))
    early = rng.normal(500, 40, (150, 2))
    late = rng.normal(1500, 40, (150, 2))
    xy = np.r_[bg, early, late]
    dates = np.r_[rng.choice(pd.date_range("2019-01-01", "2019-12-31"), 1200),
                  rng.choice(pd.date_range("2019-01-01", "2019-06-30"), 150),
                  rng.choice(pd.date_range("2019-10-01", "2019-12-31"), 150)]
    pts = gpd.GeoDataFrame({"date": pd.to_datetime(dates)},
                           geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)
    cells = hotspot_classify(pts, cell_size=100, kind="quarter")
    assert {"count_2019Q1", "gi_bin_2019Q4", "hotspot_class"} <= set(cells.columns)
    c = cells.set_index(["row", "col"])["hotspot_class"]
    ny = int(cells["row"].max()) + 1
    assert c[(ny - 1 - 15, 15)] == "emerging hotspot"   # cell around (1550, 1550)
    assert c[(ny - 1 - 5, 5)] == "former hotspot"       # cell around (550, 550)


def test_hotspot_classify_areas_agrees_with_the_same_grid():
    """Classes per area on a lattice of 100 m square areas equal the classes of the same
    100 m grid cells (area weights built from the polygons, grid weights from the
    lattice), and each area's period counts equal a direct tally of the coordinates."""
    rng = np.random.default_rng(5)
    bg = rng.uniform(0, 2000, (1200, 2))
    early = rng.normal(500, 40, (150, 2))
    late = rng.normal(1500, 40, (150, 2))
    xy = np.clip(np.r_[bg, early, late], 1, 1999)
    dates = np.r_[rng.choice(pd.date_range("2019-01-01", "2019-12-31"), 1200),
                  rng.choice(pd.date_range("2019-01-01", "2019-06-30"), 150),
                  rng.choice(pd.date_range("2019-10-01", "2019-12-31"), 150)]
    pts = gpd.GeoDataFrame({"date": pd.to_datetime(dates)},
                           geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)
    cols, rows = np.meshgrid(np.arange(20), np.arange(20))
    areas = gpd.GeoDataFrame(
        {"code": [f"A{r:02d}{c:02d}" for r, c in zip(rows.ravel(), cols.ravel())]},
        geometry=[box(c * 100, r * 100, c * 100 + 100, r * 100 + 100)
                  for r, c in zip(rows.ravel(), cols.ravel())], crs=CRS)
    by_area = hotspot_classify(pts, areas=areas, area_id="code", kind="quarter")
    by_cell = hotspot_classify(pts, cell_size=100, kind="quarter",
                               boundary=gpd.GeoDataFrame(geometry=[box(0, 0, 2000, 2000)],
                                                         crs=CRS))
    assert list(by_area.columns[:1]) == ["code"] and len(by_area) == 400
    cell_code = [f"A{19 - r:02d}{c:02d}" for r, c in zip(by_cell["row"], by_cell["col"])]
    cls_cell = pd.Series(by_cell["hotspot_class"].to_numpy(), index=cell_code)
    cls_area = pd.Series(by_area["hotspot_class"].to_numpy(), index=by_area["code"])
    assert (cls_area == cls_cell.reindex(cls_area.index)).all()
    assert (cls_area == "emerging hotspot").any() and (cls_area == "former hotspot").any()
    q1 = (pd.to_datetime(dates) < "2019-04-01")
    tally = pd.Series([f"A{int(y // 100):02d}{int(x // 100):02d}" for x, y in xy[q1]]) \
        .value_counts().reindex(by_area["code"], fill_value=0)
    assert (by_area["count_2019Q1"].to_numpy() == tally.to_numpy()).all()
    with pytest.raises(AnalysisError, match="either a cell size or areas"):
        hotspot_classify(pts, cell_size=100, areas=areas, area_id="code")
    with pytest.raises(AnalysisError, match="no id field 'nope'"):
        hotspot_classify(pts, areas=areas, area_id="nope")
