"""Empirical Bayes smoothed rates against esda's smoothers, Marshall's formula by hand, and
the small-numbers warning on Bristol LSOAs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from shapely.geometry import box

from layers.common.errors import AnalysisError
from mapping.stats.rates import area_rates
from mapping.stats.smoothing import smooth_rates
from tests.conftest import bristol_drug_counts, shared_path

CRS = "EPSG:27700"


@pytest.fixture(scope="module")
def bristol():
    from boundaries.population import read_population

    lsoa = bristol_drug_counts().reset_index(drop=True)
    pop = read_population(shared_path("population", "mysociety_lsoa_population_mid2019_uk.csv"),
                          code_field="lsoa", value_field="pop").set_index("code")["population"]
    lsoa["population"] = pop.reindex(lsoa["LSOA11CD"]).to_numpy(float)
    return lsoa


def test_global_eb_by_hand_marshall():
    """Four areas: m = 20/4000; v = sum b (r - m)^2 / sum b - m / mean b; shrink by v/(v + m/b)."""
    e = np.array([0.0, 2.0, 3.0, 15.0])
    b = np.array([500.0, 1000.0, 1000.0, 1500.0])
    m = 20 / 4000
    r = e / b
    v = (b * (r - m) ** 2).sum() / 4000 - m / 1000
    assert v > 0
    got, info = smooth_rates(e, b, method="global")
    assert_allclose(got, m + (r - m) * v / (v + m / b), rtol=1e-12)
    assert info["reference_rate"] == pytest.approx(m)


def test_global_eb_equals_esda_on_bristol(bristol):
    from esda.smoothing import Empirical_Bayes

    e, b = bristol["drugs"].to_numpy(float), bristol["population"].to_numpy(float)
    got, info = smooth_rates(e, b, method="global")
    assert info["variance"] > 0
    assert_allclose(got, Empirical_Bayes(e, b).r.ravel(), rtol=1e-12)
    # large areas keep more of their own rate than small ones: shrinkage is towards m
    assert np.all(np.abs(got - info["reference_rate"]) <= np.abs(e / b - info["reference_rate"])
                  + 1e-15)


def test_global_eb_no_excess_variation_gives_the_overall_rate():
    """Rates that vary less than Poisson noise: Marshall's variance estimate is negative and
    is set to 0, so every area gets the overall rate (esda would give negative weights)."""
    from esda.smoothing import Empirical_Bayes

    e = np.array([10.0, 11.0, 9.0, 10.0])
    b = np.full(4, 1000.0)
    got, info = smooth_rates(e, b, method="global")
    assert info["variance"] < 0
    assert_allclose(got, 0.01)
    assert not np.allclose(Empirical_Bayes(e, b).r.ravel(), 0.01)


@pytest.mark.parametrize("method", ["local", "spatial"])
def test_local_and_spatial_equal_esda_with_libpysal_weights(bristol, method):
    """Against esda's Spatial_Empirical_Bayes / Spatial_Rate with libpysal's own fuzzy queen
    weights (polygons buffered by 1 m: boundaries within 2 m)."""
    from esda.smoothing import Spatial_Empirical_Bayes, Spatial_Rate
    from libpysal.weights import fuzzy_contiguity

    e, b = bristol["drugs"].to_numpy(float), bristol["population"].to_numpy(float)
    got, info = smooth_rates(e, b, method=method, areas=bristol)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = fuzzy_contiguity(bristol[["geometry"]].copy(), buffering=True, buffer=1.0)
    w.id_order = list(bristol.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        ref = (Spatial_Empirical_Bayes if method == "local" else Spatial_Rate)(e, b, w).r.ravel()
    fin = np.isfinite(ref)
    assert_allclose(got[fin], ref[fin], rtol=1e-12)
    # esda's 0/0 where an area and all its neighbours have no events: hotmap gives 0
    nb_events = e + w.sparse @ e
    assert (~fin == (nb_events == 0)).all() if method == "local" else fin.all()
    assert (got[~fin] == 0).all() and np.isfinite(got).all()
    assert "within 2 m" in info["weights"]


def test_spatial_rate_by_hand_and_missing_population():
    areas = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100),
                                       box(200, 0, 300, 100), box(500, 0, 600, 100)], crs=CRS)
    e = np.array([1.0, 4.0, 0.0, 2.0])
    b = np.array([100.0, 200.0, 300.0, np.nan])
    got, _ = smooth_rates(e, b, method="spatial", areas=areas)
    assert_allclose(got[:3], [5 / 300, 5 / 600, 4 / 500])
    assert np.isnan(got[3])
    with pytest.raises(AnalysisError, match="needs the area polygons"):
        smooth_rates(e, b, method="local")
    with pytest.raises(AnalysisError, match="unknown smoothing"):
        smooth_rates(e, b, method="kriging")


def test_count_keeps_the_raw_rate_and_warns_on_small_numbers(bristol):
    """Bristol LSOAs, four months of Drugs: 252 of 263 areas have fewer than 5 events, and
    the notes (which reach the map) say so and suggest smoothing or coarser areas."""
    counts = bristol["drugs"].astype(int).to_numpy()
    raw = area_rates(bristol, None, "LSOA11CD", population="population", counts=counts)
    notes = " ".join(raw.attrs["meta"]["notes"])
    assert "252 of 263 areas have fewer than 5 events" in notes
    assert "smoothed rates" in notes and "coarser geography" in notes
    eb = area_rates(bristol, None, "LSOA11CD", population="population", counts=counts,
                    smooth="local")
    assert list(eb.columns[:7]) == ["LSOA11CD", "count", "population", "rate_per_10k",
                                    "rate_lcl", "rate_ucl", "rate_eb_per_10k"]
    assert_allclose(eb["rate_per_10k"], raw["rate_per_10k"])
    meta = eb.attrs["meta"]
    assert meta["value_column"] == "rate_eb_per_10k" and meta["params"]["smooth"] == "local"
    assert "Marshall 1991" in meta["method"]
    # smoothing narrows the spread of the rates; global smoothing most
    glob = area_rates(bristol, None, "LSOA11CD", population="population", counts=counts,
                      smooth="global")
    assert glob["rate_eb_per_10k"].std() < eb["rate_eb_per_10k"].std() \
        < raw["rate_per_10k"].std()
    assert eb["rate_eb_per_10k"].notna().all()
    with pytest.raises(AnalysisError, match="need a population"):
        area_rates(bristol, None, "LSOA11CD", counts=counts, smooth="global")
