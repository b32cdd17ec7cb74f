"""Layer panel groups: one per analysis, collapsible, with a tick for the group, saved."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

import geopandas as gpd
from shapely.geometry import box

from layers.model import Layer, LayerStack
from layers.project import AnalysisStep


def _sq(n=2):
    return gpd.GeoDataFrame({"v": range(n)}, geometry=[box(i, 0, i + 1, 1) for i in range(n)],
                            crs=27700)


def _res(name, step, kind="areas"):
    return Layer(name, _sq(), kind=kind, source={"analysis": step, "kind": "count"})


def test_tree_rows_follow_the_stack_with_one_group_per_analysis(qtbot):
    from app.layer_panel import LayerTreeModel

    stack = LayerStack([Layer("lsoa", _sq()), _res("rates", "rates"),
                        _res("rates_table", "rates", "table")])
    model = LayerTreeModel(stack)
    assert model.rowCount() == 2
    assert [model.data(model.index(r, 0)) for r in range(2)] == ["rates", "lsoa"]
    g = model.index(0, 0)
    assert model.rowCount(g) == 2 and model.parent(model.index(0, 0, g)) == g
    assert [model.data(model.index(r, 0, g)) for r in range(2)] == ["rates_table", "rates"]
    assert model.data(g, Qt.ItemDataRole.FontRole).bold()
    # a new result of the same analysis arrives inside its group (a child row insert)
    with qtbot.waitSignal(model.rowsInserted) as blocker:
        stack.append(_res("rates_ci", "rates"))
    assert blocker.args[0] == g and model.rowCount(g) == 3
    # a layer of another analysis is a new top-level group
    stack.append(_res("kde", "kde", "surface"))
    assert [model.data(model.index(r, 0)) for r in range(model.rowCount())] == \
        ["kde", "rates", "lsoa"]
    # unticking the group hides its layers, greys them, keeps their own ticks
    rates = model.index_of("rates")
    assert model.setData(rates, Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert stack.groups["rates"].visible is False
    assert [lyr.name for lyr in stack.visible()] == ["lsoa", "kde"]
    child = model.index_of(stack["rates"])
    assert model.data(child, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert model.data(child, Qt.ItemDataRole.ForegroundRole).color().name() == "#9a9a9a"


def test_showing_a_group_with_nothing_ticked_shows_its_map():
    from app.layer_panel import LayerTreeModel

    stack = LayerStack([_res("t", "s", "table"), _res("m", "s")])
    for lyr in stack:
        lyr.visible = False
    stack.set_group("s", visible=False)
    model = LayerTreeModel(stack)
    model.setData(model.index_of("s"), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert stack["m"].visible and not stack["t"].visible


def test_moving_a_group_moves_all_its_layers_and_children_move_among_themselves():
    from app.layer_panel import LayerTreeModel

    stack = LayerStack([Layer("lsoa", _sq()), _res("a1", "a"), _res("a2", "a"),
                        Layer("points", _sq())])
    model = LayerTreeModel(stack)
    assert [model.data(model.index(r, 0)) for r in range(3)] == ["points", "a", "lsoa"]
    model.move_row(1, 0)  # the group to the top
    assert stack.names() == ["lsoa", "points", "a1", "a2"]
    g = model.index_of("a")
    model.move_row(0, 1, g)  # a2 below a1 within the group
    assert stack.names() == ["lsoa", "points", "a2", "a1"]
    # a drag from a group onto the top level is refused (layers stay with their siblings)
    md = model.mimeData([model.index(0, 0, model.index_of("a"))])
    assert not model.dropMimeData(md, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert stack.names() == ["lsoa", "points", "a2", "a1"]


def test_rerun_keeps_results_in_place_and_groups_fold_and_save(demo_window, qtbot, tmp_path):
    from app.analysis_run import add_results, run_analysis

    win = demo_window
    step = AnalysisStep("rates", "count", {"areas": "lsoa", "points": "arrests",
                                           "population": "population"})
    add_results(win.ws, step, run_analysis(win.ws, step))
    win.ws.layers.append(Layer("top", _sq(), kind="areas"))
    before = win.ws.layers.names()
    add_results(win.ws, step, run_analysis(win.ws, step))  # re-run: same place
    assert win.ws.layers.names() == before
    panel = win.layer_panel
    g = panel.model.index_of("rates")
    assert g.isValid() and panel.view.isExpanded(g)
    panel.view.collapse(g)
    assert win.ws.layers.groups["rates"].expanded is False
    panel.model.setData(g, Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert win.ws.dirty
    path = tmp_path / "p.hotmap.toml"
    assert win.save_as(path)
    win2_loaded = []
    win.project_loaded.connect(win2_loaded.append)
    with qtbot.waitSignal(win.analyses_loaded, timeout=300_000):
        win.open_project(path)
    g = win.ws.layers.groups["rates"]
    assert (g.visible, g.expanded) == (False, False)
    ix = win.layer_panel.model.index_of("rates")
    assert not win.layer_panel.view.isExpanded(ix)
    assert "rates" not in [lyr.name for lyr in win.ws.layers.visible()]


def test_removing_a_group_removes_its_layers_and_the_analysis(demo_window):
    from app.analysis_run import add_results, run_analysis

    win = demo_window
    step = AnalysisStep("rates", "count", {"areas": "lsoa", "points": "arrests"})
    add_results(win.ws, step, run_analysis(win.ws, step))
    assert win.ws.layers.group_layers("rates")
    win.remove_group("rates", confirm=False)
    assert not win.ws.layers.group_layers("rates") and "rates" not in win.ws.layers.groups
    assert "rates" not in [a.name for a in win.ws.project.analyses]


def test_the_demo_reopens_with_its_results_folded_in_groups(window, qtbot):
    from resources.demo import DEMO_PROJECT

    with qtbot.waitSignal(window.analyses_loaded, timeout=600_000):
        window.open_project(DEMO_PROJECT)
    m = window.layer_panel.model
    steps = [s.name for s in window.ws.project.analyses if s.enabled]
    assert set(window.ws.layers.groups) == set(steps)
    n_results = sum(1 for lyr in window.ws.layers if lyr.source.get("analysis"))
    assert n_results > 2 * len(steps)  # e.g. ~50 result layers ...
    n_sources = sum(1 for lyr in window.ws.layers if not lyr.source.get("analysis"))
    assert n_sources == len(window.ws.project.boundaries) + len(window.ws.project.records) \
        + len(window.ws.project.tables)
    assert m.rowCount() == len(steps) + n_sources  # ... one row per analysis beside the sources
    assert not any(window.layer_panel.view.isExpanded(m.index_of(s)) for s in steps)
