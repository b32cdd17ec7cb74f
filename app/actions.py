"""Menus, toolbar and the actions behind them (a part of the main window).

:class:`WindowActions` owns the ``QAction`` objects and the dialogs they
open; it changes the document only through the window's workspace and
public methods.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.about import AboutDialog
from app.atlas_dialog import AtlasDialog
from app.autosave import clear_autosave, find_recoverable
from app.errors import report_error, report_exception
from app.file_dialogs import remember_folder, start_folder
from app.layout_dialog import LayoutDialog

__all__ = ["WindowActions", "MENU_ALIASES", "analysis_menu_entries"]

#: Menu entries that open another analysis's dialog with some fields required:
#: kind -> (analysis kind, required parameters, dialog title).
MENU_ALIASES = {
    "gaps": ("coverage", ("need",), "Service gaps: areas of high need and low access"),
}
#: Menu text of the aliases.
MENU_TEXT = {"gaps": "Service gaps"}
#: Submenus of the Analysis menu: a declaration's ``menu`` -> its text.
MENU_SECTIONS = {"hotspots": "&Hotspots and density", "patterns": "&Patterns in place and time",
                 "deprivation": "&Deprivation and services", "audit": "&Audit tables and charts"}


def analysis_menu_entries(kinds) -> list[tuple[str, str]]:
    """(kind, menu text) for the registered analysis ``kinds``, in the declarations' order
    (each analysis's ``label``), with the aliases after the analysis they open."""
    from mapping.pipeline import analyses

    kinds = set(kinds)
    entries = []
    for decl in analyses():
        if decl.kind not in kinds:
            continue
        text = decl.label or decl.title.replace("{subject}", "records")
        entries.append((decl.kind, text[:1].upper() + text[1:] + "…"))
        for alias, (target, _req, title) in MENU_ALIASES.items():
            if target == decl.kind:
                entries.append((alias, MENU_TEXT.get(alias, title) + "…"))
    return entries


class WindowActions:
    """Menus, toolbar and their slots for :class:`app.main_window.MainWindow`."""

    def __init__(self, win):
        self.win = win
        self._wizard = None
        self._analysis_dialog = None
        self._layout_dialog = None

    @property
    def ws(self):
        """The window's workspace."""
        return self.win.ws

    @property
    def settings(self):
        """The window's settings."""
        return self.win.settings

    def _act(self, text, slot, shortcut=None, tip=None, checkable=False) -> QAction:
        a = QAction(text, self.win)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})" if shortcut else tip)
        a.setCheckable(checkable)
        a.triggered.connect(lambda checked=False: slot())
        return a

    def build(self) -> None:
        """Create the menus and the toolbar."""
        mb = self.win.menuBar()
        self._file_menu(mb)
        self.analysis_menu = mb.addMenu("&Analysis")
        self.analysis_menu.aboutToShow.connect(self.rebuild_analysis_menu)  # filled on demand
        self._view_menu(mb)
        h = mb.addMenu("&Help")
        h.addAction(self._act("&About hotmap", self.show_about,
                              QKeySequence.StandardKey.HelpContents,
                              "Version, licences and data attribution"))
        self._toolbar()

    def _file_menu(self, mb) -> None:
        """File: new, open, recent, save, import, basemap, the exports and quit."""
        win = self.win
        K = QKeySequence.StandardKey
        f = mb.addMenu("&File")
        self.act_new = self._act("&New project", win.new_project, K.New, "Start an empty project")
        self.act_open = self._act("&Open project…", self.open_dialog, K.Open,
                                  "Open a hotmap project file")
        self.act_save = self._act("&Save", win.save, K.Save, "Save the project")
        self.act_save_as = self._act("Save &as…", win.save_as, K.SaveAs,
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
        self.act_export_atlas = self._act("Export a&tlas…", self.export_atlas, None,
                                          "One page per ward or district of an analysis: "
                                          "map, locator, figures and trend (PDF and DOCX)")
        self.act_quit = self._act("&Quit", win.close, K.Quit, "Close hotmap")
        for a in (self.act_new, self.act_open):
            f.addAction(a)
        self.recent_menu = f.addMenu("Open &recent")
        for a in (self.act_save, self.act_save_as, None, self.act_import_b, self.act_import_r,
                  self.act_basemap, None, self.act_export_map, self.act_export_data,
                  self.act_export_audit, self.act_export_atlas, None, self.act_quit):
            f.addSeparator() if a is None else f.addAction(a)
        self.rebuild_recent()

    def _view_menu(self, mb) -> None:
        """View: zoom, the map tools, the docks, the attribute table and the start page."""
        win = self.win
        K = QKeySequence.StandardKey
        v = mb.addMenu("&View")
        c = win.canvas
        self.act_full = self._act("Zoom to &full extent", c.zoom_full, "Ctrl+0",
                                  "Show every layer")
        self.act_zoom_in = self._act("Zoom &in", lambda: c.zoom_by(0.7), K.ZoomIn, "Zoom in")
        self.act_zoom_out = self._act("Zoom &out", lambda: c.zoom_by(1.4), K.ZoomOut,
                                      "Zoom out")
        self.act_zoom_layer = self._act("Zoom to &layer", self._zoom_current, "Ctrl+L",
                                        "Zoom to the selected layer")
        tools = QActionGroup(win)
        self.act_pan = self._act("&Pan", lambda: c.set_tool("pan"), "P",
                                 "Drag to pan; click to identify", checkable=True)
        self.act_box = self._act("&Box zoom", lambda: c.set_tool("zoom"), "Z",
                                 "Drag a box to zoom into (or Shift+drag in pan mode)",
                                 checkable=True)
        self.act_identify = self._act("&Identify", lambda: c.set_tool("identify"), "I",
                                      "Click a feature to see its attributes", checkable=True)
        for a in (self.act_pan, self.act_box, self.act_identify):
            tools.addAction(a)
        self.act_pan.setChecked(True)
        for a in (self.act_full, self.act_zoom_in, self.act_zoom_out, self.act_zoom_layer, None,
                  self.act_pan, self.act_box, self.act_identify, None):
            v.addSeparator() if a is None else v.addAction(a)
        for dock in (win.dock_layers, win.dock_style, win.dock_identify, win.dock_chart,
                     win.dock_table):
            v.addAction(dock.toggleViewAction())
        self.act_table = self._act("Attribute &table", lambda: self._with_layer(win.show_table),
                                   "F6", "Open the selected layer's attribute table")
        self.act_start = self._act("&Start page", win.show_start_page, None,
                                   "Recent projects, the demo and how to begin")
        v.addAction(self.act_table)
        v.addAction(self.act_start)

    def _toolbar(self) -> None:
        """The main toolbar (with the icons of its actions)."""
        win = self.win
        icons = {self.act_open: "open", self.act_save: "save",
                 self.act_import_b: "import_boundaries", self.act_import_r: "import_records",
                 self.act_pan: "pan", self.act_box: "zoom_box", self.act_identify: "identify",
                 self.act_full: "full_extent", self.act_zoom_layer: "zoom_layer",
                 self.act_export_map: "export_map"}
        folder = Path(__file__).resolve().parents[1] / "resources" / "icons"
        for act, name in icons.items():
            if (folder / f"{name}.svg").exists():
                act.setIcon(QIcon(str(folder / f"{name}.svg")))
        tb = win.addToolBar("Main")
        tb.setObjectName("toolbar_main")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.setIconSize(QSize(20, 20))
        for a in (self.act_open, self.act_save, None, self.act_import_b, self.act_import_r, None,
                  self.act_pan, self.act_box, self.act_identify, self.act_full, self.act_zoom_layer,
                  None, self.act_export_map):
            tb.addSeparator() if a is None else tb.addAction(a)

    # ------------------------------------------------------------- helpers
    def _with_layer(self, fn):
        layer = self.win.layer_panel.current_layer()
        if layer is None:
            report_error("Select a layer in the Layers panel first.")
            return None
        return fn(layer)

    def _zoom_current(self):
        self._with_layer(self.win.canvas.zoom_to_layer)

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

        from mapping.pipeline import get_analysis

        m = self.analysis_menu
        m.clear()
        entries = analysis_menu_entries(step_names())
        subs = {}
        for kind, text in entries:  # one submenu per declared section, in menu order
            target = MENU_ALIASES.get(kind, (kind,))[0]
            section = get_analysis(target).menu
            if section not in subs:
                subs[section] = m.addMenu(MENU_SECTIONS.get(section, section.capitalize()))
            a = subs[section].addAction(text)
            a.triggered.connect(lambda _=False, k=kind: self.open_analysis(k))
        if not entries:
            a = m.addAction("(no analyses installed)")
            a.setEnabled(False)

    # ------------------------------------------------------------- actions
    def new_project(self) -> None:
        """Start an empty, untitled project."""
        from layers.project import Project
        from boundaries.workspace import Workspace

        if self.win.maybe_discard():
            self.win.set_workspace(Workspace(Project(
                disclosure={"threshold": self.settings.suppression_threshold})))
            self.win.show_map()  # an empty map, ready for imports (not the start page)

    def open_dialog(self) -> None:
        """Ask for a project file and open it."""
        start = start_folder(self.settings, self.ws.project)
        if not self.settings.last_folder and self.settings.recent_files:
            start = Path(self.settings.recent_files[0]).parent
        path, _ = QFileDialog.getOpenFileName(self.win, "Open project", str(start),
                                              "hotmap projects (*.toml);;All files (*)")
        if path:
            remember_folder(self.settings, path)
            self.open_path(path)

    def open_path(self, path) -> None:
        """Open a project after asking about unsaved changes."""
        if self.win.maybe_discard():
            self.win.open_project(path)

    def offer_recovery(self) -> None:
        """At start-up, offer autosaves left by a session that did not close cleanly."""
        found = find_recoverable()
        if not found:
            return
        r = found[0]
        ans = QMessageBox.question(
            self.win, "Recover unsaved work?",
            f"hotmap did not close cleanly last time. Recover the unsaved changes to "
            f"'{r.name}'?\n\nRecovered work opens as an unsaved project; use Save As to keep it.")
        if ans == QMessageBox.StandardButton.Yes:
            worker = self.win.open_project(r.path)
            if worker is not None:
                def recovered(ws, orig=r.original):
                    ws.project.path = Path(orig) if orig else None
                    ws.mark_dirty(True)
                    self.win.update_title()
                worker.signals.returned.connect(recovered)
        else:
            for item in found:
                clear_autosave(item.original)
                item.path.unlink(missing_ok=True)

    def import_data(self, what: str):
        """Open the import wizard for boundaries or records; returns the wizard."""
        from app.import_wizard import ImportWizard

        wiz = ImportWizard(self.ws, what=what, settings=self.settings, parent=self.win)
        wiz.imported.connect(self.win.add_imported)
        wiz.open()
        self._wizard = wiz
        return wiz

    def add_basemap_dialog(self) -> None:
        """Choose a raster file and add it as the basemap."""
        path, _ = QFileDialog.getOpenFileName(
            self.win, "Add basemap", str(start_folder(self.settings, self.ws.project)),
            "Rasters (*.tif *.tiff *.vrt *.jp2 *.img *.png);;All files (*)")
        if path:
            remember_folder(self.settings, path)
            self.add_basemap(path)

    def add_basemap(self, path, attribution: str = "os"):
        """Add a raster basemap at the bottom of the map; returns its layer (None on error)."""
        from layers.common.errors import HotmapError
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
            report_exception(exc, self.win)
            return None
        proj.basemaps.append(source)
        self.ws.layers.insert(0, layer)
        self.ws.mark_dirty(True)
        self.win.status(f"Basemap '{name}' added under the map "
                        "(its copyright line goes into exported maps)", 8000)
        return layer

    def open_analysis(self, kind: str):
        """Open the dialog for one analysis kind (or a menu alias); returns the dialog."""
        from app.analysis_dialogs import AnalysisDialog

        target, required, title = MENU_ALIASES.get(kind, (kind, (), None))
        dlg = AnalysisDialog(self.ws, target, parent=self.win, settings=self.settings,
                             require=required, title=title)
        dlg.selection = lambda: self.win.canvas.selection  # "Use map selection" (area codes)
        dlg.finished_layers.connect(self._analysis_done)
        dlg.open()
        self._analysis_dialog = dlg
        return dlg

    def _analysis_done(self, layers) -> None:
        if layers:
            self.win.layer_panel.select_layer(layers[-1])
            self.win.status("Added " + ", ".join(lyr.name for lyr in layers), 10000)

    def export_map(self):
        """Open the page layout and export dialog."""
        dlg = LayoutDialog(self.ws, view=self.win.canvas.view_extent(), parent=self.win,
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

    def export_atlas(self):
        """File > Export atlas…: choose an analysis and the areas; the dialog writes the PDF."""
        folder = str(self.ws.project.folder) if self.ws is not None else ""
        dlg = AtlasDialog(self.ws, parent=self.win, start_folder=folder)
        dlg.open()
        self._atlas_dialog = dlg
        return dlg

    def show_about(self) -> None:
        """Help > About."""
        AboutDialog(self.win).exec()
