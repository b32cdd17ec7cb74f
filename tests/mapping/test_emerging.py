"""Emerging hot spots: Mann-Kendall against scipy's Kendall tau, ArcGIS's class rules."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau, norm

import shapely
import geopandas as gpd

from layers.common.errors import AnalysisError
from mapping.stats.emerging import emerging_hotspots
from mapping.stats.emerging_classes import EMERGING_CLASSES, emerging_classify, mann_kendall


@pytest.mark.parametrize("x", [
    [3.1, 2.0, 5.5, 4.4, 6.0, 7.2, 6.9, 8.8, 9.1, 12.0],          # no ties
    [1, 2, 2, 3, 1, 5, 5, 5, 2, 7],                               # ties in the values
    [0, 0, 0, 0, 1.2, 0, 0, 0, 0, 0, 0, 0],                        # mostly tied (empty cells)
    [5, 4, 4, 4, 3, 3, 2, 1],                                      # a falling series
])
def test_mann_kendall_matches_scipy_kendall_tau_b_against_time(x):
    x = np.asarray(x, float)
    r = mann_kendall(x, continuity=False)
    k = kendalltau(np.arange(len(x)), x, method="asymptotic")
    assert r["tau"] == pytest.approx(k.statistic)
    assert r["p"] == pytest.approx(k.pvalue)
    # S by brute force over the pairs
    s = sum(np.sign(x[j] - x[i]) for i in range(len(x)) for j in range(i + 1, len(x)))
    assert r["S"] == s


def test_mann_kendall_continuity_correction_by_hand():
    x = np.array([1, 2, 2, 3, 1, 5, 5, 5, 2, 7.0])
    r = mann_kendall(x)
    # S = 24; ties: one group of 3 (the 2s), one of 3 (the 5s), one of 2 (the 1s)
    var = (10 * 9 * 25 - (3 * 2 * 11 + 3 * 2 * 11 + 2 * 1 * 9)) / 18
    assert r["S"] == 24 and r["var_S"] == pytest.approx(var)
    assert r["z"] == pytest.approx(23 / np.sqrt(var))
    assert r["p"] == pytest.approx(2 * norm.sf(23 / np.sqrt(var)))


def test_mann_kendall_of_many_rows_at_once_and_of_a_constant_series():
    rows = np.array([[1, 2, 3, 4.0], [4, 3, 2, 1.0], [2, 2, 2, 2.0]])
    r = mann_kendall(rows)
    assert r["S"].tolist() == [6, -6, 0]
    assert np.isnan(r["z"][2]) and np.isnan(r["p"][2])


H, C, N = 1, -1, 0  # significant hot, significant cold, neither


def _classify(seq, trend_z=0.0, trend_p=1.0):
    s = np.asarray([seq])
    return emerging_classify(s == H, s == C, [trend_z], [trend_p])[0]


@pytest.mark.parametrize("seq, tz, tp, expected", [
    ([N] * 9 + [H], 0, 1, "new hot spot"),
    ([N] * 9 + [C], 0, 1, "new cold spot"),
    ([N] * 7 + [H] * 3, 0, 1, "consecutive hot spot"),
    ([N] * 8 + [C] * 2, 0, 1, "consecutive cold spot"),
    ([H] * 10, 3.0, 0.001, "intensifying hot spot"),
    ([H] * 10, 0.5, 0.6, "persistent hot spot"),
    ([H] * 10, -3.0, 0.001, "diminishing hot spot"),
    ([N] + [H] * 9, 3.0, 0.01, "intensifying hot spot"),   # 90% is enough
    ([C] * 10, -3.0, 0.001, "intensifying cold spot"),     # more and more cold
    ([C] * 10, 3.0, 0.001, "diminishing cold spot"),
    ([C] * 10, 0.0, 0.9, "persistent cold spot"),
    ([H, N, H, N, N, H, N, N, H, H], 0, 1, "sporadic hot spot"),
    ([H, N, N, H, N, N, N, N, N, H], 0, 1, "sporadic hot spot"),
    ([H, C, H, N, N, H, N, N, N, H], 0, 1, "oscillating hot spot"),
    ([C, N, N, N, N, N, N, N, N, H], 0, 1, "oscillating hot spot"),  # cold before: not new
    ([C, N, N, N, N, N, N, N, H, H], 0, 1, "oscillating hot spot"),  # nor consecutive
    ([H, C, N, C], 0, 1, "oscillating cold spot"),
    ([C, N, C, N, C], 0, 1, "sporadic cold spot"),
    ([H] * 9 + [N], 0, 1, "historical hot spot"),
    ([C] * 9 + [N], 0, 1, "historical cold spot"),
    ([H] * 8 + [N, N], 0, 1, "no pattern detected"),        # 80%, not in the final period
    ([N, H, H, N, N], 0, 1, "no pattern detected"),
    ([N] * 10, 0, 1, "no pattern detected"),
])
def test_class_rules_on_hand_made_sequences(seq, tz, tp, expected):
    assert _classify(seq, tz, tp) == expected


def test_ninety_percent_of_eight_periods_means_all_eight():
    # 7 of 8 is below 90%: a consecutive run, not an intensifying hot spot
    assert _classify([N] + [H] * 7, 3.0, 0.001) == "consecutive hot spot"
    assert _classify([H] * 8, 3.0, 0.001) == "intensifying hot spot"


def test_every_class_name_is_listed():
    assert len(EMERGING_CLASSES) == 17 and EMERGING_CLASSES[-1] == "no pattern detected"


def _cube(seed=0, pattern="all"):
    """Points on a 9 × 9 grid of 200 m cells over 12 quarters: a sparse background and
    clusters that grow (``grow``), appear in the last two quarters (``new``) or fade
    after the first three (``fade``); ``all`` has the three."""
    rng = np.random.default_rng(seed)
    rows = []
    quarters = pd.period_range("2021Q1", "2023Q4", freq="Q")
    for k, q in enumerate(quarters):
        parts = [rng.uniform(0, 1800, (80, 2))]
        if pattern in ("grow", "all"):
            parts.append(rng.normal([500, 500], 160, (40 + 16 * k, 2)))
        if pattern in ("new", "all") and k >= 10:
            parts.append(rng.normal([1300, 1300], 160, (150, 2)))
        if pattern in ("fade", "all") and k <= 2:
            parts.append(rng.normal([1300, 500], 160, (150, 2)))
        pts = np.vstack(parts)
        day = q.start_time + pd.to_timedelta(rng.integers(0, 89, len(pts)), "D")
        rows.append(pd.DataFrame({"x": pts[:, 0], "y": pts[:, 1], "date": day}))
    df = pd.concat(rows, ignore_index=True)
    df = df[(df.x > 0) & (df.x < 1800) & (df.y > 0) & (df.y < 1800)]
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.x, df.y), crs="EPSG:27700")


def _at(out, x, y):
    return out[out.geometry.contains(shapely.Point(x, y))].iloc[0]


@pytest.mark.parametrize("pattern, xy, emerging, hotmap", [
    ("grow", (500, 500), "intensifying hot spot", "persistent hotspot"),
    ("new", (1300, 1300), "consecutive hot spot", "emerging hotspot"),
    ("fade", (1300, 500), "no pattern detected", "former hotspot"),
])
def test_a_space_time_cube_finds_the_planted_patterns(pattern, xy, emerging, hotmap):
    pts = _cube(3, pattern)
    out = emerging_hotspots(pts, cell_size=200, kind="quarter", drop_incomplete=False)
    m = out.attrs["meta"]
    assert len(m["periods"]) == 12
    row = _at(out, *xy)
    assert row["emerging_class"] == emerging and row["hotspot_class"] == hotmap
    if pattern == "grow":
        assert row["trend_z"] > 1.96 and row["trend_p"] < 0.05
    assert m["count_columns"][0] == "count_2021Q1"
    assert sum(out[c].sum() for c in m["count_columns"]) == len(pts)
    # far from every cluster nothing is found
    assert _at(out, 100, 1700)["emerging_class"] == "no pattern detected"


def test_hotmap_classes_beside_agree_with_change_hotspot_classify():
    from mapping.stats.change import hotspot_classify

    pts = _cube(1)
    mine = emerging_hotspots(pts, cell_size=200, kind="quarter", drop_incomplete=False)
    ref = hotspot_classify(pts, cell_size=200, kind="quarter")
    assert (mine["hotspot_class"].to_numpy() == ref["hotspot_class"].to_numpy()).all()
    for q in ("2021Q1", "2023Q4"):
        assert (mine[f"gi_bin_{q}"].to_numpy() == ref[f"gi_bin_{q}"].to_numpy()).all()


def test_areas_and_incomplete_periods():
    pts = _cube(2)
    pts = pts[pts["date"] >= "2021-02-15"]  # the first quarter is now incomplete
    grid = gpd.GeoDataFrame({"code": [f"A{i}" for i in range(16)]}, geometry=[
        shapely.box(x, y, x + 450, y + 450) for y in range(0, 1800, 450)
        for x in range(0, 1800, 450)], crs="EPSG:27700")
    out = emerging_hotspots(pts, areas=grid, area_id="code", kind="quarter")
    m = out.attrs["meta"]
    assert m["periods"][0] == "2021Q2" and "2021Q1" in m["notes"][0]
    assert list(out["code"]) == list(grid["code"])


def test_too_few_periods_and_missing_inputs_are_refused():
    pts = _cube()
    with pytest.raises(AnalysisError, match="at least 3"):
        emerging_hotspots(pts, cell_size=200, kind="year")
    with pytest.raises(AnalysisError, match="either a cell size or areas"):
        emerging_hotspots(pts)


def test_month_only_dates_cover_their_whole_month():
    """police.uk gives the month only (every date is the 1st): the last month is complete,
    while the same points dated by day up to the 1st of the last month leave it out."""
    pts = _cube(4)
    pts = pts[pts["date"] < "2022-07-01"].copy()
    pts["date"] = pts["date"].dt.to_period("M").dt.start_time  # months, as police.uk
    out = emerging_hotspots(pts, cell_size=200, kind="month")
    assert out.attrs["meta"]["periods"][-1] == "2022-06"
    by_day = pts.copy()
    by_day.loc[by_day.index[0], "date"] = pd.Timestamp("2022-06-02")  # now dated by day
    cut = emerging_hotspots(by_day, cell_size=200, kind="month")
    assert cut.attrs["meta"]["periods"][-1] == "2022-05"
