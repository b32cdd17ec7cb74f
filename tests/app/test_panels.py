"""Layer panel model, attribute table, canvas interaction and selection sync."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

import geopandas as gpd
from shapely.geometry import box

from layers.model import Layer, LayerStack


def _squares():
    return gpd.GeoDataFrame({"code": ["A", "B", "C"], "value": [3.0, 1.0, 2.0]},
                            geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100),
                                      box(200, 0, 300, 100)], crs=27700)


def test_layer_model_follows_the_stack_and_writes_edits_back(qtbot):
    from app.layer_panel import LayerListModel

    stack = LayerStack([Layer("a", _squares()), Layer("b", _squares())])
    model = LayerListModel(stack)
    assert model.rowCount() == 2
    assert model.data(model.index(0)) == "b"  # top of the stack first
    with qtbot.waitSignal(model.rowsInserted):
        stack.append(Layer("c", _squares(), kind="areas"))
    assert [model.data(model.index(r)) for r in range(3)] == ["c", "b", "a"]
    # rename through the model changes the layer (no copy kept in the widget)
    assert model.setData(model.index(2), "renamed", Qt.ItemDataRole.EditRole)
    assert stack.names() == ["renamed", "b", "c"]
    # a duplicate name is refused
    assert not model.setData(model.index(0), "b", Qt.ItemDataRole.EditRole)
    # visibility checkbox
    model.setData(model.index(1), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert stack["b"].visible is False
    assert model.data(model.index(1), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    # drag reorder: the top row dropped at the bottom
    md = model.mimeData([model.index(0)])
    model.dropMimeData(md, Qt.DropAction.MoveAction, 3, 0, model.index(-1))
    assert stack.names() == ["c", "renamed", "b"]
    with qtbot.waitSignal(model.rowsRemoved):
        stack.remove("renamed")
    assert model.rowCount() == 2


def test_disabled_layer_is_greyed_with_its_reason(qtbot):
    from app.layer_panel import LayerListModel

    layer = Layer("bad", _squares())
    stack = LayerStack([layer])
    model = LayerListModel(stack)
    with qtbot.waitSignal(model.dataChanged):
        layer.disable("column 'rate' is missing")
    ix = model.index(0)
    assert "column 'rate' is missing" in model.data(ix, Qt.ItemDataRole.ToolTipRole)
    assert model.data(ix, Qt.ItemDataRole.ForegroundRole).color().name() == "#9a9a9a"


def test_a_layer_the_renderer_cannot_draw_is_disabled_not_crashed(window, qtbot):
    layer = Layer("broken", _squares())
    layer.update_style(column="value", scheme="no_such_scheme")
    window.ws.layers.append(layer)
    window.canvas.render_now()
    assert not layer.enabled and layer.disabled_reason
    assert "broken" not in [i.name for i in window.canvas.render_infos]


def test_attribute_table_is_lazy_sorts_filters_and_handles_a_million_rows(qtbot):
    from app.attribute_table import DataFrameModel

    n = 1_000_000
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"id": np.arange(n), "v": rng.random(n),
                       "kind": rng.choice(["Drugs", "Burglary", "Robbery"], n)})
    model = DataFrameModel(df)
    assert model.rowCount() == n and model.columnCount() == 3
    assert model.data(model.index(n - 1, 0)) == str(n - 1)
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert float(model.data(model.index(0, 1))) == pytest.approx(df["v"].max(), rel=1e-3)
    model.set_filter("kind == 'Drugs'")
    assert model.rowCount() == int((df["kind"] == "Drugs").sum())
    assert {model.data(model.index(r, 2)) for r in range(0, model.rowCount(), 997)} == {"Drugs"}
    # labels <-> rows stay consistent under sort + filter
    labels = model.labels_for_rows([0, 5, 10])
    assert model.rows_for_labels(labels) == [0, 5, 10]
    from layers.common.errors import InputError

    with pytest.raises(InputError):
        model.set_filter("kind ==")


def test_table_selection_highlights_on_the_map_and_map_clicks_select_rows(demo_window, qtbot):
    win = demo_window
    lsoa = win.ws.layers["lsoa"]
    win.show_table(lsoa)
    table = win.table
    assert table.model.rowCount() == len(lsoa.data)
    table.view.selectRow(3)
    label = lsoa.data.index[3]
    assert win.canvas.selection == ("lsoa", [label])
    assert win.canvas._selection_artist is not None
    # identify on the map: the centre of another LSOA
    target = lsoa.data.index[10]
    pt = lsoa.data.geometry.loc[target].representative_point()
    win.layer_panel.model.setData(win.layer_panel.model.index(0), Qt.CheckState.Unchecked,
                                  Qt.ItemDataRole.CheckStateRole)  # hide the top points layer
    for name in ("arrests", "needle_finds", "crack_houses", "services"):
        win.ws.layers[name].visible = False
    win.canvas.render_now()
    with qtbot.waitSignal(win.canvas.identified) as blocker:
        win.canvas.identify(pt.x, pt.y)
    name, got, attrs = blocker.args
    assert (name, got) == ("lsoa", target)
    assert attrs["code"] == lsoa.data.loc[target, "code"]
    assert table.selected_labels() == [target]
    assert win.identify_view.topLevelItem(0).childCount() == len(attrs)


def test_canvas_pan_zoom_use_the_cached_snapshot_then_settle(demo_window, qtbot):
    from matplotlib.backend_bases import MouseEvent

    c = demo_window.canvas
    x0, y0, x1, y1 = c.view_extent()
    n_vec = len(c._vector_artists)
    c.pan_by(1000, 0, sync=True)
    assert c.view_extent()[0] == pytest.approx(x0 + 1000)
    # the fast frame shows the snapshot image, not the vector layers
    assert c._snapshot is not None and c._snapshot.get_visible()
    assert not any(a.get_visible() for a in c._vector_artists)
    c.settle(sync=True)  # the view redrawn at full quality (culled to it) replaces the frame
    vx0, vy0, vx1, vy1 = c.view_extent()
    assert c._snapshot.get_visible() and c._snap_extent == (vx0, vx1, vy0, vy1)
    assert c._snap_data.shape[:2] == (int(c.figure.bbox.height), int(c.figure.bbox.width))
    assert len(c._vector_artists) == n_vec  # the canvas's own layers were not re-rendered
    # wheel zoom about the cursor keeps the point under the cursor fixed
    cx, cy = (x0 + x1) / 2 + 1000, (y0 + y1) / 2
    px, py = c.ax.transData.transform((cx, cy))
    ev = MouseEvent("scroll_event", c, px, py, button="up", step=1)
    c._on_scroll(ev)
    nx0, ny0, nx1, ny1 = c.view_extent()
    assert (nx1 - nx0) == pytest.approx(0.8 * (x1 - x0), rel=1e-6)
    assert c.ax.transData.inverted().transform((px, py)) == pytest.approx((cx, cy), rel=1e-6)
    # equal metres per pixel in x and y
    c.zoom_full()
    w, h = c.ax.bbox.width, c.ax.bbox.height
    ex = c.view_extent()
    assert (ex[2] - ex[0]) / w == pytest.approx((ex[3] - ex[1]) / h, rel=1e-6)


def test_cursor_position_in_bng_and_latlon():
    from app.canvas import bng_to_latlon, format_position

    lat, lon = bng_to_latlon(358_000, 173_000)  # central Bristol
    assert lat == pytest.approx(51.45, abs=0.02) and lon == pytest.approx(-2.60, abs=0.02)
    text = format_position(358_000, 173_000)
    assert "E 358,000 m" in text and "N 173,000 m" in text and "°N" in text and "°W" in text


def test_moved_data_file_asks_where_it_is(tmp_path, window, qtbot):
    import shutil

    from resources.demo import DEMO_DIR

    proj_dir = tmp_path / "proj"
    shutil.copytree(DEMO_DIR, proj_dir)
    (proj_dir / "data").rename(tmp_path / "moved")
    asked = []

    def chooser(src, path):
        asked.append(path.name)
        return str(tmp_path / "moved" / path.name)

    with qtbot.waitSignal(window.project_loaded, timeout=60_000):
        window.open_project(proj_dir / "hotmap_vale.hotmap.toml", chooser=chooser,
                            run_analyses=False)
    assert asked == ["wards.geojson"]  # files moved together are found in the new folder
    assert len(window.ws.layers) == 9  # the three tables were found in the new folder too
    assert window.ws.dirty  # the new locations should be saved
    window.save()
    from layers.project import open_project

    assert open_project(proj_dir / "hotmap_vale.hotmap.toml").source("arrests").paths[0] == \
        tmp_path / "moved" / "arrests.csv"


def test_unsaved_changes_prompt_on_close(demo_window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    win = demo_window
    win.ws.layers["arrests"].update_style(color="#000000")
    asked = []
    monkeypatch.setattr(QMessageBox, "question", staticmethod(
        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Cancel))
    assert win.close() is False and win.isVisible()
    assert asked and "Save the changes" in asked[0]


def test_about_names_version_licences_and_attribution(window):
    from app.about import about_html

    html = about_html()
    assert "hotmap" in html and "Open Government Licence" in html
    assert "LGPL-3.0" in html and "BSD-3-Clause" in html
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Analysis", "&View", "&Help"]
    file_items = [a.text() for a in window.menuBar().actions()[0].menu().actions() if a.text()]
    for want in ("&New project", "&Open project…", "Open &recent", "&Save", "Save &as…",
                 "Import &boundaries…", "Import &records…", "&Export map…", "Export &data…",
                 "Export a&udit pack…", "&Quit"):
        assert want in file_items


def test_layout_dialog_preview_and_page_options(demo_window, qtbot):
    from app.layout_dialog import LayoutDialog

    dlg = LayoutDialog(demo_window.ws, view=demo_window.canvas.view_extent(), parent=demo_window)
    qtbot.addWidget(dlg)
    dlg.show()
    with qtbot.waitSignal(dlg.preview_ready, timeout=60_000):
        pass
    pm = dlg._pixmap
    assert pm is not None and pm.width() > pm.height()  # A4 landscape
    comp = dlg.composition()
    assert comp.fictional and comp.dpi == 300 and comp.extent is not None
    dlg.orientation.setCurrentText("portrait")
    dlg.title.setText("Arrests")
    with qtbot.waitSignal(dlg.preview_ready, timeout=60_000):
        dlg.refresh_preview()
    assert dlg._pixmap.height() > dlg._pixmap.width()
    assert dlg.composition().title == "Arrests"


def test_window_state_is_remembered_and_new_projects_use_settings(qtbot):
    from app.main_window import MainWindow
    from app.settings import Settings

    win = MainWindow(settings=Settings(suppression_threshold=10))
    qtbot.addWidget(win)
    win.show()
    win.resize(900, 640)
    win.dock_table.hide()
    size = (win.width(), win.height())
    win.new_project()
    assert win.ws.project.suppression_threshold == 10
    win.close()
    win2 = MainWindow(settings=Settings())
    qtbot.addWidget(win2)
    win2.show()
    assert (win2.width(), win2.height()) == size != (1400, 900)
    assert not win2.dock_table.isVisible()
