"""Roll-up of counts and populations from LSOAs to wards, rates recomputed (issue 17)."""

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
from scipy import stats
from shapely.geometry import Point, box

from layers.common.errors import InputError
from mapping.stats.rates import area_rates
from mapping.stats.rollup import rollup_rates

X0, Y0 = 358000.0, 172000.0


def _lsoas():
    """Eight 1 km LSOAs in a 4 x 2 block, with populations."""
    polys = [box(X0 + i * 1000, Y0 + j * 1000, X0 + (i + 1) * 1000, Y0 + (j + 1) * 1000)
             for j in range(2) for i in range(4)]
    return gpd.GeoDataFrame({"LSOA11CD": [f"E0100000{k}" for k in range(1, 9)],
                             "pop": [1500.0, 1600, 1700, 1800, 1400, 1300, 1200, 1100]},
                            geometry=polys, crs=27700)


def _wards(split=2000.0):
    return gpd.GeoDataFrame({"WD13CD": ["E05000001", "E05000002"],
                             "WD13NM": ["West", "East"]},
                            geometry=[box(X0, Y0, X0 + split, Y0 + 2000),
                                      box(X0 + split, Y0, X0 + 4000, Y0 + 2000)], crs=27700)


def _points():
    rng = np.random.default_rng(5)
    xy = np.c_[rng.uniform(0, 4000, 300), rng.uniform(0, 2000, 300)]
    xy = np.r_[xy, np.tile([[500.0, 500.0]], (40, 1))]  # stacked on one snap point
    return gpd.GeoDataFrame({"w": rng.uniform(0.5, 30, len(xy)).round(1)},
                            geometry=[Point(X0 + x, Y0 + y) for x, y in xy], crs=27700)


def _lsoa_counts():
    lsoa = _lsoas()
    return area_rates(lsoa, _points(), "LSOA11CD", population="pop")


def test_roll_up_of_nested_areas_equals_counting_on_the_wards():
    small = _lsoa_counts()
    wards = _wards()
    out = rollup_rates(small, wards, small_code="LSOA11CD", large_code="WD13CD")
    # independent: count the same points directly in the wards, with the summed populations
    # worked out by hand (West = LSOAs 1, 2, 5, 6; East = 3, 4, 7, 8)
    pop = pd.Series({"E05000001": 1500 + 1600 + 1400 + 1300,
                     "E05000002": 1700 + 1800 + 1200 + 1100}, dtype=float)
    direct = area_rates(wards, _points(), "WD13CD", population=pop)
    assert out["count"].tolist() == direct["count"].tolist()
    assert out["population"].tolist() == [5800.0, 5800.0]
    np.testing.assert_allclose(out["rate_per_10k"], direct["count"] / 5800 * 10000)
    np.testing.assert_allclose(out[["rate_lcl", "rate_ucl"]], direct[["rate_lcl", "rate_ucl"]])
    # the limits are those of a Poisson count on the sums (scipy's exact limits, within the
    # accuracy of the approximation rates.py uses for counts of this size)
    for c, lo, hi in zip(out["count"], out["rate_lcl"], out["rate_ucl"]):
        ex_lo, ex_hi = stats.chi2.ppf(0.025, 2 * c) / 2, stats.chi2.ppf(0.975, 2 * c + 2) / 2
        assert lo * 5800 / 1e4 == pytest.approx(ex_lo, rel=0.02)
        assert hi * 5800 / 1e4 == pytest.approx(ex_hi, rel=0.02)
    assert out["WD13NM"].tolist() == ["West", "East"] and out["population_complete"].all()
    r = out.attrs["rollup"]
    assert r["method"] == "best fit" and r["unmatched_area_share"] == pytest.approx(0.0)
    assert r["n_small"] == {"E05000001": 4, "E05000002": 4}
    assert out.attrs["meta"]["base_n"] == int(small["count"].sum())


def test_best_fit_is_the_largest_overlap_and_the_unmatched_share_is_reported():
    small = _lsoa_counts()
    out = rollup_rates(small, _wards(split=2400.0), small_code="LSOA11CD",
                       large_code="WD13CD")
    lk = out.attrs["rollup"]["lookup"].set_index("small_code")
    # LSOAs 3 and 7 (x 2000-3000) have 40% in West and 60% in East: they go East
    assert lk.loc["E01000003", "large_code"] == "E05000002"
    assert lk.loc["E01000003", "overlap_share"] == pytest.approx(0.6)
    assert out.attrs["rollup"]["unmatched_area_share"] == pytest.approx(0.8e6 / 8e6)
    assert any("10.00%" in n for n in out.attrs["meta"]["notes"])
    assert out["count"].sum() == small["count"].sum()  # nothing lost


