"""Tests of mapping.audit.trends: monthly counts, quarters vs a year earlier, seasonality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from shapely.geometry import Point, box

from layers.common.errors import InputError
from mapping.audit.events import trend_events
from mapping.audit.selection import select_records
from mapping.audit.trends import (poisson_rate_test, trend_analysis, trend_monthly, trend_quarterly,
                            trend_seasonal)


def _records(dates, types=None, xy=None):
    n = len(dates)
    xy = xy or [(i, i) for i in range(n)]
    return gpd.GeoDataFrame({"date": pd.to_datetime(dates),
                             "crime_type": types or ["Drugs"] * n},
                            geometry=[Point(x, y) for x, y in xy], crs=27700)


def test_monthly_counts_fill_gaps_and_rolling_mean_hand_worked():
    g = _records(["2019-01-05", "2019-01-20", "2019-03-01", "2019-04-30", "2019-04-01",
                  "2019-04-15", None])
    m = trend_monthly(g)
    assert m["month"].dt.strftime("%Y-%m").tolist() == ["2019-01", "2019-02", "2019-03", "2019-04"]
    assert m["count"].tolist() == [2, 0, 1, 3]
    # trailing 3-month mean: NaN, NaN, (2+0+1)/3, (0+1+3)/3
    assert np.isnan(m["rolling_mean"].iloc[:2]).all()
    assert_allclose(m["rolling_mean"].iloc[2:], [1.0, 4 / 3])
    meta = m.attrs["meta"]
    assert meta["base_n"] == 6 and meta["n_missing_date"] == 1
    assert "rolling" in meta["method"] and meta["units"] == "records per month"


def test_monthly_matches_pandas_resample_on_random_data():
    rng = np.random.default_rng(3)
    d = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, 500), unit="D")
    g = _records(list(d))
    m = trend_monthly(g)
    ref = pd.Series(1, index=d).resample("MS").sum()
    assert m["count"].tolist() == ref.tolist()
    assert_allclose(m["rolling_mean"].to_numpy(), ref.rolling(3).mean().to_numpy())


def test_filter_area_and_period_selection():
    g = _records(["2019-01-01", "2019-01-02", "2019-02-01", "2019-02-02"],
                 types=["Drugs", "Theft", "Drugs", "Drugs"], xy=[(1, 1), (2, 2), (50, 50), (3, 3)])
    m = trend_monthly(g, filter="crime_type == 'Drugs'", area=box(0, 0, 10, 10))
    assert m["count"].tolist() == [1, 1]
    m2 = trend_monthly(g, start="2018-12-01", end="2019-03-31")
    assert m2["count"].tolist() == [0, 2, 2, 0]
    sel = select_records(g, filter="crime_type == 'Drugs'", start="2019-02-01")
    assert len(sel) == 2 and "filter" in sel.attrs["selection"]


def test_poisson_rate_test_against_scipy_binomtest_and_hand_values():
    from scipy.stats import binomtest

    t = poisson_rate_test(30, 15)
    assert_allclose(t["rate_ratio"], 2.0)
    assert_allclose(t["p_value"], binomtest(30, 45, 0.5).pvalue)
    # unequal exposures: 20 events in 2 units vs 10 in 1 unit -> equal rates, p = 1
    t2 = poisson_rate_test(20, 10, 2.0, 1.0)
    assert_allclose(t2["rate_ratio"], 1.0)
    assert t2["p_value"] == pytest.approx(1.0)
    # Clopper-Pearson limits transformed: ratio CI must contain the estimate
    assert t["ci_low"] < 2.0 < t["ci_high"]
    from scipy.stats import beta

    plo = beta.ppf(0.025, 30, 16)
    assert_allclose(t["ci_low"], plo / (1 - plo))
    with pytest.raises(InputError):
        poisson_rate_test(-1, 3)


def test_quarterly_year_earlier_comparison():
    # 2018 Q1: 10 events; 2019 Q1: 25 events; 2018 Q2..Q4 and 2019 Q2: 5 each
    dates = (["2018-02-10"] * 10 + ["2018-05-01"] * 5 + ["2018-08-01"] * 5 + ["2018-11-01"] * 5
             + ["2019-02-10"] * 25 + ["2019-05-01"] * 5)
    q = trend_quarterly(_records(dates), end="2019-06-30", start="2018-01-01")
    row = q.set_index("quarter").loc["2019 Q1"]
    assert row["count"] == 25 and row["count_year_earlier"] == 10 and row["change"] == 15
    assert_allclose(row["pct_change"], 150.0)
    # days as exposure: 2019 Q1 has 90 days, 2018 Q1 90 days -> plain binomial(35, 0.5)
    from scipy.stats import binomtest

    assert_allclose(row["p_value"], binomtest(25, 35, 0.5).pvalue)
    assert bool(row["significant"]) and row["p_value"] < 0.05
    assert q.set_index("quarter").loc["2018 Q2", "count_year_earlier"] is pd.NA
    assert q["complete"].all()
    assert q.attrs["meta"]["base_n"] == 55 and q.attrs["meta"]["references"]


def test_partial_quarters_are_not_compared():
    dates = ["2018-01-15"] * 3 + ["2019-01-15"] * 9
    q = trend_quarterly(_records(dates))  # data run Jan 2018 .. Jan 2019
    last = q.iloc[-1]
    assert last["quarter"] == "2019 Q1" and not last["complete"]
    assert np.isnan(last["p_value"])


def test_seasonal_profile():
    dates = ["2018-12-01"] * 4 + ["2019-12-01"] * 6 + ["2019-01-01"] * 2
    s = trend_seasonal(_records(dates))
    dec = s.set_index("month_name").loc["Dec"]
    assert dec["count"] == 10 and dec["n_years"] == 2 and dec["mean_per_year"] == 5
    jan = s.set_index("month_name").loc["Jan"]
    assert jan["n_years"] == 1 and jan["mean_per_year"] == 2
    # months Dec 2018 .. Dec 2019 = 13 months; Feb..Nov occur once with 0
    assert s.set_index("month_name").loc["Jun", "mean_per_year"] == 0
    means = s["mean_per_year"].to_numpy()
    assert_allclose(s["index"], means / means.mean())


def test_events_parsing():
    ev = trend_events([("2019-12-25", "Christmas"), ("2019-07-01", "2019-07-31", "Op X"),
                       {"date": "2019-08-01", "label": "Festival"}])
    assert ev["label"].tolist() == ["Christmas", "Op X", "Festival"]
    assert pd.isna(ev["end"].iloc[0]) and ev["end"].iloc[1] == pd.Timestamp("2019-07-31")
    tab = trend_events(pd.DataFrame({"Date": ["2019-01-01"], "Label": ["New year"]}))
    assert tab["start"].iloc[0] == pd.Timestamp("2019-01-01")
    with pytest.raises(InputError, match="cannot be read"):
        trend_events([("not a date", "x")])
    with pytest.raises(InputError, match="no 'date'"):
        trend_events(pd.DataFrame({"when": ["2019-01-01"]}))


def test_trend_analysis_progress_and_missing_column():
    calls = []
    res = trend_analysis(_records(["2019-01-01", "2019-02-01"]),
                         progress=lambda f, m: calls.append(f))
    assert calls[0] == 0.0 and calls[-1] == 1.0
    assert res.meta["base_n"] == 2
    with pytest.raises(InputError, match="no 'when' column"):
        trend_monthly(_records(["2019-01-01"]), date_column="when")


def test_financial_year_quarters():
    dates = ["2018-04-10"] * 4 + ["2018-06-30"] * 2 + ["2019-05-01"] * 9 + ["2019-03-31"]
    q = trend_quarterly(_records(dates), start="2018-04-01", end="2019-06-30",
                        financial_year=True).set_index("quarter")
    assert list(q.index) == ["2018/19 Q1", "2018/19 Q2", "2018/19 Q3", "2018/19 Q4",
                             "2019/20 Q1"]
    assert q.loc["2018/19 Q1", "count"] == 6 and q.loc["2018/19 Q4", "count"] == 1
    assert q.loc["2019/20 Q1", "count_year_earlier"] == 6
    assert q.loc["2019/20 Q1", "quarter_start"] == pd.Timestamp("2019-04-01")


def test_nothing_selected_is_a_clear_error():
    g = _records(["2019-01-01"])
    # the filter's own error, with the values the records hold (mapping.core.filters, issue 16)
    with pytest.raises(InputError, match="filter: no record matches crime_type == 'Theft'"):
        trend_analysis(g, filter="crime_type == 'Theft'")
    # a filter that matches no record is refused even over an explicit period (issue 16:
    # a misspelt filter must not give a run of zero months); a period with no records is
    # still a run of zeros
    with pytest.raises(InputError, match="no record matches crime_type == 'Theft'"):
        trend_monthly(g, filter="crime_type == 'Theft'", start="2019-01-01", end="2019-03-31")
    m = trend_monthly(g, start="2019-03-01", end="2019-05-31")
    assert m["count"].tolist() == [0, 0, 0]
