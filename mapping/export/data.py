"""Data export: GeoPackage, GeoJSON, Shapefile, GeoTIFF, CSV and XLSX.

Every writer applies disclosure control first (:func:`mapping.disclosure.rules.apply_rules`)
and writes atomically.  One registry serves every front: :data:`DATA_EXPORTERS`
maps a file suffix to its writer (every ``--out`` of the command line goes
through :func:`export_layer` or :func:`write_frame`), and :data:`DATA_FORMATS`
names the formats the GUI's "Export data" offers (:func:`export_layers`).

* GeoPackage (``.gpkg``): all layers in one file, EPSG:27700; surfaces as
  float32 raster tables; a ``hotmap_notes`` table states the rules.
* GeoJSON (``.geojson``): EPSG:4326, as RFC 7946 requires.
* Shapefile (``.shp``, or zipped ``.shp.zip``): EPSG:27700 with a ``.prj`` and
  UTF-8 ``.cpg``; field names cut to 10 characters (kept unique), and a
  ``<name>.fields.csv`` beside it (``fields.csv`` in the zip) maps each short
  name back to the full one.
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

from layers.common.atomic import atomic_write_path
from layers.common.errors import InputError
from mapping.disclosure.rules import DisclosureRules, apply_rules, display_table

__all__ = ["export_layer", "export_geopackage", "export_surface_cells", "export_meta",
           "export_geojson", "export_shapefile_zip", "export_geotiff", "export_table",
           "export_tables_xlsx", "DATA_EXPORTERS", "layer_frame", "export_layers",
           "export_shapefile", "write_frame", "read_shapefile", "DATA_FORMATS",
           "VECTOR_SUFFIXES", "neutralise_formulas"]

MAX_GPKG_CELLS = 250_000


def _safe_name(name: str, maxlen: int = 60) -> str:
    s = re.sub(r"[^A-Za-z0-9_]+", "_", str(name)).strip("_").lower()
    return (s or "layer")[:maxlen]


#: First characters a spreadsheet reads as the start of a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(table):
    """Return a copy where every text cell a spreadsheet would run as a formula is text.

    As OWASP recommends for CSV injection: a cell beginning with ``=``, ``+``,
    ``-``, ``@``, tab or carriage return gets a leading single quote, so Excel and
    LibreOffice show ``'=HYPERLINK(...)`` rather than running it; numbers are
    untouched.  Column names are treated the same way.
    """
    out = table.copy()

    def fix(v):
        return "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v

    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype) in ("string", "str"):
            out[c] = out[c].map(fix)
    out.columns = [fix(str(c)) if isinstance(c, str) else c for c in out.columns]
    return out


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
                         + (notes[-1] if notes else "sensitive").rstrip("."),
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
        from mapping.export.surface_io import surface_to_cells

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
        if notes or first:  # a file of one layer keeps its notes in the .meta.json beside it
            _write(pd.DataFrame({"note": rule_notes}), tmp, layer="hotmap_notes", driver="GPKG",
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


def _shapefile_frame(layer, rules):
    """The layer as a Shapefile can hold it, and the full -> short field-name mapping."""
    lyr, _ = _only(layer, rules or DisclosureRules())
    frame = layer_frame(lyr)
    if not hasattr(frame, "to_crs"):
        raise InputError(f"'{layer.name}' has no geometry", fix="export it as CSV or XLSX")
    mapping = _shp_columns(frame.columns)
    frame = _writable(frame.rename(columns=mapping))
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
        _write(frame, shp, driver="ESRI Shapefile", layer_options={"ENCODING": "UTF-8"})
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
    stem = _safe_name(layer.name, 40)
    with tempfile.TemporaryDirectory() as td:
        shp = Path(td) / f"{stem}.shp"
        _write(frame, shp, driver="ESRI Shapefile",
                                layer_options={"ENCODING": "UTF-8"})
        (Path(td) / "fields.csv").write_text(_fields_csv(mapping), "utf-8")
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
    from mapping.export.surface_io import write_geotiff

    return write_geotiff(lyr.data, path, meta=lyr.meta)


def export_surface_cells(layer, path, *, rules: DisclosureRules | None = None) -> Path:
    """Write a surface as a GeoPackage of square cell polygons (cells with a value only),
    the value in a column named after the layer's ``value_column`` (``density`` ...)."""
    from mapping.export.surface_io import write_surface

    lyr, _ = _only(layer, rules or DisclosureRules())
    name = (lyr.meta or {}).get("value_column") or "value"
    return write_surface(lyr.data, path, value_name=name)