def test_lookup_with_ons_column_names(tmp_path):
    small = _lsoa_counts()
    wards = _wards().rename(columns={"WD13CD": "WD19CD"})
    p = tmp_path / "lsoa_ward.csv"
    p.write_text("LSOA11CD,LSOA11NM,WD19CD,WD19NM,LAD19CD\n" + "".join(
        f"E0100000{k},L{k},{'E05000001' if k in (1, 2, 5, 6) else 'E05000002'},W,E06000023\n"
        for k in range(1, 8)))  # LSOA 8 is missing from the lookup
    out = rollup_rates(small, wards, small_code="LSOA11CD", large_code="WD19CD", lookup=p)
    assert out.attrs["rollup"]["method"] == "lookup"
    assert out.attrs["rollup"]["unassigned"] == ["E01000008"]
    missing = int(small.loc[small["LSOA11CD"] == "E01000008", "count"].iloc[0])
    assert out["count"].sum() + missing == small["count"].sum()
    assert any(f"({missing} events) lie in no large area" in n
               for n in out.attrs["meta"]["notes"])


def test_a_ward_with_an_lsoa_lacking_population_gets_no_rate():
    small = _lsoa_counts()
    small.loc[small["LSOA11CD"] == "E01000003", "population"] = np.nan
    out = rollup_rates(small, _wards(), small_code="LSOA11CD", large_code="WD13CD",
                       level_name="Wards (2013)")
    east = out.set_index("WD13CD").loc["E05000002"]
    assert not east["population_complete"] and np.isnan(east["rate_per_10k"])
    assert np.isnan(east["population"])  # never a partial sum
    assert out.set_index("WD13CD").loc["E05000001", "population"] == 5800.0
    notes = out.attrs["meta"]["notes"]
    assert any("1 Wards (2013) lack a population" in n and "E05000002" in n for n in notes)
    assert out.attrs["rollup"]["lacking_population"] == ["E05000002"]


def test_summed_quantities_roll_up_with_their_rate():
    from mapping.stats.quantities import area_sums

    small = area_sums(_lsoas(), _points(), "LSOA11CD", "w", population="pop", units="grams")
    out = rollup_rates(small, _wards(), small_code="LSOA11CD", large_code="WD13CD",
                       sums=["w_sum"])
    pts = _points()
    west = pts[pts.geometry.x < X0 + 2000]["w"].sum()
    assert out["w_sum"].iloc[0] == pytest.approx(west)
    assert out["w_per_10k"].iloc[0] == pytest.approx(west / 5800 * 1e4)
    assert "w_sum" in out.attrs["meta"]["rate_columns"]  # suppressed with its count


def test_bad_columns_are_input_errors():
    with pytest.raises(InputError, match="no column 'cnt'"):
        rollup_rates(_lsoa_counts(), _wards(), small_code="LSOA11CD", large_code="WD13CD",
                     count="cnt")
    with pytest.raises(InputError, match="no population column"):
        rollup_rates(_lsoa_counts().drop(columns="population"), _wards(),
                     small_code="LSOA11CD", large_code="WD13CD")


def test_ward_funnel_works_after_a_roll_up_step_and_not_before():
    """The project steps: a ward funnel needs a ward population, which the roll-up gives."""
    from layers.common.errors import ProjectError
    from mapping.pipeline import StepContext, get_step

    lsoa = _lsoas().rename(columns={"pop": "population"})
    ctx = StepContext(layers={"lsoa": lsoa, "wards": _wards(), "events": _points()},
                      meta={"lsoa": {"code_field": "LSOA11CD"},
                            "wards": {"code_field": "WD13CD", "name_field": "WD13NM"},
                            "events": {"sensitive": True}})
    with pytest.raises(ProjectError, match="no population (column|field)"):
        get_step("funnel")(ctx, areas="wards", points="events", name="f0")
    [c] = get_step("count")(ctx, areas="lsoa", points="events", population="population",
                            name="lsoa_rates")
    # as the runner hands results on: the layer's meta, with its sensitivity
    ctx.layers[c.name], ctx.meta[c.name] = c.data, {**c.meta, "sensitive": True}
    [w] = get_step("rollup")(ctx, source="lsoa_rates", to="wards", name="ward_rates")
    assert w.meta["code_field"] == "WD13CD"  # (the runner marks it sensitive, as its input)
    assert w.meta["title"].endswith(", Wards (2013)")
    ctx.layers[w.name], ctx.meta[w.name] = w.data, w.meta
    outs = get_step("funnel")(ctx, areas="ward_rates", count="count", population="population",
                              name="ward_funnel")
    table = outs[0].data
    assert len(table) == 2 and table["population"].tolist() == [5800.0, 5800.0]
