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

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QProgressBar, QPushButton, QScrollArea,
                               QVBoxLayout, QWidget)

from app.analysis_forms import form_for, parse_literal, validate_params
from app.analysis_run import add_results, default_layer, run_analysis, unique_name

__all__ = ["AnalysisDialog", "run_analysis", "unique_name"]

_NONE = "(none)"


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
        from mapping.pipeline import get_analysis

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
        self.resize(680, 600)

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
        from PySide6.QtWidgets import QFileDialog

        from app.file_dialogs import remember_folder, start_folder

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
            if v and v != _NONE and v in layer.data.columns:
                return v
        src = next((b for b in self.ws.project.boundaries if b.name == layer.name), None)
        field = getattr(src, "code_field", None)
        if field and field in layer.data.columns:
            return field
        return "code" if "code" in layer.data.columns else None

    def _make_widget(self, p):
        if p.kind == "layer":
            w = QComboBox(self)
            if p.optional:
                w.addItem(_NONE, None)
            for lyr in self.ws.layers:
                if not p.layer_kinds or lyr.kind in p.layer_kinds:
                    w.addItem(lyr.name, lyr.name)
            pick = p.default if isinstance(p.default, str) else None
            if pick is None and (not p.optional or p.name in ("areas",)):
                lyr = default_layer(self.ws, p)
                pick = lyr.name if lyr is not None else None
            if pick is not None and w.findData(pick) >= 0:
                w.setCurrentIndex(w.findData(pick))
            return w
        if p.kind == "layers":
            w = QListWidget(self)
            w.setMaximumHeight(110)
            for lyr in self.ws.layers:
                if not p.layer_kinds or lyr.kind in p.layer_kinds:
                    it = QListWidgetItem(lyr.name, w)
                    it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    chosen = p.default if isinstance(p.default, list) else []
                    # a required list starts with the imported records (not services or
                    # results of other analyses)
                    usual = lyr.source.get("records") and \
                        (lyr.meta or {}).get("record_kind") != "services"
                    it.setCheckState(Qt.CheckState.Checked if lyr.name in chosen or
                                     (not p.optional and not chosen and usual)
                                     else Qt.CheckState.Unchecked)
            return w
        if p.kind == "columns":  # filled with the fields of its layer by _fill_columns
            w = QListWidget(self)
            w.setMaximumHeight(110)
            w.tick_order = []  # fields in the order they were ticked (= order of the tables)

            def ticked(it, w=w):
                name = it.text()
                if name in w.tick_order:
                    w.tick_order.remove(name)
                if it.checkState() == Qt.CheckState.Checked:
                    w.tick_order.append(name)

            w.itemChanged.connect(ticked)
            return w
        if p.kind == "weighted_layers":
            from app.form_widgets import WeightedLayersWidget

            names = [lyr.name for lyr in self.ws.layers
                     if not p.layer_kinds or lyr.kind in p.layer_kinds]
            chosen = p.default if isinstance(p.default, (list, dict)) and p.default else [
                lyr.name for lyr in self.ws.layers if lyr.name in names
                and lyr.source.get("records")
                and (lyr.meta or {}).get("record_kind") != "services"]
            return WeightedLayersWidget(names, chosen if not p.optional or p.default else None,
                                        self)
        if p.kind == "column":
            w = QComboBox(self)
            w.setEditable(True)
            return w
        if p.kind == "choice":
            w = QComboBox(self)
            w.setEditable(p.name == "weights")
            if p.optional and p.default is None:  # a choice with a default is never blank
                w.addItem(_NONE, None)
            for c in p.choices:
                w.addItem(str(c), c)
            if p.default is not None:
                i = w.findData(p.default)
                if i < 0:
                    w.addItem(str(p.default), p.default)
                    i = w.count() - 1
                w.setCurrentIndex(i)
            return w
        if p.kind == "bool":
            w = QCheckBox(p.label, self)
            w.setChecked(bool(p.default))
            return w
        w = QLineEdit(self)
        if p.default is not None:
            w.setText(_to_text(p.default))
        elif p.optional:
            w.setPlaceholderText(_blank_means(p))
        if p.name == "name":
            w.setText(unique_name(self.ws, self.kind))
        if p.unit and p.kind not in ("number", "int"):  # numbers show their unit beside
            w.setPlaceholderText((w.placeholderText() + f"  (in{p.unit})").strip())
        return w

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
        w = self.widgets[p.name]
        lname = None  # of "lsoas|areas": the first of those layers chosen
        for of in p.of.split("|"):
            src = self.widgets.get(of)
            lname = src.currentData() if isinstance(src, QComboBox) else None
            if lname:
                break
        cols = []
        if lname and lname in self.ws.layers:
            data = self.ws.layers[lname].data
            if hasattr(data, "columns"):
                geom = getattr(data, "_geometry_column_name", None)
                cols = [str(c) for c in data.columns if c != geom]
        if p.kind == "columns":
            self._fill_field_list(w, p, cols)
            return
        keep = w.currentData() if w.currentData() is not None else w.currentText()
        w.blockSignals(True)
        w.clear()
        if p.optional:
            w.addItem(_NONE, None)
        for lyr in self.ws.layers if p.also_layers else []:
            if lyr.kind in p.also_layers and lyr.source.get("records"):
                w.addItem(f"{lyr.name} (records counted per area)", lyr.name)
        for c in cols:
            w.addItem(c, c)
        want = keep if keep and keep != _NONE else p.default
        if want is not None and cols and w.findData(want) < 0:
            # a default the layer has no field of (population, where the table's is 'pop'):
            # the field that means the same, else blank (never a name the layer lacks)
            want = _same_field(str(want), cols) or (None if p.optional else want)
        if want is None and p.name in ("population", "demand"):
            want = next((c for c in ("population", "pop", "Population", "POP") if c in cols), None)
        if want is None and p.name == "deprivation":
            want = next((c for c in ("imd_score", "imd_decile") if c in cols), None)
        if want is not None:
            i = w.findData(want)
            if i >= 0:
                w.setCurrentIndex(i)
            else:
                w.setEditText(str(want))
        w.blockSignals(False)

    @staticmethod
    def _fill_field_list(w, p, cols) -> None:
        """Tickable fields of the chosen layer; the ticks (or the default) carry over."""
        ticked = list(w.tick_order)
        if not w.count() and isinstance(p.default, (list, tuple)):
            ticked = [str(x) for x in p.default]
        # a default the layer has no column of is a name the analysis resolves itself
        # (breakdown's "age": age_band or age): offered while the layer has such a field
        # (never ticked for records that have no age at all: the run would fail)
        extra = [str(x) for x in (p.default or ()) if str(x) not in cols
                 and _same_field(str(x), cols)] if isinstance(p.default, (list, tuple)) else []
        ticked = [t for t in ticked if t in cols or t in extra or not cols]
        cols = [*extra, *cols]
        w.blockSignals(True)
        w.clear()
        for c in cols:
            it = QListWidgetItem(c, w)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked if c in ticked else Qt.CheckState.Unchecked)
        w.blockSignals(False)
        w.tick_order = [c for c in ticked if c in cols]

    # --------------------------------------------------------------- values
    def values(self) -> dict:
        """The parameters as typed (None = blank), keyed by the step's keyword names."""
        out = {}
        for p in self.spec.params:
            w = self.widgets[p.name]
            if p.kind == "columns":  # in the order ticked
                v = list(w.tick_order) or None
            elif p.kind == "layers":
                v = [w.item(i).text() for i in range(w.count())
                     if w.item(i).checkState() == Qt.CheckState.Checked]
            elif p.kind == "weighted_layers":
                v = w.value()
            elif p.kind == "bool":
                v = w.isChecked()
            elif isinstance(w, QComboBox):
                text = w.currentText().strip()
                v = None if text in ("", _NONE) else text
                data = w.currentData()
                if data is not None and w.itemText(w.currentIndex()) == text:
                    v = data
            else:
                text = w.text().strip()
                if p.kind in ("number", "int"):
                    v = _number(text, p.kind)
                elif p.kind == "literal":
                    v = parse_literal(text)
                else:
                    v = text or None
            out[p.name] = v
        return out

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
        from layers.project import AnalysisStep

        from app.workers import start_worker

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
        from app.errors import report_exception

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


