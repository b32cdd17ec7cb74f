"""Drawing an offline basemap (:mod:`layers.basemap`) under the map layers.

The artist reads the raster for the view and pixel size it is drawn at, so the
desktop canvas and every exported map (one renderer) show the same basemap at
the resolution of the output.
"""

from __future__ import annotations

import numpy as np

from layers.basemap import Basemap

__all__ = ["draw_basemap"]


def _basemap_image_class():
    from matplotlib.image import AxesImage

    class BasemapImage(AxesImage):
        """An image that reads the basemap for the view it is drawn in."""

        def __init__(self, ax, basemap: Basemap, **kw):
            super().__init__(ax, origin="upper", interpolation="bilinear", **kw)
            self.basemap = basemap
            self.set_data(np.zeros((1, 1, 4), np.uint8))
            self._extent = (0.0, 1.0, 0.0, 1.0)

        def draw(self, renderer):
            ax = self.axes
            (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
            bbox = ax.get_window_extent(renderer)
            # vector backends (PDF, SVG) lay out in points but embed images at the
            # figure's dpi: read at that resolution, not at 72 dpi
            mag = renderer.get_image_magnification() if hasattr(
                renderer, "get_image_magnification") else 1.0
            rgba, ext = self.basemap.read((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)),
                                          int(bbox.width * mag), int(bbox.height * mag))
            if rgba is None:
                return
            self.set_data(rgba)
            # set directly: a basemap must not widen the axes' data limits
            self._extent = ext
            super().draw(renderer)

    return BasemapImage


def draw_basemap(ax, basemap: Basemap, *, opacity: float = 1.0):
    """Put a basemap artist under everything on ``ax`` (it reads when drawn)."""
    cls = _basemap_image_class()
    im = cls(ax, basemap, alpha=float(opacity), zorder=-100)
    ax.add_artist(im)
    return im
