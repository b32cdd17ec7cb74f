"""police.uk stop-and-search files: recognised by header, demographic columns made canonical."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from layers.ingest.police import broad_ethnic_group
from layers.records import load_records

FILE = Path(__file__).resolve().parents[1] / "data" / "records" / "stop_search_small.csv"


def test_stop_and_search_file_is_recognised_and_reconciles():
    res = load_records(FILE).check()
    raw = pd.read_csv(FILE)
    no_loc = raw["Latitude"].isna()
    assert res.info["stop_search"] and not res.info["police_uk"]
    assert res.rows_read == len(raw) == 8
    assert res.rejected["reason"].tolist() == ["no location published"] * int(no_loc.sum())
    assert res.rejected["detail"].iloc[0] == "police.uk publishes no location for this search"
    assert sorted(res.rejected["source_row"]) == [i + 1 for i in raw.index[no_loc]]
    a = res.accepted
    keep = raw[~no_loc].reset_index(drop=True)
    # canonical columns are the file's own values (the source file is the reference)
    for canon, col in {"gender": "Gender", "age_band": "Age range",
                       "ethnicity": "Self-defined ethnicity",
                       "officer_ethnicity": "Officer-defined ethnicity",
                       "search_type": "Type", "object_of_search": "Object of search",
                       "outcome": "Outcome", "legislation": "Legislation"}.items():
        assert a[canon].astype(object).where(a[canon].notna(), None).tolist() == \
            keep[col].astype(object).where(keep[col].notna(), None).tolist(), canon


def test_offset_dates_become_uk_clock_time():
    """Each instant is converted with the tz database (independent of pandas' parser)."""
    res = load_records(FILE)
    raw = pd.read_csv(FILE)
    london = ZoneInfo("Europe/London")
    want = [datetime.fromisoformat(v).astimezone(london).replace(tzinfo=None)
            for v in raw.loc[raw["Latitude"].notna(), "Date"]]
    assert [t.to_pydatetime() for t in res.accepted["date"]] == want
    # 23:30 UTC on 30 June 2019 is 00:30 on 1 July in BST
    assert datetime(2019, 7, 1, 0, 30) in want
    assert "ISO date-time with offset" in res.info["date_formats"]


@pytest.mark.parametrize("value, group", [
    ("White - English/Welsh/Scottish/Northern Irish/British", "White"),
    ("White - Irish", "White"),
    ("Black/African/Caribbean/Black British - African", "Black"),
    ("Asian/Asian British - Indian", "Asian"),
    ("Mixed/Multiple ethnic groups - White and Asian", "Mixed"),
    ("Other ethnic group - Any other ethnic group", "Other"),
    ("Other ethnic group - Not stated", None),
    (None, None),
])
def test_broad_ethnic_groups(value, group):
    assert broad_ethnic_group(pd.Series([value], dtype=object)).tolist() == [group]


def test_breakdown_by_broad_group_counts_the_file(tmp_path):
    """hotmap breakdown on the loaded searches: counts equal the source file's own
    tally (suppression off, so every count is shown)."""
    from mapping.audit.demographics import breakdown

    a = load_records(FILE).accepted
    t = breakdown(a, "age_band", threshold=1)
    raw = pd.read_csv(FILE)
    ref = raw.loc[raw["Latitude"].notna(), "Age range"].value_counts()
    got = t[t["group"].isin(ref.index)].set_index("group")["count"]
    assert got.sort_index().tolist() == ref.sort_index().tolist()
