"""Road-network distances: hand-worked graphs, agreement with a brute-force Dijkstra."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from shapely.geometry import LineString, MultiLineString, Point, box

from layers.common.errors import InputError
from mapping.stats.coverage import coverage
from mapping.stats.network import build_network, network_nearest, network_pairs

CRS = "EPSG:27700"


@pytest.fixture
def ell():
    """An L of two features sharing (1000, 0), plus a separate island segment far away."""
    roads = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (500, 0), (1000, 0)]),
                                       LineString([(1000, 0), (1000, 1000)]),
                                       LineString([(9000, 9000), (9100, 9000)])], crs=CRS)
    return build_network(roads)


def test_build_merges_shared_vertices(ell):
    assert ell.n_nodes == 6
    assert ell.graph.nnz == 2 * 4  # undirected: each of 4 segments stored both ways


def test_pairs_follow_the_road_not_the_crow(ell):
    origins = np.array([[0.0, 10.0]])  # snaps to (0, 0), leg 10 m
    services = np.array([[1000.0, 1010.0], [500.0, 30.0]])  # legs 10 m and 30 m
    i, j, d = network_pairs(ell, origins, services, 2500)
    got = dict(zip(j.tolist(), d.tolist()))
    assert_allclose(got[0], 10 + 2000 + 10)  # Euclidean would be ~1414 m
    assert_allclose(got[1], 10 + 500 + 30)
    i, j, d = network_pairs(ell, origins, services, 1500)
    assert j.tolist() == [1]  # the far corner is beyond 1500 network metres


def test_nearest_picks_by_total_cost_including_snap_legs(ell):
    origins = np.array([[0.0, 10.0], [9050.0, 9000.0]])
    # service 0 joins the road at (1000, 0) by a 1500 m leg:
    # 10 + 1000 + 1500 = 2510; service 1 is 10 m from (1000, 1000): 10 + 2000 + 10 = 2020
    services = np.array([[1000.0, -1500.0], [1000.0, 1010.0]])
    d, j = network_nearest(ell, origins, services)
    assert_allclose(d[0], 10 + 1000 + 1000 + 10)
    assert j[0] == 1
    assert np.isinf(d[1]) and j[1] == -1  # the island has no service


def test_random_network_matches_brute_force_dijkstra():
    from scipy.sparse.csgraph import dijkstra

    rng = np.random.default_rng(5)
    pts = rng.uniform(0, 5000, size=(40, 2))
    # a connected random network: each point linked to its 3 nearest
    from scipy.spatial import cKDTree

    _, nn = cKDTree(pts).query(pts, k=4)
    lines = [LineString([pts[a], pts[b]]) for a in range(40) for b in nn[a, 1:]]
    net = build_network(gpd.GeoDataFrame(geometry=lines, crs=CRS))
    origins = rng.uniform(0, 5000, size=(25, 2))
    services = rng.uniform(0, 5000, size=(6, 2))
    i, j, d = network_pairs(net, origins, services, 3000)
    so, ko = net.tree.query(origins)
    ss, ks = net.tree.query(services)
    full = dijkstra(net.graph, directed=False)
    ref = full[ko][:, ks] + so[:, None] + ss[None, :]
    want = {(a, b): ref[a, b] for a, b in zip(*np.nonzero(ref <= 3000))}
    got = {(a, b): v for a, b, v in zip(i, j, d)}
    assert set(got) == set(want)
    assert_allclose([got[k] for k in want], [want[k] for k in want])
    dn, jn = network_nearest(net, origins, services)
    assert_allclose(dn, ref.min(axis=1))
    assert_allclose(ref[np.arange(25), jn], ref.min(axis=1))


def test_coverage_with_network_uses_road_distance(ell):
    areas = gpd.GeoDataFrame({"id": ["a"], "pop": [100]}, geometry=[box(-5, 5, 5, 15)], crs=CRS)
    origins = pd.DataFrame({"id": ["a"], "origin_x": [0.0], "origin_y": [10.0],
                            "origin_method": "given"})
    svc = gpd.GeoDataFrame({"code": ["far"]}, geometry=[Point(1000, 1010)], crs=CRS)
    euclid = coverage(areas, area_id="id", services=svc, origins=origins, catchment=1500,
                      method="2sfca", demand="pop")
    road = coverage(areas, area_id="id", services=svc, origins=origins, catchment=1500,
                    method="2sfca", demand="pop", network=ell)
    assert euclid["services_within_catchment"].item() == 1 and euclid["access"].item() == 0.01
    assert road["services_within_catchment"].item() == 0 and road["access"].item() == 0
    assert_allclose(road["nearest_service_m"], 2020)
    assert "network" in road.attrs["meta"]["params"]["distance"]


def test_bad_networks_are_refused():
    with pytest.raises(InputError, match="no line features"):
        build_network(gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=CRS))
    with pytest.raises(InputError, match="geographic"):
        build_network(gpd.GeoDataFrame(geometry=[LineString([(0, 50), (1, 51)])], crs=4326))


def test_multilinestrings_are_split():
    net = build_network(gpd.GeoDataFrame(
        geometry=[MultiLineString([[(0, 0), (10, 0)], [(10, 0), (10, 10)]])], crs=CRS))
    d, _ = network_nearest(net, np.array([[0.0, 0.0]]), np.array([[10.0, 10.0]]))
    assert_allclose(d, 20)


def test_network_2sfca_matches_pysal_access_on_network_costs():
    """The same network cost table given to PySAL access gives the same 2SFCA and E2SFCA."""
    access = pytest.importorskip("access")
    from scipy.sparse.csgraph import dijkstra
    from scipy.spatial import cKDTree

    from mapping.stats.coverage import two_step_fca

    rng = np.random.default_rng(11)
    pts = rng.uniform(0, 6000, size=(60, 2))
    _, nn = cKDTree(pts).query(pts, k=4)
    net = build_network(gpd.GeoDataFrame(
        geometry=[LineString([pts[a], pts[b]]) for a in range(60) for b in nn[a, 1:]], crs=CRS))
    o = rng.uniform(0, 6000, size=(40, 2))
    s = rng.uniform(0, 6000, size=(10, 2))
    dem = rng.integers(100, 2000, 40).astype(float)
    sup = rng.integers(1, 10, 10).astype(float)
    so, ko = net.tree.query(o)
    ss, ks = net.tree.query(s)
    full = dijkstra(net.graph, directed=False)[ko][:, ks] + so[:, None] + ss[None, :]
    ii, jj = np.nonzero(np.isfinite(full))
    cost = pd.DataFrame({"origin": [f"o{i}" for i in ii], "dest": [f"s{j}" for j in jj],
                         "cost": full[ii, jj]})
    A = access.Access(demand_df=pd.DataFrame({"geoid": [f"o{i}" for i in range(40)], "pop": dem}),
                      demand_index="geoid", demand_value="pop",
                      supply_df=pd.DataFrame({"geoid": [f"s{j}" for j in range(10)], "cap": sup}),
                      supply_index="geoid", supply_value="cap", cost_df=cost,
                      cost_origin="origin", cost_dest="dest", cost_name="cost")
    c = 2500.0
    pairs = network_pairs(net, o, s, c)
    ref = A.two_stage_fca(name="a", max_cost=c)["a_cap"].reindex([f"o{i}" for i in range(40)])
    assert_allclose(two_step_fca(dem, sup, pairs, c)[0], ref.fillna(0), rtol=1e-10)
    from access.weights import step_fn

    ref_e = A.two_stage_fca(name="e", max_cost=c, weight_fn=step_fn({c / 3: 1, 2 * c / 3: 0.68,
                                                                     c: 0.22}))
    ref_e = ref_e["e_cap"].reindex([f"o{i}" for i in range(40)]).fillna(0)
    assert_allclose(two_step_fca(dem, sup, pairs, c, decay="step")[0], ref_e, rtol=1e-10)
