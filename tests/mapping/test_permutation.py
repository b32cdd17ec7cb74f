"""Tie-aware two-sided permutation inference against a brute-force enumeration, esda, and
Bristol police.uk data with many zeros."""

from __future__ import annotations

import itertools
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from shapely.geometry import box

from mapping.stats.gistar import gistar, hotspot_gistar
from mapping.stats.lisa import hotspot_lisa, local_moran
from mapping.stats.permutation import flat_neighbourhoods, min_permutations, pseudo_p
from mapping.stats.weights import build_weights, grid_weights

CRS = "EPSG:27700"

# 3 x 4 lattice, row-major from the north-west: mostly zeros, repeated values, and
# decimals (0.1 + 0.2 != 0.3 in floating point, so equal sums differ by rounding)
LATTICE = ["0", "0", "0", "0.1",
           "0", "0", "0.2", "0",
           "0.1", "0", "0", "0.3"]
NY, NX = 3, 4


def _rook_neighbours():
    nb = {}
    for r in range(NY):
        for c in range(NX):
            nb[r * NX + c] = [rr * NX + cc for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1),
                                                         (r, c + 1))
                              if 0 <= rr < NY and 0 <= cc < NX]
    return nb


def _exact_two_sided(values, nbrs, stat_key):
    """Exact conditional-randomisation p-values by enumerating every set of neighbour values.

    Under conditional randomisation the k neighbours of site i are k distinct sites drawn
    without replacement from the n - 1 others; with equal weights every k-subset is equally
    likely.  Arithmetic is exact (fractions), so ties are exact ties.
    """
    y = [Fraction(v) for v in values]
    n = len(y)
    mean = sum(y) / n
    out = []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        k = len(nbrs[i])
        obs = stat_key(i, [y[j] for j in nbrs[i]], y, mean)
        ge = le = total = 0
        for sub in itertools.combinations(others, k):
            s = stat_key(i, [y[j] for j in sub], y, mean)
            total += 1
            ge += s >= obs
            le += s <= obs
        out.append(min(1.0, 2 * min(ge, le) / total))
    return np.array(out)


def _gi_key(i, nb_vals, y, mean):
    return y[i] + sum(nb_vals)            # Gi* ratio x the total: same order


def _lisa_key(i, nb_vals, y, mean):
    # I_i = (n - 1) z_i mean(z_nbrs) / sum z^2: ordered as (y_i - mean) (mean(y_nbrs) - mean)
    return (y[i] - mean) * (sum(nb_vals) / len(nb_vals) - mean)


@pytest.mark.parametrize("which", ["gistar", "lisa"])
def test_brute_force_enumeration_on_a_lattice_with_many_zeros(which):
    """The Monte Carlo pseudo p-value converges to the exact enumeration with ties counted;
    comparing floating-point values exactly (as esda's >= does) would not."""
    nbrs = _rook_neighbours()
    y = np.array([float(v) for v in LATTICE])
    w = grid_weights(NY, NX, "rook")
    key = _gi_key if which == "gistar" else _lisa_key
    exact = _exact_two_sided(LATTICE, nbrs, key)
    perms = 20_000
    res = (gistar(y, w, permutations=perms, seed=11, keep_simulations=True) if which == "gistar"
           else local_moran(y, w, permutations=perms, seed=11, keep_simulations=True))
    # Monte Carlo error of 2 x a binomial share, plus the +1 of the pseudo p
    tol = 2 * 4.5 * np.sqrt(np.maximum(exact / 2 * (1 - exact / 2), 1e-4) / perms) + 3 / perms
    assert np.all(np.abs(res["p_sim"] - exact) <= tol), (res["p_sim"], exact)
    # the same simulations compared exactly, without the tie tolerance, miss rounding ties
    untied = pseudo_p(res["G"] if which == "gistar" else res["I"], res["sims"], rtol=0)
    assert (np.abs(untied - exact) > tol).sum() >= (1 if which == "gistar" else 3)
    # the flat sites are the zero cells whose rook neighbours are all zero
    flat = [i for i in range(12) if y[i] == 0 and all(y[j] == 0 for j in nbrs[i])]
    assert np.flatnonzero(res["flat"]).tolist() == flat and len(flat) >= 2


def _lattice_gdf(values, ny, nx):
    geoms = [box(c * 100, (ny - 1 - r) * 100, c * 100 + 100, (ny - r) * 100)
             for r in range(ny) for c in range(nx)]
    return gpd.GeoDataFrame({"v": values, "id": [f"c{i}" for i in range(ny * nx)]},
                            geometry=geoms, crs=CRS)


def test_without_ties_twice_esdas_folded_p():
    """With continuous values (no ties) the two-sided p is exactly min(1, 2 x esda's p_sim),
    for Gi* and LISA, with the same draws."""
    import esda

    rng = np.random.default_rng(5)
    y = rng.gamma(2.0, 3.0, 10 * 12)
    g = _lattice_gdf(y, 10, 12)
    w = build_weights(g, "queen")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gref = esda.G_Local(y, w.to_libpysal(), transform="B", star=True, permutations=499,
                            seed=3)
        lref = esda.Moran_Local(y, w.to_libpysal(), transformation="r", permutations=499,
                                seed=3)
    assert_allclose(gistar(y, w, permutations=499, seed=3)["p_sim"],
                    np.minimum(1, 2 * gref.p_sim), rtol=0, atol=1e-6)  # esda keeps float32
    assert_allclose(local_moran(y, w, permutations=499, seed=3)["p_sim"],
                    np.minimum(1, 2 * lref.p_sim), rtol=0, atol=1e-12)


