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
without replacement (Anselin 1995), with the same random draws as esda; the
pseudo p-value (``gi_p_sim``) is **two-sided and tie-aware**
(:mod:`mapping.stats.permutation`): a simulation that equals the observed Gi* up to
rounding counts as at least as extreme, and p = 2 × the smaller tail, so it
feeds the same 99/95/90% bins as the two-sided analytic p.  When used, bins
and FDR use ``gi_p_sim``.  It cannot be below 2/(N+1), so the 99% bins need
N ≥ 200 (use 999).

**Flat neighbourhoods** (an area whose value and whose neighbours' values
are all equal, typically no events in it or around it) are never
significant, analytic or permuted: their p-value for the bins is 1 and
``gi_flat`` marks them.  Analytic z there is −x̄·W/(S·√…) (or +), which can
pass ±1.96 when most areas have events, yet says nothing local.

Areas with no neighbours are refused, named by their code
(:func:`mapping.stats.weights.check_islands`); grid cells without neighbours are
left out with a note (:func:`on_grid_cells`), and the notes count the points
outside the analysed cells.

References: Getis A, Ord JK (1992) Geogr Anal 24:189; Ord JK, Getis A (1995)
Geogr Anal 27:286; Benjamini Y, Hochberg Y (1995) JRSS B 57:289.

Public functions: :func:`hotspot_gistar`, :func:`hotspot_gistar_grid`, :func:`gistar`,
:func:`fdr_bh`, :func:`gi_bins`, :func:`classify_p`, :func:`grid_cells`, :func:`on_grid_cells`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from layers.common.errors import AnalysisError
from mapping.core.surface import Surface, surface_to_cells
from mapping.stats.permutation import (conditional_test, flat_neighbourhoods, flat_note,
                                 permutation_notes)

__all__ = ["hotspot_gistar", "hotspot_gistar_grid", "grid_cells", "on_grid_cells", "gistar",
           "fdr_bh", "gi_bins", "classify_p", "GI_BIN_LABELS"]

#: Labels of the ``gi_bin`` classes, as ArcGIS names them.
GI_BIN_LABELS = {
    3: "Hot spot, 99% confidence", 2: "Hot spot, 95% confidence",
    1: "Hot spot, 90% confidence", 0: "Not significant",
    -1: "Cold spot, 90% confidence", -2: "Cold spot, 95% confidence",
    -3: "Cold spot, 99% confidence",
}


