"""Selection, identify and mouse handling of the map canvas (mixed into :class:`MapCanvas`).

Drag pans, the wheel zooms about the cursor, Shift+drag (or the zoom tool)
zooms to a box, and a click identifies and selects the feature under it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

__all__ = ["CanvasToolsMixin"]


class CanvasToolsMixin:
    """Selection highlight, identify and mouse interaction for :class:`app.canvas.MapCanvas`."""

    # ------------------------------------------------------------- selection
    def set_selection(self, layer_name: str | None, labels, emit: bool = False) -> None:
        """Highlight rows ``labels`` of layer ``layer_name`` (None clears)."""
        self._selection = (layer_name, list(labels or []))
        self._draw_selection()
        self.draw_idle()
        if emit:
            self.selection_changed.emit(layer_name or "", list(labels or []))

    @property
    def selection(self) -> tuple[str | None, list]:
        """(layer name, selected row labels)."""
        return self._selection

    def _draw_selection(self) -> None:
        if self._selection_artist is not None:
            try:
                self._selection_artist.remove()
            except (ValueError, NotImplementedError):
                pass
            self._selection_artist = None
        name, labels = self._selection
        if not name or not labels or self.stack is None or name not in self.stack:
            return
        layer = self.stack[name]
        gdf = layer.data
        if not hasattr(gdf, "geometry"):
            return
        sub = gdf.loc[[lab for lab in labels if lab in gdf.index]]
        if sub.empty:
            return
        if layer.kind == "points":
            self._selection_artist = self.ax.scatter(
                sub.geometry.x, sub.geometry.y, s=90, facecolors="none",
                edgecolors="#00e5ff", linewidths=2.0, zorder=20)
        else:
            from matplotlib.collections import PathCollection

            from mapping.render.feature_paths import polygon_paths

            coll = PathCollection(polygon_paths(sub.geometry.values), facecolors="none",
                                  edgecolors="#00c8ff", linewidths=2.2, zorder=20,
                                  transform=self.ax.transData)
            self.ax.add_collection(coll, autolim=False)
            self._selection_artist = coll

    # ------------------------------------------------------------- identify
    def feature_at(self, x: float, y: float):
        """Return (layer, row label) of the topmost visible feature at (x, y), or None."""
        import shapely

        if self.stack is None:
            return None
        x0, _, x1, _ = self.view_extent()
        width_px = max(self.ax.bbox.width, 1)
        tol = self.tolerance_px * (x1 - x0) / width_px
        for layer in reversed(self.stack.visible()):
            gdf = layer.data
            if not hasattr(gdf, "sindex") or len(gdf) == 0:
                continue
            pt = shapely.Point(x, y)
            if layer.kind == "points":
                idx = gdf.sindex.query(pt.buffer(tol))
                if len(idx):
                    d = gdf.geometry.iloc[idx].distance(pt).to_numpy()
                    return layer, gdf.index[idx[int(np.argmin(d))]]
            else:
                idx = gdf.sindex.query(pt, predicate="intersects")
                if len(idx):
                    return layer, gdf.index[idx[-1]]
        return None

    def identify(self, x: float, y: float):
        """Identify and select the feature at (x, y); emit :attr:`identified`."""
        hit = self.feature_at(x, y)
        if hit is None:
            self.set_selection(None, [], emit=True)
            return None
        layer, label = hit
        row = layer.data.loc[label]
        attrs = {k: v for k, v in row.items() if k != layer.data.geometry.name}
        self.set_selection(layer.name, [label], emit=True)
        self.identified.emit(layer.name, label, attrs)
        return layer.name, label, attrs

    # ---------------------------------------------------------------- mouse
    def _on_press(self, event) -> None:
        if event.inaxes is not self.ax or event.button != 1:
            return
        shift = bool(event.key and "shift" in event.key)
        mode = "zoom" if (self.tool == "zoom" or shift) else self.tool
        self._press = (mode, event.x, event.y, event.xdata, event.ydata,
                       self.ax.get_xlim(), self.ax.get_ylim(), False)

    def _on_motion(self, event) -> None:
        if event.inaxes is self.ax and event.xdata is not None:
            self.cursor_moved.emit(float(event.xdata), float(event.ydata))
        if self._press is None or event.x is None:
            return
        mode, px, py, xd, yd, xl, yl, moved = self._press
        if not moved and abs(event.x - px) + abs(event.y - py) < 4:
            return
        self._press = (mode, px, py, xd, yd, xl, yl, True)
        if mode == "pan" or mode == "identify":
            sx = (xl[1] - xl[0]) / max(self.ax.bbox.width, 1)
            sy = (yl[1] - yl[0]) / max(self.ax.bbox.height, 1)
            dx, dy = (event.x - px) * sx, (event.y - py) * sy
            self.ax.set_xlim(xl[0] - dx, xl[1] - dx)
            self.ax.set_ylim(yl[0] - dy, yl[1] - dy)
            self._have_view = True
            self.redraw_view()
        elif mode == "zoom" and event.xdata is not None:
            if self._rubber is None:
                self._rubber = Rectangle((xd, yd), 0, 0, fill=False, edgecolor="#d7301f",
                                         linestyle="--", linewidth=1.2, zorder=30)
                self.ax.add_patch(self._rubber)
            self._rubber.set_width(event.xdata - xd)
            self._rubber.set_height(event.ydata - yd)
            self.draw_idle()

    def _on_release(self, event) -> None:
        if self._press is None:
            return
        mode, px, py, xd, yd, xl, yl, moved = self._press
        self._press = None
        if self._rubber is not None:
            self._rubber.remove()
            self._rubber = None
        if not moved:
            if event.xdata is not None and event.inaxes is self.ax:
                self.identify(float(event.xdata), float(event.ydata))
            return
        if mode == "zoom" and event.xdata is not None:
            xa, xb = sorted((xd, event.xdata))
            ya, yb = sorted((yd, event.ydata))
            if xb - xa > 1 and yb - ya > 1:
                self.zoom_to_bounds((xa, ya, xb, yb))
            else:
                self.draw_idle()

    def _on_scroll(self, event) -> None:
        if event.inaxes is not self.ax or event.xdata is None:
            return
        factor = 0.8 if event.button == "up" else 1.25
        self.zoom_by(factor, center=(event.xdata, event.ydata))
