"""Refuse jobs that would need more memory than the machine has, before they start.

An analyst who asks for a 1 m KDE grid over a whole police force area would
otherwise wait minutes and then take the machine down.  The checks here run
*before* any large array is allocated and raise
:class:`~layers.common.errors.ResourceLimitError` with the numbers and a fix.

Public functions: :func:`check_grid_size`, :func:`check_memory`,
:func:`available_memory`, :func:`suggest_cell_size`.
"""

from __future__ import annotations

import math
import os

from layers.common.errors import ResourceLimitError

__all__ = ["check_grid_size", "check_memory", "available_memory", "suggest_cell_size",
           "MEMORY_FRACTION", "KDE_BYTES_PER_CELL"]

#: Share of the currently available memory a single job may plan to use.
MEMORY_FRACTION = 0.5
#: Working memory of the binned FFT KDE per output cell: the padded float64
#: weights grid, its real FFT (complex128, about half the padded size), the
#: kernel's FFT, the inverse transform and the float32 result, with the padding
#: to FFT-friendly sizes (about 1.5x in each direction) taken into account.
KDE_BYTES_PER_CELL = 96
#: Hard ceiling, whatever the machine: 2**31 cells (index arithmetic, GeoTIFF).
MAX_GRID_CELLS = 2 ** 31 - 1
_ENV_OVERRIDE = "HOTMAP_MEMORY_LIMIT_BYTES"


def available_memory() -> int:
    """Bytes of memory available to a new job right now.

    Uses ``psutil.virtual_memory().available`` when psutil is installed,
    otherwise ``MemAvailable`` from ``/proc/meminfo``; the environment variable
    ``HOTMAP_MEMORY_LIMIT_BYTES`` (e.g. set by an administrator, or by tests)
    caps the figure.  Falls back to 2 GiB when neither source is readable.

    Returns
    -------
    int
        Available memory in bytes.
    """
    avail = None
    try:
        import psutil

        avail = int(psutil.virtual_memory().available)
    except Exception:  # psutil missing or unsupported platform
        try:
            with open("/proc/meminfo", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("MemAvailable:"):
                        avail = int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError, IndexError):
            avail = None
    if avail is None:
        avail = 2 * 1024 ** 3
    cap = os.environ.get(_ENV_OVERRIDE)
    if cap:
        try:
            avail = min(avail, int(float(cap)))
        except ValueError:
            pass
    return avail


def _fmt_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TB"  # pragma: no cover


def check_memory(needed_bytes: float, *, what: str = "this job", fix: str | None = None) -> None:
    """Raise unless ``needed_bytes`` fits in the share of memory a job may use.

    Parameters
    ----------
    needed_bytes : float
        Estimated peak memory of the job.
    what : str
        What needs the memory, for the message.
    fix : str, optional
        What the user can change.

    Raises
    ------
    ResourceLimitError
        If the estimate exceeds :data:`MEMORY_FRACTION` of :func:`available_memory`.
    """
    budget = available_memory() * MEMORY_FRACTION
    if needed_bytes > budget:
        raise ResourceLimitError(
            f"{what} would need about {_fmt_bytes(needed_bytes)} of memory, more than the "
            f"{_fmt_bytes(budget)} this machine can spare",
            fix=fix or "make the job smaller")


def suggest_cell_size(nx: int, ny: int, cell_size: float, max_cells: float) -> float:
    """Smallest round cell size (1, 2, 2.5, 5 x 10^k m) giving at most ``max_cells`` cells.

    Parameters
    ----------
    nx, ny : int
        Current grid shape.
    cell_size : float
        Current cell size in metres.
    max_cells : float
        Cell budget.

    Returns
    -------
    float
        Suggested cell size in metres (never smaller than ``cell_size``).

    Examples
    --------
    >>> suggest_cell_size(100_000, 100_000, 1.0, 1e8)
    10.0
    """
    width, height = nx * cell_size, ny * cell_size
    if max_cells <= 0:
        return float(cell_size)
    target = math.sqrt(width * height / max_cells)
    target = max(target, float(cell_size))
    exp = math.floor(math.log10(target)) if target > 0 else 0
    for k in (exp, exp + 1):
        for m in (1, 2, 2.5, 5):
            cs = m * 10.0 ** k
            if cs >= target and math.ceil(width / cs) * math.ceil(height / cs) <= max_cells:
                return float(cs)
    return float(10.0 ** (exp + 2))


def check_grid_size(nx: int, ny: int, *, bytes_per_cell: float = KDE_BYTES_PER_CELL,
                    what: str = "KDE grid", cell_size: float | None = None) -> int:
    """Refuse a grid that would not fit in memory, before anything is allocated.

    Parameters
    ----------
    nx, ny : int
        Grid columns and rows.
    bytes_per_cell : float
        Peak working memory per cell of the computation (default: binned FFT KDE).
    what : str
        What the grid is for, for the message.
    cell_size : float, optional
        Cell size in metres; when given, the message suggests a cell size that fits.

    Returns
    -------
    int
        The number of cells, when it fits.

    Raises
    ------
    ResourceLimitError
        With the cell count, the memory it would need, and a suggested cell size.

    Examples
    --------
    >>> check_grid_size(100, 200)
    20000
    """
    nx, ny = int(nx), int(ny)
    if nx < 1 or ny < 1:
        raise ResourceLimitError(f"{what}: a grid of {nx}×{ny} cells is empty",
                                 fix="check the extent and cell size")
    cells = nx * ny
    needed = cells * float(bytes_per_cell)
    budget = available_memory() * MEMORY_FRACTION
    max_cells = min(budget / float(bytes_per_cell), MAX_GRID_CELLS)
    if cells <= max_cells:
        return cells
    if cell_size:
        better = suggest_cell_size(nx, ny, float(cell_size), max_cells)
        fix = (f"use a cell size of at least {better:g} m (now {float(cell_size):g} m), "
               "or a smaller study area")
    else:
        factor = math.sqrt(cells / max_cells)
        fix = (f"use cells at least {math.ceil(factor * 10) / 10:g} times larger, "
               "or a smaller study area")
    raise ResourceLimitError(
        f"{what} of {cells:,} cells ({nx:,}×{ny:,}) would need about {_fmt_bytes(needed)} "
        f"of memory; this machine can spare {_fmt_bytes(budget)} "
        f"(at most {int(max_cells):,} cells)", fix=fix)
