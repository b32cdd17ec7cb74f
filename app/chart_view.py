"""The Chart dock: an analysis's chart, live and linked to the map where it can be.

Funnel, trend and breakdown charts are drawn live on a matplotlib Qt canvas
by the chart functions their exports use (:mod:`app.chart_links`): clicking a
dot or a bar (Shift adds, a dragged box takes every dot in it) asks for
its rows to be selected (:attr:`ChartViewWidget.selection_requested`), and
:meth:`ChartViewWidget.highlight` rings the marks of rows selected on the map
or in the table, as GeoDa links its views.  Other charts show their saved
image (a PNG or SVG).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QDockWidget, QHBoxLayout, QLabel, QPushButton, QScrollArea,
                               QStackedWidget, QVBoxLayout, QWidget)

__all__ = ["ChartViewWidget", "figure_path"]


def figure_path(layer) -> Path | None:
    """The image file of a figure layer (PNG preferred over SVG), or None."""
    data = layer.data
    paths = data if isinstance(data, (list, tuple)) else [data]
    paths = [Path(p) for p in paths if isinstance(p, (str, Path))]
    for suffix in (".png", ".svg"):
        for p in paths:
            if p.suffix.lower() == suffix and p.exists():
                return p
    return None


class ChartViewWidget(QWidget):
    """A chart layer: live and linked (funnel, trend, breakdown) or its saved image.

    Signals
    -------
    selection_requested(str, list)
        Layer name and row labels the user picked on the chart.
    """

    selection_requested = Signal(str, list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("Select a chart layer to show it here.", self)
        self.title.setWordWrap(True)
        self.hint = QLabel("", self)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555; font-size: 9pt;")
        self.image = QLabel(self)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.image)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(scroll)
        self.live = QScrollArea(self)  # the live chart, at the export's proportions
        self.live.setWidgetResizable(False)
        self.live.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.pages.addWidget(self.live)
        self.pop = QPushButton("Open in its own window", self)
        self.pop.setToolTip("Float the chart in a larger window (double-click its title bar "
                            "to put it back)")
        self.pop.clicked.connect(self.pop_out)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.pop, 0, Qt.AlignmentFlag.AlignTop)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.pages, 1)
        lay.addWidget(self.hint)
        self._pixmap = None
        self.layer = None
        self.link = None
        self.canvas = None
        self._press = None
        self._marks: list[int] = []

    # ------------------------------------------------------------------ showing
    def set_layer(self, layer, stack=None, project=None) -> bool:
        """Show ``layer``'s chart (live when it can be linked); False if there is nothing."""
        from app.chart_links import chart_link

        self.layer = layer
        self.link = None
        self._marks = []
        link = None
        if layer is not None and stack is not None:
            try:
                link = chart_link(layer, stack, project)
                if link is not None:
                    link.draw()
            except Exception:  # noqa: BLE001 - a chart that cannot be redrawn shows its image
                link = None
        if link is not None:
            self._show_live(layer, link)
            return True
        return self._show_image(layer)

    def _show_live(self, layer, link) -> None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        if self.canvas is not None:
            self.live.takeWidget()
            self.canvas.deleteLater()
        self.link = link
        self._inches = tuple(link.figure.get_size_inches())  # the export's size
        self.canvas = FigureCanvasQTAgg(link.figure)
        self.canvas.mpl_connect("button_press_event", self._on_press)
        self.canvas.mpl_connect("button_release_event", self._on_release)
        self.live.setWidget(self.canvas)
        self.pages.setCurrentWidget(self.live)
        self._fit_chart()
        title = (layer.meta or {}).get("title") or layer.name
        what = {"funnel": "a dot selects its area", "trend": "a bar selects that month's "
                "records", "breakdown": "a bar selects the records in that group"}[link.kind]
        self.title.setText(f"<b>{title}</b>")
        back = ("selecting these areas (or areas with the same codes) on the map or in the "
                "table rings their dots" if link.kind == "funnel" else
                f"selecting records of '{link.target.name}', or areas holding them, lights "
                "their share of each bar")
        self.hint.setText(f"Linked to the map and the table: clicking {what} (Shift adds"
                          + (", drag a box for several" if link.kind == "funnel" else "")
                          + f"); {back}.")
        self.canvas.draw_idle()

    def _show_image(self, layer) -> bool:
        self.pages.setCurrentIndex(0)
        self.hint.setText("")
        path = figure_path(layer) if layer is not None else None
        if path is None:
            self._pixmap = None
            self.image.clear()
            self.title.setText("This layer has no chart image." if layer else
                               "Select a chart layer to show it here.")
            return False
        if path.suffix.lower() == ".svg":
            from PySide6.QtGui import QImage, QPainter
            from PySide6.QtSvg import QSvgRenderer

            r = QSvgRenderer(str(path))
            size = r.defaultSize() * 2
            img = QImage(size, QImage.Format.Format_ARGB32)
            img.fill(Qt.GlobalColor.white)
            p = QPainter(img)
            r.render(p)
            p.end()
            self._pixmap = QPixmap.fromImage(img)
        else:
            self._pixmap = QPixmap(str(path))
        title = (layer.meta or {}).get("title") or layer.name
        self.title.setText(f"<b>{title}</b><br><small>{path}</small>")
        self._fit()
        return not self._pixmap.isNull()

    def _fit(self) -> None:
        if self._pixmap is None or self._pixmap.isNull():
            return
        w = max(200, self.width() - 40)
        self.image.setPixmap(self._pixmap.scaledToWidth(
            min(w, self._pixmap.width()), Qt.TransformationMode.SmoothTransformation))

    def _fit_chart(self) -> None:
        """Scale the live chart to the dock's width, keeping the export's layout.

        The chart is laid out in inches for the page (17 cm wide); on screen its
        resolution changes, not its size in inches, so text, margins and
        legend sit where the exported PNG has them.
        """
        if self.canvas is None or self.link is None:
            return
        w_in, h_in = self._inches
        avail = max(200, self.live.viewport().width() - 4)
        dpi = max(35.0, min(150.0, avail / w_in))
        fig = self.link.figure
        fig.set_dpi(dpi)
        fig.set_size_inches(w_in, h_in, forward=False)
        self.canvas.setFixedSize(int(w_in * dpi), int(h_in * dpi))
        self.canvas.draw_idle()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit()
        self._fit_chart()

    def pop_out(self) -> None:
        """Float the Chart dock at about the export's size (or put it back)."""
        dock = self.parentWidget()
        if not isinstance(dock, QDockWidget):
            return
        dock.setFloating(not dock.isFloating())
        if dock.isFloating():
            w_in, h_in = getattr(self, "_inches", (6.7, 4.7))
            dock.resize(int(w_in * 110) + 40, int(h_in * 110) + 150)

    # --------------------------------------------------------------- linking
    def highlight(self, layer_name: str, labels, stack=None) -> list[int]:
        """Highlight the marks of rows ``labels`` of ``layer_name``; returns the marks."""
        if self.link is None:
            return []
        marks = self.link.marks_for(layer_name, labels, stack) if labels else []
        self._marks = marks
        self.link.highlight(marks)
        self.canvas.draw_idle()
        return marks

    def pick_marks(self, marks, add: bool = False) -> list:
        """Select the rows of chart marks (as a click would) and emit them."""
        if self.link is None:
            return []
        marks = sorted(set(marks) | (set(self._marks) if add else set()))
        labels = self.link.pick(marks)
        self._marks = marks
        self.link.highlight(marks)
        self.canvas.draw_idle()
        self.selection_requested.emit(self.link.target.name, labels)
        return labels

    def _on_press(self, event) -> None:
        if event.button == 1 and event.inaxes is self.link.ax:
            self._press = (event.x, event.y, event.xdata, event.ydata)

    def _on_release(self, event) -> None:
        if self._press is None or self.link is None:
            return
        px, py, xd, yd = self._press
        self._press = None
        add = bool(event.key and "shift" in event.key)
        if event.x is not None and abs(event.x - px) + abs(event.y - py) > 6 \
                and event.xdata is not None and self.link.kind == "funnel":
            self.pick_marks(self.link.marks_in(xd, yd, event.xdata, event.ydata), add)
            return
        i = self.link.mark_at(px, py)
        self.pick_marks([] if i is None else [i], add)
