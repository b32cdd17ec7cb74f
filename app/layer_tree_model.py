"""The layer list's Qt model: a tree over the document's ``LayerStack`` and its groups.

The model keeps no copy of the layers: it reads the
:class:`layers.model.LayerStack` (and its :class:`~layers.model.LayerGroup`
records), turns its psygnal signals into Qt model signals, and ``setData``
writes edits (visibility, name, a group's visibility) back.  Rows show the
top layer first, as in QGIS; the results of one analysis sit in one group
(placed where its topmost layer is), whose tick hides or shows all of them.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QByteArray, QMimeData, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from app.errors import report_error
from app.layer_icons import group_icon, layer_icon
from app.layer_summary import layer_tooltip

__all__ = ["LayerTreeModel", "LayerListModel", "LayerRole"]

_MIME = "application/x-hotmap-layer-row"
LayerRole = Qt.ItemDataRole.UserRole + 1
_MAP_KINDS = ("areas", "grid", "surface", "points")


class LayerTreeModel(QAbstractItemModel):
    """Top-level rows: ungrouped layers and groups; a group's children: its layers.

    Check = visible (for a group: the group shown); edit = rename; drag =
    reorder among siblings (a group moves with all its layers).

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
        self._top: list = []  # Layer or group name, top row first
        self._children: dict[str, list] = {}
        self._batch = False
        if stack is not None:
            self.set_stack(stack)

    # ---------------------------------------------------------- structure
    def _structure(self):
        top, children = [], {}
        for layer in reversed(list(self.stack)) if self.stack is not None else []:
            g = layer.group
            if g is None:
                top.append(layer)
            else:
                if g not in children:
                    children[g] = []
                    top.append(g)
                children[g].append(layer)
        return top, children

    @staticmethod
    def _key(node):
        return ("G", node) if isinstance(node, str) else ("L", id(node))

    def _refresh(self) -> None:
        """Bring the rows up to date with the stack, with row signals when simple."""
        if self._batch:
            return
        top, children = self._structure()
        old = [self._key(n) for n in self._top]
        new = [self._key(n) for n in top]
        if old == new:
            for g, kids in children.items():
                before = self._children.get(g, [])
                if [id(k) for k in before] == [id(k) for k in kids]:
                    continue
                parent = self.index(self._top.index(g), 0)
                if len(kids) == len(before) + 1:
                    i = next((j for j, k in enumerate(kids)
                              if j >= len(before) or before[j] is not k))
                    self.beginInsertRows(parent, i, i)
                    self._children = children
                    self.endInsertRows()
                elif len(kids) + 1 == len(before):
                    i = next((j for j, k in enumerate(before)
                              if j >= len(kids) or kids[j] is not k))
                    self.beginRemoveRows(parent, i, i)
                    self._children = children
                    self.endRemoveRows()
                else:
                    break
            else:
                self._children = children
                return
        elif len(new) == len(old) + 1:
            i = next(j for j, k in enumerate(new) if j >= len(old) or old[j] != k)
            if new[:i] + new[i + 1:] == old:
                self.beginInsertRows(QModelIndex(), i, i)
                self._top, self._children = top, children
                self.endInsertRows()
                return
        elif len(new) + 1 == len(old):
            i = next(j for j, k in enumerate(old) if j >= len(new) or new[j] != k)
            if old[:i] + old[i + 1:] == new:
                self.beginRemoveRows(QModelIndex(), i, i)
                self._top, self._children = top, children
                self.endRemoveRows()
                return
        self.beginResetModel()
        self._top, self._children = top, children
        self.endResetModel()

    # ---------------------------------------------------------- observation
    def set_stack(self, stack) -> None:
        """Observe another stack (a newly opened project)."""
        self.beginResetModel()
        if self.stack is not None:
            self._disconnect()
        self.stack = stack
        stack.inserted.connect(self._on_structure)
        stack.removed.connect(self._on_structure)
        stack.moved.connect(self._on_structure)
        stack.layer_changed.connect(self._on_layer_changed)
        stack.group_changed.connect(self._on_group_changed)
        self._top, self._children = self._structure()
        self.endResetModel()

    def _disconnect(self) -> None:
        s = self.stack
        for sig, slot in ((s.inserted, self._on_structure), (s.removed, self._on_structure),
                          (s.moved, self._on_structure),
                          (s.layer_changed, self._on_layer_changed),
                          (s.group_changed, self._on_group_changed)):
            try:
                sig.disconnect(slot)
            except (TypeError, ValueError, RuntimeError):
                pass

    def _on_structure(self, *_) -> None:
        self._refresh()

    def _on_layer_changed(self, layer, attr) -> None:
        if attr == "group":
            self._refresh()
            return
        ix = self.index_of(layer)
        if ix.isValid():
            self.dataChanged.emit(ix, ix)

    def _on_group_changed(self, name, attr) -> None:
        if attr in ("added", "removed"):
            self._refresh()
            return
        if name in self._top:
            ix = self.index(self._top.index(name), 0)
            self.dataChanged.emit(ix, ix)
            kids = self._children.get(name, [])
            if kids and attr == "visible":  # children grey out with a hidden group
                self.dataChanged.emit(self.index(0, 0, ix), self.index(len(kids) - 1, 0, ix))

    # ------------------------------------------------------------ lookups
    def node(self, index):
        """The layer or the group name on ``index`` (None for the root)."""
        if not index.isValid():
            return None
        pid = index.internalId()
        if pid == 0:
            return self._top[index.row()] if index.row() < len(self._top) else None
        g = self._top[pid - 1]
        kids = self._children.get(g, [])
        return kids[index.row()] if index.row() < len(kids) else None

    def layer_at(self, row: int, parent=QModelIndex()):
        """The layer on ``row`` (under ``parent``), or None for a group row."""
        n = self.node(self.index(row, 0, parent))
        return None if isinstance(n, str) else n

    def index_of(self, layer_or_group) -> QModelIndex:
        """The index showing a layer or a group (by name)."""
        for r, n in enumerate(self._top):
            if n is layer_or_group or (isinstance(n, str) and n == layer_or_group):
                return self.index(r, 0)
            if isinstance(n, str) and not isinstance(layer_or_group, str):
                kids = self._children.get(n, [])
                for c, k in enumerate(kids):
                    if k is layer_or_group:
                        return self.index(c, 0, self.index(r, 0))
        return QModelIndex()

    def top_nodes(self) -> list:
        """Top-level rows, top first: layers and group names."""
        return list(self._top)

    def children_of(self, group: str) -> list:
        """The layers shown under a group, top first."""
        return list(self._children.get(group, []))

    def row_of(self, layer) -> int:
        """The row showing ``layer`` (within its group for a grouped layer)."""
        return self.index_of(layer).row()

    # ------------------------------------------------------------ Qt model
    def index(self, row, column=0, parent=QModelIndex()):  # noqa: D102 - Qt API
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        if parent.internalId() != 0:
            return QModelIndex()
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index=None):  # noqa: D102 - Qt API (also QObject.parent())
        if index is None:
            return super().parent()
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        if self.stack is None:
            return 0
        if not parent.isValid():
            return len(self._top)
        n = self.node(parent)
        return len(self._children.get(n, [])) if isinstance(n, str) and \
            parent.internalId() == 0 else 0

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 1

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        n = self.node(index)
        if n is None:
            return None
        if isinstance(n, str):
            return self._group_data(n, role)
        return self._layer_data(n, role)

    def _group_data(self, name, role):
        g = self.stack.groups.get(name)
        kids = self._children.get(name, [])
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return (g.title if g is not None and g.title else name)
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if g is None or g.visible else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            kind = kids[0].source.get("kind", "") if kids else ""
            return (f"Results of the analysis '{name}'" + (f" ({kind})" if kind else "")
                    + f": {len(kids)} layer(s). Untick to hide them all; each keeps its own "
                    "tick.")
        if role == Qt.ItemDataRole.FontRole:
            f = QFont()
            f.setBold(True)
            return f
        if role == Qt.ItemDataRole.DecorationRole:
            return group_icon()
        return None

    def _layer_data(self, layer, role):
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return layer.name
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            return layer_tooltip(layer)
        hidden = not self.stack.shown(layer) and layer.visible  # ticked, in a hidden group
        if role == Qt.ItemDataRole.ForegroundRole and (not layer.enabled or hidden):
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
        n = self.node(index)
        if n is None:
            return False
        checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2, True)
        if isinstance(n, str):
            if role != Qt.ItemDataRole.CheckStateRole:
                return False
            kids = self._children.get(n, [])
            if checked and kids and not any(k.visible for k in kids):
                first = next((k for k in kids if k.kind in _MAP_KINDS), kids[0])
                first.visible = True  # showing a group with nothing ticked shows its map
            self.stack.set_group(n, visible=checked)
            return True
        if role == Qt.ItemDataRole.CheckStateRole:
            n.visible = checked
            return True
        if role == Qt.ItemDataRole.EditRole:
            new = str(value).strip()
            if not new or new == n.name:
                return False
            if new in self.stack:
                report_error(f"There is already a layer called '{new}'. Choose another name.")
                return False
            old = n.name
            n.name = new
            if self.rename_hook is not None:
                self.rename_hook(n, old, new)
            return True
        return False

    def flags(self, index):
        base = Qt.ItemFlag.ItemIsDropEnabled
        n = self.node(index)
        if n is None:
            return base
        f = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
             | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsDragEnabled)
        if isinstance(n, str):
            return f | Qt.ItemFlag.ItemIsDropEnabled
        return f | Qt.ItemFlag.ItemIsEditable

    # ------------------------------------------------------------ drag/drop
    def supportedDropActions(self):  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self):  # noqa: N802
        return [_MIME]

    def mimeData(self, indexes):  # noqa: N802
        md = QMimeData()
        if indexes:
            ix = indexes[0]
            parent = ix.parent().row() if ix.parent().isValid() else -1
            md.setData(_MIME, QByteArray(f"{parent}:{ix.row()}".encode()))
        return md

    def dropMimeData(self, data, action, row, column, parent) -> bool:  # noqa: N802
        if not data.hasFormat(_MIME) or self.stack is None:
            return False
        text = bytes(data.data(_MIME)).decode()
        src_parent, src_row = (int(v) for v in text.split(":")) if ":" in text else \
            (-1, int(text))
        dest_parent = parent.row() if parent.isValid() else -1
        if parent.isValid() and parent.internalId() != 0:  # dropped onto a grouped layer
            row, dest_parent = parent.row(), parent.parent().row()
        elif parent.isValid() and src_parent != parent.row():
            row, dest_parent = parent.row(), -1  # dropped onto a group: next to it
        if dest_parent != src_parent:
            return False  # layers move among their siblings only
        pix = self.index(src_parent, 0) if src_parent >= 0 else QModelIndex()
        n = self.rowCount(pix)
        if row < 0:
            row = n
        dest_row = row - 1 if row > src_row else row
        self.move_row(src_row, dest_row, pix)
        return False  # we moved it ourselves; the view must not delete the source

    def move_row(self, src_row: int, dest_row: int, parent=QModelIndex()) -> None:
        """Move the node on ``src_row`` (under ``parent``) so that it shows on ``dest_row``."""
        nodes = list(self._children[self.node(parent)]) if parent.isValid() else list(self._top)
        dest_row = max(0, min(dest_row, len(nodes) - 1))
        if src_row == dest_row or not nodes:
            return
        nodes.insert(dest_row, nodes.pop(src_row))
        if parent.isValid():
            children = dict(self._children)
            children[self.node(parent)] = nodes
            top = self._top
        else:
            top, children = nodes, self._children
        order = []  # top first
        for t in top:
            order.extend(children[t] if isinstance(t, str) else [t])
        self._apply_order(order[::-1])

    def _apply_order(self, bottom_first) -> None:
        """Reorder the stack to ``bottom_first`` with ``LayerStack.move``, then refresh once."""
        self._batch = True
        try:
            for i, layer in enumerate(bottom_first):
                j = self.stack.index(layer)
                if j != i:
                    self.stack.move(j, i)
        finally:
            self._batch = False
        self._refresh()


LayerListModel = LayerTreeModel  # the name the list-only panel had
