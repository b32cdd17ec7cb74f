"""Repeat locations: a hand-worked case, numpy cumulative sums, snapping and text keys."""

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd

from layers.common.errors import AnalysisError
from mapping.stats.repeats import repeat_locations


def test_hand_worked_ten_locations():
    # 10 locations with 40, 20, 10, 10, 5, 5, 4, 3, 2, 1 events (100 in all)
    counts = [40, 20, 10, 10, 5, 5, 4, 3, 2, 1]
    recs = pd.DataFrame({"where": np.repeat([f"Street {k}" for k in range(10)], counts)})
    res = repeat_locations(recs.sample(frac=1, random_state=1), location="where")
    t = res.table
    assert t["events"].tolist() == counts
    np.testing.assert_allclose(t["cum_share"], np.cumsum(counts) / 100)
    np.testing.assert_allclose(t["cum_locations_share"], np.arange(1, 11) / 10)
    s = res.summary
    assert s["top20_events_pct"] == pytest.approx(60)  # the top 2 of 10 hold 60
    # 80% is reached between the 4th (80 events) ... exactly at 4 locations: 40%
    assert s["locations_for_80_pct"] == pytest.approx(40) and s["locations_for_80"] == 4
    assert s["n_repeat_locations"] == 9 and s["events_at_repeats_pct"] == pytest.approx(99)
    # 90%: between the 5th (85) and 6th (90) location -> exactly 6 of 10
    c = res.concentration.set_index("measure")
    assert c.loc["locations holding 90% of events", "locations_pct"] == pytest.approx(60)
    assert c.loc["events at the top 5% of locations", "events_pct"] == pytest.approx(20)
    # Gini from its definition: mean absolute difference / (2 × mean)
    x = np.array(counts, float)
    gini = np.abs(x[:, None] - x[None, :]).mean() / (2 * x.mean())
    assert s["gini"] == pytest.approx(gini)


def test_location_text_is_compared_without_case_or_extra_spaces():
    recs = pd.DataFrame({"loc": ["On or near Park Road", "on or near  park road", "Mill Lane",
                                 "", None, "MILL LANE "]})
    res = repeat_locations(recs, location="loc")
    # ties are ranked by their key, and each keeps the first spelling seen
    assert res.table["location"].tolist() == ["Mill Lane", "On or near Park Road"]
    assert res.table["events"].tolist() == [2, 2]
    assert res.summary["n_events"] == 4 and res.summary["n_locations"] == 2
    assert "2 events without a location" in res.meta["notes"][0]


def test_coordinates_exact_and_snapped():
    xy = np.array([[100, 100], [100, 100], [100, 100], [130, 140], [180, 120], [900, 900]])
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:27700")
    exact = repeat_locations(pts)
    assert exact.table["events"].tolist() == [3, 1, 1, 1]
    snapped = repeat_locations(pts, snap_m=100)
    assert snapped.table["events"].tolist() == [5, 1]
    assert (snapped.table.loc[0, "x"], snapped.table.loc[0, "y"]) == (150, 150)  # cell centre
    assert snapped.table.loc[0, "location"] == "E 150, N 150"


def test_weights_and_errors():
    recs = pd.DataFrame({"loc": ["a", "a", "b"], "qty": [2, 3, 10]})
    res = repeat_locations(recs, location="loc", weight="qty")
    assert res.table["events"].tolist() == [10, 5]
    with pytest.raises(AnalysisError, match="no 'place' column"):
        repeat_locations(recs, location="place")
    with pytest.raises(AnalysisError, match="no event has a location"):
        repeat_locations(pd.DataFrame({"loc": ["", None]}), location="loc")
