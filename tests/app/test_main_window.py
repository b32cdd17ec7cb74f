"""The main window opens the demo and draws every visible layer with the shared renderer."""

from __future__ import annotations

from matplotlib.collections import PathCollection


def test_demo_opens_and_draws_each_visible_layer(demo_window):
    win = demo_window
    names = win.ws.layers.names()
    assert names[:2] == ["wards", "lsoa"] and "arrests" in names
    visible = [lyr for lyr in win.ws.layers if lyr.visible and lyr.enabled]
    colls = [c for c in win.canvas.ax.collections if isinstance(c, PathCollection)]
    # one collection per visible layer, in stack order, with the right feature counts
    assert len(colls) == len(visible)
    for coll, layer in zip(colls, visible):
        n = len(coll.get_paths()) if layer.kind == "areas" else len(coll.get_offsets())
        assert n == len(layer.data), layer.name
    assert [i.name for i in win.canvas.render_infos] == [lyr.name for lyr in visible]
    # the view covers the data
    x0, y0, x1, y1 = win.canvas.view_extent()
    b = win.ws.layers.bounds
    assert x0 <= b[0] and x1 >= b[2] and y0 <= b[1] and y1 >= b[3]
    assert "FICTIONAL" in win.windowTitle()


def test_hiding_a_layer_in_the_panel_removes_it_from_the_map(demo_window, qtbot):
    from PySide6.QtCore import Qt

    win = demo_window
    model = win.layer_panel.model
    row = model.row_of(win.ws.layers["arrests"])
    assert model.data(model.index(row), Qt.ItemDataRole.DisplayRole) == "arrests"
    before = len(win.canvas.ax.collections)
    model.setData(model.index(row), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert win.ws.layers["arrests"].visible is False
    assert win.ws.dirty
    win.canvas.render_now()
    assert len(win.canvas.ax.collections) == before - 1


def test_opening_the_demo_reruns_its_analyses_in_the_background(window, qtbot):
    from resources.demo import DEMO_PROJECT

    with qtbot.waitSignal(window.project_loaded, timeout=60_000):
        window.open_project(DEMO_PROJECT)
    n_sources = len(window.ws.layers)
    steps = [s for s in window.ws.project.analyses if s.enabled]
    if not steps:
        return
    with qtbot.waitSignal(window.analyses_loaded, timeout=600_000) as blocker:
        pass
    assert blocker.args == [len(steps)]
    results = [lyr for lyr in window.ws.layers if lyr.source.get("analysis")]
    assert {lyr.source["analysis"] for lyr in results} == {s.name for s in steps}
    assert len(window.ws.layers) == n_sources + len(results)
    assert not window.ws.dirty  # re-running saved analyses is not a change
    assert not any(lyr.visible for lyr in results)  # hidden until the user ticks them


def test_selecting_layers_does_not_change_them(demo_window):
    win = demo_window
    before = {lyr.name: lyr.style.to_dict() for lyr in win.ws.layers}
    for lyr in win.ws.layers:
        win.layer_panel.select_layer(lyr)
        win.edit_style(lyr)
    assert {lyr.name: lyr.style.to_dict() for lyr in win.ws.layers} == before
    assert not win.ws.dirty


def test_cancel_in_the_status_bar_stops_the_analyses_rerun(window, qtbot):
    from resources.demo import DEMO_PROJECT

    with qtbot.waitSignal(window.project_loaded, timeout=60_000):
        window.open_project(DEMO_PROJECT)
    w = window.analysing
    if w is None:
        return
    assert window.progress_cancel.isVisibleTo(window)
    n_before = len(window.ws.layers)
    window.progress_cancel.click()
    qtbot.waitUntil(lambda: w.done, timeout=60_000)
    qtbot.wait(100)
    assert not window.progress_cancel.isVisibleTo(window)
    steps = [s for s in window.ws.project.analyses if s.enabled]
    results = [lyr for lyr in window.ws.layers if lyr.source.get("analysis")]
    assert len({lyr.source["analysis"] for lyr in results}) < len(steps)  # it really stopped
    assert len(window.ws.layers) >= n_before  # what had arrived stays, complete
    assert w.result is None  # cancelled: no final result delivered
