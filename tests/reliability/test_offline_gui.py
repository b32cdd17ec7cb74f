"""Offline by construction: the desktop app opens and draws the demo with the network
blocked, and makes zero connection attempts (issue 8 §4).  Offscreen Qt, pytest-qt.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6", reason="Qt is not installed (the headless CI job)")


@pytest.fixture
def quiet_gui(tmp_path, monkeypatch):
    """Errors captured instead of dialogs; QSettings in tmp; message boxes never block."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    from app import errors

    seen = []
    monkeypatch.setattr(errors, "_handler", lambda m, d: seen.append((m, d)))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    for name in ("question", "information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name,
                            staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    return seen


def test_gui_opens_demo_with_no_connection_attempt(no_network, quiet_gui, qtbot):
    """Open the main window on the demo, load and draw it, basemap off: 0 attempts."""
    from app.main_window import MainWindow
    from app.workers import wait_for_workers
    from resources.demo import DEMO_PROJECT

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    worker = win.open_project(DEMO_PROJECT)
    assert worker is not None
    with qtbot.waitSignal(win.project_loaded, timeout=60000):
        pass
    win.canvas.render_now()
    qtbot.wait(200)  # let queued paint events and any deferred work run
    names = list(win.ws.layers.names())
    assert "arrests" in names and "lsoa" in names
    assert len(win.canvas.ax.collections) >= 2  # the map was really drawn
    assert quiet_gui == [], f"errors reported: {quiet_gui}"
    assert list(no_network) == [], f"connection attempts: {list(no_network)}"
    wait_for_workers(timeout=20)
    win.ws.mark_dirty(False)
    win.close()
    assert list(no_network) == []
