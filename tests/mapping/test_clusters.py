"""Hotspot clusters and ellipses: CrimeStat's ellipse formula, a cloud of known covariance,
single linkage against scipy, DBSCAN against a brute-force neighbour count."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster, linkage

import shapely
import geopandas as gpd

from layers.common.errors import AnalysisError
from mapping.stats.clusters import cluster_points, hotspot_clusters, nnh_threshold, std_ellipse


def _crimestat(xy):
    """CrimeStat IV's standard deviational ellipse, term by term (Levine 2013, ch. 4)."""
    x, y = xy[:, 0] - xy[:, 0].mean(), xy[:, 1] - xy[:, 1].mean()
    a, b, c = (x ** 2).sum(), (y ** 2).sum(), (x * y).sum()
    theta = math.atan(((a - b) + math.sqrt((a - b) ** 2 + 4 * c ** 2)) / (2 * c))
    n = len(xy)
    sx = math.sqrt(2 * ((x * math.cos(theta) - y * math.sin(theta)) ** 2).sum() / (n - 2))
    sy = math.sqrt(2 * ((x * math.sin(theta) + y * math.cos(theta)) ** 2).sum() / (n - 2))
    return theta, sx, sy


def test_ellipse_equals_crimestats_formula_on_a_small_cloud():
    rng = np.random.default_rng(1)
    xy = rng.normal(0, 1, (25, 2)) @ np.array([[3.0, 1.2], [0.0, 1.0]]) + [450_000, 280_000]
    e = std_ellipse(xy)
    theta, sx, sy = _crimestat(xy)
    assert sorted([e["sx"], e["sy"]]) == pytest.approx(sorted([sx, sy]))
    # CrimeStat's θ rotates the y axis clockwise; its σx lies along (cos θ, −sin θ)
    major_dir = (math.cos(theta), -math.sin(theta)) if sx >= sy else (math.sin(theta),
                                                                      math.cos(theta))
    ang = math.degrees(math.atan2(major_dir[0], major_dir[1])) % 180
    assert e["angle_deg"] == pytest.approx(ang)
    assert (e["cx"], e["cy"]) == pytest.approx(tuple(xy.mean(0)))


def test_ellipse_of_a_cloud_with_known_covariance():
    # major axis 30° clockwise from north, sd 200 m along it and 50 m across
    rng = np.random.default_rng(2)
    n = 200_000
    a = math.radians(30)
    u, v = np.array([math.sin(a), math.cos(a)]), np.array([math.cos(a), -math.sin(a)])
    xy = np.outer(rng.normal(0, 200, n), u) + np.outer(rng.normal(0, 50, n), v)
    e = std_ellipse(xy)
    assert e["angle_deg"] == pytest.approx(30, abs=0.3)
    assert e["sx"] == pytest.approx(200 * math.sqrt(2), rel=0.01)
    assert e["sy"] == pytest.approx(50 * math.sqrt(2), rel=0.01)


def test_stacked_points_get_the_floor_of_the_axes():
    xy = np.array([[100.0, 100.0]] * 12)
    e = std_ellipse(xy, min_axis_m=100)
    assert e["sx"] == 100 and e["sy"] == 100


def _blobs(seed=0):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal([0, 0], 30, (40, 2)), rng.normal([600, 100], 40, (25, 2)),
                      rng.normal([300, 900], 20, (6, 2)), rng.uniform(-500, 1500, (40, 2))])


def test_nnh_clusters_are_scipys_single_linkage_cut_at_the_threshold():
    xy = _blobs()
    labels = cluster_points(xy, method="nnh", distance=35, min_points=5)
    ref = fcluster(linkage(xy, "single"), t=35, criterion="distance")
    # same partition: every pair is together in one exactly when together in the other,
    # keeping only groups of at least 5
    sizes = pd.Series(ref).value_counts()
    ref_big = np.where(sizes.reindex(ref).to_numpy() >= 5, ref, -1)
    same = labels[:, None] == labels[None, :]
    same_ref = ref_big[:, None] == ref_big[None, :]
    keep = (labels >= 0)[:, None] & (labels >= 0)[None, :]
    assert ((labels >= 0) == (ref_big >= 0)).all()
    assert (same[keep] == same_ref[keep]).all()
    # numbered by size, largest first
    counts = np.bincount(labels[labels >= 0])
    assert (np.diff(counts) <= 0).all()


def test_dbscan_core_points_match_a_brute_force_neighbour_count():
    xy = _blobs(3)
    eps, m = 50.0, 6
    labels = cluster_points(xy, method="dbscan", distance=eps, min_points=m)
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    core = (d <= eps).sum(1) >= m  # the point itself included
    assert (labels[core] >= 0).all()
    border = ~core & ((d <= eps) & core[None, :]).any(1)
    noise = ~core & ~border
    assert (labels[noise] == -1).all() and (labels[border] >= 0).all()
    # each border point is in the cluster of its nearest core point
    for i in np.flatnonzero(border):
        j = np.flatnonzero(core)[np.argmin(d[i, core])]
        assert labels[i] == labels[j]
    # two cores within eps share a cluster
    ci, cj = np.nonzero((d <= eps) & core[:, None] & core[None, :])
    assert (labels[ci] == labels[cj]).all()


def test_dbscan_agrees_with_scikit_learn_on_core_points():
    sk = pytest.importorskip("sklearn.cluster")
    xy = _blobs(4)
    mine = cluster_points(xy, method="dbscan", distance=45, min_points=5)
    ref = sk.DBSCAN(eps=45, min_samples=5).fit(xy)
    core = np.zeros(len(xy), bool)
    core[ref.core_sample_indices_] = True
    assert ((mine == -1) == (ref.labels_ == -1)).all()
    same = mine[core][:, None] == mine[core][None, :]
    assert (same == (ref.labels_[core][:, None] == ref.labels_[core][None, :])).all()


def test_crimestat_threshold_formula():
    area, n = 4e6, 400
    assert nnh_threshold(n, area, p=0.5) == pytest.approx(0.5 * math.sqrt(area / n))
    lower = 0.5 * math.sqrt(area / n) - 1.6448536 * 0.26136 * math.sqrt(area) / n
    assert nnh_threshold(n, area, p=0.05) == pytest.approx(lower, rel=1e-6)


def test_hotspot_polygons_are_named_after_the_area_holding_their_centre():
    xy = _blobs(5)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:27700")
    areas = gpd.GeoDataFrame({"name": ["West", "East"]},
                             geometry=[shapely.box(-600, -600, 300, 1600),
                                       shapely.box(300, -600, 1600, 1600)], crs="EPSG:27700")
    out = hotspot_clusters(pts, distance=40, min_points=10, areas=areas, area_name="name")
    assert out["name"].tolist()[:2] == ["Hotspot 1: West", "Hotspot 2: East"]
    assert out["n_events"].iloc[0] >= 40
    assert out.geometry.iloc[0].contains(shapely.Point(0, 0))
    assert out["area_km2"].iloc[0] == pytest.approx(
        math.pi * out["sx_m"].iloc[0] * out["sy_m"].iloc[0] / 1e6, rel=0.01)
    assert out.attrs["meta"]["count_columns"] == ["n_events"]
    with pytest.raises(AnalysisError, match="needs a distance"):
        hotspot_clusters(pts, method="dbscan")
