"""Write and read surfaces: GeoTIFF rasters and GeoPackage grids of cell polygons.

GeoTIFFs are single-band float32 in EPSG:27700 with nodata ``-9999`` outside
the study area; the units and the analysis metadata are stored as GDAL
tags (``units``, ``method``, ``kernel``, ``bandwidth_m``...).  Grids are one
square polygon per cell with a value column.  Every file is written
atomically.

Public functions: :func:`write_geotiff`, :func:`read_geotiff`,
:func:`write_cells`, :func:`write_surface`; :func:`surface_to_cells` (the grid of cell
polygons) lives in :mod:`mapping.core.surface` and is re-exported here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from layers.common.atomic import atomic_write_path
from layers.common.errors import InputError
from mapping.core.surface import surface_to_cells  # re-exported: cells are written here

__all__ = ["write_geotiff", "read_geotiff", "surface_to_cells", "write_cells", "write_surface",
           "NODATA"]

NODATA = -9999.0


def _tags(surface, extra=None) -> dict:
    tags = {"units": surface.units}
    for k, v in {**(surface.meta or {}), **(extra or {})}.items():
        if v in (None, "", [], {}):
            continue
        tags[str(k)] = v if isinstance(v, str) else json.dumps(v, default=str,
                                                               ensure_ascii=False)
    return tags


def write_geotiff(surface, path, *, meta: dict | None = None) -> Path:
    """Write ``surface`` as a float32 GeoTIFF (EPSG:27700, nodata −9999, LZW).

    ``meta`` (a result's metadata: title, subject, filter, attribution ...)
    is stored in the GDAL tags beside the surface's own.
    """
    import rasterio
    from affine import Affine

    path = Path(path)
    ny, nx = surface.shape
    data = np.asarray(surface.values, np.float32)
    data = np.where(np.isnan(data), np.float32(NODATA), data)
    cs = surface.cell_size
    transform = Affine(cs, 0.0, surface.x0, 0.0, -cs, surface.y0 + ny * cs)
    with atomic_write_path(path) as tmp:
        with rasterio.open(tmp, "w", driver="GTiff", width=nx, height=ny, count=1,
                           dtype="float32", crs=surface.crs, transform=transform,
                           nodata=NODATA, compress="lzw") as dst:
            dst.write(data, 1)
            dst.update_tags(**_tags(surface, meta))
            dst.set_band_description(1, surface.units or "value")
    return path


def read_geotiff(path):
    """Read a single-band GeoTIFF written by hotmap (or any north-up raster) as a Surface."""
    import rasterio

    from mapping.core.surface import Surface

    path = Path(path)
    if not path.exists():
        raise InputError("file not found", path=path, fix="check the path")
    with rasterio.open(path) as src:
        t = src.transform
        if abs(t.a) != abs(t.e) or t.b or t.d or t.e > 0:
            raise InputError("the raster is rotated, not north-up or has non-square cells",
                             path=path, fix="warp it to a north-up square grid first")
        data = src.read(1).astype(np.float32)
        if src.nodata is not None:
            data[data == src.nodata] = np.nan
        tags = src.tags()
        crs = src.crs.to_string() if src.crs else "EPSG:27700"
        ny = src.height
        meta = {}
        for k, v in tags.items():
            if k == "units":
                continue
            try:
                meta[k] = json.loads(v)
            except (ValueError, TypeError):
                meta[k] = v
        return Surface(values=data, x0=t.c, y0=t.f - ny * t.a, cell_size=t.a, crs=crs,
                       units=tags.get("units", ""), meta=meta)


def write_cells(gdf, path, layer: str | None = None) -> Path:
    """Write a GeoDataFrame (e.g. grid cells) to GeoPackage atomically."""
    import warnings

    path = Path(path)
    with atomic_write_path(path) as tmp, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*extension should be", category=RuntimeWarning)
        gdf.to_file(tmp, driver="GPKG", layer=layer or path.stem)
    return path


def write_surface(surface, path, value_name: str = "value", extra=None) -> Path:
    """Write ``.tif``/``.tiff`` as GeoTIFF or ``.gpkg`` as a grid of cell polygons."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff"):
        return write_geotiff(surface, path)
    if suffix == ".gpkg":
        return write_cells(surface_to_cells(surface, value_name, extra=extra), path)
    raise InputError(f"cannot write a surface as '{suffix}'", path=path,
                     fix="use an .tif (GeoTIFF) or .gpkg (grid of cells) output")
