"""Read area boundaries (GeoPackage, Shapefile, zipped Shapefile, GeoJSON, FlatGeobuf).

Everything is reprojected once, at load time, to British National Grid
(EPSG:27700).  Invalid polygons are repaired (and counted), empty or
non-polygon features are rejected with a reason, and several files are merged
into one layer, refusing duplicate area codes.  Reading one polygon file is
:func:`layers.ingest.areas.read_area_file`; this module adds the area codes and
names and merges the files.  geopandas loads on first use (start-up time).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from boundaries.detect import area_level, detect_code_field, detect_name_field
from layers.common.errors import InputError
from layers.ingest.areas import WORKING_CRS, as_paths, read_area_file
from layers.result import LoadResult

__all__ = ["load_boundaries", "WORKING_CRS"]


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
    paths = as_paths(paths)
    frames, rejects, messages = [], [], []
    info = {"format": {}, "crs": {}, "files": {}, "repaired": 0}
    rows_read = 0
    first_code = code_field
    for p in paths:
        f = read_area_file(p, layer=layer, crs=crs, repair=repair)
        messages.extend(f.messages)
        rows_read += f.rows_read
        info["repaired"] += f.repaired
        acc, first_code = _code_field(f.accepted, f.path, code_field, first_code)
        key = str(f.path)
        info["format"][key] = f.kind
        info["crs"][key] = None if f.crs is None else f.crs.to_string()
        info["files"][key] = {"read": f.rows_read, "accepted": len(acc),
                              "rejected": len(f.rejected)}
        frames.append(acc)
        rejects.append(f.rejected)
    gdf, name = _merge(frames, first_code, name_field, allow_duplicate_codes)
    rejected = pd.concat([r for r in rejects if len(r)], ignore_index=True) if any(
        len(r) for r in rejects) else rejects[0]
    info.update(code_field=first_code, name_field=name, level=area_level(first_code),
                rows_read=rows_read)
    if len(rejected):
        messages.append("rejected: " + ", ".join(
            f"{k} {v}" for k, v in rejected["reason"].value_counts().items()))
    gdf = gdf.drop(columns="source_row").reset_index(drop=True)
    return LoadResult(accepted=gdf, rejected=rejected, rows_read=rows_read,
                      messages=messages, info=info).check()


def _code_field(acc, p, code_field, first_code):
    """The file's area code field, renamed to the first file's; returns ``(acc, first_code)``."""
    fcode = code_field or detect_code_field(acc)
    if fcode is None or fcode not in acc.columns:
        raise InputError(
            "no area code field found" if fcode is None else f"no field {fcode!r}", path=p,
            column=fcode,
            fix="pass code_field= naming the field with codes such as E01014485; fields "
                "are: " + ", ".join(c for c in map(str, acc.columns) if c != "geometry"))
    if first_code is None:
        return acc, fcode
    if fcode != first_code:
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
    return acc, first_code


def _merge(frames, code, name_field, allow_duplicate_codes):
    """The files' areas as one GeoDataFrame with clean codes; returns ``(gdf, name field)``."""
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True) if len(frames) > 1
                           else frames[0], geometry="geometry", crs=WORKING_CRS)
    gdf[code] = gdf[code].astype(str).str.strip().where(gdf[code].notna(), None)
    if not allow_duplicate_codes:
        _refuse_duplicates(gdf, code)
    name = name_field or detect_name_field(gdf, code)
    if name_field and name_field not in gdf.columns:
        raise InputError(f"no field {name_field!r}", column=name_field,
                         fix="pass name_field= naming an existing field")
    return gdf, name


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
