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


def test_a_raster_basemap_is_added_under_the_map(demo_window, tmp_path, monkeypatch):
    """File > Add basemap: the raster goes to the bottom of the stack and the project, the
    canvas draws it (same renderer as exports), and a bad file is a clear error."""
    import numpy as np
    import rasterio
    from matplotlib.image import AxesImage
    from rasterio.transform import from_bounds

    win = demo_window
    b = win.ws.layers.bounds
    tif = tmp_path / "streets.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=200, height=200, count=3, dtype="uint8",
                       crs="EPSG:27700", transform=from_bounds(*b, 200, 200)) as dst:
        dst.write(np.full((3, 200, 200), 128, np.uint8))
    view = win.canvas.view_extent()
    layer = win.add_basemap(tif)
    assert layer is not None and win.ws.layers[0] is layer and layer.kind == "basemap"
    assert [s.name for s in win.ws.project.basemaps] == ["streets"] and win.ws.dirty
    win.canvas.render_now()
    win.canvas.figure.canvas.draw()
    imgs = [a for a in win.canvas.ax.get_children() if isinstance(a, AxesImage)]
    assert imgs and imgs[0].get_array().shape[2] == 4 and layer.data.reads >= 1
    assert win.canvas.view_extent() == view  # the basemap does not move the view
    shown = []
    monkeypatch.setattr("app.actions.report_exception", lambda exc, parent=None:
                        shown.append(str(exc)))
    (tmp_path / "bad.tif").write_text("no")
    assert win.add_basemap(tmp_path / "bad.tif") is None
    assert shown and "not a raster GDAL can read" in shown[0]
    assert len(win.ws.project.basemaps) == 1


def test_selecting_a_basemap_layer_shows_it_in_the_panels(demo_window, tmp_path):
    import numpy as np
    import rasterio
    from PySide6.QtCore import Qt
    from rasterio.transform import from_bounds

    win = demo_window
    tif = tmp_path / "os.tif"
    with rasterio.open(tif, "w", driver="GTiff", width=20, height=20, count=3, dtype="uint8",
                       crs="EPSG:27700",
                       transform=from_bounds(*win.ws.layers.bounds, 20, 20)) as dst:
        dst.write(np.full((3, 20, 20), 200, np.uint8))
    layer = win.add_basemap(tif)
    win.layer_panel.select_layer(layer)
    model = win.layer_panel.model
    idx = model.index(model.row_of(layer))
    tip = model.data(idx, Qt.ItemDataRole.ToolTipRole)
    assert "basemap from os.tif" in tip and "EPSG:27700" in tip
    assert model.data(idx, Qt.ItemDataRole.DecorationRole) is not None
    assert win.style_editor.layer is layer  # nothing to style but its opacity; no error
    assert win.table.model.rowCount() == 0
