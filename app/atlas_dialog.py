"""*File > Export atlas…*: pick an analysis result and a boundary layer, write the atlas PDF.

The dialog only chooses; the atlas is :func:`mapping.pipeline.atlas.atlas_from_workspace`
(the same as ``hotmap atlas`` and a project's ``[[atlases]]``), run on the
worker pool through :func:`app.workers.start_worker`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QLabel, QVBoxLayout)

from app.workers import start_worker

__all__ = ["AtlasDialog"]


class AtlasDialog(QDialog):
    """Choose the analysis result and the areas (one page each), then write the PDF."""

    written = Signal(list)

    def __init__(self, ws, parent=None, start_folder: str = ""):
        super().__init__(parent)
        self.ws = ws
        self.start_folder = start_folder
        self.setWindowTitle("Export atlas")
        self.result = QComboBox()
        self.by = QComboBox()
        for lyr in ws.layers:
            if (lyr.source or {}).get("analysis") and lyr.kind in ("areas", "grid"):
                self.result.addItem((lyr.meta or {}).get("title") or lyr.name, lyr.name)
            if (lyr.source or {}).get("boundaries") and lyr.kind == "areas":
                self.by.addItem(lyr.name, lyr.name)
        self.docx = QCheckBox("Also write a Word document (one section per area)")
        self.docx.setChecked(True)
        self.status = QLabel("One A4 page per area: its map, locator, figures and trend.")
        form = QFormLayout()
        form.addRow("Analysis result", self.result)
        form.addRow("One page per area of", self.by)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.b_write = buttons.addButton("Write atlas…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.b_write.setEnabled(self.result.count() > 0 and self.by.count() > 0)
        if not self.b_write.isEnabled():
            self.status.setText("Run an analysis with an area result and load a boundary "
                                "layer first.")
        buttons.accepted.connect(self.write)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.docx)
        box.addWidget(self.status)
        box.addWidget(buttons)
        self.worker = None

    def write(self, path=None):
        """Ask for the PDF's name (unless given) and write the atlas in the background."""
        from mapping.pipeline.atlas import atlas_from_workspace

        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Write atlas", self.start_folder,
                                                  "PDF (*.pdf)")
            if not path:
                return None
        path = Path(path).with_suffix(".pdf")
        name = self.result.currentData()
        analysis = (self.ws.layers[name].source or {}).get("analysis") or name
        self.b_write.setEnabled(False)
        self.status.setText("Writing the atlas … (in the background)")
        self.worker = start_worker(atlas_from_workspace, self.ws, analysis,
                                   self.by.currentData(), path, layer=name,
                                   docx=self.docx.isChecked())

        def done(paths):
            self.status.setText("Atlas written: " + ", ".join(Path(p).name for p in paths))
            self.b_write.setEnabled(True)
            self.written.emit(list(paths))

        self.worker.signals.returned.connect(done)
        self.worker.signals.errored.connect(
            lambda exc: (self.status.setText("The atlas failed; see the message."),
                         self.b_write.setEnabled(True)))
        return self.worker
