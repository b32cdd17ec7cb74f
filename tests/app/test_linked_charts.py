"""Charts live in the Chart dock, linked to the map and the table, as GeoDa links views."""

from __future__ import annotations

import pandas as pd
import pytest

from layers.project import AnalysisStep


@pytest.fixture
def charted(demo_window, qtbot):
    """The demo with its funnel, trend and breakdown analyses run."""
    from app.analysis_run import add_results, run_analysis

    win = demo_window
    steps = {s.name: s for s in win.ws.project.analyses}
    for step in win.ws.project.analyses:
        if step.kind in ("funnel", "trend", "breakdown"):
            for v in step.params.values():  # a result it reads (clients per area) runs first
                if isinstance(v, str) and v in steps and v not in win.ws.layers:
                    add_results(win.ws, steps[v], run_analysis(win.ws, steps[v]))
            add_results(win.ws, step, run_analysis(win.ws, step))
    win.ws.mark_dirty(False)
    return win


def _show(win, name):
    win.layer_panel.select_layer(win.ws.layers[name])
    cv = win.chart_view
    assert cv.link is not None, f"{name} is not live"
    return cv


def _click(cv, xy):
    """Press and release the left button at data point ``xy`` of the chart."""
    from matplotlib.backend_bases import MouseEvent

    cv.canvas.draw()
    px, py = cv.link.ax.transData.transform(xy)
    for kind in ("button_press_event", "button_release_event"):
        MouseEvent(kind, cv.canvas, px, py, button=1)._process()


def test_clicking_a_funnel_dot_selects_its_area_on_the_map_and_in_the_table(charted):
    win = charted
    step = next(s for s in win.ws.project.analyses if s.kind == "funnel")
    cv = _show(win, f"{step.name}_chart")
    areas = win.ws.layers[step.name].data
    # the area with the highest rate inside the funnel (its dot is drawn where it is)
    inside = areas[areas["outside"] == "within"]
    target = inside["rate"].idxmax()
    _click(cv, (inside.loc[target, "population"], inside.loc[target, "rate"]))
    assert win.canvas.selection == (step.name, [target])
    assert win.table.layer.name == step.name and win.table.selected_labels() == [target]
    assert len(cv.link._highlight) == 1  # the dot is ringed


def test_selected_areas_are_ringed_in_the_funnel(charted):
    win = charted
    step = next(s for s in win.ws.project.analyses if s.kind == "funnel")
    cv = _show(win, f"{step.name}_chart")
    funnel = win.ws.layers[step.name]
    win.show_table(funnel)
    win.table.view.selectRow(4)
    label = win.table.selected_labels()[0]
    assert cv._marks == [list(funnel.data.index).index(label)]
    # a selection on the boundary layer maps to the funnel's areas through the area code
    lsoa = win.ws.layers["lsoa"]
    code = funnel.data.loc[label, "code"]
    lab = lsoa.data.index[lsoa.data["code"] == code][0]
    win.canvas.set_selection("lsoa", [lab], emit=True)
    assert cv._marks == [list(funnel.data.index).index(label)]


def test_a_breakdown_bar_selects_the_records_in_that_group(charted):
    win = charted
    step = next(s for s in win.ws.project.analyses if s.kind == "breakdown")
    by = step.params["by"][0] if isinstance(step.params["by"], list) else step.params["by"]
    chart = next(lyr for lyr in win.ws.layers
                 if lyr.source.get("analysis") == step.name and lyr.kind == "figure"
                 and lyr.name == f"{step.name}_{by}_chart")
    cv = _show(win, chart.name)
    table = win.ws.layers[chart.name.removesuffix("_chart")].data
    groups = table[~table["group"].isin(["Total", "Not recorded"])].reset_index(drop=True)
    i = int(groups["count"].to_numpy().argmax())
    xy = cv.link._mark_xy()[i]
    _click(cv, tuple(xy))
    name, labels = win.canvas.selection
    arrests = win.ws.layers["arrests"].data
    assert name == "arrests"
    # independent reference: the records' own column, counted with pandas
    col = table.attrs.get("meta", {}).get("params", {}).get("column") or \
        win.ws.layers[chart.name.removesuffix("_chart")].meta["params"]["column"]
    want = arrests.index[arrests[col].astype(str).str.strip() == str(groups.loc[i, "group"])]
    assert sorted(labels) == sorted(want) and len(labels) == groups.loc[i, "count"]


