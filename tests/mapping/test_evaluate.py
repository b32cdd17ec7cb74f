"""Intervention evaluation: WDD against the published numbers, WDQ by hand, area counts."""

import numpy as np
import pandas as pd
import pytest

import shapely
import geopandas as gpd

from layers.common.errors import AnalysisError
from mapping.stats.evaluate import evaluate_intervention, wdd, wdq


def test_wdd_reproduces_the_worked_example_of_wheeler_and_ratcliffe_2018():
    # Wheeler & Ratcliffe (2018), Crime Science 7:11: treated 207 -> 110, control 308 -> 318,
    # displacement 178 -> 157, displacement control 150 -> 140; the paper reports
    # WDD = -118, variance 1568, z = -2.98 and a 95% interval of -196 to -40.
    r = wdd((207, 110), (308, 318), (178, 157), (150, 140), alpha=0.05)
    assert r["wdd"] == -118
    assert r["se"] ** 2 == pytest.approx(1568)
    assert round(r["z"], 2) == -2.98
    assert round(r["ci_low"]) == -196 and round(r["ci_high"]) == -40
    assert r["est_local"] == -107 and r["est_displace"] == -11


def test_wdd_with_area_and_time_weights_matches_wheelers_published_figures():
    # andrewpwheeler.com (2021-02-23), "The WDD test with different area sizes":
    # area weights 0.9 (control), 1.2 (treated), 1.6 (displacement control), 1.5 (displacement)
    r = wdd((207, 110), (308, 318), (178, 157), (150, 140),
            area_weights=(0.9, 1.2, 1.6, 1.5), alpha=0.05)
    np.testing.assert_allclose([r["wdd"], r["se"], r["z"], r["ci_low"], r["ci_high"]],
                               [-99.69444444, 35.4280755, -2.813995483, -169.1321965,
                                -30.25669241], rtol=1e-8)
    # andrewpwheeler.com (2021-01-09): two years before, one after -> -20, sqrt(115)
    r = wdd((80, 20), (100, 50), time_weights=(2, 1))
    assert r["wdd"] == pytest.approx(-20) and r["se"] == pytest.approx(np.sqrt(115))


def test_wdq_by_hand_and_its_readings():
    # success = 60/100 - 190/200 = -0.35; buffer = 88/80 - 0.95 = 0.15; WDQ = 0.15 / -0.35
    r = wdq((100, 60), (80, 88), (200, 190))
    assert r["success_measure"] == pytest.approx(-0.35)
    assert r["buffer_measure"] == pytest.approx(0.15)
    assert r["wdq"] == pytest.approx(-0.15 / 0.35)
    assert "displacement, smaller than the direct effect" in r["reading"]
    assert "diffusion of benefit greater" in wdq((100, 60), (80, 20), (200, 190))["reading"]
    assert "some diffusion" in wdq((100, 60), (80, 70), (200, 190))["reading"]
    assert "backfired" in wdq((100, 60), (80, 130), (200, 190))["reading"]
    assert "no success" in wdq((100, 120), (80, 80), (200, 190))["reading"]
    assert np.isnan(wdq((0, 5), (80, 80), (200, 190))["wdq"])


def _scene(seed=0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 3000, (4000, 2))
    days = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 730, 4000), "D")
    pts = gpd.GeoDataFrame({"date": days}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
                           crs="EPSG:27700")
    target = gpd.GeoDataFrame(geometry=[shapely.box(500, 500, 900, 900)], crs="EPSG:27700")
    control = gpd.GeoDataFrame(geometry=[shapely.box(2000, 2000, 2400, 2400)], crs="EPSG:27700")
    return pts, target, control


def test_counts_per_area_and_period_match_a_direct_count():
    pts, target, control = _scene()
    res = evaluate_intervention(pts, target=target, control=control, buffer_m=200,
                                control_buffer_m=200, before=("2023-01-01", "2023-12-31"),
                                after=("2024-01-01", "2024-12-31"))
    t = res.table.set_index("area")
    ring = target.geometry[0].buffer(200).difference(target.geometry[0])
    for name, geom in (("target", target.geometry[0]), ("buffer", ring),
                       ("control", control.geometry[0])):
        inside = pts[pts.within(geom)]
        b = int((inside["date"] < "2024-01-01").sum())
        a = int((inside["date"] >= "2024-01-01").sum())
        assert (t.loc[name, "before"], t.loc[name, "after"]) == (b, a), name
    c = t[["before", "after"]]
    ref = wdd(tuple(c.loc["target"]), tuple(c.loc["control"]), tuple(c.loc["buffer"]),
              tuple(c.loc["control buffer"]))
    assert res.wdd == pytest.approx(ref)
    assert res.meta["count_columns"] == ["before", "after"]
    assert list(res.areas["role"]) == ["target", "buffer", "control", "control buffer"]
    assert res.table.loc[1, "area_km2"] == pytest.approx(ring.area / 1e6)


def test_periods_of_different_lengths_are_weighted_but_a_leap_day_is_not():
    pts, target, control = _scene(1)
    res = evaluate_intervention(pts, target=target, control=control,
                                before=("2023-01-01", "2023-12-31"),
                                after=("2024-01-01", "2024-06-30"))
    assert res.meta["params"]["time_weights"][0] == pytest.approx(365 / 182)
    res = evaluate_intervention(pts, target=target, control=control,
                                before=("2023-01-01", "2023-12-31"),
                                after=("2024-01-01", "2024-12-31"))
    assert res.meta["params"]["time_weights"] == [1.0, 1.0]


def test_overlapping_areas_and_bad_periods_are_refused():
    pts, target, control = _scene()
    with pytest.raises(AnalysisError, match="overlap"):
        evaluate_intervention(pts, target=target, control=target, before=("2023-01-01",
                              "2023-06-30"), after=("2023-07-01", "2023-12-31"))
    with pytest.raises(AnalysisError, match="buffer overlaps the control"):
        evaluate_intervention(pts, target=target, control=control, buffer_m=1700,
                              before=("2023-01-01", "2023-06-30"),
                              after=("2023-07-01", "2023-12-31"))
    with pytest.raises(AnalysisError, match="starts before"):
        evaluate_intervention(pts, target=target, control=control,
                              before=("2023-01-01", "2023-06-30"),
                              after=("2023-06-01", "2023-12-31"))
