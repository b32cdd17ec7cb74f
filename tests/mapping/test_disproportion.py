"""Disproportionality of a group's make-up against the population."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.stats import binomtest

from layers.common.errors import InputError
from mapping.stats.disproportion import disproportion


@pytest.fixture
def clients():
    # 200 treatment clients: 40 women, 160 men, 10 not recorded
    return pd.DataFrame({"gender": ["Female"] * 40 + ["Male"] * 160 + ["Unknown"] * 10})


@pytest.fixture
def population():
    return pd.DataFrame({"gender": ["Female", "Male"], "population": [5100, 4900]})


def test_shares_ratios_and_flags_by_hand(clients, population):
    t = disproportion(clients, population, category="gender")
    f = t.set_index("category").loc["Female"]
    assert f["group_n"] == 40 and f["population_n"] == 5100
    assert_allclose([f["group_share"], f["population_share"]], [0.2, 0.51])
    assert_allclose(f["ratio"], 0.2 / 0.51)
    ci = binomtest(40, 200).proportion_ci(method="wilson")
    assert_allclose([f["ci_low"], f["ci_high"]], [ci.low / 0.51, ci.high / 0.51])
    assert f["flag"] and f["direction"] == "under"
    m = t.set_index("category").loc["Male"]
    assert m["flag"] and m["direction"] == "over"
    assert t.attrs["meta"]["params"]["not_recorded"] == 10
    assert t.attrs["meta"]["sensitive"] is True
    assert_allclose(t["group_share"].sum(), 1.0)


def test_proportional_group_is_not_flagged(population):
    g = pd.DataFrame({"gender": ["Female"] * 51 + ["Male"] * 49})
    t = disproportion(g, population, category="gender")
    assert not t["flag"].any() and (t["direction"] == "").all()
    assert_allclose(t["ratio"], [1.0, 1.0])


def test_katz_interval_by_hand(clients, population):
    t = disproportion(clients, population, category="gender", method="katz").set_index("category")
    se = np.sqrt(1 / 40 - 1 / 200 + 1 / 5100 - 1 / 10000)
    r = 0.2 / 0.51
    assert_allclose(t.loc["Female", ["ci_low", "ci_high"]].astype(float),
                    [r * np.exp(-1.959964 * se), r * np.exp(1.959964 * se)], rtol=1e-6)


def test_age_bands_with_absent_category():
    g = pd.DataFrame({"age_band": ["18-24"] * 30 + ["25-34"] * 70})
    p = pd.DataFrame({"band": ["18-24", "25-34", "35-44"], "n": [300, 300, 400]})
    t = disproportion(g, p, category="age_band", population_category="band",
                      population_count="n").set_index("category")
    assert t.loc["35-44", "group_n"] == 0 and t.loc["35-44", "direction"] == "under"


def test_errors(clients, population):
    with pytest.raises(InputError, match="ethnicity"):
        disproportion(clients, population, category="ethnicity")
    bad = pd.DataFrame({"gender": ["Female", "Other"]})
    with pytest.raises(InputError, match="not in the population"):
        disproportion(bad, population, category="gender")


def test_a_table_of_counts_gives_what_one_row_per_person_gives(clients, population):
    """NDTMS gives clients per category: a count column must give the same table as the
    same people one row each (the expansion is the independent reference)."""
    per_person = disproportion(clients, population, category="gender")
    counts = clients["gender"].value_counts().rename_axis("gender").reset_index(name="n")
    counts = pd.concat([counts, pd.DataFrame({"gender": ["Not stated", "Female"],
                                              "n": ["7", "0"]})], ignore_index=True)
    table = disproportion(counts, population, category="gender", count="n")
    pd.testing.assert_frame_equal(table, per_person)
    before = per_person.attrs["meta"]["params"]
    assert table.attrs["meta"]["params"]["not_recorded"] == before["not_recorded"] + 7
    assert table.attrs["meta"]["params"]["group_n"] == before["group_n"]


def test_a_count_suppressed_at_source_is_refused(population):
    counts = pd.DataFrame({"gender": ["Female", "Male"], "n": ["3", "*"]})
    with pytest.raises(InputError, match="suppressed at source") as err:
        disproportion(counts, population, category="gender", count="n")
    assert err.value.row == 2
    with pytest.raises(InputError, match="no column 'people'"):
        disproportion(counts, population, category="gender", count="people")
