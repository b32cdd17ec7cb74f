"""A layer's data as every data writer writes it: in EPSG:27700, with dtypes OGR accepts,
formulas neutralised, after disclosure control (:mod:`mapping.export.data`)."""

from __future__ import annotations

import re
import warnings

import numpy as np

from layers.common.errors import InputError
from mapping.disclosure.rules import apply_rules

__all__ = ["safe_name", "neutralise_formulas", "file_names_only", "writable", "write_vector", "published_layer",
           "has_table", "layer_frame", "MAX_GPKG_CELLS"]


#: Most cells of a surface written as vector grid cells (beyond: GeoTIFF only).
MAX_GPKG_CELLS = 250_000

def safe_name(name: str, maxlen: int = 60) -> str:
    """A lower-case table or file name of letters, digits and ``_`` (at most ``maxlen``)."""
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


def file_names_only(table):
    """``table`` with its ``source_file`` values cut to the file name (a copy, if any).

    The loaders keep the path each row was read from, so that a rejected row can be
    found; a published table, workbook or GeoPackage names only the file, never the
    folders of the machine it was made on (a user name, a restricted share)."""
    if "source_file" not in getattr(table, "columns", ()):
        return table
    from pathlib import PureWindowsPath  # splits at "/" and at "\\" (a Windows share)

    out = table.copy()
    out["source_file"] = out["source_file"].map(
        lambda v: PureWindowsPath(v).name if isinstance(v, str) else v).astype(object)
    return out


def writable(df):
    """Return a copy with dtypes every OGR driver accepts (source files named by file name
    only: :func:`file_names_only`)."""
    out = file_names_only(df)
    out = df.copy() if out is df else out
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


def write_vector(frame, path, **kw):
    """Write a frame with :func:`pyogrio.write_dataframe` (imported here: it loads GDAL)."""
    import pyogrio

    with warnings.catch_warnings():  # atomic temp names end in .tmp; GDAL warns about it
        warnings.filterwarnings("ignore", message=".*extension.*", category=RuntimeWarning)
        pyogrio.write_dataframe(frame, path, **kw)


def published_layer(layer, rules, purpose="data"):
    """``(layer, notes)``: the layer as disclosure control lets it out, or an InputError when
    it is withheld."""
    safe, notes = apply_rules([layer], rules, purpose=purpose)
    if not safe:
        raise InputError(f"layer '{layer.name}' is withheld by disclosure control: "
                         + (notes[-1] if notes else "sensitive").rstrip("."),
                         fix="export an aggregated layer (counts by area or grid), or allow "
                             "raw export for this layer if you are entitled to")
    return safe[0], notes


def has_table(layer) -> bool:
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
