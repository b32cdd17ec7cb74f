"""Benchmark: ``hotmap run`` on the demo project, whole process, outputs in worker processes.

Target (issue 18): the whole run in 15 s or less.  Baseline, measured in the
same run: the same command with ``HOTMAP_WORKERS=1`` (every output written
serially in one process).  Both are timed from process start to exit, each as a
fresh ``python -m app.cli run`` process; the figure printed is the ratio
serial / parallel (how many times faster the workers make it).  A missed target
exits non-zero.

Run: ``.venv/bin/python tests/bench/bench_run.py``
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "resources" / "demo" / "hotmap_vale.hotmap.toml"
TARGET_S = 15.0


def _run(out: Path, workers: str | None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its workers) of one ``hotmap run``."""
    import resource

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "MPLBACKEND": "Agg"}
    env.pop("HOTMAP_WORKERS", None)
    if workers is not None:
        env["HOTMAP_WORKERS"] = workers
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "app.cli", "run", str(DEMO), "--out", str(out)],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if res.returncode:
        print(res.stdout[-2000:], res.stderr[-2000:])
        raise SystemExit(f"hotmap run failed (exit {res.returncode})")
    return dt, cpu


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="hotmap_bench_run_"))
    try:
        t_par, cpu_par = _run(tmp / "parallel", None)
        t_ser, cpu_ser = _run(tmp / "serial", "1")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    ok = t_par <= TARGET_S
    print(f"hotmap run on the demo, outputs in {cpus} worker processes: {t_par:.1f} s "
          f"(CPU {cpu_par:.1f} s; target <= {TARGET_S:.0f} s: {'PASS' if ok else 'FAIL'})")
    print(f"baseline, the same run written serially (HOTMAP_WORKERS=1): {t_ser:.1f} s "
          f"(CPU {cpu_ser:.1f} s)")
    print(f"ratio serial / parallel: {t_ser / t_par:.2f}x faster; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
