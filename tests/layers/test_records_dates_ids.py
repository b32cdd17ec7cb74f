"""Dates read by column, ambiguous ones refused; records kept when a date cannot be read;
duplicates by the kind's id column; police.uk duplicates only when truly the same record
(issues 16 and 15 point 7)."""

from __future__ import annotations

import glob

import numpy as np
import pandas as pd
import pytest

from layers.common.errors import InputError
from layers.ingest.dates import AmbiguousDates, normalise_date_format, parse_dates
from layers.records import load_records
from tests.conftest import shared_path


def _csv(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ------------------------------------------------------------------------- the order
def test_month_first_column_is_read_when_a_day_above_twelve_decides():
    """12/31/2022 cannot be day-first; the whole column then reads month-first."""
    got, bad, _, fmts = parse_dates(pd.Series(["12/31/2022", "01/02/2023", "02/28/2023"]))
    assert not bad.any() and fmts == ["US month-first"]
    assert got.tolist() == [pd.Timestamp("2022-12-31"), pd.Timestamp("2023-01-02"),
                            pd.Timestamp("2023-02-28")]


def test_day_first_column_is_read_when_a_day_above_twelve_decides():
    got, bad, _, _ = parse_dates(pd.Series(["31/01/2019", "01/02/2019", "05/03/2019"]))
    assert not bad.any()
    assert got.tolist() == [pd.Timestamp("2019-01-31"), pd.Timestamp("2019-02-01"),
                            pd.Timestamp("2019-03-05")]


@pytest.mark.parametrize("values, orders, example", [
    (["01/02/2019", "02/01/2019", "11/12/2019"], ("DMY", "MDY"), "01/02/2019"),
    (["22-04-01"], ("DMY", "YMD"), "22-04-01"),  # 2022-04-01 or 22 April 2001
])
def test_ambiguous_column_is_refused_with_examples_and_the_fix(values, orders, example):
    with pytest.raises(AmbiguousDates) as ei:
        parse_dates(pd.Series(values), column="Occurred")
    e = ei.value
    assert e.column == "Occurred" and set(e.orders) == set(orders)
    assert example in e.examples
    assert "date_format=" in e.fix and "ISO YYYY-MM-DD" in e.fix


def test_same_day_and_month_is_not_ambiguous():
    got, bad, _, _ = parse_dates(pd.Series(["01/01/2019", "07/07/2019"]))
    assert not bad.any() and got.iloc[1] == pd.Timestamp("2019-07-07")


@pytest.mark.parametrize("fmt, expected", [
    ("DD/MM/YYYY", "2019-02-01"), ("dayfirst", "2019-02-01"), ("MM/DD/YYYY", "2019-01-02"),
    ("US", "2019-01-02"), ("%m/%d/%Y", "2019-01-02"),
])
def test_date_format_settles_the_order(fmt, expected):
    got, bad, _, _ = parse_dates(pd.Series(["01/02/2019"]), date_format=fmt)
    assert not bad.any() and got.iloc[0] == pd.Timestamp(expected)


def test_two_digit_year_first():
    got, _, _, _ = parse_dates(pd.Series(["22-04-01"]), date_format="YY-MM-DD")
    assert got.iloc[0] == pd.Timestamp("2022-04-01")
    got, _, _, _ = parse_dates(pd.Series(["22-04-01"]), date_format="DD-MM-YY")
    assert got.iloc[0] == pd.Timestamp("2001-04-22")


def test_unknown_date_format_is_an_input_error():
    with pytest.raises(InputError, match="unknown date format 'weekly'"):
        normalise_date_format("weekly")


def test_parse_dates_agrees_with_strptime_on_random_unambiguous_dates():
    """An independent reference: Python's own strptime, value by value."""
    import datetime as dt

    rng = np.random.default_rng(4)
    days = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, 300), unit="D")
    for fmt, order in (("%d/%m/%Y", "DMY"), ("%m/%d/%Y", "MDY"), ("%d.%m.%y", "DMY")):
        text = [d.strftime(fmt) for d in days]
        got, bad, _, _ = parse_dates(pd.Series(text + ["28/13/2019" if order == "DMY"
                                                       else "13/28/2019"]))
        ref = [dt.datetime.strptime(t, fmt) for t in text]
        assert got.iloc[:-1].tolist() == ref
        assert bad.tolist() == [False] * len(text) + [True]


# ------------------------------------------------------------------- in load_records
def test_ambiguous_dates_refuse_the_load_naming_file_column_and_values(tmp_path):
    p = _csv(tmp_path, "arrests.csv", "Easting,Northing,Arrest Date\n358000,173000,03/04/2019\n"
                                      "358100,173100,04/03/2019\n")
    with pytest.raises(InputError) as ei:
        load_records(p, kind="arrests")
    msg = str(ei.value)
    assert "arrests.csv, column 'Arrest Date': ambiguous dates" in msg
    assert "'03/04/2019'" in msg and "date_format='DD/MM/YYYY' or 'MM/DD/YYYY'" in msg
    res = load_records(p, kind="arrests", date_format="DD/MM/YYYY")
    assert res.accepted["date"].tolist() == [pd.Timestamp("2019-04-03"),
                                             pd.Timestamp("2019-03-04")]
    res = load_records(p, kind="arrests", date_format={"Arrest Date": "MM/DD/YYYY"})
    assert res.accepted["date"].iloc[0] == pd.Timestamp("2019-03-04")


def test_analyses_without_dates_load_an_ambiguous_file(tmp_path):
    """count and kde need no date: dates='optional' keeps every record, says why undated."""
    p = _csv(tmp_path, "a.csv", "Easting,Northing,Date\n358000,173000,03/04/2019\n"
                                "358100,173100,04/03/2019\n")
    res = load_records(p, dates="optional").check()
    assert len(res.accepted) == 2 and res.accepted["date"].isna().all()
    assert res.info["undated"][str(p)]["Date"]["rows"] == 2
    msg = [m for m in res.messages if "ambiguous" in m][0]
    assert "kept without a date" in msg and "date_format" in msg


