"""Where each record is: coordinates from columns, a vector geometry, or a postcode.

Used by :class:`layers.ingest.frame.FrameLoader`.  Each function fills the
loader's rejection bookkeeping and returns British National Grid coordinates
(NaN where a row is rejected).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from layers.ingest.coords import check_points, looks_lonlat, parse_numbers
from layers.ingest.postcodes import geocode_postcodes
from layers.ingest.vector import TRUNCATED, wkb_points

__all__ = ["vector_points", "table_points"]


def _crs_system(c):
    from pyproj import CRS

    if c.equals(CRS.from_epsg(27700)):
        return "bng", "EPSG:27700"
    if c.equals(CRS.from_epsg(4326)) or c.equals(CRS.from_epsg(4258)) or \
            c.equals(CRS.from_user_input("OGC:CRS84")):
        return "lonlat", "EPSG:4326"
    return "crs", c.to_string()


def vector_points(vt, path: Path, user_crs, reasons, messages):
    """One point per feature of a :class:`~layers.ingest.vector.VectorTable`.

    Plain 2-D points are decoded from their WKB with numpy (bit-identical to
    shapely's reading); only other geometries (polygons and lines, placed at a
    point on their surface; multipoints, at their first point; 3-D points) are
    built as shapely objects.

    Returns
    -------
    (ex, ny, system, crs_label)
    """
    import shapely

    n = len(vt)
    crs = vt.crs
    if crs is None:
        if user_crs is None:
            raise InputError("the file has no coordinate reference system (a Shapefile "
                             "without its .prj?)", path=path,
                             fix="copy the .prj beside it, or pass crs='EPSG:27700' "
                                 "(or the file's CRS)")
        crs = user_crs
    if vt.cut_rows is not None and len(vt.cut_rows):
        cut = np.zeros(n, bool)
        cut[vt.cut_rows[vt.cut_rows < n]] = True
        reasons.add(cut, TRUNCATED, vt.cut_detail)
    x, y, plain = wkb_points(vt.geom)
    missing = vt.is_null() if vt.geom.null_count else np.zeros(n, bool)
    other = ~plain & ~missing
    with np.errstate(invalid="ignore"):  # NaN coordinates are reported below, not warned
        geoms = shapely.from_wkb(vt.wkb_at(other), on_invalid="ignore") if other.any() \
            else np.array([], dtype=object)
    sub_missing = shapely.is_missing(geoms)
    missing[np.flatnonzero(other)[sub_missing]] = True  # WKB GDAL wrote but GEOS refuses
    sub_empty = ~sub_missing & shapely.is_empty(geoms)
    empty = np.zeros(n, bool)
    empty[np.flatnonzero(other)[sub_empty]] = True
    empty |= plain & np.isnan(x) & np.isnan(y)  # POINT EMPTY is NaN, NaN in WKB
    reasons.add(missing, "no coordinates", "the feature has no geometry")
    reasons.add(empty, "empty geometry", "the feature's geometry is empty")
    live_sub = ~sub_missing & ~sub_empty
    if live_sub.any():
        g = geoms[live_sub]
        idx = np.flatnonzero(other)[live_sub]
        coords, where = shapely.get_coordinates(g, return_index=True)
        nonfinite = np.zeros(len(g), bool)
        bad = ~np.isfinite(coords).all(axis=1)
        nonfinite[np.unique(where[bad])] = True
        nf = np.zeros(n, bool)
        nf[idx[nonfinite]] = True
        reasons.add(nf, "unparseable coordinate",
                    "the geometry has a NaN or infinite coordinate")
        g, idx = g[~nonfinite], idx[~nonfinite]
        types = shapely.get_type_id(g)
        notpoint = (types != 0) & (types != 4)
        pts = g.copy()
        if notpoint.any():
            pts[notpoint] = shapely.point_on_surface(shapely.make_valid(g[notpoint]))
            messages.append(f"{path.name}: {int(notpoint.sum())} non-point features placed at "
                            "a point on their surface")
        multi = types == 4
        if multi.any():
            messages.append(f"{path.name}: {int(multi.sum())} multipoints placed at one point")
            pts[multi] = shapely.get_geometry(pts[multi], 0)
        ok_pts = ~shapely.is_empty(pts) & ~shapely.is_missing(pts)
        x[idx[ok_pts]] = shapely.get_x(pts[ok_pts])
        y[idx[ok_pts]] = shapely.get_y(pts[ok_pts])
        lost = np.zeros(n, bool)
        lost[idx[~ok_pts]] = True
        reasons.add(lost, "empty geometry", "the feature's geometry is empty")
    live = ~reasons.taken
    half = live & (np.isnan(x) ^ np.isnan(y)) | live & (np.isinf(x) | np.isinf(y))
    reasons.add(half, "unparseable coordinate", "the geometry has a NaN or infinite coordinate")
    live &= ~half
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    if c.is_engineering or not (c.is_geographic or c.is_projected):
        if user_crs is None:
            raise InputError(f"the file's CRS ({c.name}) cannot be converted to British "
                             "National Grid", path=path,
                             fix="pass the real CRS with crs=; it replaces the declared one")
        c = CRS.from_user_input(user_crs)
        messages.append(f"{path.name}: declared CRS replaced by {user_crs}")
    system, label = _crs_system(c)
    from pyproj.exceptions import ProjError

    xs, ys = np.where(live, x, np.nan), np.where(live, y, np.nan)
    try:
        ex, ny, r, d = check_points(xs, ys, system=system,
                                    crs=c.to_wkt() if system == "crs" else None)
    except ProjError as exc:  # a damaged .prj can parse yet not transform
        raise InputError(f"the file's CRS ({c.name}) cannot be converted to British "
                         f"National Grid ({exc})", path=path,
                         fix="pass the real CRS with crs=, or repair the .prj file") from None
    reasons.add_array(r, d, where=live)
    return ex, ny, f"geometry ({label})", label


def table_points(frame, path, mapping, reasons, withheld, messages, *, mode, user_crs,
                 pc_table):
    """Place the rows of a text table by x/y, lon/lat or postcode columns.

    Returns
    -------
    (ex, ny, system, crs_label)
    """
    n = len(frame)
    have_xy = "x" in mapping and "y" in mapping
    have_ll = "lon" in mapping and "lat" in mapping
    have_pc = "postcode" in mapping and pc_table is not None
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
        if mode in ("xy", "bng") and user_crs is None and looks_lonlat(x, y):
            system, label = "lonlat", "EPSG:4326"
            messages.append(f"{path.name}: x/y values look like longitude/latitude; read "
                            "as WGS84 (pass crs= to override)")
        elif mode == "lonlat":
            system, label = "lonlat", "EPSG:4326"
        elif user_crs is None or _is_bng(user_crs):
            system, label = "bng", "EPSG:27700"
        else:
            system, label = "crs", str(user_crs)
        done = ~blank
        col = mapping[need[0]] if xbad.any() else mapping[need[1]]
        reasons.add(unp, "unparseable coordinate",
                    f"a value in {col!r} or its pair is not a number")
        ex, ny, r, d = check_points(np.where(unp, np.nan, x), np.where(unp, np.nan, y),
                                    system=system, crs=user_crs)
        reasons.add_array(r, d, where=done & ~unp)
        _systematic(r[done & ~unp], path, label, mapping, need, messages)
        if withheld:  # police.uk files leave out some locations on purpose
            reasons.add(blank, "no location published", withheld)
    if have_pc:
        need_pc = ~done & reasons.ok
        if need_pc.any():
            px, py, found, pblank = geocode_postcodes(
                frame[mapping["postcode"]].loc[need_pc], pc_table)
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
                        f"not in {pc_table.source}; check the postcode or use a "
                        "newer postcode table")
            reasons.add(nb, "no coordinates", "no coordinates and no postcode")
            messages.append(f"{path.name}: {int(found.sum())} rows placed by postcode, "
                            f"{int(nf.sum())} postcodes not found")
            if system != "postcode":
                system = f"{system} + postcode"
    else:
        reasons.add(~done, "no coordinates", "the location columns are blank")
    return ex, ny, system, label


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
    far = int(np.count_nonzero((reason == "outside GB") | (reason == "in the sea")))
    swapped = int(np.count_nonzero(reason == "swapped axes"))
    cols = f"{mapping[need[0]]!r}/{mapping[need[1]]!r}"
    if far > n / 2:
        messages.append(f"{path.name}: {far:,} of {n:,} rows fall outside Great Britain when "
                        f"{cols} are read as {label}; the file probably uses another CRS (pass "
                        "crs=) or the wrong columns were chosen (columns=)")
    if swapped > 0.9 * n:
        messages.append(f"{path.name}: {swapped:,} of {n:,} rows have {cols} the wrong way "
                        f"round; map them the other way with columns={{'{need[0]}': "
                        f"{mapping[need[1]]!r}, '{need[1]}': {mapping[need[0]]!r}}}")
