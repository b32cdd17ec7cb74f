"""Data export: GeoPackage, GeoJSON, zipped Shapefile, GeoTIFF, CSV and XLSX.

Every writer applies disclosure control first (:func:`mapping.disclosure.apply_rules`)
and writes atomically.  Formats live in :data:`DATA_EXPORTERS`, keyed by
file suffix, so the GUI's "Export layer" dialog binds to the keys.

* GeoPackage: all layers in one file, EPSG:27700; surfaces as float32 raster
  tables; a ``hotmap_notes`` table states the rules.
* GeoJSON: EPSG:4326, as RFC 7946 requires.
* Shapefile: zipped (``.shp.zip``); field names cut to 10 characters.
* GeoTIFF: surfaces, float32, EPSG:27700.
* CSV / XLSX: attribute tables for people, suppressed counts shown as ``"<5"``.
"""

from __future__ import annotations

import re
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np

from layers.atomic import atomic_write_path
from layers.errors import InputError
from mapping.disclosure import DisclosureRules, apply_rules, display_table

__all__ = ["export_layer", "export_geopackage", "export_geojson", "export_shapefile_zip",
           "export_geotiff", "export_table", "export_tables_xlsx", "DATA_EXPORTERS",
           "layer_frame"]

MAX_GPKG_CELLS = 250_000


def _safe_name(name: str, maxlen: int = 60) -> str:
    s = re.sub(r"[^A-Za-z0-9_]+", "_", str(name)).strip("_").lower()
    return (s or "layer")[:maxlen]


def _writable(df):
    """Return a copy with dtypes every OGR driver accepts."""
    out = df.copy()
    geom = out.geometry.name if hasattr(out, "crs") and hasattr(out, "geometry") else None
    for c in out.columns:
        if c == geom:
            continue
        s = out[c]
        if str(s.dtype) == "category":
            out[c] = s.astype(str)
        elif s.dtype == object:
            out[c] = s.map(lambda v: v if v is None or isinstance(v, (str, int, float, bool))
                           else str(v))
    out.columns = [str(c) for c in out.columns]
    return out


def _write(frame, path, **kw):
    import pyogrio

    with warnings.catch_warnings():  # atomic temp names end in .tmp; GDAL warns about it
        warnings.filterwarnings("ignore", message=".*extension.*", category=RuntimeWarning)
        pyogrio.write_dataframe(frame, path, **kw)


def _only(layer, rules, purpose="data"):
    safe, notes = apply_rules([layer], rules, purpose=purpose)
    if not safe:
        raise InputError(f"layer '{layer.name}' is withheld by disclosure control: "
                         + (notes[-1] if notes else "sensitive"),
                         fix="export an aggregated layer (counts by area or grid), or allow "
                             "raw export for this layer if you are entitled to")
    return safe[0], notes


def _has_table(layer) -> bool:
    """True for layers whose data can be written (frames and surfaces, not chart paths)."""
    return layer.data is not None and (hasattr(layer.data, "columns")
                                       or layer.kind == "surface" and hasattr(layer.data,
                                                                              "values"))


def layer_frame(layer):
    """Return the layer's data as a GeoDataFrame in EPSG:27700 (surfaces as cell polygons)."""
    import geopandas as gpd

    data = layer.data
    if layer.kind == "surface":
        from mapping.surface_io import surface_to_cells

        v = np.asarray(data.values, dtype=float)
        if int((np.isfinite(v) & (v > 0)).sum()) > MAX_GPKG_CELLS:
            raise InputError(f"surface '{layer.name}' has too many cells for a vector grid",
                             fix="use the GeoTIFF export for this surface")
        cells = surface_to_cells(data, value_name="value")
        return cells[cells["value"] > 0].reset_index(drop=True)
    if not isinstance(data, gpd.GeoDataFrame):
        return data
    if data.crs is None:
        data = data.set_crs(27700)
    elif data.crs.to_epsg() != 27700:
        data = data.to_crs(27700)
    return data


