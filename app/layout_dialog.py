"""Map layout and export: a page preview as it will be exported, and the export actions.

The preview is rendered by :func:`mapping.render.draw.render_composition` (the
exporter's own page renderer) at screen resolution on a worker, debounced
while the user types.  Export map writes PNG/SVG/PDF with
:func:`mapping.export.maps.export_map`; Export data writes the layers in the chosen
format (GeoPackage + XLSX of tables, GeoJSON, Shapefile, CSV or XLSX);
Export audit pack runs :func:`mapping.pipeline.runner.write_project_outputs`
(maps, data, tables, HTML map and the DOCX audit pack), exactly what
``hotmap run`` writes.  The composition is stored in the project.
"""

from __future__ import annotations

import io
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
                               QSizePolicy, QSpinBox, QVBoxLayout, QWidget)

from app.file_dialogs import remember_folder, start_path
from app.workers import start_worker

__all__ = ["LayoutDialog", "export_data_files", "export_data_as"]

FORMATS = {"PNG image (raster)": ".png", "SVG (vector, editable)": ".svg", "PDF (vector)": ".pdf"}


def export_data_files(ws, folder) -> list[Path]:
    """Write every layer to ``folder/layers.gpkg`` and tables to ``folder/tables.xlsx``."""
    from mapping.export.data import export_geopackage, export_tables_xlsx
    from mapping.pipeline.policy import Policy

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    from mapping.pipeline.runner import published_layers

    policy = Policy.from_project(ws.project)
    rules = policy.rules
    layers = published_layers([lyr for lyr in ws.layers if lyr.data is not None
                               and lyr.kind != "figure"], policy)  # the run's own audit
    out = [export_geopackage(layers, folder / "layers.gpkg", rules=rules)]
    tables = [lyr for lyr in layers if lyr.kind in ("table", "areas", "grid")]
    if tables:
        out.append(export_tables_xlsx(tables, folder / "tables.xlsx", rules=rules))
    return out


def export_data_as(ws, folder, fmt: str, *, rules) -> list[Path]:
    """Export data in a :data:`mapping.export.data.DATA_FORMATS` format (``rules``: the
    project's disclosure rules, from :meth:`LayoutDialog.rules`); ``gpkg`` is
    :func:`export_data_files` (GeoPackage and an XLSX of the tables)."""
    from mapping.export.data import export_layers
    from mapping.pipeline.policy import Policy
    from mapping.pipeline.runner import published_layers

    if fmt == "gpkg":
        return export_data_files(ws, folder)
    layers = published_layers([lyr for lyr in ws.layers if lyr.data is not None
                               and lyr.kind != "figure"], Policy(rules=rules))
    return export_layers(layers, folder, fmt, rules=rules)


def _render_png(comp, layers, rules, dpi) -> bytes:
    from mapping.render.layout import render_composition

    fig = render_composition(comp, layers, rules=rules)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor=fig.get_facecolor())
    fig.clear()
    return buf.getvalue()


