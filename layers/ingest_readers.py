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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from layers.errors import InputError

__all__ = ["sniff_format", "read_table", "TableRead", "VECTOR_FORMATS", "TEXT"]

#: Text dtype of columns read from CSV: Arrow-backed, NaN for missing (pandas 3's "str").
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
VECTOR_FORMATS = ("gpkg", "shp", "geojson", "fgb", "zip-shp")
_TEXT_EXT = {".csv", ".tsv", ".txt", ".tab", ".dat", ".psv"}
_VECTOR_EXT = {".gpkg": "gpkg", ".shp": "shp", ".geojson": "geojson", ".json": "geojson",
               ".fgb": "fgb"}
_DELIMS = [",", "\t", ";", "|"]


@dataclass
class TableRead:
    """A file read as text: the frame, and how it was read."""

    frame: pd.DataFrame
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    header: bool = True
    notes: list = field(default_factory=list)


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


def _decode_sample(raw: bytes, encoding):
    if encoding:
        return raw.decode(encoding, errors="replace"), encoding
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 4:  # a multibyte char cut by the sample end
            return raw[:exc.start].decode("utf-8"), "utf-8"
        return raw.decode("cp1252", errors="replace"), "cp1252"


def _sniff_delimiter(text: str, p: Path, delimiter):
    if delimiter:
        return {"\\t": "\t", "tab": "\t"}.get(delimiter, delimiter)
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if not lines:
        raise InputError("the file has no text rows", path=p,
                         fix="check the file is not empty or blank")
    best, best_score = ",", -1.0
    for d in _DELIMS:
        counts = _field_counts(lines[:30], d)
        mode = max(set(counts), key=lambda c: (counts.count(c), c))
        if mode <= 1:
            continue
        same = sum(1 for c in counts if c == mode) / len(counts)
        score = same * 10 + min(mode, 50) / 50
        if score > best_score:
            best, best_score = d, score
    return best


def _field_counts(lines, d):
    return [len(next(csv.reader([ln], delimiter=d))) for ln in lines]


def _header_line(text: str, delim: str) -> int:
    """Index of the header line: the first line with as many fields as most lines have."""
    lines = text.splitlines()[:60]
    nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
    if len(nonblank) < 3:
        return nonblank[0] if nonblank else 0
    counts = _field_counts([lines[i] for i in nonblank], delim)
    rest = counts[1:]
    mode = max(set(rest), key=lambda c: (rest.count(c), c))
    if counts[0] >= mode or mode <= 1 or rest.count(mode) < max(2, 0.6 * len(rest)):
        return nonblank[0]
    for i, c in zip(nonblank, counts):
        if c == mode:
            return i
    return nonblank[0]


def read_table(path, *, header=True, column_names=None, sheet=None, delimiter=None,
               encoding=None, layer=None) -> TableRead:
    """Read one record file into text columns (CSV/TSV/XLSX) or a GeoDataFrame (vector).

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

    Returns
    -------
    TableRead
    """
    p = Path(path)
    kind = sniff_format(p)
    names = _column_names(column_names, p)
    if kind in ("csv", "csv.gz"):
        return _read_csv(p, header=header, names=names, delimiter=delimiter, encoding=encoding)
    if kind == "xlsx":
        return _read_xlsx(p, header=header, names=names, sheet=sheet)
    from layers.ingest_vector import read_vector

    gdf, info = read_vector(p, kind, layer=layer)
    return TableRead(frame=gdf, format=kind, notes=info)


def _column_names(column_names, p):
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


def _check_columns(cols, p):
    seen, dup = set(), []
    for c in cols:
        if c in seen:
            dup.append(c)
        seen.add(c)
    if dup:
        raise InputError(f"duplicated column name(s) {sorted(set(dup))}", path=p,
                         column=dup[0], fix="rename the columns so each name is used once")
    blank = [i + 1 for i, c in enumerate(cols) if not str(c).strip()]
    return blank