def test_pseudo_p_counts_rounding_ties_in_both_tails():
    obs = np.array([0.3, 0.3, 5.0])
    sims = np.array([[0.1 + 0.2, 0.1 + 0.2, 0.9, 0.9],     # 0.30000000000000004: ties
                     [0.2, 0.2, 0.9, 0.9],                 # 2 below, 2 above
                     [1.0, 2.0, 3.0, 4.0]])                # beyond every simulation
    assert_allclose(pseudo_p(obs, sims), [1.0, 1.0, 0.4])
    assert min_permutations(0.01) == 200 and 2 / (min_permutations(0.01) + 1) < 0.01


def test_flat_neighbourhoods_never_significant_analytic_gistar():
    """A block of zeros among high, near-equal values: the analytic Gi* z of its centre is
    the hand formula -xbar W / (S sqrt((n S1 - W^2)/(n - 1))), far below -2.58, yet a flat
    neighbourhood is not a cold spot."""
    vals = np.full((5, 5), 10.0)
    vals[0, 0] = 12.0
    vals[1:4, 1:4] = 0.0
    g = _lattice_gdf(vals.ravel(), 5, 5)
    out = hotspot_gistar(g, "v", weights="queen", fdr=False, id_column="id")
    y = vals.ravel()
    n, wi = 25, 9
    s = math.sqrt((y ** 2).mean() - y.mean() ** 2)
    z_hand = (0 - y.mean() * wi) / (s * math.sqrt((n * wi - wi ** 2) / (n - 1)))
    centre = 2 * 5 + 2
    assert out["gi_z"].iloc[centre] == pytest.approx(z_hand, rel=1e-12)
    assert z_hand < -2.58 and out["gi_p"].iloc[centre] < 0.01
    assert bool(out["gi_flat"].iloc[centre]) and out["gi_bin"].iloc[centre] == 0
    assert not out["gi_sig"].iloc[centre]
    # the flat high cells far from the block are flat too, and not hot
    flat = flat_neighbourhoods(y, build_weights(g, "queen").matrix)
    assert (out["gi_flat"].to_numpy() == flat).all()
    assert (out.loc[out["gi_flat"], "gi_bin"] == 0).all()
    assert any("flat neighbourhoods" in n for n in out.attrs["meta"]["notes"])


def _bristol_grid():
    import glob

    from layers.records import load_records
    from tests.conftest import shared_path

    lsoa = gpd.read_file(shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson")) \
        .to_crs(CRS)
    files = sorted(glob.glob(str(shared_path("police_uk") / "*-street.csv")))
    pts = load_records(files, geometry=False).accepted
    return pts[pts["crime_type"] == "Drugs"], lsoa.dissolve()


def test_bristol_grid_no_false_low_low_clusters():
    """Bristol, 250 m cells, four months of Drugs: most cells are empty among empty
    neighbours.  Before, 963 of 1761 cells were 'significant LL', every one empty; none now,
    and every pseudo p-value equals esda's simulations counted with ties (by rounding)."""
    import esda
    from esda.significance import calculate_significance

    from mapping.stats.lisa import hotspot_lisa_grid

    pts, bnd = _bristol_grid()
    out = hotspot_lisa_grid(pts, cell_size=250, boundary=bnd, permutations=999, seed=12345,
                            fdr=False)
    assert len(out) > 1500 and out["lisa_flat"].sum() > 0.5 * len(out)
    ll = out[out["lisa_cluster"] == "LL"]
    assert (ll["value"] > 0).all() or ll.empty
    assert not out.loc[out["lisa_flat"], "lisa_sig"].any()
    hl = out[out["lisa_cluster"] == "HL"]
    assert len(hl) <= 5
    # reference: esda's own draws, ties counted by rounding to 9 significant digits
    from mapping.stats.gistar import grid_cells

    cells, wc = grid_cells(pts, cell_size=250, boundary=bnd)
    y = cells["value"].to_numpy(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.Moran_Local(y, wc.to_libpysal(), transformation="r", permutations=999,
                               seed=12345, keep_simulations=True)
    scale = np.abs(ref.rlisas).max()
    r_sims, r_obs = np.round(ref.rlisas / scale, 9), np.round(ref.Is / scale, 9)
    ge = calculate_significance(r_obs, r_sims, alternative="greater")
    le = calculate_significance(r_obs, r_sims, alternative="lesser")
    assert_allclose(out["lisa_p"].to_numpy(), np.minimum(1, 2 * np.minimum(ge, le)), atol=1e-12)


def test_bristol_lsoas_gistar_permutations_no_false_cold_spots():
    """Bristol LSOAs: with 999 permutations, Gi* put 22 empty LSOAs among empty neighbours
    in the cold bins; now no LSOA with no events among neighbours with none is cold."""
    from tests.conftest import bristol_drug_counts

    lsoa = bristol_drug_counts()
    out = hotspot_gistar(lsoa, "drugs", permutations=999, seed=1, id_column="LSOA11CD")
    empty_flat = out["gi_flat"] & (out["value"] == 0)
    assert empty_flat.sum() > 10
    assert (out.loc[empty_flat, "gi_bin"] == 0).all()
    lisa = hotspot_lisa(lsoa, "drugs", id_column="LSOA11CD", seed=12345, fdr=False)
    low = lisa["lisa_cluster"].isin(["LL", "HL"])
    # an LL or HL cluster now needs a neighbourhood the redraws rarely reproduce
    assert (lisa.loc[low, "lisa_flat"] == False).all()  # noqa: E712
    assert low.sum() <= 2
