"""Gap classes, bivariate classes and legend, what-if and greedy new-site suggestions."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from shapely.geometry import Point, box

from layers.common.errors import InputError
from mapping.stats.coverage import service_pairs
from mapping.stats.gaps import (best_new_sites, bivariate_classes, bivariate_legend, gap_classes,
                          terciles, whatif_coverage)

CRS = "EPSG:27700"


def test_terciles_by_rank_with_ties():
    # 9 values: ranks 1..9 -> terciles 1,1,1,2,2,2,3,3,3
    assert terciles(range(9)).tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    # four zeros tie at rank 1 and share the lowest tercile
    assert terciles([0, 0, 0, 0, 5, 6]).tolist() == [1, 1, 1, 1, 3, 3]
    assert np.isnan(terciles([1.0, np.nan, 2.0])[1])
    # against a reference: 3 of 5 reference values are below 0.5 -> rank 4 -> tercile 2
    assert terciles([0.5, -1, 99], reference=[0, 0, 0, 1, 1]).tolist() == [2, 1, 3]


def test_gap_rule_by_hand():
    need = [9, 8, 7, 1, 2, 3, 4, 5, 6]  # terciles: 3,3,3,1,1,1,2,2,2
    access = [0, 5, 9, 0, 5, 9, 0, 5, 9]  # terciles: 1,2,3 repeating
    g = gap_classes(need, access)
    assert g["need_tercile"].tolist() == [3, 3, 3, 1, 1, 1, 2, 2, 2]
    assert g["access_tercile"].tolist() == [1, 2, 3] * 3
    assert g["gap_class"].tolist() == ["gap", "watch", "covered", "covered", "covered",
                                       "covered", "watch", "covered", "covered"]


def test_bivariate_classes_cover_all_nine_and_match_legend():
    dep = np.repeat([1, 2, 3], 3).astype(float)  # IMD score: higher = more deprived
    acc = np.tile([1, 2, 3], 3).astype(float)
    b = bivariate_classes(dep, acc)
    assert b["bivariate_class"].tolist() == list(range(1, 10))
    leg = bivariate_legend()
    assert len(leg) == 9 and leg["colour"].is_unique
    merged = b.merge(leg, on=["deprivation_tercile", "access_tercile"])
    assert (merged["bivariate_class_x"] == merged["bivariate_class_y"]).all()
    top = leg.set_index("bivariate_class").loc[7]
    assert top["label"] == "high deprivation, low access"
    # ranks: lower = more deprived, so the order flips
    b2 = bivariate_classes(-dep, acc, more_deprived="lower")
    assert b2["bivariate_class"].tolist() == list(range(1, 10))


@pytest.fixture
def grid():
    """A row of five 1 km areas with need rising eastwards; one service at the west end."""
    areas = gpd.GeoDataFrame({"id": list("abcde"), "pop": [1000] * 5, "need": [1, 2, 3, 20, 30]},
                             geometry=[box(x, 0, x + 1000, 1000) for x in range(0, 5000, 1000)],
                             crs=CRS)
    origins = pd.DataFrame({"id": list("abcde"), "origin_x": np.arange(500, 5000, 1000.0),
                            "origin_y": 500.0, "origin_method": "given"})
    svc = gpd.GeoDataFrame({"code": ["W"], "cap": [10]}, geometry=[Point(500, 500)], crs=CRS)
    return areas, origins, svc


def test_whatif_add_site_closes_gap(grid):
    areas, origins, svc = grid
    new = gpd.GeoDataFrame({"code": ["E"], "cap": [10]}, geometry=[Point(4500, 500)], crs=CRS)
    ch, summary = whatif_coverage(areas, svc, area_id="id", need="need", add=new,
                                  service_id="code", demand="pop", capacity="cap",
                                  catchment=1100, origins=origins)
    # before: W serves a, b (1000 m) -> R = 10/2000; after: E serves d, e too
    assert_allclose(ch["access_before"], [0.005, 0.005, 0, 0, 0])
    assert_allclose(ch["access_after"], [0.005, 0.005, 0, 0.005, 0.005])
    assert_allclose(ch["nearest_after_m"], [0, 1000, 2000, 1000, 0])
    # need terciles of 5 areas: 1 + floor(3 (r - 1) / 5) = 1, 1, 2, 2, 3
    assert ch["gap_before"].tolist()[3:] == ["watch", "gap"]
    assert "gap" not in ch["gap_after"].tolist()
    assert summary["gap_areas_before"] == 1 and summary["gap_areas_after"] == 0
    assert summary["demand_in_catchment_after"] - summary["demand_in_catchment_before"] == 2000


def test_whatif_remove_site(grid):
    areas, origins, svc = grid
    ch, summary = whatif_coverage(areas, svc, area_id="id", need="need", remove=["W"],
                                  service_id="code", demand="pop", catchment=1100, origins=origins)
    assert summary["services_after"] == 0 and (ch["access_after"] == 0).all()
    with pytest.raises(InputError, match="no service with id"):
        whatif_coverage(areas, svc, area_id="id", need="need", remove=["nope"],
                        service_id="code", demand="pop", origins=origins)


def _exact_best(origins, w, cand, k, c):
    i, j, _ = service_pairs(origins, cand, c)
    best = 0.0
    for combo in itertools.combinations(range(len(cand)), k):
        cov = np.zeros(len(origins), bool)
        cov[i[np.isin(j, combo)]] = True
        best = max(best, w[cov].sum())
    return best


@pytest.mark.parametrize("method", ["greedy", "mclp"])
def test_sites_hand_case(method):
    # three clusters of demand; the heaviest picked first
    origins = np.array([[0, 0], [0, 100], [5000, 0], [5000, 100], [9000, 0]], float)
    w = np.array([10, 10, 50, 50, 5], float)
    cand = np.array([[0, 50], [5000, 50], [9000, 50], [2500, 0]], float)
    got = best_new_sites(origins, w, cand, 2, 200, method=method)
    assert got["candidate"].tolist() == [1, 0]
    assert got["cumulative_weight"].tolist() == [100, 120]
    # existing service already covers the west cluster: next best is the far east one
    got2 = best_new_sites(origins, w, cand, 2, 200, existing=np.array([[0, 60.0]]), method=method)
    assert got2["candidate"].tolist() == [1, 2]
    assert got2["cumulative_weight"].iloc[-1] == 125
    assert ("heuristic" in got.attrs["meta"]["method"]) == (method == "greedy")


def test_greedy_bound_and_mclp_exact_against_enumeration():
    pytest.importorskip("spopt")
    rng = np.random.default_rng(3)
    for _ in range(5):
        o = rng.uniform(0, 3000, (30, 2))
        ww = rng.integers(1, 50, 30).astype(float)
        cc = rng.uniform(0, 3000, (8, 2))
        best = _exact_best(o, ww, cc, 3, 700)
        greedy = best_new_sites(o, ww, cc, 3, 700, method="greedy")["cumulative_weight"].iloc[-1]
        exact = best_new_sites(o, ww, cc, 3, 700, method="mclp")["cumulative_weight"].iloc[-1]
        assert greedy >= (1 - 1 / np.e) * best - 1e-9
        assert_allclose(exact, best)
    with pytest.raises(InputError, match="siting method"):
        best_new_sites(o, ww, cc, 1, 700, method="p-median")


def test_project_steps_on_the_fictional_demo():
    """deprivation, coverage (access, gaps, bivariate), whatif, concentration, disproportion steps."""
    from layers.project import AnalysisStep
    from boundaries.workspace import Workspace
    from mapping.pipeline.runner import run_step

    proj = Path(__file__).resolve().parents[2] / "resources" / "demo" / "hotmap_vale.hotmap.toml"
    if not proj.exists():
        pytest.skip("demo project not built")
    ws = Workspace.open(proj)
    lsoa = ws.layers["lsoa"].data
    steps = [
        AnalysisStep("deprivation", "deprivation", {"areas": "lsoa", "points": ["arrests"],
                                                    "wards": "wards"}),
        AnalysisStep("access", "coverage", {"areas": "lsoa", "services": "services",
                                            "capacity": "capacity", "method": "e2sfca",
                                            "catchment": 2000, "need": "arrests",
                                            "population": "population"}),
        AnalysisStep("whatif", "whatif", {"areas": "lsoa", "services": "services",
                                          "capacity": "capacity", "need": "arrests",
                                          "population": "population",
                                          "add": [[450000, 285000]], "add_capacity": 50}),
        AnalysisStep("conc", "concentration", {"areas": "lsoa", "layers": ["needle_finds"],
                                               "name": "concentration"}),
        AnalysisStep("disp", "disproportion", {"records": "arrests", "category": "gender",
                                               "population": {"Male": 49, "Female": 51},
                                               "name": "disproportion_gender"}),
    ]
    made = {lyr.name: lyr for st in steps for lyr in run_step(ws, st)}
    assert {"deprivation", "deprivation_concentration", "deprivation_wards", "access",
            "access_gaps", "access_bivariate", "access_services_in_most_deprived", "whatif",
            "whatif_summary", "concentration", "disproportion_gender"} <= set(made)
    dep = made["deprivation"].data
    assert (dep["most_deprived_20"] == (lsoa["imd_decile"] <= 2).to_numpy()).all()
    assert dep["count"].sum() > 0  # one record layer: its count is "count"
    wards = made["deprivation_wards"].data
    # national scale, not the top fifth of the wards: without the national file the cut-off
    # is the lowest score of the layer's national-decile 1-2 LSOAs (issue 15)
    cut = lsoa.loc[lsoa["imd_decile"] <= 2, "imd_score"].min()
    assert (wards["most_deprived_20"] == (wards["imd_score"] >= cut)).all()
    assert any("not the whole national file" in n for n in made["deprivation_wards"].meta["notes"])
    assert set(made["access_gaps"].data["gap_class"]) <= {"gap", "watch", "covered"}
    assert made["access_bivariate"].data["bivariate_class"].between(1, 9).all()
    assert len(made["access_bivariate"].meta["bivariate_legend"]) == 9
    assert made["access"].meta["value_column"] == "access_per_1000"
    assert any("Luo W, Qi Y" in r for r in made["access"].meta["references"])
    summary = made["whatif_summary"].data.iloc[0]
    assert summary["services_after"] == summary["services_before"] + 1
    assert (made["whatif"].data["access_change"] >= -1e-12).any()
    assert made["disproportion_gender"].meta["sensitive"] is True
