"""Benchmark of the audit questions (issue 9); run with ``.venv/bin/python tests/bench/bench_audit.py``.

Figures, each with its ratio to a baseline measured in the same run:

1. Venue counts: 1,000,000 events and 2,000 venues, 250 m (``venue_counts``, scipy
   k-d tree) against a brute-force numpy distance computation in blocks (timed on a
   subsample of events, scaled), and against ``geopandas.sjoin_nearest``-free
   ``sjoin(dwithin)`` on buffers.
2. Kaplan-Meier on 100,000 durations (``kaplan_meier``) against
   ``lifelines.KaplanMeierFitter``.
3. Funnel limits at 2,000 populations (``funnel_limits``) against the PHE Excel-macro
   bisection on Poisson sums (timed on 50 populations, scaled).
4. Filter ``crime_type in [...] and date >= ... and quantity > 2`` on 2,000,000 rows
   (``filter_mask``) against the equivalent hand-written pandas boolean expression.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.bench._timing import best  # noqa: E402


def _line(name, ours, base, base_name):
    print(f"{name}: {ours:.3f} s; {base_name}: {base:.3f} s; ratio {ours / base:.3f} "
          f"({base / ours:.1f}x faster)" if ours < base else
          f"{name}: {ours:.3f} s; {base_name}: {base:.3f} s; ratio {ours / base:.3f}")


def bench_venues():
    import geopandas as gpd

    from mapping.audit.venues import venue_counts

    rng = np.random.default_rng(0)
    ev_xy = rng.uniform(0, 20000, (1_000_000, 2))
    ve_xy = rng.uniform(0, 20000, (2000, 2))
    ev = gpd.GeoDataFrame(geometry=gpd.points_from_xy(ev_xy[:, 0], ev_xy[:, 1]), crs=27700)
    ve = gpd.GeoDataFrame(geometry=gpd.points_from_xy(ve_xy[:, 0], ve_xy[:, 1]), crs=27700)
    ours = best(lambda: venue_counts(ev, ve, radius=250), repeat=2)
    sub = ev_xy[:50_000]

    def brute():
        c = np.zeros(len(ve_xy), int)
        for i in range(0, len(sub), 5000):
            b = sub[i:i + 5000]
            d2 = (b[:, None, 0] - ve_xy[None, :, 0]) ** 2 + (b[:, None, 1] - ve_xy[None, :, 1]) ** 2
            c += (d2 <= 250 ** 2).sum(axis=0)
        return c

    brute_t = best(brute, repeat=1) * (len(ev_xy) / len(sub))
    _line("1. venue counts, 1,000,000 events x 2,000 venues, 250 m", ours, brute_t,
          "numpy brute force (scaled from 50,000 events)")
    sj = best(lambda: gpd.sjoin(ev, gpd.GeoDataFrame(geometry=ve.buffer(250, 16), crs=27700),
                                 predicate="within"), repeat=1)
    _line("   same", ours, sj, "geopandas sjoin on 250 m buffers")


def bench_km():
    from lifelines import KaplanMeierFitter

    from mapping.audit.survival import kaplan_meier

    rng = np.random.default_rng(1)
    t = rng.integers(1, 1000, 100_000).astype(float)
    e = rng.random(100_000) < 0.6
    ours = best(lambda: kaplan_meier(t, e))
    base = best(lambda: KaplanMeierFitter().fit(t, e))
    _line("2. Kaplan-Meier, 100,000 durations", ours, base, "lifelines KaplanMeierFitter")


def _poisson_funnel(obs, p, side):
    v, dv = 0.5, 0.5
    while dv > 1e-7:
        dv /= 2
        mu = (1 + obs) * v / (1 - v)
        term, total, cum = math.exp(-mu), 0.0, 0.0
        k = 0
        while k <= obs or term > 1e-12 * max(total, 1e-300):
            total += term
            if (side == "low" and k >= obs) or (side == "high" and k <= obs):
                cum += term
            k += 1
            term *= mu / k
        frac = cum / total
        if side == "low":
            v = v - dv if frac > p else v + dv
        else:
            v = v - dv if frac < p else v + dv
    return (1 + obs) * v / (1 - v)


def bench_funnel():
    from mapping.audit.funnel import funnel_limits

    pops = np.geomspace(500, 200_000, 2000)
    ours = best(lambda: funnel_limits(pops, 0.001), repeat=1)
    events = np.unique(np.geomspace(1, 200, 50).astype(int))

    def base():
        for e in events:
            for lv in (0.025, 0.001):
                _poisson_funnel(int(e), lv, "low")
                _poisson_funnel(int(e), lv, "high")

    base_t = best(base, repeat=1) * (len(pops) / len(events))
    _line("3. funnel limits (95% and 99.8%) at 2,000 populations", ours, base_t,
          "PHE macro bisection on Poisson sums (scaled from 50)")


def bench_filter():
    from mapping.core.filters import filter_mask

    rng = np.random.default_rng(2)
    n = 2_000_000
    df = pd.DataFrame({
        "crime_type": rng.choice(["Drugs", "Burglary", "Shoplifting", "Vehicle crime"], n),
        "date": pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D"),
        "quantity": rng.integers(0, 10, n),
    })
    expr = "crime_type in ['Drugs', 'Burglary'] and date >= '2018-06-01' and quantity > 2"
    ours = best(lambda: filter_mask(df, expr))
    base = best(lambda: (df["crime_type"].isin(["Drugs", "Burglary"])
                          & (df["date"] >= pd.Timestamp("2018-06-01"))
                          & (df["quantity"] > 2)).to_numpy())
    assert (filter_mask(df, expr) == (df["crime_type"].isin(["Drugs", "Burglary"])
                                      & (df["date"] >= "2018-06-01")
                                      & (df["quantity"] > 2)).to_numpy()).all()
    _line("4. filter expression on 2,000,000 rows", ours, base, "hand-written pandas mask")


if __name__ == "__main__":
    bench_venues()
    bench_km()
    bench_funnel()
    bench_filter()
