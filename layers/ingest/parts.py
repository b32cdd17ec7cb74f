"""One file's accepted and rejected rows as columns, and joining the files' parts.

:func:`layers.records.load_records` reads the files one at a time
(:func:`layers.records.iter_records`); each file's rows stay as columns (Arrow text
columns as they came from the reader) until all the files are read, then one
frame is built: a frame per monthly file and ``pandas.concat`` of them cost more
than the checks themselves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.ingest.table import TEXT
from layers.result import REJECT_COLUMNS

__all__ = ["Part", "Rejected", "XY_COLUMNS", "xy_names", "join_parts", "join_rejected",
           "concat_accepted", "concat_rejected"]

WORKING_CRS = "EPSG:27700"
#: Coordinate columns (British National Grid metres) of a coordinate-only layer.
XY_COLUMNS = ("bng_x", "bng_y")


def xy_names(taken) -> tuple[str, str]:
    """Names for the coordinate columns that no file column already uses."""
    taken = set(map(str, taken))
    names, k = XY_COLUMNS, 0
    while names[0] in taken or names[1] in taken:
        k += 1
        names = (f"{XY_COLUMNS[0]}_{k}", f"{XY_COLUMNS[1]}_{k}")
    return names


class Part:
    """One file's accepted rows as columns, before they become a frame.

    :func:`layers.records.load_records` joins the parts of all the files column by column
    and builds one frame (and one array of points) at the end: a frame per monthly file,
    then ``pandas.concat`` of them, cost more than the checks themselves.
    """

    def __init__(self, data: dict, x: np.ndarray, y: np.ndarray):
        self.data, self.x, self.y = data, x, y

    def __len__(self) -> int:
        return len(self.x)

    def __contains__(self, col) -> bool:
        return col in self.data

    def __getitem__(self, col):
        return pd.Series(_as_pandas(self.data[col]))

    def frame(self, geometry: bool):
        """The part as the frame :func:`layers.records.iter_records` yields."""
        data = {k: _as_pandas(v) for k, v in self.data.items()}
        if geometry:
            import geopandas as gpd

            data["geometry"] = gpd.points_from_xy(self.x, self.y, crs=WORKING_CRS)
            return gpd.GeoDataFrame(pd.DataFrame(data, copy=False), geometry="geometry",
                                    crs=WORKING_CRS, copy=False)
        xn, yn = xy_names(data)
        data[xn], data[yn] = self.x, self.y
        out = pd.DataFrame(data, copy=False)
        out.attrs["xy_columns"] = (xn, yn)
        return out


class Rejected:
    """One file's rejected rows as columns (``REJECT_COLUMNS`` first), before they become a
    frame; joined with the other files' by :func:`layers.records.load_records`."""

    def __init__(self, data: dict):
        self.data = data

    def __len__(self) -> int:
        return len(self.data["source_row"])

    @property
    def columns(self):
        return list(self.data)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: _as_pandas(v) for k, v in self.data.items()},
                            columns=list(self.data), copy=False)


def _as_pandas(v):
    """A pandas array from an Arrow text column (kept as Arrow while parts are joined)."""
    import sys

    pa = sys.modules.get("pyarrow")
    if pa is not None and isinstance(v, (pa.Array, pa.ChunkedArray)):
        if pa.types.is_string(v.type) or pa.types.is_large_string(v.type):
            return pd.array(v, dtype=TEXT)
        return pd.Series(v.to_pandas()).array
    return v


