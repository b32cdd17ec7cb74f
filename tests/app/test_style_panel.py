"""Style panel: manual breaks never blank the map, the breaks editor, shared scales,
defaults after New project, and distinct colours for record layers."""

from __future__ import annotations

import numpy as np
import pytest

import geopandas as gpd
from shapely.geometry import box

from layers.model import Layer
from tests.app.widget_checks import stray_widgets


def _rates():
    vals = [1.0, 2.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 55.0]
    return gpd.GeoDataFrame({"code": [f"A{i}" for i in range(10)], "rate": vals},
                            geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(10)],
                            crs=27700)


def _choose(combo, key):
    i = combo.findData(key)
    assert i >= 0, key
    combo.setCurrentIndex(i)


def test_manual_breaks_start_from_the_classes_shown_and_keep_the_layer_drawn(window):
    import mapclassify

    layer = Layer("rates", _rates(), style=None)
    layer.update_style(column="rate", scheme="quantiles", k=4)
    window.ws.layers.append(layer)
    window.edit_style(layer)
    ed = window.style_editor
    _choose(ed.scheme, "manual")
    # independent reference: mapclassify's own quantile bins of the values, as the legend
    # shows them (whole numbers hold whole-number classes: 2.25 is shown as up to 2)
    assert layer.style.scheme == "manual"
    np.testing.assert_allclose(layer.style.breaks, np.floor(mapclassify.Quantiles(
        _rates()["rate"].to_numpy(), k=4).bins))
    window.canvas.render_now()
    assert layer.enabled and "rates" in [i.name for i in window.canvas.render_infos]
    assert ed.breaks_button.isEnabled() and not ed.k.isEnabled()
    assert stray_widgets(ed) == []


def test_breaks_editor_counts_edits_and_applies(window, qtbot):
    from app.breaks_editor import BreaksEditorDialog

    layer = Layer("rates", _rates())
    layer.update_style(column="rate", scheme="equal_interval", k=3)
    window.ws.layers.append(layer)
    dlg = BreaksEditorDialog(layer, window)
    qtbot.addWidget(dlg)
    dlg.set_breaks([4, 20, 55])
    v = _rates()["rate"].to_numpy()
    # independent reference: numpy, classes closed on the right (upper edge included)
    expected = np.bincount(np.digitize(v, [4, 20], right=True), minlength=3).tolist()
    assert dlg.counts() == expected == [4, 3, 3]
    assert dlg.table.rowCount() == 3 and dlg.table.item(1, 2).text() == "3"
    dlg.table.item(1, 1).setText("10")
    assert dlg.breaks == [4, 10, 55]
    dlg.add_edge(30.0)
    assert dlg.breaks == [4, 10, 30, 55]
    dlg.set_breaks([10, 4, 55])
    assert not dlg.apply() and "higher" in dlg.problem.text()
    dlg.set_breaks([3.14159, 17.2, 54.1])
    dlg.round_edges()
    assert dlg.breaks == [3.1, 17.0, 55.0]  # the top edge rounds up to keep every value
    with qtbot.waitSignal(dlg.applied):
        assert dlg.apply()
    assert layer.style.scheme == "manual" and layer.style.breaks == [3.1, 17.0, 55.0]
    from app.style_fields import legend_entries

    # the labels never overlap: each class starts after the one below ends
    assert [lab for _, lab in legend_entries(layer)] == ["1.0 – 3.1", "3.2 – 17.0",
                                                          "17.1 – 55.0"]
    assert stray_widgets(dlg) == []


def test_new_project_shows_default_style_values(demo_window):
    from layers.style import LayerStyle

    win = demo_window
    layer = win.ws.layers["arrests"]
    layer.update_style(marker_size=40.0, opacity=0.3, color="#000000")
    win.edit_style(layer)
    ed = win.style_editor
    assert ed.marker_size.value() == 40.0
    win.ws.mark_dirty(False)
    win.new_project()
    d = LayerStyle()
    assert ed.layer is None and not ed.isEnabled()
    assert (ed.marker_size.value(), ed.opacity.value(), ed.color.color()) == \
        (d.marker_size, d.opacity, d.color)
    assert ed.column.count() == 1 and ed.legend.text() == ""
    assert ed.scheme.currentData() == d.scheme


def test_shared_scale_choice_writes_the_style_field(demo_window):
    win = demo_window
    a = Layer("rates_2023", _rates())
    b = Layer("rates_2024", _rates())
    for lyr in (a, b):
        lyr.update_style(column="rate")
        win.ws.layers.append(lyr)
    win.edit_style(a)
    ed = win.style_editor
    new = ed.shared_scale.itemData(ed.shared_scale.count() - 1)
    assert ed.shared_scale.itemText(ed.shared_scale.count() - 1).startswith("New shared scale")
    ed.shared_scale.setCurrentIndex(ed.shared_scale.count() - 1)
    assert a.style.shared_scale == new
    win.edit_style(b)  # the scale made for the first map is offered for the next
    i = ed.shared_scale.findData(new)
    assert i > 0 and "(used by 1 layer)" in ed.shared_scale.itemText(i)
    ed.shared_scale.setCurrentIndex(i)
    assert b.style.shared_scale == a.style.shared_scale == new
    ed.shared_scale.setCurrentIndex(0)
    assert b.style.shared_scale == ""


def test_each_record_layer_gets_its_own_colour(demo_window, tmp_path):
    import pandas as pd

    from layers.project import RecordSource
    from layers.records import load_records

    win = demo_window
    pts = [lyr for lyr in win.ws.layers if lyr.kind == "points"]
    colours = [lyr.style.color for lyr in pts]
    assert len(set(colours)) == len(colours), colours
    csv = tmp_path / "more.csv"
    pd.DataFrame({"x": [452000, 453000], "y": [283000, 284000],
                  "date": ["2024-01-01", "2024-01-02"]}).to_csv(csv, index=False)
    src = RecordSource(name="more", kind="generic", paths=[csv])
    win.add_imported(src, load_records([csv], kind="generic"))
    assert win.ws.layers["more"].style.color not in colours
    assert win.ws.project.source("more").style["color"] == win.ws.layers["more"].style.color


@pytest.mark.parametrize("scheme", ["quantiles", "fisher_jenks", "equal_interval"])
def test_manual_breaks_on_a_surface_layer(demo_window, scheme):
    """A KDE surface classifies its cells above zero; manual keeps them drawn."""
    from mapping.stats.kde import hotspot_kde

    win = demo_window
    surf = hotspot_kde(win.ws.layers["arrests"].data, cell_size=200, bandwidth=600)
    layer = Layer("kde", surf, kind="surface")
    layer.update_style(scheme=scheme, k=5)
    win.ws.layers.append(layer)
    win.edit_style(layer)
    _choose(win.style_editor.scheme, "manual")
    assert len(layer.style.breaks) >= 2
    win.canvas.render_now()
    assert layer.enabled