def export_geopackage(layers, path, *, rules: DisclosureRules | None = None) -> Path:
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
    safe, notes = apply_rules(list(layers), rules, purpose="data")
    path = Path(path)
    used: set[str] = set()

    def unique(name):
        name = base = _safe_name(name)
        i = 2
        while name in used:
            name, i = f"{base}_{i}", i + 1
        used.add(name)
        return name

    surfaces = [lyr for lyr in safe if lyr.kind == "surface" and _has_table(lyr)]
    with atomic_write_path(path) as tmp:
        first = True
        for lyr in safe:
            if not _has_table(lyr) or lyr.kind == "surface":
                continue
            _write(_writable(layer_frame(lyr)), tmp, layer=unique(lyr.name), driver="GPKG",
                   append=not first)
            first = False
        _write(pd.DataFrame({"note": notes}), tmp, layer="hotmap_notes", driver="GPKG",
               append=not first)
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

    lyr, _ = _only(layer, rules or DisclosureRules())
    frame = layer_frame(lyr)
    if not hasattr(frame, "to_crs"):
        raise InputError(f"'{layer.name}' has no geometry", fix="export it as CSV or XLSX")
    with atomic_write_path(path) as tmp:
        _write(_writable(frame.to_crs(4326)), tmp, driver="GeoJSON",
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


def export_shapefile_zip(layer, path, *, rules: DisclosureRules | None = None) -> Path:
    """Write one layer as a zipped ESRI Shapefile (EPSG:27700, .prj included).

    Field names longer than 10 characters are shortened (unique); a
    ``fields.csv`` in the zip maps short names back to the full ones.
    """
    import pyogrio

    lyr, _ = _only(layer, rules or DisclosureRules())
    frame = layer_frame(lyr)
    if not hasattr(frame, "to_crs"):
        raise InputError(f"'{layer.name}' has no geometry", fix="export it as CSV or XLSX")
    mapping = _shp_columns(frame.columns)
    frame = _writable(frame.rename(columns=mapping))
    for c in frame.columns:
        if frame[c].dtype == bool:
            frame[c] = frame[c].astype(int)
    stem = _safe_name(layer.name, 40)
    with tempfile.TemporaryDirectory() as td:
        shp = Path(td) / f"{stem}.shp"
        _write(frame, shp, driver="ESRI Shapefile",
                                layer_options={"ENCODING": "UTF-8"})
        (Path(td) / "fields.csv").write_text(
            "short,full\n" + "".join(f"{v},{k}\n" for k, v in mapping.items()), "utf-8")
        with atomic_write_path(path) as tmp:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in sorted(Path(td).iterdir()):
                    zf.write(f, f.name)
    return Path(path)


def export_geotiff(layer, path, *, rules: DisclosureRules | None = None) -> Path:
    """Write a surface layer as a float32 GeoTIFF in EPSG:27700."""
    lyr, _ = _only(layer, rules or DisclosureRules())
    if lyr.kind != "surface":
        raise InputError(f"'{layer.name}' is not a surface", fix="GeoTIFF is for KDE surfaces")
    try:
        from mapping.surface_io import write_geotiff
    except ImportError:  # pragma: no cover - surface_io ships with hotmap
        write_geotiff = _write_geotiff
    return write_geotiff(lyr.data, path)


def _write_geotiff(surface, path):  # pragma: no cover - fallback only
    import rasterio
    from rasterio.transform import from_origin

    ny, nx = surface.shape
    with atomic_write_path(path) as tmp:
        with rasterio.open(tmp, "w", driver="GTiff", width=nx, height=ny, count=1,
                           dtype="float32", crs=surface.crs, nodata=np.nan,
                           transform=from_origin(surface.x0, surface.y0 + ny * surface.cell_size,
                                                 surface.cell_size, surface.cell_size)) as dst:
            dst.write(np.asarray(surface.values, np.float32), 1)
    return Path(path)


def export_table(layer, path, *, rules: DisclosureRules | None = None) -> Path:
    """Write a layer's attribute table as CSV or XLSX (by suffix), "<5" for small counts."""
    rules = rules or DisclosureRules()
    lyr, _ = _only(layer, rules)
    table = display_table(lyr.data, rules, lyr.meta)
    path = Path(path)
    with atomic_write_path(path) as tmp:
        if path.suffix.lower() == ".xlsx":
            table.to_excel(tmp, index=False, sheet_name=_safe_name(layer.name, 31),
                           engine="openpyxl")
        else:
            table.to_csv(tmp, index=False)
    return path


def export_tables_xlsx(layers, path, *, rules: DisclosureRules | None = None) -> Path:
    """Write every layer's table to one workbook (a sheet per layer, plus a Notes sheet)."""
    import pandas as pd

    rules = rules or DisclosureRules()
    safe, notes = apply_rules(list(layers), rules, purpose="data")
    path = Path(path)
    with atomic_write_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            used = set()
            for lyr in safe:
                if lyr.kind == "surface" or not _has_table(lyr):
                    continue
                name = _safe_name(lyr.name, 28)
                while name in used:
                    name += "_"
                used.add(name)
                display_table(lyr.data, rules, lyr.meta).to_excel(xw, sheet_name=name,
                                                                  index=False)
            pd.DataFrame({"note": notes}).to_excel(xw, sheet_name="Notes", index=False)
    return path


#: Suffix -> writer(layer, path, rules=...).
DATA_EXPORTERS = {".geojson": export_geojson, ".shp.zip": export_shapefile_zip,
                  ".zip": export_shapefile_zip, ".tif": export_geotiff, ".tiff": export_geotiff,
                  ".csv": export_table, ".xlsx": export_table}


def export_layer(layer, path, *, rules: DisclosureRules | None = None) -> Path:
    """Export one layer to the format given by the file suffix (``.gpkg`` included)."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".gpkg"):
        return export_geopackage([layer], path, rules=rules)
    for suffix, writer in sorted(DATA_EXPORTERS.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix):
            return writer(layer, path, rules=rules)
    raise InputError(f"cannot export a layer as '{path.suffix}'", path=path,
                     fix="use .gpkg, .geojson, .shp.zip, .tif, .csv or .xlsx")
