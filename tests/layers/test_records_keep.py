"""load_records(keep=...) prunes each file's accepted columns as it goes (streaming counts and
density of many monthly files, issue 18) without changing the rows, coordinates, rejections
or counts."""

from __future__ import annotations

import glob

import pytest
from pandas.testing import assert_frame_equal

from layers.points import points_xy
from layers.records import load_records
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def months():
    files = sorted(glob.glob(str(shared_path("police_uk") / "*-street.csv")))
    if not files:
        pytest.skip("police.uk months not found (set HOTMAP_SHARED_DATA)")
    return files


def test_keep_changes_nothing_but_the_columns(months):
    full = load_records(months, geometry=False)
    kept = load_records(months, geometry=False, keep=["Crime type"])
    assert list(kept.accepted.columns) == ["Crime type", "source_file", "source_row", "date",
                                           *full.accepted.attrs["xy_columns"]]
    assert_frame_equal(kept.accepted, full.accepted[list(kept.accepted.columns)])
    assert (points_xy(kept.accepted) == points_xy(full.accepted)).all()
    assert_frame_equal(kept.rejected, full.rejected)
    assert kept.info["files"] == full.info["files"] and kept.messages == full.messages


def test_keep_matches_like_a_filter_and_an_unknown_name_keeps_all(months):
    snake = load_records(months[:1], geometry=False, keep=["crime_type"])
    assert "crime_type" in snake.accepted.columns
    assert "Location" not in snake.accepted.columns
    unknown = load_records(months[:1], geometry=False, keep=["no_such_column"])
    assert "Location" in unknown.accepted.columns  # the filter can then say what is there
