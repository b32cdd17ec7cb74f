"""The canvas and the exported map draw the same classes (issue 17): the real canvas widget
against the page renderer `hotmap run` uses, on Bristol data."""

import numpy as np
import pytest

from tests.mapping.test_map_symbology_real import bristol_project

pytestmark = [pytest.mark.shared_data, pytest.mark.filterwarnings("ignore:Numba not installed")]

ANALYSES = """
[[analyses]]
name = "drugs_kde"
kind = "kde"
[analyses.params]
points = "crimes"
filter = "crime_type == 'Drugs'"
boundary = "lsoa"
cell_size = 50
bandwidth = 400

[[analyses]]
name = "all_crime_rate"
kind = "count"
[analyses.params]
areas = "lsoa"
points = "crimes"
population = "pop"
"""


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    from boundaries.workspace import Workspace
    from mapping.pipeline.runner import run_step

    w = Workspace.open(bristol_project(tmp_path_factory.mktemp("canvas"), ANALYSES))
    for step in w.project.analyses:
        run_step(w, step)
    return w


def _canvas_infos(qtbot, ws, shown):
    from app.canvas import MapCanvas

    for lyr in ws.layers:
        lyr.visible = lyr.name in shown
    canvas = MapCanvas()
    qtbot.addWidget(canvas)
    canvas.set_stack(ws.layers)
    canvas.render_now()
    return {i.name: i for i in canvas.render_infos}


def _export_infos(ws, name):
    from mapping.disclosure.rules import DisclosureRules
    from mapping.export.outputs import default_composition
    from mapping.render.layout import render_composition

    base = [lyr for lyr in ws.layers if lyr.source.get("boundaries")]
    comp = default_composition(ws.layers[name], base)
    # a published KDE of sensitive records is floored (cells with fewer than 5 events within
    # a bandwidth blanked: tests/mapping/test_kde_bump_attack.py); the analyst's own canvas
    # shows the surface itself, so the renderers are compared on the same surface
    rules = DisclosureRules(threshold=5, enabled=ws.layers[name].kind != "surface")
    fig = render_composition(comp, ws.layers, rules=rules)
    return {i.name: i for i in fig._hotmap_infos}


@pytest.mark.parametrize("name", ["drugs_kde", "all_crime_rate"])
def test_canvas_and_export_show_the_same_classes(qtbot, ws, name):
    data = ws.layers[name].data
    if name == "all_crime_rate":  # precondition: nothing suppressed, so both see one table
        assert int(data["count"].min()) >= 5
    on_canvas = _canvas_infos(qtbot, ws, {name, "lsoa"})[name].classification
    exported = _export_infos(ws, name)[name].classification
    assert on_canvas.scheme == exported.scheme
    assert on_canvas.scale == exported.scale  # the same edges, precision and zero class
    assert on_canvas.labels == exported.labels
    assert on_canvas.colors == exported.colors
    assert on_canvas.alphas == exported.alphas  # KDE: the same lowest class left unshaded
    assert on_canvas.counts == exported.counts
    np.testing.assert_array_equal(on_canvas.yb, exported.yb)


def test_the_kde_is_not_mostly_hot_on_either(qtbot, ws):
    """The old canvas drew the KDE in quantiles (80% of cells coloured); now neither does."""
    cls = _canvas_infos(qtbot, ws, {"drugs_kde"})["drugs_kde"].classification
    shaded = sum(cls.counts[1:]) / sum(cls.counts)  # the lowest class is not shaded
    assert shaded < 0.25