def _same_field(want: str, cols) -> str | None:
    """The field of ``cols`` that is ``want`` by another spelling: the same name in another
    case, a banded form (``age`` -> ``age_band``) or a short form (``population`` -> ``pop``)."""
    low = want.lower()
    for c in cols:
        if str(c).lower() == low:
            return str(c)
    for c in cols:
        cl = str(c).lower()
        if cl.startswith(low + "_") or (len(cl) >= 3 and low.startswith(cl)):
            return str(c)
    return None


def _blank_means(p) -> str:
    """What a blank field means, from the help's "Blank: ..." sentence when it has one."""
    import re

    m = re.search(r"Blank(?: uses| means|:)\s*([^.;]+)", p.help or "")
    if m:
        return "blank = " + m.group(1).strip().rstrip(",")
    return "automatic" if p.kind in ("number", "int") else "blank = none"


def _to_text(v) -> str:
    """A value as the user types it: plain numbers and words, TOML for lists and tables."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))  # 21, not 21.0
    if isinstance(v, (int, float, str)):
        return str(v)
    return _inline_toml(v)


def _inline_toml(v) -> str:
    import json

    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_inline_toml(x)}"
                               for k, x in v.items()) + "}"
    return "[" + ", ".join(_inline_toml(x) for x in v) + "]"


def _number(text: str, kind: str):
    if not text:
        return None
    try:
        v = float(text.replace(",", ""))
    except ValueError:
        return text  # reported by validate()
    return int(v) if kind == "int" and v.is_integer() else v
