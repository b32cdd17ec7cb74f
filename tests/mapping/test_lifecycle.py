"""Tests of mapping.audit.lifecycle: status at a date, closures, Kaplan-Meier (vs lifelines)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from shapely.geometry import Point

from layers.common.errors import InputError
from mapping.audit.lifecycle import (lifecycle_closures, lifecycle_operating, lifecycle_reopening,
                               lifecycle_status_at)
from mapping.audit.survival import kaplan_meier


@pytest.fixture
def premises():
    return gpd.GeoDataFrame({
        "opened": pd.to_datetime(["2018-01-01", "2018-02-01", "2018-03-01", "2018-06-01", None]),
        "closure_order": pd.to_datetime(["2018-04-10", "2018-05-01", "2018-08-01", None,
                                         "2018-09-01"]),
        "reopened": pd.to_datetime(["2018-06-01", None, "2019-06-01", None, "2018-09-20"]),
    }, geometry=[Point(i * 100, i * 100) for i in range(5)], crs=27700)


def test_status_at_date_hand_worked(premises):
    s = lifecycle_status_at(premises, "2018-09-30")
    assert s["status_at"].astype(str).tolist() == ["reopened", "closed", "closed", "active",
                                                   "reopened"]
    assert s["operating"].tolist() == [True, False, False, True, True]
    meta = s.attrs["meta"]
    assert meta["sensitive"] is True and meta["base_n"] == 5
    assert meta["counts"] == {"active": 1, "closed": 2, "reopened": 2, "not yet open": 0}
    early = lifecycle_status_at(premises, "2018-01-15")
    assert early["status_at"].astype(str).tolist() == ["active", "not yet open", "not yet open",
                                                       "not yet open", "active"]
    # an event on the date itself has happened
    assert lifecycle_status_at(premises, "2018-04-10")["status_at"].iloc[0] == "closed"


def test_operating_series(premises):
    op = lifecycle_operating(premises, start="2018-05-01", end="2018-07-01")
    assert op["date"].dt.strftime("%Y-%m-%d").tolist() == ["2018-05-01", "2018-06-01",
                                                           "2018-07-01"]
    assert op["closed"].tolist() == [2, 1, 1]
    assert (op["operating"] == op["active"] + op["reopened"]).all()


def test_closures_and_reopening_within_windows(premises):
    c = lifecycle_closures(premises, census_date="2019-03-31").set_index("quarter")
    assert c.loc["2018 Q2", "closures"] == 2 and c.loc["2018 Q3", "closures"] == 2
    # Q2: #0 reopened after 52 days, #1 never (334 days of follow-up)
    assert c.loc["2018 Q2", "reopened_3m"] == 1 and c.loc["2018 Q2", "followed_3m"] == 2
    # 12 months: #1 has < 12 months of follow-up so it is left out of the denominator
    assert c.loc["2018 Q2", "followed_12m"] == 1 and c.loc["2018 Q2", "pct_reopened_12m"] == 100
    # Q3: #4 reopened after 19 days; #2 reopened after the census date -> not counted
    assert c.loc["2018 Q3", "reopened_12m"] == 1
    assert c.loc["All", "closures"] == 4
    assert_allclose(c.loc["All", "pct_reopened_3m"], 50.0)
    assert c.attrs["meta"]["base_n"] == 4


def test_kaplan_meier_hand_worked():
    # times 2, 3+, 4, 4, 6+, 8 (+ = censored): S(2)=5/6, S(4)=5/6*(2/4)=5/12, S(8)=0
    km = kaplan_meier([2, 3, 4, 4, 6, 8], [1, 0, 1, 1, 0, 1])
    t = km.table.set_index("time")
    assert_allclose(t.loc[2, "survival"], 5 / 6)
    assert_allclose(t.loc[3, "survival"], 5 / 6)
    assert_allclose(t.loc[4, "survival"], 5 / 12)
    assert_allclose(t.loc[8, "survival"], 0.0)
    assert t.loc[4, "n_at_risk"] == 4 and t.loc[4, "events"] == 2
    assert km.median == 4.0 and km.n == 6 and km.n_events == 4
    # Greenwood at t=4: 1/(6*5) + 2/(4*2)
    gw = 1 / 30 + 2 / 8
    from scipy.stats import norm

    s = 5 / 12
    se = np.sqrt(gw) / abs(np.log(s))
    assert_allclose(t.loc[4, "ci_low"], s ** np.exp(norm.ppf(0.975) * se))
    assert km.survival_at(5) == pytest.approx(5 / 12)


def test_kaplan_meier_agrees_with_lifelines():
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(11)
    t = rng.integers(1, 60, 80).astype(float)
    e = rng.random(80) < 0.55
    km = kaplan_meier(t, e)
    ref = lifelines.KaplanMeierFitter().fit(t, e)
    tab = km.table.set_index("time")
    assert_allclose(tab["survival"], ref.survival_function_["KM_estimate"].reindex(tab.index),
                    atol=1e-12)
    ci = ref.confidence_interval_.reindex(tab.index)
    assert_allclose(tab["ci_low"], ci.iloc[:, 0], atol=1e-10)
    assert_allclose(tab["ci_high"], ci.iloc[:, 1], atol=1e-10)
    assert km.median == ref.median_survival_time_


def test_reopening_km_censors_at_census(premises):
    km = lifecycle_reopening(premises, census_date="2019-03-31")
    assert km.n == 4 and km.n_events == 2  # #2 reopened after the census: censored
    t = km.table
    assert t["censored"].sum() == 2
    assert t["time"].max() == (pd.Timestamp("2019-03-31") - pd.Timestamp("2018-05-01")).days
    assert "censored" in " ".join(km.meta["notes"])
    months = lifecycle_reopening(premises, census_date="2019-03-31", units="months")
    assert_allclose(months.table["time"].iloc[1], 19 / (365.25 / 12))


def test_bad_inputs(premises):
    bad = premises.copy()
    bad.loc[0, "reopened"] = pd.Timestamp("2018-01-01")  # before its closure
    km = lifecycle_reopening(bad, census_date="2019-03-31")
    assert km.meta["excluded"] == 1 and km.n == 3
    with pytest.raises(InputError, match="no 'closure_order' column"):
        lifecycle_closures(premises.drop(columns="closure_order"), census_date="2019-01-01")
    with pytest.raises(InputError, match="no closure orders"):
        lifecycle_reopening(premises, census_date="2017-01-01")
    with pytest.raises(InputError):
        kaplan_meier([1, -2], [1, 1])


def test_lifecycle_analysis_wrapper(premises):
    from mapping.audit.lifecycle import lifecycle_analysis

    calls = []
    res = lifecycle_analysis(premises, progress=lambda f, m: calls.append(f))
    assert res.census_date == pd.Timestamp("2019-06-01")  # latest date in the data
    assert res.reopening.n == 4 and res.status.attrs["meta"]["sensitive"]
    assert calls[0] == 0.0 and calls[-1] == 1.0
    sub = lifecycle_analysis(premises, census_date="2019-03-31", filter="opened >= '2018-02-01'")
    assert sub.meta["base_n"] == 3


def test_the_closures_panel_hides_quarters_with_few_orders():
    """Bars of 1 to 4 closure orders would tell the table's "<5": no bar, a "<5" label."""
    import pandas as pd

    from mapping.audit.lifecycle import lifecycle_closures, lifecycle_reopening
    from mapping.render.charts_audit import lifecycle_chart

    dates = ["2020-01-10"] * 6 + ["2020-04-10"] * 2 + ["2020-07-10"] * 7
    ch = pd.DataFrame({"closure_order": pd.to_datetime(dates), "reopened": pd.NaT})
    clos = lifecycle_closures(ch, census_date="2021-01-01")
    fig = lifecycle_chart(lifecycle_reopening(ch, census_date="2021-01-01"), clos, threshold=5)
    ax2 = fig.axes[1]
    heights = sorted(round(p.get_height()) for p in ax2.patches)
    assert heights == [0, 6, 7]
    labels = [t.get_text() for t in ax2.texts]
    assert "<5" in labels and "2" not in labels
    fig_open = lifecycle_chart(lifecycle_reopening(ch, census_date="2021-01-01"), clos)
    assert sorted(round(p.get_height()) for p in fig_open.axes[1].patches) == [2, 6, 7]
