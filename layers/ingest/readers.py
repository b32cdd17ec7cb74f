"""Read tabular and vector files as text tables, with clear errors for bad files.

Public helpers
--------------
sniff_format
    What a file really is (CSV text, XLSX, GeoPackage, Shapefile, ...) from its
    first bytes, not only its extension.
read_table
    Read one file into a DataFrame of text columns (or a GeoDataFrame for
    vector formats) with every problem raised as an :class:`InputError`.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import numpy as np

from layers.common.errors import InputError
from layers.ingest.bytes import check_nul_tail
from layers.ingest.csv import read_csv
from layers.ingest.table import TableRead, decode_sample
from layers.ingest.vector import TRUNCATED, read_vector, read_vector_table
from layers.ingest.xlsx import read_xlsx

__all__ = ["sniff_format", "read_table", "read_text_sample", "resolve_column_names",
           "VECTOR_FORMATS"]

VECTOR_FORMATS = ("gpkg", "shp", "geojson", "fgb", "zip-shp")
_TEXT_EXT = {".csv", ".tsv", ".txt", ".tab", ".dat", ".psv"}
_VECTOR_EXT = {".gpkg": "gpkg", ".shp": "shp", ".geojson": "geojson", ".json": "geojson",
               ".fgb": "fgb"}


def sniff_format(path) -> str:
    """Return the real format of ``path``: csv, xlsx, gpkg, shp, geojson, fgb, zip-shp.

    Parameters
    ----------
    path : str or Path
        The file.

    Raises
    ------
    InputError
        If the file is empty, unreadable, or not a format hotmap reads.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", path=p, fix="check the path and file name")
    if p.is_dir():
        raise InputError("this is a folder, not a file", path=p,
                         fix="give the file inside it (e.g. the .shp, .gpkg or .csv)")
    if p.stat().st_size == 0:
        raise InputError("the file is empty (0 bytes)", path=p,
                         fix="re-export or re-download the file; it contains no data")
    with open(p, "rb") as fh:
        head = fh.read(4096)
    ext = p.suffix.lower()
    if head.startswith(b"SQLite format 3"):
        kind = "gpkg"
    elif head.startswith(b"\x1f\x8b"):
        import gzip

        try:
            with gzip.open(p, "rb") as fh:
                inner = fh.read(4096)
        except (OSError, EOFError):
            raise InputError("a damaged gzip file", path=p, fix="download it again") from None
        if b"\x00" in inner or _binary_fraction(inner) > 0.10:
            raise InputError("a gzip file that does not contain text", path=p,
                             fix="decompress it and load the data file it contains")
        return "csv.gz"
    elif head.startswith(b"fgb"):
        kind = "fgb"
    elif head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(p).namelist()
        except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError):
            names = []  # a damaged archive (e.g. 'zip file version' from a corrupt header)
        if any(n.startswith("xl/") for n in names):
            kind = "xlsx"
        elif any(n.lower().endswith(".shp") for n in names):
            kind = "zip-shp"
        elif not names:
            raise InputError(f"a damaged or truncated zip archive (named {ext or 'no extension'})",
                             path=p,
                             fix="download or export the file again; check it is the right file")
        else:
            raise InputError("a zip archive with neither a spreadsheet nor a Shapefile inside",
                             path=p, fix="unzip it and load the data file it contains")
    elif head[:4] in (b"\x00\x00\x27\x0a",):
        kind = "shp"
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError("this is an old Excel .xls (or other OLE) file", path=p,
                         fix="open it in Excel or LibreOffice and save as .xlsx or .csv")
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        kind = "csv"  # UTF-16 text (Excel's "Unicode Text" export)
    else:
        stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        nul = head.find(b"\x00")
        if nul > 0 and not head[nul:].strip(b"\x00") and _binary_fraction(head[:nul]) <= 0.10:
            check_nul_tail(p)  # text, then only zero bytes: a cut-short copy, said as such
        if b"\x00" in head or _binary_fraction(head) > 0.10:
            raise InputError(
                f"the file is binary, not a {ext or 'text'} file hotmap can read", path=p,
                fix="check this is the right file; export CSV, XLSX, GeoPackage, Shapefile "
                    "or GeoJSON")
        if stripped.startswith(b"{") and (b'"type"' in head or b'"features"' in head):
            kind = "geojson"
        elif stripped.startswith(b"{") or stripped.startswith(b"["):
            raise InputError("a JSON file that is not GeoJSON", path=p,
                             fix="export the data as GeoJSON (FeatureCollection) or CSV")
        elif stripped.lower().startswith((b"<?xml", b"<html", b"<!doctype")):
            raise InputError("an XML/HTML page, not a data file", path=p,
                             fix="download the data file itself (the link may have returned "
                                 "an error page)")
        else:
            kind = "csv"
    expect = {"xlsx": {".xlsx", ".xlsm"}, "gpkg": {".gpkg"}, "shp": {".shp"},
              "geojson": {".geojson", ".json"}, "fgb": {".fgb"}, "zip-shp": {".zip"},
              "csv": _TEXT_EXT}
    if ext and ext not in expect[kind] and not (kind == "csv" and ext not in
                                                 {".xlsx", ".gpkg", ".shp", ".fgb", ".zip",
                                                  ".geojson", ".json", ".xls"}):
        raise InputError(
            f"the file is not what its extension says: named {ext} but it contains {kind} data",
            path=p, fix=f"rename it with the right extension (e.g. .{kind.split('-')[0]}) or "
                        "export it again")
    return kind


