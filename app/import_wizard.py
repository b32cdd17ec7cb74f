"""The import wizard: files → preview → kind and columns → CRS → study area → result.

It front-ends the ingest API (:func:`layers.records.load_records` and
:func:`boundaries.io.load_boundaries`, the functions project files use): the
choices become a :class:`~layers.project.RecordSource` or
:class:`~layers.project.BoundarySource`, the load runs on a worker, and the
result page shows accepted and rejected counts by reason, the rejected rows,
and can save them as CSV.  ``imported(source, LoadResult)`` hands both to the
main window when the user clicks Finish.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMessageBox, QWizard

from layers.project import BoundarySource, RecordSource
from layers.records import load_records
from boundaries.workspace import load_source

from app.analysis_run import unique_name
from app.errors import describe_exception
from app.file_dialogs import remember_folder, start_path
from app.import_checks import sample_coordinates, study_area_shares
from app.import_pages import (CrsPage, FilesPage, MappingPage, PreviewPage, detect_kind,
                              preview_frame)
from app.import_result_pages import AreaPage, ResultPage
from app.workers import start_worker

__all__ = ["ImportWizard", "preview_frame", "detect_kind"]

class ImportWizard(QWizard):
    """Import boundaries (``what="boundaries"``) or records (``what="records"``).

    Signals
    -------
    imported(object, object)
        The new project source and its :class:`~layers.result.LoadResult`.
    loaded(object)
        The LoadResult, as soon as the background load finishes (or None on error).
    """

    imported = Signal(object, object)
    loaded = Signal(object)

    def __init__(self, ws, what: str = "records", settings=None, parent=None):
        super().__init__(parent)
        if what not in ("records", "boundaries"):
            raise ValueError(f"what must be 'records' or 'boundaries', not {what!r}")
        self.ws, self.what, self.settings = ws, what, settings
        self.files: list[str] = []
        self.preview = pd.DataFrame()
        self.result = None
        self.source = None
        self.worker = None
        self.setWindowTitle("Import boundaries" if what == "boundaries" else "Import records")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.resize(900, 640)
        self.files_page = FilesPage(self)
        self.preview_page = PreviewPage(self)
        self.mapping_page = MappingPage(self)
        self.crs_page = CrsPage(self)
        # the study area is for records only: boundaries never get the page (an unadded
        # page would sit, visible, over the others)
        self.area_page = AreaPage(self) if what == "records" else None
        self.result_page = ResultPage(self)
        for page in (self.files_page, self.preview_page, self.mapping_page, self.crs_page,
                     self.area_page, self.result_page):
            if page is not None:
                self.addPage(page)
        self._sample_n = 0
        self.confirm = self._confirm

    def set_files(self, paths, append: bool = False) -> None:
        """Choose the files (the first page's list); names the layer after the first file."""
        if not append:
            self.files_page.files.clear()
        for p in paths:
            self.files_page.files.addItem(str(p))
        self.files = [self.files_page.files.item(i).text()
                      for i in range(self.files_page.files.count())]
        if self.files and not self.files_page.name.text():
            stem = Path(self.files[0]).name.split(".")[0]
            self.files_page.name.setText(unique_name(self.ws, stem.replace("-", "_")[:40]))
        self.files_page.completeChanged.emit()

    def build_source(self):
        """The project source the current choices describe."""
        name = self.files_page.name.text().strip()
        paths = [Path(p).resolve() for p in self.files]
        crs = self.crs_page.value()
        opts = {"crs": crs} if crs else {}
        if self.what == "boundaries":
            ch = self.mapping_page.choices()
            return BoundarySource(name=name, paths=paths, options=opts,
                                  code_field=ch.get("code_field"),
                                  name_field=ch.get("name_field"),
                                  tables=[{"path": Path(t).resolve()}
                                          for t in self.mapping_page.table_paths()])
        kind = self.mapping_page.kind.currentData()
        pc = self.crs_page.postcodes.text().strip()
        if pc:
            opts["postcode_table"] = Path(pc).resolve()
        area = self.area_page.area.currentData() if self.area_page is not None else None
        if area:
            opts["study_area"] = area
        return RecordSource(name=name, kind=kind, paths=paths,
                            columns=self.mapping_page.overrides(), options=opts)

    def start_load(self):
        """Load with the current choices on a worker; the result page shows the outcome."""
        self.result = None
        self.source = self.build_source()
        self.worker = start_worker(_load, self.source, self._study_areas(),
                                   report_errors=False)
        self.worker.signals.returned.connect(self._loaded)
        self.worker.signals.errored.connect(self._failed)
        return self.worker

    # ------------------------------------------------------------ helpers
    def start_folder(self, filename: str = "") -> str:
        """Where the wizard's file dialogs open (last folder used, else the project's)."""
        return start_path(self.settings, self.ws.project, filename)

    def remember_folder(self, path) -> None:
        """Remember the folder of a file the user chose."""
        remember_folder(self.settings, path)

    def study_area_shares(self) -> dict:
        """Share of a sample of the records inside each boundary layer of the project."""
        areas = self._study_areas()
        self._sample_n = 0
        if not areas or not self.files:
            return {name: float("nan") for name in areas}
        try:
            frame = preview_frame(self.files[0], n=20_000)
            ch = self.mapping_page.choices()
            if self.mapping_page.kind is not None and \
                    self.mapping_page.kind.currentData() == "police_uk":
                ch = {**ch, "lon": ch.get("lon") or "Longitude",
                      "lat": ch.get("lat") or "Latitude"}
            pts = sample_coordinates(frame, ch, crs=self.crs_page.value())
        except Exception:  # noqa: BLE001 - no check possible; the page says so
            pts = None
        self._sample_n = 0 if pts is None else len(pts)
        return study_area_shares(pts, areas)

    def _confirm(self, text: str) -> bool:
        ans = QMessageBox.warning(self, "Almost nothing to import", text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
        return ans == QMessageBox.StandardButton.Yes

    def _study_areas(self) -> dict:
        return {b.name: self.ws.layers[b.name].data for b in self.ws.project.boundaries
                if b.name in self.ws.layers}

    def _loaded(self, result):
        self.result = result
        self.result_page.show_result(result)
        self.loaded.emit(result)

    def _failed(self, exc):
        self.result = None
        self.result_page.show_error(describe_exception(exc)[0])
        self.loaded.emit(None)

    def save_rejected(self, path) -> Path:
        """Write the rejected rows (with reasons) as CSV."""
        return self.result.write_rejected(path)

    def accept(self):  # noqa: D102 - Qt API
        if self.result is not None:
            self.imported.emit(self.source, self.result)
        super().accept()

    def reject(self):  # noqa: D102 - Qt API
        if self.worker is not None and not self.worker.done:
            self.worker.cancel()
        super().reject()


def _load(source, study_areas):
    """Run the ingest API for a source (worker thread)."""
    if isinstance(source, BoundarySource):  # through the project loader: tables get joined
        layer, result = load_source(source)
        result.accepted = layer.data
        return result
    opts = dict(source.options)
    if isinstance(opts.get("study_area"), str):
        opts["study_area"] = study_areas[opts["study_area"]]
    return load_records(source.paths, kind=source.kind, columns=source.columns or None, **opts)
