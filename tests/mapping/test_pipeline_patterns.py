"""Project steps of the issue-20 analyses, run on the fictional demo: outputs, metadata and
the disclosure rules each step applies once for every front."""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from layers.project import AnalysisStep
from boundaries.workspace import Workspace
from mapping.disclosure.rules import DisclosureRules, apply_rules
from mapping.pipeline.runner import run_step
from resources.demo import DEMO_ANALYSES, DEMO_PROJECT

NEW_KINDS = {"nearrepeat", "timeprofile", "emerging", "evaluate", "repeats", "composite_index",
             "dualkde", "hotspot_polygons", "area_counts", "waits", "retention", "agerates",
             "closurespeed"}


@pytest.fixture(scope="module")
def ws():
    return Workspace.open(DEMO_PROJECT)


def _run(ws, tmp_path, kind, name=None, **params):
    base = next((a for a in DEMO_ANALYSES if a["kind"] == kind and (name is None
                                                                    or a["name"] == name)),
                None)
    step = copy.deepcopy(base) if base else {"name": name or kind, "kind": kind, "params": {}}
    step["params"].update(params)
    return {lyr.name: lyr for lyr in run_step(ws, AnalysisStep.from_dict(step), outdir=tmp_path)}


def test_the_demo_runs_every_new_analysis(ws, tmp_path):
    kinds = {a["kind"] for a in DEMO_ANALYSES}
    assert NEW_KINDS <= kinds
    deps = ("deprivation", "access")  # the ward index reads an earlier result
    for a in DEMO_ANALYSES:
        if a["name"] in deps:
            run_step(ws, AnalysisStep.from_dict(a), outdir=tmp_path)
    for a in DEMO_ANALYSES:
        if a["kind"] not in NEW_KINDS:
            continue
        a = copy.deepcopy(a)
        if a["kind"] == "nearrepeat":
            a["params"]["permutations"] = 99
        out = run_step(ws, AnalysisStep.from_dict(a), outdir=tmp_path)
        assert out, a["name"]
        for lyr in out:
            m = lyr.meta
            assert m.get("method") and m.get("title"), lyr.name
            if lyr.kind == "figure":
                assert Path(lyr.data).exists() and Path(m["svg"]).exists()
            elif lyr.kind in ("table", "areas", "grid"):
                assert "count_columns" in m, lyr.name
                assert set(m["count_columns"]) <= set(lyr.data.columns), lyr.name
    assert ws.layers["arrest_near_repeats"].meta["base_n"] == 3200
    assert ws.layers["arrest_emerging"].kind == "grid"
    assert ws.layers["arrests_per_resident"].kind == "surface"
    assert ws.layers["clients"].sensitive


def test_repeat_locations_of_a_sensitive_layer_are_not_named(ws, tmp_path):
    out = _run(ws, tmp_path, "repeats")
    t = out["arrest_repeats"].data
    assert t["location"].iloc[0] == "Location 1" and "x" not in t.columns
    assert any("not named" in n for n in out["arrest_repeats"].meta["notes"])
    # the 80-20 table is the same either way
    conc = out["arrest_repeats_concentration"].data
    assert conc["events_pct"].between(0, 100).all()


def test_evaluation_test_is_withheld_when_a_count_is_small(ws, tmp_path):
    big = _run(ws, tmp_path, "evaluate")
    assert np.isfinite(big["closure_evaluation_test"].data["wdd"].iloc[0])
    small = _run(ws, tmp_path, "evaluate", target=["X01000169"], control=["X01000160"],
                 buffer=None, control_buffer=None, name="closure_evaluation")
    counts = small["closure_evaluation"].data[["before", "after"]].to_numpy().ravel()
    assert ((counts > 0) & (counts < 5)).any()  # two quiet edge areas of the demo
    test = small["closure_evaluation_test"].data
    assert np.isnan(test["wdd"].iloc[0]) and np.isnan(test["wdd_se"].iloc[0])
    assert any("withheld" in n for n in small["closure_evaluation"].meta["notes"])


def test_dual_kde_of_a_sensitive_layer_uses_at_least_the_minimum_bandwidth(ws, tmp_path):
    out = _run(ws, tmp_path, "dualkde", bandwidth=100)
    m = out["arrests_per_resident"].meta
    assert m["bandwidth_m"] == DisclosureRules().min_kde_bandwidth_m
    assert "bandwidth raised" in m["notes"][0]
    assert "search radius (bandwidth) 200 m" in m["settings"]  # as run, not as asked
    safe, _ = apply_rules([out["arrests_per_resident"]])
    assert safe, "the raised bandwidth lets the surface out"


def test_hotspot_polygons_of_a_sensitive_layer_have_floors(ws, tmp_path):
    out = _run(ws, tmp_path, "hotspot_polygons", min_points=2)
    lyr = out["arrest_hotspots"]
    assert lyr.meta["params"]["min_points"] == 5
    assert (lyr.data["sx_m"] >= 100).all() and (lyr.data["sy_m"] >= 100).all()
    assert lyr.data["name"].str.startswith("Hotspot 1: Hotmap Vale").iloc[0]


def test_client_counts_are_suppressed_in_every_export(ws, tmp_path):
    out = _run(ws, tmp_path, "area_counts")
    lyr = out["clients"]
    raw = lyr.data["young_people_in_treatment"]
    assert ((raw > 0) & (raw < 5)).any()
    safe, _ = apply_rules([lyr], DisclosureRules())
    shown = safe[0].data["young_people_in_treatment"]
    assert not ((shown > 0) & (shown < 5)).any()


def test_waits_read_a_table_layer_and_filter_it(ws, tmp_path):
    out = _run(ws, tmp_path, "waits", name="young_people_waits")
    t = out["young_people_waits"].data
    ep = pd.read_csv(Path(DEMO_PROJECT).parent / "data" / "treatment_episodes.csv")
    yp = ep[ep["age_group"] == "Young people (under 18)"]
    started = pd.to_datetime(yp["first_intervention_date"], errors="coerce").notna()
    assert len(t) == 1 and t.loc[0, "n"] == int(started.sum())
    m = out["young_people_waits"].meta
    assert m["params"]["target_days"] == 10 and m["sensitive"]
    assert m["filter_text"] == "age group is Young people (under 18)"
    # one table per compared field, each with the overall row first and its groups
    by = out["young_people_waits_gender"].data
    assert by["group"].tolist()[0] == "All" and set(by["group"][1:]) == {"gender"}
    assert by.loc[by["group"] == "gender", "n"].sum() == t.loc[0, "n"]


def test_a_group_hidden_in_a_by_table_cannot_be_worked_out_from_the_others(ws, tmp_path):
    """The groups of one field add up to the overall row: a suppressed group must take a
    second one with it (secondary suppression), which one table per field makes happen."""
    out = _run(ws, tmp_path, "waits", name="adult_waits")
    rules = DisclosureRules()
    for field in ("gender", "ethnicity", "substance"):
        safe, _ = apply_rules([out[f"adult_waits_{field}"]], rules)
        t = safe[0].data
        groups = t[t["group"] != "All"]
        hidden = groups["n"].isna()
        assert hidden.sum() != 1, field
        raw = out[f"adult_waits_{field}"].data
        if ((raw["n"] > 0) & (raw["n"] < 5)).any():
            assert hidden.sum() >= 2, field
