"""Coordinate parsing and plausibility checks for Great Britain (vectorised).

Checks, in order, each giving a rejection reason:

- ``"no coordinates"``: both blank.
- ``"unparseable coordinate"``: a value that is not a number (thousands
  separators such as ``358,123`` are accepted), or only one of the pair.
- ``"zero coordinates"``: exactly 0,0 (a common null written as a number).
- ``"swapped axes"``: the pair is implausible as given but plausible with the
  axes exchanged (latitude in the longitude column, or easting/northing reversed).
- ``"outside GB"``: outside the British National Grid extent.
- ``"in the sea"``: inside the grid but far off the coast.

The land mask (``gb_land_mask.geojson``, EPSG:27700) is the public-domain Natural
Earth 1:110m United Kingdom polygon (Great Britain and Northern Ireland; the
Republic of Ireland is excluded) buffered by 20 km, plus boxes for Shetland,
Orkney, the Outer Hebrides, the Isles of Scilly and the Isle of Man, simplified
to 2 km.  It is deliberately generous: every Code-Point Open BS postcode and every
England and Wales LSOA passes (a real-data test checks this), and only points
clearly at sea are refused.  It is looked up through a 1 km grid, so checking a
million points costs a few array lookups.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd

import shapely

__all__ = ["parse_numbers", "lonlat_to_bng", "check_points", "land_mask", "GB_BOUNDS",
           "looks_lonlat"]

#: British National Grid extent used for plausibility (metres).
GB_BOUNDS = (-50_000.0, -20_000.0, 700_000.0, 1_250_000.0)
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def parse_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse text to float64.

    Returns
    -------
    numbers : ndarray of float64
        NaN for blanks and failures.
    bad : ndarray of bool
        True where a non-blank value is not a number.
    """
    s = pd.Series(values, copy=False)
    if pd.api.types.is_numeric_dtype(s):
        v = s.to_numpy(dtype="float64", na_value=np.nan)
        return v, np.zeros(len(v), bool)
    fast = _arrow_numbers(s)
    if fast is not None:
        return fast, np.zeros(len(fast), bool)
    num = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64")
    blank = s.isna().to_numpy()
    bad = np.isnan(num) & ~blank
    if bad.any():
        sub = s[bad].astype(str).str.strip()
        blank_sub = sub.eq("") | sub.str.lower().isin(["nan", "na", "n/a", "null", "none", "-"])
        fixed = sub.where(~sub.str.match(_THOUSANDS), sub.str.replace(",", "", regex=False))
        fixed_num = pd.to_numeric(fixed, errors="coerce").to_numpy(dtype="float64")
        idx = np.flatnonzero(bad)
        num[idx] = fixed_num
        still = np.isnan(fixed_num) & ~blank_sub.to_numpy()
        bad[idx] = still
    bad &= True
    num[~np.isfinite(num)] = np.nan
    return num, bad


