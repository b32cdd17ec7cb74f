"""Menus, toolbar and the actions behind them (mixed into the main window)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.errors import report_error, report_exception

__all__ = ["ActionsMixin", "ANALYSIS_MENU"]

#: Analysis menu: (kind, menu text), in the order analysts meet them.
ANALYSIS_MENU = [
    ("count", "Counts and rates…"), ("kde", "Kernel density (KDE) hotspots…"),
    ("gistar", "Getis-Ord Gi* hot and cold spots…"), ("lisa", "Local Moran's I (LISA) clusters…"),
    ("change", "Change over time…"), ("trend", "Trend by month…"),
    ("composite", "Composite index…"), ("pai", "Predictive accuracy index (PAI)…"),
    ("deprivation", "Deprivation (IMD) profile…"), ("coverage", "Service coverage (2SFCA)…"),
    ("gaps", "Service gaps…"), ("whatif", "What-if: a new service site…"),
    ("disproportion", "Disproportionality…"), ("crackhouses", "Crack house closures…"),
    ("needles", "Needle finds and collection times…"), ("venues", "Venues…"),
    ("funnel", "Funnel plot…"), ("breakdown", "Breakdown table…"),
]


class ActionsMixin:
    """Menus and toolbar of :class:`app.main_window.MainWindow`."""

    def _act(self, text, slot, shortcut=None, tip=None, checkable=False) -> QAction:
        a = QAction(text, self)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})" if shortcut else tip)
        a.setCheckable(checkable)
        a.triggered.connect(lambda checked=False: slot())
        return a

    def build_actions(self) -> None:
        """Create the menus and the toolbar."""
        K = QKeySequence.StandardKey
        mb = self.menuBar()
        f = mb.addMenu("&File")
        self.act_new = self._act("&New project", self.new_project, K.New, "Start an empty project")
        self.act_open = self._act("&Open project…", self.open_dialog, K.Open,
                                  "Open a hotmap project file")
        self.act_save = self._act("&Save", self.save, K.Save, "Save the project")
        self.act_save_as = self._act("Save &as…", self.save_as, K.SaveAs,
                                     "Save the project under a new name")
        self.act_import_b = self._act("Import &boundaries…", lambda: self.import_data("boundaries"),
                                      "Ctrl+Shift+B", "Import area boundaries (LSOA, wards …)")
        self.act_import_r = self._act("Import &records…", lambda: self.import_data("records"),
                                      "Ctrl+Shift+I", "Import records: police.uk CSV, "
                                      "spreadsheets with postcodes or eastings/northings")
        self.act_basemap = self._act("Add base&map…", self.add_basemap_dialog, None,
                                     "Draw a raster you have (e.g. OS OpenMap - Local GeoTIFF or "
                                     "a .vrt mosaic) under the map; no web tiles are fetched")
        self.act_export_map = self._act("&Export map…", self.export_map, "Ctrl+E",
                                        "Lay out the map page and export PNG, SVG or PDF")
        self.act_export_data = self._act("Export &data…", self.export_data, "Ctrl+Shift+D",
                                         "Write the layers as GeoPackage and tables as CSV/XLSX")
        self.act_export_audit = self._act("Export a&udit pack…", self.export_audit, "Ctrl+Shift+A",
                                          "Write the audit pack (DOCX) with maps and tables")
        self.act_quit = self._act("&Quit", self.close, K.Quit, "Close hotmap")
        for a in (self.act_new, self.act_open):
            f.addAction(a)
        self.recent_menu = f.addMenu("Open &recent")
        for a in (self.act_save, self.act_save_as, None, self.act_import_b, self.act_import_r,
                  self.act_basemap, None, self.act_export_map, self.act_export_data, self.act_export_audit, None,
                  self.act_quit):
            f.addSeparator() if a is None else f.addAction(a)
        self.rebuild_recent()

        self.analysis_menu = mb.addMenu("&Analysis")
        self.analysis_menu.aboutToShow.connect(self.rebuild_analysis_menu)  # filled on demand

        v = mb.addMenu("&View")
        self.act_full = self._act("Zoom to &full extent", self.canvas.zoom_full, "Ctrl+0",
                                  "Show every layer")
        self.act_zoom_in = self._act("Zoom &in", lambda: self.canvas.zoom_by(0.7), K.ZoomIn,
                                     "Zoom in")
        self.act_zoom_out = self._act("Zoom &out", lambda: self.canvas.zoom_by(1.4), K.ZoomOut,
                                      "Zoom out")
        self.act_zoom_layer = self._act("Zoom to &layer", self._zoom_current, "Ctrl+L",
                                        "Zoom to the selected layer")
        tools = QActionGroup(self)
        self.act_pan = self._act("&Pan", lambda: self.canvas.set_tool("pan"), "P",
                                 "Drag to pan; click to identify", checkable=True)
        self.act_box = self._act("&Box zoom", lambda: self.canvas.set_tool("zoom"), "Z",
                                 "Drag a box to zoom into (or Shift+drag in pan mode)",
                                 checkable=True)
        self.act_identify = self._act("&Identify", lambda: self.canvas.set_tool("identify"), "I",
                                      "Click a feature to see its attributes", checkable=True)
        for a in (self.act_pan, self.act_box, self.act_identify):
            tools.addAction(a)
        self.act_pan.setChecked(True)
        for a in (self.act_full, self.act_zoom_in, self.act_zoom_out, self.act_zoom_layer, None,
                  self.act_pan, self.act_box, self.act_identify, None):
            v.addSeparator() if a is None else v.addAction(a)
        for dock in (self.dock_layers, self.dock_style, self.dock_identify, self.dock_chart,
                     self.dock_table):
            v.addAction(dock.toggleViewAction())
        self.act_table = self._act("Attribute &table", lambda: self._with_layer(self.show_table),
                                   "F6", "Open the selected layer's attribute table")
        v.addAction(self.act_table)

        h = mb.addMenu("&Help")
        h.addAction(self._act("&About hotmap", self.show_about, K.HelpContents,
                              "Version, licences and data attribution"))

        icons = {self.act_open: "open", self.act_save: "save",
                 self.act_import_b: "import_boundaries", self.act_import_r: "import_records",
                 self.act_pan: "pan", self.act_box: "zoom_box", self.act_identify: "identify",
                 self.act_full: "full_extent", self.act_zoom_layer: "zoom_layer",
                 self.act_export_map: "export_map"}
        folder = Path(__file__).resolve().parents[1] / "resources" / "icons"
        for act, name in icons.items():
            if (folder / f"{name}.svg").exists():
                act.setIcon(QIcon(str(folder / f"{name}.svg")))
        tb = self.addToolBar("Main")
        tb.setObjectName("toolbar_main")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.setIconSize(QSize(20, 20))
        for a in (self.act_open, self.act_save, None, self.act_import_b, self.act_import_r, None,
                  self.act_pan, self.act_box, self.act_identify, self.act_full, self.act_zoom_layer,
                  None, self.act_export_map):
            tb.addSeparator() if a is None else tb.addAction(a)

    # ------------------------------------------------------------- helpers
    def _with_layer(self, fn):
        layer = self.layer_panel.current_layer()
        if layer is None:
            report_error("Select a layer in the Layers panel first.")
            return None
        return fn(layer)

    def _zoom_current(self):
        self._with_layer(self.canvas.zoom_to_layer)

    def rebuild_recent(self) -> None:
        """Fill File > Open recent from the settings."""
        m = self.recent_menu
        m.clear()
        for p in self.settings.recent_files:
            a = m.addAction(Path(p).name)
            a.setToolTip(p)
            a.setStatusTip(p)
            a.triggered.connect(lambda _=False, p=p: self.open_path(p))
        m.setEnabled(bool(self.settings.recent_files))

    def rebuild_analysis_menu(self) -> None:
        """One entry per registered analysis kind (known ones in a friendly order)."""
        from mapping.pipeline import step_names

        m = self.analysis_menu
        m.clear()
        kinds = step_names()
        known = [k for k, _ in ANALYSIS_MENU]
        entries = [(k, t) for k, t in ANALYSIS_MENU if k in kinds] + \
            [(k, f"{k}…") for k in kinds if k not in known]
        for kind, text in entries:
            a = m.addAction(text)
            a.triggered.connect(lambda _=False, k=kind: self.open_analysis(k))
        if not entries:
            a = m.addAction("(no analyses installed)")
            a.setEnabled(False)

    # ------------------------------------------------------------- actions
    def new_project(self) -> None:
        """Start an empty, untitled project."""
        from layers.project import Project
        from layers.workspace import Workspace

        if self.maybe_discard():
            self.set_workspace(Workspace(Project(
                suppression_threshold=self.settings.suppression_threshold)))

    def open_dialog(self) -> None:
        """Ask for a project file and open it."""
        start = self.settings.recent_files[0] if self.settings.recent_files else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open project", str(Path(start).parent),
                                              "hotmap projects (*.toml);;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path) -> None:
        """Open a project after asking about unsaved changes."""
        if self.maybe_discard():
            self.open_project(path)

    def offer_recovery(self) -> None:
        """At start-up, offer autosaves left by a session that did not close cleanly."""
        from app.autosave import clear_autosave, find_recoverable

        found = find_recoverable()
        if not found:
            return
        r = found[0]
        ans = QMessageBox.question(
            self, "Recover unsaved work?",
            f"hotmap did not close cleanly last time. Recover the unsaved changes to "
            f"'{r.name}'?\n\nRecovered work opens as an unsaved project; use Save As to keep it.")
        if ans == QMessageBox.StandardButton.Yes:
            worker = self.open_project(r.path)
            if worker is not None:
                def recovered(ws, orig=r.original):
                    ws.project.path = Path(orig) if orig else None
                    ws.mark_dirty(True)
                    self._update_title()
                worker.signals.returned.connect(recovered)
        else:
            for item in found:
                clear_autosave(item.original)
                item.path.unlink(missing_ok=True)

    def import_data(self, what: str) -> None:
        """Open the import wizard for boundaries or records."""
        from app.import_wizard import ImportWizard

        wiz = ImportWizard(self.ws, what=what, settings=self.settings, parent=self)
        wiz.imported.connect(self.add_imported)
        wiz.open()
        self._wizard = wiz

    def add_basemap_dialog(self) -> None:
        """Choose a raster file and add it as the basemap."""
        path, _ = QFileDialog.getOpenFileName(
            self, "Add basemap", str(self.ws.project.folder),
            "Rasters (*.tif *.tiff *.vrt *.jp2 *.img *.png);;All files (*)")
        if path:
            self.add_basemap(path)

    def add_basemap(self, path, attribution: str = "os"):
        """Add a raster basemap at the bottom of the map; returns its layer (None on error)."""
        from layers.errors import HotmapError
        from layers.project import BasemapSource
        from layers.workspace import basemap_layer

        proj = self.ws.project
        taken = {lyr.name for lyr in self.ws.layers}
        name, k = Path(path).stem or "basemap", 1
        while name in taken:
            k += 1
            name = f"{Path(path).stem or 'basemap'} {k}"
        source = BasemapSource(name=name, paths=[Path(path)], attribution=attribution)
        try:
            layer = basemap_layer(source)
        except HotmapError as exc:
            report_exception(exc, self)
            return None
        proj.basemaps.append(source)
        self.ws.layers.insert(0, layer)
        self.ws.mark_dirty(True)
        self.statusBar().showMessage(f"Basemap '{name}' added under the map "
                                     "(its copyright line goes into exported maps)", 8000)
        return layer

    def add_imported(self, source, result) -> None:
        """Add a layer from the import wizard to the project and the map."""
        from layers.project import BoundarySource
        from layers.workspace import load_source

        proj = self.ws.project
        if isinstance(source, BoundarySource):
            proj.boundaries.append(source)
        else:
            proj.records.append(source)
        try:
            layer, res = load_source(source, project_path=proj.path,
                                     study_areas={b.name: self.ws.layers[b.name].data
                                                  for b in proj.boundaries
                                                  if b.name in self.ws.layers},
                                     ) if result is None else (None, result)
        except Exception as exc:  # noqa: BLE001
            report_exception(exc, self)
            return
        if layer is None:
            layer = self._layer_from_result(source, result)
            res = result
        self.ws.results[source.name] = res
        if isinstance(source, BoundarySource):
            # boundaries go under the record layers
            n_b = sum(1 for lyr in self.ws.layers if lyr.source.get("boundaries"))
            self.ws.layers.insert(n_b, layer)
        else:
            self.ws.layers.append(layer)
        self.ws.mark_dirty(True)
        self.canvas.zoom_to_layer(layer) if len(self.ws.layers) == 1 else None
        self.layer_panel.select_layer(layer)

    def _layer_from_result(self, source, result):
        from layers.model import Layer
        from layers.project import BoundarySource
        from layers.style import LayerStyle

        if isinstance(source, BoundarySource):
            style = LayerStyle.from_dict({"color": "#f0f0f0", "edgecolor": "#636363",
                                          "linewidth": 0.4, **source.style})
            return Layer(source.name, result.accepted, kind="areas", style=style,
                         source={"boundaries": source.name},
                         meta={"code_field": result.info.get("code_field") or source.code_field,
                               "name_field": result.info.get("name_field") or source.name_field})
        style = LayerStyle.from_dict({"marker_size": 8.0, "edgecolor": "none", **source.style})
        return Layer(source.name, result.accepted, kind="points", style=style,
                     source={"records": source.name},
                     meta={"record_kind": source.kind, "base_n": len(result.accepted)},
                     sensitive=source.is_sensitive, allow_raw_export=source.allow_raw_export)

    def open_analysis(self, kind: str):
        """Open the dialog for one analysis kind; returns the dialog."""
        from app.analysis_dialogs import AnalysisDialog

        dlg = AnalysisDialog(self.ws, kind, parent=self, settings=self.settings)
        dlg.finished_layers.connect(self._analysis_done)
        dlg.open()
        self._analysis_dialog = dlg
        return dlg

    def _analysis_done(self, layers) -> None:
        if layers:
            self.layer_panel.select_layer(layers[-1])
            self.statusBar().showMessage(
                "Added " + ", ".join(lyr.name for lyr in layers), 10000)

    def export_map(self):
        """Open the page layout and export dialog."""
        from app.layout_dialog import LayoutDialog

        dlg = LayoutDialog(self.ws, view=self.canvas.view_extent(), parent=self,
                           settings=self.settings)
        dlg.open()
        self._layout_dialog = dlg
        return dlg

    def export_data(self) -> None:
        """Export data through the layout dialog's data action."""
        dlg = self.export_map()
        dlg.export_data()

    def export_audit(self) -> None:
        """Export the audit pack through the layout dialog."""
        dlg = self.export_map()
        dlg.export_audit()

    def show_about(self) -> None:
        """Help > About."""
        from app.about import AboutDialog

        AboutDialog(self).exec()
