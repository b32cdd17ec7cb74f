"""Show an analysis's chart outputs (layers of kind ``figure``: a saved PNG or SVG)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

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
    """A scrollable, scaled view of a chart image."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("Select a chart layer to show it here.", self)
        self.title.setWordWrap(True)
        self.image = QLabel(self)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.image)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(scroll, 1)
        self._pixmap = None
        self.layer = None

    def set_layer(self, layer) -> bool:
        """Show ``layer``'s chart; False if it has no image to show."""
        self.layer = layer
        path = figure_path(layer) if layer is not None else None
        if path is None:
            self._pixmap = None
            self.image.clear()
            self.title.setText("This layer has no chart image." if layer else "")
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

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit()