def fdr_bh(p) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values, scipy's ``false_discovery_control``);
    NaN stays NaN.

    ``q < alpha`` exactly when BH's step-up procedure at level ``alpha`` rejects.
    """
    from scipy.stats import false_discovery_control

    p = np.asarray(p, float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)  # scipy refuses NaN: areas with no test keep no q-value
    if ok.any():
        out[ok] = false_discovery_control(p[ok], method="bh")
    return out


def gi_bins(z, p) -> np.ndarray:
    """ArcGIS-style confidence bins: sign(z) × (3 if p<0.01, 2 if p<0.05, 1 if p<0.10, else 0)."""
    z = np.asarray(z, float)
    p = np.asarray(p, float)
    level = np.where(p < 0.01, 3, np.where(p < 0.05, 2, np.where(p < 0.10, 1, 0)))
    level = np.where(np.isnan(p) | np.isnan(z), 0, level)
    return (np.nan_to_num(np.sign(z)) * level).astype(np.int8)


def classify_p(p, flat, *, fdr: bool = True):
    """The p-values the classes use: flat neighbourhoods never significant.

    Flat neighbourhoods are not tested: their p-value for the classes is 1 and
    they are left out of the Benjamini–Hochberg family (as a filter applied
    before testing), so the areas that can show a local contrast are not
    penalised for the many that cannot.

    Returns
    -------
    (q, p_class) : (ndarray, ndarray)
        ``q`` the Benjamini–Hochberg q-values among the other sites (1 for flat
        ones), and ``p_class`` = ``q`` with ``fdr``, else the p-values with flat
        sites at 1.
    """
    flat = np.asarray(flat, bool)
    p = np.where(flat, 1.0, np.asarray(p, float))
    q = np.ones_like(p)
    q[~flat] = fdr_bh(p[~flat])
    q[np.isnan(p)] = np.nan
    return q, (q if fdr else p)


def gistar(values, weights, *, permutations: int = 0, seed=None,
           keep_simulations: bool = False) -> dict:
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
    keep_simulations : bool
        Also return the simulated statistics (``sims``, n × permutations).

    Returns
    -------
    dict
        ``G`` (the Gi* ratio), ``z``, ``p`` (two-sided), ``EG``, ``VG``, ``flat``
        (flat neighbourhoods, :func:`mapping.stats.permutation.flat_neighbourhoods`), and
        with permutations ``p_sim`` (two-sided, tie-aware) and, with
        ``keep_simulations``, ``sims`` (n, N).
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
    out["flat"] = flat_neighbourhoods(y, m)
    if permutations:
        scaling = y.sum()
        obs = out["G"]

        def stat(yi, yrand, wts):
            return (yrand @ wts + 1.0 * yi) / scaling  # self-weight 1 times y_i

        test = conditional_test(y, m, stat, obs, int(permutations), seed,
                                keep=keep_simulations)
        out["p_sim"] = test["p_sim"]
        if keep_simulations:
            out["sims"] = test["sims"]
    return out


def hotspot_gistar(gdf, value: str, *, weights="queen", alpha: float = 0.05, fdr: bool = True,
                   permutations: int = 0, seed=None, id_column: str | None = None,
                   snap: float | None = None):
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
        Area identifier kept as the first column (and used to name islands).
    snap : float, optional
        Queen/rook snapping tolerance in metres (default 2 m;
        :func:`mapping.stats.weights.build_weights`).

    Returns
    -------
    GeoDataFrame
        The id column, ``value``, ``gi_z``, ``gi_p`` (analytic, two-sided),
        ``gi_p_sim`` (with permutations; two-sided, tie-aware), ``gi_p_fdr``,
        ``gi_bin`` (−3..3), ``gi_sig``, ``gi_flat`` and ``geometry``;
        ``attrs['meta']`` states the method.

    Raises
    ------
    AnalysisError
        Geographic CRS, islands, missing values or constant values.
    """
    from mapping.stats.weights import build_weights, check_islands, check_projected

    check_projected(gdf)
    if value not in gdf.columns:
        raise AnalysisError(f"no column '{value}' to analyse", column=value,
                            fix=f"choose one of: {', '.join(map(str, gdf.columns[:20]))}")
    w = build_weights(gdf, weights, snap=snap) if isinstance(weights, str) else weights
    check_islands(w, gdf[id_column].to_numpy() if id_column else None)
    y = pd.to_numeric(gdf[value], errors="coerce").to_numpy(float)
    res = gistar(y, w, permutations=permutations, seed=seed)
    p_used = res["p_sim"] if permutations else res["p"]
    q, p_class = classify_p(p_used, res["flat"], fdr=fdr)
    cols = {}
    if id_column:
        cols[id_column] = gdf[id_column].to_numpy()
    cols.update(value=y, gi_z=res["z"], gi_p=res["p"])
    if permutations:
        cols["gi_p_sim"] = res["p_sim"]
    cols.update(gi_p_fdr=q, gi_bin=gi_bins(res["z"], p_class), gi_sig=p_class < alpha,
                gi_flat=res["flat"])
    import geopandas as gpd

    out = gpd.GeoDataFrame(cols, geometry=gdf.geometry.values, crs=gdf.crs, index=gdf.index)
    out.attrs["meta"] = {
        "method": "Getis-Ord Gi* (self included), analytic z as Getis & Ord (1995)"
                  + (f"; {permutations} conditional permutations, seed {seed}, two-sided "
                     "pseudo p-value counting ties" if permutations else ""),
        "units": "z-score",
        "value_column": "gi_bin",
        "params": {"value": value, "weights": w.spec, "weights_detail": w.describe(),
                   **({"snap_m": w.snap} if w.snap is not None else {}), "alpha": alpha,
                   "fdr": "Benjamini-Hochberg" if fdr else "off",
                   "p_value": ("permutation pseudo-p, two-sided, ties counted" if permutations
                               else "normal, two-sided"),
                   "permutations": int(permutations), "seed": seed},
        "base_n": int(len(out)),
        "notes": [f"{int((out.gi_bin > 0).sum())} hot and {int((out.gi_bin < 0).sum())} cold "
                  f"of {len(out)} at 90%+ ({'FDR-adjusted' if fdr else 'unadjusted'})"]
                 + flat_note(res["flat"]) + permutation_notes(int(permutations)),
    }
    return out