def _binary_fraction(head: bytes) -> float:
    if not head:
        return 0.0
    ctrl = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return ctrl / len(head)


def read_table(path, *, header=True, column_names=None, sheet=None, delimiter=None,
               encoding=None, layer=None, kind=None) -> TableRead:
    """Read one record file into text columns (CSV/TSV/XLSX) or vector features.

    Parameters
    ----------
    path : str or Path
        The file.
    header : bool
        Whether the first row holds column names (CSV/XLSX).
    column_names : list of str or str, optional
        Names for the columns of a headerless file, or a path to a one-line
        CSV of names (as shipped beside Code-Point Open).
    sheet : str or int, optional
        Worksheet of an XLSX file (default the first).
    delimiter, encoding : str, optional
        Override the detected delimiter and text encoding.
    layer : str, optional
        Layer of a multi-layer GeoPackage.
    kind : {None, 'records'}
        For vector files: ``None`` gives a GeoDataFrame in ``frame``;
        ``'records'`` gives the attributes in ``frame`` and the geometries as
        WKB in ``vector`` (a :class:`~layers.ingest.vector.VectorTable`), with
        the records a truncated Shapefile should hold added as empty rows that
        ``row_reasons`` rejects.

    Returns
    -------
    TableRead
    """
    p = Path(path)
    fmt = sniff_format(p)
    names = resolve_column_names(column_names, p)
    if fmt in ("csv", "csv.gz"):
        return read_csv(p, header=header, names=names, delimiter=delimiter, encoding=encoding)
    if fmt == "xlsx":
        return read_xlsx(p, header=header, names=names, sheet=sheet)
    if kind == "records":
        vt = read_vector_table(p, fmt, layer=layer)
        out = TableRead(frame=vt.frame, format=fmt, notes=list(vt.notes))
        out.vector = vt
        k, detail = vt.missing
        if k:  # rows the damaged file should hold: empty rows, rejected with the reason
            n0 = len(vt.frame)
            out.frame = vt.frame.reindex(range(n0 + k))  # the missing rows: all fields blank
            vt.frame = out.frame
            vt.add_missing(k)
            out.row_reasons = [(np.arange(n0, n0 + k), TRUNCATED,
                                np.full(k, detail, dtype=object))]
        return out
    gdf, notes, _missing = read_vector(p, fmt, layer=layer)
    return TableRead(frame=gdf, format=fmt, notes=notes)


def resolve_column_names(column_names, p):
    """The column names of a headerless file: a list given, or read from a names file.

    Parameters
    ----------
    column_names : list of str, str, Path or None
        The names, or the path of a CSV whose first line (or second, when it
        holds as many long names as the first has short codes, as Code-Point
        Open ships) names the columns.
    p : Path
        The data file (for error messages).

    Returns
    -------
    list of str or None
    """
    if column_names is None:
        return None
    if isinstance(column_names, (str, Path)):
        cp = Path(column_names)
        if not cp.exists():
            raise InputError("column-names file not found", path=cp,
                             fix="give a list of names or the path of a CSV with the names")
        first = cp.read_text(encoding="utf-8-sig").splitlines()
        rows = list(csv.reader(first))
        # Code-Point Open ships short codes then long names: prefer the long names.
        return [c.strip() for c in (rows[1] if len(rows) > 1 and len(rows[1]) == len(rows[0])
                                    else rows[0])]
    return [str(c) for c in column_names]


def read_text_sample(p, n=5):
    """Return the first ``n`` lines of a text file (for error messages)."""
    with open(p, "rb") as fh:
        raw = fh.read(8192)
    text, _ = decode_sample(raw, None)
    return text.splitlines()[:n]
