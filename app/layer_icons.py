"""Small swatches for the layer list: a layer's look, and the folder of a group."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

__all__ = ["layer_icon", "group_icon"]


def group_icon(size: int = 16) -> QIcon:
    """A folder: the results of one analysis."""
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QColor("#8c6d1f"))
    p.setBrush(QColor("#f2c94c"))
    p.drawRect(1, 3, 6, 3)
    p.drawRect(1, 5, size - 3, size - 8)
    p.end()
    return QIcon(pm)


def layer_icon(layer, size: int = 16) -> QIcon:
    """A small swatch: the fill colour (areas), a dot (points) or a ramp (classified/surface)."""
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    st = layer.style
    if layer.kind in ("table", "figure"):
        p.setPen(QColor("#555555"))
        p.setBrush(QColor("#ffffff"))
        p.drawRect(1, 2, size - 3, size - 5)
        if layer.kind == "table":  # a grid
            for y in (6, 10):
                p.drawLine(1, y, size - 2, y)
            p.drawLine(size // 2, 2, size // 2, size - 3)
        else:  # bars
            for i, h in enumerate((5, 9, 7)):
                p.fillRect(3 + i * 4, size - 3 - h, 3, h, QColor("#4575b4"))
        p.end()
        return QIcon(pm)
    if layer.kind == "basemap":  # a little map: land, a road and a river
        p.fillRect(1, 1, size - 2, size - 2, QColor("#e8efe0"))
        p.setPen(QColor("#9a9a9a"))
        p.drawLine(1, size - 5, size - 2, 4)
        p.setPen(QColor("#7fb2e5"))
        p.drawLine(4, 1, 7, size - 2)
        p.end()
        return QIcon(pm)
    edge = QColor(st.edgecolor) if st.edgecolor not in ("none", "") else QColor("#888888")
    if st.column or layer.kind == "surface":
        try:
            from mapping.render.palettes import palette_colors

            cols = palette_colors(st.palette, 4)
        except Exception:  # noqa: BLE001 - a bad palette name just shows grey
            cols = ["#cccccc"] * 4
        w = size / len(cols)
        for i, c in enumerate(cols):
            p.fillRect(int(i * w), 2, int(w) + 1, size - 4, QColor(c))
    elif layer.kind == "points":
        p.setBrush(QColor(st.color))
        p.setPen(edge)
        p.drawEllipse(3, 3, size - 6, size - 6)
    else:
        fill = QColor(st.color)
        fill.setAlphaF(max(0.0, min(1.0, st.opacity)))
        p.setBrush(fill)
        p.setPen(edge)
        p.drawRect(2, 2, size - 5, size - 5)
    p.end()
    return QIcon(pm)

