"""Read area boundaries (GeoPackage, Shapefile, zipped Shapefile, GeoJSON, FlatGeobuf).

Everything is reprojected once, at load time, to British National Grid
(EPSG:27700).  Invalid polygons are repaired (and counted), empty or
non-polygon features are rejected with a reason, and several files are merged
into one layer, refusing duplicate area codes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from boundaries.detect import area_level, detect_code_field, detect_name_field
from layers.common.errors import InputError
from layers.result import REJECT_COLUMNS, LoadResult

__all__ = ["load_boundaries", "WORKING_CRS"]

WORKING_CRS = "EPSG:27700"
#: Longitude/latitude box that contains the UK with room to spare.
_UK_LONLAT = (-11.0, 49.0, 3.0, 61.5)


def _as_list(paths):
    if isinstance(paths, (str, Path)):
        return [paths]
    paths = list(paths)
    if not paths:
        raise InputError("no boundary files given", fix="give at least one boundary file")
    return paths


def load_boundaries(paths, *, layer=None, code_field=None, name_field=None, crs=None,
                    repair=True, allow_duplicate_codes=False) -> LoadResult:
    """Load one or more boundary files as one area layer in EPSG:27700.

    Every keyword can be given in a project file's ``[boundaries.options]`` table.

    Parameters
    ----------
    paths : str, Path or list of them
        Boundary files; several (e.g. the four authorities of a partnership)
        are merged into one layer.
    layer : str, optional
        Layer name inside a multi-layer GeoPackage (required when there are
        several; the error lists them).
    code_field, name_field : str, optional
        Area code and name fields; detected from ONS patterns (``LSOA11CD``,
        ``WD13CD``, ``LAD19CD`` ...) when omitted.
    crs : str, optional
        CRS to assume when a file declares none (a Shapefile without ``.prj``).
    repair : bool
        Repair invalid polygons with ``make_valid`` (default True); when False
        they are rejected with the reason ``invalid geometry``.
    allow_duplicate_codes : bool
        Keep features that repeat an area code (default False: refuse the load).

    Returns
    -------
    LoadResult
        ``accepted`` keeps the files' fields plus ``source_file``;
        ``rejected`` lists features with ``empty geometry``, ``not a polygon``,
        ``invalid geometry`` (a NaN coordinate, or nothing left after repair) or
        ``truncated file`` (areas a cut-short Shapefile should hold: its
        ``.dbf`` or ``.shp`` ends early).
        ``info``: ``code_field``, ``name_field``, ``level``, ``crs`` (source
        CRS per file), ``format``, ``files`` (per-file counts), ``repaired``.

    Raises
    ------
    InputError
        Missing/unknown CRS, longitude/latitude outside the UK, unreadable
        file, missing code field, duplicate codes.
    """
    from layers.ingest.readers import sniff_format
    from layers.ingest.vector import read_vector

    paths = _as_list(paths)
    frames, rejects, messages = [], [], []
    info = {"format": {}, "crs": {}, "files": {}, "repaired": 0}
    rows_read = 0
    first_code = code_field
    for p in paths:
        p = Path(p)
        kind = sniff_format(p)
        if kind in ("csv", "csv.gz", "xlsx"):
            raise InputError(f"this is a table ({kind}), not a boundary file", path=p,
                             fix="load boundaries from GeoPackage, Shapefile, GeoJSON or "
                                 "FlatGeobuf; join tables with join_attributes()")
        gdf, notes, missing = read_vector(p, kind, layer=layer)
        n_missing, why_missing = missing[:2]
        messages.extend(notes)
        n = len(gdf) + n_missing
        rows_read += n
        src_crs = gdf.crs
        if src_crs is None:
            if crs is None:
                raise InputError("the file has no coordinate reference system (a Shapefile "
                                 "without its .prj?)", path=p,
                                 fix="copy the .prj beside the .shp, or pass crs='EPSG:27700' "
                                     "(or the file's real CRS)")
            gdf = gdf.set_crs(crs)
        gdf = gdf.copy()
        gdf["source_file"] = str(p)
        gdf["source_row"] = np.arange(1, len(gdf) + 1)
        acc, rej, repaired = _clean_geometry(gdf, p, repair)
        if len(missing) > 2:  # a cut-short .shp: rows read without their shape
            from layers.ingest.vector import TRUNCATED

            cut = rej["source_row"].isin(np.asarray(missing[2]) + 1) & (
                rej["reason"] == "empty geometry")
            rej.loc[cut, "reason"] = TRUNCATED
            rej.loc[cut, "detail"] = missing[3]
        if n_missing:  # a truncated Shapefile: the areas it should hold but cannot give
            from layers.ingest.vector import TRUNCATED

            tail = pd.DataFrame({"source_file": str(p),
                                 "source_row": np.arange(len(gdf) + 1, n + 1),
                                 "reason": TRUNCATED, "detail": why_missing})
            rej = pd.concat([rej, tail], ignore_index=True) if len(rej) else tail
        info["repaired"] += repaired
        if repaired:
            messages.append(f"{p.name}: {repaired} invalid polygon(s) repaired")
        if len(acc) and acc.crs.is_geographic:
            _check_uk_lonlat(acc, p)
        try:
            acc = acc.to_crs(WORKING_CRS)
        except Exception as exc:
            if crs is None:
                name = acc.crs.name if acc.crs is not None else "?"
                raise InputError(f"the file's CRS ({name}) cannot be converted to British "
                                 f"National Grid ({_first_line(exc)})", path=p,
                                 fix="pass the file's real CRS with crs= (e.g. 'EPSG:27700'); "
                                     "it then replaces the declared one") from None
            acc = acc.set_crs(crs, allow_override=True).to_crs(WORKING_CRS)
            messages.append(f"{p.name}: declared CRS {src_crs.name!r} replaced by {crs}")
        _check_gb_extent(acc, p)
        fcode = code_field or detect_code_field(acc)
        if fcode is None or fcode not in acc.columns:
            raise InputError(
                "no area code field found" if fcode is None else f"no field {fcode!r}", path=p,
                column=fcode,
                fix="pass code_field= naming the field with codes such as E01014485; fields "
                    "are: " + ", ".join(c for c in map(str, acc.columns) if c != "geometry"))
        if first_code is None:
            first_code = fcode
        elif fcode != first_code:
            if area_level(fcode) != area_level(first_code) and code_field is None:
                raise InputError(f"this file holds {area_level(fcode) or fcode} areas but the "
                                 f"first file holds {area_level(first_code) or first_code} "
                                 "areas", path=p, column=fcode,
                                 fix="load different area levels as separate layers")
            if first_code in acc.columns:
                raise InputError(f"this file's code field is {fcode!r} but the first file's is "
                                 f"{first_code!r}", path=p,
                                 fix="pass code_field= to choose one")
            acc = acc.rename(columns={fcode: first_code})
        info["format"][str(p)] = kind
        info["crs"][str(p)] = None if src_crs is None else src_crs.to_string()
        info["files"][str(p)] = {"read": n, "accepted": len(acc), "rejected": len(rej)}
        frames.append(acc)
        rejects.append(rej)
    gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True) if len(frames) > 1
                           else frames[0], geometry="geometry", crs=WORKING_CRS)
    code = first_code
    gdf[code] = gdf[code].astype(str).str.strip().where(gdf[code].notna(), None)
    if not allow_duplicate_codes:
        _refuse_duplicates(gdf, code)
    name = name_field or detect_name_field(gdf, code)
    if name_field and name_field not in gdf.columns:
        raise InputError(f"no field {name_field!r}", column=name_field,
                         fix="pass name_field= naming an existing field")
    rejected = pd.concat([r for r in rejects if len(r)], ignore_index=True) if any(
        len(r) for r in rejects) else rejects[0]
    info.update(code_field=code, name_field=name, level=area_level(code), rows_read=rows_read)
    if len(rejected):
        messages.append("rejected: " + ", ".join(
            f"{k} {v}" for k, v in rejected["reason"].value_counts().items()))
    gdf = gdf.drop(columns="source_row").reset_index(drop=True)
    return LoadResult(accepted=gdf, rejected=rejected, rows_read=rows_read,
                      messages=messages, info=info).check()


def _clean_geometry(gdf, p, repair):
    geoms = gdf.geometry.to_numpy()
    n = len(gdf)
    reason = np.full(n, None, dtype=object)
    detail = np.full(n, "", dtype=object)
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    reason[missing | empty] = "empty geometry"
    detail[missing | empty] = "the feature has no geometry"
    live = ~missing & ~empty
    tid = shapely.get_type_id(geoms)
    poly = np.isin(tid, (3, 6))
    notpoly = live & ~poly
    reason[notpoly] = "not a polygon"
    if notpoly.any():
        names = shapely.geometry.base.GEOMETRY_TYPES
        detail[notpoly] = [f"a {names[t]} in a boundary layer (areas must be polygons)"
                           for t in tid[notpoly]]
    ok = live & poly
    if ok.any():  # GEOS cannot test or repair a ring with a NaN or infinite vertex
        coords, where = shapely.get_coordinates(geoms[ok], return_index=True)
        nonfinite = np.zeros(int(ok.sum()), bool)
        nonfinite[np.unique(where[~np.isfinite(coords).all(axis=1)])] = True
        if nonfinite.any():
            idx = np.flatnonzero(ok)[nonfinite]
            reason[idx] = "invalid geometry"
            detail[idx] = "the polygon has a NaN or infinite coordinate"
            ok[idx] = False
    invalid = ok.copy()
    invalid[ok] = ~shapely.is_valid(geoms[ok])
    repaired = 0
    if invalid.any():
        if repair:
            fixed = shapely.make_valid(geoms[invalid])
            fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
            gone = shapely.is_empty(fixed)
            geoms = geoms.copy()
            geoms[invalid] = fixed
            idx = np.flatnonzero(invalid)
            reason[idx[gone]] = "invalid geometry"
            detail[idx[gone]] = "the polygon is invalid and nothing remained after repair"
            repaired = int((~gone).sum())
        else:
            reason[invalid] = "invalid geometry"
            detail[invalid] = [shapely.is_valid_reason(g) for g in geoms[invalid]]
    keep = pd.isna(reason)
    acc = gdf.loc[keep].copy()
    acc = acc.set_geometry(gpd.GeoSeries(geoms[keep], index=acc.index, crs=gdf.crs))
    rej = pd.DataFrame(gdf.loc[~keep].drop(columns="geometry")).astype(object)
    rej["reason"] = reason[~keep]
    rej["detail"] = detail[~keep]
    rej = rej[REJECT_COLUMNS + [c for c in rej.columns if c not in REJECT_COLUMNS]]
    return acc, rej.reset_index(drop=True), repaired


def _polygonal(g):
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [q for q in getattr(g, "geoms", []) if q.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)


def _check_uk_lonlat(gdf, p):
    x0, y0, x1, y1 = gdf.total_bounds
    bx0, by0, bx1, by1 = _UK_LONLAT
    if x0 < bx0 or x1 > bx1 or y0 < by0 or y1 > by1:
        swapped = by0 <= x0 and x1 <= by1 and bx0 <= y0 and y1 <= bx1
        raise InputError(
            f"longitude/latitude bounds ({x0:.2f}, {y0:.2f}, {x1:.2f}, {y1:.2f}) are not in "
            "the UK" + (" (they look like latitude/longitude swapped)" if swapped else ""),
            path=p,
            fix="check the file's CRS: if the coordinates are metres (e.g. British National "
                "Grid) pass crs='EPSG:27700'" + ("; or swap the axis order when exporting"
                                                  if swapped else ""))


def _check_gb_extent(gdf, p):
    if not len(gdf):
        return
    x0, y0, x1, y1 = gdf.total_bounds
    if x1 < -100_000 or x0 > 800_000 or y1 < -100_000 or y0 > 1_300_000:
        raise InputError(f"the areas lie outside Great Britain after reprojection (bounds "
                         f"{x0:.0f}, {y0:.0f}, {x1:.0f}, {y1:.0f})", path=p,
                         fix="the declared CRS is probably wrong; pass the real one with crs=")


def _refuse_duplicates(gdf, code):
    dup = gdf[code].notna() & gdf[code].duplicated(keep=False)
    if dup.any():
        d = gdf.loc[dup, [code, "source_file"]]
        codes = d[code].unique()
        first = d[d[code] == codes[0]]
        where = "; ".join(f"{Path(f).name}" for f in first["source_file"])
        raise InputError(f"{len(codes)} area code(s) appear more than once (e.g. {codes[0]} "
                         f"in {where})", column=code,
                         fix="remove the overlapping file or features, or pass "
                             "allow_duplicate_codes=True")


def _first_line(exc) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:150] if text else type(exc).__name__
