"""The project runner: result naming and sensitivity carried from inputs to results."""

import pytest

from layers.project import AnalysisStep
from boundaries.workspace import Workspace
from mapping.pipeline.runner import run_step
from resources.demo import DEMO_PROJECT


@pytest.fixture(scope="module")
def ws():
    return Workspace.open(DEMO_PROJECT)


def test_results_are_named_after_their_analysis(ws):
    out = run_step(ws, AnalysisStep("my_rates", "count",
                                    {"areas": "lsoa", "area_id": "code", "points": ["arrests"]}))
    assert [lyr.name for lyr in out] == ["my_rates"] and "my_rates" in ws.layers
    assert out[0].source == {"analysis": "my_rates", "kind": "count"}


def test_results_of_sensitive_inputs_are_sensitive(ws):
    out = run_step(ws, AnalysisStep("ch", "crackhouses",
                                    {"records": "crack_houses", "census_date": "2025-03-31"}))
    tables = [lyr for lyr in out if lyr.kind == "table"]
    assert tables and all(lyr.meta["sensitive"] for lyr in tables)


def test_results_of_non_sensitive_inputs_stay_open(ws):
    assert not ws.layers["services"].sensitive
    out = run_step(ws, AnalysisStep("svc", "count",
                                    {"areas": "lsoa", "area_id": "code", "points": ["services"]}))
    assert out[0].meta["sensitive"] is False and not out[0].sensitive