def export_table(layer, path, *, rules: DisclosureRules | None = None) -> Path:
    """Write a layer's attribute table as CSV or XLSX (by suffix), "<5" for small counts."""
    rules = rules or DisclosureRules()
    lyr, _ = _only(layer, rules)
    table = neutralise_formulas(display_table(lyr.data, rules, lyr.meta))
    path = Path(path)
    with atomic_write_path(path) as tmp:
        if path.suffix.lower() == ".xlsx":
            table.to_excel(tmp, index=False, sheet_name=_safe_name(layer.name, 31),
                           engine="openpyxl")
        else:
            table.to_csv(tmp, index=False)
    return path


def export_meta(layer, path) -> Path:
    """Write the result's metadata beside an exported file, as ``<file>.meta.json``."""
    from layers.common.atomic import atomic_write_text
    from mapping.core.meta import ResultMeta

    side = Path(path).with_name(Path(path).name + ".meta.json")
    atomic_write_text(side, ResultMeta.from_dict(layer.meta).to_json())
    return side


def export_tables_xlsx(layers, path, *, rules: DisclosureRules | None = None,
                       grids_in: str | None = None) -> Path:
    """Write every layer's table to one workbook (a sheet per layer, plus a Notes sheet).

    Parameters
    ----------
    layers : list of Layer
    path : str or Path
    rules : DisclosureRules, optional
    grids_in : str, optional
        Where the grid-cell tables are written instead (``hotmap run``: "layers.gpkg
        and tables/<layer>.csv"): grid layers then get no sheet (tens of thousands
        of cells are no table to read in a workbook, and the largest part of its
        writing time), and the Notes sheet says where they are.  Default: every
        table gets a sheet.
    """
    import pandas as pd

    rules = rules or DisclosureRules()
    safe, notes = apply_rules(list(layers), rules, purpose="data")
    path = Path(path)
    grids = [lyr.name for lyr in safe if grids_in and lyr.kind == "grid" and _has_table(lyr)]
    if grids:
        notes = [*notes, f"Grid-cell tables are not in this workbook but in {grids_in}: "
                 + ", ".join(grids) + "."]
    with atomic_write_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            used = set()
            for lyr in safe:
                if lyr.kind == "surface" or not _has_table(lyr) or lyr.name in grids:
                    continue
                name = _safe_name(lyr.name, 28)
                while name in used:
                    name += "_"
                used.add(name)
                neutralise_formulas(display_table(lyr.data, rules, lyr.meta)).to_excel(
                    xw, sheet_name=name, index=False)
            neutralise_formulas(pd.DataFrame({"note": notes})).to_excel(
                xw, sheet_name="Notes", index=False)
    return path


