"""The pages of the import wizard (see :mod:`app.import_wizard`) and their helpers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QListWidget, QPushButton, QTableView, QVBoxLayout,
                               QWizardPage)

from layers.ingest.police import is_police_uk
from layers.ingest.readers import sniff_format
from layers.ingest.schemas import RECORD_KINDS, map_columns

from app.attribute_table import DataFrameModel, fit_columns

__all__ = ["preview_frame", "detect_kind", "CRS_CHOICES", "FilesPage", "PreviewPage",
           "MappingPage", "CrsPage"]

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


class FilesPage(QWizardPage):
    def __init__(self, wiz):
        super().__init__(wiz)
        self.wiz = wiz
        if wiz.what == "boundaries":
            self.setTitle("Choose the boundary file(s)")
            self.setSubTitle("Area boundaries (LSOAs, MSOAs, wards …) as GeoJSON, GeoPackage, "
                             "Shapefile or FlatGeobuf. Several files of the same layout (e.g. "
                             "one per local authority) become one layer.")
        else:
            self.setTitle("Choose the record file(s)")
            self.setSubTitle("Several files of the same layout (e.g. one police.uk CSV per "
                             "month) become one layer.")
        self.files = QListWidget(self)
        add = QPushButton("Add files…", self)
        add.clicked.connect(self._add)
        clear = QPushButton("Clear", self)
        clear.clicked.connect(lambda: (self.files.clear(), self.completeChanged.emit()))
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. lsoa" if wiz.what == "boundaries" else
                                     "e.g. drugs_crime")
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
            self, "Choose files", self.wiz.start_folder(),
            BOUNDARY_FILTER if self.wiz.what == "boundaries" else RECORD_FILTER)
        if paths:
            self.wiz.remember_folder(paths[0])
        self.wiz.set_files(paths, append=True)

    def isComplete(self) -> bool:  # noqa: N802 - Qt API
        return self.files.count() > 0 and bool(self.name.text().strip())


class PreviewPage(QWizardPage):
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
        fit_columns(self.table)
        self.info.setText(f"{Path(self.wiz.files[0]).name}: {len(frame.columns)} columns; "
                          f"showing the first {len(frame)} rows.")


class MappingPage(QWizardPage):
    def __init__(self, wiz):
        super().__init__(wiz)
        self.wiz = wiz
        self.combos: dict[str, QComboBox] = {}
        self.detected: dict = {}
        self.kind = None  # the kind of records (records only)
        self.form = QFormLayout()
        top = self.form
        if wiz.what == "boundaries":
            self.setTitle("Which fields hold the area code and name")
            self.setSubTitle("hotmap guessed the fields holding each area's code (e.g. "
                             "LSOA11CD) and name. The code joins population and IMD tables; "
                             "change anything that is wrong.")
        else:
            self.setTitle("What the columns mean")
            self.setSubTitle("hotmap guessed the kind of records and which column holds what. "
                             "Change anything that is wrong; (none) means the file has no "
                             "such column.")
            self.kind = QComboBox(self)
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
        paths, _ = QFileDialog.getOpenFileNames(self, "Attribute tables",
                                                self.wiz.start_folder(),
                                                "Tables (*.csv *.xlsx);;All files (*)")
        if paths:
            self.wiz.remember_folder(paths[0])
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


class CrsPage(QWizardPage):
    def __init__(self, wiz):
        super().__init__(wiz)
        self.wiz = wiz
        self.setTitle("Coordinate reference system")
        self.setSubTitle("Everything is converted to British National Grid (metres) on import, "
                         "so distances and areas are right."
                         + (" Most boundary files say their CRS: keep 'Detect'."
                            if wiz.what == "boundaries" else ""))
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
        form = QFormLayout(self)
        form.addRow("CRS of the coordinates", self.crs)
        self.postcodes = None  # records only: a widget made and not laid out would float
        if wiz.what == "records":
            self.postcodes = QLineEdit(self)
            self.postcodes.setPlaceholderText("optional: Code-Point Open or ONSPD file")
            browse = QPushButton("Browse…", self)
            browse.clicked.connect(self._browse)
            row = QHBoxLayout()
            row.addWidget(self.postcodes, 1)
            row.addWidget(browse)
            form.addRow("Postcode lookup table", row)
            note = QLabel("Rows without coordinates are placed at their postcode's centroid "
                          "when a lookup table is given.", self)
            note.setWordWrap(True)
            form.addRow("", note)

    def _browse(self):
        p, _ = QFileDialog.getOpenFileName(self, "Postcode table", self.wiz.start_folder(),
                                           "CSV (*.csv *.csv.gz *.zip);;All files (*)")
        if p:
            self.wiz.remember_folder(p)
            self.postcodes.setText(p)

    def value(self):
        data = self.crs.currentData()
        text = self.crs.currentText().strip()
        if data is not None and self.crs.itemText(self.crs.currentIndex()) == text:
            return None if data == "auto" else data
        return text or None
