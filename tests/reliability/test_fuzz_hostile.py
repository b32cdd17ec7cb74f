"""Fuzzed hostile files (issue 16 "Done when"): damaged quoting, truncated Shapefiles,
workbooks with far cells, truncated gzip, NaN coordinates, and the per-file loader.

Unlike the generic campaign in test_fuzz_loaders.py, each file here is built from records
whose number is known, so the checks are "accepted + rejected = rows the file holds",
not only "accepted + rejected = rows read": a loader that silently read fewer rows fails.
"""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from relhelp import FUZZ, alarm, check_outcome, check_reconciled, count, fresh_dir

import geopandas as gpd
from shapely.geometry import box

from boundaries.io import load_boundaries
from layers.common.errors import InputError
from layers.records import iter_records, load_records

pytestmark = pytest.mark.fuzz
#: These build real files per example (Shapefiles, workbooks): fewer examples (100 in CI).
FEW = settings(FUZZ, max_examples=max(100, FUZZ.max_examples // 5))

_field = st.text(alphabet="abcXYZ 019-/.", min_size=0, max_size=6)


@st.composite
def _rows(draw):
    n = draw(st.integers(1, 30))
    return [[f"r{i}", draw(_field), f"{358000 + i}", f"{173000 + i}"] for i in range(n)]


@FUZZ
@given(rows=_rows(), data=st.data(), eol=st.sampled_from(["\n", "\r\n"]))
def test_fuzz_one_unclosed_quote_loses_no_line(rows, data, eol):
    """One stray opening quote anywhere: every data line is a row, accepted or rejected."""
    i = data.draw(st.integers(0, len(rows) - 1))
    j = data.draw(st.integers(0, 3))
    rows[i][j] = '"' + rows[i][j]
    p = fresh_dir() / "quote.csv"
    p.write_text(eol.join(["id,note,x,y"] + [",".join(r) for r in rows]) + eol)
    count("unclosed quote")
    with alarm():
        res = load_records(p)
    check_reconciled(res, p)
    assert res.rows_read == len(rows), f"{res.rows_read} rows read of {len(rows)} lines"
    bad = res.rejected[res.rejected["reason"] == "malformed quoting"]
    if len(bad):  # the first rejected line is where the quote opened
        assert bad["source_row"].min() == i + 1


@FUZZ
@given(rows=_rows(), data=st.data())
def test_fuzz_genuine_multi_line_values_are_one_record_each(rows, data):
    """Values holding line breaks, properly quoted: one record per row, none rejected."""
    k = data.draw(st.integers(1, len(rows)))
    for r in rows[:k]:
        r[1] = '"' + r[1] + "\n" + data.draw(_field) + '"'
    p = fresh_dir() / "multi.csv"
    p.write_text("\n".join(["id,note,x,y"] + [",".join(r) for r in rows]) + "\n")
    count("multi-line values")
    with alarm():
        res = load_records(p)
    check_reconciled(res, p)
    assert res.rows_read == len(rows) and len(res.rejected) == 0


_SHP = {}


def _shapefile(n):
    if n not in _SHP:
        d = fresh_dir()
        gdf = gpd.GeoDataFrame({"LSOA11CD": [f"E0100{i:04d}" for i in range(n)],
                                "n": np.arange(n)},
                               geometry=[box(450000 + i * 100, 280000, 450090 + i * 100,
                                             280090) for i in range(n)], crs="EPSG:27700")
        gdf.to_file(d / "a.shp")
        _SHP[n] = {e: (d / f"a{e}").read_bytes() for e in (".shp", ".shx", ".dbf", ".prj")}
    return dict(_SHP[n])


@FEW
@given(n=st.integers(1, 25), part=st.sampled_from([".dbf", ".shp", ".shx"]),
       frac=st.floats(0, 1), loader=st.sampled_from(["boundaries", "records", "xy"]))
def test_fuzz_truncated_shapefile_holds_its_records(n, part, frac, loader):
    """Cut one part of a Shapefile anywhere: every record the .shp/.shx/.dbf hold is
    accounted for, or the file is refused naming it."""
    parts = _shapefile(n)
    parts[part] = parts[part][:int(frac * len(parts[part]))]
    d = fresh_dir()
    for e, raw in parts.items():
        (d / f"a{e}").write_bytes(raw)
    p = d / "a.shp"
    kw = {"geometry": False} if loader == "xy" else {}
    fn = load_boundaries if loader == "boundaries" else load_records
    res = check_outcome(fn, p, target=f"truncated {part}", **kw)
    if res is not None:
        assert res.rows_read == n, f"{res.rows_read} of {n} records accounted for"


@FEW
@given(cells=st.lists(st.tuples(st.integers(1, 16384), st.integers(2, 1_048_576)),
                      max_size=3), nrows=st.integers(0, 6))
def test_fuzz_workbook_with_far_cells(cells, nrows):
    """Stray cells anywhere up to XFD1048576: read in seconds, every filled row counted."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.append(["Easting", "Northing"])
    for i in range(nrows):
        ws.append([358000 + i, 173000 + i])
    filled = set(range(2, nrows + 2))
    for col, row in cells:
        ws[f"{get_column_letter(col)}{row}"] = "x"
        filled.add(row)
    p = fresh_dir() / "far.xlsx"
    wb.save(p)
    res = check_outcome(load_records, p, target="xlsx far cells")
    if res is not None:
        assert res.rows_read == len(filled)


@FUZZ
@given(n=st.integers(1, 3000), frac=st.floats(0, 1))
def test_fuzz_truncated_gzip(n, frac):
    text = "Easting,Northing\n" + "".join(f"{358000 + i},{173000 + i}\n" for i in range(n))
    raw = gzip.compress(text.encode())
    cut = int(frac * len(raw))
    p = fresh_dir() / "cut.csv.gz"
    p.write_bytes(raw[:cut] if cut < len(raw) else raw)
    res = check_outcome(load_records, p, target="truncated gzip")
    if res is not None:
        assert res.rows_read == n


_coord = st.one_of(st.floats(-2.7, -2.5), st.just(float("nan")), st.just(float("inf")))


@FUZZ
@given(feats=st.lists(st.one_of(
    st.tuples(st.just("Point"), _coord, st.floats(51.4, 51.5)),
    st.tuples(st.just("MultiPoint"), _coord, st.floats(51.4, 51.5)),
    st.tuples(st.just("Polygon"), _coord, st.floats(51.4, 51.5)),
    st.tuples(st.just("null"), st.just(0.0), st.just(0.0))), max_size=8))
def test_fuzz_geojson_coordinate_only_equals_geometry_path(feats):
    """NaN and infinite coordinates, nulls, multipoints, polygons: both readers agree on
    every row and every coordinate bit."""
    out = []
    for k, (t, x, y) in enumerate(feats):
        if t == "null":
            g = None
        elif t == "Point":
            g = {"type": "Point", "coordinates": [x, y]}
        elif t == "MultiPoint":
            g = {"type": "MultiPoint", "coordinates": [[x, y], [x + 0.001, y]]}
        else:
            g = {"type": "Polygon", "coordinates": [[[x, y], [x + 0.001, y], [x, y + 0.001],
                                                     [x, y]]]}
        out.append({"type": "Feature", "properties": {"k": k}, "geometry": g})
    p = fresh_dir() / "f.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": out}))
    count("geojson xy parity")
    try:
        with alarm():
            a = load_records(p)
            b = load_records(p, geometry=False)
    except InputError as exc:
        assert "f.geojson" in str(exc)
        return
    check_reconciled(a, p)
    check_reconciled(b, p)
    assert a.rows_read == b.rows_read == len(feats)
    pd.testing.assert_frame_equal(a.rejected, b.rejected)
    xn, yn = b.accepted.attrs["xy_columns"]
    assert a.accepted.geometry.x.tolist() == b.accepted[xn].tolist()
    assert a.accepted.geometry.y.tolist() == b.accepted[yn].tolist()


@FUZZ
@given(files=st.lists(st.lists(st.tuples(st.sampled_from(["A", "B", "C", "", "D"]),
                                         st.sampled_from(["358000", "", "0", "abc"])),
                               max_size=6), min_size=1, max_size=4))
def test_fuzz_streaming_equals_loading(files):
    """iter_records file by file gives load_records' rows, reasons and details."""
    d = fresh_dir()
    paths = []
    for k, rows in enumerate(files):
        p = d / f"m{k}.csv"
        p.write_text("ref,easting,northing\n" + "".join(f"{r},{e},173000\n" for r, e in rows))
        paths.append(p)
    count("iter_records")
    with alarm():
        parts = list(iter_records(paths, geometry=False))
        whole = load_records(paths, geometry=False)
    rej = pd.concat([r.rejected for r in parts], ignore_index=True)
    assert rej[["source_file", "source_row", "reason", "detail"]].astype(str).values.tolist() \
        == whole.rejected[["source_file", "source_row", "reason",
                           "detail"]].astype(str).values.tolist()
    acc_rows = [(str(f), int(r)) for p in parts
                for f, r in zip(p.accepted["source_file"], p.accepted["source_row"])]
    assert acc_rows == [(str(f), int(r)) for f, r in zip(whole.accepted["source_file"],
                                                         whole.accepted["source_row"])]
    assert sum(r.rows_read for r in parts) == whole.rows_read == sum(len(f) for f in files)
