"""The map canvas: a matplotlib Axes drawn by :func:`mapping.render.draw.draw_layers`.

The screen uses the same renderer as export, so what the analyst sees is
what the exported map shows.  To stay responsive on big layers:

* a full render (``draw_layers`` + Agg) is *debounced*: changes to the layer
  stack coalesce into one render, and after a pan or zoom the full-quality
  redraw waits until the user pauses (:attr:`MapCanvas.settle_ms`);
* meanwhile every pan/zoom frame is drawn from a *cached snapshot* of the last
  full render (one image, a few milliseconds whatever the feature count),
  so dragging never waits for 34,753 polygons;
* the full-quality redraw of a view (:meth:`MapCanvas.settle`) runs on a worker
  thread (:func:`mapping.render.draw.render_view`, the renderer exports use, on a
  figure of its own) and draws only the features in view, found with a spatial
  index: zoomed to one city, a few hundred of the nation's LSOAs.  Its image
  replaces the snapshot when it arrives, unless the view has moved on since.

Mouse: drag pans, the wheel zooms about the cursor, Shift+drag (or the zoom
tool) zooms to a box, a click identifies the feature under the cursor and
selects it.  The cursor position is emitted in British National Grid metres
and latitude/longitude.
"""

from __future__ import annotations

import time

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle
from PySide6.QtCore import QTimer, Signal
from shiboken6 import isValid

from app.canvas_tools import CanvasToolsMixin
from app.workers import start_worker

__all__ = ["MapCanvas", "bng_to_latlon", "format_position"]

_TO_WGS84 = None


def bng_to_latlon(x: float, y: float) -> tuple[float, float]:
    """British National Grid metres to (latitude, longitude) in degrees (WGS84)."""
    global _TO_WGS84
    if _TO_WGS84 is None:
        from pyproj import Transformer

        _TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = _TO_WGS84.transform(x, y)
    return float(lat), float(lon)


def format_position(x: float, y: float) -> str:
    """Status-bar text for a position: BNG easting/northing and lat/lon."""
    lat, lon = bng_to_latlon(x, y)
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    return (f"E {x:,.0f} m  N {y:,.0f} m (British National Grid)   "
            f"{abs(lat):.5f}°{ns} {abs(lon):.5f}°{ew}")


def _draw_view(render_view, *args, **kw):
    """The worker thread's job: the view image, and which thread drew it."""
    import threading

    rgba, infos = render_view(*args, **kw)
    return threading.get_ident(), rgba, infos