class LayoutDialog(QDialog):
    """Page layout, live preview and export.

    Signals
    -------
    exported(list)
        Paths written by the last export.
    preview_ready()
        A new preview image is shown.
    """

    exported = Signal(list)
    preview_ready = Signal()

    def __init__(self, ws, view=None, parent=None, settings=None):
        super().__init__(parent)
        self.ws, self.view, self.settings = ws, view, settings
        self.worker = None
        self.preview_worker = None
        self.last_written: list[Path] = []
        self.setWindowTitle("Map layout and export — hotmap")
        self.resize(1280, 820)
        saved = next((m for m in ws.project.maps if m.get("name") == "map"), {})
        self._make_fields(saved, view)
        form = self._make_form()
        self._make_buttons()
        self._lay_out(form)
        self._pixmap = None
        self._timer = QTimer(self, singleShot=True, interval=400)
        self._timer.timeout.connect(self.refresh_preview)
        for w in (self.title, self.subtitle, self.attribution):
            w.textChanged.connect(lambda *_: self._timer.start())
        self.notes.textChanged.connect(lambda: self._timer.start())
        for w in (self.page, self.orientation):
            w.currentIndexChanged.connect(lambda *_: self._timer.start())
        for w in (self.use_view, self.legend, self.scale_bar):
            w.toggled.connect(lambda *_: self._timer.start())
        QTimer.singleShot(0, self.refresh_preview)

    def _make_fields(self, saved, view) -> None:
        """The page fields, filled from the project's saved map (``saved``)."""
        proj = self.ws.project
        self.title = QLineEdit(saved.get("title") or proj.name, self)
        self.subtitle = QLineEdit(saved.get("subtitle", ""), self)
        self.subtitle.setPlaceholderText("e.g. Drugs offences, October 2018 to January 2019")
        self.notes = QPlainTextEdit(saved.get("extra_notes", ""), self)
        self.notes.setPlaceholderText("Added to the automatic notes (period, counts, method)")
        self.notes.setMaximumHeight(90)
        self.attribution = QLineEdit(saved.get("attribution") or "", self)
        self.attribution.setPlaceholderText("automatic: built from the layers' sources")
        self.page = QComboBox(self)
        self.page.addItems(["A4", "A3", "A5"])
        self.page.setCurrentText(saved.get("page", "A4"))
        self.orientation = QComboBox(self)
        self.orientation.addItems(["landscape", "portrait"])
        self.orientation.setCurrentText(saved.get("orientation", "landscape"))
        self.format = QComboBox(self)
        self.format.addItems(list(FORMATS))
        self.data_format = QComboBox(self)
        from mapping.export.data import DATA_FORMATS

        for key, (label, _suffix) in DATA_FORMATS.items():  # bound to the registry's keys
            self.data_format.addItem(label, key)
        self.data_format.setToolTip("Format of Export data (disclosure control applied)")
        self.dpi = QSpinBox(self, minimum=72, maximum=1200, singleStep=50)
        self.dpi.setValue(int(saved.get("dpi", 300)))
        self.dpi.setSuffix(" dpi")
        self.dpi.setToolTip("Resolution of PNG exports; 300 dpi for print")
        self.use_view = QCheckBox("Use the map window's current view", self)
        self.use_view.setChecked(view is not None)
        self.legend = QCheckBox("Legend", self)
        self.legend.setChecked(True)
        self.scale_bar = QCheckBox("Scale bar and north arrow", self)
        self.scale_bar.setChecked(True)

    def _make_form(self) -> QFormLayout:
        """The labelled form of the page fields."""
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Title", self.title)
        form.addRow("Subtitle", self.subtitle)
        form.addRow("Notes", self.notes)
        form.addRow("Attribution", self.attribution)
        form.addRow("Page size", self.page)
        form.addRow("Orientation", self.orientation)
        form.addRow("Format", self.format)
        form.addRow("Resolution", self.dpi)
        form.addRow("Data format", self.data_format)
        form.addRow("", self.use_view)
        form.addRow("", self.legend)
        form.addRow("", self.scale_bar)
        return form

    def _make_buttons(self) -> None:
        """Export map, data and audit pack, Close; and the status line."""
        self.b_map = QPushButton("Export map…", self)
        self.b_data = QPushButton("Export data…", self)
        self.b_audit = QPushButton("Export audit pack…", self)
        self.b_close = QPushButton("Close", self)
        self.b_map.setToolTip("Write this page as PNG, SVG or PDF")
        self.b_data.setToolTip("Write the layers in the data format chosen above "
                               "(disclosure control applied)")
        self.b_audit.setToolTip("Write every map, the data, tables, an HTML map and the DOCX "
                                "audit pack into a folder")
        self.b_map.clicked.connect(lambda: self.export_map())
        self.b_data.clicked.connect(lambda: self.export_data())
        self.b_audit.clicked.connect(lambda: self.export_audit())
        self.b_close.clicked.connect(self.accept)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)

    def _lay_out(self, form) -> None:
        """The form and buttons on the left, the page preview on the right."""
        left = QVBoxLayout()
        left.addLayout(form)
        for b in (self.b_map, self.b_data, self.b_audit):
            left.addWidget(b)
        left.addWidget(self.status)
        left.addStretch(1)
        left.addWidget(self.b_close)
        lw = QWidget(self)
        lw.setLayout(left)
        # wide enough for the longest choice and label (a fixed 400 px cut "Data format"
        # and the GeoPackage choice)
        lw.setFixedWidth(max(400, lw.sizeHint().width()))
        self.preview = QLabel("Rendering the page preview …", self)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(560, 400)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.preview.setStyleSheet("background: #8a8a8a; padding: 12px;")
        pv = QVBoxLayout()
        cap = QLabel("<b>Preview</b> — the page exactly as it will be exported", self)
        pv.addWidget(cap)
        pv.addWidget(self.preview, 1)
        lay = QHBoxLayout(self)
        lay.addWidget(lw)
        lay.addLayout(pv, 1)

    # ---------------------------------------------------------- composition
    def composition(self):
        """The :class:`mapping.render.compose.MapComposition` the form describes."""
        from mapping.render.compose import MapComposition

        names = [lyr.name for lyr in self.ws.layers.visible()  # a hidden group is not drawn
                 if lyr.kind not in ("table", "figure")]
        ext = list(self.view) if (self.use_view.isChecked() and self.view) else None
        return MapComposition(
            name="map", title=self.title.text().strip(), subtitle=self.subtitle.text().strip(),
            page=self.page.currentText(), orientation=self.orientation.currentText(),
            extent=ext, layers=names, legend=self.legend.isChecked(),
            scale_bar=self.scale_bar.isChecked(), north_arrow=self.scale_bar.isChecked(),
            attribution=self.attribution.text().strip() or None,
            extra_notes=self.notes.toPlainText().strip(), dpi=self.dpi.value(),
            fictional=bool(self.ws.project.fictional))

    def rules(self):
        """The project's disclosure rules (its ``[disclosure]`` table)."""
        from mapping.pipeline.policy import Policy

        return Policy.from_project(self.ws.project).rules

    def _remember(self, comp) -> None:
        d = comp.to_dict()
        maps = [m for m in self.ws.project.maps if m.get("name") != comp.name]
        if maps + [d] != self.ws.project.maps:
            self.ws.project.maps = maps + [d]
            self.ws.mark_dirty(True)

    # -------------------------------------------------------------- preview
    def refresh_preview(self):
        """Render the page preview on a worker (returns the worker)."""
        try:
            comp = self.composition()
        except Exception as exc:  # noqa: BLE001 - shown in place of the preview
            self.preview.setText(f"Cannot lay out this page: {exc}")
            return None
        if self.preview_worker is not None and not self.preview_worker.done:
            self._timer.start()
            return None
        layers = list(self.ws.layers)
        w = start_worker(_render_png, comp, layers, self.rules(), 72, report_errors=False)
        w.signals.returned.connect(self._show_preview)
        w.signals.errored.connect(lambda exc: self.preview.setText(
            f"Cannot draw the preview: {exc}"))
        self.preview_worker = w
        return w

    def _show_preview(self, png: bytes) -> None:
        pm = QPixmap()
        pm.loadFromData(png, "PNG")
        self._pixmap = pm
        self._scale_preview()
        self.preview_ready.emit()

    def _scale_preview(self) -> None:
        if self._pixmap is None:
            return
        size = self.preview.size()
        self.preview.setPixmap(self._pixmap.scaled(size.width() - 24, size.height() - 24,
                                                   Qt.AspectRatioMode.KeepAspectRatio,
                                                   Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._scale_preview()

    # --------------------------------------------------------------- export
    def _run(self, fn, *args, done_text, **kwargs):
        for b in (self.b_map, self.b_data, self.b_audit):
            b.setEnabled(False)
        self.status.setText("Exporting … (in the background)")
        w = start_worker(fn, *args, **kwargs)

        def finished(paths):
            paths = paths if isinstance(paths, list) else [paths]
            self.last_written = [Path(p) for p in paths]
            self.status.setText(done_text(self.last_written))
            self.exported.emit(self.last_written)

        w.signals.returned.connect(finished)
        w.signals.errored.connect(lambda exc: self.status.setText("Export failed; see the message."))
        w.signals.finished.connect(lambda: [b.setEnabled(True)
                                            for b in (self.b_map, self.b_data, self.b_audit)])
        self.worker = w
        return w

    def _start(self, filename: str = "") -> str:
        return start_path(self.settings, self.ws.project, filename)

    def _chosen(self, path) -> None:
        remember_folder(self.settings, path)

    def export_map(self, path=None):
        """Export the page (asks for a file name unless ``path`` is given)."""
        from mapping.export.maps import export_map

        comp = self.composition()
        suffix = FORMATS[self.format.currentText()]
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export map",
                                                  self._start(f"{comp.slug}{suffix}"),
                                                  "Maps (*.png *.svg *.pdf)")
            if not path:
                return None
            self._chosen(path)
        path = Path(path)
        if path.suffix.lower() not in (".png", ".svg", ".pdf"):
            path = path.with_suffix(suffix)
        self._remember(comp)
        return self._run(export_map, comp, list(self.ws.layers), path, comp.dpi,
                         rules=self.rules(), done_text=lambda p: f"Map written: {p[0]}")

    def export_data(self, folder=None):
        """Write the layers (GeoPackage) and tables (XLSX) into a folder."""
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "Export data to folder",
                                                      self._start())
            if not folder:
                return None
            self._chosen(folder)
        return self._run(export_data_as, self.ws, Path(folder),
                         self.data_format.currentData() or "gpkg", rules=self.rules(),
                         done_text=lambda p: f"{len(p)} files written to {Path(folder)}")

    def export_audit(self, folder=None):
        """Write the audit pack (maps, data, tables, HTML, DOCX) into a folder."""
        from mapping.pipeline.runner import write_project_outputs

        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "Export audit pack to folder",
                                                      self._start())
            if not folder:
                return None
            self._chosen(folder)
        self._remember(self.composition())
        self.ws.sync_project()
        return self._run(write_project_outputs, self.ws, Path(folder),
                         done_text=lambda p: f"Audit pack: {len(p)} files written to "
                                             f"{Path(folder)}")
