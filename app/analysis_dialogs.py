"""One dialog per analysis kind, built from its form spec (:mod:`app.analysis_forms`).

The dialog validates the parameters, then runs the analysis with
:func:`mapping.run.run_step` (the function ``hotmap run`` uses) on a worker
thread, against a *shadow* workspace that shares the layer data read-only.
The new layers reach the document only on the GUI thread, when the worker
returns; Cancel stops the worker and nothing is added.  On success the
:class:`~layers.project.AnalysisStep` is recorded in the project, so
``hotmap run`` reproduces the result.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QProgressBar, QScrollArea, QVBoxLayout, QWidget)

from app.analysis_forms import form_for, parse_literal, validate_params
from app.analysis_run import _default_layer, add_results, run_analysis, unique_name

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

    def __init__(self, ws, kind: str, parent=None, settings=None):
        super().__init__(parent)
        self.ws, self.kind, self.settings = ws, kind, settings
        self.spec = form_for(kind)
        self.worker = None
        self.step = None
        self.widgets: dict = {}
        self.setWindowTitle(f"{self.spec.title} — hotmap")
        self.setMinimumWidth(620)
        intro = QLabel(f"<b>{self.spec.title}</b><br>{self.spec.description}", self)
        intro.setWordWrap(True)
        main = QFormLayout()
        main.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        adv = QFormLayout()
        for p in self.spec.params:
            w = self._make_widget(p)
            self.widgets[p.name] = w
            box = QWidget(self)
            v = QVBoxLayout(box)
            v.setContentsMargins(0, 0, 0, 4)
            v.setSpacing(1)
            v.addWidget(w)
            helpl = QLabel(p.help, box)
            helpl.setWordWrap(True)
            helpl.setStyleSheet("color: #555; font-size: 9pt;")
            v.addWidget(helpl)
            w.setToolTip(p.help)
            label = p.label + ("" if p.optional else " *")
            (adv if p.advanced else main).addRow(label, box)
        for p in self.spec.params:  # column lists follow their layer choice
            if p.kind == "column" and p.of in self.widgets:
                src = self.widgets[p.of]
                if isinstance(src, QComboBox):
                    src.currentIndexChanged.connect(lambda _=0, p=p: self._fill_columns(p))
                self._fill_columns(p)
        inner = QWidget(self)
        il = QVBoxLayout(inner)
        il.addLayout(main)
        if adv.rowCount():
            self.more = QCheckBox("Show more options", inner)
            body = QWidget(inner)
            body.setLayout(adv)
            body.setVisible(False)
            self.more.toggled.connect(body.setVisible)
            il.addWidget(self.more)
            il.addWidget(body)
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

    # -------------------------------------------------------------- widgets
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
                lyr = _default_layer(self.ws, p)
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
                    it.setCheckState(Qt.CheckState.Checked if lyr.name in chosen or
                                     (not p.optional and not chosen)
                                     else Qt.CheckState.Unchecked)
            return w
        if p.kind == "column":
            w = QComboBox(self)
            w.setEditable(True)
            return w
        if p.kind == "choice":
            w = QComboBox(self)
            w.setEditable(p.name == "weights")
            if p.optional:
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
            w.setPlaceholderText("automatic" if p.kind in ("number", "int") else "blank = none")
        if p.name == "name":
            w.setText(unique_name(self.ws, self.kind))
        if p.unit:
            w.setPlaceholderText((w.placeholderText() + f"  (in{p.unit})").strip())
        return w

    def _fill_columns(self, p) -> None:
        w = self.widgets[p.name]
        src = self.widgets.get(p.of)
        lname = src.currentData() if isinstance(src, QComboBox) else None
        cols = []
        if lname and lname in self.ws.layers:
            data = self.ws.layers[lname].data
            if hasattr(data, "columns"):
                geom = getattr(data, "_geometry_column_name", None)
                cols = [str(c) for c in data.columns if c != geom]
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

    # --------------------------------------------------------------- values
    def values(self) -> dict:
        """The parameters as typed (None = blank), keyed by the step's keyword names."""
        out = {}
        for p in self.spec.params:
            w = self.widgets[p.name]
            if p.kind == "layers":
                v = [w.item(i).text() for i in range(w.count())
                     if w.item(i).checkState() == Qt.CheckState.Checked]
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
            if v is None or v == [] and p.optional:
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
                                                                *self.ws.project.records]}:
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
        for w in self.widgets.values():
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
        for w in self.widgets.values():
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


def _to_text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return str(v)
    import tomli_w

    return tomli_w.dumps({"v": v}).split("=", 1)[1].strip()


def _number(text: str, kind: str):
    if not text:
        return None
    try:
        v = float(text.replace(",", ""))
    except ValueError:
        return text  # reported by validate()
    return int(v) if kind == "int" and v.is_integer() else v
