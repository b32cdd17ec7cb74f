"""GUI test fixtures: offscreen Qt, isolated settings, errors captured instead of dialogs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def errors_captured(monkeypatch):
    """Collect report_error calls (message, detail) instead of showing a modal dialog."""
    from app import errors

    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(errors, "_handler", lambda m, d: seen.append((m, d)))
    yield seen


@pytest.fixture(autouse=True)
def _isolated_qsettings(tmp_path, monkeypatch):
    """Keep window geometry (QSettings) out of the real user's folders."""
    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    yield


@pytest.fixture(autouse=True)
def _no_modal_boxes(monkeypatch):
    """Message boxes answer by themselves in tests (Discard/No), never block."""
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda *a, **k: None))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda *a, **k: None))


@pytest.fixture
def window(qtbot):
    """A main window with no project."""
    from app.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    yield win
    from app.workers import wait_for_workers

    wait_for_workers(timeout=20)
    win.ws.mark_dirty(False)


@pytest.fixture
def demo_window(window, qtbot):
    """The main window with the fictional demo project loaded."""
    from resources.demo import DEMO_PROJECT

    worker = window.open_project(DEMO_PROJECT, run_analyses=False)
    assert worker is not None
    with qtbot.waitSignal(window.project_loaded, timeout=30000):
        pass
    window.canvas.render_now()
    return window
