"""Read vector files (GeoPackage, Shapefile, zipped Shapefile, GeoJSON, FlatGeobuf) via pyogrio.

Shared by record layers and boundaries.  Every GDAL failure becomes an
:class:`~layers.errors.InputError` naming the file and the fix.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import geopandas as gpd

from layers.errors import InputError

__all__ = ["read_vector", "list_layers"]


def _source(p: Path, kind: str) -> str:
    return f"zip://{p}" if kind == "zip-shp" else str(p)


def list_layers(path, kind="gpkg") -> list[str]:
    """Return the layer names in a vector file (GeoPackage usually)."""
    import warnings

    import pyogrio

    p = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            rows = pyogrio.list_layers(_source(p, kind))
    except Exception as exc:
        raise InputError(f"cannot open the file as {kind} ({_short(exc)})", path=p,
                         fix="check the file is complete and not corrupt; export it again")\
            from None
    spatial = [str(r[0]) for r in rows if r[1] is not None]
    # attribute-only tables (no geometry) in a GeoPackage are not layers to choose from
    return spatial if spatial else [str(r[0]) for r in rows]


def _short(exc) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def read_vector(path, kind, *, layer=None):
    """Read a vector file into a GeoDataFrame, keeping its CRS (may be None).

    Parameters
    ----------
    path : str or Path
        The file (``.zip`` for a zipped Shapefile).
    kind : str
        Format from :func:`layers.ingest_readers.sniff_format`.
    layer : str, optional
        Layer name; required when a GeoPackage holds several layers.

    Returns
    -------
    (GeoDataFrame, list of str)
        The features and notes for the user.
    """
    import pyogrio

    p = Path(path)
    notes = []
    src = _source(p, kind)
    # GeoJSON, FlatGeobuf and a loose Shapefile hold one layer: listing would parse the file
    layers = list_layers(p, kind) if kind in ("gpkg", "zip-shp") or layer is not None \
        else ["(single)"]
    if not layers:
        raise InputError("the file contains no layers", path=p,
                         fix="check the export; a GeoPackage must contain a feature table")
    if layer is None and len(layers) > 1:
        raise InputError(f"the file has {len(layers)} layers: {', '.join(layers)}", path=p,
                         fix="choose one with layer='NAME'")
    if layer is not None and str(layer) not in layers:
        raise InputError(f"no layer {layer!r}; the file has {', '.join(layers)}", path=p,
                         fix="pass one of those names as layer=")
    if layer is None and kind in ("gpkg", "zip-shp"):
        layer = layers[0]  # the only spatial layer (never a default attribute table)
    if kind == "shp" and not p.with_suffix(".shx").exists() and not p.with_suffix(".SHX").exists():
        raise InputError("the Shapefile's .shx index file is missing", path=p,
                         fix="copy the .shp together with its .shx, .dbf and .prj files")
    try:
        gdf = pyogrio.read_dataframe(src, layer=layer, use_arrow=True,
                                     on_invalid="ignore")
    except Exception as exc:
        try:
            gdf = pyogrio.read_dataframe(src, layer=layer, on_invalid="ignore")
        except Exception:
            raise InputError(f"cannot read the file ({_short(exc)})", path=p,
                             fix="check the file is complete; open it in QGIS and export it "
                                 "again as GeoPackage") from None
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf:
        raise InputError("the layer has no geometry column", path=p,
                         fix="for a table without geometry use CSV/XLSX with coordinate "
                             "columns")
    if kind in ("shp", "zip-shp") and gdf.crs is None:
        notes.append(f"{p.name}: the Shapefile has no .prj file, so its CRS is unknown")
    for col in gdf.columns:  # JSON arrays/objects arrive as lists/arrays: unhashable, keep as text
        if col != "geometry" and gdf[col].dtype == object and \
                pd.api.types.infer_dtype(gdf[col], skipna=True) not in ("string", "empty"):
            nested = gdf[col].map(lambda v: not isinstance(v, (str, bytes)) and
                                  hasattr(v, "__len__"))
            if nested.any():
                gdf[col] = gdf[col].where(~nested, gdf[col].map(
                    lambda v: str(v.tolist()) if hasattr(v, "tolist") else str(v)))
    return gdf, notes
