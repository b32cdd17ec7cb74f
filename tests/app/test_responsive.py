"""The GUI thread keeps running while a long KDE runs in the worker; Cancel stops it cleanly."""

from __future__ import annotations

import numpy as np

import geopandas as gpd


def test_event_loop_runs_during_a_long_kde_and_cancel_adds_nothing(demo_window, qtbot):
    from PySide6.QtCore import QTimer

    from layers.model import Layer

    from app.analysis_dialogs import AnalysisDialog

    ws = demo_window.ws
    rng = np.random.default_rng(7)
    n = 300_000
    big = gpd.GeoDataFrame(geometry=gpd.points_from_xy(450_000 + rng.normal(0, 3000, n),
                                                       285_000 + rng.normal(0, 3000, n)),
                           crs=27700)
    ws.layers.append(Layer("big", big, kind="points", visible=False))
    n_layers, n_steps = len(ws.layers), len(ws.project.analyses)
    dlg = AnalysisDialog(ws, "kde", parent=demo_window)
    qtbot.addWidget(dlg)
    dlg.widgets["points"].setCurrentIndex(dlg.widgets["points"].findData("big"))
    dlg.widgets["cell_size"].setText("5")
    dlg.widgets["bandwidth"].setText("2000")
    assert dlg.validate() == []

    ticks = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    returned = []
    worker = dlg.run()
    assert worker is not None
    worker.signals.returned.connect(lambda r: returned.append(r))
    qtbot.wait(1500)
    # the worker is still busy, and the GUI thread kept serving its timer meanwhile
    assert not worker.done
    assert len(ticks) >= 15, f"only {len(ticks)} timer ticks in 1.5 s: the GUI thread froze"
    assert not dlg.run_button.isEnabled()
    with qtbot.waitSignal(worker.signals.cancelled, timeout=120_000):
        dlg.cancel()
    timer.stop()
    assert worker.done and not returned
    assert len(ws.layers) == n_layers and "kde" not in ws.layers
    assert len(ws.project.analyses) == n_steps
    assert "nothing was added" in dlg.status.text()
    assert dlg.run_button.isEnabled()


def test_hard_cancel_stops_code_that_never_checks_the_flag(qtbot):
    import time

    from app.workers import start_worker

    def spin(progress=None, cancelled=None):
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 120:  # ignores cancelled() on purpose
            sum(range(1000))
        return "finished"

    worker = start_worker(spin, controls=True, report_errors=False)
    qtbot.wait(200)
    with qtbot.waitSignal(worker.signals.cancelled, timeout=10_000):
        worker.cancel()
    assert worker.result is None


def test_worker_error_reaches_the_error_dialog(qtbot, errors_captured):
    from layers.common.errors import InputError

    from app.workers import start_worker

    def bad():
        raise InputError("no 'Easting' column", path="a.csv", fix="map the x column")

    worker = start_worker(bad)
    qtbot.waitUntil(lambda: bool(errors_captured), timeout=5000)
    msg, detail = errors_captured[-1]
    assert msg == "a.csv: no 'Easting' column. Fix: map the x column"
    assert "Traceback" in detail and "InputError" in detail
    assert worker.done and worker.result is None
