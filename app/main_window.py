"""The main window: map canvas, docks (layers, style, attributes, identify), menus, toolbar.

Every action goes through the same Qt-free functions the command line uses
(``layers.workspace``, ``mapping.run``, ``mapping.export`` ...).  Slow work
(loading, analyses, exports) runs on the thread pool via :mod:`app.workers`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QLabel, QMainWindow,
                               QMessageBox, QProgressBar, QTreeWidget, QTreeWidgetItem)

from app.actions import ActionsMixin
from app.attribute_table import AttributeTableWidget
from app.canvas import MapCanvas, format_position
from app.errors import install_hooks, report_error, report_exception
from app.layer_panel import LayerPanelWidget
from app.settings import Settings, load_settings, save_settings
from app.style_editor import StyleEditorWidget
from app.workers import start_worker

__all__ = ["MainWindow", "run_app"]

AUTOSAVE_MS = 120_000
PROJECT_FILTER = "hotmap projects (*.toml);;All files (*)"


class MainWindow(ActionsMixin, QMainWindow):
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
        self.render_label = QLabel("", self)
        sb.addWidget(self.pos_label, 1)
        sb.addPermanentWidget(self.render_label)
        sb.addPermanentWidget(self.progress)

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
    def open_project(self, path, *, chooser=None, run_analyses: bool = True) -> object:
        """Open a project file; layers load on a worker. Returns the worker (or None).

        The boundary and record layers are shown as soon as they load; then the
        project's analyses re-run in the background and their result layers
        appear one by one (``analyses_loaded`` when all are done).
        """
        from layers.project import open_project

        from app.project_io import ask_for_missing, load_workspace

        if self.loading is not None and not self.loading.done:
            report_error("A project is still loading; wait for it or press Cancel.")
            return None
        try:
            project = open_project(path)
        except Exception as exc:  # noqa: BLE001 - reported
            report_exception(exc, self)
            return None
        from app.project_io import missing_files

        project._relocated = bool(missing_files(project))
        if not ask_for_missing(project, self, chooser=chooser):
            self.statusBar().showMessage("Opening cancelled: data files not found", 8000)
            return None
        self.statusBar().showMessage(f"Loading {project.name} …")
        self.progress.setValue(0)
        self.progress.show()
        worker = start_worker(load_workspace, project, controls=True)
        worker.signals.progress.connect(self._on_progress)
        worker.signals.returned.connect(lambda ws: self._loaded(ws, project, run_analyses))
        worker.signals.finished.connect(self.progress.hide)
        self.loading = worker
        return worker

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        if text:
            self.statusBar().showMessage(text)

    def _loaded(self, ws, project, run_analyses: bool = True) -> None:
        if self.analysing is not None and not self.analysing.done:
            self.analysing.cancel()
        self.set_workspace(ws)
        if project.path:
            self.settings.add_recent(project.path)
            self._save_settings()
            if hasattr(self, "rebuild_recent"):
                self.rebuild_recent()
        counts = [f"{n}: {len(r.accepted):,} ({len(r.rejected):,} rejected)"
                  for n, r in ws.results.items()]
        self.statusBar().showMessage("Loaded " + "; ".join(counts), 15000)
        if getattr(project, "_relocated", False):
            ws.mark_dirty(True)  # the new file locations should be saved
        self.project_loaded.emit(ws)
        steps = [s for s in project.analyses if s.enabled] if run_analyses else []
        if steps:
            self.run_project_analyses(steps)

    def run_project_analyses(self, steps):
        """Re-run the project's analyses on a worker; results are added as they arrive."""
        from app.project_io import run_steps

        ws = self.ws
        self.progress.setValue(0)
        self.progress.show()
        w = start_worker(run_steps, list(ws.layers), ws.project, steps, controls=True,
                         yields=True)
        w.signals.progress.connect(self._on_progress)
        w.signals.yielded.connect(lambda item, ws=ws: self._step_result(ws, item))
        w.signals.returned.connect(self.analyses_loaded.emit)
        w.signals.returned.connect(lambda n: self.statusBar().showMessage(
            f"{n} of {len(steps)} analyses ready", 10000))
        w.signals.finished.connect(self.progress.hide)
        self.analysing = w
        return w

    def _step_result(self, ws, item) -> None:
        if ws is not self.ws:
            return  # another project was opened meanwhile
        step, out = item
        if isinstance(out, BaseException):
            self.statusBar().showMessage(f"Analysis '{step.name}' failed: {out}", 15000)
            report_exception(out, self)
            return
        was_dirty = ws.dirty
        shown = shown_results(ws.project)
        for lyr in out:
            lyr._visible = lyr.name in shown  # results re-run on open show as saved
            if lyr.name in ws.layers:
                ws.layers.remove(lyr.name)
            ws.layers.append(lyr)
        apply_result_styles(ws, [lyr.name for lyr in out])
        ws.mark_dirty(was_dirty)

    def save(self) -> bool:
        """Save to the project's file (asks for one the first time)."""
        if self.ws.project.path is None:
            return self.save_as()
        return self._save_to(self.ws.project.path)

    def save_as(self, path=None) -> bool:
        """Save under a new name."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save project as",
                                                  str(Path.home() / "project.hotmap.toml"),
                                                  PROJECT_FILTER)
            if not path:
                return False
        return self._save_to(Path(path))

    def _save_to(self, path) -> bool:
        from app.autosave import clear_autosave

        old = self.ws.project.path
        try:
            store_result_styles(self.ws)
            saved = self.ws.save(path)
        except Exception as exc:  # noqa: BLE001
            report_exception(exc, self)
            return False
        clear_autosave(old)
        clear_autosave(saved)
        self.settings.add_recent(saved)
        self._save_settings()
        if hasattr(self, "rebuild_recent"):
            self.rebuild_recent()
        self._update_title()
        self.statusBar().showMessage(f"Saved {saved}", 8000)
        return True

    def autosave(self) -> None:
        """Write the recovery file if there are unsaved changes."""
        if not self.ws.dirty:
            return
        from app.autosave import write_autosave

        try:
            write_autosave(self.ws)
        except OSError as exc:
            self.statusBar().showMessage(f"Autosave failed: {exc}", 8000)

    def _save_settings(self) -> None:
        if not self._settings_loaded:
            self._load_settings()
        try:
            save_settings(self.settings)
        except OSError as exc:
            self.statusBar().showMessage(f"Settings not saved: {exc}", 8000)

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

    def maybe_discard(self) -> bool:
        """Ask about unsaved changes; True if it is fine to throw the current project away."""
        if not self.ws.dirty:
            return True
        ans = QMessageBox.question(
            self, "Unsaved changes",
            f"Save the changes to '{self.ws.project.name}' before closing it?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if ans == QMessageBox.StandardButton.Save:
            return self.save()
        return ans == QMessageBox.StandardButton.Discard

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


def _warm_up():
    """Import the core packages and read the settings (worker thread, at start-up)."""
    import layers.workspace  # noqa: F401
    import mapping.render  # noqa: F401

    return load_settings()


def store_result_styles(ws) -> None:
    """Keep analysis result styles in the project's main map (``style_overrides``).

    Result layers are rebuilt from their analysis steps when a project opens;
    their styling lives with the map that shows them, so ``hotmap run`` draws
    the exported map the same way.
    """
    styles = {lyr.name: lyr.style.to_dict() for lyr in ws.layers if lyr.source.get("analysis")}
    if not styles:
        return
    maps = ws.project.maps
    main = next((m for m in maps if m.get("name") == "map"), None)
    if main is None:
        main = {"name": "map", "title": ws.project.name, "fictional": ws.project.fictional,
                "layers": [lyr.name for lyr in ws.layers if lyr.visible
                           and lyr.kind not in ("table", "figure")]}
        maps.append(main)
    main["style_overrides"] = {**main.get("style_overrides", {}), **styles}
    main["layers"] = [lyr.name for lyr in ws.layers
                      if lyr.visible and lyr.kind not in ("table", "figure")]


def shown_results(project) -> set:
    """Result layers the project's main map shows (others re-open hidden)."""
    main = next((m for m in project.maps if m.get("name") == "map"), None)
    return set(main.get("layers", [])) if main else set()


def apply_result_styles(ws, names=None) -> None:
    """Restore result-layer styles stored by :func:`store_result_styles`."""
    from layers.style import LayerStyle

    for m in ws.project.maps:
        for name, st in (m.get("style_overrides") or {}).items():
            if names is not None and name not in names:
                continue
            if name in ws.layers and ws.layers[name].source.get("analysis"):
                ws.layers[name].style = LayerStyle.from_dict(st)


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
