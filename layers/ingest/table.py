"""What every reader returns, and the small helpers the readers share.

The format readers (:mod:`layers.ingest.csv`, :mod:`layers.ingest.xlsx`,
:mod:`layers.ingest.vector`) and the dispatcher above them
(:mod:`layers.ingest.readers`) all import from here, so imports go one way.

Public names
------------
TEXT
    The text dtype of columns read from a file.
TableRead
    A file read as text: the frame and how it was read.
decode_sample
    Decode the first bytes of a text file, guessing its encoding.
check_columns
    Refuse duplicated column names; find blank ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers.common.errors import InputError

__all__ = ["TEXT", "TableRead", "decode_sample", "check_columns"]

#: Text dtype of columns read from CSV: Arrow-backed, NaN for missing (pandas 3's "str").
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


@dataclass
class TableRead:
    """A file read as text: the frame, and how it was read.

    ``row_reasons`` lists rows the reader already knows are bad, as
    ``(positions, reason, detail)``; the loader rejects them first.
    ``row_numbers`` (optional) gives each frame row its ``source_row`` when the
    rows are not numbered 1, 2, 3 ... (a worksheet whose blank rows were
    skipped).  ``vector`` holds the WKB geometries of a vector file read for
    records.
    """

    frame: pd.DataFrame
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    header: bool = True
    notes: list = field(default_factory=list)
    row_reasons: list = field(default_factory=list)
    row_numbers: np.ndarray | None = None
    vector: object = None
    table: object = None  # the pyarrow Table the frame was made from (CSV fast path)


def decode_sample(raw: bytes, encoding):
    """Decode the first bytes of a text file.

    Parameters
    ----------
    raw : bytes
        The sample (it may end inside a multibyte character).
    encoding : str or None
        The encoding given by the user; ``None`` to guess (BOM, UTF-16,
        UTF-8, else Windows-1252).

    Returns
    -------
    (str, str)
        The text and the encoding used.
    """
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


def check_columns(cols, p):
    """Refuse duplicated column names; return the 1-based positions of blank ones.

    Raises
    ------
    InputError
        If a column name is used twice.
    """
    seen, dup = set(), []
    for c in cols:
        if c in seen:
            dup.append(c)
        seen.add(c)
    if dup:
        raise InputError(f"duplicated column name(s) {sorted(set(dup))}", path=p,
                         column=dup[0], fix="rename the columns so each name is used once")
    return [i + 1 for i, c in enumerate(cols) if not str(c).strip()]
