"""The layer panel: a ``QAbstractListModel`` over the document's ``LayerStack``.

The model keeps no copy of the layers: every ``data()`` call reads the
:class:`layers.model.LayerStack`, its psygnal signals become Qt model
signals, and ``setData`` writes edits (visibility, name) back to the layers.
Rows show the top layer first, as in QGIS.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QByteArray, QMimeData, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QListView, QMenu, QToolButton,
                               QVBoxLayout, QWidget)

__all__ = ["LayerListModel", "LayerPanelWidget", "layer_icon"]

_MIME = "application/x-hotmap-layer-row"
LayerRole = Qt.ItemDataRole.UserRole + 1


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
            from mapping.palettes import palette_colors

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


class LayerListModel(QAbstractListModel):
    """Rows = layers, top of the stack first.  Check = visible; edit = rename; drag = reorder.

    Parameters
    ----------
    stack : LayerStack
        The document's layers.
    rename_hook : callable, optional
        ``hook(layer, old, new)`` called after a rename (the window updates the project).
    """

    def __init__(self, stack=None, parent=None, rename_hook=None):
        super().__init__(parent)
        self.stack = None
        self.rename_hook = rename_hook
        if stack is not None:
            self.set_stack(stack)

    # ---------------------------------------------------------- observation
    def set_stack(self, stack) -> None:
        """Observe another stack (a newly opened project)."""
        self.beginResetModel()
        if self.stack is not None:
            self._disconnect()
        self.stack = stack
        stack.inserted.connect(self._on_inserted)
        stack.removed.connect(self._on_removed)
        stack.moved.connect(self._on_moved)
        stack.layer_changed.connect(self._on_layer_changed)
        self.endResetModel()

    def _disconnect(self) -> None:
        s = self.stack
        for sig, slot in ((s.inserted, self._on_inserted), (s.removed, self._on_removed),
                          (s.moved, self._on_moved), (s.layer_changed, self._on_layer_changed)):
            try:
                sig.disconnect(slot)
            except (TypeError, ValueError, RuntimeError):
                pass

    def _row(self, stack_index: int) -> int:
        return len(self.stack) - 1 - stack_index

    def _on_inserted(self, index, layer) -> None:
        row = len(self.stack) - 1 - index
        self.beginInsertRows(QModelIndex(), row, row)
        self.endInsertRows()

    def _on_removed(self, index, layer) -> None:
        row = len(self.stack) - index  # stack already shrank by one
        self.beginRemoveRows(QModelIndex(), row, row)
        self.endRemoveRows()

    def _on_moved(self, src, dest) -> None:
        self.beginResetModel()
        self.endResetModel()

    def _on_layer_changed(self, layer, attr) -> None:
        try:
            row = self._row(self.stack.index(layer))
        except ValueError:
            return
        ix = self.index(row)
        self.dataChanged.emit(ix, ix)

    # ------------------------------------------------------------ Qt model
    def layer_at(self, row: int):
        """The layer shown on ``row``."""
        return self.stack[len(self.stack) - 1 - row]

    def row_of(self, layer) -> int:
        """The row showing ``layer``."""
        return self._row(self.stack.index(layer))

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() or self.stack is None else len(self.stack)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.stack is None or index.row() >= len(self.stack):
            return None
        layer = self.layer_at(index.row())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return layer.name
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            if not layer.enabled:
                return f"Cannot be drawn: {layer.disabled_reason}"
            if layer.kind == "basemap":
                bm = layer.data
                return (f"{layer.name}: basemap from {bm.path.name} ({bm.crs}, {bm.bands} "
                        "band(s)); drawn under the map, not exported as data")
            n = len(layer.data) if hasattr(layer.data, "__len__") else 0
            what = {"areas": "areas", "points": "points", "grid": "grid cells",
                    "surface": "surface", "table": "table rows", "figure": "chart"}.get(
                        layer.kind, layer.kind)
            src = layer.source.get("analysis")
            origin = f"\nResult of analysis '{src}'" if src else ""
            return f"{layer.name}: {n:,} {what}{origin}"
        if role == Qt.ItemDataRole.ForegroundRole and not layer.enabled:
            return QBrush(QColor("#9a9a9a"))
        if role == Qt.ItemDataRole.FontRole and not layer.enabled:
            f = QFont()
            f.setItalic(True)
            return f
        if role == Qt.ItemDataRole.DecorationRole:
            return layer_icon(layer)
        if role == LayerRole:
            return layer
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid():
            return False
        layer = self.layer_at(index.row())
        if role == Qt.ItemDataRole.CheckStateRole:
            checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2, True)
            layer.visible = checked
            return True
        if role == Qt.ItemDataRole.EditRole:
            new = str(value).strip()
            if not new or new == layer.name:
                return False
            if new in self.stack:
                from app.errors import report_error

                report_error(f"There is already a layer called '{new}'. Choose another name.")
                return False
            old = layer.name
            layer.name = new
            if self.rename_hook is not None:
                self.rename_hook(layer, old, new)
            return True
        return False

    def flags(self, index):
        base = Qt.ItemFlag.ItemIsDropEnabled
        if not index.isValid():
            return base
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable
                | Qt.ItemFlag.ItemIsDragEnabled)

    # ------------------------------------------------------------ drag/drop
    def supportedDropActions(self):  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self):  # noqa: N802
        return [_MIME]

    def mimeData(self, indexes):  # noqa: N802
        md = QMimeData()
        if indexes:
            md.setData(_MIME, QByteArray(str(indexes[0].row()).encode()))
        return md

    def dropMimeData(self, data, action, row, column, parent) -> bool:  # noqa: N802
        if not data.hasFormat(_MIME) or self.stack is None:
            return False
        src_row = int(bytes(data.data(_MIME)).decode())
        if row < 0:
            row = parent.row() if parent.isValid() else self.rowCount()
        dest_row = row - 1 if row > src_row else row
        self.move_row(src_row, dest_row)
        return False  # we moved it ourselves; the view must not delete the source

    def move_row(self, src_row: int, dest_row: int) -> None:
        """Move the layer on ``src_row`` so that it shows on ``dest_row``."""
        n = len(self.stack)
        dest_row = max(0, min(dest_row, n - 1))
        if src_row == dest_row:
            return
        self.stack.move(n - 1 - src_row, n - 1 - dest_row)


class LayerPanelWidget(QWidget):
    """The "Layers" dock: a list with checkboxes, drag reorder, rename and a context menu.

    Signals
    -------
    zoom_requested(object), style_requested(object), table_requested(object),
    remove_requested(object), current_changed(object)
        Each carries the :class:`~layers.model.Layer`.
    """

    zoom_requested = Signal(object)
    style_requested = Signal(object)
    table_requested = Signal(object)
    remove_requested = Signal(object)
    current_changed = Signal(object)

    def __init__(self, parent=None, rename_hook=None):
        super().__init__(parent)
        self.model = LayerListModel(parent=self, rename_hook=rename_hook)
        self.view = QListView(self)
        self.view.setModel(self.model)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.SelectedClicked)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        self.view.doubleClicked.connect(lambda ix: self.style_requested.emit(
            self.model.layer_at(ix.row())))
        self.view.setAccessibleName("Layers")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.view)
        bar = QHBoxLayout()
        for text, tip, slot in (
                ("▲", "Move the selected layer up (drawn later, on top)", lambda: self._move(-1)),
                ("▼", "Move the selected layer down", lambda: self._move(1)),
                ("Zoom", "Zoom the map to the selected layer", self._emit(self.zoom_requested)),
                ("Style…", "Edit colours, classes and labels", self._emit(self.style_requested)),
                ("Table", "Open the attribute table", self._emit(self.table_requested)),
                ("Remove", "Remove the selected layer from the project",
                 self._emit(self.remove_requested))):
            b = QToolButton(self)
            b.setText(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            bar.addWidget(b)
        bar.addStretch(1)
        lay.addLayout(bar)

    def set_stack(self, stack) -> None:
        """Show another stack's layers."""
        self.model.set_stack(stack)
        self.view.selectionModel().currentChanged.connect(self._current)

    def current_layer(self):
        """The selected layer, or None."""
        ix = self.view.currentIndex()
        if not ix.isValid() or ix.row() >= self.model.rowCount():
            return None
        return self.model.layer_at(ix.row())

    def select_layer(self, layer) -> None:
        """Make ``layer`` the current row."""
        self.view.setCurrentIndex(self.model.index(self.model.row_of(layer)))

    def _current(self, ix, _prev) -> None:
        if ix.isValid():
            self.current_changed.emit(self.model.layer_at(ix.row()))

    def _emit(self, signal):
        def fire():
            layer = self.current_layer()
            if layer is not None:
                signal.emit(layer)
        return fire

    def _move(self, step: int) -> None:
        ix = self.view.currentIndex()
        if not ix.isValid():
            return
        dest = ix.row() + step
        if 0 <= dest < self.model.rowCount():
            layer = self.model.layer_at(ix.row())
            self.model.move_row(ix.row(), dest)
            self.select_layer(layer)

    def _menu(self, pos) -> None:
        ix = self.view.indexAt(pos)
        if not ix.isValid():
            return
        layer = self.model.layer_at(ix.row())
        menu = QMenu(self)
        for text, sig in (("Zoom to layer", self.zoom_requested),
                          ("Style…", self.style_requested),
                          ("Open attribute table", self.table_requested)):
            act = QAction(text, menu)
            act.triggered.connect(lambda _=False, s=sig: s.emit(layer))
            menu.addAction(act)
        ren = QAction("Rename", menu)
        ren.triggered.connect(lambda: self.view.edit(ix))
        menu.addAction(ren)
        menu.addSeparator()
        rem = QAction("Remove layer", menu)
        rem.triggered.connect(lambda: self.remove_requested.emit(layer))
        menu.addAction(rem)
        menu.exec(self.view.viewport().mapToGlobal(pos))
