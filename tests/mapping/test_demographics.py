"""Tests of mapping.audit.demographics: counts, Wilson intervals, suppression, rates, ratios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from layers.common.errors import InputError
from mapping.audit.demographics import age_bands, breakdown, breakdown_display


@pytest.fixture
def people():
    return pd.DataFrame({"gender": ["Male"] * 30 + ["Female"] * 12 + ["Other"] * 3 + [""] * 2,
                         "age": list(range(15, 62)),
                         "ethnicity": ["White"] * 40 + ["Black"] * 7})


def test_wilson_intervals_match_newcombe_1998():
    # Newcombe RG (1998) Stat Med 17:857-872, Table II, method 3 (Wilson score):
    # 81/263 -> 0.2553-0.3662; 15/148 -> 0.0624-0.1605
    df = pd.DataFrame({"g": ["a"] * 81 + ["b"] * 182})
    t = breakdown(df, "g").set_index("group")
    assert_allclose([t.loc["a", "pct_ci_low"], t.loc["a", "pct_ci_high"]], [25.53, 36.62],
                    atol=0.006)
    df2 = pd.DataFrame({"g": ["a"] * 15 + ["b"] * 133})
    t2 = breakdown(df2, "g").set_index("group")
    assert_allclose([t2.loc["a", "pct_ci_low"], t2.loc["a", "pct_ci_high"]], [6.24, 16.05],
                    atol=0.006)


def test_counts_percentages_base_and_suppression(people):
    t = breakdown(people, "gender").set_index("group")
    assert t.loc["Male", "count"] == 30 and t.loc["Female", "count"] == 12
    assert t.loc["Male", "base_n"] == 45  # not-recorded excluded from the base
    assert_allclose(t.loc["Male", "pct"], 30 / 45 * 100)
    assert t.loc["Other", "suppressed"] and t.loc["Other", "display_count"] == "<5"
    assert np.isnan(t.loc["Other", "count"]) and np.isnan(t.loc["Other", "pct"])
    assert t.loc["Not recorded", "display_count"] == "<5"
    assert t.loc["Total", "count"] == 47 and not t.loc["Total", "suppressed"]
    meta = t.attrs["meta"]
    assert meta["base_n"] == 45 and meta["n_not_recorded"] == 2
    assert "Wilson" in meta["method"] and meta["references"]


def test_secondary_suppression_and_threshold():
    df = pd.DataFrame({"g": ["a"] * 3 + ["b"] * 7 + ["c"] * 20})
    t = breakdown(df, "g").set_index("group")
    # only one cell < 5: the next smallest is suppressed too, so the total cannot reveal it
    assert t.loc["a", "suppressed"] and t.loc["b", "suppressed"] and not t.loc["c", "suppressed"]
    t10 = breakdown(df, "g", threshold=10).set_index("group")
    assert t10.loc["b", "display_count"] == "<10"


def test_age_banding(people):
    bands = age_bands([0, 17, 18, 24, 25, 64, 65, 99, "x"])
    assert bands.astype(str).tolist() == ["0-17", "0-17", "18-24", "18-24", "25-34", "55-64",
                                          "65+", "65+", "nan"]
    t = breakdown(people, "age").set_index("group")
    assert list(t.index[:7]) == ["0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
    assert t.loc["25-34", "count"] == 10


def test_rates_and_disproportionality(people):
    pop = {"White": 9000, "Black": 1000}
    t = breakdown(people, "ethnicity", population=pop).set_index("group")
    assert_allclose(t.loc["White", "rate"], 40 / 9000 * 10000)
    from mapping.audit.funnel import poisson_ci

    lo, hi = poisson_ci(7, 0.95, "exact")  # 7 < 10: exact interval
    assert_allclose(t.loc["Black", "rate_ci_low"], lo / 1000 * 10000)
    assert_allclose(t.loc["Black", "rate_ci_high"], hi / 1000 * 10000)
    # ratio of shares: (7/47) / (1000/10000)
    assert_allclose(t.loc["Black", "disproportion_ratio"], (7 / 47) / 0.1)
    assert t.loc["Black", "direction"] in ("over", "")
    assert_allclose(t.loc["Total", "rate"], 47 / 10000 * 10000)
    tab = pd.DataFrame({"ethnic group": ["White", "Black"], "population": ["9,000", "1,000"]})
    t2 = breakdown(people, "ethnicity", population=tab).set_index("group")
    assert_allclose(t2.loc["White", "rate"], t.loc["White", "rate"])


def test_display_table_and_errors(people):
    d = breakdown_display(breakdown(people, "gender"))
    assert d.columns.tolist()[:4] == ["Group", "Count", "% (95% CI)", "Base n"]
    assert (d.loc[d["Group"] == "Other", "Count"] == "<5").all()
    with pytest.raises(InputError, match="no 'disability' column"):
        breakdown(people, "disability")
    with pytest.raises(InputError, match="no 'pop' column"):
        breakdown(people, "gender", population=pd.DataFrame({"g": ["Male"]}),
                  population_column="pop")


def test_filter(people):
    t = breakdown(people, "gender", filter="age >= 40").set_index("group")
    assert t.loc["Total", "count"] == 22



def test_a_breakdown_follows_the_projects_threshold_and_names_its_field_in_words():
    """Threshold 0 (disclosure off) shows small groups as they are (it used to become 5);
    the summary and chart say "age band", not "age_band"."""
    from layers.project import AnalysisStep
    from boundaries.workspace import Workspace
    from mapping.pipeline.policy import Policy
    from mapping.pipeline.runner import run_step
    from resources.demo import DEMO_PROJECT

    ws = Workspace.open(DEMO_PROJECT)
    step = AnalysisStep(name="few", kind="breakdown",
                        params={"records": "arrests", "by": ["ethnicity", "age_band"],
                                "filter": "age_band == '55+'", "units": "arrests"})
    seen = {}
    for thr in (0, 5):
        out = {lyr.name: lyr for lyr in run_step(ws, step, policy=Policy.from_table(
            {"threshold": thr}))}
        tab = out["few_ethnicity"].data
        groups = tab[tab["group"] != "Total"]
        seen[thr] = groups["display_count"].astype(str).tolist()
        assert "age band: " in out["few_age_band"].meta["summary"][0]
        assert out["few_age_band_chart"].meta["title"].endswith(" by age band")
    truth = ws.layers["arrests"].data.query("age_band == '55+'")["ethnicity"].value_counts()
    assert (truth < 5).any()  # the case this test is about: some groups are small
    assert seen[0] == [str(truth[g]) for g in groups["group"]]
    assert "<5" in seen[5]