def join_parts(parts, keys, geometry):
    """One accepted frame from the files' parts (:class:`layers.ingest.frame.Part`).

    Parts with the same columns and dtypes (monthly files of one source) are joined column
    by column without copying text; others go through ``pandas.concat``.  Every part's
    ``source_file`` becomes one categorical over all the files.
    """
    live = [p for p in parts if len(p)] or parts[:1]
    codes = []
    for p in live:
        cats = p.data["source_file"].categories
        code = keys.index(str(cats[0])) if len(cats) else 0
        codes.append(np.full(len(p), code, np.int32))
    first = live[0].data
    same = all(list(p.data) == list(first) and all(
        _kind(p.data[c]) == _kind(first[c]) for c in first if c != "source_file")
        for p in live[1:])
    if not same:
        frames = []
        for p, c in zip(live, codes):
            f = p.frame(geometry)
            f["source_file"] = pd.Categorical.from_codes(c, keys)
            frames.append(f)
        return concat_accepted(frames, geometry)
    data = {}
    for c in list(first):
        if c == "source_file":
            data[c] = pd.Categorical.from_codes(np.concatenate(codes), keys)
            continue
        arrs = [p.data[c] for p in live]
        a0 = arrs[0]
        if len(arrs) == 1:
            data[c] = a0
        elif _is_arrow(a0):  # the files' Arrow text columns: one chunked column, no copy
            import pyarrow as pa

            data[c] = pa.chunked_array([ch for a in arrs for ch in (
                a.chunks if isinstance(a, pa.ChunkedArray) else [a])], type=a0.type)
        elif isinstance(a0, pd.api.extensions.ExtensionArray):
            data[c] = type(a0)._concat_same_type(arrs)  # Arrow text: chunks, not copies
        else:
            data[c] = np.concatenate([np.asarray(a) for a in arrs])
        del arrs, a0
        for p in live:  # each file's copy goes once its column is joined: memory stays
            del p.data[c]  # near one copy of the layer, not two
        _give_back()
    x = np.concatenate([p.x for p in live])
    for p in live:
        p.x = None
    _give_back()
    y = np.concatenate([p.y for p in live])
    for p in live:
        p.y = None
    _give_back()
    return Part(data, x, y).frame(geometry)


def _give_back():
    """Return freed memory to the system (glibc's ``malloc_trim``) where there is one.

    Each file's columns are small enough to live in the C heap, and the heap keeps
    what they free; the joined columns are new large blocks.  Without giving the
    files' memory back as each column is joined, the peak would be two copies of the
    layer (1.3 GB instead of 0.7 GB for ten million records).
    """
    global _TRIM
    if _TRIM is None:
        try:
            import ctypes

            _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc: nothing to do
            _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM = None


def join_rejected(parts):
    """One rejected table from the files' parts (frames, or columns still in Arrow)."""
    live = [p for p in parts if len(p)]
    if not live:
        return concat_rejected([])
    if all(isinstance(p, Rejected) for p in live):
        first = live[0].data
        if all(list(p.data) == list(first) and all(_kind(p.data[c]) == _kind(first[c])
                                                   for c in first) for p in live[1:]):
            joined = {}
            for c in first:
                arrs = [p.data[c] for p in live]
                if len(arrs) == 1:
                    joined[c] = arrs[0]
                elif _is_arrow(arrs[0]):
                    import pyarrow as pa

                    joined[c] = pa.chunked_array([ch for a in arrs for ch in (
                        a.chunks if isinstance(a, pa.ChunkedArray) else [a])],
                        type=arrs[0].type)
                else:
                    joined[c] = np.concatenate([np.asarray(a) for a in arrs])
            return concat_rejected([Rejected(joined).frame()])
    return concat_rejected([p.frame() if isinstance(p, Rejected) else p for p in live])


def _kind(a):
    return str(getattr(a, "type", None) if _is_arrow(a) else getattr(a, "dtype", type(a)))


def _is_arrow(a) -> bool:
    import sys

    pa = sys.modules.get("pyarrow")
    return pa is not None and isinstance(a, (pa.Array, pa.ChunkedArray))


def concat_accepted(parts, geometry=True):
    parts = [p for p in parts if len(p)] or parts[:1]
    if not geometry:
        # files may name their coordinate columns differently (a file with its own
        # bng_x column): put every part's coordinates under names free in all of them
        names = xy_names(set().union(*(set(p.columns) - set(p.attrs["xy_columns"])
                                       for p in parts)))
        parts = [p if tuple(p.attrs["xy_columns"]) == names else
                 p.rename(columns=dict(zip(p.attrs["xy_columns"], names))) for p in parts]
        out = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True, sort=False)
        out.attrs["xy_columns"] = names
        return out
    import geopandas as gpd

    if len(parts) == 1:
        out = parts[0]
    else:
        out = pd.concat(parts, ignore_index=True, sort=False)
    if not isinstance(out, gpd.GeoDataFrame) or out.crs is None:
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=WORKING_CRS, copy=False)
    return out


def concat_rejected(parts):
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS})
    out = pd.concat(parts, ignore_index=True, sort=False) if len(parts) > 1 else parts[0]
    cols = REJECT_COLUMNS + [c for c in out.columns if c not in REJECT_COLUMNS]
    return out[cols].reset_index(drop=True)


