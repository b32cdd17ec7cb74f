"""Benchmark of the pattern analyses (issue 20); run with
``.venv/bin/python tests/bench/bench_patterns.py``.

Figures, each with its ratio to a baseline measured in the same run:

1. Knox near-repeat test of 5,000 clustered events, 5 distance bands up to 400 m × 5 time
   bands, 999 permutations (target < 10 s), against a straightforward vectorised version
   that recomputes every pair's time band with ``np.searchsorted`` and ``np.bincount`` for
   each permutation (timed on 49 permutations, scaled to 999).
2. Aoristic hour-of-week profile of 1,000,000 time windows (target < 2 s), against a loop
   that adds each record's hours to the week one by one (timed on 20,000, scaled).
3. Emerging hot spots on 12 quarters of 200,000 events in a 100 × 100 grid (target < 10 s).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.bench._timing import best  # noqa: E402


def line(name, secs, target=None, base=None, base_name=""):
    text = f"  {name:<58} {secs:8.3f} s"
    if target:
        text += f"  (target < {target:g} s: {'met' if secs < target else 'MISSED'})"
    if base:
        r = base / secs
        text += (f"  ratio vs {base_name}: {r:5.1f}x faster" if r >= 1 else
                 f"  ratio vs {base_name}: {1 / r:5.1f}x slower")
    print(text, flush=True)


def _events(n, rng):
    import geopandas as gpd

    centres = rng.uniform(0, 8000, (12, 2))
    xy = np.vstack([rng.normal(centres[rng.integers(0, 12, n // 2)], 250),
                    rng.uniform(0, 8000, (n - n // 2, 2))])
    days = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 1095, n), "D")
    return gpd.GeoDataFrame({"date": days}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
                            crs="EPSG:27700")


def bench_knox(rng):
    from scipy.spatial import cKDTree

    from mapping.stats.nearrepeat import near_repeat_knox

    pts = _events(5000, rng)
    d_edges, t_edges = [0, 100, 200, 300, 400], [7, 14, 21, 28, 35]
    ours = best(lambda: near_repeat_knox(pts, distance_bands=d_edges, time_bands=t_edges,
                                         permutations=999, seed=1), repeat=1)
    xy = np.c_[pts.geometry.x, pts.geometry.y]
    t = (pts["date"] - pts["date"].min()).dt.days.to_numpy(float)
    pairs = cKDTree(xy).query_pairs(400, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    db = np.searchsorted(d_edges, np.hypot(*(xy[i] - xy[j]).T))

    def naive(perms):
        r = np.random.default_rng(1)
        for _ in range(perms):
            tt = t[r.permutation(len(t))]
            tb = np.searchsorted(t_edges, np.abs(tt[i] - tt[j]))
            np.bincount(db * 6 + tb, minlength=36)

    base = best(lambda: naive(49), repeat=1) * 999 / 49
    line(f"Knox, 5,000 events, {len(i):,} close pairs, 999 permutations", ours, 10, base,
         "per-pair searchsorted + bincount")


def bench_aoristic(rng):
    from mapping.stats.timeprofile import aoristic_week

    n = 1_000_000
    s = pd.Series(pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 3e7, n), "s"))
    e = s + pd.to_timedelta(rng.exponential(10, n), "h")
    ours = best(lambda: aoristic_week(s, e), repeat=2)
    sub_s, sub_e = s[:20_000], e[:20_000]

    def loop():
        acc = np.zeros(168)
        monday = pd.Timestamp("1970-01-05")
        for a, b in zip(sub_s, sub_e):
            h0 = int((a - monday) / pd.Timedelta(hours=1))
            h1 = max(h0, int(np.ceil((b - monday) / pd.Timedelta(hours=1))) - 1)
            for h in range(h0, h1 + 1):
                acc[h % 168] += 1 / (h1 - h0 + 1)

    base = best(loop, repeat=1) * n / 20_000
    line("aoristic week of 1,000,000 windows (hours method)", ours, 2, base, "per-record loop")


def bench_emerging(rng):
    from mapping.stats.emerging import emerging_hotspots

    pts = _events(200_000, rng)
    pts["date"] = pd.Timestamp("2022-01-01") + pd.to_timedelta(
        rng.integers(0, 1095, len(pts)), "D")
    secs = best(lambda: emerging_hotspots(pts, cell_size=80, kind="quarter"), repeat=1)
    line("emerging hot spots, 200,000 events, 100 × 100 cells, 12 quarters", secs, 10)


if __name__ == "__main__":
    rng = np.random.default_rng(2024)
    print("pattern analyses (issue 20)")
    bench_knox(rng)
    bench_aoristic(rng)
    bench_emerging(rng)
