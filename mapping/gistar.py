"""Getis-Ord Gi* hot-spot statistic for areas or grid cells.

Method
------
For values :math:`x_j` (counts or rates) and binary weights :math:`w_{ij}`
*including the self-weight* :math:`w_{ii} = 1` (that is what makes it Gi*,
not Gi), Getis & Ord (1995, eq. 8; Ord & Getis 1995) and ArcGIS's Hot Spot
Analysis give the z-score

.. math::

    z_i = \\frac{\\sum_j w_{ij} x_j - \\bar{X} W_i}
               {S \\sqrt{(n S_{1i} - W_i^2) / (n - 1)}}

with :math:`W_i = \\sum_j w_{ij}`, :math:`S_{1i} = \\sum_j w_{ij}^2`,
:math:`\\bar X` the mean and :math:`S = \\sqrt{\\overline{x^2} - \\bar X^2}`.
``gi_p`` is the **two-sided** normal p-value.  Benjamini–Hochberg false
discovery rate adjustment (``gi_p_fdr``) is **on by default**; ``gi_bin``
(−3..+3, like ArcGIS's Gi_Bin) and ``gi_sig`` use the adjusted p-values
unless ``fdr=False``.  Bins: ±3 at 99% (p < 0.01), ±2 at 95% (p < 0.05),
±1 at 90% (p < 0.10), sign of z.

Optional conditional permutation inference (``permutations=N, seed=S``)
holds each area's value and redraws its neighbours' values from the others
without replacement (Anselin 1995), with the same random draws and folded
pseudo p-value as esda (``gi_p_sim``); when used, bins and FDR use
``gi_p_sim``.  A pseudo p-value cannot be below 1/(N+1), so the 99% bins
need N ≥ 999.

References: Getis A, Ord JK (1992) Geogr Anal 24:189; Ord JK, Getis A (1995)
Geogr Anal 27:286; Benjamini Y, Hochberg Y (1995) JRSS B 57:289.

Public functions: :func:`hotspot_gistar`, :func:`hotspot_gistar_grid`, :func:`gistar`, :func:`fdr_bh`,
:func:`gi_bins`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from layers.errors import AnalysisError

__all__ = ["hotspot_gistar", "hotspot_gistar_grid", "grid_cells", "gistar", "fdr_bh", "gi_bins",
           "GI_BIN_LABELS"]

#: Labels of the ``gi_bin`` classes, as ArcGIS names them.
GI_BIN_LABELS = {
    3: "Hot spot, 99% confidence", 2: "Hot spot, 95% confidence",
    1: "Hot spot, 90% confidence", 0: "Not significant",
    -1: "Cold spot, 90% confidence", -2: "Cold spot, 95% confidence",
    -3: "Cold spot, 99% confidence",
}


def fdr_bh(p) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN stays NaN.

    ``q < alpha`` exactly when BH's step-up procedure at level ``alpha`` rejects.
    """
    p = np.asarray(p, float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    pv = p[ok]
    m = len(pv)
    if m == 0:
        return out
    order = np.argsort(pv, kind="mergesort")
    ranked = pv[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(q, 1.0)
    out[ok] = res
    return out


def gi_bins(z, p) -> np.ndarray:
    """ArcGIS-style confidence bins: sign(z) × (3 if p<0.01, 2 if p<0.05, 1 if p<0.10, else 0)."""
    z = np.asarray(z, float)
    p = np.asarray(p, float)
    level = np.where(p < 0.01, 3, np.where(p < 0.05, 2, np.where(p < 0.10, 1, 0)))
    level = np.where(np.isnan(p), 0, level)
    return (np.sign(z) * level).astype(np.int8)


def _check_islands(w, what="areas"):
    islands = w.islands
    if len(islands):
        kind = w.spec.split(":")[0]
        fix = {"queen": "use knn:K (every area gets K neighbours) or a distance band",
               "rook": "use queen, knn:K or a distance band",
               "distance": "use a larger distance band (at least the largest nearest-"
                           "neighbour distance) or knn:K"}.get(kind, "use knn:K")
        band = w.min_band_without_islands() if kind == "distance" else None
        if band:
            fix = (f"use distance:{band:g} or more (the largest nearest-neighbour distance), "
                   "or knn:K")
        raise AnalysisError(
            f"{len(islands)} of {w.n} {what} have no neighbours under {w.spec} weights "
            f"(first at position {islands[0]}); Gi* would compare them only with "
            "themselves, which is not a local cluster statistic", fix=fix)


def permuted_ids(n: int, max_card: int, permutations: int, seed) -> np.ndarray:
    """Neighbour draws for conditional randomisation, identical to esda's for the same seed.

    Each row is ``max_card`` distinct positions among the ``n - 1`` other sites.
    """
    rng = np.random.RandomState(seed)
    out = np.empty((permutations, max_card), dtype=np.int64)
    for k in range(permutations):
        out[k] = rng.choice(n - 1, size=max_card, replace=False)
    return out


def folded_pseudo_p(observed, sims) -> np.ndarray:
    """Pseudo p-value (esda's 'directed'): (min(#sims ≥ obs, #sims < obs) + 1) / (P + 1)."""
    p = sims.shape[1]
    larger = (sims >= observed[:, None]).sum(axis=1)
    low = (p - larger) < larger
    larger[low] = p - larger[low]
    return (larger + 1.0) / (p + 1.0)


def conditional_sims(z, w_csr, stat, permutations, seed):
    """Simulated local statistics under conditional randomisation (esda's scheme).

    For each site i, the neighbour values are redrawn from the other n - 1
    sites (``permuted_ids``, shared by all sites as in esda) and
    ``stat(zi, zrand, weights_i)`` returns the ``permutations`` statistics,
    where ``zrand`` is (permutations, k) and ``weights_i`` the k weights.
    Returns an array (n, permutations).
    """
    n = len(z)
    card = np.diff(w_csr.indptr)
    max_card = max(int(card.max()), 1)
    ids = permuted_ids(n, max_card, permutations, seed)
    sims = np.empty((n, permutations))
    for i in range(n):
        k = int(card[i])
        if k == 0:
            wts = np.zeros(1)
            k = 1
        else:
            wts = w_csr.data[w_csr.indptr[i]:w_csr.indptr[i + 1]].astype(float)
        sel = ids[:, :k]
        sel = sel + (sel >= i)  # positions among the others -> positions in z
        zrand = z[sel]
        sims[i] = stat(z[i], zrand, wts)
    return sims


def gistar(values, weights, *, permutations: int = 0, seed=None) -> dict:
    """Gi* statistics for a vector of values and binary weights (self added here).

    Parameters
    ----------
    values : array-like, shape (n,)
    weights : SpatialWeights or scipy sparse matrix
        Binary weights *without* self-weights.
    permutations : int
        Conditional permutations for pseudo p-values (0 = analytic only).
    seed : int, optional
        Random seed for the permutations (same draws as esda for the same seed).

    Returns
    -------
    dict
        ``G`` (the Gi* ratio), ``z``, ``p`` (two-sided), ``EG``, ``VG``, and with
        permutations ``p_sim``.
    """
    y = np.asarray(values, float)
    m = weights.matrix if hasattr(weights, "matrix") else sparse.csr_matrix(weights)
    n = len(y)
    if m.shape != (n, n):
        raise AnalysisError(f"weights are {m.shape[0]}×{m.shape[1]} but there are {n} values")
    if np.isnan(y).any():
        raise AnalysisError("some values are missing (NaN)",
                            fix="fill or drop areas with no value before Gi*")
    m = m.tocsr().astype(float)
    m.setdiag(0)
    m.eliminate_zeros()
    ws = (m + sparse.identity(n, format="csr")).tocsr()
    wi = np.asarray(ws.sum(axis=1)).ravel()
    s1i = np.asarray(ws.multiply(ws).sum(axis=1)).ravel()
    xbar = y.mean()
    s = np.sqrt((y ** 2).mean() - xbar ** 2)
    if not s > 0:
        raise AnalysisError("all values are equal, so there is nothing to compare",
                            fix="check the value column or the points counted")
    lag = ws @ y
    z = (lag - xbar * wi) / (s * np.sqrt((n * s1i - wi ** 2) / (n - 1)))
    from scipy.special import ndtr

    out = {"G": lag / y.sum(), "z": z, "p": 2 * ndtr(-np.abs(z)),
           "EG": wi / n, "VG": None}
    out["VG"] = wi * (n - wi) / (n - 1) / n ** 2 * (s / xbar) ** 2
    if permutations:
        scaling = y.sum()
        obs = out["G"]

        def stat(yi, yrand, wts):
            return (yrand @ wts + 1.0 * yi) / scaling  # self-weight 1 times y_i

        sims = conditional_sims(y, m, stat, int(permutations), seed)
        out["p_sim"] = folded_pseudo_p(obs, sims)
    return out


def hotspot_gistar(gdf, value: str, *, weights="queen", alpha: float = 0.05, fdr: bool = True,
                   permutations: int = 0, seed=None, id_column: str | None = None):
    """Getis-Ord Gi* hot and cold spots for areas or grid cells.

    Parameters
    ----------
    gdf : GeoDataFrame
        Areas or grid cells in a projected CRS (metres).
    value : str
        Column analysed (a count or a rate); copied to the ``value`` column.
    weights : str or SpatialWeights
        ``queen`` (default), ``rook``, ``distance:METRES`` or ``knn:K``; binary,
        self included by the statistic.
    alpha : float
        Significance level of ``gi_sig`` (default 0.05).
    fdr : bool
        Benjamini–Hochberg adjustment for the number of areas tested (default on).
    permutations : int
        Number of conditional permutations (0 = analytic z only).
    seed : int, optional
        Random seed; required for reproducible permutation results.
    id_column : str, optional
        Area identifier kept as the first column.

    Returns
    -------
    GeoDataFrame
        The id column, ``value``, ``gi_z``, ``gi_p`` (analytic, two-sided),
        ``gi_p_sim`` (with permutations), ``gi_p_fdr``, ``gi_bin`` (−3..3),
        ``gi_sig`` and ``geometry``; ``attrs['hotmap_meta']`` states the method.

    Raises
    ------
    AnalysisError
        Geographic CRS, islands, missing values or constant values.
    """
    from mapping.weights import build_weights, check_projected

    check_projected(gdf)
    if value not in gdf.columns:
        raise AnalysisError(f"no column '{value}' to analyse", column=value,
                            fix=f"choose one of: {', '.join(map(str, gdf.columns[:20]))}")
    w = build_weights(gdf, weights) if isinstance(weights, str) else weights
    _check_islands(w)
    y = pd.to_numeric(gdf[value], errors="coerce").to_numpy(float)
    res = gistar(y, w, permutations=permutations, seed=seed)
    p_used = res["p_sim"] if permutations else res["p"]
    q = fdr_bh(p_used)
    p_class = q if fdr else p_used
    cols = {}
    if id_column:
        cols[id_column] = gdf[id_column].to_numpy()
    cols.update(value=y, gi_z=res["z"], gi_p=res["p"])
    if permutations:
        cols["gi_p_sim"] = res["p_sim"]
    cols.update(gi_p_fdr=q, gi_bin=gi_bins(res["z"], p_class), gi_sig=p_class < alpha)
    import geopandas as gpd

    out = gpd.GeoDataFrame(cols, geometry=gdf.geometry.values, crs=gdf.crs, index=gdf.index)
    out.attrs["hotmap_meta"] = {
        "method": "Getis-Ord Gi* (self included), analytic z as Getis & Ord (1995)"
                  + (f"; {permutations} conditional permutations, seed {seed}"
                     if permutations else ""),
        "units": "z-score",
        "value_column": "gi_bin",
        "params": {"value": value, "weights": w.spec, "weights_detail": w.describe(),
                   "alpha": alpha, "fdr": "Benjamini-Hochberg" if fdr else "off",
                   "p_value": "permutation pseudo-p" if permutations else "normal, two-sided",
                   "permutations": int(permutations), "seed": seed},
        "base_n": int(len(out)),
        "notes": [f"{int((out.gi_bin > 0).sum())} hot and {int((out.gi_bin < 0).sum())} cold "
                  f"of {len(out)} at 90%+ ({'FDR-adjusted' if fdr else 'unadjusted'})"],
    }
    return out


def grid_cells(points, *, cell_size: float, boundary=None, weights: str = "queen"):
    """Square cells with the count of points in each (``value``) and their weights.

    Returns
    -------
    (GeoDataFrame, SpatialWeights)
        Cells ``cell_id``, ``row``, ``col``, ``value`` (only those whose centre is in
        the ``boundary``, when given) and grid weights among them.
    """
    from mapping.kernels import grid_counts
    from mapping.surface import Surface
    from mapping.surface_io import surface_to_cells
    from mapping.weights import grid_weights

    g, valid, counts, _ = grid_counts(points, cell_size, boundary)
    w = grid_weights(g.ny, g.nx, weights, valid=valid, cell_size=cell_size)
    base = Surface(values=np.where(valid, counts, np.nan).astype(np.float32), x0=g.x0, y0=g.y0,
                   cell_size=float(cell_size))
    return surface_to_cells(base, "value"), w


def on_grid_cells(points, analyse, *, cell_size: float, boundary=None, weights="queen", **kw):
    """Run an area statistic (``hotspot_gistar``, ``hotspot_lisa``) on point counts in
    square cells; the cells keep ``cell_id``, ``row`` and ``col``."""
    cells, w = grid_cells(points, cell_size=cell_size, boundary=boundary, weights=weights)
    out = analyse(cells, "value", weights=w, id_column="cell_id", **kw)
    out.insert(1, "row", cells["row"].to_numpy())
    out.insert(2, "col", cells["col"].to_numpy())
    out.attrs["hotmap_meta"]["params"]["cell_size_m"] = float(cell_size)
    out.attrs["hotmap_meta"]["method"] += f"; counts in {cell_size:g} m grid cells"
    return out


def hotspot_gistar_grid(points, *, cell_size: float, boundary=None, weights: str = "queen",
                        alpha: float = 0.05, fdr: bool = True, permutations: int = 0, seed=None):
    """Gi* on counts of points in regular grid cells (sfhotspot ``hotspot_gistar`` style).

    Cells are aligned to multiples of ``cell_size``; with a ``boundary`` only
    cells whose centre is inside are analysed.  Weights are grid ``queen`` (8
    neighbours, default), ``rook``, ``distance:METRES`` or ``knn:K``.

    Returns
    -------
    GeoDataFrame
        Cells with ``cell_id``, ``row``, ``col``, ``value`` (count), ``gi_z``,
        ``gi_p``, [``gi_p_sim``], ``gi_p_fdr``, ``gi_bin``, ``gi_sig``.
    """
    return on_grid_cells(points, hotspot_gistar, cell_size=cell_size, boundary=boundary,
                         weights=weights, alpha=alpha, fdr=fdr, permutations=permutations,
                         seed=seed)
