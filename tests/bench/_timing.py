"""Timing helper shared by the benchmark scripts (not a benchmark itself: no ``bench_`` prefix)."""

from __future__ import annotations

import time


def best(fn, repeat: int = 3) -> float:
    """Fastest of ``repeat`` calls of ``fn``, in seconds (the usual timeit convention)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)