def _read_csv(p: Path, *, header, names, delimiter, encoding) -> TableRead:
    gz = p.suffix.lower() == ".gz" or open(p, "rb").read(2) == b"\x1f\x8b"
    if gz:
        import gzip

        with gzip.open(p, "rb") as fh:
            raw = fh.read(65536)
    else:
        with open(p, "rb") as fh:
            raw = fh.read(65536)
    text, enc = _decode_sample(raw, encoding)
    if not text.strip():
        raise InputError("the file contains only blank lines", path=p,
                         fix="check it was exported correctly")
    delim = _sniff_delimiter(text, p, delimiter)
    notes = []
    if enc == "cp1252" and not encoding:
        notes.append(f"{p.name}: not UTF-8, read as Windows-1252 (Latin-1) text")
    import pyarrow as pa
    from pyarrow import csv as pacsv

    start = _header_line(text, delim) if header else 0
    first = next(csv.reader([text.splitlines()[start]], delimiter=delim))
    if header:
        cols = [c.strip() for c in first]
        if names:
            cols = names
    else:
        cols = names or [f"col{i + 1}" for i in range(len(first))]
    blank = _check_columns(cols, p)
    cols = [c if c.strip() else f"unnamed_{i + 1}" for i, c in enumerate(cols)] if blank else cols
    if header and len(cols) == 1 and any(d in first[0] for d in _DELIMS if d != delim):
        raise InputError(
            f"only one column found; the delimiter looks wrong (read with {delim!r})", path=p,
            fix="pass delimiter= (e.g. ';' or '\\t') matching the file")
    if start > 0:  # title lines above the header: the careful reader skips them
        notes.append(f"{p.name}: column names found on line {start + 1}; the {start} line(s) "
                     "above (titles) were skipped")
        return _read_csv_python(p, cols, header, delim, enc, notes, "", skip=start)
    source = (lambda: pa.CompressedInputStream(pa.OSFile(str(p)), "gzip")) if gz else \
        (lambda: str(p))
    copts = pacsv.ConvertOptions(column_types={c: pa.string() for c in cols},
                                 strings_can_be_null=True, null_values=[""],
                                 quoted_strings_can_be_null=True)
    newlines = False
    table = None
    for _attempt in range(4):
        ropts = pacsv.ReadOptions(column_names=cols, skip_rows=1 if header else 0,
                                  encoding="utf8" if enc in ("utf-8", "utf-8-sig") else enc,
                                  block_size=1 << 24)
        popts = pacsv.ParseOptions(delimiter=delim, newlines_in_values=newlines)
        try:
            table = pacsv.read_csv(source(), read_options=ropts, parse_options=popts,
                                   convert_options=copts)
            break
        except (pa.ArrowInvalid, UnicodeDecodeError, LookupError) as exc:
            msg = str(exc).lower()
            if ("utf8" in msg or "utf-8" in msg or isinstance(exc, UnicodeDecodeError)) \
                    and not encoding and enc != "latin-1":
                enc = "cp1252" if enc in ("utf-8", "utf-8-sig") else "latin-1"
                notes[:] = [f"{p.name}: not UTF-8, read as Windows-1252 (Latin-1) text"]
                continue
            if not newlines and "expected" in msg:
                newlines = True
                continue
            return _read_csv_python(p, cols, header, delim, enc, notes, str(exc))
    if table is None:
        return _read_csv_python(p, cols, header, delim, enc, notes, "")
    frame = table.to_pandas(types_mapper={pa.string(): TEXT, pa.large_string(): TEXT}.get)
    return TableRead(frame=frame, format="csv" if delim != "\t" else "tsv", encoding=enc,
                     delimiter=delim, header=header, notes=notes)


def _read_csv_python(p, cols, header, delim, enc, notes, why, skip=0):
    """Slow path for ragged files and title lines: pad short rows, report long ones."""
    import gzip

    opener = gzip.open if open(p, "rb").read(2) == b"\x1f\x8b" else open
    with opener(p, "rt", newline="", encoding=enc, errors="replace") as fh:
        rows = list(csv.reader(fh, delimiter=delim))
    if skip:
        rows = rows[skip:]
    if header:
        rows = rows[1:]
    n = len(cols)
    long_rows = [i + 1 for i, r in enumerate(rows) if len(r) > n]
    if long_rows:
        raise InputError(
            f"{len(long_rows)} row(s) have more fields than the {n} header columns "
            f"(first: data row {long_rows[0]}); an unquoted delimiter inside a value or the "
            "wrong delimiter", path=p, row=long_rows[0],
            fix="quote values that contain the delimiter, or pass delimiter=")
    short = sum(1 for r in rows if r and len(r) < n)
    rows = [r + [""] * (n - len(r)) for r in rows if r]
    frame = pd.DataFrame(rows, columns=cols, dtype=object).replace("", None).astype(TEXT)
    if short:
        notes.append(f"{p.name}: {short} row(s) had fewer fields than the header; the missing "
                     "fields were left blank")
    return TableRead(frame=frame, format="csv", encoding=enc, delimiter=delim,
                     header=header, notes=notes)