class MapCanvas(CanvasToolsMixin, FigureCanvasQTAgg):
    """The interactive map.

    Signals
    -------
    cursor_moved(float, float)
        Cursor position in BNG metres.
    identified(str, object, dict)
        Layer name, row label and attributes of the clicked feature.
    selection_changed(str, list)
        Layer name and selected row labels (from a click on the map).
    rendered(float)
        Seconds the last full render took.
    view_rendered(float)
        Seconds from :meth:`settle` to the redrawn view on the canvas.
    """

    cursor_moved = Signal(float, float)
    identified = Signal(str, object, dict)
    selection_changed = Signal(str, list)
    rendered = Signal(float)
    view_rendered = Signal(float)

    settle_ms = 250
    tolerance_px = 6
    _draws = 0  # figure draws so far (see _draw_once)

    def __init__(self, parent=None):
        self.figure = Figure(figsize=(8, 6), dpi=100, facecolor="#f7f7f5")
        super().__init__(self.figure)
        self.setParent(parent)
        self.ax = self.figure.add_axes([0, 0, 1, 1])
        self._style_axes()
        self.stack = None
        self.fictional = False  # label the map FICTIONAL (the demo)
        self.render_infos: list = []
        self.tool = "pan"  # pan | zoom | identify
        self._press = None
        self._rubber: Rectangle | None = None
        self._snapshot: AxesImage | None = None
        self._snap_extent = None
        self._vector_artists: list = []
        self._selection = (None, [])
        self._selection_artist = None
        self._have_view = False
        self._view_job = 0  # the latest settle(); older redraws arriving late are dropped
        self.view_infos: list = []  # what the last redraw of a view drew (RenderInfo.drawn)
        self.view_thread: int | None = None  # the thread that drew it
        self._render_timer = QTimer(self, singleShot=True, interval=30)
        self._render_timer.timeout.connect(self.render_now)
        self._settle_timer = QTimer(self, singleShot=True, interval=self.settle_ms)
        self._settle_timer.timeout.connect(self.settle)
        self.mpl_connect("button_press_event", self._on_press)
        self.mpl_connect("motion_notify_event", self._on_motion)
        self.mpl_connect("button_release_event", self._on_release)
        self.mpl_connect("scroll_event", self._on_scroll)
        self.setMinimumSize(320, 240)

    # ------------------------------------------------------------ the model
    def set_stack(self, stack) -> None:
        """Observe a :class:`layers.model.LayerStack` and draw it."""
        if self.stack is not None:
            for sig in (self.stack.inserted, self.stack.removed, self.stack.moved,
                        self.stack.layer_changed):
                try:
                    sig.disconnect(self._on_stack_event)
                except (TypeError, ValueError, RuntimeError):
                    pass
        self.stack = stack
        self._selection = (None, [])
        self._have_view = False
        for sig in (stack.inserted, stack.removed, stack.moved, stack.layer_changed):
            sig.connect(self._on_stack_event)
        self.schedule_render()

    def _on_stack_event(self, *args) -> None:
        if len(args) == 2 and isinstance(args[1], str) and args[1] == "name":
            return  # a rename does not change the picture
        self.schedule_render()

    def schedule_render(self) -> None:
        """Render soon, coalescing bursts of changes into one render."""
        self._render_timer.start()

    # -------------------------------------------------------------- drawing
    def _style_axes(self) -> None:
        ax = self.ax
        ax.set_axis_off()
        ax.set_facecolor("#f7f7f5")
        ax.set_aspect("auto")  # equal scale is kept by _fit (the axes fill the widget)

    def render_now(self) -> float:
        """Full render of the visible layers with the shared renderer; returns seconds."""
        from mapping.render.draw import draw_layers

        self._render_timer.stop()
        self._view_job += 1  # a redraw of the old layers still on its way is stale
        t0 = time.perf_counter()
        view = (self.ax.get_xlim(), self.ax.get_ylim()) if self._have_view else None
        self.ax.clear()
        self._style_axes()
        self._snapshot = None
        self._selection_artist = None
        self._rubber = None
        layers = self._layers()
        cull = None
        if view is not None:  # only the features in view (and a margin of a few pixels)
            (x0, x1), (y0, y1) = view
            pad = 4 * (x1 - x0) / max(self.ax.bbox.width, 1.0)
            cull = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
        try:
            self.render_infos = draw_layers(self.ax, layers, view=cull) if layers else []
        except Exception:  # noqa: BLE001 - find the layer at fault and disable it
            self.ax.clear()
            self._style_axes()
            self.render_infos = []
            for lyr in layers:
                try:
                    self.render_infos += draw_layers(self.ax, [lyr], view=cull)
                except Exception as exc:  # noqa: BLE001
                    lyr.disable(f"cannot draw: {type(exc).__name__}: {exc}")
        self.ax.set_aspect("auto")
        self._vector_artists = list(self.ax.collections) + list(self.ax.images) + \
            list(self.ax.texts)
        if view is not None:
            self.ax.set_xlim(*view[0])
            self.ax.set_ylim(*view[1])
        else:
            b = self.stack.bounds if self.stack is not None else None
            if b is not None:
                self._set_extent(b)
                self._have_view = True
        self.ax.set_autoscale_on(False)
        if self.stack is not None and not len(self.stack):
            self.ax.text(0.5, 0.5, "An empty project: import boundaries or records to begin\n"
                         "(File > Import boundaries… / Import records…)",
                         transform=self.ax.transAxes, ha="center", va="center", fontsize=11,
                         color="#777777")
        if self.fictional:
            self.ax.text(0.01, 0.01, "FICTIONAL DATA – not real events, people or places",
                         transform=self.ax.transAxes, fontsize=9, color="#b2182b",
                         ha="left", va="bottom", zorder=40,
                         bbox={"boxstyle": "square,pad=0.3", "fc": "white", "ec": "#b2182b"})
        self._draw_selection()
        self._draw_once()
        self._take_snapshot()
        dt = time.perf_counter() - t0
        self.rendered.emit(dt)
        return dt

    def draw(self) -> None:
        """Render the figure (matplotlib's ``draw``), counting the draws for :meth:`_draw_once`."""
        super().draw()
        self._draws += 1

    def _draw_once(self) -> None:
        """Draw now, taking in an idle draw already asked for (by a resize when shown).

        ``draw`` leaves a pending ``draw_idle`` in place, which would draw the whole map
        again at the next paint (0.2 s for the nation's LSOAs); asked for the idle way
        and painted at once, the figure is drawn once.  Hidden, it is drawn directly.
        """
        drawn = self._draws
        self.draw_idle()
        if self.isVisible():
            self.repaint()
        if self._draws == drawn:
            self.draw()

    def _layers(self) -> list:
        return [lyr for lyr in (self.stack.visible() if self.stack is not None else [])
                if lyr.kind not in ("table", "figure")]

    def _take_snapshot(self) -> None:
        """Keep the full render as an image for fast pan/zoom frames."""
        buf = np.asarray(self.buffer_rgba()).copy()
        bbox = self.ax.bbox
        h = buf.shape[0]
        x0, x1 = int(round(bbox.x0)), int(round(bbox.x1))
        y0, y1 = int(round(h - bbox.y1)), int(round(h - bbox.y0))
        self._snap_data = buf[max(y0, 0):y1, max(x0, 0):x1]
        xl, yl = self.ax.get_xlim(), self.ax.get_ylim()
        self._snap_extent = (xl[0], xl[1], yl[0], yl[1])

    def _preview(self) -> None:
        """Draw the current view from the cached snapshot (fast path)."""
        if self._snap_extent is None:
            self.draw_idle()
            return
        if self._snapshot is None:
            img = AxesImage(self.ax, interpolation="bilinear", zorder=0)
            img.set_data(self._snap_data)
            img.set_extent(self._snap_extent)
            self.ax.add_image(img)
            self._snapshot = img
        self._snapshot.set_interpolation("bilinear")
        for a in self._vector_artists:
            a.set_visible(False)
        self._snapshot.set_visible(True)
        self._settle_timer.start(self.settle_ms)

    def settle(self, sync: bool = False) -> None:
        """Full-quality redraw of the current view (after the user pauses).

        Drawn on a worker thread, only the features in view
        (:func:`mapping.render.draw.render_view`); ``view_rendered`` is emitted when
        the image is on the canvas.  ``sync=True`` draws it on this thread.
        """
        from mapping.render.draw import render_view

        self._settle_timer.stop()
        layers = self._layers()
        if not layers or self.stack is None:
            self.draw_idle()
            return
        self._view_job += 1
        job, view, t0 = self._view_job, self.view_extent(), time.perf_counter()
        bbox = self.figure.bbox
        args = (layers, view, int(bbox.width), int(bbox.height))
        kw = {"dpi": self.figure.dpi, "facecolor": self.ax.get_facecolor()}
        if sync:
            self._show_view(job, view, t0, _draw_view(render_view, *args, **kw))
            return
        worker = start_worker(_draw_view, render_view, *args, **kw)
        # a view finished after its window closed has nothing to draw on
        worker.signals.returned.connect(
            lambda res: self._show_view(job, view, t0, res) if isValid(self) else None)

    def _show_view(self, job, view, t0, result) -> None:
        """Put a redrawn view on the canvas, unless the view or the layers changed since."""
        if job != self._view_job or view != self.view_extent():
            return
        thread, rgba, infos = result
        self.view_thread, self.view_infos = thread, infos
        self._snap_data = rgba
        self._snap_extent = (view[0], view[2], view[1], view[3])
        if self._snapshot is None:
            self._snapshot = AxesImage(self.ax, zorder=0)
            self.ax.add_image(self._snapshot)
        self._snapshot.set_data(rgba)
        self._snapshot.set_extent(self._snap_extent)
        self._snapshot.set_interpolation("nearest")  # one image pixel per screen pixel
        self._snapshot.set_visible(True)
        for a in self._vector_artists:
            a.set_visible(False)
        self.draw()
        self.view_rendered.emit(time.perf_counter() - t0)

    def redraw_view(self, sync: bool = False) -> float:
        """Redraw after a view change through the cached path; returns seconds."""
        t0 = time.perf_counter()
        self._preview()
        if sync:
            self.draw()
        else:
            self.draw_idle()
        return time.perf_counter() - t0

    # ----------------------------------------------------------------- view
    def _set_extent(self, bounds, margin: float = 0.04) -> None:
        x0, y0, x1, y1 = bounds
        w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        self._fit(x0 - w * margin, y0 - h * margin, x1 + w * margin, y1 + h * margin)

    def _fit(self, x0, y0, x1, y1) -> None:
        """Show at least (x0, y0, x1, y1) with equal metres per pixel in x and y."""
        W, H = max(self.ax.bbox.width, 1.0), max(self.ax.bbox.height, 1.0)
        scale = max((x1 - x0) / W, (y1 - y0) / H, 1e-6)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.ax.set_xlim(cx - scale * W / 2, cx + scale * W / 2)
        self.ax.set_ylim(cy - scale * H / 2, cy + scale * H / 2)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        """Keep the centre and the scale when the widget is resized."""
        x0, y0, x1, y1 = self.view_extent()
        old_w = max(self.ax.bbox.width, 1.0)
        super().resizeEvent(event)
        if not self._have_view:
            return
        scale = (x1 - x0) / old_w
        W, H = max(self.ax.bbox.width, 1.0), max(self.ax.bbox.height, 1.0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.ax.set_xlim(cx - scale * W / 2, cx + scale * W / 2)
        self.ax.set_ylim(cy - scale * H / 2, cy + scale * H / 2)
        self._preview()

    def view_extent(self) -> tuple[float, float, float, float]:
        """Current (xmin, ymin, xmax, ymax) in metres."""
        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        return x0, y0, x1, y1

    def zoom_to_bounds(self, bounds, sync: bool = False) -> None:
        """Show ``bounds`` (xmin, ymin, xmax, ymax)."""
        if bounds is None:
            return
        self._have_view = True
        self._set_extent(bounds)
        self.redraw_view(sync)

    def zoom_full(self) -> None:
        """Zoom to the extent of all layers."""
        if self.stack is not None:
            self.zoom_to_bounds(self.stack.bounds)

    def zoom_to_layer(self, layer) -> None:
        """Zoom to one layer's extent."""
        self.zoom_to_bounds(layer.bounds)

    def zoom_by(self, factor: float, center=None, sync: bool = False) -> None:
        """Zoom in (factor < 1) or out (factor > 1) about ``center`` (default: the middle)."""
        x0, y0, x1, y1 = self.view_extent()
        cx, cy = center if center is not None else ((x0 + x1) / 2, (y0 + y1) / 2)
        self.ax.set_xlim(cx - (cx - x0) * factor, cx + (x1 - cx) * factor)
        self.ax.set_ylim(cy - (cy - y0) * factor, cy + (y1 - cy) * factor)
        self._have_view = True
        self.redraw_view(sync)

    def pan_by(self, dx: float, dy: float, sync: bool = False) -> None:
        """Move the view by (dx, dy) metres."""
        x0, y0, x1, y1 = self.view_extent()
        self.ax.set_xlim(x0 + dx, x1 + dx)
        self.ax.set_ylim(y0 + dy, y1 + dy)
        self._have_view = True
        self.redraw_view(sync)

    def set_tool(self, tool: str) -> None:
        """Choose what a left drag does: ``pan``, ``zoom`` (box) or ``identify``."""
        if tool not in ("pan", "zoom", "identify"):
            raise ValueError(f"unknown tool {tool!r}")
        self.tool = tool
