"""Checks that span the files of one layer: repeated ids, and the study area.

:class:`SeenIds` remembers every record key accepted so far, so a record that
repeats one from an earlier file (or earlier in the same file) is rejected as
``duplicate id`` whether the files are loaded together
(:func:`layers.records.load_records`) or one at a time
(:func:`layers.records.iter_records`).

What counts as a duplicate
--------------------------
- police.uk street files: the same Crime ID, month, crime type **and** location
  (longitude/latitude as published).  police.uk gives some crimes one ID at
  several locations; those are different records and are all kept.
- every other file: the same value in the id column (the one mapped to ``id``,
  else the kind's id column found by name, e.g. ``arrest_id``, ``find_id``).
Blank ids (police.uk's anti-social behaviour rows) are never duplicates.

Keys are remembered as two 64-bit hashes from independent seeds (a false match
needs both to collide), the same in every process, with the file and row of
their first occurrence for the message: 24 bytes per distinct key.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from layers.ingest.areas import WORKING_CRS, read_areas
from layers.result import LoadResult

__all__ = ["SeenIds", "StudyArea", "hash_candidates", "blank_ids"]

_KEY = "hotmap-dedupe-k1"  # SipHash key of the portable hash (16 bytes)


_MIX = np.uint64(0x9E3779B97F4A7C15)


def _arrow_text(v, idx=None):
    """The values (at positions ``idx``) as an Arrow string array; missing stays null."""
    import pyarrow as pa

    if isinstance(v, pd.Series):
        v = v.array
    if isinstance(getattr(v, "dtype", None), pd.StringDtype) and v.dtype.storage == "pyarrow":
        arr = pa.array(v)
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        if idx is not None:
            arr = arr.take(pa.array(idx))
        return arr.cast(pa.large_string())
    a = np.asarray(v, dtype=object)
    if idx is not None:
        a = a[idx]
    return pa.array([None if (x is None or x != x) else str(x) for x in a], pa.large_string())


def blank_ids(v) -> np.ndarray:
    """True where an id is missing or only spaces (never a duplicate)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = _arrow_text(v)
    blank = pc.or_kleene(pc.is_null(arr), pc.equal(pc.utf8_trim_whitespace(arr), ""))
    return np.asarray(blank.fill_null(True).to_numpy(zero_copy_only=False), dtype=bool)


