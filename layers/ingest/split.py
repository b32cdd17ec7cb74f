"""One checked file split into its accepted rows and its rejected rows.

:class:`layers.ingest.frame.FrameLoader` decides, row by row, what is wrong
(:class:`~layers.ingest.reasons.Reasons`); :func:`split_rows` then builds the
two tables in three stages: split the file's columns (on the reader's Arrow
table in C++ when there is one, else column by column so that peak memory
stays near one copy), assemble the accepted layer (points, coordinate-only
columns, or a :class:`~layers.ingest.parts.Part` joined later), and assemble
the rejected table (reason and detail first, the original values after).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.ingest.parts import Part, Rejected, xy_names
from layers.ingest.table import TEXT
from layers.result import REJECT_COLUMNS

__all__ = ["split_rows", "own_name"]

WORKING_CRS = "EPSG:27700"


def own_name(col):
    """A file column's name in the accepted table: ours win ``source_file``/``source_row``."""
    return f"{col} (file)" if col in ("source_file", "source_row") else col


def split_rows(read, frame, vt, path, reasons, canon, passthrough, ex, ny, rows, *,
               raw=False, geometry=True, kept=None):
    """Split one file into ``(accepted, rejected)``.

    Parameters
    ----------
    read : layers.ingest.table.TableRead
        The file as read; its ``frame`` and ``table`` are released here.
    frame : DataFrame
        The file's columns (owned by the loader: emptied as they are split).
    vt : layers.ingest.vector.VectorTable or None
        The geometries of a vector file (rejected rows keep them as WKT).
    path : Path
        The file.
    reasons : Reasons
        Why each row is rejected (``reasons.ok``: the rows kept).
    canon : dict
        The canonical columns (``date``, ``id`` ...) by name.
    passthrough : dict
        Canonical columns that are a file column as it stands, ``{name: column}``.
    ex, ny : ndarray
        Easting and northing of every row (EPSG:27700).
    rows : ndarray
        ``source_row`` of every row.
    raw : bool
        Give the accepted rows as a :class:`Part` (and the rejected ones as a
        :class:`Rejected`), joined with the other files' by the loader.
    geometry : bool
        Build points (a GeoDataFrame); else coordinate columns.
    kept : callable, optional
        With ``raw``: ``kept(names)`` gives the accepted columns the caller keeps of
        ``names`` (None: all); the others are left out of the accepted rows instead of
        being split out and dropped (the rejected rows keep every column).
    """
    src = str(path)
    ok = np.asarray(reasons.ok, bool)
    allok = bool(ok.all())
    if raw and kept is not None:
        names = {own_name(c) for c in frame.columns} | {"source_file", "source_row"} | set(canon)
        kept = kept(names)
    else:
        kept = None
    data, canon_data, rej = _split_columns(read, frame, ok, allok, canon, passthrough, raw,
                                           kept)
    if kept is not None:  # canonical columns the caller drops are not split out either
        canon = {k: v for k, v in canon.items() if k in kept}
    acc = _accepted(data, canon_data, canon, ok, allok, src, rows, ex, ny, raw, geometry)
    return acc, _rejected(rej, vt, ok, allok, src, rows, reasons)


