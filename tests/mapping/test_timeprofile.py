"""Hour × weekday profiles and aoristic weights, against hand-worked cases."""

import numpy as np
import pandas as pd
import pytest

from layers.common.errors import AnalysisError
from mapping.stats.timeprofile import aoristic_week, time_profile

# 2024-01-01 is a Monday: hour-of-week index = 24 × weekday + hour


def _w(start, end=None, **kw):
    s = pd.Series(pd.to_datetime([start]))
    e = None if end is None else pd.Series(pd.to_datetime([end]))
    w = aoristic_week(s, e, **kw)
    return {k: round(float(v), 9) for k, v in enumerate(w) if v}


def test_a_single_time_counts_one_in_its_hour():
    assert _w("2024-01-03 14:59:59") == {2 * 24 + 14: 1.0}


def test_window_crossing_midnight_hours_method():
    # 22:30 Monday to 01:10 Tuesday touches 22, 23, 00, 01: a quarter each (Ratcliffe)
    assert _w("2024-01-01 22:30", "2024-01-02 01:10") == {22: 0.25, 23: 0.25, 24: 0.25,
                                                          25: 0.25}


def test_window_crossing_midnight_minutes_method():
    # 160 minutes: 30 in 22:00, 60 in 23:00, 60 in 00:00, 10 in 01:00
    got = _w("2024-01-01 22:30", "2024-01-02 01:10", method="minutes")
    assert got == {22: round(30 / 160, 9), 23: round(60 / 160, 9), 24: round(60 / 160, 9),
                   25: round(10 / 160, 9)}


def test_an_end_on_the_hour_does_not_touch_that_hour():
    assert _w("2024-01-01 10:00", "2024-01-01 12:00") == {10: 0.5, 11: 0.5}
    assert _w("2024-01-01 10:00", "2024-01-01 12:00", method="minutes") == {10: 0.5, 11: 0.5}


def test_sunday_night_wraps_to_monday_morning():
    assert _w("2024-01-07 23:00", "2024-01-08 01:00") == {167: 0.5, 0: 0.5}


def test_a_window_longer_than_a_week_wraps_round_the_week():
    # 192 clock hours from Monday 00:00: the first 24 hours of the week are passed twice
    got = _w("2024-01-01 00:00", "2024-01-09 00:00")
    assert got == {k: round((2 if k < 24 else 1) / 192, 9) for k in range(168)}
    got = _w("2024-01-01 00:30", "2024-01-09 00:00", method="minutes")
    dur = 191.5
    assert got[0] == round((0.5 + 1) / dur, 9)  # half of Monday 00:00 and all of the next one
    assert got[1] == round(2 / dur, 9) and got[30] == round(1 / dur, 9)
    assert sum(got.values()) == pytest.approx(1.0)


def test_every_record_adds_up_to_one_and_weights_scale_it():
    rng = np.random.default_rng(2)
    s = pd.Series(pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.uniform(0, 9e5, 300), "s"))
    e = s + pd.to_timedelta(rng.exponential(20, 300), "h")
    for method in ("hours", "minutes"):
        assert aoristic_week(s, e, method=method).sum() == pytest.approx(300)
        w = rng.integers(1, 4, 300)
        assert aoristic_week(s, e, method=method, weight=w).sum() == pytest.approx(w.sum())


def test_point_events_give_the_plain_hour_by_weekday_crosstab():
    rng = np.random.default_rng(3)
    t = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 3e7, 2000), "s")
    recs = pd.DataFrame({"when": t.strftime("%d/%m/%Y %H:%M")})  # text, UK day-first
    tp = time_profile(recs, start="when")
    ref = pd.crosstab(t.dayofweek, t.hour).reindex(index=range(7), columns=range(24),
                                                   fill_value=0)
    np.testing.assert_array_equal(tp.table[[f"{h:02d}" for h in range(24)]].to_numpy(),
                                  ref.to_numpy())
    assert tp.meta["base_n"] == 2000 and tp.meta["n_windows"] == 0
    assert tp.meta["count_columns"][:2] == ["00", "01"]
    assert tp.by_hour.sum() == 2000 and tp.by_weekday["Monday"] == (t.dayofweek == 0).sum()


def test_bad_windows_and_missing_starts_are_left_out_and_counted():
    recs = pd.DataFrame({"start": ["2024-01-01 10:00", "2024-01-01 12:00", "", "2024-01-02 09:15"],
                         "end": ["2024-01-01 11:30", "2024-01-01 09:00", "2024-01-01 10:00",
                                 ""]})
    tp = time_profile(recs, start="start", end="end")
    assert tp.meta["base_n"] == 2 and tp.meta["n_windows"] == 1 and tp.meta["n_points"] == 1
    assert tp.meta["n_excluded"] == {"no start time": 1, "end before start": 1}
    assert tp.table.loc[0, "10"] == 0.5 and tp.table.loc[0, "11"] == 0.5
    assert tp.table.loc[1, "09"] == 1.0


def test_max_hours_leaves_long_windows_out():
    recs = pd.DataFrame({"s": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:00"]),
                         "e": pd.to_datetime(["2024-01-01 12:00", "2024-01-20 10:00"])})
    tp = time_profile(recs, start="s", end="e", max_hours=24 * 7)
    assert tp.meta["base_n"] == 1 and tp.meta["n_excluded"]["window longer than 168 h"] == 1


def test_a_profile_of_windows_only_holds_shares_not_counts():
    recs = pd.DataFrame({"s": pd.to_datetime(["2024-01-01 10:00"]),
                         "e": pd.to_datetime(["2024-01-01 13:00"])})
    assert time_profile(recs, start="s", end="e").meta["count_columns"] == []


def test_dates_without_times_are_refused_with_the_fix():
    recs = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    with pytest.raises(AnalysisError, match="without a time of day"):
        time_profile(recs)


def test_text_that_is_not_a_date_names_the_column():
    with pytest.raises(AnalysisError, match="'when'.*not dates"):
        time_profile(pd.DataFrame({"when": ["2024-01-01 10:00", "soon"]}), start="when")
    with pytest.raises(AnalysisError, match="no 'nope' column"):
        time_profile(pd.DataFrame({"when": ["2024-01-01 10:00"]}), start="nope")
