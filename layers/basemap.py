"""Offline basemaps: a raster the analyst already has, drawn under the map layers.

Police networks are often closed, so hotmap fetches no web tiles.  A basemap is
any raster GDAL reads, typically Ordnance Survey OpenMap - Local or VectorMap
District GeoTIFF tiles (British National Grid), one file or a ``.vrt`` mosaic
made with ``gdalbuildvrt``.  A raster in another CRS is warped to EPSG:27700 as
it is read.  RGB(A) rasters are drawn as they are, a single band with a colour
table through its table, and any other single band as grey.

Only the part in view is read, at about the resolution it is shown at (GDAL
picks overviews when the file has them), so a national mosaic stays cheap.
:mod:`mapping.render.basemap` draws it, the same on the desktop canvas and in
exported maps; a basemap never sets a map's extent, legend or data exports.  Its copyright
line goes into the map's attribution (``os`` by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from layers.common.errors import InputError

__all__ = ["Basemap", "open_basemap"]

WORKING_CRS = "EPSG:27700"


@dataclass
class Basemap:
    """A raster basemap, opened lazily for each read.

    Attributes
    ----------
    path : Path
        The raster (GeoTIFF, VRT, or anything GDAL opens).
    bounds : tuple
        (xmin, ymin, xmax, ymax) in EPSG:27700.
    crs : str
        The file's own CRS.
    bands : int
        Bands in the file.
    reads : int
        Windows read so far (for tests and the status bar).
    """

    path: Path
    bounds: tuple
    crs: str
    bands: int
    _cache: dict = field(default_factory=dict, repr=False)
    reads: int = 0

    def __len__(self) -> int:  # a basemap has no rows
        return 0

    def read(self, extent, width_px: int, height_px: int):
        """RGBA pixels (uint8) of the part of ``extent`` the raster covers.

        Parameters
        ----------
        extent : (xmin, ymin, xmax, ymax) in EPSG:27700
        width_px, height_px : int
            Pixel size the whole extent is shown at.

        Returns
        -------
        (rgba, (xmin, xmax, ymin, ymax)) or (None, None) when nothing is in view.  The
        extent is that of the pixels read (the view clipped to the raster).
        """
        bx0, by0, bx1, by1 = self.bounds
        x0, y0, x1, y1 = max(extent[0], bx0), max(extent[1], by0), \
            min(extent[2], bx1), min(extent[3], by1)
        if not (x1 > x0 and y1 > y0) or width_px < 1 or height_px < 1:
            return None, None
        sx = (x1 - x0) / (extent[2] - extent[0])
        sy = (y1 - y0) / (extent[3] - extent[1])
        w = max(1, int(round(width_px * sx)))
        h = max(1, int(round(height_px * sy)))
        key = (round(x0, 3), round(y0, 3), round(x1, 3), round(y1, 3), w, h)
        if key not in self._cache:
            self._cache.clear()  # keep only the view on screen
            self._cache[key] = self._read(x0, y0, x1, y1, w, h)
            self.reads += 1
        return self._cache[key]

    def _read(self, x0, y0, x1, y1, w, h):
        import rasterio
        from rasterio.enums import Resampling
        from rasterio.errors import WindowError
        from rasterio.vrt import WarpedVRT
        from rasterio.windows import Window, from_bounds
        from rasterio.windows import bounds as window_bounds

        with rasterio.open(self.path) as src:
            ds = src if _is_bng(src.crs) else WarpedVRT(src, crs=WORKING_CRS,
                                                         resampling=Resampling.bilinear)
            try:
                full = Window(0, 0, ds.width, ds.height)
                want = from_bounds(x0, y0, x1, y1, transform=ds.transform)
                try:
                    win = want.intersection(full)
                except WindowError:  # nothing of the raster in view
                    return None, None
                # the part of the view actually read, and never more pixels than it has
                w = min(max(1, int(round(w * win.width / want.width))),
                        max(1, int(round(win.width))))
                h = min(max(1, int(round(h * win.height / want.height))),
                        max(1, int(round(win.height))))
                data = ds.read(window=win, out_shape=(ds.count, h, w), masked=True,
                               resampling=Resampling.bilinear)
                left, bottom, right, top = window_bounds(win, ds.transform)
                cmap = None
                if ds.count == 1:
                    try:
                        cmap = src.colormap(1)
                    except ValueError:
                        cmap = None
            finally:
                if ds is not src:
                    ds.close()
        return _to_rgba(data, cmap), (left, right, bottom, top)


def _is_bng(crs) -> bool:
    if crs is None:
        return False
    from pyproj import CRS

    return CRS.from_user_input(crs.to_wkt()).equals(CRS.from_epsg(27700))


def _to_8bit(a) -> np.ndarray:
    a = np.asarray(a, float)
    if a.size and np.nanmax(a) > 255:  # 16-bit imagery
        a = a / 257.0
    return np.clip(np.nan_to_num(a), 0, 255).astype(np.uint8)


def _to_rgba(data, cmap) -> np.ndarray:
    """(bands, h, w) masked array -> (h, w, 4) uint8; masked pixels transparent."""
    mask = np.ma.getmaskarray(data).any(axis=0)
    raw = np.ma.getdata(data)
    h, w = raw.shape[1:]
    out = np.zeros((h, w, 4), np.uint8)
    if raw.shape[0] >= 3:
        for k in range(3):
            out[..., k] = _to_8bit(raw[k])
        out[..., 3] = _to_8bit(raw[3]) if raw.shape[0] >= 4 else 255
    elif cmap:
        lut = np.zeros((256, 4), np.uint8)
        for i, rgba in cmap.items():
            if 0 <= i < 256:
                lut[i] = rgba
        out[:] = lut[np.clip(raw[0], 0, 255).astype(np.uint8)]
    else:
        band = raw[0].astype(float)
        good = band[~mask] if (~mask).any() else band.ravel()
        lo, hi = (np.percentile(good, [2, 98]) if good.size else (0.0, 1.0))
        grey = np.clip((band - lo) / (hi - lo if hi > lo else 1.0) * 255, 0, 255)
        out[..., :3] = grey.astype(np.uint8)[..., None]
        out[..., 3] = 255
    out[mask, 3] = 0
    return out


def open_basemap(path) -> Basemap:
    """Check a raster can serve as a basemap and return it.

    Raises
    ------
    InputError
        Missing or unreadable file, or a raster with no CRS (a TIFF without its
        world file and projection), with the fix.
    """
    import rasterio
    from rasterio.errors import RasterioIOError

    path = Path(path)
    if not path.exists():
        raise InputError("basemap file not found", path=path,
                         fix="check the path, or remove the basemap from the project")
    try:
        with rasterio.open(path) as src:
            crs, count = src.crs, src.count
            if crs is None:
                raise InputError("the raster has no coordinate reference system", path=path,
                                 fix="keep its .prj/.aux.xml beside it, or assign one with "
                                     "gdal_translate -a_srs EPSG:27700")
            from rasterio.warp import transform_bounds

            bounds = tuple(transform_bounds(crs, WORKING_CRS, *src.bounds, densify_pts=21))
    except RasterioIOError as exc:
        raise InputError(f"not a raster GDAL can read ({exc})", path=path,
                         fix="use a GeoTIFF, a .vrt mosaic or another GDAL raster") from None
    return Basemap(path=path, bounds=bounds, crs=crs.to_string(), bands=count)
