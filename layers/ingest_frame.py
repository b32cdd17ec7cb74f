"""Turn one file's table into accepted points and rejected rows (vectorised).

Used by :func:`layers.records.load_records`; one :class:`FrameLoader` handles
every file of a layer so they share the kind, CRS and postcode table.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from layers.errors import InputError
from layers.ingest_coords import check_points, looks_lonlat, parse_numbers
from layers.ingest_dates import parse_dates
from layers.ingest_police import (is_police_uk, is_stop_search, police_uk_columns,
                                  stop_search_columns)
from layers.ingest_schemas import DATE_FIELDS, NUMERIC_FIELDS, RECORD_KINDS, map_columns
from layers.result import REJECT_COLUMNS

__all__ = ["FrameLoader", "XY_COLUMNS"]

WORKING_CRS = "EPSG:27700"
#: Coordinate columns (British National Grid metres) of a coordinate-only layer.
XY_COLUMNS = ("bng_x", "bng_y")


def _is_geoframe(frame) -> bool:
    """A GeoDataFrame, without importing geopandas when no reader has done so."""
    gpd = sys.modules.get("geopandas")
    return gpd is not None and isinstance(frame, gpd.GeoDataFrame)


def xy_names(taken) -> tuple[str, str]:
    """Names for the coordinate columns that no file column already uses."""
    taken = set(map(str, taken))
    names, k = XY_COLUMNS, 0
    while names[0] in taken or names[1] in taken:
        k += 1
        names = (f"{XY_COLUMNS[0]}_{k}", f"{XY_COLUMNS[1]}_{k}")
    return names


class _Reasons:
    """First-reason-wins rejection bookkeeping for one file.

    The reason and detail arrays are allocated on the first rejection, and a
    boolean mask tracks which rows already have one, so a clean million-row
    file costs no object arrays and no scans of them.
    """

    def __init__(self, n):
        self.n = n
        self.taken = np.zeros(n, bool)
        self._reason = None
        self._detail = None

    def _arrays(self):
        if self._reason is None:
            self._reason = np.full(self.n, None, dtype=object)
            self._detail = np.full(self.n, "", dtype=object)
        return self._reason, self._detail

    def add(self, mask, reason, detail=""):
        mask = np.asarray(mask, bool) & ~self.taken
        if not mask.any():
            return
        r, d = self._arrays()
        r[mask] = reason
        d[mask] = detail[mask] if isinstance(detail, np.ndarray) else detail
        self.taken |= mask

    def add_array(self, reason_arr, detail_arr, where=None):
        m = pd.notna(reason_arr) & ~self.taken
        if where is not None:
            m &= where
        if not m.any():
            return
        r, d = self._arrays()
        r[m] = reason_arr[m]
        d[m] = detail_arr[m]
        self.taken |= m

    @property
    def ok(self):
        return ~self.taken

    @property
    def reason(self):
        return self._arrays()[0]

    @property
    def detail(self):
        return self._arrays()[1]


class FrameLoader:
    """Shared settings for the files of one record layer."""

    def __init__(self, *, kind, crs, pc_table, coordinates, geometry=True):
        if kind not in RECORD_KINDS:
            raise InputError(f"unknown record kind {kind!r}",
                             fix=f"use one of {', '.join(sorted(RECORD_KINDS))}")
        if coordinates not in ("auto", "bng", "lonlat", "xy", "postcode"):
            raise InputError(f"unknown coordinates option {coordinates!r}",
                             fix="use auto, bng, lonlat, xy or postcode")
        self.kind = kind
        self.crs = crs
        self.pc_table = pc_table
        self.coordinates = coordinates
        self.geometry = geometry

    # ------------------------------------------------------------------ main
    def load(self, frame, path: Path, fmt: str, overrides: dict):
        n = len(frame)
        messages = []
        src = str(path)
        is_vector = _is_geoframe(frame)
        cols = [c for c in frame.columns if c != "geometry"] if is_vector else list(frame.columns)
        police = (not is_vector) and is_police_uk(cols)
        stops = (not is_vector) and not police and is_stop_search(cols)
        kind = self.kind
        if kind == "generic" and (police or stops):
            kind = "police_uk" if police else "stop_search"
        mapping = map_columns(cols, kind, overrides, path=src)
        extra = {}
        passthrough = {}  # canonical text columns that are unchanged copies of a file column
        finfo_pass = passthrough
        if police:
            pol = police_uk_columns(frame)
            pmap = pol.pop("_mapping")
            for k, v in pmap.items():
                mapping.setdefault(k, v)
            mapping.setdefault("id", pmap.get("crime_id"))
            extra.update(pol)
            del pol
            passthrough.update({k: pmap[k] for k in extra if k in pmap and k != "period"})
            passthrough["period"] = pmap["period"]
        if stops:
            st = stop_search_columns(frame)
            smap = st.pop("_mapping")
            for k, v in smap.items():
                mapping.setdefault(k, v)
            extra.update(st)
            del st
            passthrough.update({k: smap[k] for k in extra if k in smap})
        reasons = _Reasons(n)
        finfo = {"police_uk": police, "stop_search": stops, "messages": messages,
                 "date_formats": [], "_pass": finfo_pass}
        withheld = ("police.uk publishes no location for this crime" if police else
                    "police.uk publishes no location for this search" if stops else None)
        if is_vector:
            ex, ny, system, crs = self._vector_points(frame, path, reasons, messages)
        else:
            ex, ny, system, crs = self._table_points(frame, path, mapping, reasons, withheld,
                                                     messages)
        finfo["coordinates"] = system
        finfo["crs"] = crs
        canon = self._canonical(frame, mapping, kind, reasons, extra, finfo)
        extra.clear()
        ok = np.asarray(reasons.ok, bool)
        allok = bool(ok.all())
        base = frame.drop(columns="geometry") if is_vector else frame
        rej = pd.DataFrame(base.loc[~ok]).reset_index(drop=True)
        other = [c for c in rej.columns if not isinstance(rej[c].dtype, pd.StringDtype)]
        if other:  # text stays Arrow text; anything else (vector attributes) becomes objects
            rej[other] = rej[other].astype(object).where(rej[other].notna(), None)
        # Filter column by column, dropping each original as soon as its filtered copy
        # exists (``frame`` belongs to the loader), so peak memory stays near one copy.
        shared = {}
        for k, src_col in passthrough.items():
            shared.setdefault(src_col, []).append(k)
        data, canon_data = {}, {}
        for c in list(base.columns):
            arr = base[c].array
            filt = arr if allok else arr[ok]
            data[c] = filt
            for k in shared.pop(c, []):
                canon_data[k] = filt
                canon[k] = None
            if not allok and not is_vector:
                del arr
                del base[c]
        # one category instead of a million copies of the path (fast, small, and
        # compares with == like text)
        data["source_file"] = pd.Categorical.from_codes(np.zeros(int(ok.sum()), np.int8), [src])
        data["source_row"] = np.flatnonzero(ok) + 1
        for k, v in canon.items():
            if k in canon_data:
                data[k] = canon_data[k]
                continue
            arr = v.array if isinstance(v, pd.Series) else np.asarray(v)
            data[k] = arr if allok else arr[ok]
        if self.geometry:
            import geopandas as gpd

            data["geometry"] = gpd.points_from_xy(ex[ok], ny[ok], crs=WORKING_CRS)
            acc = gpd.GeoDataFrame(pd.DataFrame(data, copy=False), geometry="geometry",
                                   crs=WORKING_CRS, copy=False)
        else:  # coordinate-only: no shapely points are built (see load_records)
            xn, yn = xy_names(data)
            data[xn], data[yn] = (ex, ny) if allok else (ex[ok], ny[ok])
            acc = pd.DataFrame(data, copy=False)
            acc.attrs["xy_columns"] = (xn, yn)
        bad_idx = np.flatnonzero(~ok)
        if is_vector and len(bad_idx):
            import shapely

            wkt = shapely.to_wkt(frame.geometry.to_numpy()[~ok], rounding_precision=6)
            rej["geometry_wkt"] = wkt
        if allok:
            rej.insert(0, "detail", np.array([], dtype=object))
            rej.insert(0, "reason", np.array([], dtype=object))
        else:
            rej.insert(0, "detail", reasons.detail[~ok])
            rej.insert(0, "reason", reasons.reason[~ok])
        rej.insert(0, "source_row", bad_idx + 1)
        rej.insert(0, "source_file", src)
        rej = rej[REJECT_COLUMNS + [c for c in rej.columns if c not in REJECT_COLUMNS]]
        finfo["mapping"] = {k: v for k, v in mapping.items() if v is not None}
        finfo.pop("_pass", None)
        return acc, rej, finfo

    # ----------------------------------------------------------- locations
    def _vector_points(self, gdf, path, reasons, messages):
        import shapely

        geoms = gdf.geometry.to_numpy()
        crs = gdf.crs
        if crs is None:
            if self.crs is None:
                raise InputError("the file has no coordinate reference system (a Shapefile "
                                 "without its .prj?)", path=path,
                                 fix="copy the .prj beside it, or pass crs='EPSG:27700' "
                                     "(or the file's CRS)")
            crs = self.crs
        missing = shapely.is_missing(geoms)
        empty = ~missing & shapely.is_empty(geoms)
        reasons.add(missing, "no coordinates", "the feature has no geometry")
        reasons.add(empty, "empty geometry", "the feature's geometry is empty")
        live = ~missing & ~empty
        types = shapely.get_type_id(geoms)
        notpoint = live & (types != 0)
        pts = geoms.copy()
        if notpoint.any():
            pts[notpoint] = shapely.point_on_surface(shapely.make_valid(geoms[notpoint]))
            messages.append(f"{path.name}: {int(notpoint.sum())} non-point features placed at "
                            "a point on their surface")
        multi = live & (types == 4)
        if multi.any():
            messages.append(f"{path.name}: {int(multi.sum())} multipoints placed at one point")
        x = np.full(len(gdf), np.nan)
        y = np.full(len(gdf), np.nan)
        x[live] = shapely.get_x(shapely.get_point(pts[live], 0)) if multi.any() else \
            shapely.get_x(pts[live])
        y[live] = shapely.get_y(shapely.get_point(pts[live], 0)) if multi.any() else \
            shapely.get_y(pts[live])
        from pyproj import CRS

        c = CRS.from_user_input(crs)
        if c.is_engineering or not (c.is_geographic or c.is_projected):
            if self.crs is None:
                raise InputError(f"the file's CRS ({c.name}) cannot be converted to British "
                                 "National Grid", path=path,
                                 fix="pass the real CRS with crs=; it replaces the declared one")
            c = CRS.from_user_input(self.crs)
            messages.append(f"{path.name}: declared CRS replaced by {self.crs}")
        if c.equals(CRS.from_epsg(27700)):
            system, label = "bng", "EPSG:27700"
        elif c.equals(CRS.from_epsg(4326)) or c.equals(CRS.from_epsg(4258)) or \
                c.equals(CRS.from_user_input("OGC:CRS84")):
            system, label = "lonlat", "EPSG:4326"
        else:
            system, label = "crs", c.to_string()
        from pyproj.exceptions import ProjError

        try:
            ex, ny, r, d = check_points(x, y, system=system,
                                        crs=c.to_wkt() if system == "crs" else None)
        except ProjError as exc:  # a damaged .prj can parse yet not transform
            raise InputError(f"the file's CRS ({c.name}) cannot be converted to British "
                             f"National Grid ({exc})", path=path,
                             fix="pass the real CRS with crs=, or repair the .prj file") from None
        reasons.add_array(r, d, where=live)
        return ex, ny, f"geometry ({label})", label

    def _table_points(self, frame, path, mapping, reasons, withheld, messages):
        n = len(frame)
        mode = self.coordinates
        have_xy = "x" in mapping and "y" in mapping
        have_ll = "lon" in mapping and "lat" in mapping
        have_pc = "postcode" in mapping and self.pc_table is not None
        if mode == "auto":
            mode = "lonlat" if have_ll else "xy" if have_xy else "postcode" if have_pc else None
        if mode is None:
            if "postcode" in mapping:
                raise InputError(f"the file has a postcode column ({mapping['postcode']!r}) "
                                 "but no postcode table was given", path=path,
                                 fix="pass postcode_table= (Code-Point Open or the ONS "
                                     "Postcode Directory)")
            raise InputError("no location columns found (looked for easting/northing, x/y, "
                             "longitude/latitude and postcode)", path=path,
                             fix="name the columns with columns={'x': ..., 'y': ...}, "
                                 "{'lon': ..., 'lat': ...} or {'postcode': ...}; columns are: "
                                 + ", ".join(map(str, list(frame.columns)[:20])))
        ex = np.full(n, np.nan)
        ny = np.full(n, np.nan)
        if mode == "postcode":
            if not have_pc:
                raise InputError("coordinates='postcode' needs a postcode column and "
                                 "postcode_table=", path=path, fix="give both")
            done = np.zeros(n, bool)
            system, label = "postcode", "EPSG:27700"
        else:
            need = ("lon", "lat") if mode == "lonlat" else ("x", "y")
            for k in need:
                if k not in mapping:
                    raise InputError(f"no {k} column", path=path, fix=f"map it with columns="
                                     f"{{'{k}': 'COLUMN'}}")
            xs, ys = frame[mapping[need[0]]], frame[mapping[need[1]]]
            x, xbad = parse_numbers(xs)
            y, ybad = parse_numbers(ys)
            unp = xbad | ybad
            blank = (np.isnan(x) | np.isnan(y)) & ~unp
            if mode in ("xy", "bng") and self.crs is None and looks_lonlat(x, y):
                system, label = "lonlat", "EPSG:4326"
                messages.append(f"{path.name}: x/y values look like longitude/latitude; read "
                                "as WGS84 (pass crs= to override)")
            elif mode == "lonlat":
                system, label = "lonlat", "EPSG:4326"
            elif self.crs is None or _is_bng(self.crs):
                system, label = "bng", "EPSG:27700"
            else:
                system, label = "crs", str(self.crs)
            done = ~blank
            col = mapping[need[0]] if xbad.any() else mapping[need[1]]
            reasons.add(unp, "unparseable coordinate",
                        f"a value in {col!r} or its pair is not a number")
            ex, ny, r, d = check_points(np.where(unp, np.nan, x), np.where(unp, np.nan, y),
                                        system=system, crs=self.crs)
            reasons.add_array(r, d, where=done & ~unp)
            _systematic(r[done & ~unp], path, label, mapping, need, messages)
            if withheld:  # police.uk files leave out some locations on purpose
                reasons.add(blank, "no location published", withheld)
        if have_pc:
            need_pc = ~done & reasons.ok
            if need_pc.any():
                from layers.ingest_postcodes import geocode_postcodes

                px, py, found, pblank = geocode_postcodes(
                    frame[mapping["postcode"]].loc[need_pc], self.pc_table)
                sub_x = ex[need_pc]
                sub_y = ny[need_pc]
                sub_x[found] = px[found]
                sub_y[found] = py[found]
                ex[need_pc], ny[need_pc] = sub_x, sub_y
                nf = np.zeros(n, bool)
                nf[np.flatnonzero(need_pc)[~found & ~pblank]] = True
                nb = np.zeros(n, bool)
                nb[np.flatnonzero(need_pc)[pblank]] = True
                reasons.add(nf, "postcode not found",
                            f"not in {self.pc_table.source}; check the postcode or use a "
                            "newer postcode table")
                reasons.add(nb, "no coordinates", "no coordinates and no postcode")
                messages.append(f"{path.name}: {int(found.sum())} rows placed by postcode, "
                                f"{int(nf.sum())} postcodes not found")
                if system != "postcode":
                    system = f"{system} + postcode"
        else:
            reasons.add(~done, "no coordinates", "the location columns are blank")
        return ex, ny, system, label

    # ----------------------------------------------------------- attributes
    def _canonical(self, frame, mapping, kind, reasons, extra, finfo):
        n = len(frame)
        out = {}
        fields = set(RECORD_KINDS[kind]) | {"date"}
        for f in sorted(fields):
            src = mapping.get(f)
            if f in DATE_FIELDS:
                if src is None:
                    out[f] = pd.Series(np.full(n, np.datetime64("NaT"), "datetime64[ns]"))
                    continue
                parsed, bad, detail, fmts = parse_dates(frame[src])
                finfo["date_formats"].extend(fmts)
                reasons.add(bad, "unparseable date", _prefixed(detail, bad, src))
                out[f] = parsed
            elif f in NUMERIC_FIELDS:
                if src is None:
                    out[f] = np.full(n, np.nan)
                    continue
                num, bad = parse_numbers(frame[src])
                reasons.add(bad, "unparseable number", f"column {src!r} is not a number")
                out[f] = num
            elif src is not None:
                out[f] = frame[src]
                finfo["_pass"][f] = src
            else:
                out[f] = pd.Series([None] * n, dtype=object)
        coord_keys = {"x", "y", "lon", "lat", "postcode", "id"}
        for f, src in mapping.items():
            if f in out or f in coord_keys or f in extra or src is None or src not in frame:
                continue
            if f in DATE_FIELDS or f.endswith(("_date", "_at")):
                parsed, bad, detail, fmts = parse_dates(frame[src])
                finfo["date_formats"].extend(fmts)
                reasons.add(bad, "unparseable date", _prefixed(detail, bad, src))
                out[f] = parsed
            else:
                out[f] = frame[src]
                finfo["_pass"][f] = src
        out.update(extra)
        if "period" in extra and "date" in out:
            out["date"] = pd.Series(out["date"]).dt.to_period("M").dt.start_time \
                .astype("datetime64[ns]")
        return out


def _is_bng(crs) -> bool:
    from pyproj import CRS

    try:
        return CRS.from_user_input(crs).equals(CRS.from_epsg(27700))
    except Exception:
        raise InputError(f"unknown CRS {crs!r}", fix="use an EPSG code such as 'EPSG:27700'") \
            from None


def _systematic(reason, path, label, mapping, need, messages):
    """Add a file-level hint when most placed rows fail the same way (a CRS or column mix-up)."""
    n = len(reason)
    if n == 0:
        return
    r = pd.Series(reason, dtype=object)
    far = r.isin(["outside GB", "in the sea"]).sum()
    swapped = (r == "swapped axes").sum()
    cols = f"{mapping[need[0]]!r}/{mapping[need[1]]!r}"
    if far > n / 2:
        messages.append(f"{path.name}: {far:,} of {n:,} rows fall outside Great Britain when "
                        f"{cols} are read as {label}; the file probably uses another CRS (pass "
                        "crs=) or the wrong columns were chosen (columns=)")
    if swapped > 0.9 * n:
        messages.append(f"{path.name}: {swapped:,} of {n:,} rows have {cols} the wrong way "
                        f"round; map them the other way with columns={{'{need[0]}': "
                        f"{mapping[need[1]]!r}, '{need[1]}': {mapping[need[0]]!r}}}")


def _prefixed(detail, bad, src):
    """Prefix the column name to the details of bad rows only (no loop over good rows)."""
    out = np.full(len(detail), "", dtype=object)
    idx = np.flatnonzero(bad)
    if len(idx):
        out[idx] = f"column {src!r}: " + pd.Series(detail[idx], dtype=object)
    return out
