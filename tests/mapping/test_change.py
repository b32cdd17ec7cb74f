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

from layers.common.errors import AnalysisError
from mapping.stats.change import (classify_hotspots, compare_periods, hotspot_classify,
                            kde_difference, rate_ratio_test)
from mapping.stats.kde import hotspot_kde, kde_grid

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
    every_day = pd.Series(pd.date_range("2018-01-01", "2019-12-31"))  # complete data
    out = compare_periods(areas, pts, "code", period_a="2018Q1", period_b="2019Q1",
                          population="pop", coverage_dates=every_day)
    assert out["count_a"].tolist() == [5, 4] and out["count_b"].tolist() == [30, 4]
    assert out["trend"].tolist() == ["up", "no significant change"]
    assert out["rate_b"].tolist() == [300.0, 20.0]
    assert out.attrs["meta"]["period"] == "2018Q1 vs 2019Q1"
    assert "1 records without a date" in out.attrs["meta"]["notes"][0]
    assert out.attrs["meta"]["params"]["days_a"] == 90
    same = compare_periods(areas, pts, "code", period_a=None, period_b="2019Q1",
                           coverage_dates=every_day)
    assert same.attrs["meta"]["period"] == "2018Q1 vs 2019Q1"
    with pytest.raises(AnalysisError, match="no records in period 2017Q1"):
        compare_periods(areas, pts, "code", period_a="2017Q1", period_b="2019Q1",
                        coverage_dates=every_day)


def test_unequal_exposure_against_scipy_binomtest():
    """30 events in 90 days of data, 14 in 61 days: scipy's exact binomial test of 14 of 44
    against pi0 = 61/151, and its Clopper-Pearson interval mapped to the rate ratio."""
    res = rate_ratio_test([30], [14], exposure_a=90.0, exposure_b=61.0)
    ref = stats.binomtest(14, 44, 61 / 151)
    assert res.loc[0, "p_exact"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert res.loc[0, "rate_ratio"] == pytest.approx((14 / 61) / (30 / 90), rel=1e-12)
    ci = ref.proportion_ci(confidence_level=0.95, method="exact")
    to_rr = lambda pi: pi / (1 - pi) * 90 / 61  # noqa: E731
    assert_allclose(res.loc[0, ["rr_lcl", "rr_ucl"]].to_numpy(float),
                    [to_rr(ci.low), to_rr(ci.high)], rtol=1e-9)
    # with 1:1 exposures the same counts would be a significant fall
    assert rate_ratio_test([30], [14]).loc[0, "p_exact"] < 0.05 < ref.pvalue


def test_period_coverage_monthly_and_daily():
    from mapping.core.periods import period_coverage

    monthly = pd.Series(pd.to_datetime(["2019-10-01", "2019-11-01", "2019-11-01"]))
    c = period_coverage(monthly, "2019Q4")
    assert (c["days"], c["period_days"], c["months_missing"], c["resolution"]) == \
        (61, 92, ["2019-12"], "month")
    assert not c["complete"] and "incomplete" in c["text"]
    daily = pd.Series(pd.to_datetime(["2019-10-15", "2019-11-03", "2019-12-20"]))
    c = period_coverage(daily, "2019Q4")   # from 15 Oct to 20 Dec
    assert c["days"] == 17 + 30 + 20 and c["resolution"] == "day"
    assert period_coverage(daily, "2019/20", "financial_year")["period_days"] == 366


def test_full_quarter_vs_two_month_quarter_on_bristol():
    """Bristol LSOAs, all police.uk crime: 2018Q4 (Oct-Dec) against a quarter whose data
    hold two months (Oct and Nov records moved on a year: 2019Q4).  With 1:1 exposures most
    LSOAs come out 'down'; with exposure = days of data hardly any do, and the notes say the
    period is incomplete."""
    import glob

    from layers.records import load_records
    from tests.conftest import shared_path

    lsoa = gpd.read_file(shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson")) \
        .to_crs(CRS)
    files = sorted(glob.glob(str(shared_path("police_uk") / "2018-1*-street.csv")))
    pts = load_records(files, geometry=False).accepted
    later = pts[pts["date"] < "2018-12-01"].copy()
    later["date"] = later["date"] + pd.DateOffset(years=1)
    both = pd.concat([pts, later], ignore_index=True)
    with pytest.warns(UserWarning, match="2019Q4: the data cover 61 of its 92 days"):
        out = compare_periods(lsoa, both, "LSOA11CD", period_a="2018Q4", period_b="2019Q4")
    meta = out.attrs["meta"]
    assert (meta["params"]["days_a"], meta["params"]["days_b"]) == (92, 61)
    assert any("no records in 2019-12" in n for n in meta["notes"])
    assert (out["trend"] == "down").sum() < 0.05 * len(out)
    # without FDR too; reference without the exposures: scipy's binomial test, pi0 = 1/2
    with pytest.warns(UserWarning, match="incomplete"):
        raw = compare_periods(lsoa, both, "LSOA11CD", period_a="2018Q4", period_b="2019Q4",
                              fdr=False, coverage_dates=both["date"])
    down = int((raw["trend"] == "down").sum())
    p_naive = np.array([stats.binomtest(int(b), int(a + b), 0.5).pvalue if a + b else 1.0
                        for a, b in zip(raw["count_a"], raw["count_b"])])
    naive_down = int(((p_naive < 0.05) & (raw["count_b"] < raw["count_a"])).sum())
    assert naive_down > 0.15 * len(raw) and down < 0.05 * len(raw)


def test_kde_difference_same_grid_only():
    pa = gpd.GeoDataFrame(geometry=gpd.points_from_xy([100], [100]), crs=CRS)
    pb = gpd.GeoDataFrame(geometry=gpd.points_from_xy([300, 300], [100, 100]), crs=CRS)
    g = kde_grid((0, 0, 400, 200), 20)
    a = hotspot_kde(pa, bandwidth=80, grid=g)
    b = hotspot_kde(pb, bandwidth=80, grid=g)
    d = kde_difference(a, b)
    assert_allclose(d.values, b.values - a.values, atol=1e-4)
    # one event each way: evaluated exactly at the cell centres, the cells sum to the
    # kernel's integral within the discretisation error (0.1% at 4 cells per bandwidth)
    assert np.nansum(d.values, dtype=float) * 0.02 ** 2 == pytest.approx(1.0, rel=2e-3)
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
