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

The GIS writers are :mod:`mapping.export.gis_files` (imported from here), a
layer's frame as they write it :mod:`mapping.export.layer_frames`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from layers.common.atomic import atomic_write_path
from layers.common.errors import InputError
from mapping.disclosure.rules import DisclosureRules, apply_rules, display_table
from mapping.export.gis_files import (export_geojson, export_geopackage, export_shapefile,
                                      export_shapefile_zip, read_shapefile)
from mapping.export.layer_frames import (MAX_GPKG_CELLS, file_names_only, has_table,
                                         layer_frame, neutralise_formulas, published_layer,
                                         safe_name)

__all__ = ["export_layer", "export_geopackage", "export_surface_cells", "export_meta",
           "export_geojson", "export_shapefile_zip", "export_geotiff", "export_table",
           "export_tables_xlsx", "DATA_EXPORTERS", "layer_frame", "export_layers",
           "export_shapefile", "write_frame", "read_shapefile", "DATA_FORMATS",
           "VECTOR_SUFFIXES", "neutralise_formulas"]
# the GIS writers, layer_frame and neutralise_formulas are re-exported: the registry below,
# the GUI and the tests name them from here


def export_geotiff(layer, path, *, rules: DisclosureRules | None = None) -> Path:
    """Write a surface layer as a float32 GeoTIFF in EPSG:27700."""
    lyr, _ = published_layer(layer, rules or DisclosureRules())
    if lyr.kind != "surface":
        raise InputError(f"'{layer.name}' is not a surface", fix="GeoTIFF is for KDE surfaces")
    from mapping.export.surface_io import write_geotiff

    return write_geotiff(lyr.data, path, meta=lyr.meta)


def export_surface_cells(layer, path, *, rules: DisclosureRules | None = None) -> Path:
    """Write a surface as a GeoPackage of square cell polygons (cells with a value only),
    the value in a column named after the layer's ``value_column`` (``density`` ...)."""
    from mapping.export.surface_io import write_surface

    lyr, _ = published_layer(layer, rules or DisclosureRules())
    name = (lyr.meta or {}).get("value_column") or "value"
    return write_surface(lyr.data, path, value_name=name)


def export_table(layer, path, *, rules: DisclosureRules | None = None) -> Path:
    """Write a layer's attribute table as CSV or XLSX (by suffix), "<5" for small counts."""
    rules = rules or DisclosureRules()
    lyr, _ = published_layer(layer, rules)
    table = neutralise_formulas(file_names_only(display_table(lyr.data, rules, lyr.meta)))
    path = Path(path)
    with atomic_write_path(path) as tmp:
        if path.suffix.lower() == ".xlsx":
            table.to_excel(tmp, index=False, sheet_name=safe_name(layer.name, 31),
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
    grids = [lyr.name for lyr in safe if grids_in and lyr.kind == "grid" and has_table(lyr)]
    if grids:
        notes = [*notes, f"Grid-cell tables are not in this workbook but in {grids_in}: "
                 + ", ".join(grids) + "."]
    with atomic_write_path(path) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            used = set()
            for lyr in safe:
                if lyr.kind == "surface" or not has_table(lyr) or lyr.name in grids:
                    continue
                name = safe_name(lyr.name, 28)
                while name in used:
                    name += "_"
                used.add(name)
                neutralise_formulas(file_names_only(
                    display_table(lyr.data, rules, lyr.meta))).to_excel(
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
    return [lyr for lyr in layers if has_table(lyr)]


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
        stem = base = safe_name(lyr.name, 40)
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
