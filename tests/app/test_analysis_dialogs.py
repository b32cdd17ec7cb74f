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
    assert len(demo_window.ws.layers) == 6


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

    from mapping.kde import hotspot_kde

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
                      need="arrests", name="access_gui")
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