def _split_columns(read, base, ok, allok, canon, passthrough, raw, kept=None):
    """The accepted rows' columns ``data`` (file names), the canonical columns that are file
    columns ``canon_data``, and the rejected rows (a frame, or Arrow columns when raw); with
    ``kept`` (a set of names), only the file columns that give one of those."""
    table = getattr(read, "table", None)
    shared = {}
    for k, src_col in passthrough.items():
        shared.setdefault(src_col, []).append(k)
    data, canon_data = {}, {}
    if table is not None and not allok:
        # the reader's Arrow table: split all columns at once in C++
        import pyarrow as pa

        tm = {pa.string(): TEXT, pa.large_string(): TEXT}.get
        rej_tab = table.filter(pa.array(~ok))
        rej = None if raw else rej_tab.to_pandas(types_mapper=tm, split_blocks=True)
        if kept is not None:  # only the columns the caller keeps (see split_rows)
            need = [c for c in base.columns if own_name(c) in kept
                    or any(k in kept for k in shared.get(c, ()))]
            table = table.select([table.column_names.index(c) for c in need])
            for c in base.columns:
                if c not in need:
                    shared.pop(c, None)
        acc_tab = table.filter(pa.array(ok))
        read.table = table = None
        if raw:  # Arrow columns as they are: converted once, for all the files
            cols = {c: acc_tab.column(c) for c in acc_tab.column_names}
        else:
            acc_cols = acc_tab.to_pandas(types_mapper=tm, split_blocks=True)
            cols = {c: acc_cols[c].array for c in acc_cols.columns}
            del acc_cols
        del acc_tab
        for c in [c for c in base.columns if c in cols]:
            data[own_name(c)] = cols[c]
            for k in shared.pop(c, []):
                canon_data[k] = data[own_name(c)]
                canon[k] = None
        del cols
    else:
        rej = pd.DataFrame(base.loc[~ok]).reset_index(drop=True)
        # Filter column by column, dropping each original as soon as its filtered copy
        # exists (``frame`` belongs to the loader), so peak memory stays near one copy.
        for c in list(base.columns):
            arr = base[c].array
            filt = arr if allok else arr[ok]
            data[own_name(c)] = filt
            for k in shared.pop(c, []):
                canon_data[k] = filt
                canon[k] = None
            if not allok:
                del arr
                del base[c]
    if rej is None:  # raw: the rejected rows' Arrow columns, joined at the end
        rej = {c: rej_tab.column(c) for c in rej_tab.column_names}
        del rej_tab
    other = [] if isinstance(rej, dict) else \
        [c for c in rej.columns if not isinstance(rej[c].dtype, pd.StringDtype)]
    if other:  # text stays Arrow text; anything else (vector attributes) becomes objects
        rej[other] = rej[other].astype(object).where(rej[other].notna(), None)
    read.frame = None
    read.table = None
    return data, canon_data, rej


def _accepted(data, canon_data, canon, ok, allok, src, rows, ex, ny, raw, geometry):
    """The accepted layer: a Part (raw), points (geometry) or coordinate columns."""
    # one category instead of a million copies of the path (fast, small, and
    # compares with == like text)
    data["source_file"] = pd.Categorical.from_codes(np.zeros(int(ok.sum()), np.int8), [src])
    data["source_row"] = rows[ok]
    for k, v in canon.items():
        if k in canon_data:
            data[k] = canon_data[k]
            continue
        arr = v.array if isinstance(v, pd.Series) else np.asarray(v)
        data[k] = arr if allok else arr[ok]
    if raw:  # load_records builds one frame for all the files (see Part)
        return Part(data, ex if allok else ex[ok], ny if allok else ny[ok])
    if geometry:
        import geopandas as gpd

        data["geometry"] = gpd.points_from_xy(ex[ok], ny[ok], crs=WORKING_CRS)
        return gpd.GeoDataFrame(pd.DataFrame(data, copy=False), geometry="geometry",
                                crs=WORKING_CRS, copy=False)
    # coordinate-only: no shapely points are built (see load_records)
    xn, yn = xy_names(data)
    data[xn], data[yn] = (ex, ny) if allok else (ex[ok], ny[ok])
    acc = pd.DataFrame(data, copy=False)
    acc.attrs["xy_columns"] = (xn, yn)
    return acc


def _rejected(rej, vt, ok, allok, src, rows, reasons):
    """The rejected table: file, row, reason and detail, then the file's own columns."""
    bad_idx = np.flatnonzero(~ok)
    if vt is not None and len(bad_idx):
        import shapely

        with np.errstate(invalid="ignore"):
            geoms = shapely.from_wkb(vt.wkb_at(~ok), on_invalid="ignore")
        wkt = np.full(len(geoms), None, dtype=object)
        live = ~shapely.is_missing(geoms)
        if live.any():
            wkt[live] = shapely.to_wkt(geoms[live], rounding_precision=6)
        rej["geometry_wkt"] = wkt
    head = {"source_file": np.full(len(bad_idx), src, dtype=object),
            "source_row": rows[bad_idx],
            "reason": np.array([], dtype=object) if allok else reasons.reason[~ok],
            "detail": np.array([], dtype=object) if allok else reasons.detail[~ok]}
    # a file column named like ours keeps its values under another name
    if isinstance(rej, dict):
        body = {(f"{c} (file)" if c in head else c): v for c, v in rej.items()}
        return Rejected({**head, **body})
    body = {(f"{c} (file)" if c in head else c): rej[c].array for c in rej.columns}
    return pd.DataFrame({**head, **body}, columns=REJECT_COLUMNS + list(body), copy=False)
