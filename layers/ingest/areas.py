"""Read polygon files (GeoPackage, Shapefile, zipped Shapefile, GeoJSON, FlatGeobuf) in BNG.

One file at a time: its real format is sniffed, its features read, a missing
CRS filled from ``crs=``, empty and non-polygon features rejected with a
reason, invalid polygons repaired (and counted), and the rest reprojected to
British National Grid (EPSG:27700) and checked to lie in Great Britain.

:func:`boundaries.io.load_boundaries` builds an area layer on
:func:`read_area_file` (adding area codes and names, merging files);
:class:`layers.ingest.checks.StudyArea` reads a study area given as a path with
:func:`read_areas`.  geopandas and shapely load on first use (start-up time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from layers.ingest.readers import sniff_format
from layers.ingest.vector import TRUNCATED, read_vector
from layers.result import REJECT_COLUMNS

__all__ = ["WORKING_CRS", "AreaFile", "as_paths", "read_area_file", "read_areas", "clean_geometry"]

WORKING_CRS = "EPSG:27700"
#: Longitude/latitude box that contains the UK with room to spare.
_UK_LONLAT = (-11.0, 49.0, 3.0, 61.5)


@dataclass
class AreaFile:
    """One polygon file read: its accepted areas in EPSG:27700 and its rejected features.

    ``accepted`` keeps the file's fields plus ``source_file`` and ``source_row``;
    ``rejected`` has :data:`~layers.result.REJECT_COLUMNS` first.  ``crs`` is the
    CRS the file declared (None when it declared none); ``rows_read`` counts the
    features the file holds or should hold (a truncated Shapefile).
    """

    path: Path
    kind: str
    accepted: object
    rejected: pd.DataFrame
    rows_read: int
    crs: object = None
    repaired: int = 0
    messages: list = field(default_factory=list)


def as_paths(paths) -> list:
    """One path or several as a list; refuse an empty list."""
    if isinstance(paths, (str, Path)):
        return [paths]
    paths = list(paths)
    if not paths:
        raise InputError("no boundary files given", fix="give at least one boundary file")
    return paths


def read_area_file(p, *, layer=None, crs=None, repair=True) -> AreaFile:
    """Read one polygon file into EPSG:27700; see the module docstring.

    Parameters
    ----------
    p : str or Path
        The file.
    layer : str, optional
        Layer of a multi-layer GeoPackage.
    crs : str, optional
        CRS to assume when the file declares none; it replaces a declared CRS
        that cannot be converted to British National Grid.
    repair : bool
        Repair invalid polygons (default True); else reject them.

    Raises
    ------
    InputError
        A table rather than a vector file, a missing or unknown CRS,
        longitude/latitude outside the UK, areas outside GB, an unreadable file.
    """
    from layers.ingest.area_cache import cached_read

    p = Path(p)
    return cached_read(p, (layer, crs, repair),
                       lambda: _read_area_file(p, layer=layer, crs=crs, repair=repair))


def _read_area_file(p: Path, *, layer, crs, repair) -> AreaFile:
    kind = sniff_format(p)
    if kind in ("csv", "csv.gz", "xlsx"):
        raise InputError(f"this is a table ({kind}), not a boundary file", path=p,
                         fix="load boundaries from GeoPackage, Shapefile, GeoJSON or "
                             "FlatGeobuf; join tables with join_attributes()")
    gdf, notes, missing = read_vector(p, kind, layer=layer)
    messages = list(notes)
    n = len(gdf) + missing[0]
    src_crs = gdf.crs
    gdf = _with_crs(gdf, p, crs)
    gdf["source_file"] = str(p)
    gdf["source_row"] = np.arange(1, len(gdf) + 1)
    acc, rej, repaired = clean_geometry(gdf, p, repair)
    rej = _mark_truncated(rej, p, missing, len(gdf), n)
    if repaired:
        messages.append(f"{p.name}: {repaired} invalid polygon(s) repaired")
    acc = _to_working_crs(acc, p, crs, src_crs, messages)
    return AreaFile(path=p, kind=kind, accepted=acc, rejected=rej, rows_read=n, crs=src_crs,
                    repaired=repaired, messages=messages)


def read_areas(paths, *, layer=None, crs=None, repair=True):
    """The accepted polygons of one or more files, in EPSG:27700 (a GeoDataFrame).

    Parameters
    ----------
    paths : str, Path or list of them
        The files.
    layer, crs, repair
        As :func:`read_area_file`.
    """
    import geopandas as gpd

    frames = [read_area_file(p, layer=layer, crs=crs, repair=repair).accepted
              for p in as_paths(paths)]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True) if len(frames) > 1
                            else frames[0], geometry="geometry", crs=WORKING_CRS)


def _with_crs(gdf, p, crs):
    """A copy of the features with a CRS: the declared one, else ``crs``."""
    if gdf.crs is None:
        if crs is None:
            raise InputError("the file has no coordinate reference system (a Shapefile "
                             "without its .prj?)", path=p,
                             fix="copy the .prj beside the .shp, or pass crs='EPSG:27700' "
                                 "(or the file's real CRS)")
        gdf = gdf.set_crs(crs)
    return gdf.copy()


def _mark_truncated(rej, p, missing, n_read, n):
    """Say ``truncated file`` for the areas a cut-short Shapefile should hold."""
    n_missing, why_missing = missing[:2]
    if len(missing) > 2:  # a cut-short .shp: rows read without their shape
        cut = rej["source_row"].isin(np.asarray(missing[2]) + 1) & (
            rej["reason"] == "empty geometry")
        rej.loc[cut, "reason"] = TRUNCATED
        rej.loc[cut, "detail"] = missing[3]
    if n_missing:  # a truncated Shapefile: the areas it should hold but cannot give
        tail = pd.DataFrame({"source_file": str(p),
                             "source_row": np.arange(n_read + 1, n + 1),
                             "reason": TRUNCATED, "detail": why_missing})
        rej = pd.concat([rej, tail], ignore_index=True) if len(rej) else tail
    return rej


def _to_working_crs(acc, p, crs, src_crs, messages):
    """Reproject to EPSG:27700 after checking longitude/latitude lie in the UK."""
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
    return acc


def clean_geometry(gdf, p, repair):
    """Reject empty, non-polygon and unrepairable features; repair invalid polygons.

    Returns
    -------
    (GeoDataFrame, DataFrame, int)
        The accepted features, the rejected ones (reason and detail), and how many
        polygons were repaired.
    """
    import geopandas as gpd
    import shapely

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
    import shapely

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


def _first_line(exc) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:150] if text else type(exc).__name__
