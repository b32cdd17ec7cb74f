"""The pages of the import wizard (see :mod:`app.import_wizard`) and their helpers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QListWidget, QPushButton, QTableView, QVBoxLayout,
                               QWizardPage)

from app.attribute_table import DataFrameModel

__all__ = ["preview_frame", "detect_kind", "CRS_CHOICES"]

_NONE = "(none)"
_COORD_FIELDS = ("x", "y", "lon", "lat", "postcode", "id")
_FIELD_LABELS = {"x": "Easting (x, metres)", "y": "Northing (y, metres)",
                 "lon": "Longitude (degrees)", "lat": "Latitude (degrees)",
                 "postcode": "Postcode", "id": "Record id (checked for duplicates)"}
CRS_CHOICES = [("auto", "Detect from the file (recommended)"),
               ("EPSG:27700", "British National Grid, EPSG:27700 (eastings/northings in metres)"),
               ("EPSG:4326", "WGS84, EPSG:4326 (longitude/latitude in degrees)"),
               ("EPSG:29903", "Irish Grid, EPSG:29903 (metres)")]
RECORD_FILTER = ("Record files (*.csv *.tsv *.txt *.xlsx *.gpkg *.geojson *.json *.shp *.gz);;"
                 "All files (*)")
BOUNDARY_FILTER = "Boundary files (*.geojson *.json *.gpkg *.shp *.fgb *.zip);;All files (*)"


def preview_frame(path, n: int = 50) -> pd.DataFrame:
    """First ``n`` rows of a record or boundary file, as text (geometry left out)."""
    from layers.ingest_readers import sniff_format

    p = Path(path)
    fmt = sniff_format(p)
    if fmt in ("csv", "csv.gz"):
        return pd.read_csv(p, nrows=n, dtype=str, sep=None, engine="python",
                           encoding_errors="replace", keep_default_na=False)
    if fmt == "xlsx":
        return pd.read_excel(p, nrows=n, dtype=str)
    import pyogrio

    gdf = pyogrio.read_dataframe(p, max_features=n)
    return pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(str)


def detect_kind(columns) -> str:
    """The record kind whose column names match best (police.uk recognised by its header)."""
    from layers.ingest_police import is_police_uk
    from layers.ingest_schemas import RECORD_KINDS, map_columns

    if is_police_uk(columns):
        return "police_uk"
    best, score = "generic", 0
    for kind in RECORD_KINDS:
        if kind in ("generic", "police_uk", "offences"):
            continue
        try:
            found = set(map_columns(columns, kind)) - {"date", *_COORD_FIELDS}
        except Exception:  # noqa: BLE001 - detection only
            continue
        if len(found) > score:
            best, score = kind, len(found)
    return best


class _FilesPage(QWizardPage):
    def __init__(self, wiz):
        super().__init__(wiz)
        self.wiz = wiz
        what = "boundary" if wiz.what == "boundaries" else "record"
        self.setTitle(f"Choose the {what} file(s)")
        self.setSubTitle("Several files of the same layout (e.g. one police.uk CSV per month) "
                         "become one layer.")
        self.files = QListWidget(self)
        add = QPushButton("Add files…", self)
        add.clicked.connect(self._add)
        clear = QPushButton("Clear", self)
        clear.clicked.connect(lambda: (self.files.clear(), self.completeChanged.emit()))
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. drugs_crime")
        self.name.textChanged.connect(lambda *_: self.completeChanged.emit())
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(clear)
        row.addStretch(1)
        form = QFormLayout()
        form.addRow("Layer name", self.name)
        lay = QVBoxLayout(self)
        lay.addWidget(self.files)
        lay.addLayout(row)
        lay.addLayout(form)

    def _add(self):
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Choose files", str(Path.home()),
            BOUNDARY_FILTER if self.wiz.what == "boundaries" else RECORD_FILTER)
        self.wiz.set_files(paths, append=True)

    def isComplete(self) -> bool:  # noqa: N802 - Qt API
        return self.files.count() > 0 and bool(self.name.text().strip())


class _PreviewPage(QWizardPage):
    def __init__(self, wiz):
        super().__init__(wiz)
        self.wiz = wiz
        self.setTitle("Preview")
        self.setSubTitle("The first rows of the first file, as read.")
        self.table = QTableView(self)
        self.model = DataFrameModel(parent=self)
        self.table.setModel(self.model)
        self.info = QLabel(self)
        self.info.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.info)
        lay.addWidget(self.table)

    def initializePage(self):  # noqa: N802
        try:
            frame = preview_frame(self.wiz.files[0])
        except Exception as exc:  # noqa: BLE001 - shown on the page
            self.wiz.preview = pd.DataFrame()
            self.info.setText(f"<span style='color:#b2182b'>Cannot read this file: {exc}</span>")
            self.model.set_frame(None)
            return
        self.wiz.preview = frame
        self.model.set_frame(frame)
        self.table.resizeColumnsToContents()
        self.info.setText(f"{Path(self.wiz.files[0]).name}: {len(frame.columns)} columns; "
                          f"showing the first {len(frame)} rows.")


class _MappingPage(QWizardPage):
    def __init__(self, wiz):
        super().__init__(wiz)
        self.wiz = wiz
        self.combos: dict[str, QComboBox] = {}
        self.detected: dict = {}
        self.setTitle("What the columns mean")
        self.setSubTitle("hotmap guessed the kind of records and which column holds what. "
                         "Change anything that is wrong; (none) means the file has no such "
                         "column.")
        self.kind = QComboBox(self)
        self.form = QFormLayout()
        top = self.form
        if wiz.what == "records":
            from layers.ingest_schemas import RECORD_KINDS

            for k in RECORD_KINDS:
                if k != "offences":
                    self.kind.addItem(k.replace("_", " "), k)
            self.kind.currentIndexChanged.connect(lambda *_: self._build())
            top.addRow("Kind of records", self.kind)
        self._fixed_rows = self.form.rowCount()
        lay = QVBoxLayout(self)
        lay.addLayout(self.form)
        self.tables = QListWidget(self)
        self.tables.hide()
        if wiz.what == "boundaries":
            self.tables.show()
            self.tables.setMaximumHeight(90)
            add = QPushButton("Add table…", self)
            add.clicked.connect(self._add_table)
            lay.addWidget(QLabel("<b>Attribute tables to join by area code</b> (population, "
                                 "IMD deciles …; optional)", self))
            row = QHBoxLayout()
            row.addWidget(self.tables, 1)
            row.addWidget(add)
            lay.addLayout(row)
        lay.addStretch(1)

    def _add_table(self):
        paths, _ = QFileDialog.getOpenFileNames(self, "Attribute tables", str(Path.home()),
                                                "Tables (*.csv *.xlsx);;All files (*)")
        for p in paths:
            self.tables.addItem(p)

    def table_paths(self) -> list[str]:
        return [self.tables.item(i).text() for i in range(self.tables.count())]

    def initializePage(self):  # noqa: N802
        cols = [str(c) for c in self.wiz.preview.columns]
        if self.wiz.what == "records":
            kind = detect_kind(cols)
            self.kind.blockSignals(True)
            self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
            self.kind.blockSignals(False)
        self._build()

    def _build(self):
        while self.form.rowCount() > self._fixed_rows:
            self.form.removeRow(self._fixed_rows)
        self.combos.clear()
        cols = [str(c) for c in self.wiz.preview.columns]
        if self.wiz.what == "boundaries":
            fields = {"code_field": "Area code field", "name_field": "Area name field"}
            guess = {"code_field": next((c for c in cols if c.upper().endswith("CD")), None),
                     "name_field": next((c for c in cols if c.upper().endswith("NM")), None)}
        else:
            from layers.ingest_schemas import RECORD_KINDS, map_columns

            kind = self.kind.currentData()
            canon = list(RECORD_KINDS["generic" if kind == "police_uk" else kind])
            fields = {c: _FIELD_LABELS.get(c, c.replace("_", " ").capitalize())
                      for c in [*_COORD_FIELDS, *canon]}
            try:
                guess = map_columns(cols, "generic" if kind == "police_uk" else kind)
            except Exception:  # noqa: BLE001
                guess = {}
            if kind == "police_uk":
                guess.update({"lon": "Longitude", "lat": "Latitude", "id": "Crime ID",
                              "date": "Month"})
        self.detected = {k: guess.get(k) for k in fields}
        for key, label in fields.items():
            combo = QComboBox(self)
            combo.addItem(_NONE, None)
            for c in cols:
                combo.addItem(c, c)
            if guess.get(key) in cols:
                combo.setCurrentIndex(combo.findData(guess[key]))
            self.combos[key] = combo
            self.form.addRow(label, combo)

    def choices(self) -> dict:
        return {k: c.currentData() for k, c in self.combos.items()}

    def overrides(self) -> dict:
        """Only the fields the user changed ('' switches a detected field off)."""
        out = {}
        for k, v in self.choices().items():
            if v != self.detected.get(k):
                out[k] = v if v is not None else ""
        return out


class _CrsPage(QWizardPage):
    def __init__(self, wiz):
        super().__init__(wiz)
        self.wiz = wiz
        self.setTitle("Coordinate reference system")
        self.setSubTitle("Everything is converted to British National Grid (metres) on import, "
                         "so distances and areas are right.")
        self.crs = QComboBox(self)
        self.crs.setEditable(True)
        for code, text in CRS_CHOICES:
            self.crs.addItem(text, code)
        self.crs.setToolTip("Type any EPSG code (e.g. EPSG:27700) if yours is not listed")
        default = getattr(wiz.settings, "default_crs", "EPSG:27700")
        if default not in ("EPSG:27700", None):  # the user's own default from the settings
            if self.crs.findData(default) < 0:
                self.crs.addItem(f"{default} (your default)", default)
            self.crs.setCurrentIndex(self.crs.findData(default))
        self.postcodes = QLineEdit(self)
        self.postcodes.setPlaceholderText("optional: Code-Point Open or ONSPD file")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.postcodes, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("CRS of the coordinates", self.crs)
        if wiz.what == "records":
            form.addRow("Postcode lookup table", row)
            note = QLabel("Rows without coordinates are placed at their postcode's centroid "
                          "when a lookup table is given.", self)
            note.setWordWrap(True)
            form.addRow("", note)

    def _browse(self):
        p, _ = QFileDialog.getOpenFileName(self, "Postcode table", str(Path.home()),
                                           "CSV (*.csv *.csv.gz *.zip);;All files (*)")
        if p:
            self.postcodes.setText(p)

    def value(self):
        data = self.crs.currentData()
        text = self.crs.currentText().strip()
        if data is not None and self.crs.itemText(self.crs.currentIndex()) == text:
            return None if data == "auto" else data
        return text or None


class _AreaPage(QWizardPage):
    def __init__(self, wiz):
        super().__init__(wiz)
        self.wiz = wiz
        self.setTitle("Study area")
        self.setSubTitle("Records outside the chosen boundary layer are rejected with the "
                         "reason 'outside study area' (and listed on the next page).")
        self.area = QComboBox(self)
        form = QFormLayout(self)
        form.addRow("Keep records inside", self.area)

    def initializePage(self):  # noqa: N802
        self.area.clear()
        self.area.addItem("(everywhere: no study area)", None)
        for b in self.wiz.ws.project.boundaries:
            if b.name in self.wiz.ws.layers:
                self.area.addItem(b.name, b.name)
        if self.area.count() > 1:
            self.area.setCurrentIndex(self.area.count() - 1)


class _ResultPage(QWizardPage):
    def __init__(self, wiz):
        super().__init__(wiz)
        self.wiz = wiz
        self.setTitle("Result")
        self.summary = QLabel("Loading …", self)
        self.summary.setWordWrap(True)
        self.reasons = QTableView(self)
        self.reasons_model = DataFrameModel(parent=self)
        self.reasons.setModel(self.reasons_model)
        self.reasons.setMaximumHeight(130)
        self.rejected = QTableView(self)
        self.rejected_model = DataFrameModel(parent=self)
        self.rejected.setModel(self.rejected_model)
        self.save = QPushButton("Save rejected rows as CSV…", self)
        self.save.clicked.connect(self._save)
        self.save.setEnabled(False)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(QLabel("<b>Rejected rows by reason</b>", self))
        lay.addWidget(self.reasons)
        lay.addWidget(QLabel("<b>Rejected rows</b>", self))
        lay.addWidget(self.rejected, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.save)
        lay.addLayout(row)

    def initializePage(self):  # noqa: N802
        self.summary.setText("Loading … (this runs in the background)")
        self.wiz.start_load()

    def show_result(self, result):
        n_r, n_a, n_j = result.rows_read, len(result.accepted), len(result.rejected)
        msgs = "".join(f"<br>• {m}" for m in result.messages[:8])
        self.summary.setText(f"<b>{n_r:,}</b> rows read: <b>{n_a:,}</b> accepted, "
                             f"<b>{n_j:,}</b> rejected.{msgs}")
        counts = result.reject_counts().rename_axis("reason").reset_index()
        self.reasons_model.set_frame(counts)
        self.reasons.resizeColumnsToContents()
        self.rejected_model.set_frame(result.rejected)
        self.save.setEnabled(n_j > 0)
        if n_j == 0:
            self.summary.setText(self.summary.text() + "<br>No rows were rejected.")
        self.completeChanged.emit()

    def show_error(self, message):
        self.summary.setText(f"<span style='color:#b2182b'><b>Could not import:</b> {message}"
                             "</span><br>Go Back to change the choices.")

    def _save(self):
        p, _ = QFileDialog.getSaveFileName(self, "Save rejected rows",
                                           str(Path.home() / "rejected_rows.csv"), "CSV (*.csv)")
        if p:
            self.wiz.save_rejected(p)

    def isComplete(self) -> bool:  # noqa: N802
        return self.wiz.result is not None