_FMIX = (np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
_S33 = np.uint64(33)
_S29 = np.uint64(29)
#: Seeds and multipliers of the two hashes (odd 64-bit constants).
_SEEDS = ((np.uint64(0x243F6A8885A308D3), np.uint64(0x9E3779B97F4A7C15)),
          (np.uint64(0x13198A2E03707345), np.uint64(0xD6E8FEB86659FD93)))


def _fmix(k):
    """MurmurHash3's 64-bit finaliser (a bijection that mixes every bit), in place."""
    k ^= k >> _S33
    k *= _FMIX[0]
    k ^= k >> _S33
    k *= _FMIX[1]
    k ^= k >> _S33
    return k


def _hash_text(arr, null: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two 64-bit hashes of each value of an Arrow string array (no nulls, or ``null``:
    the text a null is hashed as).

    Why by hand: pandas' ``hash_array`` and Python's ``hash`` need a Python string
    per value, which cost more than the rest of the duplicate check; neither
    pyarrow nor numpy offers a hash of an Arrow string array.  The bytes are read
    from the array's buffers, eight at a time, each hash folding them in from its
    own seed and the length (xor, multiply by an odd constant, xor-shift) and
    ending with MurmurHash3's finaliser; strings of one length are hashed together.  The same in every process.  Exactness does not
    rest on it: ``tests/layers/test_records_dedupe_hash.py`` checks the duplicates
    found against pandas' exact ``duplicated`` on the key columns.
    """
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_string())
    n = len(arr)
    nulls = None
    if null is not None and arr.null_count:
        # the nulls take the hash of ``null`` (as if filled with it), and the values are
        # hashed where they lie: filling them first would put ``null``'s bytes between the
        # ids, and ids of one length that lie end to end are hashed without copying
        nulls = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), bool)
    bufs = arr.buffers()
    off = np.frombuffer(bufs[1], np.int64, count=n + 1, offset=arr.offset * 8)
    data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    lens = np.diff(off)
    out1 = np.empty(n, np.uint64)
    out2 = np.empty(n, np.uint64)
    if nulls is not None:
        n1, n2 = _hash_text(pa.array([null], pa.large_string()))
        out1[nulls], out2[nulls] = n1[0], n2[0]
        lens = np.where(nulls, -1, lens)  # -1: no group of lengths
    with np.errstate(over="ignore"):
        for length in np.unique(lens).tolist():
            if length < 0:
                continue
            rows = np.flatnonzero(lens == length)
            width = (length + 7) // 8
            a, b = int(off[rows[0]]), int(off[rows[-1] + 1])
            if length % 8 == 0 and b - a == len(rows) * length:
                # these strings lie end to end (e.g. 64-character Crime IDs between blank
                # ones, which take no bytes): their words are read where they are
                words = data[a:b].reshape(len(rows), length).view("<u8")
            else:
                buf = np.zeros((len(rows), width * 8), np.uint8)
                if length:  # gathered in blocks, so the index arrays stay small
                    step = max(1, (1 << 22) // length)
                    for lo in range(0, len(rows), step):
                        buf[lo:lo + step, :length] = \
                            data[off[rows[lo:lo + step], None] + np.arange(length)]
                words = buf.view("<u8")
            hs = []
            for seed, mult in _SEEDS:
                h = np.full(len(rows), seed ^ np.uint64(length), np.uint64)
                for j in range(width):
                    h ^= words[:, j]
                    h *= mult
                    h ^= h >> _S29
                hs.append(_fmix(h))
            out1[rows], out2[rows] = hs
    return out1, out2


def _hash_keys(cols: dict, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two independent 64-bit hashes per row of the key columns.

    Each column is hashed on its own and the hashes are mixed (multiply and xor, in
    64-bit arithmetic); text by :func:`_hash_text` (the id row by row; columns of few
    values such as month and crime type once per distinct value), float columns
    (coordinates) by their bits with pandas' SipHash-2-4 under a fixed key.  Both
    hashes are the same in every process, so keys from workers can be compared.
    """
    import pyarrow.compute as pc
    from pandas.util import hash_array

    texts, nums = [], []
    for v in cols.values():
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            nums.append(v[idx])
        else:
            texts.append(_arrow_text(v))
    # the first column (the id) is hashed for every row and the candidates' hashes kept
    # (cheaper than gathering their strings first)
    h1, h2 = _hash_text(texts[0], null="\x00null")
    h1, h2 = h1[idx], h2[idx]
    extra = []
    for t in texts[1:]:
        enc = pc.dictionary_encode(t.fill_null("\x00null"))
        d1, d2 = _hash_text(enc.dictionary)
        codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)[idx]
        extra.append((d1[codes], d2[codes]))
    for a in nums:
        ha = hash_array(a, hash_key=_KEY)
        extra.append((ha, ha * np.uint64(0xC2B2AE3D27D4EB4F)))
    with np.errstate(over="ignore"):
        for k, (e1, e2) in enumerate(extra):
            h1 = (h1 ^ (e1 * _MIX)) * np.uint64(2 * k + 3)
            h2 = (h2 ^ (e2 * _MIX)) * np.uint64(2 * k + 5)
    return h1, h2


class SeenIds:
    """Record keys seen so far in a layer, with where each was first seen.

    The keys live in a few sorted numpy arrays of geometrically growing size (a
    log-structured merge), so checking a file costs O(rows log total) and memory
    is 24 bytes per distinct key, however many files came before.
    """

    def __init__(self):
        self._levels: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._files: list[str] = []  # file names (for the details), in file order

    def __len__(self) -> int:
        return sum(len(lv[0]) for lv in self._levels)

    def _lookup(self, q1, q2):
        """Earlier occurrences of the keys ``(q1, q2)``; ``q1`` must be sorted (it walks
        each level's sorted array in order, which keeps the memory access local)."""
        found = np.zeros(len(q1), bool)
        f_no = np.zeros(len(q1), np.int32)
        row = np.zeros(len(q1), np.int64)
        for k1, k2, fn, rw in self._levels:
            pos = np.minimum(np.searchsorted(k1, q1), len(k1) - 1)
            hit = ~found & (k1[pos] == q1) & (k2[pos] == q2)
            found |= hit
            f_no[hit] = fn[pos[hit]]
            row[hit] = rw[pos[hit]]
        return found, f_no, row

    def _insert(self, h1, h2, f_no, rows):
        """Add keys (``h1`` sorted) as a level; merge levels of similar size."""
        self._levels.append((h1, h2, f_no, rows))
        while len(self._levels) > 1 and len(self._levels[-2][0]) <= 2 * len(self._levels[-1][0]):
            b = self._levels.pop()
            a = self._levels.pop()
            merged = [np.concatenate([x, y]) for x, y in zip(a, b)]
            order = np.argsort(merged[0], kind="stable")  # two sorted runs: a linear merge
            self._levels.append(tuple(m[order] for m in merged))

    def check(self, keys: dict, candidate: np.ndarray, file_label: str, rows: np.ndarray,
              label: str):
        """Mark repeats among the ``candidate`` rows and remember the new keys.

        Parameters
        ----------
        keys : dict of name -> array
            The key columns, full length of the file.
        candidate : ndarray of bool
            Rows still accepted whose id is not blank.
        file_label : str
            The file's name, for details.
        rows : ndarray of int
            1-based row numbers, full length.
        label : str
            What was compared, for details ("Reference", "Crime ID, month, ...").

        Returns
        -------
        (dup, detail) : ndarray of bool, ndarray of object
            Full length; ``detail`` names the first occurrence.
        """
        return self.check_hashed(hash_candidates(keys, candidate), file_label, rows, label)

    def check_hashed(self, hashed, file_label: str, rows: np.ndarray, label: str):
        """:meth:`check` on keys already hashed by :func:`hash_candidates` (which needs
        no state, so it can run on another thread)."""
        n, idx, h1, h2 = hashed
        dup = np.zeros(n, bool)
        detail = np.full(n, "", dtype=object)
        if not len(idx):
            return dup, detail
        r = np.asarray(rows)[idx].astype(np.int64)
        m = len(idx)
        # one sort by key: equal keys are adjacent; each group's first row (the smallest
        # position) is moved to the group's start
        order = np.argsort(h1)
        s1 = h1[order]
        start = np.ones(m, bool)
        start[1:] = s1[1:] != s1[:-1]
        bounds = np.flatnonzero(start)
        if len(bounds) < m:  # some keys repeat: put each group's earliest row first
            order = order[np.lexsort((order, np.repeat(np.arange(len(bounds)),
                                                       np.diff(np.r_[bounds, m]))))]
        s2 = h2[order]
        grp = np.cumsum(start) - 1
        g_first = bounds  # sorted positions of each key's first row
        within_s = ~start & (s2 == s2[g_first[grp]])
        f_no = len(self._files)
        self._files.append(Path(file_label).name)
        found, e_file, e_row = self._lookup(s1[g_first], s2[g_first])
        # where each key was first seen: an earlier file, else its first row here
        src_file = np.where(found, e_file, f_no)[grp]
        src_row = np.where(found, e_row, r[order[g_first]])[grp]
        dup_s = within_s | (start & found[grp])
        new = ~found
        if new.any():
            self._insert(s1[g_first][new], s2[g_first][new],
                         np.full(int(new.sum()), f_no, np.int32), r[order[g_first]][new])
        dpos = np.flatnonzero(dup_s)
        rows_dup = idx[order[dpos]]
        dup[rows_dup] = True
        names = self._files
        detail[rows_dup] = [f"same {label} as {names[f]} row {rr}"
                            for f, rr in zip(src_file[dpos].tolist(), src_row[dpos].tolist())]
        return dup, detail


def hash_candidates(keys: dict, candidate: np.ndarray):
    """``(n, positions, h1, h2)``: the two hashes of the candidate rows' keys."""
    idx = np.flatnonzero(candidate)
    if not len(idx):
        e = np.zeros(0, np.uint64)
        return len(candidate), idx, e, e
    h1, h2 = _hash_keys(keys, idx)
    return len(candidate), idx, h1, h2


class StudyArea:
    """The union of the study-area polygons, prepared once for every file of a layer.

    Points on the boundary are inside; points outside get their distance in
    metres (exact for small counts, within 2.5 m above 2,000 distinct places).
    """

    #: Spacing (m) of the boundary vertices used for distances outside the study area.
    DIST_STEP = 5.0

    def __init__(self, study_area):
        import shapely

        if isinstance(study_area, LoadResult):
            study_area = study_area.accepted
        if isinstance(study_area, (list, tuple)) or isinstance(study_area, (str, Path)):
            study_area = read_areas(study_area)
        import sys

        gpd = sys.modules.get("geopandas")
        if gpd is not None and isinstance(study_area, (gpd.GeoDataFrame, gpd.GeoSeries)):
            gs = study_area.geometry if isinstance(study_area, gpd.GeoDataFrame) else study_area
            if gs.crs is None:
                raise InputError("the study area has no CRS", fix="load it with load_boundaries")
            geom = shapely.union_all(gs.to_crs(WORKING_CRS).make_valid().to_numpy())
        else:
            geom = study_area
        if geom is None or geom.is_empty:
            raise InputError("the study area is empty", fix="choose a boundary layer with areas")
        shapely.prepare(geom)
        self.geom = geom
        self._verts = None

    def _distance(self, x, y):
        """Distance (m) from points outside the area to its boundary, to within 2.5 m.

        Exact point-to-polygon distance costs a scan of every boundary vertex per point
        (minutes for a million points); instead the boundary is densified to one vertex
        every 5 m and the nearest vertex is found with a KD-tree.
        """
        import shapely
        from scipy.spatial import cKDTree

        if len(x) < 2_000:  # exact for small counts
            return shapely.distance(self.geom, shapely.points(x, y))
        if self._verts is None:
            rings = shapely.get_rings(shapely.get_parts(self.geom))
            self._verts = cKDTree(shapely.get_coordinates(shapely.segmentize(rings,
                                                                             self.DIST_STEP)))
        d, _ = self._verts.query(np.column_stack([x, y]))
        return d

    def outside(self, ex, ny, live):
        """``(mask, detail)`` of the ``live`` points outside the area."""
        import shapely

        out = np.zeros(len(ex), bool)
        detail = np.full(len(ex), "", dtype=object)
        idx = np.flatnonzero(live)
        if not len(idx):
            return out, detail
        x, y = ex[idx], ny[idx]
        inv, uniq = pd.factorize(x + 1j * y)  # snap points repeat: test each place once
        ux, uy = np.real(uniq), np.imag(uniq)
        inside_u = shapely.intersects_xy(self.geom, ux, uy)  # inside or on the boundary
        if inside_u.all():
            return out, detail
        out_u = np.flatnonzero(~inside_u)
        dist_u = np.zeros(len(uniq))
        dist_u[out_u] = self._distance(ux[out_u], uy[out_u])
        text_u = np.full(len(uniq), "", dtype=object)  # format each distinct place once
        text_u[out_u] = [f"{d:,.0f} m outside the study area" for d in dist_u[out_u]]
        bad = ~inside_u[inv]
        out[idx[bad]] = True
        detail[idx[bad]] = text_u[inv][bad]
        return out, detail
