"""Local Moran's I against esda.Moran_Local with the same weights and seed."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from shapely.geometry import box

from layers.common.errors import AnalysisError
from mapping.stats.lisa import LISA_QUADRANTS, hotspot_lisa, local_moran
from mapping.stats.weights import build_weights
from tests.conftest import bristol_drug_counts
from tests.mapping.esda_reference import esda_two_sided_with_ties

CRS = "EPSG:27700"




@pytest.mark.parametrize("spec,seed", [("queen", 12345), ("knn:5", 7)])
def test_equals_esda_moran_local(spec, seed):
    import esda

    lsoa = bristol_drug_counts()
    w = build_weights(lsoa, spec)
    y = lsoa["drugs"].to_numpy(float)
    ours = local_moran(y, w, permutations=999, seed=seed, keep_simulations=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.Moran_Local(y, w.to_libpysal(), transformation="r", permutations=999,
                               seed=seed, keep_simulations=True)
    assert_allclose(ours["I"], ref.Is, rtol=0, atol=1e-12)
    assert (ours["q"] == ref.q).all()
    assert_allclose(ours["sims"], ref.rlisas, rtol=0, atol=1e-12)
    # two-sided with ties counted (the many zero counts tie up to rounding)
    assert_allclose(ours["p_sim"], esda_two_sided_with_ties(ref.Is, ref.rlisas), atol=1e-12)
    assert (ours["p_sim"] >= np.minimum(1, 2 * ref.p_sim) - 1e-12).all()
    assert_allclose(ours["z_sim"], ref.z_sim, rtol=0, atol=1e-9)


def test_hotspot_lisa_columns_labels_and_fdr():
    lsoa = bristol_drug_counts()
    out = hotspot_lisa(lsoa, "drugs", id_column="LSOA11CD", seed=1)
    assert list(out.columns) == ["LSOA11CD", "value", "lisa_i", "lisa_z_sim", "lisa_p",
                                 "lisa_p_fdr", "lisa_quadrant", "lisa_cluster", "lisa_sig",
                                 "lisa_flat", "geometry"]
    assert set(out["lisa_quadrant"]) <= set(LISA_QUADRANTS.values())
    sig = out["lisa_p_fdr"] < 0.05
    assert (out.loc[sig, "lisa_cluster"] == out.loc[sig, "lisa_quadrant"]).all()
    assert (out.loc[~sig, "lisa_cluster"] == "Not significant").all()
    assert (out["lisa_p_fdr"] >= out["lisa_p"] - 1e-15).all()
    assert "9999 conditional permutations, seed 1" in out.attrs["meta"]["method"]


def test_quadrants_by_hand():
    # 1 x 4 strip, rook: values 10, 9, 1, 0 -> z: +, +, -, -; lags: +, ~, ~, -
    geoms = [box(i * 10, 0, i * 10 + 10, 10) for i in range(4)]
    g = gpd.GeoDataFrame({"v": [10.0, 9.0, 1.0, 0.0]}, geometry=geoms, crs=CRS)
    res = local_moran(g["v"], build_weights(g, "rook"), permutations=0)
    # z = (v - 5) / std; lag of cell 0 = z1 > 0 -> HH; cell 3 lag = z2 < 0 -> LL
    assert LISA_QUADRANTS[int(res["q"][0])] == "HH"
    assert LISA_QUADRANTS[int(res["q"][3])] == "LL"
    # cell 1: z>0, lag = (z0 + z2)/2 = (5 - 4)/2/std > 0 -> HH; cell 2: z<0, lag = (4 - 5)/2 < 0
    assert LISA_QUADRANTS[int(res["q"][1])] == "HH"
    assert LISA_QUADRANTS[int(res["q"][2])] == "LL"
    with pytest.raises(AnalysisError, match="needs permutations"):
        hotspot_lisa(g, "v", weights="rook", permutations=0)


def test_lisa_on_grid_cells_equals_esda_on_a_lattice(tmp_path):
    """hotspot_lisa_grid counts a coordinate-only layer in 100 m cells; the result equals
    esda.Moran_Local on those counts with libpysal's own queen lattice (lat2W), and the
    counts equal a direct floor-division tally of the coordinates."""
    import esda
    import numpy as np
    from libpysal.weights import lat2W

    from layers.records import load_records
    from mapping.stats.lisa import hotspot_lisa_grid

    rng = np.random.default_rng(4)
    xy = np.r_[rng.uniform(0, 2000, (1500, 2)), rng.normal(600, 60, (300, 2))]
    xy = np.clip(xy, 1, 1999) + [400_000, 200_000]
    csv = tmp_path / "p.csv"
    pd.DataFrame({"Easting": xy[:, 0], "Northing": xy[:, 1]}).to_csv(csv, index=False)
    pts = load_records(csv, geometry=False).accepted
    out = hotspot_lisa_grid(pts, cell_size=100, permutations=9999, seed=3)
    ny, nx = int(out["row"].max()) + 1, int(out["col"].max()) + 1
    assert (ny, nx) == (20, 20) and len(out) == 400
    tally = np.zeros((ny, nx))
    np.add.at(tally, (ny - 1 - ((xy[:, 1] - 200_000) // 100).astype(int),
                      ((xy[:, 0] - 400_000) // 100).astype(int)), 1)
    assert (out.sort_values(["row", "col"])["value"].to_numpy() == tally.ravel()).all()
    y = out.sort_values(["row", "col"])["value"].to_numpy(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.Moran_Local(y, lat2W(ny, nx, rook=False), transformation="r",
                               permutations=9999, seed=3, keep_simulations=True)
    o = out.sort_values(["row", "col"])
    assert_allclose(o["lisa_i"].to_numpy(), ref.Is, rtol=0, atol=1e-12)
    assert_allclose(o["lisa_p"].to_numpy(), esda_two_sided_with_ties(ref.Is, ref.rlisas),
                    rtol=0, atol=1e-12)
    hh = o[(o["lisa_cluster"] == "HH")]
    assert len(hh) and (hh["value"] > y.mean()).all()
    assert "100 m grid cells" in out.attrs["meta"]["method"]