def _read_xlsx(p: Path, *, header, names, sheet) -> TableRead:
    notes = []
    try:
        xf = pd.ExcelFile(p, engine="openpyxl")
        sheets = xf.sheet_names
    except Exception as exc:  # corrupt workbook
        raise InputError(f"the spreadsheet cannot be read ({type(exc).__name__}: {exc})",
                         path=p, fix="open and re-save it in Excel or LibreOffice") from None
    if sheet is None:
        sheet = sheets[0]
        if len(sheets) > 1:
            notes.append(f"{p.name}: the workbook has {len(sheets)} sheets "
                         f"({', '.join(sheets)}); read '{sheet}' (choose another with sheet=)")
    elif isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(sheets):
            raise InputError(f"worksheet number {sheet} not found (the workbook has "
                             f"{len(sheets)})", path=p, fix="sheet numbers count from 0")
        sheet = sheets[sheet]
    elif str(sheet) not in sheets:
        raise InputError(f"worksheet {sheet!r} not found; the sheets are {', '.join(sheets)}",
                         path=p, fix="pass sheet= with one of the workbook's sheet names")
    raw = xf.parse(sheet, header=None, dtype=object)
    if raw.shape[1] == 0 or raw.shape[0] == 0:
        raise InputError(f"the worksheet {sheet!r} is empty", path=p,
                         fix="choose the sheet holding the data with sheet=")
    start = 0
    if header and not names:
        start = _header_row(raw)
        if start:
            notes.append(f"{p.name}: column names found on spreadsheet row {start + 1}; the "
                         f"{start} row(s) above (titles) were skipped")
        cols = [str(v).strip() if pd.notna(v) and str(v).strip() else f"Unnamed: {i}"
                for i, v in enumerate(raw.iloc[start])]
        cols = [c[:-2] if c.endswith(".0") and c[:-2].isdigit() else c for c in cols]
        _check_columns(cols, p)
        frame = raw.iloc[start + 1:].reset_index(drop=True)
        frame.columns = cols
    else:
        frame = raw
        if names:
            if len(names) != frame.shape[1]:
                raise InputError(f"{len(names)} column names given for {frame.shape[1]} "
                                 "columns", path=p, fix="give one name per column")
            frame.columns = names
        else:
            frame.columns = [f"col{i + 1}" for i in range(frame.shape[1])]
    # drop trailing columns that are entirely empty and unnamed (formatting only)
    keep = [c for c in frame.columns if not (str(c).startswith("Unnamed: ")
                                             and frame[c].isna().all())]
    frame = frame[keep].copy()
    for c in frame.columns:
        s = frame[c]
        txt = s.map(_cell_text, na_action="ignore")
        frame[c] = txt.where(s.notna(), None).astype(object)
    return TableRead(frame=frame, format="xlsx", header=header, notes=notes)


def _header_row(raw: pd.DataFrame) -> int:
    """Index of the header row: the first of the top 20 rows that is as full as the fullest."""
    top = raw.iloc[:20]
    counts = top.notna().sum(axis=1).to_numpy()
    if counts[0] >= max(2, counts.max() * 0.6):
        return 0
    full = np.flatnonzero(counts == counts.max())
    return int(full[0]) if len(full) else 0


def _cell_text(v):
    if isinstance(v, (pd.Timestamp,)) or hasattr(v, "isoformat"):
        return v.isoformat(sep=" ") if hasattr(v, "hour") else v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def read_text_sample(p, n=5):
    """Return the first ``n`` lines of a text file (for error messages)."""
    with open(p, "rb") as fh:
        raw = fh.read(8192)
    text, _ = _decode_sample(raw, None)
    return text.splitlines()[:n]

