"""Area-level counts (NDTMS clients per area): the join, source suppression, and their use."""

import numpy as np
import pandas as pd
import pytest

import shapely
import geopandas as gpd

from layers.common.errors import InputError
from mapping.audit.area_counts import area_counts


@pytest.fixture
def areas():
    return gpd.GeoDataFrame({"code": ["E01000001", "E01000002", "E01000003", "E01000004"],
                             "population": [1500, 1600, 1700, 1800]},
                            geometry=[shapely.box(i, 0, i + 1, 1) for i in range(4)],
                            crs="EPSG:27700")


def test_a_csv_of_counts_joins_by_code_and_reports_what_did_not_match(areas, tmp_path):
    p = tmp_path / "ndtms.csv"
    p.write_text("LSOA code,Clients,Young people\n"
                 "E01000001,\"1,204\",3\nE01000002,7,*\nE01000003,0,0\n"
                 "E09999999,12,1\nGrand Total,1223,4\n", encoding="utf-8")
    out = area_counts(areas, p, counts=["Clients", "Young people"], area_id="code",
                      key="LSOA code")
    assert out["Clients"].tolist()[:3] == [1204, 7, 0] and np.isnan(out["Clients"][3])
    assert np.isnan(out["Young people"][1])
    assert out["Young people_source_suppressed"].tolist() == [False, True, False, False]
    m = out.attrs["meta"]
    assert m["unmatched_table"] == ["E09999999"] and m["unmatched_areas"] == ["E01000004"]
    assert m["count_columns"] == ["Clients", "Young people"] and m["sensitive"] is True
    assert m["base_n"] == 1211
    assert list(out.columns[:2]) == ["code", "population"]  # the areas' own columns kept
    assert any("summary row" in n for n in m["notes"])


def test_missing_rows_can_count_as_zero(areas):
    t = pd.DataFrame({"code": ["E01000001"], "n": [5]})
    out = area_counts(areas, t, counts="n", area_id="code", key="code", missing_as_zero=True)
    assert out["n"].tolist() == [5, 0, 0, 0]


@pytest.mark.parametrize("value, msg", [("lots", "not a count"), ("2.5", "fractional"),
                                        ("-1", "negative")])
def test_values_that_are_not_counts_of_people_are_refused(areas, value, msg):
    t = pd.DataFrame({"code": ["E01000001", "E01000002"], "n": ["4", value]})
    with pytest.raises(InputError, match=msg):
        area_counts(areas, t, counts="n", area_id="code", key="code")


def test_duplicate_codes_are_refused(areas):
    t = pd.DataFrame({"code": ["E01000001", "E01000001"], "n": [1, 2]})
    with pytest.raises(InputError, match="more than once"):
        area_counts(areas, t, counts="n", area_id="code", key="code")


def test_counts_feed_concentration_and_funnel(areas):
    from mapping.stats.concentration import concentration_table
    from mapping.audit.funnel import funnel_table

    t = pd.DataFrame({"code": areas["code"], "clients": [30, 10, 5, 5]})
    out = area_counts(areas, t, counts="clients", area_id="code", key="code")
    out["most_deprived_20"] = [True, False, False, False]
    conc = concentration_table(out, {"clients": "clients"}, area_id="code",
                               population="population", flags=("most_deprived_20",))
    assert conc.loc[0, "share"] == pytest.approx(30 / 50)
    f = funnel_table(out, count="clients", population="population", name="code")
    assert f["count"].sum() == 50
