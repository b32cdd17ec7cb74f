"""Analysis dialogs: each opens and validates; runs add a styled layer and record the step."""

from __future__ import annotations

import pytest

from mapping.pipeline import step_names


@pytest.mark.parametrize("kind", step_names())
def test_every_registered_analysis_has_a_dialog_that_opens_and_validates(demo_window, qtbot,
                                                                          kind):
    from app.analysis_dialogs import AnalysisDialog

    dlg = AnalysisDialog(demo_window.ws, kind, parent=demo_window)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.spec.params, kind
    names = [p.name for p in dlg.spec.params]
    assert "name" in names
    # every field has a label and plain-words help
    assert all(p.label and p.help for p in dlg.spec.params)
    # blanking the result name is refused before running
    dlg.widgets["name"].setText("")
    assert dlg.run() is None
    assert "name" in dlg.problems.text().lower()
    assert len(demo_window.ws.layers) == 9  # 2 boundary, 4 record, 3 table layers


def test_kde_refuses_a_bandwidth_outside_range_and_non_numbers(demo_window, qtbot):
    from app.analysis_dialogs import AnalysisDialog

    dlg = AnalysisDialog(demo_window.ws, "kde", parent=demo_window)
    qtbot.addWidget(dlg)
    dlg.widgets["bandwidth"].setText("3")
    problems = dlg.validate()
    assert any("3 m is outside 10–20000 m" in p for p in problems), problems
    dlg.widgets["bandwidth"].setText("wide")
    assert any("'wide' is not a number (in m)" in p for p in dlg.validate())
    dlg.widgets["bandwidth"].setText("400")
    dlg.widgets["filter"].setText("offence == ")
    assert any("Only records where" in p for p in dlg.validate())
    dlg.widgets["filter"].setText("")
    assert dlg.validate() == []


def test_geographic_crs_layer_is_refused_with_the_fix(demo_window, qtbot):
    from layers.model import Layer

    from app.analysis_dialogs import AnalysisDialog

    pts = demo_window.ws.layers["arrests"].data.to_crs(4326)
    demo_window.ws.layers.append(Layer("lonlat", pts, kind="points"))
    dlg = AnalysisDialog(demo_window.ws, "kde", parent=demo_window)
    qtbot.addWidget(dlg)
    dlg.widgets["points"].setCurrentIndex(dlg.widgets["points"].findData("lonlat"))
    problems = dlg.validate()
    assert any("geographic CRS" in p and "EPSG:27700" in p for p in problems), problems
    assert dlg.run() is None


def test_count_run_adds_a_styled_rate_layer_and_records_the_step(demo_window, qtbot):
    from app.analysis_dialogs import AnalysisDialog

    ws = demo_window.ws
    dlg = AnalysisDialog(ws, "count", parent=demo_window)
    qtbot.addWidget(dlg)
    assert dlg.widgets["areas"].currentText() == "lsoa"
    dlg.widgets["points"].setCurrentIndex(dlg.widgets["points"].findData("arrests"))
    assert dlg.widgets["population"].currentText() == "population"
    with qtbot.waitSignal(dlg.finished_layers, timeout=60000) as blocker:
        assert dlg.run() is not None
    (layer,) = blocker.args[0]
    assert layer.name == "count" and layer.name in ws.layers
    assert layer.source == {"analysis": "count", "kind": "count"}
    assert layer.style.column == "rate_per_10k"
    # the count matches an independent point-in-polygon count
    import geopandas as gpd

    lsoa, arrests = ws.layers["lsoa"].data, ws.layers["arrests"].data
    joined = gpd.sjoin(arrests[["geometry"]], lsoa[["code", "geometry"]],
                       predicate="intersects")
    assert int(layer.data["count"].sum()) == joined.index.nunique()
    per_area = joined.groupby("code").size()
    got = layer.data.set_index("code")["count"]
    assert (got.reindex(per_area.index) - per_area).abs().max() <= 1
    step = ws.project.analyses[-1]
    assert (step.name, step.kind) == ("count", "count")
    assert step.params["areas"] == "lsoa" and step.params["points"] == "arrests"
    assert step.params["population"] == "population"
    assert ws.dirty
    demo_window.canvas.render_now()
    assert "count" in [i.name for i in demo_window.canvas.render_infos]


def _run_dialog(win, qtbot, kind, **choices):
    from PySide6.QtWidgets import QComboBox

    dlg = win.open_analysis(kind)
    qtbot.addWidget(dlg)
    for key, value in choices.items():
        w = dlg.widgets[key]
        if isinstance(w, QComboBox):
            w.setCurrentIndex(w.findData(value))
        else:
            w.setText(str(value))
    assert dlg.validate() == []
    with qtbot.waitSignal(dlg.finished_layers, timeout=300_000) as blocker:
        assert dlg.run() is not None
    return blocker.args[0]


