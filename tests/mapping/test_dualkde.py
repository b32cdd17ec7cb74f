"""Dual KDE: population surfaces from areas, a constant rate where events follow people,
and the guard against tiny populations."""

import numpy as np
import pandas as pd
import pytest

import shapely
import geopandas as gpd

from mapping.stats.dualkde import dual_kde, population_surface
from mapping.stats.kde import hotspot_kde, kde_grid


@pytest.fixture
def two_areas():
    """Two 2 km squares side by side: 8,000 residents on the left, 2,000 on the right."""
    return gpd.GeoDataFrame({"code": ["L", "R"], "population": [8000, 2000]},
                            geometry=[shapely.box(0, 0, 2000, 2000),
                                      shapely.box(2000, 0, 4000, 2000)], crs="EPSG:27700")


def test_uniform_population_surface_keeps_the_people_and_their_density(two_areas):
    grid = kde_grid(two_areas.total_bounds, 50)
    surf, info = population_surface(two_areas, grid=grid, bandwidth=300, subsample=4)
    assert info["total_population"] == 10_000 and info["slivers"] == 0
    v = surf.values  # residents per km²; row 0 north
    xs, ys = surf.cell_centres()
    centre_l = v[np.argmin(abs(ys - 1000)), np.argmin(abs(xs - 1000))]
    centre_r = v[np.argmin(abs(ys - 1000)), np.argmin(abs(xs - 3000))]
    assert centre_l == pytest.approx(2000, rel=1e-3)  # 8,000 over 4 km²
    assert centre_r == pytest.approx(500, rel=1e-3)
    # with no boundary the kernel keeps every resident
    free, _ = population_surface(two_areas, grid=kde_grid(two_areas.total_bounds, 50, pad=300),
                                 bandwidth=300)
    assert free.total() == pytest.approx(10_000, rel=1e-6)


def test_events_that_follow_the_population_give_a_constant_rate(two_areas):
    rng = np.random.default_rng(0)
    # one event per resident, spread evenly like the residents: 8,000 left, 2,000 right
    left = rng.uniform([0, 0], [2000, 2000], (8000, 2))
    right = rng.uniform([2000, 0], [4000, 2000], (2000, 2))
    xy = np.vstack([left, right])
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:27700")
    res = dual_kde(pts, two_areas, cell_size=50, bandwidth=600, min_population=0)
    xs, ys = res.rate.cell_centres()
    inner = (abs(ys - 1000)[:, None] < 400) & (
        (abs(xs - 1000) < 400) | (abs(xs - 3000) < 400))[None, :]
    rates = res.rate.values[inner]
    # 10,000 events per 10,000 residents on both sides, despite a 4× density difference
    assert np.median(rates) == pytest.approx(10_000, rel=0.03)
    assert np.percentile(rates, 95) < 1.15 * 10_000
    assert res.rate.units == "events per 10,000 residents"
    assert np.isnan(res.rate.values).sum() == np.isnan(res.events.values).sum()  # outside only


def test_tiny_populations_show_no_rate(two_areas):
    two_areas.loc[1, "population"] = 10
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([3000, 1000], [1000, 1000]),
                           crs="EPSG:27700")
    res = dual_kde(pts, two_areas, cell_size=100, bandwidth=300, min_population=50)
    xs, ys = res.rate.cell_centres()
    r = res.rate.values[np.argmin(abs(ys - 1000))]
    assert np.isnan(r[np.argmin(abs(xs - 3000))])  # 10 residents in 4 km²: no rate
    assert np.isfinite(r[np.argmin(abs(xs - 1000))])
    assert "fewer than 50 residents" in res.meta["notes"][0]


def test_population_points_use_the_same_kernel_and_grid(two_areas):
    cents = gpd.GeoDataFrame({"population": [500, 700]},
                             geometry=gpd.points_from_xy([900, 3100], [1000, 1100]),
                             crs="EPSG:27700")
    grid = kde_grid(two_areas.total_bounds, 50)
    surf, info = population_surface(two_areas, grid=grid, bandwidth=400, spread="points",
                                    points=cents)
    ref = hotspot_kde(cents, bandwidth=400, weight="population", grid=grid, boundary=two_areas)
    np.testing.assert_allclose(surf.values, ref.values)
    assert info["total_population"] == 1200


def test_sliver_areas_smaller_than_a_sample_cell_are_kept(two_areas):
    sliver = gpd.GeoDataFrame({"code": ["S"], "population": [30]},
                              geometry=[shapely.box(4000, 0, 4003, 3)], crs="EPSG:27700")
    areas = gpd.GeoDataFrame(
        pd.concat([two_areas, sliver], ignore_index=True), crs="EPSG:27700")
    grid = kde_grid(areas.total_bounds, 50, pad=400)
    surf, info = population_surface(areas, grid=grid, bandwidth=400)
    assert info["slivers"] == 1 and surf.total() == pytest.approx(10_030, rel=1e-6)
