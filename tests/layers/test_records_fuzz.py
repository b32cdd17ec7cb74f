"""Property test: whatever the cell contents, rows are accepted or rejected, never lost."""

from __future__ import annotations

import csv

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.common.errors import InputError
from layers.records import load_records

_cell = st.one_of(
    st.sampled_from(["", "0", "358000", "173000", "-2.59", "51.45", "abc", "1,234", "NaN",
                     "31/01/2019", "2019-13-45", "43496", " 358100 ", "1e400"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            max_size=8),
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_cell, _cell, _cell), min_size=1, max_size=12),
       header=st.sampled_from([("Easting", "Northing", "Date"),
                               ("Longitude", "Latitude", "Date"),
                               ("x", "y", "Reported")]))
def test_every_row_is_accounted_for(tmp_path, rows, header):
    p = tmp_path / "fuzz.csv"
    with open(p, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    try:
        res = load_records(p)
    except InputError as exc:
        assert "fuzz.csv" in str(exc)
        return
    res.check()
    assert sorted(res.accepted["source_row"].tolist() + res.rejected["source_row"].tolist()) \
        == list(range(1, res.rows_read + 1))
    assert res.rejected["reason"].notna().all()
    assert res.accepted.crs.to_epsg() == 27700


@pytest.mark.parametrize("enc", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_encodings(tmp_path, enc):
    p = tmp_path / "e.csv"
    p.write_bytes("Easting,Northing,Place\n358000,173000,Café\n".encode(enc))
    res = load_records(p).check()
    assert res.accepted["Place"].tolist() == ["Café"]