def test_another_column_of_the_file_settles_an_ambiguous_one(tmp_path):
    p = _csv(tmp_path, "n.csv", "Easting,Northing,Date Reported,Date Collected\n"
                                "358000,173000,31/01/2019,01/02/2019\n")
    res = load_records(p, kind="needles")
    assert res.accepted["collected_at"].iloc[0] == pd.Timestamp("2019-02-01")
    assert any("read DMY like the layer's other dates" in m for m in res.messages)


def test_an_unreadable_date_keeps_its_record_for_count_and_kde(tmp_path):
    p = _csv(tmp_path, "d.csv", "Easting,Northing,Date\n358000,173000,2019-02-30\n"
                                "358100,173100,2019-02-03\n358200,173200,next week\n")
    for geometry in (True, False):
        res = load_records(p, geometry=geometry).check()
        assert len(res.accepted) == 3 and len(res.rejected) == 0
        assert res.accepted["date"].isna().tolist() == [True, False, True]
        und = res.info["undated"][str(p)]["Date"]
        assert und["rows"] == 2 and und["first_rows"] == [1, 3]
        assert res.info["time_span"] == (pd.Timestamp("2019-02-03"), pd.Timestamp("2019-02-03"))


def test_trend_reports_the_records_it_could_not_date(tmp_path):
    from mapping.audit.trends import trend_monthly

    p = _csv(tmp_path, "t.csv", "Easting,Northing,Date\n358000,173000,2019-02-30\n"
                                "358100,173100,2019-02-03\n358200,173200,2019-03-03\n")
    res = load_records(p)
    out = trend_monthly(res.accepted)
    assert out.attrs["meta"]["n_missing_date"] == 1
    assert out.attrs["meta"]["base_n"] == 2


# ---------------------------------------------------------------------- duplicate ids
@pytest.mark.parametrize("kind, col", [("arrests", "arrest_id"), ("needles", "find_id"),
                                       ("seizures", "seizure_ref"),
                                       ("crack_houses", "premises_id")])
def test_the_kinds_id_column_is_deduplicated_without_mapping_it(tmp_path, kind, col):
    p = _csv(tmp_path, "k.csv", f"{col},Easting,Northing\nA1,358000,173000\nA2,358100,173100\n"
                                "A1,358000,173000\n")
    res = load_records(p, kind=kind).check()
    assert res.rejected["reason"].tolist() == ["duplicate id"]
    assert res.rejected["detail"].tolist() == [f"same {col} as k.csv row 1"]
    assert res.info["duplicates"] == 1
    assert any("1 duplicate record(s) rejected" in m for m in res.messages)
    assert len(load_records(p, kind=kind, dedupe=False).accepted) == 3


def test_police_uk_same_id_elsewhere_is_a_different_record(tmp_path):
    head = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
            "LSOA name,Crime type,Last outcome category,Context\n")
    row = ("{id},2019-01,F,F,{lon},51.4545,On or near X,E01014485,Bristol 032B,{t},"
           "Under investigation,\n")
    p = _csv(tmp_path, "p.csv", head + row.format(id="c1", lon=-2.5879, t="Drugs")
             + row.format(id="c1", lon=-2.5990, t="Drugs")        # same ID, other place: kept
             + row.format(id="c1", lon=-2.5879, t="Burglary")     # same ID, other type: kept
             + row.format(id="c1", lon=-2.5879, t="Drugs"))       # the same record: dropped
    res = load_records(p).check()
    assert len(res.accepted) == 3
    assert res.rejected["source_row"].tolist() == [4]
    assert res.rejected["detail"].iloc[0] == ("same Crime ID, month, crime type and location "
                                              "as p.csv row 1")


def test_police_uk_counts_match_police_uks_own_per_lsoa():
    """Real data: records per LSOA code equal police.uk's rows with a location, less true
    duplicates only (same ID, month, type and location), counted with pandas alone."""
    files = sorted(glob.glob(str(shared_path("police_uk") / "*-street.csv")))
    res = load_records(files, geometry=False)
    raw = pd.concat([pd.read_csv(f, dtype=str) for f in files], ignore_index=True)
    raw = raw[raw["Longitude"].notna()]
    key = ["Crime ID", "Month", "Crime type", "Longitude", "Latitude"]
    true_dup = raw["Crime ID"].notna() & raw.duplicated(key)
    ref = raw[~true_dup]["LSOA code"].value_counts()
    ours = res.accepted["lsoa_code"].value_counts()
    ours = ours.reindex(ref.index).fillna(0).astype(int)
    outside = ref - ours  # records police.uk placed that hotmap rejects (none expected)
    assert (outside == 0).all(), outside[outside != 0].head()
    # the old rule (any repeated Crime ID) dropped 155 Bristol rows, 8 of them Drugs (the
    # issue's figures); only the true duplicates among them may go
    old_dup = raw["Crime ID"].notna() & raw["Crime ID"].duplicated()
    bristol = raw["LSOA name"].fillna("").str.startswith("Bristol ")
    assert int((old_dup & bristol).sum()) == 155
    assert int((old_dup & bristol & (raw["Crime type"] == "Drugs")).sum()) == 8
    kept = old_dup & ~true_dup
    assert int((kept & bristol).sum()) > 100  # now counted, as police.uk counts them
    assert res.info["duplicates"] == int(true_dup.sum())
    rej = res.rejected[res.rejected["reason"] == "duplicate id"]
    assert len(rej) == int(true_dup.sum())
