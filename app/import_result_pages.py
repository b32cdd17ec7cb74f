"""The last pages of the import wizard: the study area and the result of the load."""

from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QPushButton, QTableView, QVBoxLayout, QWizardPage)

from app.attribute_table import DataFrameModel, fit_columns
from app.import_checks import STUDY_AREA_MIN_SHARE, rejection_warning

__all__ = ["AreaPage", "ResultPage"]

class AreaPage(QWizardPage):
    """Study area: proposed only when a sample of the records falls inside it."""

    def __init__(self, wiz):
        super().__init__(wiz)
        self.wiz = wiz
        self.shares: dict = {}
        self.setTitle("Study area")
        self.setSubTitle("Records outside the chosen boundary layer are rejected with the "
                         "reason 'outside study area' (and listed on the next page).")
        self.area = QComboBox(self)
        self.area.currentIndexChanged.connect(lambda *_: self._explain())
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.warning = QLabel(self)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b2182b;")
        form = QFormLayout(self)
        form.addRow("Keep records inside", self.area)
        form.addRow("", self.note)
        form.addRow("", self.warning)

    def initializePage(self):  # noqa: N802
        self.shares = self.wiz.study_area_shares()
        self.area.blockSignals(True)
        self.area.clear()
        self.area.addItem("(everywhere: no study area)", None)
        for b in self.wiz.ws.project.boundaries:
            if b.name in self.wiz.ws.layers:
                sh = self.shares.get(b.name)
                text = b.name if sh is None or sh != sh else \
                    f"{b.name}  ({sh:.0%} of the sampled records inside)"
                self.area.addItem(text, b.name)
        # propose a study area only if the records fall inside it
        # (of the layers holding as many of the records, the last one, as before)
        known = {n: sh for n, sh in self.shares.items() if sh == sh}
        top = max(known.values(), default=0.0)
        best = [n for n, sh in known.items() if sh >= top - 0.005]
        if best and top >= STUDY_AREA_MIN_SHARE:
            self.area.setCurrentIndex(self.area.findData(best[-1]))
        else:
            self.area.setCurrentIndex(0)
        self.area.blockSignals(False)
        self._explain()

    def _explain(self) -> None:
        n = getattr(self.wiz, "_sample_n", 0)
        if not self.shares:
            self.note.setText("There is no boundary layer in the project yet: all records "
                              "are kept wherever they are.")
        elif n == 0:
            self.note.setText("The records have no coordinate columns to check against the "
                              "boundaries (e.g. postcodes only): choose a study area only if "
                              "you know they fall inside it.")
        else:
            known = {k: v for k, v in self.shares.items() if v == v}
            found = ", ".join(f"{k} {v:.0%}" for k, v in known.items())
            none = not known or max(known.values()) < STUDY_AREA_MIN_SHARE
            self.note.setText(f"Checked {n:,} records spread through the first file: inside "
                              f"{found}." + (" The records miss every boundary layer, so no "
                                             "study area is proposed." if none else ""))
        name = self.area.currentData()
        sh = self.shares.get(name) if name else None
        self.warning.setStyleSheet("color: #b2182b;" if sh is not None and sh == sh
                                   and sh < STUDY_AREA_MIN_SHARE else "color: #8a5a00;")
        if sh is not None and sh == sh and sh < 0.99:
            self.warning.setText(f"{sh:.0%} of the sampled records fall inside '{name}': "
                                 f"about {1 - sh:.0%} of the rows would be rejected as "
                                 "'outside study area'.")
        else:
            self.warning.setText("")


class ResultPage(QWizardPage):
    def __init__(self, wiz):
        super().__init__(wiz)
        self.wiz = wiz
        self.setTitle("Result")
        self.setSubTitle("What was imported, and each rejected row with its reason (nothing "
                         "is dropped silently).")
        self.summary = QLabel("Loading …", self)
        self.summary.setWordWrap(True)
        self.reasons = QTableView(self)
        self.reasons_model = DataFrameModel(parent=self)
        self.reasons.setModel(self.reasons_model)
        self.reasons.setMaximumHeight(130)
        self.rejected = QTableView(self)
        self.rejected_model = DataFrameModel(parent=self)
        self.rejected.setModel(self.rejected_model)
        self.warning = QLabel("", self)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b2182b; font-weight: bold;")
        self.save = QPushButton("Save rejected rows as CSV…", self)
        self.save.clicked.connect(self._save)
        self.save.setEnabled(False)
        for view in (self.reasons, self.rejected):  # one line a row, as in the table
            view.setWordWrap(False)
            view.verticalHeader().setDefaultSectionSize(22)
        self.reasons_title = QLabel("<b>Rejected rows by reason</b>", self)
        self.rejected_title = QLabel("<b>Rejected rows</b>", self)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.warning)
        lay.addWidget(self.reasons_title)
        lay.addWidget(self.reasons)
        lay.addWidget(self.rejected_title)
        lay.addWidget(self.rejected, 1)
        lay.addStretch(0)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.save)
        lay.addLayout(row)

    def initializePage(self):  # noqa: N802
        self.summary.setText("Loading … (this runs in the background)")
        self.warning.setText("")
        self.wiz.start_load()

    def validatePage(self) -> bool:  # noqa: N802 - Qt API: Finish
        """Before Finish: ask when (nearly) every row was rejected."""
        text = rejection_warning(self.wiz.result) if self.wiz.result is not None else None
        return text is None or self.wiz.confirm(text + "\n\nImport this layer anyway?")

    def show_result(self, result):
        n_r, n_a, n_j = result.rows_read, len(result.accepted), len(result.rejected)
        msgs = "".join(f"<br>• {m}" for m in result.messages[:8])
        self.summary.setText(f"<b>{n_r:,}</b> rows read: <b>{n_a:,}</b> accepted, "
                             f"<b>{n_j:,}</b> rejected.{msgs}")
        counts = result.reject_counts().rename_axis("reason").reset_index()
        self.reasons_model.set_frame(counts)
        self.reasons.resizeColumnsToContents()
        self.reasons.setMaximumHeight(min(130, 28 + 22 * max(1, len(counts))))
        self.rejected_model.set_frame(result.rejected)
        fit_columns(self.rejected)
        self.save.setEnabled(n_j > 0)
        # nothing rejected: no empty tables (the summary says so)
        for w in (self.reasons_title, self.reasons, self.rejected_title, self.rejected,
                  self.save):
            w.setVisible(n_j > 0)
        if n_j == 0:
            self.summary.setText(self.summary.text() + "<br>No rows were rejected.")
        self.warning.setText(rejection_warning(result) or "")
        self.completeChanged.emit()

    def show_error(self, message):
        self.summary.setText(f"<span style='color:#b2182b'><b>Could not import:</b> {message}"
                             "</span><br>Go Back to change the choices.")

    def _save(self):
        p, _ = QFileDialog.getSaveFileName(self, "Save rejected rows",
                                           self.wiz.start_folder("rejected_rows.csv"),
                                           "CSV (*.csv)")
        if p:
            self.wiz.remember_folder(p)
            self.wiz.save_rejected(p)

    def isComplete(self) -> bool:  # noqa: N802
        return self.wiz.result is not None
