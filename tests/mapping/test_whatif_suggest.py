"""The what-if project step suggests new sites as ``hotmap whatif --suggest`` does."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import geopandas as gpd
from shapely.geometry import Point, box

from layers.common.errors import ProjectError
from layers.model import Layer
from layers.project import AnalysisStep, Project
from boundaries.workspace import Workspace
from mapping.pipeline.runner import run_step


@pytest.fixture
def ws():
    """A 6 x 6 grid of 500 m areas, one service in a corner, 9 candidate sites."""
    rng = np.random.default_rng(7)
    cells = [box(x * 500, y * 500, x * 500 + 500, y * 500 + 500)
             for y in range(6) for x in range(6)]
    areas = gpd.GeoDataFrame({"code": [f"A{i:02d}" for i in range(36)],
                              "population": rng.integers(100, 2000, 36).astype(float),
                              "need": rng.integers(0, 40, 36).astype(float)},
                             geometry=cells, crs=27700)
    svc = gpd.GeoDataFrame({"service_id": ["S1"]}, geometry=[Point(250, 250)], crs=27700)
    cand = gpd.GeoDataFrame({"name": [f"C{i}" for i in range(9)]},
                            geometry=[Point(x, y) for x in (750, 1500, 2250)
                                      for y in (750, 1500, 2250)], crs=27700)
    w = Workspace(Project(name="t"))
    w.layers.append(Layer("areas", areas, meta={"code_field": "code"}))
    w.layers.append(Layer("services", svc, kind="points"))
    w.layers.append(Layer("cand", cand, kind="points"))
    return w


def test_suggested_sites_cover_the_most_need_a_brute_force_finds(ws):
    step = AnalysisStep("wi", "whatif", {"areas": "areas", "services": "services",
                                         "need": "need", "catchment": 800, "suggest": 2,
                                         "candidates": "cand", "siting": "mclp"})
    out = {lyr.name: lyr for lyr in run_step(ws, step)}
    assert set(out) == {"wi_sites"}  # only a suggestion was asked for: no change map
    sites = out["wi_sites"].data
    assert list(sites["rank"]) == [1, 2] and sites.crs.to_epsg() == 27700
    # brute force: areas (at their representative points) within 800 m of a site
    a = ws.layers["areas"].data
    o = np.column_stack([a.representative_point().x, a.representative_point().y])
    c = np.column_stack([ws.layers["cand"].data.geometry.x, ws.layers["cand"].data.geometry.y])
    near = lambda pts: (np.hypot(*(o[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))  # noqa
                        <= 800).any(1)
    base = near(np.array([[250.0, 250.0]]))
    best = max(a["need"].to_numpy()[base | near(c[list(p)])].sum()
               for p in itertools.combinations(range(9), 2))
    assert sites["cumulative_weight"].iloc[-1] == pytest.approx(best)
    assert set(sites["candidate_name"]) <= {f"C{i}" for i in range(9)}
    assert out["wi_sites"].meta["params"]["candidates"] == "cand"


def test_suggest_with_added_sites_also_maps_the_change(ws):
    step = AnalysisStep("wi", "whatif", {"areas": "areas", "services": "services",
                                         "need": "need", "add": [[1500, 1500]], "suggest": 1,
                                         "candidates": "cand", "siting": "greedy"})
    names = {lyr.name for lyr in run_step(ws, step)}
    assert names == {"wi", "wi_summary", "wi_sites"}


def test_suggest_without_candidates_is_a_clear_error(ws):
    step = AnalysisStep("wi", "whatif", {"areas": "areas", "services": "services",
                                         "need": "need", "suggest": 2})
    with pytest.raises(ProjectError, match="suggest needs candidates"):
        run_step(ws, step)
