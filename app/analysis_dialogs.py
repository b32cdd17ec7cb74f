"""One dialog per analysis kind, built from its form spec (:mod:`app.analysis_forms`).

The dialog validates the parameters, then runs the analysis with
:func:`mapping.pipeline.runner.run_step` (the function ``hotmap run`` uses) on a worker
thread, against a *shadow* workspace that shares the layer data read-only.
The new layers reach the document only on the GUI thread, when the worker
returns; Cancel stops the worker and nothing is added.  On success the
:class:`~layers.project.AnalysisStep` is recorded in the project, so
``hotmap run`` reproduces the result.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar,
                               QPushButton, QScrollArea, QVBoxLayout, QWidget)

from layers.project import AnalysisStep
from mapping.pipeline import get_analysis

from app.analysis_fields import NONE_ITEM, field_value, fill_columns, make_field
from app.analysis_forms import form_for, parse_literal, validate_params
from app.analysis_run import add_results, run_analysis, unique_name
from app.errors import report_exception
from app.file_dialogs import remember_folder, start_folder
from app.workers import start_worker

__all__ = ["AnalysisDialog"]


class AnalysisDialog(QDialog):
    """Parameters, validation, progress and Cancel for one analysis kind.

    Signals
    -------
    finished_layers(list)
        The layers added to the document (after a successful run).
    """

    finished_layers = Signal(list)

    def __init__(self, ws, kind: str, parent=None, settings=None, *, require=(),
                 title: str | None = None):
        super().__init__(parent)
        self.ws, self.kind, self.settings = ws, kind, settings
        self.spec = form_for(kind)
        if require or title:  # a menu entry that needs some optional fields (e.g. gaps)
            self.spec = replace(self.spec, title=title or self.spec.title, params=[
                replace(p, optional=False) if p.name in require else p
                for p in self.spec.params])
        self.worker = None
        self.step = None
        self.widgets: dict = {}
        #: returns (layer name, row labels) selected on the map; set by the main window
        self.selection = None
        try:
            decl = get_analysis(kind)
            self._file_params = {x.name for x in decl.params if x.type == "file"}
        except Exception:  # noqa: BLE001 - a form without a declaration has no files
            self._file_params = set()
        self.setWindowTitle(f"{self.spec.title} — hotmap")
        self.setMinimumWidth(620)
        intro = QLabel(f"<b>{self.spec.title}</b><br>{self.spec.description}", self)
        intro.setWordWrap(True)
        # one form for every field, so the labels of "more options" line up with the rest;
        # the advanced rows follow a check box and are hidden until it is ticked
        main = QFormLayout()
        main.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form = main
        self.units: dict[str, QLabel] = {}
        self.extra_buttons: dict[str, QPushButton] = {}
        self._add_rows(main, self._make_rows())
        self._link_fields()
        self._lay_out(intro, main)
        self.resize(680, 600)

    def _make_rows(self) -> dict:
        """One (label, widget with its help below) row per parameter, by name."""
        rows = {}
        for p in self.spec.params:
            w = self._make_widget(p)
            self.widgets[p.name] = w
            box = QWidget(self)
            v = QVBoxLayout(box)
            v.setContentsMargins(0, 0, 0, 4)
            v.setSpacing(1)
            v.addWidget(self._with_extras(p, w, box))
            helpl = QLabel(p.help, box)
            helpl.setWordWrap(True)
            helpl.setStyleSheet("color: #555; font-size: 9pt;")
            v.addWidget(helpl)
            w.setToolTip(p.help)
            # a check box says its own label: the row's label would say it twice
            rows[p.name] = ("" if p.kind == "bool" else
                            p.label + ("" if p.optional else " *"), box)
        return rows

    def _add_rows(self, main, rows) -> None:
        """The usual rows, then "Show more options" and the advanced rows it shows."""
        for p in self.spec.params:
            if not p.advanced:
                main.addRow(*rows[p.name])
        self._advanced_rows = []
        if any(p.advanced for p in self.spec.params):
            self.more = QCheckBox("Show more options", self)
            main.addRow(self.more)
            for p in self.spec.params:
                if p.advanced:
                    main.addRow(*rows[p.name])
                    self._advanced_rows.append(main.rowCount() - 1)
            self.more.toggled.connect(self._show_more)
            self._show_more(False)

    def _link_fields(self) -> None:
        """Field lists follow their layer choice; setting one of a ``one_of`` group clears
        the others."""
        for p in self.spec.params:  # column lists follow their layer choice
            for of in (p.of.split("|") if p.kind in ("column", "columns") and p.of else []):
                src = self.widgets.get(of)
                if isinstance(src, QComboBox):
                    src.currentIndexChanged.connect(lambda _=0, p=p: self._fill_columns(p))
            if p.kind in ("column", "columns") and p.of:
                self._fill_columns(p)
        for group in self.spec.one_of:  # areas or a cell size: setting one clears the others
            for n in group:
                w = self.widgets.get(n)
                if isinstance(w, QComboBox):
                    w.activated.connect(lambda _=0, n=n, g=group: self._chose(n, g))
                elif isinstance(w, QLineEdit):
                    w.textEdited.connect(lambda _="", n=n, g=group: self._chose(n, g))

    def _lay_out(self, intro, main) -> None:
        """The intro, the scrolled form, the problems, status, progress and buttons."""
        inner = QWidget(self)
        il = QVBoxLayout(inner)
        il.addLayout(main)
        il.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.problems = QLabel("", self)
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #b2182b;")
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.status = QLabel("Fields marked * are required. Hover over a field for help.", self)
        self.buttons = QDialogButtonBox(self)
        self.run_button = self.buttons.addButton("Run", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addWidget(scroll, 1)
        lay.addWidget(self.problems)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.progress)
        lay.addLayout(bottom)
        lay.addWidget(self.buttons)
        self._inner = inner

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        """Fit the height to the form (help texts wrap, so ask for the height at this width)."""
        super().showEvent(event)
        lay = self._inner.layout()
        h = lay.heightForWidth(self.width() - 40) if lay.hasHeightForWidth() else -1
        if h <= 0:
            h = self._inner.sizeHint().height()
        self.resize(self.width(), max(380, min(860, h + 170)))

    def _show_more(self, on: bool) -> None:
        for row in self._advanced_rows:
            self.form.setRowVisible(row, on)

    # -------------------------------------------------------------- widgets
    def _with_extras(self, p, w, parent):
        """The field with what it needs beside it: its unit, a Browse button for a file,
        "Use map selection" for codes of areas."""
        extras = []
        if p.unit and p.kind in ("number", "int"):
            unit = QLabel(p.unit.strip(), parent)
            unit.setToolTip(f"in {p.unit.strip()}")
            self.units[p.name] = unit
            extras.append(unit)
        if self.file_param(p):
            b = QPushButton("Browse…", parent)
            b.setToolTip("Choose the file")
            b.clicked.connect(lambda _=False, p=p: self.browse(p.name))
            self.extra_buttons[p.name] = b
            extras.append(b)
        if p.item == "area_code":
            b = QPushButton("Use map selection", parent)
            b.setToolTip("Put in the codes of the areas selected on the map (or in the table)")
            b.clicked.connect(lambda _=False, p=p: self.use_selection(p.name))
            self.extra_buttons[p.name] = b
            extras.append(b)
        if not extras:
            return w
        row = QWidget(parent)
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(w, 1)
        for e in extras:
            h.addWidget(e)
        return row

    def file_param(self, p) -> bool:
        """True for a field that names a file (the declaration's type ``file``)."""
        return p.name in self._file_params

    def browse(self, name: str):
        """Ask for a file for field ``name`` (starting in the project's folder)."""
        start = start_folder(self.settings, self.ws.project) if self.settings is not None \
            else str(self.ws.project.folder)
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file", str(start),
                                              "Tables and files (*.csv *.xlsx *.xls *.gpkg "
                                              "*.geojson *.json *.shp *.fgb *.toml);;"
                                              "All files (*)")
        if path:
            if self.settings is not None:
                remember_folder(self.settings, path)
            self.set_file(name, path)
        return path or None

    def set_file(self, name: str, path) -> None:
        """Put a chosen file into field ``name`` (a plain path reads as one file name)."""
        self.widgets[name].setText(str(path))

    def use_selection(self, name: str) -> list:
        """Fill an area-codes field with the codes of the areas selected on the map.

        The selection must be of the form's areas layer; the codes are read from its
        area code field (or the code field found when the boundaries were read).
        Codes already typed in are kept; returns the codes put in.
        """
        layer_name, labels = self.selection() if self.selection is not None else (None, [])
        areas = self._areas_layer()
        if areas is None:
            self.problems.setText("Choose the areas layer first.")
            return []
        if layer_name != areas.name or not labels:
            self.problems.setText(f"Select areas of '{areas.name}' on the map (or in its "
                                  "table) first, then press “Use map selection”.")
            return []
        field = self._code_field(areas)
        if field is None:
            self.problems.setText(f"'{areas.name}' has no code field: choose the "
                                  "area code field first.")
            return []
        data = areas.data
        codes = [str(c) for c in data.loc[[x for x in labels if x in data.index], field]]
        w = self.widgets[name]
        typed = parse_literal(w.text()) if w.text().strip() else []
        have = [str(c).strip() for c in typed] if isinstance(typed, list) else \
            [c.strip() for c in str(typed).split(",") if c.strip()]
        both = have + [c for c in codes if c not in have]
        w.setText(", ".join(both))
        self.problems.setText("")
        return codes

    def _areas_layer(self):
        """The layer chosen in the form's areas field (None if there is none)."""
        for key in ("areas", "area", "study_area"):
            w = self.widgets.get(key)
            if isinstance(w, QComboBox) and w.currentData() in self.ws.layers:
                return self.ws.layers[w.currentData()]
        return None

    def _code_field(self, layer):
        w = self.widgets.get("area_id")
        if isinstance(w, QComboBox):
            v = w.currentData() if w.currentData() is not None else w.currentText().strip()
            if v and v != NONE_ITEM and v in layer.data.columns:
                return v
        src = next((b for b in self.ws.project.boundaries if b.name == layer.name), None)
        field = getattr(src, "code_field", None)
        if field and field in layer.data.columns:
            return field
        return "code" if "code" in layer.data.columns else None

    def _make_widget(self, p):
        return make_field(p, self.ws, self.kind, self)

    def _chose(self, name: str, group) -> None:
        """A field of a ``one_of`` group was set: blank the others of the group."""
        w = self.widgets[name]
        given = (w.currentData() is not None) if isinstance(w, QComboBox) else bool(w.text())
        if not given:
            return
        for other in group:
            o = self.widgets.get(other)
            if other == name or o is None:
                continue
            if isinstance(o, QComboBox):
                i = o.findData(None)
                if i >= 0:
                    o.setCurrentIndex(i)
            elif isinstance(o, QLineEdit):
                o.clear()

    def _fill_columns(self, p) -> None:
        fill_columns(self.widgets[p.name], p, self.ws, self.widgets)

    # --------------------------------------------------------------- values
    def values(self) -> dict:
        """The parameters as typed (None = blank), keyed by the step's keyword names."""
        return {p.name: field_value(p, self.widgets[p.name]) for p in self.spec.params}

    def params(self) -> dict:
        """Parameters for the project file: only those given and different from the default."""
        out = {}
        for p in self.spec.params:
            v = self.values()[p.name]
            if v is None or v in ([], {}) and p.optional:
                continue
            if v == p.default and p.name != "name":
                continue
            out[p.name] = v
        return out

    def validate(self) -> list[str]:
        """Problems with the current values (also shown in the dialog)."""
        vals = self.values()
        problems = validate_params(self.spec, vals, self.ws.layers)
        for p in self.spec.params:
            if p.kind in ("number", "int") and isinstance(vals[p.name], str):
                problems.append(f"{p.label}: '{vals[p.name]}' is not a number"
                                f"{' (in' + p.unit + ')' if p.unit else ''}.")
        name = vals.get("name")
        if isinstance(name, str) and name in {s.name for s in [*self.ws.project.boundaries,
                                                                *self.ws.project.records,
                                                                *self.ws.project.tables]}:
            problems.append(f"Result layer name: '{name}' is an input layer; choose another.")
        self.problems.setText("\n".join(problems))
        return problems

    # ------------------------------------------------------------------ run
    def run(self):
        """Validate and start the analysis on a worker; returns the worker (None if invalid)."""
        if self.worker is not None and not self.worker.done:
            return self.worker
        if self.validate():
            return None
        params = self.params()
        name = params.get("name") or unique_name(self.ws, self.kind)
        self.step = AnalysisStep(name=name, kind=self.kind, params=params)
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText(f"Running {self.spec.title.lower()} …")
        self.run_button.setEnabled(False)
        for w in [*self.widgets.values(), *self.extra_buttons.values()]:
            w.setEnabled(False)
        worker = start_worker(run_analysis, self.ws, self.step, controls=True,
                              report_errors=False)
        worker.inputs = {v for v in params.values() if isinstance(v, str)}
        worker.signals.progress.connect(self._on_progress)
        worker.signals.returned.connect(self._on_result)
        worker.signals.errored.connect(self._on_error)
        worker.signals.cancelled.connect(self._on_cancelled)
        self.worker = worker
        return worker

    def _on_progress(self, fraction, text) -> None:
        self.progress.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
        if text:
            self.status.setText(text)

    def _on_result(self, layers) -> None:
        pal = getattr(self.settings, "default_palette", None)
        add_results(self.ws, self.step, layers, default_palette=pal)
        self.progress.setValue(1000)
        self.status.setText("Done: " + ", ".join(lyr.name for lyr in layers))
        self.finished_layers.emit(layers)
        self.accept()

    def _on_error(self, exc) -> None:
        self._idle()
        self.status.setText("The analysis stopped with an error; nothing was added.")
        report_exception(exc, self)

    def _on_cancelled(self) -> None:
        self._idle()
        self.status.setText("Cancelled: nothing was added.")

    def _idle(self) -> None:
        self.progress.hide()
        self.run_button.setEnabled(True)
        for w in [*self.widgets.values(), *self.extra_buttons.values()]:
            w.setEnabled(True)

    def cancel(self) -> None:
        """Stop a running analysis (nothing is added), or close the dialog."""
        if self.worker is not None and not self.worker.done:
            self.status.setText("Cancelling …")
            self.worker.cancel()
            return
        self.reject()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.worker is not None and not self.worker.done:
            self.worker.cancel()
        super().closeEvent(event)

