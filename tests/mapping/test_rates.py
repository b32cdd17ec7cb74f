"""Counts, rates and their intervals against published worked examples and real data."""

from __future__ import annotations

import glob
import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import geopandas as gpd
from shapely.geometry import Point, box

from layers.common.errors import AnalysisError, InputError
from mapping.core.periods import assign_periods, same_period_last_year
from mapping.stats.rates import area_rates, assign_points, byar_ci, count_points, exact_poisson_ci, \
    wilson_ci
from tests.conftest import shared_path

CRS = "EPSG:27700"


# --- Byar ---------------------------------------------------------------------------------
def test_byar_worked_example_breslow_day():
    """Breslow & Day (1987), Statistical Methods in Cancer Research vol. II, p. 69, and PHE
    "Technical Guide: Confidence Intervals" (2018) Appendix 1: for O = 10 the 95% Byar
    limits are 4.79 and 18.39 (exact Poisson: 4.80 and 18.39)."""
    lo, hi = byar_ci(10)
    assert round(float(lo), 2) == 4.79
    assert round(float(hi), 2) == 18.39


def test_byar_by_hand_formula_and_rate():
    # Byar's formulas as printed in APHO Technical Briefing 3 (2008), "Rates, counts and
    # means", evaluated by hand for O = 65 (PHEindicatormethods' byars_lower example count).
    o, z = 65, 1.959963984540054
    lo_hand = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    hi_hand = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    lo, hi = byar_ci(o)
    assert_allclose([lo, hi], [lo_hand, hi_hand], rtol=1e-12)
    assert_allclose([lo, hi], [50.16, 82.84], atol=0.01)


@pytest.mark.parametrize("o", [10, 25, 100, 389, 1045])
def test_byar_within_phe_stated_accuracy_of_exact(o):
    """PHE Technical Guide (2018): for numerators of 10 or more, Byar's 95% limits are
    within 0.2% of the exact values (exact = chi-squared limits, computed independently)."""
    lo, hi = byar_ci(o)
    ex_lo = stats.chi2.ppf(0.025, 2 * o) / 2
    ex_hi = stats.chi2.ppf(0.975, 2 * o + 2) / 2
    assert abs(lo / ex_lo - 1) < 0.002
    assert abs(hi / ex_hi - 1) < 0.002
    assert_allclose(exact_poisson_ci(o), (ex_lo, ex_hi))


def test_byar_zero_count():
    lo, hi = byar_ci([0, 1])
    assert lo[0] == 0 and hi[0] == pytest.approx((1 - 1 / 9 + 1.959964 / 3) ** 3, rel=1e-6)
    with pytest.raises(AnalysisError):
        byar_ci(-1)


