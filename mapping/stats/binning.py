"""The KDE engine: binned (linear binning + FFT) and exact evaluation, with accuracy control.

:func:`kde_binned` is what ``hotspot_kde(method="binned")`` runs.  Its result is
within the **stated tolerance** (:data:`KDE_TOLERANCE`: max |binned − exact| /
max(exact) over all cells, bandwidth ≥ 4 cells; :data:`KDE_TOLERANCE_10` from
10 cells) of the exact per-event evaluation, on stacked police.uk snap points as
on diffuse data, because:

1. **Affordable data is evaluated exactly.**  Events are collapsed onto their
   distinct locations (police.uk snaps many records onto one point) and, when
   the distinct locations × the cells within a kernel's reach stay below
   :data:`EXACT_BUDGET` (most audit layers), each is evaluated exactly: no
   binning error at all.
2. **Heavy snap points are evaluated exactly, the rest binned.**  A stack of 17
   events binned onto 4 cell centres carries 17 times one event's binning error
   (:func:`single_point_error`: quartic 3.9% of its peak at 4 cells per
   bandwidth, uniform 95%).  A snap point whose weight could use more than
   :data:`HEAVY_SHARE` of the tolerance is taken out of the binned grid and
   added exactly (the convolution is linear, so this is exact bookkeeping).
3. **The result is checked and refined.**  The binned surface is compared with
   the exact sum at :data:`CHECK_CELLS` cells (the densest half, the rest drawn
   with a fixed seed among the non-zero cells).  If the largest difference
   exceeds half the tolerance (:data:`CHECK_MARGIN`: a sample sees the typical,
   not always the largest, difference), the grid is refined by 3 (cell centres
   still fall on the original centres) and checked again; if it still does and
   the distinct locations can be evaluated exactly within 10 × the budget, they
   are; otherwise a warning says the tolerance may not be met.  The figure
   checked is in the metadata.

Below 4 cells per bandwidth no tolerance is stated and the result warns.

Method: Wand MP, Jones MC (1995) Kernel Smoothing, ch. 4.2 (linear binning);
the sampled kernel is rescaled to conserve each event's mass exactly.  The binning and
the FFT convolution themselves are in :mod:`mapping.stats.linear_binning`.

Public functions: :func:`kde_binned`, :func:`kde_exact`, :func:`edge_mass`,
:func:`stated_tolerance`, :func:`single_point_error`.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from mapping.stats.kernels import GridSpec, kernel_density
from mapping.stats.linear_binning import fft_convolve, kernel_matrix, linear_bin

__all__ = ["kde_binned", "kde_exact", "edge_mass", "stated_tolerance", "single_point_error",
           "KDE_TOLERANCE", "KDE_TOLERANCE_10", "EXACT_BUDGET", "HEAVY_SHARE", "CHECK_CELLS",
           "CHECK_MARGIN"]

#: Stated tolerance of the binned method: max |binned − exact| / max(exact), bandwidth ≥ 4 cells.
KDE_TOLERANCE = {"quartic": 0.025, "triweight": 0.025, "epanechnikov": 0.025,
                 "triangular": 0.025, "uniform": 0.08}
#: The same with bandwidth ≥ 10 cells.
KDE_TOLERANCE_10 = {"quartic": 0.005, "triweight": 0.005, "epanechnikov": 0.005,
                    "triangular": 0.005, "uniform": 0.025}


def stated_tolerance(kernel: str, cells_per_bandwidth: float) -> float | None:
    """The binned method's stated tolerance at this bandwidth in cells (None below 4 cells).

    Examples
    --------
    >>> stated_tolerance("quartic", 4), stated_tolerance("uniform", 12), stated_tolerance("quartic", 3)
    (0.025, 0.025, None)
    """
    if cells_per_bandwidth >= 10 - 1e-9:
        return KDE_TOLERANCE_10[kernel]
    if cells_per_bandwidth >= 4 - 1e-9:
        return KDE_TOLERANCE[kernel]
    return None


#: Share of the stated tolerance one binned snap point may use at most (:func:`_heavy_points`).
HEAVY_SHARE = 0.25
#: Kernel evaluations (distinct locations × cells within reach) below which every location
#: is evaluated exactly instead of binned (about half a second).
EXACT_BUDGET = 2_000_000
#: Cells at which a binned surface is checked against the exact sum, and the most kernel
#: evaluations that check may cost (fewer cells are checked on very dense data).
CHECK_CELLS = 400
CHECK_BUDGET = 300_000
#: A checked difference above this share of the tolerance refines the grid (then, when
#: affordable, evaluates exactly): the cells checked see the typical, not the largest, error.
CHECK_MARGIN = 0.5


def _all_exact(uxy, uw, grid, bandwidth, kernel, info):
    info.update(evaluation="exact at every location", exact_points=len(uxy), checked_error=0.0,
                within=True)
    return kde_exact(uxy, grid, bandwidth, kernel, uw), info


def _plain_binned(xy, w, grid: GridSpec, bandwidth, kernel):
    """Linear binning + FFT convolution of every event; (ny, nx) south-up, per m²."""
    kmat, r = kernel_matrix(grid.cell_size, bandwidth, kernel)
    pad = r + 1
    same = fft_convolve(linear_bin(xy, w, grid, pad), kmat)
    return same[pad:pad + grid.ny, pad:pad + grid.nx]


def _binned_heavy(xy, w, grid: GridSpec, bandwidth, kernel, tolerance):
    """Binned, with heavy snap points evaluated exactly; (density, number of exact points)."""
    kmat, r = kernel_matrix(grid.cell_size, bandwidth, kernel)
    pad = r + 1
    binned = linear_bin(xy, w, grid, pad)
    same = fft_convolve(binned, kmat)
    hxy, hw = _heavy_points(xy, w, binned, same, grid, pad, bandwidth, kernel, tolerance)
    if len(hw):  # swap their binned kernels for exact ones (the convolution is linear)
        same -= fft_convolve(linear_bin(hxy, hw, grid, pad), kmat)
        same[pad:pad + grid.ny, pad:pad + grid.nx] += kde_exact(hxy, grid, bandwidth, kernel,
                                                                hw)
    out = same[pad:pad + grid.ny, pad:pad + grid.nx]
    return np.where(out < kmat.max() * 1e-12 * max(1.0, np.abs(w).sum()), 0.0, out), len(hw)


def _pick_within(cost, budget, at_least):
    """The first cells (in the given order) whose cumulative cost stays within the budget."""
    k = int(np.searchsorted(np.cumsum(cost), budget, "right"))
    return max(k, min(at_least, len(cost)))


def _checked_error(xy, w, grid: GridSpec, dens, bandwidth, kernel, n=CHECK_CELLS):
    """Largest |dens − exact| / max(dens) over up to ``n`` cells (half the densest, half
    drawn), at most :data:`CHECK_BUDGET` kernel evaluations; (error, cells checked)."""
    flat = dens.ravel()
    top = float(flat.max(initial=0.0))
    if not top > 0 or not len(xy):
        return 0.0, 0
    # buckets one bandwidth wide: a cell's events are in the 3 × 3 buckets around it
    b = float(bandwidth)
    bx0, by0 = grid.x0 - 2 * b, grid.y0 - 2 * b
    nbx = int((grid.nx * grid.cell_size + 4 * b) // b) + 2
    nby = int((grid.ny * grid.cell_size + 4 * b) // b) + 2
    # events far outside land in the border buckets, which no cell needs
    ex = np.clip(((xy[:, 0] - bx0) * (1 / b)).astype(np.int32), 0, nbx - 1)
    ey = np.clip(((xy[:, 1] - by0) * (1 / b)).astype(np.int32), 0, nby - 1)
    ekey = ey * np.int32(nbx) + ex
    per_bucket = np.bincount(ekey, minlength=nbx * nby)
    three = np.array([-1, 0, 1])

    def keys_of(c):
        cy, cx = np.divmod(c, grid.nx)
        qx = np.floor((grid.x0 + (cx + 0.5) * grid.cell_size - bx0) / b).astype(np.int64)
        qy = np.floor((grid.y0 + (cy + 0.5) * grid.cell_size - by0) / b).astype(np.int64)
        return ((qy[:, None] + three[None, :]).repeat(3, 1) * nbx
                + np.tile(qx[:, None] + three[None, :], (1, 3)))

    nz = np.flatnonzero(flat > 0)
    k = min(n // 2, len(nz))
    if k:
        part = np.argpartition(-flat[nz], k - 1)[:k]
        dense = nz[part[np.argsort(-flat[nz][part], kind="stable")]]
    else:
        dense = nz[:0]
    taken = np.zeros(flat.size, bool)
    taken[dense] = True
    rest = nz[~taken[nz]]
    drawn = rest[np.random.default_rng(0).choice(len(rest), min(n - k, len(rest)),
                                                 replace=False)]
    dense = dense[:_pick_within(per_bucket[keys_of(dense)].sum(1), CHECK_BUDGET / 2, 10)]
    drawn = drawn[:_pick_within(per_bucket[keys_of(drawn)].sum(1), CHECK_BUDGET / 2, 10)]
    cells = np.concatenate([dense, drawn])
    keys = keys_of(cells)
    cy, cx = np.divmod(cells, grid.nx)
    px = grid.x0 + (cx + 0.5) * grid.cell_size
    py = grid.y0 + (cy + 0.5) * grid.cell_size
    needed = np.zeros(nbx * nby, bool)
    needed[keys.ravel()] = True
    sel = np.flatnonzero(needed[ekey])
    small = np.uint16 if nbx * nby < 2 ** 16 else np.int64  # radix sort for small keys
    order = sel[np.argsort(ekey[sel].astype(small), kind="stable")]
    skey = ekey[order]
    exact = np.zeros(len(cells))
    home = keys[:, 4]
    for h in np.unique(home):  # cells sharing a bucket share their candidate events
        at = np.flatnonzero(home == h)
        k9 = keys[at[0]]
        lo, hi = np.searchsorted(skey, k9, "left"), np.searchsorted(skey, k9, "right")
        idx = np.concatenate([order[i:j] for i, j in zip(lo, hi)])
        if len(idx):
            d = np.hypot(xy[idx, 0][None, :] - px[at, None], xy[idx, 1][None, :] - py[at, None])
            exact[at] = kernel_density(d, bandwidth, kernel) @ w[idx]
    return float(np.abs(flat[cells] - exact).max() / max(top, exact.max())), len(cells)


def kde_binned(xy, w, grid: GridSpec, bandwidth: float, kernel: str = "quartic"):
    """Binned KDE within the stated tolerance of the exact one (see the module notes).

    Parameters
    ----------
    xy : ndarray, shape (n, 2)
        Event coordinates (metres).
    w : ndarray, shape (n,)
        Event weights.
    grid : GridSpec
    bandwidth : float
        Kernel radius in metres.
    kernel : str

    Returns
    -------
    (density, info) : (ndarray, dict)
        Density per m², (ny, nx) south-up; ``info`` has ``evaluation`` ("exact at
        every location" or "binned"), ``exact_points``, ``refine`` (1 or 3),
        ``checked_cells``, ``checked_error`` (share of the peak), ``tolerance``
        (stated, or None below 4 cells) and ``within`` (bool or None).
    """
    xy = np.asarray(xy, float)
    w = np.asarray(w, float)
    tol = stated_tolerance(kernel, bandwidth / grid.cell_size)
    target = tol if tol is not None else KDE_TOLERANCE[kernel]
    r = int(math.ceil(bandwidth / grid.cell_size))
    reach = (2 * r + 3) ** 2
    info = {"evaluation": "binned", "exact_points": 0, "refine": 1, "checked_cells": 0,
            "checked_error": None, "tolerance": tol, "within": None,
            "cells_per_bandwidth": bandwidth / grid.cell_size}
    if not len(xy):
        return np.zeros((grid.ny, grid.nx)), info
    uxy = uw = None
    if len(xy) * reach <= 40 * EXACT_BUDGET:
        uxy, inv = np.unique(xy, axis=0, return_inverse=True)
        uw = np.bincount(inv.ravel(), w, minlength=len(uxy))
        if len(uxy) * reach <= EXACT_BUDGET:  # affordable: no binning error at all
            return _all_exact(uxy, uw, grid, bandwidth, kernel, info)
    dens, n_exact = _binned_heavy(xy, w, grid, bandwidth, kernel, target)
    err, n_cells = _checked_error(xy, w, grid, dens, bandwidth, kernel)
    # a sample of cells sees the typical error, not always the largest: act at half the target
    if err > CHECK_MARGIN * target:
        from mapping.core.limits import available_memory

        fine = GridSpec(grid.x0, grid.y0, grid.nx * 3, grid.ny * 3, grid.cell_size / 3)
        need = (fine.nx + 2 * 3 * r + 3) * (fine.ny + 2 * 3 * r + 3) * 64
        if need < 0.25 * available_memory():
            fd, n_exact = _binned_heavy(xy, w, fine, bandwidth, kernel, target)
            dens = fd[1::3, 1::3]  # the centre of each 3 × 3 block is the coarse centre
            info["refine"] = 3
            err, n_cells = _checked_error(xy, w, grid, dens, bandwidth, kernel)
    if err > CHECK_MARGIN * target and uxy is not None and len(uxy) * reach <= 10 * EXACT_BUDGET:
        return _all_exact(uxy, uw, grid, bandwidth, kernel, info)
    info.update(exact_points=int(n_exact), checked_cells=int(n_cells),
                checked_error=float(err), within=bool(err <= target) if tol is not None
                else None)
    return dens, info


@functools.lru_cache(maxsize=64)
def single_point_error(cells_per_bandwidth: float, kernel: str) -> float:
    """Largest error of the binned kernel of one event, as a share of its peak density.

    Measured, not assumed: one event at sub-cell offsets 0, ¼, ½ of a cell in x and
    y, binned and exact on a small grid; the worst cell over the offsets, divided by
    the kernel's peak g(0)/h².  It depends only on the bandwidth in cells.

    Examples
    --------
    >>> round(single_point_error(4.0, "quartic"), 3) < round(single_point_error(2.0, "quartic"), 3)
    True
    """
    cs, bw = 1.0, float(cells_per_bandwidth)
    r = int(math.ceil(bw)) + 3
    g = GridSpec(-r * cs, -r * cs, 2 * r, 2 * r, cs)
    peak = float(kernel_density(np.zeros(1), bw, kernel)[0])
    worst = 0.0
    for fx in (0.0, 0.25, 0.5):
        for fy in (0.0, 0.25, 0.5):
            xy = np.array([[fx * cs, fy * cs]])
            b = _plain_binned(xy, np.ones(1), g, bw, kernel)
            e = kde_exact(xy, g, bw, kernel)
            worst = max(worst, float(np.abs(b - e).max()) / peak)
    return worst


def _heavy_points(xy, w, binned, same, grid, pad, bandwidth, kernel, tolerance):
    """Snap points whose stacked weight alone could use more than :data:`HEAVY_SHARE` of
    the tolerance: their binned error (``single_point_error`` × weight × peak) exceeds
    ``HEAVY_SHARE × tolerance × max density``.  Candidates come from the binned grid
    (a cell centre holding that much weight), so diffuse data costs no sorting."""
    e1 = single_point_error(round(bandwidth / grid.cell_size, 6), kernel)
    peak = float(kernel_density(np.zeros(1), bandwidth, kernel)[0])
    top = float(same[pad:pad + grid.ny, pad:pad + grid.nx].max(initial=0.0))
    if not (top > 0 and e1 > 0):
        return xy[:0], w[:0]
    limit = HEAVY_SHARE * tolerance * top / (e1 * peak)  # weight of one snap point
    # a snap point of weight W puts at least W/4 on one of its 4 centres
    hot = binned >= limit / 4
    if not hot.any():
        return xy[:0], w[:0]
    cs = grid.cell_size
    ny, nx = hot.shape
    cand = np.zeros(len(xy), bool)
    step = 1_000_000  # events at a time: the temporary arrays stay bounded
    for lo in range(0, len(xy), step):
        part = xy[lo:lo + step]
        fx = np.floor((part[:, 0] - (grid.x0 - pad * cs + cs / 2)) / cs).astype(np.int64)
        fy = np.floor((part[:, 1] - (grid.y0 - pad * cs + cs / 2)) / cs).astype(np.int64)
        c = cand[lo:lo + step]
        for dy in (0, 1):
            for dx in (0, 1):
                iy, ix = fy + dy, fx + dx
                ok = (iy >= 0) & (iy < ny) & (ix >= 0) & (ix < nx)
                c[ok] |= hot[iy[ok], ix[ok]]
    idx = np.flatnonzero(cand)
    if not len(idx):
        return xy[:0], w[:0]
    uxy, inv = np.unique(xy[idx], axis=0, return_inverse=True)
    uw = np.bincount(inv.ravel(), w[idx], minlength=len(uxy))
    heavy = uw > limit
    return uxy[heavy], uw[heavy]


def edge_mass(inside, cell_size: float, bandwidth: float, kernel: str = "quartic"):
    """Share of a kernel centred on each cell that falls inside the study area.

    ``inside`` is the (ny, nx) south-up mask of cells in the study area; the
    result is ``Σ_j inside_j · K(s − s_j) · cell area`` at every cell ``s``: 1 far
    from the edge, about ½ on a straight edge and ¼ in a square corner.  The
    uniform edge correction divides the density by it (Diggle 1985; Jones 1993).
    """
    kmat, r = kernel_matrix(cell_size, bandwidth, kernel)
    pad = r + 1
    m = np.pad(np.asarray(inside, float), pad)
    conv = fft_convolve(m, kmat)[pad:-pad, pad:-pad] * cell_size ** 2
    return np.clip(conv, 0.0, 1.0)


def kde_exact(xy, grid: GridSpec, bandwidth: float, kernel: str = "quartic", weights=None,
              chunk: int | None = None):
    """Exact KDE: every event's kernel evaluated at every cell centre (per m², south-up).

    The reference for the binned method; cost grows with events × (bandwidth/cell)².
    ``chunk`` events are evaluated at once (default: about 2 million kernel values).
    """
    xy = np.asarray(xy, float)
    w = np.ones(len(xy)) if weights is None else np.asarray(weights, float)
    cs = grid.cell_size
    rr = int(math.ceil(bandwidth / cs)) + 1
    offs = np.arange(-rr, rr + 1)
    ox, oy = np.meshgrid(offs, offs)
    ox, oy = ox.ravel(), oy.ravel()
    chunk = chunk or max(1, 2_000_000 // len(ox))
    out = np.zeros(grid.nx * grid.ny)
    for s in range(0, len(xy), chunk):
        p = xy[s:s + chunk]
        cx = np.floor((p[:, 0] - grid.x0) / cs).astype(np.int64)
        cy = np.floor((p[:, 1] - grid.y0) / cs).astype(np.int64)
        jx = cx[:, None] + ox[None, :]
        jy = cy[:, None] + oy[None, :]
        ok = (jx >= 0) & (jx < grid.nx) & (jy >= 0) & (jy < grid.ny)
        dx = grid.x0 + (jx + 0.5) * cs - p[:, 0:1]
        dy = grid.y0 + (jy + 0.5) * cs - p[:, 1:2]
        dens = kernel_density(np.hypot(dx, dy), bandwidth, kernel) * w[s:s + chunk, None]
        out += np.bincount((jy * grid.nx + jx)[ok], dens[ok], minlength=out.size)
    return out.reshape(grid.ny, grid.nx)


