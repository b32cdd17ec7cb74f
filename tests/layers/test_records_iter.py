"""iter_records (one LoadResult per file) gives exactly what load_records gives on all the
files at once: accepted and rejected rows, reasons, details and per-file counts, with
duplicates found across files (issue 18 point 3)."""

from __future__ import annotations

import glob

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import geopandas as gpd
from shapely.geometry import box

from layers.records import iter_records, load_records
from tests.conftest import shared_path


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def _concat(results, geometry):
    acc = pd.concat([pd.DataFrame(r.accepted.drop(columns="geometry") if geometry else
                                  r.accepted) for r in results], ignore_index=True)
    rej = pd.concat([r.rejected for r in results], ignore_index=True)
    return acc, rej


def _same(paths, geometry=True, **kw):
    """Stream the files, then load them at once: everything must agree."""
    parts = list(iter_records(paths, geometry=geometry, **kw))
    whole = load_records(paths, geometry=geometry, **kw)
    assert len(parts) == len(paths)
    for r in parts:
        assert len(r.accepted) + len(r.rejected) == r.rows_read
    acc, rej = _concat(parts, geometry)
    ref_acc = pd.DataFrame(whole.accepted.drop(columns="geometry") if geometry
                           else whole.accepted)
    acc["source_file"] = acc["source_file"].astype(str)
    ref_acc["source_file"] = ref_acc["source_file"].astype(str)
    if not geometry:  # each part names its coordinate columns; the whole picks common ones
        xy = whole.accepted.attrs["xy_columns"]
        for r in parts:
            assert tuple(r.accepted.attrs["xy_columns"]) == tuple(xy)
    assert_frame_equal(acc, ref_acc, check_dtype=False, check_categorical=False)
    assert_frame_equal(rej.reset_index(drop=True), whole.rejected, check_dtype=False)
    files = {}
    for r in parts:
        files.update(r.info["files"])
    assert files == whole.info["files"]
    assert sum(r.rows_read for r in parts) == whole.rows_read
    assert sum(r.info["duplicates"] for r in parts) == whole.info["duplicates"]
    assert pd.Series(rej["reason"]).value_counts().to_dict() == \
        whole.reject_counts().to_dict()
    return parts, whole


def test_duplicates_across_files_are_found_file_by_file(tmp_path):
    a = _write(tmp_path / "jan.csv", "Ref,Easting,Northing,Date\nR1,358000,173000,2019-01-03\n"
                                     "R2,358100,173100,2019-01-04\nR1,358200,173200,2019-01-05\n"
                                     ",358300,173300,2019-01-06\n")
    b = _write(tmp_path / "feb.csv", "Ref,Easting,Northing,Date\nR2,358000,173000,2019-02-03\n"
                                     "R3,0,0,2019-02-04\nR3,358400,173400,2019-02-05\n"
                                     ",358300,173300,2019-02-06\n")
    c = _write(tmp_path / "mar.csv", "Ref,Easting,Northing,Date\nR1,358000,173000,2019-03-03\n"
                                     "R4,358500,173500,2019-03-09\n")
    parts, whole = _same([a, b, c])
    rej = whole.rejected.set_index(["source_file", "source_row"])
    # R1 twice in January, R2 again in February, R1 again in March; R3 first rejected
    # (0,0) so its second row is the first accepted R3; blank refs are never duplicates
    assert rej.loc[(str(a), 3), "detail"] == "same Ref as jan.csv row 1"
    assert rej.loc[(str(b), 1), "detail"] == "same Ref as jan.csv row 2"
    assert rej.loc[(str(c), 1), "detail"] == "same Ref as jan.csv row 1"
    assert rej.loc[(str(b), 2), "reason"] == "zero coordinates"
    assert whole.info["duplicates"] == 3
    assert [r.info["duplicates"] for r in parts] == [1, 1, 1]
    assert (str(b), 3) not in rej.index


@pytest.mark.parametrize("geometry", [True, False])
def test_stream_equals_load_with_a_study_area(tmp_path, geometry):
    rng = np.random.default_rng(5)
    paths = []
    for k in range(4):
        n = 300
        e = rng.uniform(355_000, 362_000, n).round(1).astype(str)
        e[rng.random(n) < 0.05] = ""
        ids = rng.integers(0, 500, n).astype(str)  # ids repeat within and across files
        df = pd.DataFrame({"id": ids, "easting": e,
                           "northing": rng.uniform(170_000, 176_000, n).round(1),
                           "date": [f"2019-{k + 1:02d}-{d:02d}" for d in rng.integers(1, 28, n)]})
        p = tmp_path / f"m{k}.csv"
        df.to_csv(p, index=False)
        paths.append(p)
    area = gpd.GeoDataFrame(geometry=[box(356_000, 171_000, 360_000, 175_000)], crs=27700)
    parts, whole = _same(paths, geometry=geometry, study_area=area)
    reasons = set(whole.rejected["reason"])
    assert {"duplicate id", "outside study area", "no coordinates"} <= reasons
    # an independent reference for the duplicates: the first accepted row of each id wins
    raw = pd.concat([pd.read_csv(p, dtype=str).assign(f=str(p), row=np.arange(1, 301))
                     for p in paths], ignore_index=True)
    placed = raw[raw["easting"].notna()]
    first = placed.drop_duplicates("id")
    dups = placed[placed.duplicated("id")]
    rej = whole.rejected[whole.rejected["reason"] == "duplicate id"]
    assert set(zip(rej["source_file"], rej["source_row"].astype(int))) == \
        set(zip(dups["f"], dups["row"]))
    assert len(whole.accepted) + int((whole.rejected["reason"] == "outside study area").sum()) \
        == len(first)


def test_accumulating_counts_file_by_file_matches_the_whole(tmp_path):
    """What a streaming caller does: count per area as the files come, never holding
    more than one file's rows."""
    from mapping.stats.rates import count_points

    rng = np.random.default_rng(9)
    paths = []
    for k in range(5):
        df = pd.DataFrame({"easting": rng.uniform(356_000, 360_000, 400).round(),
                           "northing": rng.uniform(171_000, 175_000, 400).round()})
        p = tmp_path / f"f{k}.csv"
        df.to_csv(p, index=False)
        paths.append(p)
    areas = gpd.GeoDataFrame({"code": ["A", "B"]},
                             geometry=[box(356_000, 171_000, 358_000, 175_000),
                                       box(358_000, 171_000, 360_000, 175_000)], crs=27700)
    total = np.zeros(2, int)
    for r in iter_records(paths, geometry=False):
        counts, _ = count_points(areas, r.accepted, "code")
        total += counts["count"].to_numpy()
    whole, _ = count_points(areas, load_records(paths, geometry=False).accepted, "code")
    assert total.tolist() == whole["count"].tolist()
    assert total.sum() == 2000


def test_real_police_months_stream_equals_load():
    files = sorted(glob.glob(str(shared_path("police_uk") / "*-street.csv")))
    parts, whole = _same(files, geometry=False)
    assert whole.rows_read > 50_000
    assert [r.info["files"] for r in parts] == [{f: whole.info["files"][f]} for f in files]


def test_stream_raises_for_the_bad_file_when_its_turn_comes(tmp_path):
    from layers.common.errors import InputError

    a = _write(tmp_path / "a.csv", "Easting,Northing\n358000,173000\n")
    b = tmp_path / "b.csv"
    b.write_bytes(b"\x00\x01\x02binary")
    it = iter_records([a, b])
    first = next(it)
    assert len(first.accepted) == 1
    with pytest.raises(InputError, match="b.csv"):
        next(it)
