"""Hostile and damaged files (issue 16): every row the file holds is accepted or rejected
with a reason, or the file is refused with one clear InputError; nothing exhausts memory.

The files are generated here, small on disk (the 1 GB NUL tail is a sparse file)."""

from __future__ import annotations

import gzip
import io
import struct
import tracemalloc
import zipfile

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
from shapely.geometry import box

from boundaries.io import load_boundaries
from layers.common.errors import InputError, ResourceLimitError
from layers.records import load_records


def _rows(n, quote_at=None, text_cols=False):
    lines = ["id,type,loc,x,y" if text_cols else "id,type,x,y"]
    for i in range(1, n + 1):
        t = '"Drugs' if i == quote_at else "Drugs"
        loc = f',"On or near, Road {i}"' if text_cols else ""
        lines.append(f"r{i},{t}{loc},{358000 + i},{173000 + i}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ malformed quoting
def test_unterminated_quote_accounts_for_every_line(tmp_path):
    """101 rows, a quote opened in row 50 and never closed: 49 rows accepted, and rows
    50-101 (file lines 51-102) rejected one by one with their line numbers (the file used
    to read as 51 rows)."""
    p = tmp_path / "unterminated.csv"
    p.write_text(_rows(101, quote_at=50))
    res = load_records(p).check()
    assert res.rows_read == 101
    assert res.accepted["id"].tolist() == [f"r{i}" for i in range(1, 50)]
    rej = res.rejected
    assert rej["reason"].unique().tolist() == ["malformed quoting"]
    assert rej["source_row"].tolist() == list(range(50, 102))
    assert rej["detail"].iloc[0].startswith("line 51: a quote opened here (column 'type') is "
                                            "not closed before line 102 (the end of the file)")
    assert rej["detail"].iloc[1].startswith("line 52: inside the quote opened on line 51")
    assert rej["id"].iloc[5] == "r55"  # each swallowed line keeps its own fields
    assert any("lie inside a quote that is never closed" in m for m in res.messages)


def test_quote_closed_by_a_later_quote_swallows_only_the_lines_between(tmp_path):
    text = _rows(30, quote_at=10).splitlines()
    text[20] = 'r20,Burglary",358020,173020'  # a stray quote on line 21 closes the first
    p = tmp_path / "closed_late.csv"
    p.write_text("\n".join(text) + "\n")
    res = load_records(p).check()
    assert res.rows_read == 30
    rej = res.rejected
    assert rej["source_row"].tolist() == list(range(10, 21))  # lines 11-21
    assert set(res.accepted["source_row"]) == set(range(1, 10)) | set(range(21, 31))


def test_a_genuine_multi_line_value_is_one_record(tmp_path):
    p = tmp_path / "multiline.csv"
    p.write_text('id,note,x,y\nr1,"first line\nsecond line",358000,173000\n'
                 'r2,plain,358100,173100\n')
    res = load_records(p).check()
    assert res.rows_read == 2 and len(res.rejected) == 0
    assert res.accepted["note"].iloc[0] == "first line\nsecond line"


def test_quoted_delimiters_elsewhere_do_not_hide_an_unclosed_quote(tmp_path):
    """Rows with properly quoted values after the bad row: pyarrow reads 101 rows with one
    of them mangled; nothing vanishes either way."""
    p = tmp_path / "mixed.csv"
    p.write_text(_rows(101, quote_at=50, text_cols=True))
    res = load_records(p).check()
    assert res.rows_read == 101


# ----------------------------------------------------------------- truncated shapefile
def _shapefile(tmp_path, n=20, name="a"):
    gdf = gpd.GeoDataFrame({"LSOA11CD": [f"E0100{i:04d}" for i in range(n)], "n": range(n)},
                           geometry=[box(450000 + i * 100, 280000, 450090 + i * 100, 280090)
                                     for i in range(n)], crs="EPSG:27700")
    d = tmp_path / name
    d.mkdir()
    gdf.to_file(d / "a.shp")
    return d / "a.shp"


def _cut_dbf(shp, keep):
    dbf = shp.with_suffix(".dbf")
    raw = dbf.read_bytes()
    hlen, rlen = struct.unpack("<HH", raw[8:12])
    dbf.write_bytes(raw[:hlen + rlen * keep + 5])


def test_truncated_dbf_is_detected_against_the_shp(tmp_path):
    """A .dbf cut after 9 of 20 records: GDAL alone reads 9 areas and says nothing."""
    import pyogrio

    shp = _shapefile(tmp_path)
    _cut_dbf(shp, 9)
    assert len(pyogrio.read_dataframe(shp, use_arrow=True)) == 9  # the silent loss
    res = load_boundaries(shp).check()
    assert res.rows_read == 20 and len(res.accepted) == 9
    assert res.rejected["reason"].tolist() == ["truncated file"] * 11
    assert res.rejected["source_row"].tolist() == list(range(10, 21))
    assert "the .dbf holds attributes for only 9 of 20 records" in res.rejected["detail"][0]
    assert any("truncated Shapefile" in m for m in res.messages)
    for geometry in (True, False):
        rec = load_records(shp, geometry=geometry).check()
        assert rec.rows_read == 20 and len(rec.accepted) == 9
        assert (rec.rejected["reason"] == "truncated file").sum() == 11


def test_truncated_shp_rows_without_their_shape_say_why(tmp_path):
    shp = _shapefile(tmp_path)
    raw = shp.read_bytes()
    shx = shp.with_suffix(".shx").read_bytes()
    ninth = struct.unpack(">i", shx[100 + 8 * 8:104 + 8 * 8])[0] * 2  # where shape 9 starts
    shp.write_bytes(raw[:ninth + 20])  # 8 complete shapes and a piece of the ninth
    res = load_boundaries(shp).check()
    assert res.rows_read == 20 and len(res.accepted) == 8
    assert set(res.rejected["reason"]) == {"truncated file"}
    rec = load_records(shp).check()
    assert (rec.rejected["reason"] == "truncated file").sum() == 12


def test_truncated_shx_is_one_clear_error(tmp_path):
    shp = _shapefile(tmp_path)
    shx = shp.with_suffix(".shx")
    shx.write_bytes(shx.read_bytes()[:100 + 8 * 9])
    for load in (load_boundaries, load_records):
        with pytest.raises(InputError, match=r"a.shp: the Shapefile's .shx index is cut short: "
                                             r"it lists 9 of the 20 shapes.*Fix: copy"):
            load(shp)


def test_zipped_shapefile_with_a_truncated_dbf(tmp_path):
    shp = _shapefile(tmp_path)
    _cut_dbf(shp, 5)
    z = tmp_path / "areas.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for part in shp.parent.iterdir():
            zf.write(part, part.name)
    res = load_boundaries(z).check()
    assert res.rows_read == 20 and len(res.accepted) == 5


# ------------------------------------------------------------------- NaN coordinates
def test_nan_vertex_in_a_boundary_is_rejected_not_a_geos_error(tmp_path):
    p = tmp_path / "nan.geojson"
    p.write_text('{"type":"FeatureCollection","features":['
                 '{"type":"Feature","properties":{"LSOA11CD":"E01000001"},"geometry":'
                 '{"type":"Polygon","coordinates":[[[-2.6,51.4],[NaN,51.5],[-2.5,51.5],'
                 '[-2.6,51.4]]]}},'
                 '{"type":"Feature","properties":{"LSOA11CD":"E01000002"},"geometry":'
                 '{"type":"Polygon","coordinates":[[[-2.6,51.4],[-2.6,51.5],[-2.5,51.5],'
                 '[-2.6,51.4]]]}}]}')
    res = load_boundaries(p).check()
    assert res.accepted["LSOA11CD"].tolist() == ["E01000002"]
    assert res.rejected["reason"].tolist() == ["invalid geometry"]
    assert "NaN or infinite coordinate" in res.rejected["detail"][0]


# ---------------------------------------------------------------- damaged text files
def test_truncated_gzip_is_one_clear_error(tmp_path):
    text = "Easting,Northing\n" + "".join(f"{358000 + i},{173000 + i}\n" for i in range(20000))
    raw = gzip.compress(text.encode())
    p = tmp_path / "cut.csv.gz"
    p.write_bytes(raw[:len(raw) // 2])
    with pytest.raises(InputError, match=r"cut.csv.gz: the gzip file is truncated or damaged"):
        load_records(p)
    whole = tmp_path / "whole.csv.gz"
    whole.write_bytes(raw)
    assert load_records(whole).rows_read == 20000


def test_sparse_file_with_a_gigabyte_of_nul_bytes_is_refused_quickly(tmp_path):
    p = tmp_path / "sparse.csv"
    with open(p, "wb") as fh:
        fh.write(b"Easting,Northing\n358000,173000\n358100,173100\n")
        fh.truncate(1 << 30)  # a hole: no disk used
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match=r"sparse.csv: the file ends in 1,073,741,7\d\d zero "
                                             r"bytes \(NUL\) after byte 45.*Fix: copy"):
            load_records(p)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


def test_nul_bytes_inside_a_small_text_file(tmp_path):
    p = tmp_path / "nul.csv"
    p.write_bytes(b"Easting,Northing\n358000,173000\n" + b"x" * 5000 + b"\x00\x00" + b"y" * 5000)
    with pytest.raises(InputError, match=r"nul.csv: the file contains zero bytes \(NUL\)"):
        load_records(p)


# ------------------------------------------------------------------------- workbooks
def _workbook(path, rows, far=None):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    if far:
        ws[far] = "x"
    wb.save(path)
    return path


def test_one_cell_at_xfd1048576_is_read_without_expanding_the_sheet(tmp_path):
    """The sheet declares 17 billion cells; only the 10 that hold values are read."""
    p = _workbook(tmp_path / "far.xlsx", [["Easting", "Northing", "Date"],
                                          [358000, 173000, "2019-01-05"],
                                          [358100, 173100, "2019-01-31"]], far="XFD1048576")
    assert p.stat().st_size < 10_000
    tracemalloc.start()
    try:
        res = load_records(p).check()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 300_000_000
    assert res.rows_read == 3 and len(res.accepted) == 2
    # the far cell's row is a row of the file: rejected, with the sheet's row number
    assert res.rejected["source_row"].tolist() == [1048575]
    assert res.rejected["reason"].tolist() == ["no coordinates"]
    assert any("declares a used range of 17,179,869,184 cells" in m for m in res.messages)


def test_too_many_cells_stop_with_a_message(tmp_path, monkeypatch):
    import layers.ingest.xlsx as X

    p = _workbook(tmp_path / "big.xlsx", [["Easting", "Northing"]] +
                  [[358000 + i, 173000] for i in range(400)])
    monkeypatch.setattr(X, "MAX_CELLS", 500)
    with pytest.raises(ResourceLimitError, match=r"big.xlsx: the worksheet lists more than 500 "
                                                 r"cells.*Fix: export the sheet as CSV"):
        load_records(p)


def _zip_bomb(path, mb=60):
    """A real workbook whose sheet is ``mb`` MB of identical rows (~0.2 MB compressed)."""
    buf = io.BytesIO()
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Easting", "Northing"])
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info, src.read(info))
                continue
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            with out.open(zi, "w") as fh:
                fh.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://'
                         b'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                row = b'<row r="2"><c r="A2"><v>358000</v></c><c r="B2"><v>173000</v></c></row>'
                block = row * 10_000
                for _ in range(mb * 1_000_000 // len(block)):
                    fh.write(block)
                fh.write(b"</sheetData></worksheet>")
    return path


def test_zip_bomb_workbook_is_refused_before_inflating(tmp_path):
    import time

    p = _zip_bomb(tmp_path / "bomb.xlsx")
    assert p.stat().st_size < 1_000_000
    t = time.perf_counter()
    with pytest.raises(ResourceLimitError, match=r"bomb.xlsx: the workbook member "
                                                 r"'xl/worksheets/sheet1.xml' expands"):
        load_records(p)
    assert time.perf_counter() - t < 5


def test_workbook_archive_total_size_limit(tmp_path, monkeypatch):
    import layers.ingest.xlsx as X

    p = _workbook(tmp_path / "ok.xlsx", [["Easting", "Northing"], [358000, 173000]])
    monkeypatch.setattr(X, "MAX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(ResourceLimitError, match="would expand to"):
        load_records(p)


# --------------------------------------------------------------------- header problems
def test_header_one_name_short_is_reported_not_read_as_a_title(tmp_path):
    """A header with one name fewer than the rows used to be taken for a title line, so the
    first record became the column names (and was quoted in the error)."""
    p = tmp_path / "short.csv"
    p.write_text("name,age_band,gender,date,easting\n"
                 "Zed Quorn,25-34,Female,2019-03-04,358000,173000\n"
                 "Ann Lee,18-24,Male,2019-03-05,358100,173100\n")
    with pytest.raises(InputError) as ei:
        load_records(p)
    msg = str(ei.value)
    assert "2 row(s) have more fields than the 5 header columns (first: data row 1, line 2)" \
        in msg
    for secret in ("Zed Quorn", "25-34", "Female", "2019-03-04", "358000"):
        assert secret not in msg


def test_a_file_column_named_source_row_keeps_its_values(tmp_path):
    p = tmp_path / "clash.csv"
    p.write_text("source_row,reason,Easting,Northing\n7,a,358000,173000\n8,b,0,0\n")
    res = load_records(p).check()
    assert res.accepted["source_row"].tolist() == [1]
    assert res.accepted["source_row (file)"].tolist() == ["7"]
    assert res.rejected["reason"].tolist() == ["zero coordinates"]
    assert res.rejected["reason (file)"].tolist() == ["b"]
