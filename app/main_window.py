"""The main window: map canvas, docks (layers, style, attributes, identify, chart), status line.

The window is composed of parts that each own their state:
:class:`app.document.DocumentController` (open, save, autosave, background
loads), :class:`app.actions.WindowActions` (menus, toolbar, the dialogs they
open) and the widgets (canvas, layer panel, style editor, attribute table,
chart view, start page).  The window holds the workspace and relays
selections between the map, the table and the chart.

Every action goes through the same Qt-free functions the command line uses
(``layers.workspace``, ``mapping.pipeline.runner``, ``mapping.export.maps`` ...).  Slow work
(loading, analyses, exports) runs on the thread pool via :mod:`app.workers`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (QApplication, QDockWidget, QLabel, QMainWindow, QProgressBar,
                               QStackedWidget, QToolButton, QTreeWidget, QTreeWidgetItem)

from app.actions import WindowActions
from app.attribute_table import AttributeTableWidget
from app.autosave import clear_autosave
from app.canvas import MapCanvas, format_position
from app.chart_view import ChartViewWidget
from app.document import DocumentController, warm_up
from app.errors import install_hooks
from app.layer_actions import LayerActions
from app.layer_panel import LayerPanelWidget
from app.layer_summary import layer_summary
from app.selection_links import SelectionRelay
from app.settings import Settings
from app.start_page import StartPageWidget
from app.style_editor import StyleEditorWidget
from app.workers import start_worker, wait_for_workers

__all__ = ["MainWindow", "run_app"]

AUTOSAVE_MS = 120_000


class MainWindow(QMainWindow):
    """The hotmap desktop window.

    Signals
    -------
    project_loaded(object)
        The new :class:`layers.workspace.Workspace` after a project opened.
    analyses_loaded(int)
        How many of the project's analyses re-ran after it opened.
    """

    project_loaded = Signal(object)
    analyses_loaded = Signal(int)

    def __init__(self, settings: Settings | None = None, parent=None):
        super().__init__(parent)
        # Settings are validated against hotmap's registries (palettes ...), which import
        # the analysis packages; when not given they load just after the window shows.
        self.settings = settings if settings is not None else Settings()
        self._ws = None  # an empty workspace is made on first use (after the window shows)
        self.document = DocumentController(self)
        self.document.settings_loaded = settings is not None
        self.commands = WindowActions(self)
        self.setWindowTitle("hotmap")
        self.resize(1400, 900)
        self.canvas = MapCanvas(self)
        self.start_page = StartPageWidget(self)
        self.central = QStackedWidget(self)
        self.central.addWidget(self.start_page)
        self.central.addWidget(self.canvas)
        self.setCentralWidget(self.central)
        self.layer_ops = LayerActions(self)
        self.layer_panel = LayerPanelWidget(self, rename_hook=self.layer_ops.renamed)
        self.style_editor = StyleEditorWidget(self)
        self.table = AttributeTableWidget(self)
        self.identify_view = QTreeWidget(self)
        self.identify_view.setHeaderLabels(["Field", "Value"])
        self.identify_view.setColumnWidth(0, 140)
        self.chart_view = ChartViewWidget(self)
        area = Qt.DockWidgetArea
        self.dock_layers = self._dock("Layers", self.layer_panel, area.LeftDockWidgetArea)
        self.dock_style = self._dock("Style", self.style_editor, area.RightDockWidgetArea)
        self.dock_identify = self._dock("Identify", self.identify_view, area.RightDockWidgetArea)
        self.tabifyDockWidget(self.dock_style, self.dock_identify)
        self.dock_table = self._dock("Attributes", self.table, area.BottomDockWidgetArea)
        self.dock_chart = self._dock("Chart", self.chart_view, area.RightDockWidgetArea)
        self.tabifyDockWidget(self.dock_identify, self.dock_chart)
        self.dock_style.raise_()
        self.resizeDocks([self.dock_layers, self.dock_style], [280, 360], Qt.Orientation.Horizontal)
        self.resizeDocks([self.dock_table], [210], Qt.Orientation.Vertical)
        self._status_bar()
        self.selection = SelectionRelay(self)
        self.commands.build()
        self._wire()
        self._autosave_timer = QTimer(self, interval=AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave)
        self._autosave_timer.start()
        self._restore_geometry()
        self.recent_changed()
        # the heavy analysis packages import on a worker while the window is already up
        self._warm = start_worker(warm_up, report_errors=False)
        self._warm.signals.returned.connect(self._warmed)

    def _warmed(self, settings) -> None:
        if not self.document.settings_loaded:
            self.document.load_settings(settings)
        self.ws  # noqa: B018 - make the empty workspace now that its modules are loaded

    # ------------------------------------------------------------ building
    def _dock(self, title, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _status_bar(self) -> None:
        sb = self.statusBar()
        self.pos_label = QLabel("Move the pointer over the map to see its position", self)
        self.pos_label.setMinimumWidth(420)
        self.layer_label = QLabel("", self)
        self.layer_label.setAccessibleName("Selected layer")
        self.layer_label.setToolTip("The selected layer: what it shows, its filter, period "
                                    "and base n")
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
        sb.addPermanentWidget(self.layer_label)
        sb.addPermanentWidget(self.render_label)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.progress_cancel)

    def _wire(self) -> None:
        c = self.canvas
        c.cursor_moved.connect(lambda x, y: self.pos_label.setText(format_position(x, y)))
        c.identified.connect(self._show_identify)
        c.selection_changed.connect(self.selection.from_map)
        c.rendered.connect(lambda s: self.render_label.setText(f"drawn in {s * 1000:.0f} ms"))
        lp = self.layer_panel
        lp.zoom_requested.connect(c.zoom_to_layer)
        lp.style_requested.connect(self.edit_style)
        lp.table_requested.connect(self.show_table)
        lp.remove_requested.connect(self.remove_layer)
        lp.group_remove_requested.connect(self.remove_group)
        lp.current_changed.connect(self._current_layer)
        self.table.selection_changed.connect(self.selection.from_table)
        self.chart_view.selection_requested.connect(self.selection.from_chart)
        sp = self.start_page
        sp.open_requested.connect(self.open_path)
        sp.action_requested.connect(self._start_action)

    # ----------------------------------------------------------- workspace
    @property
    def ws(self):
        """The open :class:`layers.workspace.Workspace` (an empty one until a project opens)."""
        if self._ws is None:
            from boundaries.workspace import Workspace

            self.set_workspace(Workspace())
        return self._ws

    @property
    def current_workspace(self):
        """The workspace shown, or None before the first one is made (unlike :attr:`ws`,
        never makes one)."""
        return self._ws

    def set_workspace(self, ws) -> None:
        """Show a workspace: its layers on the map, in the panel and in the table."""
        old = self._ws
        if old is not None and old is not ws:
            for sig, slot in ((old.dirty_changed, self.update_title),
                              (old.layers.inserted, self._layers_arrived)):
                try:
                    sig.disconnect(slot)
                except (TypeError, ValueError, RuntimeError):
                    pass
        self._ws = ws
        ws.dirty_changed.connect(self.update_title)
        ws.layers.inserted.connect(self._layers_arrived)
        self.layer_panel.set_stack(ws.layers)
        self.canvas.fictional = bool(ws.project.fictional)
        self.canvas.set_stack(ws.layers)
        self.style_editor.set_layer(None)
        self.table.set_layer(None)
        self.chart_view.set_layer(None)
        self.identify_view.clear()
        self.layer_label.setText("")
        self.pos_label.setText("Move the pointer over the map to see its position")
        self.dock_style.raise_()
        self.update_title()
        layers = list(ws.layers)
        self.central.setCurrentWidget(self.canvas if layers or ws.project.path
                                      else self.start_page)
        if layers:
            # the map first: the table and chart of the selected layer take 0.1 s to fill
            self.canvas.render_now()
            top_areas = [lyr for lyr in layers if lyr.kind == "areas"]
            self.layer_panel.select_layer(top_areas[-1] if top_areas else layers[-1])

    def _layers_arrived(self, *_):
        if self.central.currentWidget() is self.start_page:
            self.central.setCurrentWidget(self.canvas)

    def show_start_page(self) -> None:
        """View > Start page (the map comes back with View > Start page again or a project)."""
        if self.central.currentWidget() is self.start_page and len(self.ws.layers):
            self.central.setCurrentWidget(self.canvas)
        else:
            self.start_page.set_recent(self.settings.recent_files)
            self.central.setCurrentWidget(self.start_page)

    def show_map(self) -> None:
        """Show the map (instead of the start page)."""
        self.central.setCurrentWidget(self.canvas)

    def _start_action(self, key: str) -> None:
        if key == "new":
            self.new_project()
        elif key == "open":
            self.commands.open_dialog()
        elif key == "demo":
            from resources.demo import DEMO_PROJECT

            self.open_path(DEMO_PROJECT)
        elif key in ("boundaries", "records"):
            self.import_data(key)

    def update_title(self, *_):
        """Window title: project name, file and an asterisk for unsaved changes."""
        p = self.ws.project
        where = f" — {p.path.name}" if p.path else ""
        star = " *" if self.ws.dirty else ""
        self.setWindowTitle(f"{p.name}{where}{star} — hotmap")

    def status(self, text: str, msecs: int = 0) -> None:
        """A message in the status bar (``msecs`` = 0 keeps it until the next)."""
        self.statusBar().showMessage(text, msecs)

    def recent_changed(self) -> None:
        """The recent projects changed: refresh File > Open recent and the start page."""
        self.commands.rebuild_recent()
        self.start_page.set_recent(self.settings.recent_files)

    def _current_layer(self, layer) -> None:
        self.layer_label.setText(layer_summary(layer, self.ws.layers))
        if layer.kind == "figure":
            if self.chart_view.set_layer(layer, self.ws.layers, self.ws.project):
                self.dock_chart.show()
                self.dock_chart.raise_()
                self._widen_chart_dock()
                sel_name, labels = self.canvas.selection
                if sel_name:
                    self.chart_view.highlight(sel_name, labels, self.ws.layers)
            return
        self.style_editor.set_layer(layer)
        if self.dock_table.isVisible():
            self.table.set_layer(layer)

    def _widen_chart_dock(self) -> None:
        """A chart laid out for a 17 cm page is unreadable in a 350 px panel: give the
        docked chart about a third of the window (never more than the map keeps)."""
        dock = self.dock_chart
        if dock.isFloating():
            return
        want = min(620, max(480, self.width() // 3))
        if dock.width() < want and self.width() > 3 * want // 2 + 400:
            self.resizeDocks([dock], [want], Qt.Orientation.Horizontal)

    # --------------------------------------------------------------- layers
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

    # -------------------------------------------------- document (delegates)
    @property
    def loading(self):
        """The worker loading the project, if any."""
        return self.document.loading

    @property
    def analysing(self):
        """The worker re-running the project's analyses, if any."""
        return self.document.analysing

    def open_project(self, path, *, chooser=None, run_analyses: bool = True):
        """Open a project file (see :meth:`DocumentController.open_project`)."""
        return self.document.open_project(path, chooser=chooser, run_analyses=run_analyses)

    def run_project_analyses(self, steps):
        """Re-run analyses in the background; results are added as they arrive."""
        return self.document.run_project_analyses(steps)

    def cancel_background(self) -> None:
        """Stop the project load or the re-run of its analyses."""
        self.document.cancel_background()

    def save(self) -> bool:
        """Save the project (asks for a file the first time)."""
        return self.document.save()

    def save_as(self, path=None) -> bool:
        """Save the project under a new name."""
        return self.document.save_as(path)

    def autosave(self) -> None:
        """Write the recovery file if there are unsaved changes."""
        self.document.autosave()

    def maybe_discard(self) -> bool:
        """Ask about unsaved changes; True if the project may be closed."""
        return self.document.maybe_discard()

    # --------------------------------------------------- actions (delegates)
    def new_project(self) -> None:
        """Start an empty project."""
        self.commands.new_project()

    def open_path(self, path) -> None:
        """Open a project after asking about unsaved changes."""
        self.commands.open_path(path)

    def offer_recovery(self) -> None:
        """Offer autosaved work left by a session that did not close cleanly."""
        self.commands.offer_recovery()

    def import_data(self, what: str):
        """Open the import wizard for ``boundaries`` or ``records``."""
        return self.commands.import_data(what)

    def add_imported(self, source, result) -> None:
        """Add a layer made by the import wizard."""
        self.layer_ops.add_imported(source, result)

    def remove_layer(self, layer, confirm: bool = True) -> None:
        """Remove a layer (and its project entry); cancels analyses that read it."""
        self.layer_ops.remove_layer(layer, confirm)

    def remove_group(self, name: str, confirm: bool = True) -> None:
        """Remove every layer of a group (an analysis's results) and its analysis step."""
        self.layer_ops.remove_group(name, confirm)

    def add_basemap(self, path, attribution: str = "os"):
        """Add a raster basemap under the map."""
        return self.commands.add_basemap(path, attribution)

    def open_analysis(self, kind: str):
        """Open the dialog of an analysis kind."""
        return self.commands.open_analysis(kind)

    def export_map(self):
        """Open the page layout and export dialog."""
        return self.commands.export_map()

    def export_data(self) -> None:
        """Export the layers and tables."""
        self.commands.export_data()

    def export_audit(self) -> None:
        """Export the audit pack."""
        self.commands.export_audit()

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
        wait_for_workers(timeout=5.0)
        clear_autosave(self.ws.project.path)
        if self.document.settings_loaded and self.settings.last_folder:
            self.document.save_settings()  # keep the last folder used
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
