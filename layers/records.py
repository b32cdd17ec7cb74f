"""Read record files (CSV/TSV, XLSX, GeoPackage, Shapefile, GeoJSON) as one point layer.

:func:`load_records` is the single entry point.  It reads every file, maps
columns to the canonical names of the record kind, places each row (BNG
eastings/northings, x/y in a stated CRS, WGS84 longitude/latitude, or a
postcode looked up in a user-supplied table), parses dates, and returns a
:class:`~layers.result.LoadResult` in which every row read is either accepted
or rejected with a reason.  Helpers live in ``layers/ingest_*.py``.

Rejection reasons: ``no coordinates``, ``unparseable coordinate``,
``zero coordinates``, ``swapped axes``, ``outside GB``, ``in the sea``,
``postcode not found``, ``no location published`` (police.uk),
``unparseable date``, ``unparseable number``, ``duplicate id``,
``empty geometry``, ``outside study area``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from layers.errors import InputError
from layers.ingest_readers import read_table
from layers.ingest_schemas import RECORD_KINDS
from layers.result import REJECT_COLUMNS, LoadResult

__all__ = ["load_records", "RECORD_KINDS"]

WORKING_CRS = "EPSG:27700"
_ALIAS_KEYS = {"easting": "x", "northing": "y", "longitude": "lon", "latitude": "lat",
               "long": "lon", "lng": "lon"}


def _as_list(paths):
    if isinstance(paths, (str, Path)):
        return [paths]
    paths = list(paths)
    if not paths:
        raise InputError("no files given", fix="give at least one record file")
    return paths


def _normalise_overrides(columns, frame_cols):
    out = {}
    for k, v in dict(columns or {}).items():
        k = _ALIAS_KEYS.get(str(k).lower(), str(k))
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            if not 1 <= v <= len(frame_cols):
                raise InputError(f"column number {v} for {k!r} is out of range "
                                 f"(the file has {len(frame_cols)} columns)", column=str(v),
                                 fix="column numbers count from 1")
            v = frame_cols[v - 1]
        out[k] = v
    return out


def load_records(paths, *, kind="generic", columns=None, crs=None, postcode_table=None,
                 study_area=None, header=True, column_names=None, sheet=None, layer=None,
                 delimiter=None, encoding=None, postcode_columns=None, coordinates="auto",
                 dedupe=True, geometry=True) -> LoadResult:
    """Load record files as one point layer in EPSG:27700, rejecting nothing silently.

    Every keyword can be given in a project file's ``[records.options]`` table.

    Parameters
    ----------
    paths : str, Path or list of them
        Files forming one layer (e.g. twelve monthly police.uk CSVs); each
        accepted and rejected row keeps ``source_file`` and ``source_row``
        (1-based data row, header excluded).
    kind : str
        Record kind, a key of :data:`RECORD_KINDS`: ``generic``, ``arrests``
        (= ``offences``), ``needles``, ``crack_houses``, ``services``,
        ``seizures``.  police.uk street and stop-and-search CSVs are recognised by their header
        whatever the kind.  The kind's canonical columns are always added
        (NaN/NaT when the file has no such column).
    columns : dict, optional
        ``{canonical: file column}`` overriding the automatic mapping, e.g.
        ``{"x": "EAST", "y": "NORTH", "date": "Occurred"}``.  Coordinate keys
        are ``x``/``y`` (or ``easting``/``northing``), ``lon``/``lat``,
        ``postcode``; ``id`` names the column checked for duplicates.  A value
        may be a 1-based column number (useful with ``header=False``).
    crs : str, optional
        CRS of ``x``/``y`` columns or of a vector file without one (default:
        British National Grid for x/y; WGS84 for lon/lat).
    postcode_table : str, Path, list, DataFrame or PostcodeTable, optional
        Code-Point Open, ONS Postcode Directory or a simple postcode CSV; rows
        without coordinates are placed by postcode.
    study_area : GeoDataFrame, GeoSeries, LoadResult, shapely geometry or path(s), optional
        Records outside the union of these areas are rejected (``outside study
        area``, with the distance in metres in ``detail``; exact for small counts,
        within 2.5 m above 2,000 distinct places).  Points on the boundary are inside.
    header : bool
        Whether CSV/XLSX files have a header row (default True).  Headerless
        columns are named ``col1``, ``col2`` ... unless ``column_names`` is given.
    column_names : list of str or path, optional
        Names for headerless columns, or a CSV file holding them.
    sheet : str or int, optional
        XLSX worksheet (default the first).
    layer : str, optional
        Layer of a multi-layer GeoPackage.
    delimiter, encoding : str, optional
        Override the detected CSV delimiter and encoding (UTF-8 with or without
        BOM, else Windows-1252 are detected).
    postcode_columns : list of str or path, optional
        Column names of a headerless postcode table (Code-Point Open's names are
        read from the ``*column_headers*.csv`` file beside it automatically).
    coordinates : {'auto', 'bng', 'lonlat', 'xy', 'postcode'}
        Force where locations come from (default: detect).
    dedupe : bool
        Reject repeated non-blank ids (``duplicate id``) after the first.
    geometry : bool
        ``True`` (default): ``accepted`` is a GeoDataFrame of shapely points.
        ``False``: a coordinate-only layer for analyses that need nothing but
        coordinates (e.g. ``hotmap kde``): a plain DataFrame whose British
        National Grid eastings and northings are the float columns named in
        ``accepted.attrs["xy_columns"]`` (``bng_x``, ``bng_y`` unless the file
        already uses those names).  Building a million shapely points costs
        about half a second; the checks, rejections and counts are identical.
        :func:`layers.points.points_xy` reads the coordinates of either form.

    Returns
    -------
    LoadResult
        ``accepted``: GeoDataFrame of points in EPSG:27700 (or, with
        ``geometry=False``, the coordinate-only DataFrame above) with the original
        columns, ``source_file``, ``source_row``, ``date`` and the kind's
        canonical columns.  ``rejected``: ``source_file, source_row, reason,
        detail`` and the original fields.  ``info``: ``format`` (per file),
        ``kind``, ``police_uk``, ``coordinates``, ``crs``, ``column_mapping``,
        ``files`` (per-file read/accepted/rejected), ``date_formats``,
        ``time_span`` (first and last date), ``postcode_table``.

    Raises
    ------
    InputError
        A file that cannot be read or has no usable location columns; the
        message names the file, column and the fix.
    """
    from layers.ingest_frame import FrameLoader

    paths = _as_list(paths)
    pc_table = None
    if postcode_table is not None:
        from layers.ingest_postcodes import load_postcode_table

        pc_table = load_postcode_table(postcode_table, column_names=postcode_columns)
    area = _study_area(study_area)
    loader = FrameLoader(kind=kind, crs=crs, pc_table=pc_table, coordinates=coordinates,
                         geometry=geometry)
    parts_acc, parts_rej, files, messages = [], [], {}, []
    rows_read = 0
    original_cols = set()
    info = {"kind": kind, "format": {}, "column_mapping": {}, "coordinates": {}, "crs": {},
            "police_uk": False, "stop_search": False, "date_formats": [], "postcode_table":
            None if pc_table is None else pc_table.source}
    for p in paths:
        p = Path(p)
        read = read_table(p, header=header, column_names=column_names, sheet=sheet,
                          delimiter=delimiter, encoding=encoding, layer=layer)
        messages.extend(read.notes)
        frame = read.frame
        if len(frame) == 0:
            messages.append(f"{p.name}: no data rows (header only)")
        overrides = _normalise_overrides(columns, [str(c) for c in frame.columns
                                                   if c != "geometry"])
        original_cols.update(str(c) for c in frame.columns if c != "geometry")
        n_read = len(frame)
        acc, rej, finfo = loader.load(frame, p, read.format, overrides)
        del frame  # the loader has dropped the columns it copied
        read.frame = None
        messages.extend(finfo.pop("messages", []))
        rows_read += n_read
        key = str(p)
        info["format"][key] = read.format + (f" ({read.encoding}, delimiter {read.delimiter!r})"
                                             if read.delimiter else "")
        info["column_mapping"][key] = finfo["mapping"]
        info["coordinates"][key] = finfo["coordinates"]
        info["crs"][key] = finfo["crs"]
        info["police_uk"] = info["police_uk"] or finfo["police_uk"]
        info["stop_search"] = info["stop_search"] or finfo["stop_search"]
        info["date_formats"] = sorted(set(info["date_formats"]) | set(finfo["date_formats"]))
        files[key] = {"read": n_read, "accepted": len(acc), "rejected": len(rej)}
        parts_acc.append(acc)
        parts_rej.append(rej)
    accepted = _concat_accepted(parts_acc, geometry)
    accepted.attrs["original_columns"] = original_cols
    rejected = _concat_rejected(parts_rej)
    if dedupe:
        accepted, rejected = _dedupe(accepted, rejected, info)
    if area is not None:
        accepted, rejected = _apply_study_area(accepted, rejected, area)
    for key in files:
        files[key]["accepted"] = int((accepted["source_file"] == key).sum())
        files[key]["rejected"] = int((rejected["source_file"] == key).sum())
    accepted.attrs.pop("original_columns", None)
    info["files"] = files
    info["rows_read"] = rows_read
    d = accepted["date"] if "date" in accepted else pd.Series(dtype="datetime64[ns]")
    info["time_span"] = (None, None) if d.notna().sum() == 0 else (d.min(), d.max())
    # a single mapping for the common one-file / same-header case
    maps = list(info["column_mapping"].values())
    info["columns"] = maps[0] if maps and all(m == maps[0] for m in maps) else maps
    if len(rejected):
        counts = rejected["reason"].value_counts()
        messages.append("rejected: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return LoadResult(accepted=accepted, rejected=rejected, rows_read=rows_read,
                      messages=messages, info=info).check()


def _concat_accepted(parts, geometry=True):
    parts = [p for p in parts if len(p)] or parts[:1]
    if not geometry:
        from layers.ingest_frame import xy_names

        # files may name their coordinate columns differently (a file with its own
        # bng_x column): put every part's coordinates under names free in all of them
        names = xy_names(set().union(*(set(p.columns) - set(p.attrs["xy_columns"])
                                       for p in parts)))
        parts = [p.rename(columns=dict(zip(p.attrs["xy_columns"], names))) for p in parts]
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


def _concat_rejected(parts):
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS})
    out = pd.concat(parts, ignore_index=True, sort=False) if len(parts) > 1 else parts[0]
    cols = REJECT_COLUMNS + [c for c in out.columns if c not in REJECT_COLUMNS]
    return out[cols].reset_index(drop=True)


def _is_text(s) -> bool:
    return isinstance(s.dtype, pd.StringDtype)


def _move_to_rejected(accepted, rejected, mask, reason, detail):
    keep = accepted.attrs.get("original_columns")
    xy = accepted.attrs.get("xy_columns", ())
    cols = [c for c in accepted.columns if c != "geometry" and c not in xy and
            (keep is None or c in keep or c in REJECT_COLUMNS)]
    bad = pd.DataFrame(accepted.loc[mask, cols])
    bad = bad.astype({c: object for c in cols if not _is_text(bad[c])})
    bad["reason"] = reason
    bad["detail"] = detail
    rejected = _concat_rejected([rejected, bad])
    return accepted.loc[~mask].reset_index(drop=True), rejected


def _dedupe(accepted, rejected, info):
    idcols = {m.get("id") for m in info["column_mapping"].values()} - {None}
    if len(idcols) != 1 or len(accepted) == 0:
        return accepted, rejected
    col = idcols.pop()
    if col not in accepted:
        return accepted, rejected
    ids = accepted[col]
    dup = ids.notna().to_numpy() & ids.duplicated(keep="first").to_numpy()
    if not dup.any():
        return accepted, rejected
    dup_vals = set(ids[dup])
    pos = np.flatnonzero((~ids.duplicated(keep="first") & ids.isin(dup_vals)).to_numpy())
    files = accepted["source_file"].to_numpy()[pos]
    rows = accepted["source_row"].to_numpy()[pos]
    lookup = {v: f"{Path(f).name} row {r}" for v, f, r in zip(ids.to_numpy()[pos], files, rows)}
    detail = np.array([f"same {col} as {lookup[v]}" for v in ids[dup]], dtype=object)
    return _move_to_rejected(accepted, rejected, dup, "duplicate id", detail)


def _study_area(study_area):
    if study_area is None:
        return None
    import shapely

    if isinstance(study_area, LoadResult):
        study_area = study_area.accepted
    if isinstance(study_area, (list, tuple)) or isinstance(study_area, (str, Path)):
        from boundaries.io import load_boundaries

        study_area = load_boundaries(study_area).accepted
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
    return geom


#: Spacing (m) of the boundary vertices used for distances outside the study area.
_DIST_STEP = 5.0


def _distance_to_area(area, x, y):
    """Distance (m) from points outside ``area`` to its boundary, to within 2.5 m.

    Exact point-to-polygon distance costs a scan of every boundary vertex per point
    (minutes for a million points); instead the boundary is densified to one vertex
    every 5 m and the nearest vertex is found with a KD-tree.
    """
    import shapely
    from scipy.spatial import cKDTree

    if len(x) < 2_000:  # exact for small counts
        return shapely.distance(area, shapely.points(x, y))
    rings = shapely.get_rings(shapely.get_parts(area))
    verts = shapely.get_coordinates(shapely.segmentize(rings, _DIST_STEP))
    d, _ = cKDTree(verts).query(np.column_stack([x, y]))
    return d


def _apply_study_area(accepted, rejected, area):
    import shapely

    if len(accepted) == 0:
        return accepted, rejected
    from layers.points import points_xy

    x, y = points_xy(accepted).T
    inv, uniq = pd.factorize(x + 1j * y)  # snap points repeat: test each place once
    ux, uy = np.real(uniq), np.imag(uniq)
    inside_u = shapely.intersects_xy(area, ux, uy)  # inside or on the boundary
    inside = inside_u[inv]
    if inside.all():
        return accepted, rejected
    out_u = np.flatnonzero(~inside_u)
    dist_u = np.zeros(len(uniq))
    dist_u[out_u] = _distance_to_area(area, ux[out_u], uy[out_u])
    text_u = np.full(len(uniq), "", dtype=object)  # format each distinct place once
    text_u[out_u] = [f"{d:,.0f} m outside the study area" for d in dist_u[out_u]]
    detail = text_u[inv][~inside]
    return _move_to_rejected(accepted, rejected, ~inside, "outside study area", detail)