# --- Wilson -------------------------------------------------------------------------------
@pytest.mark.parametrize("r,n,lo,hi", [
    # Newcombe RG (1998) Two-sided confidence intervals for the single proportion: comparison
    # of seven methods. Stat Med 17:857-872, Table II, method 3 (score, no continuity corr.)
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_newcombe_examples(r, n, lo, hi):
    got = wilson_ci(r, n)
    assert_allclose(got, (lo, hi), atol=5e-5)


# --- counting -----------------------------------------------------------------------------
@pytest.fixture
def squares():
    return gpd.GeoDataFrame({"code": ["A", "B", "C"]},
                            geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(20, 0, 30, 10)],
                            crs=CRS)


def test_count_every_area_boundary_and_outside(squares):
    pts = gpd.GeoDataFrame(geometry=[Point(5, 5), Point(6, 6), Point(10, 5),  # on A|B edge
                                     Point(15, 5), Point(50, 50), None], crs=CRS)
    table, pos = count_points(squares, pts, "code")
    assert table["code"].tolist() == ["A", "B", "C"]
    assert table["count"].tolist() == [3, 1, 0]   # the edge point goes to the first area
    assert pos.tolist() == [0, 0, 0, 1, -1, -1]
    with pytest.raises(InputError, match="no field 'nope'"):
        count_points(squares, pts, "nope")
    # no area reaches the points (found by the nothing-lost property test)
    far = gpd.GeoDataFrame(geometry=[Point(-5, -5), Point(100, 3)], crs=CRS)
    table, pos = count_points(squares, far, "code")
    assert table["count"].tolist() == [0, 0, 0] and pos.tolist() == [-1, -1]


def test_assignment_matches_geopandas_sjoin_on_awkward_areas(tmp_path, monkeypatch):
    """The bucketed candidate search against an independent reference: geopandas.sjoin
    (the first area in file order the point is 'within', else the first it touches:
    the documented rule), on areas of very different sizes,
    a polygon with a hole, overlapping areas, points on edges and vertices, far-away
    points and missing ones; for a point layer and a coordinate-only layer alike."""
    from shapely.geometry import Polygon

    from layers.records import load_records

    rng = np.random.default_rng(3)
    ring = Polygon([(0, 0), (4000, 0), (4000, 4000), (0, 4000)],
                   [[(1000, 1000), (3000, 1000), (3000, 3000), (1000, 3000)]])
    small = [box(1000 + 50 * i, 1000 + 50 * j, 1050 + 50 * i, 1050 + 50 * j)
             for i in range(40) for j in range(40)]
    areas = gpd.GeoDataFrame({"code": [f"a{i}" for i in range(2 + len(small))]},
                             geometry=[ring, box(3500, 3500, 9000, 6000)] + small, crs=CRS)
    xy = np.r_[rng.uniform(-500, 9500, (20_000, 2)),
               rng.normal(2000, 300, (20_000, 2)).round(-1),  # many exactly on 50 m edges
               [[4000, 3700], [1000, 1000], [3000, 2000], [1e6, 1e6]]]
    xy += [400_000, 200_000]
    areas["geometry"] = areas.geometry.translate(400_000, 200_000)
    pts = gpd.GeoDataFrame(geometry=list(gpd.points_from_xy(xy[:, 0], xy[:, 1])) + [None],
                           crs=CRS)
    def first(pred):
        j = gpd.sjoin(pts, areas[["geometry"]], predicate=pred, how="left")
        return j.groupby(level=0)["index_right"].min().reindex(range(len(pts)))

    ref = first("within").fillna(first("intersects")).fillna(-1)
    assert ref.iloc[-5] == 1  # on the ring's outer edge but inside the overlapping box
    pos = assign_points(areas, pts)
    assert (pos >= 0).sum() > 15_000
    np.testing.assert_array_equal(pos, ref.astype(int).to_numpy())
    import mapping.stats.rates

    monkeypatch.setattr(mapping.stats.rates, "_CANDIDATE_CHUNK", 997)  # many small chunks
    np.testing.assert_array_equal(assign_points(areas, pts), pos)
    monkeypatch.undo()
    # the shortcut for points at distinct places gives the reference's answer too
    uniq = ~pd.DataFrame(xy).duplicated().to_numpy()
    np.testing.assert_array_equal(assign_points(areas, xy[uniq], distinct=True),
                                  ref.to_numpy()[:-1][uniq].astype(int))
    csv = tmp_path / "p.csv"
    pd.DataFrame({"Easting": xy[:, 0], "Northing": xy[:, 1]}).iloc[:-1].to_csv(csv, index=False)
    lean = load_records(csv, geometry=False)
    kept = lean.accepted["source_row"].to_numpy() - 1  # the 1e6 point is rejected (sea)
    np.testing.assert_array_equal(assign_points(areas, lean.accepted), ref.to_numpy()[kept])
    table, _ = count_points(areas, lean.accepted, "code")
    want = np.bincount(ref.to_numpy()[kept][ref.to_numpy()[kept] >= 0].astype(int),
                       minlength=len(areas))
    np.testing.assert_array_equal(table["count"].to_numpy(), want)


def test_area_rates_columns_and_small_numbers(squares):
    pts = gpd.GeoDataFrame(geometry=[Point(5, 5)] * 12 + [Point(15, 5)] * 2, crs=CRS)
    pop = pd.Series({"A": 4000.0, "B": 1000.0, "C": 2500.0})
    out = area_rates(squares, pts, "code", population=pop)
    assert list(out.columns) == ["code", "count", "population", "rate_per_10k", "rate_lcl",
                                 "rate_ucl", "small_number", "geometry"]
    assert out["rate_per_10k"].tolist() == [30.0, 20.0, 0.0]
    lo, hi = byar_ci(12)
    assert_allclose(out.loc[0, ["rate_lcl", "rate_ucl"]].to_numpy(float),
                    [lo / 4000 * 1e4, hi / 4000 * 1e4])
    assert out["small_number"].tolist() == [False, True, True]
    assert out.attrs["assignment"] == {"read": 14, "assigned": 14, "unassigned": 0}
    assert "Byar" in out.attrs["meta"]["method"]
    with pytest.raises(AnalysisError, match="codes do not match"):
        area_rates(squares, pts, "code", population=pd.Series({"X": 1.0}))


def _bristol_drugs():
    lsoa = gpd.read_file(shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson")) \
        .to_crs(CRS)
    files = sorted(glob.glob(str(shared_path("police_uk") / "*-street.csv")))
    df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    df = df[(df["Crime type"] == "Drugs") & df["Longitude"].notna()]
    pts = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.Longitude, df.Latitude),
                           crs="EPSG:4326").to_crs(CRS)
    return lsoa, pts


def test_bristol_counts_agree_with_police_uk_lsoa_codes():
    """police.uk's own 'LSOA code' is an independent point-in-polygon reference."""
    lsoa, pts = _bristol_drugs()
    pos = assign_points(lsoa, pts)
    inside = pos >= 0
    ours = lsoa["LSOA11CD"].to_numpy()[pos[inside]]
    theirs = pts["LSOA code"].to_numpy()[inside]
    assert inside.sum() > 200
    # generalised (clipped) boundaries vs police.uk's full-resolution assignment
    assert (ours == theirs).mean() > 0.9
    table, _ = count_points(lsoa, pts, "LSOA11CD")
    assert len(table) == 263 and table["count"].sum() == inside.sum()


def test_bristol_population_total_and_rates():
    lsoa, pts = _bristol_drugs()
    pop = pd.read_csv(shared_path("population", "mysociety_lsoa_population_mid2019_uk.csv"),
                      thousands=",")
    pop = pop.set_index(pop.columns[0])[pop.columns[1]]
    out = area_rates(lsoa, pts, "LSOA11CD", population=pop)
    assert out["population"].sum() == 463_377  # data README
    assert (out["rate_lcl"] <= out["rate_per_10k"]).all()
    assert (out["rate_ucl"] > out["rate_per_10k"]).all()


# --- periods ------------------------------------------------------------------------------
def test_periods_from_dates():
    d = pd.Series(pd.to_datetime(["2018-10-01", "2019-01-01", None, "2019-04-01"]))
    assert assign_periods(d, "quarter").tolist()[:2] == ["2018Q4", "2019Q1"]
    assert pd.isna(assign_periods(d, "quarter")[2])
    assert assign_periods(d, "year").tolist()[3] == "2019"
    assert assign_periods(d, "financial_year").tolist()[1] == "2018/19"
    assert assign_periods(d, "financial_year").tolist()[3] == "2019/20"
    assert same_period_last_year("2019Q1") == "2018Q1"
    with pytest.raises(AnalysisError):
        assign_periods(d, "fortnight")
