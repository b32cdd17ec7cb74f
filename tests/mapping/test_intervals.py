"""One interval rule for counts and rates: PHE's (exact below 10, Byar from 10), checked
against scipy's chi-squared quantiles and PHE's published Byar formula, never below 0, and
the same in count, funnel and breakdown."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import geopandas as gpd
from shapely.geometry import box

from mapping.stats.intervals import PHE_EXACT_BELOW, poisson_ci
from mapping.stats.rates import area_rates


def _byar_phe(o, z):
    """PHE Technical Guide: Confidence Intervals (2018), Appendix 1, written out."""
    lower = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    return lower, upper


@pytest.mark.parametrize("level", [0.95, 0.998])
def test_phe_rule_against_scipy_and_the_published_byar_formula(level):
    o = np.arange(0, 301, dtype=float)
    lo, hi = poisson_ci(o, level)
    a = 1 - level
    small = o < 10
    ex_lo = np.where(o == 0, 0.0, stats.chi2.ppf(a / 2, 2 * o) / 2)
    ex_hi = stats.chi2.ppf(1 - a / 2, 2 * o + 2) / 2
    assert_allclose(lo[small], ex_lo[small], rtol=1e-12)
    assert_allclose(hi[small], ex_hi[small], rtol=1e-12)
    b_lo, b_hi = _byar_phe(o[~small], stats.norm.ppf(1 - a / 2))
    assert_allclose(lo[~small], b_lo, rtol=1e-12)
    assert_allclose(hi[~small], b_hi, rtol=1e-12)
    assert PHE_EXACT_BELOW == 10


def test_never_below_zero_and_nothing_clamped_at_998():
    """At 99.8% Byar's lower limit is negative for 1 event; the rule gives the exact limit
    (positive) there, and from 10 events Byar's own value is already positive."""
    z = stats.norm.ppf(0.999)
    raw_lo, _ = _byar_phe(np.array([1.0]), z)
    assert raw_lo[0] < 0                         # what Byar alone would give (then clamped)
    o = np.arange(0, 1001, dtype=float)
    lo, hi = poisson_ci(o, 0.998)
    assert (lo[1:] > 0).all() and lo[0] == 0 and (hi > lo).all()
    assert lo[1] == pytest.approx(stats.chi2.ppf(0.001, 2) / 2, rel=1e-12)
    assert (_byar_phe(o[10:], z)[0] > 0).all()


def test_count_funnel_and_breakdown_give_the_same_rate_limits():
    """The same counts and populations through count, funnel and breakdown: the same rate
    intervals (2 events: the exact interval; 14 events: Byar)."""
    from mapping.audit.demographics import breakdown
    from mapping.audit.funnel import funnel_table

    counts = np.array([0, 2, 9, 14, 40])
    pops = np.array([1500.0, 1600.0, 2100.0, 1400.0, 1900.0])
    areas = gpd.GeoDataFrame({"code": list("abcde"), "pop": pops},
                             geometry=[box(i, 0, i + 1, 1) for i in range(5)], crs="EPSG:27700")
    rates = area_rates(areas, None, "code", population="pop", counts=counts)
    fun = funnel_table(areas.assign(count=counts), count="count", population="pop", name="code")
    recs = pd.DataFrame({"ethnicity": np.repeat(list("abcde"), counts)})
    bd = breakdown(recs, "ethnicity", threshold=0,
                   population=pd.DataFrame({"ethnicity": list("abcde"), "population": pops}))
    bd = bd.set_index("group").reindex(list("abcde"))
    ref_lo, ref_hi = poisson_ci(counts, 0.95)
    for lo, hi in ((rates["rate_lcl"], rates["rate_ucl"]),
                   (fun["rate_ci_low"], fun["rate_ci_high"]),
                   (bd["rate_ci_low"], bd["rate_ci_high"])):
        assert_allclose(np.asarray(lo, float), ref_lo / pops * 1e4, rtol=1e-12)
        assert_allclose(np.asarray(hi, float), ref_hi / pops * 1e4, rtol=1e-12)
    two = stats.chi2.ppf(0.025, 4) / 2 / 1600 * 1e4
    assert rates["rate_lcl"].iloc[1] == pytest.approx(two, rel=1e-12)
    assert "exact Poisson below 10 events, Byar from 10" in rates.attrs["meta"]["method"]


def test_level_stated_exactly():
    areas = gpd.GeoDataFrame({"code": ["a"], "pop": [1000.0]}, geometry=[box(0, 0, 1, 1)],
                             crs="EPSG:27700")
    out = area_rates(areas, None, "code", population="pop", counts=[3], confidence=0.998)
    assert "99.8% confidence limits" in out.attrs["meta"]["method"]
