"""Linear binning of events onto a grid and its FFT convolution with a sampled kernel.

The two primitives of the binned KDE (:func:`mapping.stats.binning.kde_binned`):
:func:`linear_bin` shares each event's weight among its four nearest cell centres
(Wand & Jones 1995, ch. 4.2), :func:`kernel_matrix` samples the kernel at cell centres
and rescales it so each event's mass is conserved exactly, and :func:`fft_convolve`
convolves the two by real FFTs.

Public functions: :func:`kernel_matrix`, :func:`linear_bin`, :func:`fft_convolve`,
:func:`fast_len`.
"""

from __future__ import annotations

import math

import numpy as np

import mapping.stats.engine as engine
from mapping.stats.kernels import GridSpec, kernel_density

__all__ = ["kernel_matrix", "linear_bin", "fft_convolve", "fast_len"]


def kernel_matrix(cell_size, bandwidth, kernel):
    """The kernel sampled at cell centres within its reach, rescaled to conserve mass.

    Returns
    -------
    (ndarray, int)
        The (2 r + 1, 2 r + 1) matrix, which sums to one event per cell area, and the
        reach ``r`` in cells (``ceil(bandwidth / cell_size)``).
    """
    r = int(math.ceil(bandwidth / cell_size))
    off = np.arange(-r, r + 1) * cell_size
    d = np.hypot(off[None, :], off[:, None])
    k = kernel_density(d, bandwidth, kernel)
    # conserve mass exactly: the sampled kernel sums to 1 event per cell area
    k *= 1.0 / (k.sum() * cell_size ** 2)
    return k, r


def linear_bin(xy, w, grid: GridSpec, pad: int):
    """Share each event's weight among its 4 nearest cell centres of the grid padded by
    ``pad`` cells on every side; returns the (ny + 2 pad, nx + 2 pad) south-up array.

    Above :data:`mapping.stats.engine.PARTITION` events, each partition is binned on its own
    (here or on dask workers) and the grids are added in partition order, so every
    engine gives the same sums."""
    if len(xy) > engine.PARTITION:
        return engine.partition_sum(_bin_part, (grid, pad), np.asarray(xy), np.asarray(w))
    return _bin_part((grid, pad), (xy, w))


def _bin_part(shared, part):
    (grid, pad), (xy, w) = shared, part
    pnx, pny = grid.nx + 2 * pad, grid.ny + 2 * pad
    cs = grid.cell_size
    fx = xy[:, 0] - (grid.x0 - pad * cs + cs / 2)
    fx /= cs
    fy = xy[:, 1] - (grid.y0 - pad * cs + cs / 2)
    fy /= cs
    ix = np.floor(fx)
    iy = np.floor(fy)
    ok = (ix >= 0) & (ix < pnx - 1) & (iy >= 0) & (iy < pny - 1)
    if not ok.all():
        fx, fy, ix, iy, w = fx[ok], fy[ok], ix[ok], iy[ok], w[ok]
    tx, ty = fx, fy  # the offsets within the cell, in place of the fractional positions
    tx -= ix
    ty -= iy
    base = iy.astype(np.int64)
    base *= pnx
    base += ix.astype(np.int64)
    size = pnx * pny
    # the four shares in the same order of operations as w * (1 - tx) * (1 - ty) etc.,
    # so the sums are bit for bit those of the four products written out
    left, right, low = w * (1 - tx), w * tx, 1 - ty
    grid_w = np.bincount(base, left * low, minlength=size)
    grid_w += np.bincount(base + 1, right * low, minlength=size)
    base += pnx
    grid_w += np.bincount(base, left * ty, minlength=size)
    grid_w += np.bincount(base + 1, right * ty, minlength=size)
    return grid_w.reshape(pny, pnx)


def fast_len(n: int) -> int:
    """Smallest 5-smooth integer (2^a 3^b 5^c) ≥ n: a size pocketfft transforms fast."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def fft_convolve(grid_w, kmat):
    """'same'-size linear convolution by real FFTs (numpy's pocketfft).

    numpy.fft rather than scipy.fft: on a grid of a million cells it is a few
    milliseconds slower, but importing scipy.fft costs a command ~0.15 s.
    """
    (pny, pnx), (ky, kx) = grid_w.shape, kmat.shape
    sy, sx = fast_len(pny + ky - 1), fast_len(pnx + kx - 1)
    spec = np.fft.rfft2(grid_w, (sy, sx)) * np.fft.rfft2(kmat, (sy, sx))
    full = np.fft.irfft2(spec, (sy, sx))
    return full[ky // 2:ky // 2 + pny, kx // 2:kx // 2 + pnx]
