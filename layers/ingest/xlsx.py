"""Read an XLSX worksheet as text columns, safely: no workbook can exhaust memory.

A workbook is a zip of XML files, so two small files can be hostile:

- a **zip bomb** (a few MB that inflate to gigabytes): the archive's member
  sizes and compression ratios are checked before anything is inflated
  (:data:`MAX_UNCOMPRESSED_BYTES`, :data:`MAX_RATIO`);
- a sheet with one cell at ``XFD1048576`` (its declared used range is 17
  billion cells; reading it as a rectangle needs many gigabytes): the sheet is
  streamed with openpyxl's read-only mode, its declared dimension is not
  trusted, only the cells that hold something are kept, and the cells met are
  counted against :data:`MAX_CELLS` as they stream, so the read stops with a
  clear message instead of growing.

Rows that hold nothing are skipped (as blank lines in a CSV are), but
``source_row`` keeps the worksheet's row numbering below the header.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from layers.common.errors import InputError, ResourceLimitError
from layers.ingest.table import TableRead, check_columns

__all__ = ["read_xlsx", "check_workbook_archive", "MAX_CELLS", "MAX_UNCOMPRESSED_BYTES",
           "MAX_RATIO"]

#: Cells (filled or empty, as the sheet's XML lists them; each row counts one more) read
#: from one worksheet at most.  openpyxl streams about 100,000 cells a second, so this
#: bounds the time too; a bigger table belongs in a CSV file, which has no limit.
MAX_CELLS = int(os.environ.get("HOTMAP_XLSX_MAX_CELLS", 10_000_000))
#: Total uncompressed size of a workbook's members, in bytes.
MAX_UNCOMPRESSED_BYTES = int(os.environ.get("HOTMAP_XLSX_MAX_BYTES", 1024 ** 3))
#: Largest compression ratio allowed for a member bigger than :data:`RATIO_FLOOR` bytes.
#: Real sheet XML compresses 5-30 times; zip bombs 100-1,000 times.
MAX_RATIO = 150
RATIO_FLOOR = 50 * 1024 ** 2


def check_workbook_archive(p: Path) -> None:
    """Refuse a workbook whose members would inflate beyond the limits (zip bomb).

    Raises
    ------
    ResourceLimitError
        Naming the member, its sizes and the limit.
    InputError
        For an archive that cannot be opened.
    """
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError) as exc:
        raise InputError(f"the spreadsheet cannot be read (a damaged zip archive: {exc})",
                         path=p, fix="open and re-save it in Excel or LibreOffice") from None
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ResourceLimitError(
            f"the workbook would expand to {total / 1024 ** 3:,.1f} GB of XML (limit "
            f"{MAX_UNCOMPRESSED_BYTES / 1024 ** 3:,.1f} GB)", path=p,
            fix="export the sheet as CSV (CSV files of any size are read directly)")
    for i in infos:
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise ResourceLimitError(
                f"the workbook member {i.filename!r} expands {ratio:,.0f} times (from "
                f"{i.compress_size:,} to {i.file_size:,} bytes): a 'zip bomb', not a "
                "spreadsheet an application saved", path=p,
                fix="do not open this file; ask for the data again, or as CSV")


def _cell_text(v):
    if isinstance(v, (pd.Timestamp,)) or hasattr(v, "isoformat"):
        try:
            return v.isoformat(sep=" ") if hasattr(v, "hour") else v.isoformat()
        except TypeError:  # a time of day: no date part to separate
            return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _choose_sheet(p, sheets, sheet, notes):
    if sheet is None:
        if len(sheets) > 1:
            notes.append(f"{p.name}: the workbook has {len(sheets)} sheets "
                         f"({', '.join(sheets)}); read '{sheets[0]}' (choose another with sheet=)")
        return sheets[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(sheets):
            raise InputError(f"worksheet number {sheet} not found (the workbook has "
                             f"{len(sheets)})", path=p, fix="sheet numbers count from 0")
        return sheets[sheet]
    if str(sheet) not in sheets:
        raise InputError(f"worksheet {sheet!r} not found; the sheets are {', '.join(sheets)}",
                         path=p, fix="pass sheet= with one of the workbook's sheet names")
    return str(sheet)


def _stream_cells(p, ws, notes):
    """Sparse rows ``[(sheet row, {column: value})]`` of the cells that hold a value."""
    from openpyxl.cell.cell import TYPE_ERROR

    declared = None
    if ws.max_row and ws.max_column:
        declared = ws.max_row * ws.max_column
    ws.reset_dimensions()  # never pad rows to a declared (possibly absurd) used range
    rows, met, cells = [], 0, 0
    for r, row in enumerate(ws.iter_rows(), start=1):
        met += len(row) + 1
        cells += len(row)
        if met > MAX_CELLS:
            raise ResourceLimitError(
                f"the worksheet lists more than {MAX_CELLS:,} cells (at row {r:,})", path=p,
                fix="export the sheet as CSV, or delete the unused rows and columns (a "
                    "formatted or stray cell far below or right of the data makes Excel list "
                    "every cell up to it)")
        vals = {}
        for j, c in enumerate(row):
            v = getattr(c, "value", None)
            if v is None or getattr(c, "data_type", None) == TYPE_ERROR:
                continue
            if isinstance(v, str) and not v.strip():
                continue
            vals[j] = v
        if vals:
            rows.append((r, vals))
    if declared and declared > 10 * max(cells, 1) and declared > 1_000_000:
        held = sum(len(v) for _, v in rows)
        notes.append(f"{p.name}: the sheet declares a used range of {declared:,} cells but "
                     f"only {held:,} hold a value; only those were read")
    return rows


def _header_row(rows) -> int:
    """Index of the header row: the first of the top 20 rows that is as full as the fullest."""
    counts = np.array([len(v) for _, v in rows[:20]])
    if not len(counts):
        return 0
    if counts[0] >= max(2, counts.max() * 0.6):
        return 0
    full = np.flatnonzero(counts == counts.max())
    return int(full[0]) if len(full) else 0


def read_xlsx(p: Path, *, header, names, sheet):
    """Read one worksheet; see the module docstring.

    Returns
    -------
    layers.ingest.table.TableRead
    """
    check_workbook_archive(p)
    notes = []
    try:
        from openpyxl import load_workbook

        wb = load_workbook(p, read_only=True, data_only=True, keep_links=False)
    except ResourceLimitError:
        raise
    except Exception as exc:  # corrupt workbook
        raise InputError(f"the spreadsheet cannot be read ({type(exc).__name__}: "
                         f"{str(exc)[:120]})", path=p,
                         fix="open and re-save it in Excel or LibreOffice") from None
    try:
        name = _choose_sheet(p, wb.sheetnames, sheet, notes)
        try:
            rows = _stream_cells(p, wb[name], notes)
        except (ResourceLimitError, InputError):
            raise
        except Exception as exc:  # damaged sheet XML
            raise InputError(f"the worksheet {name!r} cannot be read ({type(exc).__name__}: "
                             f"{str(exc)[:120]})", path=p,
                             fix="open and re-save it in Excel or LibreOffice") from None
    finally:
        wb.close()
    if not rows:
        raise InputError(f"the worksheet {name!r} is empty", path=p,
                         fix="choose the sheet holding the data with sheet=")
    width = max(max(v) for _, v in rows) + 1
    start = 0
    if header and not names:
        start = _header_row(rows)
        hrow, hvals = rows[start]
        if start or hrow > 1:
            skipped = hrow - 1
            notes.append(f"{p.name}: column names found on spreadsheet row {hrow}; the "
                         f"{skipped} row(s) above (titles) were skipped")
        cols = [(_cell_text(hvals[j]).strip() if j in hvals else "") or f"Unnamed: {j}"
                for j in range(width)]
        cols = [c[:-2] if c.endswith(".0") and c[:-2].isdigit() else c for c in cols]
        check_columns(cols, p)
        data_rows = rows[start + 1:]
        base = hrow
    else:
        data_rows = rows
        base = 0
        if names:
            if len(names) != width:
                raise InputError(f"{len(names)} column names given for {width} columns",
                                 path=p, fix="give one name per column")
            cols = list(names)
        else:
            cols = [f"col{i + 1}" for i in range(width)]
    used = sorted({j for _, v in data_rows for j in v})
    # keep named columns and any column holding a value; drop unnamed empty ones
    keep = [j for j in range(width) if not cols[j].startswith("Unnamed: ") or j in used]
    data = {}
    for j in keep:
        col = np.full(len(data_rows), None, dtype=object)
        for i, (_, v) in enumerate(data_rows):
            if j in v:
                col[i] = _cell_text(v[j])
        data[cols[j]] = col
    frame = pd.DataFrame(data, columns=[cols[j] for j in keep])
    out = TableRead(frame=frame, format="xlsx", header=header, notes=notes)
    out.row_numbers = np.array([r - base for r, _ in data_rows], dtype=np.int64)
    return out
