"""Charts of the issue-20 analyses: they draw in the house style, say what they show, and
never print a small count of sensitive records."""

import numpy as np
import pandas as pd
import pytest

import shapely
import geopandas as gpd

from mapping.render import charts_patterns as cp
from mapping.render import charts_treatment as ct
from mapping.render.charts import chart_save


def _texts(fig):
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    return out


@pytest.fixture(scope="module")
def events():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 2000, (400, 2))
    t = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 3e7, 400), "s")
    return gpd.GeoDataFrame({"date": t.normalize(), "when": t},
                            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:27700")


def test_knox_chart_shows_ratios_stars_and_pair_counts(events, tmp_path):
    from mapping.stats.nearrepeat import near_repeat_knox

    res = near_repeat_knox(events, distance_bands=[100, 200], time_bands=[7, 14],
                           permutations=19, seed=1)
    fig = cp.knox_chart(res, units="burglaries", source="FICTIONAL")
    text = _texts(fig)
    assert any("Near repeats" in t for t in text)
    assert any(t.endswith("pairs") for t in text) and "beyond 200 m" in text
    assert f"{res.wide().iloc[0, 0]:.2f}" in "".join(text)
    assert chart_save(fig, tmp_path / "k.png").stat().st_size > 10_000


def test_time_profile_chart_hides_small_counts_only_when_asked(events):
    from mapping.stats.timeprofile import time_profile

    tp = time_profile(events, start="when")
    shown = _texts(cp.timeprofile_chart(tp, threshold=0))
    hidden = _texts(cp.timeprofile_chart(tp, threshold=5))
    assert "<5" not in shown and "<5" in hidden
    small = ((tp.table.iloc[:, 1:25] > 0) & (tp.table.iloc[:, 1:25] < 5)).to_numpy()
    assert hidden.count("<5") >= small.sum()


def test_evaluation_chart_withholds_the_test_when_a_count_is_small():
    from mapping.stats.evaluate import evaluate_intervention

    pts = gpd.GeoDataFrame({"date": pd.to_datetime(["2023-02-01"] * 3 + ["2024-02-01"] * 40
                                                   + ["2023-03-01"] * 30)},
                           geometry=gpd.points_from_xy([5] * 3 + [5] * 40 + [25] * 30,
                                                       [5] * 73), crs="EPSG:27700")
    res = evaluate_intervention(pts, target=shapely.box(0, 0, 10, 10),
                                control=shapely.box(20, 0, 30, 10),
                                before=("2023-01-01", "2023-12-31"),
                                after=("2024-01-01", "2024-12-31"))
    open_text = _texts(cp.evaluation_chart(res))
    safe_text = _texts(cp.evaluation_chart(res, threshold=5))
    assert any(t.startswith("WDD") for t in open_text)
    assert not any(t.startswith("WDD") for t in safe_text)
    assert any("Too few" in t for t in safe_text) and "<5" in safe_text


def test_treatment_charts_hide_small_groups():
    from mapping.audit.treatment import treatment_waits

    ep = pd.DataFrame({"referral_date": ["2024-01-01"] * 12,
                       "first_intervention_date": ["2024-01-05"] * 9 + ["2024-02-20"] * 3,
                       "sex": ["F"] * 3 + ["M"] * 9})
    tab = treatment_waits(ep, target_days=10, by="sex")
    text = _texts(ct.waits_chart(tab, threshold=5))
    assert any("(n <5)" in t for t in text)
    # M's count would give F's back from the total (12 - 9 = 3): it is not shown either
    assert "sex: M  (not shown)" in text and "suppressed" in text
    assert "67%" not in text and "75%" in text  # M's share (6 of 9) hidden, All's shown
    assert "sex: M  (n = 9, median 4 days)" in _texts(ct.waits_chart(tab, threshold=0))


def test_closure_and_age_charts_draw(tmp_path):
    from mapping.audit.agerates import age_specific_rates
    from mapping.audit.closurespeed import closure_speed

    recs = pd.DataFrame({"first_known": pd.to_datetime(["2023-01-01"] * 6),
                         "closure_order": pd.to_datetime(["2023-02-01", "2023-05-01",
                                                          "2023-06-01", None, None,
                                                          "2023-12-01"])})
    fig = ct.closure_chart(closure_speed(recs, census_date="2024-01-01"), threshold=5)
    assert "<5" in _texts(fig)
    chart_save(fig, tmp_path / "c.png")
    t = age_specific_rates(pd.DataFrame({"age_band": ["18-24"] * 9 + ["25+"] * 3}),
                           pd.DataFrame({"age_band": ["18-24", "25+"],
                                         "population": [100, 300]}))
    assert "<5" in _texts(ct.agerates_chart(t, threshold=5))