def test_kde_and_coverage_maps_from_the_dialogs(demo_window, qtbot):
    """The KDE hotspot map, the IMD x access bivariate map and the gap map, from the GUI."""
    import numpy as np

    from mapping.stats.kde import hotspot_kde

    win = demo_window
    (kde,) = _run_dialog(win, qtbot, "kde", points="arrests", cell_size="100",
                         bandwidth="400", name="arrest_kde")
    assert kde.kind == "surface"
    ref = hotspot_kde(win.ws.layers["arrests"].data, cell_size=100, bandwidth=400)
    np.testing.assert_allclose(kde.data.values, ref.values, rtol=1e-6)  # same core function
    step = win.ws.project.analyses[-1]
    assert step.params == {"points": "arrests", "cell_size": 100.0, "bandwidth": 400.0,
                           "name": "arrest_kde"}
    out = _run_dialog(win, qtbot, "coverage", areas="lsoa", services="services",
                      need="arrests", method="2sfca", population="population",
                      name="access_gui")
    names = [lyr.name for lyr in out]
    assert len(out) >= 2, names
    kinds = {lyr.meta.get("value_column") for lyr in out}
    assert "gap_class" in kinds, kinds  # the gap map
    biv = [lyr for lyr in out if "bivariate" in lyr.name or
           lyr.style.scheme == "bivariate" or "," in str(lyr.style.column)]
    assert biv, names  # the IMD x access bivariate map
    win.canvas.render_now()
    drawn = [i.name for i in win.canvas.render_infos]
    assert "arrest_kde" in drawn and any(n in drawn for n in names)


def test_typing_a_cell_size_clears_the_areas_and_runs_on_grid_cells(demo_window, qtbot):
    """Gi* on areas or on grid cells: the dialog preselects areas; typing a cell size
    switches to cells (the areas are cleared), and the run gives a grid layer."""
    from PySide6.QtTest import QTest

    from app.analysis_dialogs import AnalysisDialog

    dlg = AnalysisDialog(demo_window.ws, "gistar", parent=demo_window)
    qtbot.addWidget(dlg)
    assert dlg.widgets["areas"].currentData() is not None  # areas preselected
    QTest.keyClicks(dlg.widgets["cell_size"], "250")
    assert dlg.widgets["areas"].currentData() is None
    assert dlg.values()["cell_size"] == 250
    # choosing an area layer again clears the cell size
    combo = dlg.widgets["areas"]
    combo.setCurrentIndex(combo.findData("lsoa"))
    combo.activated.emit(combo.currentIndex())
    assert dlg.widgets["cell_size"].text() == ""
    QTest.keyClicks(dlg.widgets["cell_size"], "250")
    dlg.widgets["points"].setCurrentIndex(dlg.widgets["points"].findData("arrests"))
    with qtbot.waitSignal(dlg.finished_layers, timeout=300_000) as blocker:
        assert dlg.run() is not None
    (lyr,) = [x for x in blocker.args[0] if x.name == "gistar"]
    assert lyr.kind == "grid" and "cell_id" in lyr.data.columns


def test_both_areas_and_a_cell_size_are_refused_in_each_fronts_words(demo_window):
    from layers.common.errors import ProjectError

    from app.analysis_forms import gui_words
    from mapping.pipeline import get_analysis
    from mapping.pipeline.runner import resolve_params

    ws = demo_window.ws
    with pytest.raises(ProjectError) as e:
        resolve_params(get_analysis("gistar"), {"areas": "lsoa", "points": "arrests", "area_id": "code",
                                  "cell_size": 250}, ws, where="analysis 'g'")
    words = gui_words("gistar")
    msg = e.value.render(words)
    assert "not both" in msg and words["cell_size"] in msg and words["areas"] in msg, msg
    with pytest.raises(ProjectError) as e:
        resolve_params(get_analysis("gistar"), {"points": "arrests"}, ws, where="analysis 'g'")
    assert "one of them" in str(e.value.render({}))


def test_field_lists_are_ticked_from_the_layer_and_keep_the_order_ticked(demo_window, qtbot):
    """'Break down by' lists the fields of the chosen records; the defaults present start
    ticked; the order of ticking is the order of the tables; a field the layer lacks is
    not offered."""
    from PySide6.QtCore import Qt

    from app.analysis_dialogs import AnalysisDialog

    dlg = AnalysisDialog(demo_window.ws, "breakdown", parent=demo_window)
    qtbot.addWidget(dlg)
    dlg.widgets["records"].setCurrentIndex(dlg.widgets["records"].findData("arrests"))
    w = dlg.widgets["by"]
    fields = [w.item(i).text() for i in range(w.count())]
    cols = [str(c) for c in demo_window.ws.layers["arrests"].data.columns if c != "geometry"]
    # the layer's fields; a default it lacks (a name breakdown resolves itself) comes first
    extra = [f for f in ("age", "gender", "ethnicity") if f not in cols]
    assert fields == [*extra, *cols]
    assert dlg.values()["by"] == ["age", "gender", "ethnicity"]  # the defaults, ticked
    # another layer: the ticks carry over where it has the field
    dlg.widgets["records"].setCurrentIndex(dlg.widgets["records"].findData("needle_finds"))
    nf = [str(c) for c in demo_window.ws.layers["needle_finds"].data.columns]
    w = dlg.widgets["by"]
    assert {w.item(i).text() for i in range(w.count())} >= set(nf) - {"geometry"}
    dlg.widgets["records"].setCurrentIndex(dlg.widgets["records"].findData("arrests"))
    w = dlg.widgets["by"]
    items = {w.item(i).text(): w.item(i) for i in range(w.count())}
    for it in items.values():
        it.setCheckState(Qt.CheckState.Unchecked)
    assert dlg.values()["by"] is None
    items["gender"].setCheckState(Qt.CheckState.Checked)
    items["age_band" if "age_band" in items else "age"].setCheckState(Qt.CheckState.Checked)
    assert dlg.values()["by"][0] == "gender"  # ticked first, listed first
