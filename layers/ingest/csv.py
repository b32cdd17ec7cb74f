"""Read delimited text (CSV, TSV, ``.csv.gz``) into text columns, losing no line.

The fast path is pyarrow's CSV reader.  Files it cannot read as they stand
(title lines above the header, short rows, quoted values that span lines) go to
a careful reader built on Python's :mod:`csv` that tracks the physical lines of
every record, so that:

- a quoted value spanning lines is one record when it ends in a row with the
  header's number of fields and none of its inner lines is itself a full row;
- otherwise the quote was never closed (an unterminated quote swallows the
  lines after it until the next quote character): every physical line it
  swallowed becomes a row rejected as ``malformed quoting``, with its line
  number, instead of vanishing into one giant value.

Damaged files raise one clear :class:`~layers.common.errors.InputError`: a truncated
``.gz``, a file that ends in a run of zero bytes (an incomplete copy, or a
sparse file), a file of only blank lines.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from layers.ingest.bytes import FileBytes, check_nul_tail
from layers.ingest.table import TEXT, TableRead, check_columns, decode_sample

__all__ = ["read_csv", "MALFORMED", "check_nul_tail"]

#: Rejection reason for the lines of a quote that is never closed.
MALFORMED = "malformed quoting"
_DELIMS = [",", "\t", ";", "|"]


def _is_gz(p: Path) -> bool:
    with open(p, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _field_counts(lines, d):
    return [len(next(csv.reader([ln], delimiter=d))) for ln in lines]


def sniff_delimiter(text: str, p: Path, delimiter):
    """The delimiter given, else the one that splits the sample's lines most evenly."""
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


def header_line(text: str, delim: str) -> int:
    """Index of the header line: the first line, unless it and the lines after it are
    title lines (at most half as many fields as most lines have) above the real header."""
    lines = text.splitlines()[:60]
    nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
    if len(nonblank) < 3:
        return nonblank[0] if nonblank else 0
    counts = _field_counts([lines[i] for i in nonblank], delim)
    rest = counts[1:]
    mode = max(set(rest), key=lambda c: (rest.count(c), c))
    # a header one or two names short of the rows is a header with missing names (the
    # rows will be reported), never a title line: titles are a word or a phrase
    if counts[0] >= mode or counts[0] > mode / 2 or mode <= 1 or \
            rest.count(mode) < max(2, 0.6 * len(rest)):
        return nonblank[0]
    for i, c in zip(nonblank, counts):
        if c == mode:
            return i
    return nonblank[0]


def _gz_error(p):
    return InputError("the gzip file is truncated or damaged (its compressed data ends early "
                      "or does not check out)", path=p,
                      fix="download or copy the .gz file again, or decompress what you have "
                          "with another tool and load the CSV")


def read_csv(p: Path, *, header, names, delimiter, encoding):
    """Read one delimited text file; see the module docstring.

    Returns
    -------
    layers.ingest.table.TableRead
    """
    gz = _is_gz(p)
    size = p.stat().st_size
    # the file is read once (into a buffer this thread reuses, or mapped when it is big):
    # the checks and pyarrow all use the same bytes
    whole = FileBytes.open(p, size) if not gz and size > 0 else None
    try:
        return _read_csv(p, whole, gz, header=header, names=names, delimiter=delimiter,
                         encoding=encoding)
    finally:
        if whole is not None:
            whole.close()


