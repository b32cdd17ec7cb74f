"""Composite, what-if and the Analysis menu: what the dialogs offer is what runs."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

import geopandas as gpd

from tests.app.widget_checks import stray_widgets


def _set(dlg, name, value):
    from PySide6.QtWidgets import QComboBox

    w = dlg.widgets[name]
    if isinstance(w, QComboBox):
        i = w.findData(value)
        assert i >= 0, (name, value)
        w.setCurrentIndex(i)
    else:
        w.setText(str(value))


def _run(dlg, qtbot):
    assert dlg.validate() == []
    with qtbot.waitSignal(dlg.finished_layers, timeout=300_000) as blocker:
        assert dlg.run() is not None
    return {lyr.name: lyr for lyr in blocker.args[0]}


def test_composite_offers_exactly_the_normalisers_and_weights_each_layer(demo_window, qtbot):
    from mapping.stats.composite import NORMALISERS
    from mapping.stats.kde import hotspot_kde, kde_grid

    win = demo_window
    dlg = win.open_analysis("composite")
    qtbot.addWidget(dlg)
    norm = dlg.widgets["normalise"]
    assert [norm.itemData(i) for i in range(norm.count())] == list(NORMALISERS)
    assert stray_widgets(dlg._inner) == []
    weights = dlg.widgets["layers"]
    weights.set_value({"arrests": 2.0, "needle_finds": 1.0})
    assert weights.value() == {"arrests": 2.0, "needle_finds": 1.0}
    _set(dlg, "normalise", "percentile")
    _set(dlg, "cell_size", 100)
    _set(dlg, "bandwidth", 400)
    out = _run(dlg, qtbot)
    step = win.ws.project.analyses[-1]
    assert step.params["layers"] == {"arrests": 2.0, "needle_finds": 1.0}
    assert step.params["normalise"] == "percentile"
    surf = out[step.name].data
    assert surf.meta["weights"] == {"arrests": 2.0, "needle_finds": 1.0}
    # independent reference: the two KDEs on one grid, percentile-ranked with pandas and
    # averaged with weights 2:1 by hand
    layers = {n: win.ws.layers[n].data for n in ("arrests", "needle_finds")}
    xy = np.vstack([np.column_stack([g.geometry.x, g.geometry.y]) for g in layers.values()])
    grid = kde_grid((*xy.min(0), *xy.max(0)), 100, pad=400)
    ranked = {}
    for n, g in layers.items():
        v = hotspot_kde(g, cell_size=100, bandwidth=400, grid=grid).values.astype(float)
        s = pd.Series(v.ravel())
        pos = s[s > 0]
        r = pd.Series(0.0, index=s.index).where(s.notna())
        r[pos.index] = pos.rank(method="average", pct=True)
        ranked[n] = r.to_numpy().reshape(v.shape)
    expected = (2 * ranked["arrests"] + ranked["needle_finds"]) / 3
    ok = np.isfinite(expected)
    np.testing.assert_allclose(surf.values[ok], expected[ok], rtol=1e-5, atol=1e-6)


def test_composite_weights_are_checked_before_running(demo_window, qtbot):
    dlg = demo_window.open_analysis("composite")
    qtbot.addWidget(dlg)
    dlg.widgets["layers"].set_value({"arrests": 1.0})
    _set(dlg, "cell_size", 100)
    _set(dlg, "bandwidth", 400)
    assert any("tick at least 2 layers" in p for p in dlg.validate())
    dlg.widgets["layers"].set_value({"arrests": 0.0, "needle_finds": 0.0})
    assert any("not all 0" in p for p in dlg.validate())


def test_whatif_suggests_the_best_sites_as_a_brute_force_search_finds(demo_window, qtbot):
    from layers.model import Layer

    win = demo_window
    lsoa = win.ws.layers["lsoa"].data
    # eight candidate sites: the centres of eight spread-out areas
    pick = lsoa.iloc[np.linspace(0, len(lsoa) - 1, 8).astype(int)]
    cands = gpd.GeoDataFrame({"name": [f"site {i}" for i in range(8)]},
                             geometry=pick.geometry.representative_point().to_numpy(),
                             crs=lsoa.crs)
    win.ws.layers.append(Layer("candidates", cands, kind="points"))
    dlg = win.open_analysis("whatif")
    qtbot.addWidget(dlg)
    assert stray_widgets(dlg._inner) == []
    _set(dlg, "need", "population")
    _set(dlg, "catchment", 1000)
    _set(dlg, "suggest", 2)
    _set(dlg, "candidates", "candidates")
    _set(dlg, "siting", "mclp")
    out = _run(dlg, qtbot)
    step = win.ws.project.analyses[-1]
    assert step.params["suggest"] == 2 and step.params["candidates"] == "candidates"
    sites = out[f"{step.name}_sites"]
    assert sites.kind == "points" and len(sites.data) == 2
    # independent reference: every pair of candidates, need = population of the areas whose
    # representative point is within 1000 m of a chosen or an existing service
    o = np.column_stack([lsoa.representative_point().x, lsoa.representative_point().y])
    w = lsoa["population"].to_numpy(float)
    svc = win.ws.layers["services"].data
    s = np.column_stack([svc.geometry.x, svc.geometry.y])
    c = np.column_stack([cands.geometry.x, cands.geometry.y])
    near = lambda pts: (np.hypot(o[:, None, 0] - pts[None, :, 0],  # noqa: E731
                                 o[:, None, 1] - pts[None, :, 1]) <= 1000).any(1)
    base = near(s)
    best = max(w[base | near(c[list(p)])].sum() for p in itertools.combinations(range(8), 2))
    assert sites.data["cumulative_weight"].iloc[-1] == pytest.approx(best)
    assert set(sites.data["candidate_name"]) <= set(cands["name"])


def test_whatif_suggest_without_candidates_says_what_is_missing(demo_window, qtbot,
                                                                errors_captured):
    dlg = demo_window.open_analysis("whatif")
    qtbot.addWidget(dlg)
    _set(dlg, "need", "population")
    _set(dlg, "suggest", 2)
    n = len(demo_window.ws.layers)
    assert dlg.run() is not None
    qtbot.waitUntil(lambda: bool(errors_captured), timeout=120_000)
    assert "“Suggest sites” needs “Candidate sites”" in errors_captured[-1][0]  # its words
    assert len(demo_window.ws.layers) == n  # nothing half-made was added


def test_analysis_menu_is_complete_and_capitalised(window):
    from mapping.pipeline import step_names

    from app.actions import analysis_menu_entries

    entries = dict(analysis_menu_entries(step_names()))
    assert entries["gaps"] == "Service gaps…"
    assert entries["concentration"] == "Concentration in deprived areas…"
    assert all(t[:1].isupper() for t in entries.values()), entries
    window.commands.rebuild_analysis_menu()
    subs = [a.menu() for a in window.commands.analysis_menu.actions()]
    assert all(subs) and len(subs) == 4  # one submenu per section
    texts = [a.text() for sub in subs for a in sub.actions()]
    assert "Service gaps…" in texts and "concentration…" not in texts
    assert len(texts) == len(set(texts)) == len(entries)
    deprivation = next(s for s in subs if "Deprivation" in s.title())
    assert "Service gaps…" in [a.text() for a in deprivation.actions()]


def test_service_gaps_opens_coverage_with_need_required(demo_window, qtbot):
    dlg = demo_window.open_analysis("gaps")
    qtbot.addWidget(dlg)
    assert dlg.kind == "coverage" and dlg.windowTitle().startswith("Service gaps")
    need = next(p for p in dlg.spec.params if p.name == "need")
    assert not need.optional
    dlg.widgets["need"].setCurrentIndex(dlg.widgets["need"].findData(None))
    dlg.widgets["need"].setEditText("")
    assert any("Need" in p and "fill this in" in p for p in dlg.validate())


def test_weighted_layers_widget_reads_and_writes_weights(qtbot):
    from app.form_widgets import WeightedLayersWidget

    w = WeightedLayersWidget(["a", "b", "c"], ["a", "c"])
    qtbot.addWidget(w)
    assert w.value() == {"a": 1.0, "c": 1.0}
    w.spins["c"].setValue(3)
    w.item(1, 0).setCheckState(Qt.CheckState.Checked)
    assert w.value() == {"a": 1.0, "b": 1.0, "c": 3.0}
