"""Getis-Ord Gi*: a hand-worked 3x3 case, esda on Bristol Drugs counts, FDR, bins, refusals."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import geopandas as gpd
from shapely.geometry import box

from layers.common.errors import AnalysisError
from mapping.stats.gistar import fdr_bh, gi_bins, gistar, hotspot_gistar, hotspot_gistar_grid
from mapping.stats.weights import build_weights
from tests.conftest import bristol_drug_counts
from tests.mapping.esda_reference import esda_two_sided_with_ties

CRS = "EPSG:27700"

# 3 x 3 cells, row-major from the north-west
VALUES = [1, 2, 3,
          4, 5, 6,
          7, 8, 20]
# rook neighbours written out by hand (self not included)
ROOK = {0: [1, 3], 1: [0, 2, 4], 2: [1, 5],
        3: [0, 4, 6], 4: [1, 3, 5, 7], 5: [2, 4, 8],
        6: [3, 7], 7: [4, 6, 8], 8: [5, 7]}


@pytest.fixture
def grid3():
    geoms = [box(c * 100, 200 - r * 100, c * 100 + 100, 300 - r * 100)
             for r in range(3) for c in range(3)]
    return gpd.GeoDataFrame({"cell": list("abcdefghi"), "v": VALUES}, geometry=geoms, crs=CRS)


def _hand_gistar(values, nbrs):
    """Getis & Ord (1995) / ArcGIS formula, binary weights with self, written longhand."""
    x = [float(v) for v in values]
    n = len(x)
    xbar = sum(x) / n
    s = math.sqrt(sum(v * v for v in x) / n - xbar ** 2)
    z = []
    for i in range(n):
        js = [i] + nbrs[i]
        wi = len(js)            # sum of weights (binary, self included)
        s1 = len(js)            # sum of squared weights
        lag = sum(x[j] for j in js)
        z.append((lag - xbar * wi) / (s * math.sqrt((n * s1 - wi ** 2) / (n - 1))))
    return z


def test_hand_worked_3x3(grid3):
    expected = _hand_gistar(VALUES, ROOK)
    # the south-east cell (20) by hand: lag 6 + 8 + 20 = 34, W = 3, xbar = 56/9,
    # S = sqrt(604/9 - (56/9)^2) = 5.3287; z = (34 - 18.667) / (5.3287 * 1.5) = 1.918
    assert expected[8] == pytest.approx(1.918, abs=1e-3)
    out = hotspot_gistar(grid3, "v", weights="rook", id_column="cell")
    assert_allclose(out["gi_z"], expected, rtol=0, atol=1e-12)
    assert_allclose(out["gi_p"], 2 * stats.norm.sf(np.abs(expected)))
    assert list(out.columns) == ["cell", "value", "gi_z", "gi_p", "gi_p_fdr", "gi_bin", "gi_sig",
                                 "gi_flat", "geometry"]
    assert out["cell"].tolist() == list("abcdefghi")
    meta = out.attrs["meta"]
    assert meta["params"]["fdr"] == "Benjamini-Hochberg" and "Gi*" in meta["method"]




@pytest.mark.parametrize("spec", ["queen", "knn:6", "distance:2500"])
def test_equals_esda_g_local_star_on_bristol(spec):
    import esda

    lsoa = bristol_drug_counts()
    assert lsoa["drugs"].sum() > 200
    w = build_weights(lsoa, spec)
    out = hotspot_gistar(lsoa, "drugs", weights=w, id_column="LSOA11CD")
    # esda adds the self-weight 1 itself for binary weights with star=True (it fills the
    # diagonal of a zero-diagonal W); we pass the same binary weights WITHOUT self.
    W = w.to_libpysal()
    assert W.sparse.diagonal().sum() == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.G_Local(lsoa["drugs"].to_numpy(float), W, transform="B", star=True,
                           permutations=0)
    assert ref.star
    assert_allclose(out["gi_z"], ref.Zs, rtol=0, atol=1e-9)
    res = gistar(lsoa["drugs"].to_numpy(float), w)
    assert_allclose(res["G"], ref.Gs, atol=1e-12)
    assert_allclose(res["EG"], ref.EGs, atol=1e-12)
    assert_allclose(res["VG"], ref.VGs, atol=1e-12)


def test_permutations_equal_esda_with_same_seed():
    import esda

    lsoa = bristol_drug_counts()
    w = build_weights(lsoa, "queen")
    y = lsoa["drugs"].to_numpy(float)
    res = gistar(y, w, permutations=199, seed=42, keep_simulations=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.G_Local(y, w.to_libpysal(), transform="B", star=True, permutations=199,
                           seed=42, keep_simulations=True)
    # the same simulations as esda; ties (many zeros) counted, two-sided
    assert_allclose(res["sims"], ref.rGs, rtol=0, atol=1e-15)
    assert_allclose(res["p_sim"], esda_two_sided_with_ties(ref.Gs, ref.rGs), atol=1e-12)
    assert (res["p_sim"] >= np.minimum(1, 2 * ref.p_sim) - 1e-6).all()  # ties only add
    again = gistar(y, w, permutations=199, seed=42)["p_sim"]
    assert (again == res["p_sim"]).all()


def test_fdr_bh_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    # sorted: .005 .01 .03 .04 .5 -> *5/rank: .025 .025 .05 .05 .5 (cumulative min from top)
    assert_allclose(fdr_bh(p), [0.025, 0.05, 0.05, 0.025, 0.5])
    assert np.isnan(fdr_bh([np.nan, 0.1])[0])


def test_gi_bins_like_arcgis():
    z = np.array([3.0, 2.0, 1.7, 0.5, -1.7, -2.0, -3.0])
    p = np.array([0.001, 0.03, 0.08, 0.6, 0.08, 0.03, 0.001])
    assert gi_bins(z, p).tolist() == [3, 2, 1, 0, -1, -2, -3]


def test_fdr_on_by_default_and_off(grid3):
    on = hotspot_gistar(grid3, "v", weights="rook")
    off = hotspot_gistar(grid3, "v", weights="rook", fdr=False)
    assert (on["gi_p_fdr"] >= on["gi_p"] - 1e-15).all()
    assert_allclose(off["gi_bin"], gi_bins(off["gi_z"], off["gi_p"]))
    assert_allclose(on["gi_bin"], gi_bins(on["gi_z"], on["gi_p_fdr"]))
    assert off.attrs["meta"]["params"]["fdr"] == "off"


def test_refusals(grid3):
    with pytest.raises(AnalysisError, match="geographic CRS"):
        hotspot_gistar(grid3.set_crs("EPSG:4326", allow_override=True), "v")
    with pytest.raises(AnalysisError, match=r"no neighbours.*\(c\d.*Fix: choose a distance band of at least 100 m"):
        hotspot_gistar(grid3.assign(c=[f"c{i}" for i in range(9)]), "v", weights="distance:50",
                       id_column="c")
    flat = grid3.assign(v=1.0)
    with pytest.raises(AnalysisError, match="all values are equal"):
        hotspot_gistar(flat, "v", weights="rook")


def test_grid_cells_version():
    rng = np.random.default_rng(0)
    xy = np.r_[rng.normal(550, 60, (300, 2)), rng.uniform(0, 1000, (300, 2))]
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)
    cells = hotspot_gistar_grid(pts, cell_size=100)
    assert cells["value"].sum() == 600
    hot = cells.loc[cells["gi_bin"] == 3, "geometry"].union_all().centroid
    assert abs(hot.x - 550) < 100 and abs(hot.y - 550) < 100