def _read_csv(p, whole, gz, *, header, names, delimiter, encoding):
    head2 = whole[:2] if whole is not None else open(p, "rb").read(2)
    utf16 = head2 in (b"\xff\xfe", b"\xfe\xff") or \
        str(encoding or "").lower().replace("-", "").startswith("utf16")
    if not gz and not utf16:  # UTF-16 text holds zero bytes in every ASCII character
        if whole is None or whole.find(b"\x00") >= 0:
            check_nul_tail(p)  # says where the zero bytes are
    try:
        if gz:
            import gzip

            with gzip.open(p, "rb") as fh:
                raw = fh.read(65536)
        elif whole is not None:
            raw = whole[:65536]
        else:
            with open(p, "rb") as fh:
                raw = fh.read(65536)
    except (OSError, EOFError):
        raise _gz_error(p) from None
    text, enc = decode_sample(raw, encoding)
    if not text.strip():
        raise InputError("the file contains only blank lines", path=p,
                         fix="check it was exported correctly")
    delim = sniff_delimiter(text, p, delimiter)
    notes = []
    if enc == "cp1252" and not encoding:
        notes.append(f"{p.name}: not UTF-8, read as Windows-1252 (Latin-1) text")
    import pyarrow as pa
    from pyarrow import csv as pacsv

    start = header_line(text, delim) if header else 0
    first = next(csv.reader([text.splitlines()[start]], delimiter=delim))
    if header:
        cols = [c.strip() for c in first]
        if names:
            cols = names
    else:
        cols = names or [f"col{i + 1}" for i in range(len(first))]
    blank = check_columns(cols, p)
    cols = [c if c.strip() else f"unnamed_{i + 1}" for i, c in enumerate(cols)] if blank else cols
    if header and len(cols) == 1 and any(d in first[0] for d in _DELIMS if d != delim):
        raise InputError(
            f"only one column found; the delimiter looks wrong (read with {delim!r})", path=p,
            fix="pass delimiter= (e.g. ';' or '\\t') matching the file")
    if start > 0:  # title lines above the header: the careful reader skips them
        notes.append(f"{p.name}: column names found on line {start + 1}; the {start} line(s) "
                     "above (titles) were skipped")
        return _read_careful(p, cols, header, delim, enc, notes, gz, skip=start)
    source = (lambda: pa.CompressedInputStream(pa.OSFile(str(p)), "gzip")) if gz else \
        (lambda: pa.BufferReader(whole.buffer())) if whole is not None else \
        (lambda: str(p))
    copts = pacsv.ConvertOptions(column_types={c: pa.large_string() for c in cols},
                                 strings_can_be_null=True, null_values=[""],
                                 quoted_strings_can_be_null=True)
    table = None
    # pyarrow's thread pool costs more than it gains on a monthly file of a few MB
    threads = p.stat().st_size > (16 << 20)
    for _attempt in range(3):
        ropts = pacsv.ReadOptions(column_names=cols, skip_rows=1 if header else 0,
                                  encoding="utf8" if enc in ("utf-8", "utf-8-sig") else enc,
                                  block_size=1 << 24, use_threads=threads)
        # values spanning lines go to the careful reader, which can tell them from an
        # unterminated quote swallowing the lines after it
        popts = pacsv.ParseOptions(delimiter=delim, newlines_in_values=False)
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
            if gz and ("gzip" in msg or "compress" in msg or "truncated" in msg):
                raise _gz_error(p) from None
            return _read_careful(p, cols, header, delim, enc, notes, gz)
        except (OSError, EOFError):  # pyarrow reports a cut-short gzip stream as OSError
            if gz:
                raise _gz_error(p) from None
            raise
    if table is None:
        return _read_careful(p, cols, header, delim, enc, notes, gz)
    if _spans_lines(table, whole, header):  # a quoted line break: a quote left open?
        return _read_careful(p, cols, header, delim, enc, notes, gz)
    frame = table.to_pandas(types_mapper={pa.string(): TEXT, pa.large_string(): TEXT}.get,
                            split_blocks=True)
    out = TableRead(frame=frame, format="csv" if delim != "\t" else "tsv", encoding=enc,
                    delimiter=delim, header=header, notes=notes)
    out.table = table  # the loader splits accepted from rejected rows on it, in C++
    return out


def _spans_lines(table, data, header) -> bool:
    """True if any value holds a line break: pyarrow then read a quote across lines, which
    is either a genuine multi-line value or an unclosed quote swallowing rows; only the
    careful reader can tell which.

    When the file has no quote character, or exactly one line per row (and the header), no
    value can hold a line break, and the values need not be searched.
    """
    import pyarrow.compute as pc

    if data is not None and len(data):
        if data.find(b'"') < 0:  # no quote: every line break ended a row (one memchr pass)
            return False
        n = len(data)
        lines = data.count_lines() + (0 if data[n - 1:n] == b"\n" else 1)
        if lines == table.num_rows + (1 if header else 0):
            return False
    for col in table.columns:
        if pc.any(pc.match_substring_regex(col, "[\r\n]")).as_py():
            return True
    return False


def _alone(line: str, delim: str) -> list[str]:
    """The fields of one physical line parsed on its own."""
    return next(csv.reader([line.rstrip("\r\n")], delimiter=delim), [])


