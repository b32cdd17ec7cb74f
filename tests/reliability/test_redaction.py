"""Person-level fields never reach the log or a message (issue 16).

Marker values are planted in every person-level field of small record files (name, age,
age band, gender, ethnicity, date, free text, postcode, address); the files are then
loaded in the ways that go wrong (a header one name short, a long row, unreadable dates
and numbers, no location columns, a library error quoting a row), through the command
line with logging on.  Neither the log file, nor what the user is shown, nor the load's
messages may contain a marker.
"""

from __future__ import annotations

import logging

import pytest
from relhelp import run_cli

from layers.common.errors import InputError
from layers.common.logs import configure_logging, log_path
from layers.records import load_records

MARKERS = {"name": "Zyxwvu Quornby", "age": "83", "age_band": "25-34", "gender": "Female",
           "ethnicity": "White - Irish", "date": "1987-06-05", "note": "xyzzy frobnicated plugh",
           "postcode": "BS99 9ZZ", "address": "17 Marker Crescent"}
_HEADER = "name,age,age_band,gender,ethnicity,date,note,postcode,address,easting,northing"
_ROW = ",".join(MARKERS.values())


def _files(tmp_path):
    good = f"{_ROW},358000,173000"
    out = {
        # the header lacks a name for the last field: every row has one field more
        "short_header.csv": _HEADER.rsplit(",", 1)[0] + f"\n{good}\n{good}\n",
        # one row with an unquoted comma in a value
        "long_row.csv": f"{_HEADER}\n{good}\n{_ROW},extra,358000,173000\n",
        # unreadable numbers and dates: rejected / kept without a date
        "bad_values.csv": (f"{_HEADER}\n{good}\n" + _ROW.replace("1987-06-05", "1987-13-45")
                           .replace(",83,", ",eighty-three,") + ",358100,173100\n"),
        # no location columns at all
        "no_location.csv": _HEADER.rsplit(",", 2)[0] + "\n" + _ROW + "\n",
        # an unclosed quote in the free text
        "quote.csv": f'{_HEADER}\n{good}\n' + _ROW.replace("xyzzy", '"xyzzy') +
                     ",358000,173000\n" + f"{good}\n",
    }
    paths = []
    for name, text in out.items():
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    return paths


def _leaks(text: str) -> list[str]:
    import re

    # traceback lines name our own source files and line numbers, not people
    text = re.sub(r'File "[^"]*", line \d+', "", text)
    return [f"{k}={v!r}" for k, v in MARKERS.items()
            if re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", text)]


def test_markers_never_reach_the_log_or_the_user(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTMAP_STATE_DIR", str(tmp_path / "state"))
    shown = []
    for p in _files(tmp_path):
        for argv in (["inspect", p, "--kind", "arrests"],
                     ["count", "--areas", p, "--area-id", "x", "--points", p, "--out",
                      tmp_path / "o.csv"]):
            code, out, err = run_cli(argv)
            assert code in (0, 2), (p.name, code, err)
            shown.append((p.name, out + err))
    for name, text in shown:
        assert not _leaks(text), (name, _leaks(text), text)
    log = log_path().read_text(encoding="utf-8")
    assert "user error" in log  # the errors were logged...
    assert not _leaks(log), (_leaks(log), log)  # ...without the people in them


def test_load_messages_and_errors_carry_no_marker(tmp_path):
    for p in _files(tmp_path):
        try:
            res = load_records(p, kind="arrests")
        except InputError as exc:
            assert not _leaks(str(exc)), (p.name, str(exc))
            continue
        for m in res.messages:
            assert not _leaks(m), (p.name, m)
        assert set(res.rejected.columns) >= {"reason", "detail"}
        # the rejected table is the one place the rows themselves are kept (on request)
        for d in res.rejected["detail"]:
            for k in ("name", "gender", "ethnicity", "note", "address"):
                assert MARKERS[k] not in str(d), (p.name, d)


@pytest.mark.parametrize("text", [
    "CSV parse error: Expected 11 columns, got 12: " + _ROW + ",358000,173000",
    f"Unable to parse string \"{MARKERS['note']}\" at position 3",
    f"value '{MARKERS['name']}' is not a number",
    f"arrested aged {MARKERS['age']} on 05/06/1987 at {MARKERS['address']}, "
    f"{MARKERS['postcode']}",
    f"On or near {MARKERS['address'].split(' ', 1)[1]}",
])
def test_library_errors_quoting_rows_are_scrubbed_in_the_log(tmp_path, text):
    path = configure_logging(tmp_path / "state")
    try:
        raise ValueError(text)
    except ValueError:
        logging.getLogger("hotmap").exception("hotmap inspect: internal error")
    for h in logging.getLogger("hotmap").handlers:
        h.flush()
    log = path.read_text(encoding="utf-8")
    assert "internal error" in log and "ValueError" in log
    assert not _leaks(log) and "05/06/1987" not in log, log
