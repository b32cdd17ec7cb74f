"""Local Moran's I (LISA): High-High, Low-Low, High-Low and Low-High clusters.

Method (Anselin 1995, as esda's ``Moran_Local`` and GeoDa): standardise the
values, :math:`z_i = (x_i - \\bar x) / s` (population s.d.), row-standardise
the binary weights, and compute

.. math:: I_i = (n - 1)\\, z_i \\sum_j w_{ij} z_j \\Big/ \\sum_k z_k^2 .

The quadrant is HH (z > 0, lag > 0), LL, HL (high value among low
neighbours) or LH.  Significance comes from conditional permutations with
a seed (the same draws as esda for the same seed) and a **two-sided,
tie-aware** pseudo p-value (:mod:`mapping.stats.permutation`): a simulation equal
to the observed I up to rounding counts as at least as extreme, so an empty
area among empty neighbours, which every all-zero redraw reproduces, is not
an "LL cluster".  Without ties ``lisa_p`` is exactly twice esda's folded
``p_sim``.  Areas whose value and neighbours' values are all equal (flat
neighbourhoods, ``lisa_flat``) are never significant.  p-values are adjusted
by Benjamini–Hochberg FDR by default.  ``lisa_cluster`` is the quadrant
where the (adjusted) pseudo p-value is below ``alpha``, otherwise
``"Not significant"``.

Public function: :func:`hotspot_lisa`, :func:`hotspot_lisa_grid`, :func:`local_moran`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from layers.common.errors import AnalysisError
from mapping.stats.permutation import (conditional_test, flat_neighbourhoods, flat_note,
                                 permutation_notes)

__all__ = ["hotspot_lisa", "hotspot_lisa_grid", "local_moran", "LISA_QUADRANTS"]

#: esda's quadrant numbers (``q``) and hotmap's labels.
LISA_QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


def _row_standardise(m: sparse.csr_matrix) -> sparse.csr_matrix:
    m = m.tocsr().astype(float)
    rs = np.asarray(m.sum(axis=1)).ravel()
    inv = np.divide(1.0, rs, out=np.zeros_like(rs), where=rs > 0)
    return sparse.diags(inv) @ m


def local_moran(values, weights, *, permutations: int = 9999, seed=12345,
                keep_simulations: bool = False) -> dict:
    """Local Moran's I with row-standardised weights and conditional permutations.

    Parameters
    ----------
    values : array-like, shape (n,)
    weights : SpatialWeights or sparse matrix
        Binary weights without self-weights (row-standardised here).
    permutations : int
        Number of conditional permutations (0 = statistic and quadrant only;
        default 9999, see :func:`hotspot_lisa`).
    seed : int
        Random seed (default 12345, so results are reproducible).
    keep_simulations : bool
        Also return the simulated statistics (``sims``, n × permutations).

    Returns
    -------
    dict
        ``I``, ``z`` (standardised values), ``lag``, ``q`` (1 HH, 2 LH, 3 LL,
        4 HL), ``flat`` (flat neighbourhoods), and with permutations ``p_sim``
        (two-sided, tie-aware), ``z_sim`` and, with ``keep_simulations``, ``sims``.
    """
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
    out = {"I": big_i, "z": z, "lag": lag, "q": q, "flat": flat_neighbourhoods(y, m)}
    if permutations:
        scaling = (n - 1) / den

        def stat(zi, zrand, wts):
            return zi * (zrand @ wts + 0.0 * zi) * scaling

        test = conditional_test(z, wr, stat, big_i, int(permutations), seed,
                                keep=keep_simulations)
        out["p_sim"] = test["p_sim"]
        if keep_simulations:
            out["sims"] = test["sims"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out["z_sim"] = (big_i - test["mean"]) / test["std"]
    return out


def hotspot_lisa(gdf, value: str, *, weights="queen", alpha: float = 0.05, fdr: bool = True,
                 permutations: int = 9999, seed=12345, id_column: str | None = None,
                 snap: float | None = None):
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
        Conditional permutations (default 9999).  The two-sided pseudo p-value is at
        least 2/(N+1), and after the FDR adjustment over n areas the strongest
        cluster of k areas needs about 2n/(k(N+1)) < alpha: with 999 permutations
        and a few hundred areas no small cluster can pass, hence 9999.
    seed : int
        Random seed (default 12345).
    id_column : str, optional
        Area identifier kept as the first column (and used to name islands).
    snap : float, optional
        Queen/rook snapping tolerance in metres (default 2 m;
        :func:`mapping.stats.weights.build_weights`).

    Returns
    -------
    GeoDataFrame
        id, ``value``, ``lisa_i``, ``lisa_z_sim``, ``lisa_p`` (two-sided tie-aware
        pseudo p), ``lisa_p_fdr``, ``lisa_quadrant``, ``lisa_cluster``, ``lisa_sig``,
        ``lisa_flat``, geometry.
    """
    import geopandas as gpd

    from mapping.stats.gistar import classify_p
    from mapping.stats.weights import build_weights, check_islands, check_projected

    check_projected(gdf)
    if value not in gdf.columns:
        raise AnalysisError(f"no column '{value}' to analyse", column=value)
    if permutations < 1:
        raise AnalysisError("LISA significance needs permutations", fix="use 9999 permutations")
    w = build_weights(gdf, weights, snap=snap) if isinstance(weights, str) else weights
    check_islands(w, gdf[id_column].to_numpy() if id_column else None)
    y = pd.to_numeric(gdf[value], errors="coerce").to_numpy(float)
    res = local_moran(y, w, permutations=permutations, seed=seed)
    q, p_class = classify_p(res["p_sim"], res["flat"], fdr=fdr)
    quad = np.array([LISA_QUADRANTS[int(k)] for k in res["q"]], dtype=object)
    sig = p_class < alpha
    cols = {}
    if id_column:
        cols[id_column] = gdf[id_column].to_numpy()
    cols.update(value=y, lisa_i=res["I"], lisa_z_sim=res["z_sim"], lisa_p=res["p_sim"],
                lisa_p_fdr=q, lisa_quadrant=quad,
                lisa_cluster=np.where(sig, quad, "Not significant"), lisa_sig=sig,
                lisa_flat=res["flat"])
    out = gpd.GeoDataFrame(cols, geometry=gdf.geometry.values, crs=gdf.crs, index=gdf.index)
    counts = pd.Series(out.lisa_cluster).value_counts().to_dict()
    out.attrs["meta"] = {
        "method": f"Local Moran's I (Anselin 1995), row-standardised weights, "
                  f"{permutations} conditional permutations, seed {seed}, two-sided pseudo "
                  "p-value counting ties",
        "units": "cluster class",
        "value_column": "lisa_cluster",
        "params": {"value": value, "weights": w.spec, "weights_detail": w.describe(),
                   **({"snap_m": w.snap} if w.snap is not None else {}), "alpha": alpha,
                   "fdr": "Benjamini-Hochberg" if fdr else "off",
                   "p_value": "permutation pseudo-p, two-sided, ties counted",
                   "permutations": int(permutations), "seed": seed},
        "base_n": int(len(out)),
        "notes": [", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))]
                 + flat_note(res["flat"]) + permutation_notes(int(permutations)),
    }
    return out


def hotspot_lisa_grid(points, *, cell_size: float, boundary=None, weights: str = "queen",
                      alpha: float = 0.05, fdr: bool = True, permutations: int = 9999,
                      seed=12345, snap: float | None = None):
    """Local Moran's I on counts of points in square cells (as :func:`hotspot_lisa`).

    Cells are aligned to multiples of ``cell_size``; with a ``boundary`` only cells
    whose centre is inside are analysed.  Weights are grid ``queen`` (default),
    ``rook``, ``distance:METRES`` or ``knn:K``, row-standardised; ``snap`` is
    accepted for a uniform call and not used (cells share their edges exactly).
    Cells without neighbours are left out with a note
    (:func:`mapping.stats.gistar.on_grid_cells`).

    Returns
    -------
    GeoDataFrame
        Cells with ``cell_id``, ``row``, ``col`` and the columns of :func:`hotspot_lisa`.
    """
    from mapping.stats.gistar import on_grid_cells

    return on_grid_cells(points, hotspot_lisa, cell_size=cell_size, boundary=boundary,
                         weights=weights, alpha=alpha, fdr=fdr, permutations=permutations,
                         seed=seed)