def grid_cells(points, *, cell_size: float, boundary=None, weights: str = "queen"):
    """Square cells with the count of points in each (``value``) and their weights.

    Returns
    -------
    (GeoDataFrame, SpatialWeights)
        Cells ``cell_id``, ``row``, ``col``, ``value`` (only those whose centre is in
        the ``boundary``, when given) and grid weights among them;
        ``attrs['points']`` counts the points read and those in the cells.
    """
    from mapping.stats.kernels import grid_counts
    from mapping.stats.weights import grid_weights

    g, valid, counts, xy = grid_counts(points, cell_size, boundary)
    w = grid_weights(g.ny, g.nx, weights, valid=valid, cell_size=cell_size)
    base = Surface(values=np.where(valid, counts, np.nan).astype(np.float32), x0=g.x0, y0=g.y0,
                   cell_size=float(cell_size))
    cells = surface_to_cells(base, "value")
    cells.attrs["points"] = {"read": int(len(xy)), "in_cells": int(counts[valid].sum())}
    return cells, w


def on_grid_cells(points, analyse, *, cell_size: float, boundary=None, weights="queen", **kw):
    """Run an area statistic (``hotspot_gistar``, ``hotspot_lisa``) on point counts in
    square cells; the cells keep ``cell_id``, ``row`` and ``col``.

    Cells without a neighbour under the weights (e.g. a lone cell of the study
    area cut off at its edge) are left out, with a note naming them and the
    points they hold; the notes also count the points outside the analysed
    cells, so every point is accounted for (``attrs['meta']['points']``).
    """
    from mapping.stats.weights import drop_islands

    cells, w = grid_cells(points, cell_size=cell_size, boundary=boundary, weights=weights)
    pts = cells.attrs["points"]
    keep, w = drop_islands(w)
    dropped = cells[~keep]
    cells = cells[keep]
    if not len(cells):
        raise AnalysisError(f"no {cell_size:g} m grid cell has a neighbour under {weights} "
                            "weights", fix="use smaller cells, a larger study area or knn:8")
    out = analyse(cells, "value", weights=w, id_column="cell_id", **kw)
    out.insert(1, "row", cells["row"].to_numpy())
    out.insert(2, "col", cells["col"].to_numpy())
    meta = out.attrs["meta"]
    meta["params"]["cell_size_m"] = float(cell_size)
    meta["method"] += f"; counts in {cell_size:g} m grid cells"
    analysed = int(cells["value"].sum())
    n_drop = int(dropped["value"].sum())
    notes = []
    if len(dropped):
        ids = ", ".join(map(str, dropped["cell_id"].head(10)))
        notes.append(f"{len(dropped)} grid cells without a neighbour under {weights} weights "
                     f"left out (cell_id {ids}{' ...' if len(dropped) > 10 else ''}; "
                     f"{n_drop} points in them)")
    outside = pts["read"] - pts["in_cells"]
    notes.append(f"{analysed:,} of {pts['read']:,} points are in the analysed cells"
                 + (f"; {outside:,} are outside the study area's cells" if outside else "")
                 + (f"; {n_drop:,} in the cells left out" if n_drop else ""))
    meta["notes"] = list(meta.get("notes", [])) + notes
    meta["points"] = {"read": pts["read"], "analysed": analysed, "in_dropped_cells": n_drop,
                      "outside_cells": outside, "dropped_cells": int(len(dropped))}
    return out


def hotspot_gistar_grid(points, *, cell_size: float, boundary=None, weights: str = "queen",
                        alpha: float = 0.05, fdr: bool = True, permutations: int = 0, seed=None,
                        snap: float | None = None):
    """Gi* on counts of points in regular grid cells (sfhotspot ``hotspot_gistar`` style).

    Cells are aligned to multiples of ``cell_size``; with a ``boundary`` only
    cells whose centre is inside are analysed.  Weights are grid ``queen`` (8
    neighbours, default), ``rook``, ``distance:METRES`` or ``knn:K``; ``snap`` is
    accepted for a uniform call and not used (cells share their edges exactly).
    Cells without neighbours are left out with a note (:func:`on_grid_cells`).

    Returns
    -------
    GeoDataFrame
        Cells with ``cell_id``, ``row``, ``col``, ``value`` (count), ``gi_z``,
        ``gi_p``, [``gi_p_sim``], ``gi_p_fdr``, ``gi_bin``, ``gi_sig``, ``gi_flat``.
    """
    return on_grid_cells(points, hotspot_gistar, cell_size=cell_size, boundary=boundary,
                         weights=weights, alpha=alpha, fdr=fdr, permutations=permutations,
                         seed=seed)