def _arrow_numbers(s):
    """Cast Arrow-backed text straight to float64; None if any value does not parse."""
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        out = pc.cast(pa.array(s.array), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return None
    v = np.array(out.to_numpy(zero_copy_only=False), dtype="float64")
    v[~np.isfinite(v)] = np.nan
    return v


@functools.lru_cache(maxsize=1)
def land_mask():
    """A prepared, coarse, generous Great Britain land polygon in EPSG:27700."""
    import json

    path = Path(__file__).with_name("gb_land_mask.geojson")
    data = json.loads(path.read_text())
    geom = shapely.geometry.shape(data["features"][0]["geometry"])
    shapely.prepare(geom)
    return geom


_CELL = 1000.0
_GRID_SHAPE = (int((GB_BOUNDS[3] - GB_BOUNDS[1]) // _CELL) + 1,
               int((GB_BOUNDS[2] - GB_BOUNDS[0]) // _CELL) + 1)
_land_state = None  # int8 per 1 km cell: -1 not yet tested, 0 sea, 1 land


def _land_cells(cells):
    """Land (True) or sea for flat 1 km cell indices.  A cell is land if the mask
    covers its centre; each cell is tested once, when a point first falls in it, so a
    layer costs a test per distinct cell it touches rather than a rasterised country."""
    global _land_state
    state = _land_state
    if state is None:
        state = _land_state = np.full(_GRID_SHAPE[0] * _GRID_SHAPE[1], -1, np.int8)
    known = state[cells]  # O(points), not a scan of the whole grid per call
    unknown = known < 0
    if not unknown.any():
        return known == 1
    # the distinct new cells, by marking them on the grid (a scan of its million
    # cells is cheaper than hashing a million point cells)
    mark = np.zeros(len(state), bool)
    mark[cells[unknown]] = True
    new = np.flatnonzero(mark)
    i, j = np.divmod(new, _GRID_SHAPE[1])
    cx = GB_BOUNDS[0] + (j + 0.5) * _CELL
    cy = GB_BOUNDS[1] + (i + 0.5) * _CELL
    state[new] = shapely.contains_xy(land_mask(), cx, cy)  # same value in any thread
    return state[cells] == 1


def _on_land(x, y):
    x0, y0, x1, y1 = GB_BOUNDS
    out = np.zeros(len(x), bool)
    ok = np.isfinite(x) & np.isfinite(y) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    if ok.any():
        xs, ys = (x, y) if ok.all() else (x[ok], y[ok])
        # the cell of each point, in place (floor division as before, int32 indices:
        # the grid has under a million cells); the fewer temporaries of a million
        # points, the fewer page faults
        ci = np.subtract(ys, y0)
        np.floor_divide(ci, _CELL, out=ci)
        np.minimum(ci, _GRID_SHAPE[0] - 1, out=ci)
        cj = np.subtract(xs, x0)
        np.floor_divide(cj, _CELL, out=cj)
        np.minimum(cj, _GRID_SHAPE[1] - 1, out=cj)
        ci *= _GRID_SHAPE[1]
        ci += cj
        cells = ci.astype(np.int32)
        if ok.all():
            return _land_cells(cells)
        out[ok] = _land_cells(cells)
    return out


def _in_bounds(x, y):
    x0, y0, x1, y1 = GB_BOUNDS
    return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


def lonlat_to_bng(lon, lat):
    """Project WGS84 longitude/latitude arrays to British National Grid."""
    t = _transformer("EPSG:4326", "EPSG:27700")
    return t.transform(lon, lat)


def _transformer(src, dst):
    """A cached transformer for this thread: pyproj's are not safe to share between
    threads, and the desktop app loads layers on worker threads."""
    import threading

    return _transformer_for(src, dst, threading.get_ident())


@functools.lru_cache(maxsize=32)
def _transformer_for(src, dst, _thread):
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def looks_lonlat(a, b) -> bool:
    """True if most finite pairs look like GB longitude/latitude (either order)."""
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() == 0:
        return False
    a, b = a[ok], b[ok]
    small = (np.abs(a) <= 180) & (np.abs(b) <= 90) & ~((a == 0) & (b == 0))
    return small.mean() > 0.9


def _each_place_once(transform, x, y):
    """``transform(x, y)`` computed once per distinct place: police.uk snaps records to
    shared points (half the rows of a month repeat a place), and a projection is the
    costliest step of checking a row.  The results are the same doubles."""
    if len(x) < 64:
        return transform(x, y)
    inv, uniq = pd.factorize(x + 1j * y)
    if transform is lonlat_to_bng:  # the places of earlier files are remembered
        ux, uy = _PLACES.transform(uniq)
        return ux[inv], uy[inv]
    if len(uniq) > 0.8 * len(x):
        return transform(x, y)
    ux, uy = transform(np.real(uniq), np.imag(uniq))
    return np.asarray(ux)[inv], np.asarray(uy)[inv]


class _PlaceCache:
    """British National Grid coordinates of the longitude/latitude places projected so far
    (police.uk publishes the same snapped map points every month, so a year of monthly
    files projects each place once).  Lookups are pandas hash tables on the places read
    as complex numbers; new places wait in a second, smaller table that is merged into
    the first when it grows to a quarter of it.  At most :attr:`LIMIT` places are kept
    (then it starts again).  The coordinates are the same doubles pyproj gives."""

    LIMIT = 4_000_000

    def __init__(self):
        import threading

        self._lock = threading.Lock()
        self._clear()

    def _clear(self):
        empty = pd.Index(np.zeros(0, np.complex128))
        self._tables = [[empty, np.zeros(0), np.zeros(0)], [empty, np.zeros(0), np.zeros(0)]]

    def transform(self, places: np.ndarray):
        with self._lock:
            out_x = np.full(len(places), np.nan)
            out_y = np.full(len(places), np.nan)
            todo = np.ones(len(places), bool)
            for index, tx, ty in self._tables:
                if not len(index) or not todo.any():
                    continue
                pos = index.get_indexer(places[todo])
                hit = pos >= 0
                where = np.flatnonzero(todo)[hit]
                out_x[where], out_y[where] = tx[pos[hit]], ty[pos[hit]]
                todo[where] = False
            if todo.any():
                new = places[todo]
                nx, ny = lonlat_to_bng(np.real(new), np.imag(new))
                nx, ny = np.asarray(nx, float), np.asarray(ny, float)
                out_x[todo], out_y[todo] = nx, ny
                self._add(new, nx, ny)
            return out_x, out_y

    def _add(self, keys, x, y):
        main, pend = self._tables
        if len(main[0]) + len(pend[0]) + len(keys) > self.LIMIT:
            self._clear()
            main, pend = self._tables
        pend[:] = [pend[0].append(pd.Index(keys)), np.r_[pend[1], x], np.r_[pend[2], y]]
        if len(pend[0]) * 4 > len(main[0]):
            main[:] = [main[0].append(pend[0]), np.r_[main[1], pend[1]], np.r_[main[2], pend[2]]]
            empty = pd.Index(np.zeros(0, np.complex128))
            pend[:] = [empty, np.zeros(0), np.zeros(0)]


_PLACES = _PlaceCache()


def check_points(x, y, *, system, crs=None):
    """Validate coordinate pairs and return BNG coordinates and reasons.

    Parameters
    ----------
    x, y : ndarray of float
        Eastings/northings (``system='bng'``), longitudes/latitudes
        (``system='lonlat'``), or x/y in ``crs`` (``system='crs'``).
    system : {'bng', 'lonlat', 'crs'}
    crs : str, optional
        Source CRS for ``system='crs'``.

    Returns
    -------
    ex, ny : ndarray of float
        Coordinates in EPSG:27700 (NaN where rejected).
    reason : ndarray of object
        None where accepted, else the rejection reason.  When no pair is rejected,
        a read-only array of None (a broadcast view: no million-slot array to fill).
    detail : ndarray of object
        Likewise ``""`` where accepted.
    """
    n = len(x)
    rejected = []  # (mask, reason, detail); the masks are disjoint
    zero = (x == 0) & (y == 0)
    rejected.append((zero, "zero coordinates", "the coordinates are 0,0 (a blank written as "
                     "zero)"))
    live = np.isfinite(x) & np.isfinite(y) & ~zero
    every = bool(live.all())
    ex = ny = None
    if system == "lonlat":
        rng = (np.abs(x) <= 180) & (np.abs(y) <= 90)
        rejected.append((live & ~rng, "unparseable coordinate",
                         "longitude must be within ±180 and latitude within ±90"))
        live &= rng
        every = bool(live.all())
        transform = lonlat_to_bng
    elif system == "crs":
        t = _transformer(str(crs), "EPSG:27700")
        transform = t.transform
    if system in ("lonlat", "crs"):
        if every:
            ex, ny = (np.asarray(v, float) for v in _each_place_once(transform, x, y))
        else:
            ex, ny = np.full(n, np.nan), np.full(n, np.nan)
            ex[live], ny[live] = _each_place_once(transform, x[live], y[live])
    elif every:
        ex, ny = np.array(x, float), np.array(y, float)
    else:
        ex, ny = np.full(n, np.nan), np.full(n, np.nan)
        ex[live], ny[live] = x[live], y[live]
    good = live & _in_bounds(ex, ny)
    if good.all():
        good = _on_land(ex, ny)
    else:
        good[good] = _on_land(ex[good], ny[good])
    cand = live & ~good
    swap_ok = np.zeros(n, bool)
    if cand.any():
        sx = np.full(n, np.nan)
        sy = np.full(n, np.nan)
        if system == "lonlat":
            rs = cand & (np.abs(y) <= 180) & (np.abs(x) <= 90)
            sx[rs], sy[rs] = lonlat_to_bng(y[rs], x[rs])
        elif system == "crs":
            sx[cand], sy[cand] = t.transform(y[cand], x[cand])
        else:
            sx[cand], sy[cand] = y[cand], x[cand]
        sw = cand & _in_bounds(sx, sy)
        sw[sw] = _on_land(sx[sw], sy[sw])
        swap_ok = sw
    names = {"lonlat": ("longitude", "latitude"), "bng": ("easting", "northing")}.get(
        system, ("x", "y"))
    rejected.append((swap_ok, "swapped axes",
                     f"the {names[0]} and {names[1]} look exchanged; swap the column "
                     "mapping (columns=) or fix the file"))
    rest = cand & ~swap_ok
    out = rest & ~_in_bounds(ex, ny)
    rejected.append((out, "outside GB",
                     "the point is outside Great Britain (check the CRS and the columns)"))
    rejected.append((rest & ~out, "in the sea",
                     "the point is more than about 20 km off the coast of Great Britain"))
    if not good.all():
        ex[~good] = np.nan
        ny[~good] = np.nan
    rejected = [r for r in rejected if r[0].any()]
    if not rejected:
        return ex, ny, np.broadcast_to(np.array(None, object), (n,)), \
            np.broadcast_to(np.array("", object), (n,))
    reason = np.full(n, None, dtype=object)
    detail = np.full(n, "", dtype=object)
    for mask, why, said in rejected:
        reason[mask] = why
        detail[mask] = said
    return ex, ny, reason, detail