def _read_careful(p, cols, header, delim, enc, notes, gz, skip=0):
    """Ragged files, title lines and quoting problems: every physical line accounted for."""
    import gzip

    opener = gzip.open if gz else open
    try:
        with opener(p, "rt", newline="", encoding=enc, errors="replace") as fh:
            lines = list(fh)
    except (OSError, EOFError):
        if gz:
            raise _gz_error(p) from None
        raise
    n = len(cols)
    old_limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)  # an unclosed quote may hold the rest of the file
    try:
        rd = csv.reader(iter(lines[skip:]), delimiter=delim)
        spans = []  # (first line, last line, fields), 1-based file lines
        prev = 0
        for rec in rd:
            spans.append((skip + prev + 1, skip + rd.line_num, rec))
            prev = rd.line_num
    except csv.Error as exc:
        raise InputError(f"the file cannot be read as delimited text ({exc})", path=p,
                         fix="check it is a CSV file; export it again") from None
    finally:
        csv.field_size_limit(old_limit)
    if header and spans:
        spans = spans[1:]
    rows, line_of, bad = [], [], []  # bad: (row index, detail)
    for a, b, rec in spans:
        if not rec or (len(rec) == 1 and rec[0] == "" and a == b):
            continue  # a blank line is not a row
        if b > a and not _one_record(rec, lines[a:b], n, delim):
            col = _alone(lines[a - 1], delim)
            where = cols[len(col) - 1] if 0 < len(col) <= n else None
            opened = f" (column {where!r})" if where else ""
            for k in range(a, b + 1):
                fields = _alone(lines[k - 1], delim)
                if len(fields) > n:
                    fields = fields[:n - 1] + [delim.join(fields[n - 1:])]
                rows.append(fields)
                line_of.append(k)
                if k == a:
                    det = (f"line {k}: a quote opened here{opened} is not closed before line "
                           f"{b}" + (" (the end of the file)" if b == len(lines) else "") +
                           f", so lines {a}-{b} cannot be split into fields; close the quote "
                           "(or double it inside the value) and load again")
                else:
                    det = (f"line {k}: inside the quote opened on line {a}{opened}, which is "
                           "not closed properly; close the quote and load again")
                bad.append((len(rows) - 1, det))
            continue
        rows.append(rec)
        line_of.append(a)
    bad_rows = {i for i, _ in bad}
    long_rows = [i + 1 for i, r in enumerate(rows) if len(r) > n and i not in bad_rows]
    if long_rows:
        raise InputError(
            f"{len(long_rows)} row(s) have more fields than the {n} header columns "
            f"(first: data row {long_rows[0]}, line {line_of[long_rows[0] - 1]}); an unquoted "
            "delimiter inside a value, a header with names missing, or the wrong delimiter",
            path=p, row=long_rows[0],
            fix="quote values that contain the delimiter, name every column in the header, "
                "or pass delimiter=")
    short = sum(1 for i, r in enumerate(rows) if len(r) < n and i not in bad_rows)
    rows = [r + [""] * (n - len(r)) for r in rows]
    frame = pd.DataFrame(rows, columns=cols, dtype=object) if rows else \
        pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    frame = frame.replace("", None).astype(TEXT)
    if short:
        notes.append(f"{p.name}: {short} row(s) had fewer fields than the header; the missing "
                     "fields were left blank")
    row_reasons = []
    if bad:
        pos = np.array([i for i, _ in bad], dtype=np.int64)
        det = np.array([d for _, d in bad], dtype=object)
        row_reasons.append((pos, MALFORMED, det))
        first_line = line_of[bad[0][0]]
        notes.append(f"{p.name}: {len(bad):,} line(s) from line {first_line} lie inside a quote "
                     "that is never closed; they are rejected as 'malformed quoting' with their "
                     "line numbers")
    out = TableRead(frame=frame, format="csv", encoding=enc, delimiter=delim, header=header,
                    notes=notes)
    out.row_reasons = row_reasons
    return out


def _one_record(rec, inner_lines, n, delim) -> bool:
    """A record spanning lines is genuine when it has ``n`` fields and none of the lines
    after its first is a complete row by itself (what an unclosed quote swallows)."""
    if len(rec) != n:
        return False
    for ln in inner_lines:
        if len(_alone(ln, delim)) >= n and ln.count('"') % 2 == 0:
            return False
    return True