def test_a_trend_bar_selects_that_months_records_and_records_light_their_month(charted):
    win = charted
    step = next(s for s in win.ws.project.analyses if s.kind == "trend")
    cv = _show(win, f"{step.name}_chart")
    monthly = win.ws.layers[f"{step.name}_monthly"].data
    i = 5
    _click(cv, tuple(cv.link._mark_xy()[i]))
    name, labels = win.canvas.selection
    assert name == step.params["records"]
    recs = win.ws.layers[name].data
    month = pd.Timestamp(monthly["month"].iloc[i]).to_period("M")
    # independent reference: pandas periods of the records' dates (no filter in the demo)
    assert not step.params.get("filter")
    want = recs.index[pd.to_datetime(recs["date"]).dt.to_period("M") == month]
    assert sorted(labels) == sorted(want) and len(labels) == monthly["count"].iloc[i]
    # and back: one record of another month lights only that month
    other = recs.index[pd.to_datetime(recs["date"]).dt.to_period("M") != month][0]
    win.table.set_layer(win.ws.layers[name])
    win.canvas.set_selection(name, [other], emit=True)
    m = pd.Timestamp(recs.loc[other, "date"]).to_period("M")
    assert cv._marks == [list(pd.to_datetime(monthly["month"]).dt.to_period("M")).index(m)]


def test_live_chart_is_drawn_by_the_export_function(charted, monkeypatch):
    """Screen and export share the chart function: the live figure's title is the export's."""
    win = charted
    step = next(s for s in win.ws.project.analyses if s.kind == "funnel")
    chart = win.ws.layers[f"{step.name}_chart"]
    calls = []
    import mapping.render.charts_funnel as funnel

    real = funnel.funnel_chart
    monkeypatch.setattr(funnel, "funnel_chart", lambda *a, **k: calls.append(1) or
                        real(*a, **k))
    cv = _show(win, chart.name)
    assert calls == [1]
    title = cv.link.figure.texts[0].get_text()
    assert title.startswith("Arrests per 10,000 population by area")


def test_other_charts_still_show_their_image(charted):
    win = charted
    step = next(s for s in win.ws.project.analyses if s.kind == "trend")
    win.layer_panel.select_layer(win.ws.layers[f"{step.name}_season_chart"])
    cv = win.chart_view
    assert cv.link is None and cv._pixmap is not None and not cv._pixmap.isNull()


def test_unknown_chart_kinds_are_not_linked():
    from layers.model import Layer, LayerStack

    from app.chart_links import chart_link

    fig = Layer("x_chart", "nope.png", kind="figure", source={"analysis": "x", "kind": "venues"})
    assert chart_link(fig, LayerStack([fig])) is None
    step = AnalysisStep("f", "funnel")
    lonely = Layer("f_chart", "nope.png", kind="figure", source={"analysis": "f",
                                                                  "kind": step.kind})
    assert chart_link(lonely, LayerStack([lonely])) is None  # its table is gone


def test_selecting_an_area_lights_the_share_of_its_records_in_each_bar(charted):
    """GeoDa's partial highlight: a bar is lit as far as the selected area's records go."""
    import geopandas as gpd

    win = charted
    step = next(s for s in win.ws.project.analyses if s.kind == "trend")
    cv = _show(win, f"{step.name}_chart")
    lsoa = win.ws.layers["lsoa"].data
    recs = win.ws.layers[step.params["records"]].data
    # the area with the most records; independent reference: a geopandas spatial join
    j = gpd.sjoin(recs[["date", "geometry"]], lsoa[["geometry"]], predicate="intersects")
    area = j["index_right"].value_counts().idxmax()
    inside = j[j["index_right"] == area]
    win.canvas.set_selection("lsoa", [area], emit=True)
    heights = [r.get_height() for r in cv.link._highlight]
    assert sum(heights) == len(inside.index.unique())
    per_month = inside.groupby(pd.to_datetime(inside["date"]).dt.to_period("M")).size()
    assert sorted(heights) == sorted(per_month.tolist())
