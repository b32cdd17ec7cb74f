"""Knox near-repeat test: brute-force pair counts, the exact null mean, p-value behaviour."""

import itertools

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd

from layers.common.errors import AnalysisError
from mapping.stats.nearrepeat import near_repeat_knox


def _events(xy, days, start="2023-01-01"):
    xy = np.asarray(xy, float)
    dates = pd.Timestamp(start) + pd.to_timedelta(np.asarray(days, float), unit="D")
    return gpd.GeoDataFrame({"date": dates}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
                            crs="EPSG:27700")


def _brute(xy, days, d_edges, t_edges, metric="euclidean"):
    """The observed Knox table by looping over every pair (the reference)."""
    nd, nt = len(d_edges) + 1, len(t_edges) + 1
    tab = np.zeros((nd, nt), int)
    for i, j in itertools.combinations(range(len(xy)), 2):
        dx, dy = xy[i] - xy[j]
        d = np.hypot(dx, dy) if metric == "euclidean" else abs(dx) + abs(dy)
        t = abs(days[i] - days[j])
        a = next((k for k, e in enumerate(d_edges) if d <= e), nd - 1)
        b = next((k for k, e in enumerate(t_edges) if t <= e), nt - 1)
        tab[a, b] += 1
    return tab


@pytest.fixture
def stacked():
    """Random events with police.uk-style stacking: some share exactly one point and day."""
    rng = np.random.default_rng(4)
    xy = np.round(rng.uniform(0, 800, (70, 2)))
    xy[60:] = xy[0]  # ten events on one snapped point
    days = rng.integers(0, 60, 70).astype(float)
    days[60:65] = days[0]
    return xy, days


@pytest.mark.parametrize("metric", ["euclidean", "manhattan"])
def test_observed_table_equals_a_brute_force_pair_count(stacked, metric):
    xy, days = stacked
    d_edges, t_edges = [0, 100, 200, 350], [0, 7, 14]
    res = near_repeat_knox(_events(xy, days), distance_bands=d_edges, time_bands=t_edges,
                           permutations=19, seed=1, metric=metric)
    assert np.array_equal(res.observed, _brute(xy, days, d_edges, t_edges, metric))
    assert res.observed.sum() == 70 * 69 // 2 == res.meta["pairs"]
    # same location, same day: at least the 5 stacked events pairwise (10 pairs)
    assert res.observed[0, 0] >= 10
    assert res.table["observed"].sum() == res.observed.sum()


def test_expected_is_the_exact_permutation_mean(stacked):
    xy, days = stacked
    res = near_repeat_knox(_events(xy, days), distance_bands=[100, 200], time_bands=[7, 14],
                           permutations=2000, seed=3)
    exact = res.observed.sum(1)[:, None] * res.observed.sum(0)[None, :] / res.observed.sum()
    np.testing.assert_allclose(res.expected, exact)
    sim = res.wide("sim_mean").to_numpy()
    sd = res.wide("sim_sd").to_numpy()
    # the Monte Carlo mean converges to the exact mean (within 4 standard errors)
    assert (np.abs(sim - exact) <= 4 * sd / np.sqrt(2000) + 1e-9).all()
    # permuting times never changes the row and column totals
    assert np.allclose(sim.sum(0), res.observed.sum(0)) and np.allclose(sim.sum(1),
                                                                           res.observed.sum(1))


def test_near_repeat_structure_is_detected_and_absent_structure_is_not():
    rng = np.random.default_rng(11)
    seeds_xy = rng.uniform(0, 5000, (150, 2))
    seeds_t = rng.uniform(0, 365, 150)
    # each seed event is followed within 50 m and 5 days by a repeat (Townsley-style burglary)
    rep_xy = seeds_xy + rng.normal(0, 20, (150, 2))
    rep_t = seeds_t + rng.uniform(0, 5, 150)
    xy, t = np.vstack([seeds_xy, rep_xy]), np.r_[seeds_t, rep_t]
    bands = dict(distance_bands=[100, 200, 400], time_bands=[7, 14, 28])
    hit = near_repeat_knox(_events(xy, t), permutations=199, seed=5, **bands)
    assert hit.wide("knox_ratio").iloc[0, 0] > 3
    assert hit.wide("p_value").iloc[0, 0] == pytest.approx(1 / 200)
    assert bool(hit.wide("significant").iloc[0, 0])
    # the same places with the times shuffled: no interaction
    rng2 = np.random.default_rng(12)
    none = near_repeat_knox(_events(xy, rng2.permutation(t)), permutations=199, seed=5, **bands)
    assert 0.5 < none.wide("knox_ratio").iloc[0, 0] < 1.6
    p = none.table["p_value"].to_numpy()
    assert (p > 0.05).mean() > 0.8  # few false alarms among the 16 cells


def test_p_values_are_reproducible_with_a_seed_and_bounded_by_permutations(stacked):
    xy, days = stacked
    a = near_repeat_knox(_events(xy, days), permutations=99, seed=7)
    b = near_repeat_knox(_events(xy, days), permutations=99, seed=7)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.table["p_value"].min() >= 1 / 100 and a.table["p_value"].max() <= 1


def test_undated_events_are_left_out_and_counted(stacked):
    xy, days = stacked
    ev = _events(xy, days)
    ev.loc[[3, 4], "date"] = pd.NaT
    res = near_repeat_knox(ev, permutations=19, seed=1)
    assert res.meta["base_n"] == 68
    assert any("2 events without a date" in n for n in res.meta["notes"])


def test_month_only_dates_are_refused():
    rng = np.random.default_rng(0)
    ev = _events(rng.uniform(0, 500, (40, 2)), np.zeros(40))
    ev["date"] = pd.to_datetime(rng.choice(["2023-01-01", "2023-02-01", "2023-03-01"], 40))
    with pytest.raises(AnalysisError, match="months, not days"):
        near_repeat_knox(ev, permutations=19)


@pytest.mark.parametrize("kw, msg", [({"distance_bands": [100, 50]}, "increasing"),
                                     ({"time_bands": ["a"]}, "list of numbers"),
                                     ({"permutations": 5}, "too few"),
                                     ({"metric": "chebyshev"}, "metric")])
def test_bad_parameters_say_what_to_do(stacked, kw, msg):
    xy, days = stacked
    with pytest.raises(AnalysisError, match=msg):
        near_repeat_knox(_events(xy, days), **kw)


def test_geographic_coordinates_are_refused(stacked):
    xy, days = stacked
    ev = _events(xy / 1000, days).set_crs("EPSG:4326", allow_override=True)
    with pytest.raises(AnalysisError, match="geographic"):
        near_repeat_knox(ev, permutations=19)
