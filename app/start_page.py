"""The start page: recent projects, the demo and the first steps, shown before a project.

It shows while the document is empty; opening a project, importing a layer
or View > Start page switch between it and the map.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QVBoxLayout, QWidget)

__all__ = ["StartPageWidget", "recent_entries"]


def recent_entries(paths) -> list[dict]:
    """What the start page lists for each recent project: name, folder, age, found."""
    out = []
    for p in paths:
        path = Path(p)
        found = path.is_file()
        age = ""
        if found:
            days = (time.time() - path.stat().st_mtime) / 86400
            age = "today" if days < 1 else "yesterday" if days < 2 else f"{int(days)} days ago"
        name = path.name.removesuffix(".toml").removesuffix(".hotmap")
        out.append({"path": str(path), "name": name, "folder": str(path.parent),
                    "found": found, "age": age})
    return out


class StartPageWidget(QWidget):
    """Recent projects (double-click or Open) and buttons for the first steps.

    Signals
    -------
    open_requested(str)
        A recent project to open.
    action_requested(str)
        ``new``, ``open``, ``demo``, ``boundaries`` or ``records``.
    """

    open_requested = Signal(str)
    action_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("start_page")
        head = QLabel("<h1 style='margin:0'>hotmap</h1>"
                      "<p style='color:#444'>Hotspot maps, rates and audit tables for "
                      "community-safety and drug-misuse analysts.</p>", self)
        head.setWordWrap(True)
        self.recent = QListWidget(self)
        self.recent.setAccessibleName("Recent projects")
        self.recent.setMinimumWidth(460)
        self.recent.setSpacing(4)
        self.recent.setAlternatingRowColors(True)
        self.recent.itemActivated.connect(self._activated)
        self.empty = QLabel("No recent projects yet: open one, start a new project, or "
                            "look around the fictional demo.", self)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color:#555")
        self.open_recent = QPushButton("Open selected", self)
        self.open_recent.clicked.connect(lambda: self._activated(self.recent.currentItem()))
        left = QVBoxLayout()
        left.addWidget(QLabel("<b>Recent projects</b>", self))
        left.addWidget(self.recent, 1)
        left.addWidget(self.empty)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.open_recent)
        left.addLayout(row)
        right = QVBoxLayout()
        right.addWidget(QLabel("<b>Start</b>", self))
        self.buttons = {}
        for key, text, tip in (
                ("new", "New project", "An empty project: then import boundaries and records"),
                ("open", "Open project…", "A hotmap project file (.toml)"),
                ("boundaries", "Import boundaries…", "LSOAs, wards … (GeoJSON, GeoPackage, "
                                                     "Shapefile)"),
                ("records", "Import records…", "police.uk CSVs, spreadsheets with eastings/"
                                               "northings or postcodes"),
                ("demo", "Open the FICTIONAL demo", "Hotmap Vale: invented records with every "
                                                    "analysis already set up")):
            b = QPushButton(text, self)
            b.setToolTip(tip)
            b.setMinimumWidth(240)
            b.clicked.connect(lambda _=False, k=key: self.action_requested.emit(k))
            right.addWidget(b)
            self.buttons[key] = b
        note = QLabel("Everything runs on this computer: no data leaves it and nothing is "
                      "fetched from the internet.", self)
        note.setWordWrap(True)
        note.setStyleSheet("color:#555; font-size:9pt")
        right.addWidget(note)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addSpacing(24)
        body.addLayout(right, 2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(48, 36, 48, 36)
        lay.addWidget(head)
        lay.addSpacing(12)
        lay.addLayout(body, 1)

    def set_recent(self, paths) -> None:
        """List the recent projects (newest first); missing files are greyed out."""
        self.recent.clear()
        for e in recent_entries(paths):
            text = f"{e['name']}\n{e['folder']}" + (f"  ·  saved {e['age']}" if e["age"] else
                                                     "  ·  file not found")
            it = QListWidgetItem(text, self.recent)
            it.setData(Qt.ItemDataRole.UserRole, e["path"])
            it.setToolTip(e["path"])
            if not e["found"]:
                it.setForeground(QBrush(QColor("#9a9a9a")))
                it.setFlags(it.flags() & ~Qt.ItemFlag.ItemIsEnabled)
        has = self.recent.count() > 0
        self.recent.setVisible(has)
        self.open_recent.setVisible(has)
        self.empty.setVisible(not has)
        if has:
            self.recent.setCurrentRow(0)

    def _activated(self, item) -> None:
        if item is not None and item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self.open_requested.emit(item.data(Qt.ItemDataRole.UserRole))
