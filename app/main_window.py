"""The main window: map canvas, docks (layers, style, attributes, identify), menus, toolbar.

Every action goes through the same Qt-free functions the command line uses
(``layers.workspace``, ``mapping.run``, ``mapping.export`` ...).  Slow work
(loading, analyses, exports) runs on the thread pool via :mod:`app.workers`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox,
                               QProgressBar, QToolButton, QTreeWidget, QTreeWidgetItem)

from app.actions import ActionsMixin
from app.attribute_table import AttributeTableWidget
from app.canvas import MapCanvas, format_position
from app.document import DocumentMixin, _warm_up
from app.errors import install_hooks
from app.layer_panel import LayerPanelWidget
from app.settings import Settings, load_settings
from app.style_editor import StyleEditorWidget
from app.workers import start_worker

__all__ = ["MainWindow", "run_app"]

AUTOSAVE_MS = 120_000


class MainWindow(DocumentMixin, ActionsMixin, QMainWindow):
    """The hotmap desktop window.

    Signals
    -------
    project_loaded(object)
        The new :class:`layers.workspace.Workspace` after a project opened.
    """

    project_loaded = Signal(object)
    analyses_loaded = Signal(int)

    def __init__(self, settings: Settings | None = None, parent=None):
        super().__init__(parent)
        # Settings are validated against hotmap's registries (palettes ...), which import
        # the analysis packages; when not given they load just after the window shows.
        self._settings_loaded = settings is not None
        self.settings = settings if settings is not None else Settings()
        self._ws = None  # an empty workspace is made on first use (after the window shows)
        self.loading = None
        self.analysing = None
        self.setWindowTitle("hotmap")
        self.resize(1400, 900)
        self.canvas = MapCanvas(self)
        self.setCentralWidget(self.canvas)
        self.layer_panel = LayerPanelWidget(self, rename_hook=self._renamed)
        self.style_editor = StyleEditorWidget(self)
        self.table = AttributeTableWidget(self)
        self.identify_view = QTreeWidget(self)
        self.identify_view.setHeaderLabels(["Field", "Value"])
        self.identify_view.setColumnWidth(0, 140)
        self.dock_layers = self._dock("Layers", self.layer_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.dock_style = self._dock("Style", self.style_editor, Qt.DockWidgetArea.RightDockWidgetArea)
        self.dock_identify = self._dock("Identify", self.identify_view,
                                        Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.dock_style, self.dock_identify)
        self.dock_style.raise_()
        self.dock_table = self._dock("Attributes", self.table, Qt.DockWidgetArea.BottomDockWidgetArea)
        from app.chart_view import ChartViewWidget

        self.chart_view = ChartViewWidget(self)
        self.dock_chart = self._dock("Chart", self.chart_view, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.dock_identify, self.dock_chart)
        self.dock_style.raise_()
        self.resizeDocks([self.dock_layers, self.dock_style], [260, 330], Qt.Orientation.Horizontal)
        self.resizeDocks([self.dock_table], [210], Qt.Orientation.Vertical)
        self._status()
        self.build_actions()
        self._wire()
        self._autosave_timer = QTimer(self, interval=AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave)
        self._autosave_timer.start()
        self._restore_geometry()
        # the heavy analysis packages import on a worker while the window is already up
        self._warm = start_worker(_warm_up, report_errors=False)
        self._warm.signals.returned.connect(self._warmed)

    def _warmed(self, settings) -> None:
        if not self._settings_loaded:
            self._load_settings(settings)
        self.ws  # noqa: B018 - make the empty workspace now that its modules are loaded

    def _load_settings(self, loaded: Settings | None = None) -> None:
        if self._settings_loaded:
            return
        recent = list(self.settings.recent_files)
        self.settings = loaded if loaded is not None else load_settings()
        for p in reversed(recent):  # anything opened before the settings arrived
            self.settings.add_recent(p)
        self._settings_loaded = True
        self.rebuild_recent()

    # ------------------------------------------------------------ building
    def _dock(self, title, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _status(self) -> None:
        sb = self.statusBar()
        self.pos_label = QLabel("Move the pointer over the map to see its position", self)
        self.pos_label.setMinimumWidth(520)
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(220)
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.progress_cancel = QToolButton(self)
        self.progress_cancel.setText("Cancel")
        self.progress_cancel.setToolTip("Stop loading or re-running the analyses")
        self.progress_cancel.clicked.connect(self.cancel_background)
        self.progress_cancel.hide()
        self.render_label = QLabel("", self)
        sb.addWidget(self.pos_label, 1)
        sb.addPermanentWidget(self.render_label)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.progress_cancel)

    def _wire(self) -> None:
        c = self.canvas
        c.cursor_moved.connect(lambda x, y: self.pos_label.setText(format_position(x, y)))
        c.identified.connect(self._show_identify)
        c.selection_changed.connect(self._map_selection)
        c.rendered.connect(lambda s: self.render_label.setText(f"drawn in {s * 1000:.0f} ms"))
        lp = self.layer_panel
        lp.zoom_requested.connect(c.zoom_to_layer)
        lp.style_requested.connect(self.edit_style)
        lp.table_requested.connect(self.show_table)
        lp.remove_requested.connect(self.remove_layer)
        lp.current_changed.connect(self._current_layer)
        self.table.selection_changed.connect(
            lambda name, labels: c.set_selection(name, labels))

    # ----------------------------------------------------------- workspace
    @property
    def ws(self):
        """The open :class:`layers.workspace.Workspace` (an empty one until a project opens)."""
        if self._ws is None:
            from layers.workspace import Workspace

            self.set_workspace(Workspace())
        return self._ws

    def set_workspace(self, ws) -> None:
        """Show a workspace: its layers on the map, in the panel and in the table."""
        old = self._ws
        if old is not None and old is not ws:
            try:
                old.dirty_changed.disconnect(self._update_title)
            except (TypeError, ValueError, RuntimeError):
                pass
        self._ws = ws
        ws.dirty_changed.connect(self._update_title)
        self.layer_panel.set_stack(ws.layers)
        self.canvas.fictional = bool(ws.project.fictional)
        self.canvas.set_stack(ws.layers)
        self.style_editor.set_layer(None)
        self.table.set_layer(None)
        self.identify_view.clear()
        self._update_title()
        layers = list(ws.layers)
        if layers:
            top_areas = [lyr for lyr in layers if lyr.kind == "areas"]
            self.layer_panel.select_layer(top_areas[-1] if top_areas else layers[-1])

    def _update_title(self, *_):
        p = self.ws.project
        where = f" — {p.path.name}" if p.path else ""
        star = " *" if self.ws.dirty else ""
        self.setWindowTitle(f"{p.name}{where}{star} — hotmap")

    def _current_layer(self, layer) -> None:
        if layer.kind == "figure":
            if self.chart_view.set_layer(layer):
                self.dock_chart.show()
                self.dock_chart.raise_()
            return
        self.style_editor.set_layer(layer)
        if self.dock_table.isVisible():
            self.table.set_layer(layer)

    # ---------------------------------------------------------- open/save
    # --------------------------------------------------------------- layers
    def _renamed(self, layer, old, new) -> None:
        proj = self.ws.project
        for src in [*proj.boundaries, *proj.records]:
            if src.name == old:
                src.name = new
                key = "boundaries" if src in proj.boundaries else "records"
                layer.source[key] = new
        for step in proj.analyses:
            for k, v in step.params.items():
                if v == old:
                    step.params[k] = new

    def remove_layer(self, layer, confirm: bool = True) -> None:
        """Remove a layer (and its project entry); cancels analyses that read it."""
        if confirm and QMessageBox.question(
                self, "Remove layer", f"Remove the layer '{layer.name}' from the project?"
        ) != QMessageBox.StandardButton.Yes:
            return
        from app.workers import active_workers

        for w in active_workers():
            if layer.name in getattr(w, "inputs", ()):
                w.cancel()
        proj = self.ws.project
        proj.boundaries = [s for s in proj.boundaries if s.name != layer.name]
        proj.records = [s for s in proj.records if s.name != layer.name]
        step = layer.source.get("analysis")
        if step and not any(lyr.source.get("analysis") == step for lyr in self.ws.layers
                            if lyr is not layer):
            proj.analyses = [a for a in proj.analyses if a.name != step]
        if self.style_editor.layer is layer:
            self.style_editor.set_layer(None)
        if self.table.layer is layer:
            self.table.set_layer(None)
        self.ws.layers.remove(layer)

    def edit_style(self, layer) -> None:
        """Show the style editor on ``layer``."""
        self.style_editor.set_layer(layer)
        self.dock_style.show()
        self.dock_style.raise_()

    def show_table(self, layer) -> None:
        """Open ``layer``'s attribute table."""
        self.dock_table.show()
        self.dock_table.raise_()
        self.table.set_layer(layer)

    def _show_identify(self, name, label, attrs) -> None:
        v = self.identify_view
        v.clear()
        top = QTreeWidgetItem([name, f"feature {label}"])
        v.addTopLevelItem(top)
        for k, val in attrs.items():
            top.addChild(QTreeWidgetItem([str(k), "" if val is None else str(val)]))
        top.setExpanded(True)
        self.dock_identify.show()
        self.dock_identify.raise_()

    def _map_selection(self, name, labels) -> None:
        if name and (self.table.layer is None or self.table.layer.name != name) \
                and name in self.ws.layers and self.dock_table.isVisible():
            self.table.set_layer(self.ws.layers[name])
        self.table.select_labels(name, labels)

    # ---------------------------------------------------------- lifecycle
    def _restore_geometry(self) -> None:
        qs = QSettings("hotmap", "hotmap")
        geo, state = qs.value("window/geometry"), qs.value("window/state")
        if geo is not None:
            self.restoreGeometry(geo)
        if state is not None:
            self.restoreState(state)

    def _store_geometry(self) -> None:
        qs = QSettings("hotmap", "hotmap")
        qs.setValue("window/geometry", self.saveGeometry())
        qs.setValue("window/state", self.saveState())

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if not self.maybe_discard():
            event.ignore()
            return
        from app.autosave import clear_autosave
        from app.workers import wait_for_workers

        wait_for_workers(timeout=5.0)
        clear_autosave(self.ws.project.path)
        self._store_geometry()
        event.accept()


def run_app(project_path: str | None = None) -> int:
    """Start the desktop app (on ``project_path`` if given) and run the event loop.

    Returns
    -------
    int
        The exit status of the Qt event loop.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("hotmap")
    app.setOrganizationName("hotmap")
    style = Path(__file__).resolve().parents[1] / "resources" / "style.qss"
    if style.exists():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    install_hooks()
    win = MainWindow()
    win.show()
    if project_path:
        QTimer.singleShot(0, lambda: win.open_project(project_path))
    else:
        QTimer.singleShot(0, win.offer_recovery)
    return app.exec()
