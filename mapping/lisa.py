"""Local Moran's I (LISA): High-High, Low-Low, High-Low and Low-High clusters.

Method (Anselin 1995, as esda's ``Moran_Local`` and GeoDa): standardise the
values, :math:`z_i = (x_i - \\bar x) / s` (population s.d.), row-standardise
the binary weights, and compute

.. math:: I_i = (n - 1)\\, z_i \\sum_j w_{ij} z_j \\Big/ \\sum_k z_k^2 .

The quadrant is HH (z > 0, lag > 0), LL, HL (high value among low
neighbours) or LH.  Significance comes from conditional permutations with
a seed (the same draws and folded pseudo p-value as esda for the same
seed), adjusted by Benjamini–Hochberg FDR by default.  ``lisa_cluster`` is
the quadrant where the (adjusted) pseudo p-value is below ``alpha``,
otherwise ``"Not significant"``.

Public function: :func:`hotspot_lisa`, :func:`local_moran`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from layers.errors import AnalysisError

__all__ = ["hotspot_lisa", "hotspot_lisa_grid", "local_moran", "LISA_QUADRANTS"]

#: esda's quadrant numbers (``q``) and hotmap's labels.
LISA_QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


def _row_standardise(m: sparse.csr_matrix) -> sparse.csr_matrix:
    m = m.tocsr().astype(float)
    rs = np.asarray(m.sum(axis=1)).ravel()
    inv = np.divide(1.0, rs, out=np.zeros_like(rs), where=rs > 0)
    return sparse.diags(inv) @ m


def local_moran(values, weights, *, permutations: int = 999, seed=12345) -> dict:
    """Local Moran's I with row-standardised weights and conditional permutations.

    Parameters
    ----------
    values : array-like, shape (n,)
    weights : SpatialWeights or sparse matrix
        Binary weights without self-weights (row-standardised here).
    permutations : int
        Number of conditional permutations (0 = statistic and quadrant only).
    seed : int
        Random seed (default 12345, so results are reproducible).

    Returns
    -------
    dict
        ``I``, ``z`` (standardised values), ``lag``, ``q`` (1 HH, 2 LH, 3 LL,
        4 HL), and with permutations ``p_sim`` and ``z_sim``.
    """
    from mapping.gistar import conditional_sims, folded_pseudo_p

    y = np.asarray(values, float)
    n = len(y)
    m = weights.matrix if hasattr(weights, "matrix") else sparse.csr_matrix(weights)
    if np.isnan(y).any():
        raise AnalysisError("some values are missing (NaN)",
                            fix="fill or drop areas with no value before LISA")
    sy = y.std()
    if not sy > 0:
        raise AnalysisError("all values are equal, so there is nothing to compare",
                            fix="check the value column or the points counted")
    z = (y - y.mean()) / sy
    m = m.tocsr().astype(float)
    m.setdiag(0)
    m.eliminate_zeros()
    wr = sparse.csr_matrix(_row_standardise(m))
    wr.sort_indices()
    den = (z * z).sum()
    lag = wr @ z
    big_i = (n - 1) * z * lag / den
    zp, lp = z > 0, lag > 0
    q = np.where(zp & lp, 1, np.where(~zp & lp, 2, np.where(~zp & ~lp, 3, 4)))
    out = {"I": big_i, "z": z, "lag": lag, "q": q}
    if permutations:
        scaling = (n - 1) / den

        def stat(zi, zrand, wts):
            return zi * (zrand @ wts + 0.0 * zi) * scaling

        sims = conditional_sims(z, wr, stat, int(permutations), seed)
        out["p_sim"] = folded_pseudo_p(big_i, sims)
        sd = sims.std(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["z_sim"] = (big_i - sims.mean(axis=1)) / sd
    return out


def hotspot_lisa(gdf, value: str, *, weights="queen", alpha: float = 0.05, fdr: bool = True,
                 permutations: int = 999, seed=12345, id_column: str | None = None):
    """Local Moran's I clusters (HH, LL, HL, LH) for areas or grid cells.

    Parameters
    ----------
    gdf : GeoDataFrame
        Areas or cells in a projected CRS.
    value : str
        Column analysed (count or rate), copied to ``value``.
    weights : str or SpatialWeights
        ``queen`` (default), ``rook``, ``distance:METRES`` or ``knn:K``.
    alpha : float
        Significance level (default 0.05).
    fdr : bool
        Benjamini–Hochberg adjustment of the pseudo p-values (default on).
    permutations : int
        Conditional permutations (default 999; at least 99 is sensible).
    seed : int
        Random seed (default 12345).
    id_column : str, optional
        Area identifier kept as the first column.

    Returns
    -------
    GeoDataFrame
        id, ``value``, ``lisa_i``, ``lisa_z_sim``, ``lisa_p`` (pseudo p),
        ``lisa_p_fdr``, ``lisa_quadrant``, ``lisa_cluster``, ``lisa_sig``, geometry.
    """
    import geopandas as gpd

    from mapping.gistar import _check_islands, fdr_bh
    from mapping.weights import build_weights, check_projected

    check_projected(gdf)
    if value not in gdf.columns:
        raise AnalysisError(f"no column '{value}' to analyse", column=value)
    if permutations < 1:
        raise AnalysisError("LISA significance needs permutations", fix="use --permutations 999")
    w = build_weights(gdf, weights) if isinstance(weights, str) else weights
    _check_islands(w)
    y = pd.to_numeric(gdf[value], errors="coerce").to_numpy(float)
    res = local_moran(y, w, permutations=permutations, seed=seed)
    q = fdr_bh(res["p_sim"])
    p_class = q if fdr else res["p_sim"]
    quad = np.array([LISA_QUADRANTS[int(k)] for k in res["q"]], dtype=object)
    sig = p_class < alpha
    cols = {}
    if id_column:
        cols[id_column] = gdf[id_column].to_numpy()
    cols.update(value=y, lisa_i=res["I"], lisa_z_sim=res["z_sim"], lisa_p=res["p_sim"],
                lisa_p_fdr=q, lisa_quadrant=quad,
                lisa_cluster=np.where(sig, quad, "Not significant"), lisa_sig=sig)
    out = gpd.GeoDataFrame(cols, geometry=gdf.geometry.values, crs=gdf.crs, index=gdf.index)
    counts = pd.Series(out.lisa_cluster).value_counts().to_dict()
    out.attrs["hotmap_meta"] = {
        "method": f"Local Moran's I (Anselin 1995), row-standardised weights, "
                  f"{permutations} conditional permutations, seed {seed}",
        "units": "cluster class",
        "value_column": "lisa_cluster",
        "params": {"value": value, "weights": w.spec, "weights_detail": w.describe(),
                   "alpha": alpha, "fdr": "Benjamini-Hochberg" if fdr else "off",
                   "permutations": int(permutations), "seed": seed},
        "base_n": int(len(out)),
        "notes": [", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))],
    }
    return out


def hotspot_lisa_grid(points, *, cell_size: float, boundary=None, weights: str = "queen",
                      alpha: float = 0.05, fdr: bool = True, permutations: int = 999,
                      seed=12345):
    """Local Moran's I on counts of points in square cells (as :func:`hotspot_lisa`).

    Cells are aligned to multiples of ``cell_size``; with a ``boundary`` only cells
    whose centre is inside are analysed.  Weights are grid ``queen`` (default),
    ``rook``, ``distance:METRES`` or ``knn:K``, row-standardised.

    Returns
    -------
    GeoDataFrame
        Cells with ``cell_id``, ``row``, ``col`` and the columns of :func:`hotspot_lisa`.
    """
    from mapping.gistar import on_grid_cells

    return on_grid_cells(points, hotspot_lisa, cell_size=cell_size, boundary=boundary,
                         weights=weights, alpha=alpha, fdr=fdr, permutations=permutations,
                         seed=seed)