def export_layer(layer, path, *, rules: DisclosureRules | None = None) -> Path:
    """Export one layer to the format given by the file suffix (``.gpkg`` included)."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".gpkg"):
        if layer.kind == "surface":
            return export_surface_cells(layer, path, rules=rules)
        return export_geopackage([layer], path, rules=rules, notes=False)
    for suffix, writer in sorted(DATA_EXPORTERS.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix) and writer is not export_layer:
            return writer(layer, path, rules=rules)
    raise InputError(f"cannot export a layer as '{path.suffix}'", path=path,
                     fix="use .gpkg, .geojson, .shp, .shp.zip, .tif, .csv or .xlsx")


#: Suffix -> writer(layer, path, rules=...); ``.gpkg`` is written by :func:`export_layer`.
DATA_EXPORTERS = {".geojson": export_geojson, ".shp.zip": export_shapefile_zip,
                  ".zip": export_shapefile_zip, ".shp": export_shapefile,
                  ".tif": export_geotiff, ".tiff": export_geotiff,
                  ".csv": export_table, ".xlsx": export_table, ".gpkg": export_layer}

#: Suffixes of the formats that hold a table with its geometry (or, CSV, without).
VECTOR_SUFFIXES = (".csv", ".gpkg", ".geojson", ".shp", ".shp.zip")

#: Key -> (label, suffix) of the formats "Export data" offers, for the GUI's combo box.
DATA_FORMATS = {
    "gpkg": ("GeoPackage: every layer in one file (EPSG:27700)", ".gpkg"),
    "geojson": ("GeoJSON: one file per layer (EPSG:4326, for web maps)", ".geojson"),
    "shp": ("Shapefile: one per layer (EPSG:27700; field names cut to 10 characters, "
            "with a mapping file)", ".shp"),
    "csv": ("CSV: one table per layer (no geometry)", ".csv"),
    "xlsx": ("Excel workbook: every table in one file (no geometry)", ".xlsx"),
}


def write_frame(frame, path, *, name: str | None = None, meta: dict | None = None,
                rules: DisclosureRules | None = None) -> Path:
    """Write a result table (GeoDataFrame or DataFrame) to any :data:`VECTOR_SUFFIXES` file.

    What the command line's ``--out`` uses.  ``rules`` defaults to
    ``DisclosureRules()`` (on); pass ``DisclosureRules(enabled=False)`` to write
    the analyst's own unsuppressed file (the notes then say "do not publish").

    Raises
    ------
    InputError
        For another suffix, or a table without geometry asked for as GeoJSON or
        Shapefile.
    """
    from layers.model import Layer

    path = Path(path)
    lname = name or (path.name[:-len(".shp.zip")] if path.name.lower().endswith(".shp.zip")
                     else path.stem)
    if not any(path.name.lower().endswith(sfx) for sfx in VECTOR_SUFFIXES):
        raise InputError(f"cannot write a table as '{path.suffix or path.name}'", path=path,
                         fix=f"use one of: {', '.join(VECTOR_SUFFIXES)}")
    has_geom = hasattr(frame, "geometry") and hasattr(frame, "crs") and \
        "geometry" in getattr(frame, "columns", [])
    if not has_geom and not path.name.lower().endswith(".csv"):
        raise InputError("this result has no geometry", path=path,
                         fix="write it as .csv")
    kind = "areas" if has_geom else "table"
    if has_geom and len(frame) and frame.geometry.geom_type.isin(["Point", "MultiPoint"]).all():
        kind = "points"
    layer = Layer(lname, frame, kind=kind, meta=dict(meta or {}))
    return export_layer(layer, path, rules=rules)


def _vector_layers(layers):
    return [lyr for lyr in layers if _has_table(lyr)]


def export_layers(layers, folder, fmt: str = "gpkg", *,
                  rules: DisclosureRules | None = None) -> list[Path]:
    """Write layers into ``folder`` in one of :data:`DATA_FORMATS` (GUI "Export data").

    ``gpkg`` writes ``layers.gpkg`` (surfaces as raster tables) and
    ``xlsx`` ``tables.xlsx``; the others write one file per layer, named after
    it, plus ``export_notes.txt`` stating the disclosure rules.  Surfaces go
    into GeoJSON/Shapefile as cell polygons (or are left to the GeoPackage when
    too large) and are left out of CSV; layers withheld by disclosure control
    are named in the notes.

    Returns
    -------
    list of Path
    """
    from layers.common.atomic import atomic_write_text
    from mapping.disclosure.rules import describe_rules

    if fmt not in DATA_FORMATS:
        raise InputError(f"unknown data format '{fmt}'", fix=f"use one of: "
                                                             f"{', '.join(DATA_FORMATS)}")
    rules = rules or DisclosureRules()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    layers = _vector_layers(layers)
    if fmt == "gpkg":
        return [export_geopackage(layers, folder / "layers.gpkg", rules=rules)]
    if fmt == "xlsx":
        tables = [lyr for lyr in layers if lyr.kind in ("table", "areas", "grid")]
        return [export_tables_xlsx(tables, folder / "tables.xlsx", rules=rules)]
    suffix = DATA_FORMATS[fmt][1]
    out, notes, used = [], list(describe_rules(rules)), set()
    for lyr in layers:
        if fmt == "csv" and lyr.kind == "surface":
            notes.append(f"'{lyr.name}': a surface; export it as GeoPackage or GeoTIFF.")
            continue
        if fmt != "csv" and lyr.kind == "surface" and _n_cells(lyr) > MAX_GPKG_CELLS:
            notes.append(f"'{lyr.name}': too many cells for a vector grid; export it as "
                         "GeoPackage or GeoTIFF.")
            continue
        if fmt != "csv" and lyr.kind != "surface" and not hasattr(lyr.data, "geometry"):
            notes.append(f"'{lyr.name}': a table without geometry; export it as CSV.")
            continue
        stem = base = _safe_name(lyr.name, 40)
        i = 2
        while stem in used:
            stem, i = f"{base}_{i}", i + 1
        used.add(stem)
        try:
            out.append(export_layer(lyr, folder / f"{stem}{suffix}", rules=rules))
        except InputError as exc:  # withheld by disclosure control, or too many cells
            notes.append(f"'{lyr.name}': not written ({exc}).")
    out.append(atomic_write_text(folder / "export_notes.txt", "\n".join(notes) + "\n"))
    return out


def _n_cells(layer) -> int:
    v = np.asarray(layer.data.values, dtype=float)
    return int((np.isfinite(v) & (v > 0)).sum())
