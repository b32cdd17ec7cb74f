"""Which columns disclosure control treats as counts of people or events: numbers of
areas, cells or years are not, so a seasonal profile over 3 years or a ward's 4 LSOAs is
never hidden as if it were a handful of people (and never drags real counts with it)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mapping.disclosure.rules import DisclosureRules, count_columns, display_table
from mapping.audit.trends import trend_seasonal


def _records(seed=3):
    rng = np.random.default_rng(seed)
    days = pd.date_range("2022-04-01", "2025-03-31", freq="D")
    return pd.DataFrame({"date": rng.choice(days, 2000)})


def test_a_seasonal_profile_over_three_years_shows_every_count():
    recs = _records()
    tab = trend_seasonal(recs)
    meta = dict(tab.attrs["meta"], sensitive=True, count_columns=["count"])
    shown = display_table(tab, DisclosureRules(threshold=5), meta)
    months = recs["date"].dt.month.value_counts().sort_index()
    assert shown["count"].tolist() == months.tolist()  # every month is ~165: all shown
    assert shown["n_years"].tolist() == [3] * 12


def test_numbers_of_areas_cells_and_periods_are_not_counts_of_people():
    df = pd.DataFrame({"n_lsoas": [1, 4, 2], "n_years": [3, 3, 2], "n_cells": [1, 2, 9],
                       "n_events": [1, 40, 3], "count": [2, 30, 8]})
    got = count_columns(df, {"sensitive": True})
    assert "n_events" in got and "count" in got
    assert not {"n_lsoas", "n_years", "n_cells"} & set(got)
    shown = display_table(df, DisclosureRules(threshold=5), {"sensitive": True})
    assert shown["n_lsoas"].tolist() == [1, 4, 2]
    assert shown["n_events"].tolist()[0] == "<5"
