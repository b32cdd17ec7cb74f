"""Composite hotspots: normalisation, user weights and per-cell contributions by hand."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from shapely.geometry import box

from layers.common.errors import AnalysisError
from mapping.stats.composite import composite_layers, composite_surfaces
from mapping.core.surface import Surface

CRS = "EPSG:27700"


def _s(vals):
    return Surface(values=np.asarray(vals, np.float32), x0=0, y0=0, cell_size=10,
                   units="events per km²", meta={"kernel": "quartic", "base_n": 1})


def test_max_normalisation_weights_and_shares_by_hand():
    a = _s([[0, 2, 4], [np.nan, 1, 0]])
    b = _s([[10, 0, 10], [np.nan, 5, 0]])
    res = composite_surfaces({"drugs": a, "needles": b}, weights={"needles": 3})
    # a/4 = [0, .5, 1 | nan, .25, 0]; b/10 = [1, 0, 1 | nan, .5, 0]
    # composite = (1*a_n + 3*b_n) / 4
    exp = np.array([[0.75, 0.125, 1.0], [np.nan, (0.25 + 1.5) / 4, 0]])
    assert_allclose(res.surface.values, exp, rtol=1e-6, equal_nan=True)
    share_a = np.array([[0, 1, 0.25], [np.nan, 0.25 / 1.75, 0]])
    assert_allclose(res.contributions["drugs"], share_a, rtol=1e-6, equal_nan=True)
    tot = res.contributions["drugs"] + res.contributions["needles"]
    assert_allclose(tot[[0, 0, 0, 1], [0, 1, 2, 1]], 1.0)
    assert res.surface.meta["weights"] == {"drugs": 1.0, "needles": 3.0}
    cells = res.to_cells()
    assert {"composite", "drugs_norm", "needles_share"} <= set(cells.columns)
    assert len(cells) == 5  # the NaN cell is outside the study area


def test_other_normalisations():
    a = _s([[0, 1, 3, 100]])
    b = _s([[1, 1, 1, 1]])
    p = composite_surfaces({"a": a, "b": b}, normalise="percentile")
    assert_allclose(p.normalised["a"], [[0, 1 / 3, 2 / 3, 1]])
    z = composite_surfaces({"a": a, "b": b}, normalise="zscore")
    assert (z.normalised["a"] >= 0).all() and z.normalised["b"].max() == 0
    with pytest.raises(AnalysisError, match="unknown normalisation"):
        composite_surfaces({"a": a, "b": b}, normalise="log")
    with pytest.raises(AnalysisError, match="at least two"):
        composite_surfaces({"a": a})
    c = Surface(values=np.zeros((1, 4), np.float32), x0=5, y0=0, cell_size=10)
    with pytest.raises(AnalysisError, match="different grid"):
        composite_surfaces({"a": a, "c": c})


def test_composite_layers_share_one_grid():
    rng = np.random.default_rng(0)
    p1 = rng.normal(500, 50, (200, 2))
    p2 = rng.normal(800, 50, (50, 2))
    g1 = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*p1.T), crs=CRS)
    g2 = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*p2.T), crs=CRS)
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 1200, 1200)], crs=CRS)
    res = composite_layers({"arrests": g1, "needles": g2}, cell_size=20, bandwidth=150,
                           boundary=area)
    assert res.surface.shape == (60, 60)
    # each layer's peak is 1 after max-normalisation, so both hotspots reach ~0.5
    v = res.surface.values
    assert v[35, 25] == pytest.approx(0.5, abs=0.1) and v[20, 40] == pytest.approx(0.5, abs=0.1)
    assert res.contributions["arrests"][35, 25] > 0.95


def test_composite_title_names_each_layers_subject_not_its_project_name():
    """A map titled from layer names ("arrests, needle_finds") reads as a file list; the
    composite's title names what each layer holds, after its filter, as other titles do."""
    import tempfile

    from boundaries.workspace import Workspace
    from mapping.core.meta import record_subject
    from mapping.pipeline.policy import Policy
    from mapping.pipeline.step_runner import run_step
    from resources.demo import DEMO_PROJECT

    ws = Workspace.open(DEMO_PROJECT)
    step = next(s for s in ws.project.analyses if s.kind == "composite")
    names = list(step.params["layers"])
    step.params["filters"] = {names[0]: "drug_class == 'A'"}
    out = run_step(ws, step, outdir=tempfile.mkdtemp(), policy=Policy.from_project(ws.project))
    title = out[0].meta["title"]
    want = [record_subject([ws.layers[n].meta.get("record_kind")],
                           step.params["filters"].get(n), label=n) for n in names]
    assert title == "Composite hotspots: " + " and ".join(want), title
    assert "(selected)" in want[0] and not any("_" in w for w in want)
    assert out[1].meta["title"].startswith(title)
