"""Coverage: nearest service, catchment counts, 2SFCA/E2SFCA by hand, against PySAL access, Bristol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from shapely.geometry import Point, Polygon, box

from layers.common.errors import InputError
from mapping.stats.coverage import (coverage, decay_weights, nearest_service, service_pairs,
                              services_in_flagged_areas, two_step_fca)
from tests.conftest import shared_path

CRS = "EPSG:27700"


@pytest.fixture
def hand():
    """Three areas (origins given) and two services, distances worked by hand.

    O1 (0,0), O2 (1000,0), O3 (5000,0); S1 (0,600) capacity 10, S2 (3000,0) capacity 5.
    d(O1,S1) = 600, d(O2,S1) = sqrt(1000^2 + 600^2) = 1166.19, d(O2,S2) = d(O3,S2) = 2000.
    """
    areas = gpd.GeoDataFrame({"id": ["a", "b", "c"], "pop": [100, 300, 50]},
                             geometry=[box(x - 50, -50, x + 50, 50) for x in (0, 1000, 5000)],
                             crs=CRS)
    origins = pd.DataFrame({"id": ["a", "b", "c"], "origin_x": [0.0, 1000.0, 5000.0],
                            "origin_y": [0.0, 0.0, 0.0], "origin_method": "given"})
    services = gpd.GeoDataFrame({"code": ["S1", "S2"], "cap": [10, 5]},
                                geometry=[Point(0, 600), Point(3000, 0)], crs=CRS)
    return areas, origins, services


def test_nearest_and_catchment_by_hand(hand):
    areas, origins, services = hand
    out = coverage(areas, area_id="id", services=services, origins=origins, catchment=1500,
                   service_id="code")
    assert list(out.columns[:1]) == ["id"]
    for c in ("origin_x", "origin_y", "nearest_service_m", "services_within_catchment"):
        assert c in out.columns
    assert_allclose(out["nearest_service_m"], [600, np.hypot(1000, 600), 2000])
    assert out["nearest_service"].tolist() == ["S1", "S1", "S2"]
    assert out["services_within_catchment"].tolist() == [1, 1, 0]
    assert out["services_within_catchment"].dtype.kind == "i"
    meta = out.attrs["meta"]
    assert meta["params"]["catchment_m"] == 1500 and "metres" in meta["units"]


def test_2sfca_by_hand(hand):
    areas, origins, services = hand
    out = coverage(areas, area_id="id", services=services, origins=origins, catchment=1500,
                   method="2sfca", demand="pop", capacity="cap")
    # S1 serves a (100) and b (300): R1 = 10 / 400; S2 reaches nobody within 1500 m
    assert_allclose(out["access"], [0.025, 0.025, 0.0])
    assert_allclose(out["access_per_1000"], [25.0, 25.0, 0.0])
    assert out.attrs["meta"]["value_column"] == "access_per_1000"
    assert any("Luo W, Wang F (2003)" in r for r in out.attrs["meta"]["references"])


def test_e2sfca_step_weights_by_hand(hand):
    areas, origins, services = hand
    out = coverage(areas, area_id="id", services=services, origins=origins, catchment=1500,
                   method="e2sfca", demand="pop", capacity="cap")
    # zones 0-500 (1), 500-1000 (0.68), 1000-1500 (0.22): a at 600 m -> 0.68, b at 1166 m -> 0.22
    r1 = 10 / (0.68 * 100 + 0.22 * 300)
    assert_allclose(out["access"], [0.68 * r1, 0.22 * r1, 0.0])
    assert any("Luo W, Qi Y (2009)" in r for r in out.attrs["meta"]["references"])


def test_pairs_inclusive_and_coincident():
    o = np.array([[0.0, 0.0], [10.0, 0.0]])
    s = np.array([[0.0, 0.0], [0.0, 100.0]])
    i, j, d = service_pairs(o, s, 100.0)
    got = sorted(zip(i.tolist(), j.tolist(), np.round(d, 6).tolist()))
    assert got == [(0, 0, 0.0), (0, 1, 100.0), (1, 0, 10.0)]


def test_nearest_without_services():
    d, j = nearest_service(np.zeros((2, 2)), np.zeros((0, 2)))
    assert np.isinf(d).all() and (j == -1).all()


def test_zero_demand_catchment_gives_zero_ratio():
    a, r = two_step_fca([0.0, 10.0], [5.0, 5.0], ([0, 1], [0, 1], [1.0, 1.0]), 10)
    assert_allclose(r, [0.0, 0.5])
    assert_allclose(a, [0.0, 0.5])


def test_errors_name_the_fix(hand):
    areas, origins, services = hand
    with pytest.raises(InputError, match="demand"):
        coverage(areas, area_id="id", services=services, origins=origins, method="2sfca")
    with pytest.raises(InputError, match="unknown coverage method"):
        coverage(areas, area_id="id", services=services, method="gravity")
    with pytest.raises(InputError, match="geographic"):
        coverage(areas.to_crs(4326), area_id="id", services=services.to_crs(4326))
    with pytest.raises(InputError, match="capacity"):
        coverage(areas, area_id="id", services=services, capacity="places")
    with pytest.raises(InputError, match="decay"):
        decay_weights([1.0], 10, "cubic")
    broken = areas.copy()
    broken.loc[1, "geometry"] = Polygon()
    with pytest.raises(InputError, match=r"1 areas have an empty or invalid location \(e.g. 'b'\)"):
        coverage(broken, area_id="id", services=services)


def _random_case(seed, n=60, m=15):
    rng = np.random.default_rng(seed)
    o = rng.uniform(0, 10_000, size=(n, 2))
    s = rng.uniform(0, 10_000, size=(m, 2))
    dem = rng.integers(0, 3000, size=n).astype(float)
    sup = rng.integers(1, 20, size=m).astype(float)
    return o, s, dem, sup


def _access_reference(o, s, dem, sup, catchment, weight_fn=None):
    access = pytest.importorskip("access")
    demand_df = pd.DataFrame({"geoid": [f"o{i}" for i in range(len(o))], "pop": dem})
    supply_df = pd.DataFrame({"geoid": [f"s{j}" for j in range(len(s))], "cap": sup})
    ii, jj = np.meshgrid(np.arange(len(o)), np.arange(len(s)), indexing="ij")
    cost = pd.DataFrame({"origin": [f"o{i}" for i in ii.ravel()],
                         "dest": [f"s{j}" for j in jj.ravel()],
                         "cost": np.hypot(*(o[ii.ravel()] - s[jj.ravel()]).T)})
    A = access.Access(demand_df=demand_df, demand_index="geoid", demand_value="pop",
                      supply_df=supply_df, supply_index="geoid", supply_value="cap",
                      cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost")
    res = A.two_stage_fca(name="x", max_cost=catchment, weight_fn=weight_fn)
    return res["x_cap"].reindex(demand_df["geoid"]).fillna(0).to_numpy()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_2sfca_matches_pysal_access(seed):
    o, s, dem, sup = _random_case(seed)
    mine, _ = two_step_fca(dem, sup, service_pairs(o, s, 2500), 2500)
    assert_allclose(mine, _access_reference(o, s, dem, sup, 2500), rtol=1e-10, atol=1e-15)


def test_e2sfca_matches_pysal_access_step_and_gaussian():
    weights = pytest.importorskip("access.weights")
    o, s, dem, sup = _random_case(7)
    c = 3000.0
    mine, _ = two_step_fca(dem, sup, service_pairs(o, s, c), c, decay="step")
    ref = _access_reference(o, s, dem, sup, c,
                            weights.step_fn({c / 3: 1.0, 2 * c / 3: 0.68, c: 0.22}))
    assert_allclose(mine, ref, rtol=1e-10, atol=1e-15)
    mine_g, _ = two_step_fca(dem, sup, service_pairs(o, s, c), c, decay="gaussian", sigma=1200)
    ref_g = _access_reference(o, s, dem, sup, c, weights.gaussian(1200))
    assert_allclose(mine_g, ref_g, rtol=1e-10, atol=1e-15)


def test_services_in_flagged_areas(hand):
    areas, _, _ = hand
    areas = areas.assign(most_deprived_20=[True, False, False])
    svc = gpd.GeoDataFrame({"code": ["in", "out"]}, geometry=[Point(10, 10), Point(1000, 0)],
                           crs=CRS)
    got = services_in_flagged_areas(svc, areas, area_id="id", flag="most_deprived_20")
    assert got["code"].tolist() == ["in"] and got["id"].tolist() == ["a"]


# --- real data: Bristol LSOAs, pharmacies open Oct 2018 - Jan 2019 -----------------------

def bristol_areas():
    """Bristol LSOAs joined to IMD 2019 deciles, mySociety scores and mid-2019 population."""
    from boundaries import load_boundaries
    from boundaries.deprivation import deprivation_flags, read_imd
    from boundaries.population import read_population

    lsoa = load_boundaries(shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson")).accepted
    imd = read_imd([shared_path("imd", "imd2019_england_lsoa11_deciles_ranks.csv"),
                    shared_path("imd", "mysociety_UK_IMD_E_2019scores_all_uk.csv")])
    pop = read_population(shared_path("population", "mysociety_lsoa_population_mid2019_uk.csv"))
    a = lsoa.merge(imd, left_on="LSOA11CD", right_on="lsoa_code").merge(
        pop, left_on="LSOA11CD", right_on="code").reset_index(drop=True)
    return pd.concat([a, deprivation_flags(a["imd_decile"])], axis=1)


def bristol_pharmacies(start="2018-10-01", end="2019-01-31"):
    """ODS pharmacies open in the period, geocoded with Code-Point Open (BS area)."""
    hdr = pd.read_csv(shared_path("postcodes", "codepoint_open_column_headers.csv")).columns
    cp = pd.read_csv(shared_path("postcodes", "codepoint_open_2018-08_bs.csv"), header=None,
                     names=list(hdr))
    cp["pc"] = cp["PC"].str.replace(" ", "").str.upper()
    ph = pd.read_csv(shared_path("services", "nhs_ods_edispensary_2025-04.csv"), header=None,
                     dtype=str, keep_default_na=False)
    ph = ph[[0, 1, 9, 10, 11, 12]].set_axis(["code", "name", "postcode", "open", "close",
                                             "status"], axis=1)
    ph["pc"] = ph["postcode"].str.replace(" ", "").str.upper()
    op = pd.to_datetime(ph["open"], format="%Y%m%d", errors="coerce")
    cl = pd.to_datetime(ph["close"], format="%Y%m%d", errors="coerce")
    ph = ph[(op <= pd.Timestamp(end)) & (cl.isna() | (cl >= pd.Timestamp(start)))]
    ph = ph.merge(cp[["pc", "EA", "NO"]], on="pc")
    return gpd.GeoDataFrame(ph, geometry=gpd.points_from_xy(ph["EA"], ph["NO"]), crs=CRS)


def test_bristol_pharmacy_coverage_matches_access_and_brute_force():
    areas = bristol_areas()
    svc = bristol_pharmacies()
    assert len(areas) == 263 and areas["population"].sum() == 463_377
    inside = services_in_flagged_areas(svc, areas.assign(all=True), area_id="LSOA11CD", flag="all")
    # README: 174 pharmacies of any date fall in Bristol; fewer were open in the study period
    assert 80 <= len(inside) < 174
    assert (pd.to_datetime(svc["open"], format="%Y%m%d") <= "2019-01-31").all()
    out = coverage(areas, area_id="LSOA11CD", services=svc, demand="population",
                   method="2sfca", catchment=1600, service_id="code")
    # brute force nearest distance from the origins
    o = out[["origin_x", "origin_y"]].to_numpy()
    s = np.column_stack([svc.geometry.x, svc.geometry.y])
    full = np.hypot(o[:, None, 0] - s[None, :, 0], o[:, None, 1] - s[None, :, 1])
    assert_allclose(out["nearest_service_m"], full.min(axis=1))
    assert (out["services_within_catchment"].to_numpy() == (full <= 1600).sum(axis=1)).all()
    # origins lie inside their own LSOA
    assert areas.geometry.contains(gpd.GeoSeries(gpd.points_from_xy(o[:, 0], o[:, 1]), crs=CRS),
                                   align=False).all()
    # 2SFCA against PySAL access on the real data
    ref = _access_reference(o, s, areas["population"].to_numpy(float), np.ones(len(s)), 1600)
    assert_allclose(out["access"], ref, rtol=1e-10)
    md = areas["most_deprived_20"].to_numpy()
    med_dep, med_rest = np.median(out["nearest_service_m"][md]), np.median(out["nearest_service_m"][~md])
    assert 100 < med_dep < 1500 and 100 < med_rest < 1500
