"""Read area boundaries (GeoPackage, Shapefile, GeoJSON, FlatGeobuf) into EPSG:27700.

(First version: the ingest work expands this module.)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import geopandas as gpd

from layers.errors import InputError
from layers.result import LoadResult, empty_rejected

__all__ = ["load_boundaries", "WORKING_CRS"]

WORKING_CRS = "EPSG:27700"


def load_boundaries(paths, *, layer=None, code_field=None, name_field=None, crs=None) -> LoadResult:
    """Load one or more boundary files as one area layer in EPSG:27700.

    Parameters
    ----------
    paths : str, Path or list of them
        Boundary files; several are merged into one layer.
    layer : str, optional
        Layer name inside a multi-layer GeoPackage.
    code_field, name_field : str, optional
        Area code and name fields; detected from ONS patterns when omitted.
    crs : str, optional
        CRS to assume when the file declares none.

    Returns
    -------
    LoadResult
        ``accepted`` keeps the file's fields; ``info['code_field']`` and
        ``info['name_field']`` name the detected fields.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    frames = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise InputError("file not found", path=p, fix="check the path")
        gdf = gpd.read_file(p, layer=layer)
        if gdf.crs is None:
            if crs is None:
                raise InputError("the file has no coordinate reference system", path=p,
                                 fix="pass crs='EPSG:27700' (or the file's CRS)")
            gdf = gdf.set_crs(crs)
        frames.append(gdf.to_crs(WORKING_CRS))
    gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WORKING_CRS)
    code = code_field or next((c for c in gdf.columns if str(c).upper().endswith("CD")), None)
    name = name_field or next((c for c in gdf.columns if str(c).upper().endswith("NM")), None)
    return LoadResult(accepted=gdf, rejected=empty_rejected(), rows_read=len(gdf),
                      info={"code_field": code, "name_field": name})
