"""The GIS files: GeoPackage (vector and raster tables), GeoJSON, Shapefile (plain or zipped).

Each writer applies disclosure control first and writes atomically; the formats
are described in :mod:`mapping.export.data`, whose registry names them.
"""

from __future__ import annotations

import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np

from layers.common.atomic import atomic_write_path
from layers.common.errors import InputError
from mapping.disclosure.rules import DisclosureRules, apply_rules
from mapping.export.layer_frames import (has_table, layer_frame, published_layer, safe_name,
                                         writable, write_vector)

__all__ = ["export_geopackage", "export_geojson", "export_shapefile", "read_shapefile",
           "export_shapefile_zip"]


def export_geopackage(layers, path, *, rules: DisclosureRules | None = None,
                      notes: bool = True) -> Path:
    """Write all layers (and tables) into one GeoPackage in EPSG:27700.

    Vector layers and tables become feature/attribute tables; surfaces become
    float32 raster tables (GeoPackage tiled gridded coverage, nodata -9999)
    in the same file, readable as ``GPKG:<file>:<surface name>`` by GDAL and
    QGIS.  A ``hotmap_notes`` table states the disclosure rules applied.

    Returns
    -------
    Path
    """
    import pandas as pd

    rules = rules or DisclosureRules()
    safe, rule_notes = apply_rules(list(layers), rules, purpose="data")
    path = Path(path)
    used: set[str] = set()

    def unique(name):
        name = base = safe_name(name)
        i = 2
        while name in used:
            name, i = f"{base}_{i}", i + 1
        used.add(name)
        return name

    surfaces = [lyr for lyr in safe if lyr.kind == "surface" and has_table(lyr)]
    with atomic_write_path(path) as tmp:
        first = True
        for lyr in safe:
            if not has_table(lyr) or lyr.kind == "surface":
                continue
            write_vector(writable(layer_frame(lyr)), tmp, layer=unique(lyr.name), driver="GPKG",
                         append=not first)
            first = False
        if notes or first:  # a file of one layer keeps its notes in the .meta.json beside it
            write_vector(pd.DataFrame({"note": rule_notes}), tmp, layer="hotmap_notes",
                         driver="GPKG", append=not first)
        for lyr in surfaces:
            _write_gpkg_raster(lyr.data, tmp, unique(lyr.name))
    return path


def _write_gpkg_raster(surface, path, table: str) -> None:
    """Append a surface to a GeoPackage as a float32 raster table."""
    import rasterio
    from rasterio.transform import from_origin

    ny, nx = surface.shape
    data = np.asarray(surface.values, np.float32)
    data = np.where(np.isfinite(data), data, np.float32(-9999.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with rasterio.open(path, "w", driver="GPKG", width=nx, height=ny, count=1,
                           dtype="float32", crs=surface.crs, nodata=-9999.0,
                           transform=from_origin(surface.x0, surface.y0 + ny * surface.cell_size,
                                                 surface.cell_size, surface.cell_size),
                           RASTER_TABLE=table, APPEND_SUBDATASET="YES", TILE_FORMAT="TIFF",
                           RASTER_DESCRIPTION=surface.units or "") as dst:
            dst.write(data, 1)


def export_geojson(layer, path, *, rules: DisclosureRules | None = None) -> Path:
    """Write one layer as GeoJSON in EPSG:4326 (coordinates to 7 decimals, ~1 cm)."""
    import pyogrio

    lyr, _ = published_layer(layer, rules or DisclosureRules())
    frame = layer_frame(lyr)
    if not hasattr(frame, "to_crs"):
        raise InputError(f"'{layer.name}' has no geometry", fix="export it as CSV or XLSX")
    with atomic_write_path(path) as tmp:
        write_vector(writable(frame.to_crs(4326)), tmp, driver="GeoJSON",
                     layer_options={"COORDINATE_PRECISION": 7})
    return Path(path)


def _shp_columns(cols) -> dict:
    out, used = {}, set()
    for c in cols:
        if c == "geometry":
            continue
        base = str(c)[:10]
        name, i = base, 1
        while name.lower() in used:
            suffix = f"_{i}"
            name, i = base[:10 - len(suffix)] + suffix, i + 1
        used.add(name.lower())
        out[c] = name
    return out


def _shapefile_frame(layer, rules):
    """The layer as a Shapefile can hold it, and the full -> short field-name mapping."""
    lyr, _ = published_layer(layer, rules or DisclosureRules())
    frame = layer_frame(lyr)
    if not hasattr(frame, "to_crs"):
        raise InputError(f"'{layer.name}' has no geometry", fix="export it as CSV or XLSX")
    mapping = _shp_columns(frame.columns)
    frame = writable(frame.rename(columns=mapping))
    for c in frame.columns:
        if frame[c].dtype == bool:
            frame[c] = frame[c].astype(int)
    return frame, mapping


def _fields_csv(mapping: dict) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["short", "full"])
    for full, short in mapping.items():
        w.writerow([short, full])
    return buf.getvalue()


def export_shapefile(layer, path, *, rules: DisclosureRules | None = None) -> Path:
    """Write one layer as an ESRI Shapefile (EPSG:27700) with its sidecar files.

    ``path`` ends in ``.shp``; ``.shx``, ``.dbf``, ``.prj`` and ``.cpg`` (UTF-8)
    are written beside it, and ``<stem>.fields.csv`` maps the 10-character
    field names back to the full ones (read back with :func:`read_shapefile`).
    Each file is moved into place whole, so no half-written file is left.
    """
    import os

    frame, mapping = _shapefile_frame(layer, rules)
    path = Path(path)
    stem = path.name[:-4] if path.name.lower().endswith(".shp") else path.name
    with tempfile.TemporaryDirectory(dir=path.parent) as td:
        shp = Path(td) / f"{stem}.shp"
        write_vector(frame, shp, driver="ESRI Shapefile", layer_options={"ENCODING": "UTF-8"})
        (Path(td) / f"{stem}.fields.csv").write_text(_fields_csv(mapping), "utf-8")
        for f in sorted(Path(td).iterdir()):
            os.replace(f, path.parent / f.name)
    return path.parent / f"{stem}.shp"


def read_shapefile(path):
    """Read a Shapefile hotmap wrote, with its full field names restored from the mapping."""
    import pandas as pd
    import pyogrio

    path = Path(path)
    frame = pyogrio.read_dataframe(path)
    fields = path.with_name(path.name[:-4] + ".fields.csv")
    if fields.exists():
        m = pd.read_csv(fields, dtype=str, keep_default_na=False)
        frame = frame.rename(columns=dict(zip(m["short"], m["full"])))
    return frame


def export_shapefile_zip(layer, path, *, rules: DisclosureRules | None = None) -> Path:
    """Write one layer as a zipped ESRI Shapefile (EPSG:27700, .prj included).

    Field names longer than 10 characters are shortened (unique); a
    ``fields.csv`` in the zip maps short names back to the full ones.
    """
    frame, mapping = _shapefile_frame(layer, rules)
    stem = safe_name(layer.name, 40)
    with tempfile.TemporaryDirectory() as td:
        shp = Path(td) / f"{stem}.shp"
        write_vector(frame, shp, driver="ESRI Shapefile",
                     layer_options={"ENCODING": "UTF-8"})
        (Path(td) / "fields.csv").write_text(_fields_csv(mapping), "utf-8")
        with atomic_write_path(path) as tmp:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in sorted(Path(td).iterdir()):
                    zf.write(f, f.name)
    return Path(path)
