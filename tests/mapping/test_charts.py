"""Tests of the house-style charts: every chart states base n, method and source."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
from shapely.geometry import Point, box

from layers.common.errors import InputError
from mapping.render.charts import chart_figure, chart_finish, chart_save, plural
from mapping.render.charts_trends import trend_chart, trend_quarter_chart, trend_season_chart


def _texts(fig) -> str:
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts]
        if ax.get_legend():
            out += [t.get_text() for t in ax.get_legend().get_texts()]
    return "\n".join(out)


@pytest.fixture
def records():
    rng = np.random.default_rng(2)
    d = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 730, 400), unit="D")
    return gpd.GeoDataFrame({"date": d}, geometry=[Point(i, i) for i in range(400)], crs=27700)


def test_trend_charts_state_base_n_and_source(records, tmp_path):
    from mapping.audit.trends import trend_analysis

    res = trend_analysis(records, events=[("2021-12-25", "Christmas"),
                                          ("2022-07-01", "2022-07-31", "Operation")])
    for fn in (trend_chart, trend_quarter_chart, trend_season_chart):
        fig = fn(res, units="arrests", place="Testville", source="test source")
        text = _texts(fig)
        assert "n = 400" in text and "Source: test source" in text
        assert "Testville" in text
        png = chart_save(fig, tmp_path / f"{fn.__name__}.png")
        svg = chart_save(fig, tmp_path / f"{fn.__name__}.svg")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in svg.read_bytes()[:500]
    assert "Christmas" in _texts(trend_chart(res))


def test_other_charts(tmp_path):
    from mapping.audit.demographics import breakdown
    from mapping.audit.funnel import funnel_table
    from mapping.audit.lifecycle import lifecycle_closures, lifecycle_reopening
    from mapping.audit.needles import needle_response_summary
    from mapping.audit.venues import venue_activity
    from mapping.render.charts_audit import (breakdown_chart, lifecycle_chart,
                                             needle_response_chart, venue_chart)
    from mapping.render.charts_funnel import funnel_chart

    ch = pd.DataFrame({"closure_order": pd.to_datetime(["2020-01-01", "2020-03-01", "2020-06-01"]),
                       "reopened": pd.to_datetime(["2020-02-01", None, "2020-12-01"])})
    km = lifecycle_reopening(ch, census_date="2021-01-01")
    fig = lifecycle_chart(km, lifecycle_closures(ch, census_date="2021-01-01"))
    assert "n = 3 closures" in _texts(fig)
    chart_save(fig, tmp_path / "km.png")

    nd = pd.DataFrame({"reported_at": pd.to_datetime(["2020-01-01 10:00", "2020-02-01 10:00"]),
                       "collected_at": pd.to_datetime(["2020-01-01 12:00", None])})
    fig = needle_response_chart(needle_response_summary(nd))
    assert "n = 2 reports" in _texts(fig) and "1 report(s) with no collection time" in _texts(fig)

    ev = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(5, 0)], crs=27700)
    ve = gpd.GeoDataFrame({"name": ["Club"]}, geometry=[Point(0, 0)], crs=27700)
    fig = venue_chart(venue_activity(ev, ve, radius=10, study_area=box(-50, -50, 50, 50)),
                      venue_kind="pharmacy")
    assert "pharmacies" in _texts(fig) and "n = 2" in _texts(fig)

    ft = funnel_table(pd.DataFrame({"name": ["a", "b", "c"], "count": [1, 20, 3],
                                    "population": [1000, 1500, 2000]}), name="name")
    fig = funnel_chart(ft)
    assert "99.8% limits" in _texts(fig) and "3 areas" in _texts(fig)
    assert "b" in [t.get_text() for t in fig.axes[0].texts]  # the outlier is labelled

    b = breakdown(pd.DataFrame({"gender": ["F"] * 10 + ["M"] * 12 + ["X"] * 2}), "gender")
    fig = breakdown_chart(b)
    assert "<5" in _texts(fig) and "n = 24" in _texts(fig)


def test_chart_save_rejects_unknown_suffix(tmp_path):
    fig, ax = chart_figure()
    chart_finish(fig, title="t")
    with pytest.raises(InputError, match="png, .svg or .pdf"):
        chart_save(fig, tmp_path / "chart.jpg")


def test_long_titles_wrap_and_plural():
    fig, _ = chart_figure()
    chart_finish(fig, title="A very long title " * 8, subtitle="n = 1")
    assert "\n" in fig.texts[0].get_text()
    assert plural("pharmacy") == "pharmacies" and plural("club") == "clubs"


def test_no_pyplot_or_qt_import():
    code = ("import sys, mapping.render.charts, mapping.audit.trends, mapping.audit.funnel, mapping.audit.lifecycle, "
            "mapping.audit.needles, mapping.audit.venues, mapping.audit.demographics, mapping.pipeline.audit; "
            "bad = [m for m in ('matplotlib.pyplot', 'PySide6') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_project_steps_on_demo(tmp_path):
    """Every audit step runs on the demo project and returns tables, layers and figures."""
    from tests.conftest import ROOT

    project = ROOT / "resources" / "demo" / "hotmap_vale.hotmap.toml"
    if not project.exists():
        pytest.skip("demo project not built")
    from layers.project import AnalysisStep
    from boundaries.workspace import Workspace
    from mapping.pipeline import step_names
    from mapping.pipeline.runner import run_step

    assert {"trend", "crackhouses", "needles", "venues", "funnel", "breakdown"} <= set(
        step_names())
    ws = Workspace.open(project)
    steps = [
        ("trend", dict(records="arrests", units="arrests", filter="offence == 'Possession'",
                       events=[{"date": "2023-12-25", "label": "Christmas"}])),
        ("crackhouses", dict(records="crack_houses", census_date="2025-03-31")),
        ("needles", dict(records="needle_finds", areas="wards")),
        ("venues", dict(events="arrests", venues="services", radius=250, population="lsoa")),
        ("funnel", dict(areas="lsoa", points="arrests")),
        ("breakdown", dict(records="arrests", by=["gender", "ethnicity"])),
    ]
    kinds = {}
    for kind, params in steps:
        out = run_step(ws, AnalysisStep(name=kind, kind=kind, params=params))
        kinds[kind] = {lyr.name: lyr for lyr in out}
        for lyr in out:
            for key in ("method", "units", "references"):
                assert lyr.meta.get(key), (kind, lyr.name, key)
            assert "base_n" in lyr.meta, (kind, lyr.name)
            if lyr.kind == "figure":
                assert Path(lyr.data).suffix == ".png" and Path(lyr.data).exists()
                assert Path(lyr.meta["svg"]).exists()
    assert kinds["crackhouses"]["crackhouses_status"].sensitive
    assert kinds["needles"]["needles_slow_areas"].kind == "areas"
    arrests = ws.layers["arrests"].data
    n_poss = int((arrests["offence"] == "Possession").sum())
    assert kinds["trend"]["trend_monthly"].data["count"].sum() == n_poss
    assert kinds["funnel"]["funnel"].meta["n_areas"] == len(ws.layers["lsoa"].data)


def test_a_long_axis_label_is_wrapped_to_fit_its_axis():
    """police.uk's subject made the trend chart's y label run past the plot."""
    from mapping.audit.trends import trend_analysis
    from mapping.render.charts_trends import trend_chart

    days = pd.date_range("2021-01-01", "2022-12-31", freq="D")
    res = trend_analysis(pd.DataFrame({"date": days[::3]}))
    units = "street crimes and anti-social behaviour (police.uk)"
    fig = trend_chart(res, units=units)
    ax = fig.axes[0]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    r = FigureCanvasAgg(fig).get_renderer()
    label = ax.yaxis.label
    assert "\n" in label.get_text() and units.split()[0] in label.get_text()
    assert label.get_window_extent(r).height <= ax.get_window_extent(r).height + 1
