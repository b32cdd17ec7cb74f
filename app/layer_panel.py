"""The layer panel: a tree view of the document's layers, with a group per analysis.

The rows come from :class:`app.layer_tree_model.LayerTreeModel`, which only
relays the Qt-free ``LayerStack``; this widget adds the buttons, the context
menu, folding (kept in the model's group records) and the signals the main
window acts on.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QMenu, QToolButton, QTreeView,
                               QVBoxLayout, QWidget)

from app.layer_icons import layer_icon
from app.layer_tree_model import LayerListModel, LayerTreeModel

__all__ = ["LayerTreeModel", "LayerListModel", "LayerPanelWidget", "layer_icon"]


class LayerPanelWidget(QWidget):
    """The "Layers" dock: a tree with checkboxes, groups, drag reorder, rename and a menu.

    Signals
    -------
    zoom_requested(object), style_requested(object), table_requested(object),
    remove_requested(object), current_changed(object)
        Each carries the :class:`~layers.model.Layer`.
    group_remove_requested(str)
        Remove every layer of a group (the name of the analysis).
    """

    zoom_requested = Signal(object)
    style_requested = Signal(object)
    table_requested = Signal(object)
    remove_requested = Signal(object)
    current_changed = Signal(object)
    group_remove_requested = Signal(str)

    def __init__(self, parent=None, rename_hook=None):
        super().__init__(parent)
        self.model = LayerTreeModel(parent=self, rename_hook=rename_hook)
        self.view = QTreeView(self)
        self.view.setModel(self.model)
        self.view.selectionModel().currentChanged.connect(self._current)
        self.view.setHeaderHidden(True)
        self.view.setIndentation(14)
        self.view.setUniformRowHeights(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.SelectedClicked)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        self.view.doubleClicked.connect(self._double_clicked)
        self.view.expanded.connect(lambda ix: self._folded(ix, True))
        self.view.collapsed.connect(lambda ix: self._folded(ix, False))
        self.view.setAccessibleName("Layers")
        self.model.modelReset.connect(self._restore_folding)
        self.model.rowsInserted.connect(lambda *_: self._restore_folding())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.view)
        bar = QHBoxLayout()
        for text, tip, slot in (
                ("▲", "Move the selected layer or group up (drawn later, on top)",
                 lambda: self._move(-1)),
                ("▼", "Move the selected layer or group down", lambda: self._move(1)),
                ("Zoom", "Zoom the map to the selected layer", self._emit(self.zoom_requested)),
                ("Style…", "Edit colours, classes and labels", self._emit(self.style_requested)),
                ("Table", "Open the attribute table", self._emit(self.table_requested)),
                ("Remove", "Remove the selected layer (or the group's layers) from the project",
                 self._remove)):
            b = QToolButton(self)
            b.setText(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            bar.addWidget(b)
        bar.addStretch(1)
        lay.addLayout(bar)

    def set_stack(self, stack) -> None:
        """Show another stack's layers."""
        old = self.model.stack
        if old is not None:
            try:
                old.group_changed.disconnect(self._group_changed)
            except (TypeError, ValueError, RuntimeError):
                pass
        self.model.set_stack(stack)
        stack.group_changed.connect(self._group_changed)
        self._restore_folding()

    def _group_changed(self, name, attr) -> None:
        if attr == "expanded":
            g = self.model.stack.groups.get(name)
            ix = self.model.index_of(name)
            if g is not None and ix.isValid() and self.view.isExpanded(ix) != g.expanded:
                self.view.setExpanded(ix, g.expanded)

    def _folded(self, ix, expanded: bool) -> None:
        n = self.model.node(ix)
        if isinstance(n, str) and n in self.model.stack.groups:
            self.model.stack.set_group(n, expanded=expanded)

    def _restore_folding(self) -> None:
        """Unfold/fold each group as its model record says (after the rows were rebuilt)."""
        m = self.model
        if m.stack is None:
            return
        for r, n in enumerate(m.top_nodes()):
            if isinstance(n, str):
                g = m.stack.groups.get(n)
                self.view.setExpanded(m.index(r, 0), True if g is None else g.expanded)

    def current_layer(self):
        """The selected layer, or None (nothing, or a group, is selected)."""
        n = self.model.node(self.view.currentIndex())
        return None if n is None or isinstance(n, str) else n

    def current_group(self) -> str | None:
        """The selected group's name, or None."""
        n = self.model.node(self.view.currentIndex())
        return n if isinstance(n, str) else None

    def select_layer(self, layer) -> None:
        """Make ``layer`` the current row (unfolding its group)."""
        ix = self.model.index_of(layer)
        if ix.parent().isValid():
            self.view.expand(ix.parent())
        self.view.setCurrentIndex(ix)

    def _current(self, ix, _prev) -> None:
        n = self.model.node(ix)
        if n is not None and not isinstance(n, str):
            self.current_changed.emit(n)

    def _double_clicked(self, ix) -> None:
        n = self.model.node(ix)
        if n is not None and not isinstance(n, str):
            self.style_requested.emit(n)

    def _emit(self, signal):
        def fire():
            layer = self.current_layer()
            if layer is not None:
                signal.emit(layer)
        return fire

    def _remove(self) -> None:
        g = self.current_group()
        if g is not None:
            self.group_remove_requested.emit(g)
        else:
            self._emit(self.remove_requested)()

    def _move(self, step: int) -> None:
        ix = self.view.currentIndex()
        n = self.model.node(ix)
        if n is None:
            return
        dest = ix.row() + step
        if 0 <= dest < self.model.rowCount(ix.parent()):
            self.model.move_row(ix.row(), dest, ix.parent())
            if isinstance(n, str):
                self.view.setCurrentIndex(self.model.index_of(n))
            else:
                self.select_layer(n)

    def _menu(self, pos) -> None:
        ix = self.view.indexAt(pos)
        n = self.model.node(ix)
        if n is None:
            return
        menu = QMenu(self)
        if isinstance(n, str):
            kids = self.model.children_of(n)
            for text, on in (("Tick every layer of the group", True),
                             ("Untick every layer of the group", False)):
                act = QAction(text, menu)
                act.triggered.connect(lambda _=False, on=on: [setattr(k, "visible", on)
                                                              for k in kids])
                menu.addAction(act)
            menu.addSeparator()
            rem = QAction("Remove the analysis results", menu)
            rem.triggered.connect(lambda: self.group_remove_requested.emit(n))
            menu.addAction(rem)
            menu.exec(self.view.viewport().mapToGlobal(pos))
            return
        for text, sig in (("Zoom to layer", self.zoom_requested),
                          ("Style…", self.style_requested),
                          ("Open attribute table", self.table_requested)):
            act = QAction(text, menu)
            act.triggered.connect(lambda _=False, s=sig: s.emit(n))
            menu.addAction(act)
        ren = QAction("Rename", menu)
        ren.triggered.connect(lambda: self.view.edit(ix))
        menu.addAction(ren)
        menu.addSeparator()
        rem = QAction("Remove layer", menu)
        rem.triggered.connect(lambda: self.remove_requested.emit(n))
        menu.addAction(rem)
        menu.exec(self.view.viewport().mapToGlobal(pos))
