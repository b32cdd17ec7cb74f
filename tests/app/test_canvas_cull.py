"""Redraws of a view draw only the features in view, off the GUI thread, to the same pixels."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import geopandas as gpd
from shapely.geometry import box

from layers.model import Layer, LayerStack

X0, Y0, CELL, N = 300000.0, 100000.0, 1000.0, 60  # a 60 km square of 1 km areas


def _areas() -> Layer:
    cells = [box(X0 + i * CELL, Y0 + j * CELL, X0 + (i + 1) * CELL, Y0 + (j + 1) * CELL)
             for j in range(N) for i in range(N)]
    rng = np.random.default_rng(3)
    gdf = gpd.GeoDataFrame({"code": [f"A{k:05d}" for k in range(len(cells))],
                            "rate": rng.gamma(2.0, 3.0, len(cells))},
                           geometry=cells, crs=27700)
    lyr = Layer("areas", gdf, kind="areas")
    lyr.style.column, lyr.style.linewidth = "rate", 0.5
    return lyr


@pytest.fixture
def canvas(qtbot):
    from app.canvas import MapCanvas

    c = MapCanvas()
    qtbot.addWidget(c)
    c.resize(800, 600)
    c.show()
    qtbot.waitExposed(c)
    c.set_stack(LayerStack([_areas()]))
    c.render_now()  # the whole layer, every feature drawn
    yield c
    from app.workers import wait_for_workers

    wait_for_workers(timeout=20)


def _intersecting(gdf, x0, y0, x1, y1) -> int:
    return len(gdf.cx[x0:x1, y0:y1])  # geopandas' own bounding-box selection


def test_city_zoom_redraw_is_culled_off_thread_and_pixel_identical(canvas, qtbot):
    c = canvas
    gdf = c.stack["areas"].data
    c.zoom_to_bounds((X0 + 20500, Y0 + 20500, X0 + 31500, Y0 + 28500), sync=True)
    x0, y0, x1, y1 = c.view_extent()
    with qtbot.waitSignal(c.view_rendered, timeout=10000):
        c.settle()
    assert c.view_thread is not None and c.view_thread != threading.get_ident()
    drawn = c.view_infos[0].drawn
    # at least every feature that meets the view, at most those within one cell of it
    assert _intersecting(gdf, x0, y0, x1, y1) <= drawn
    assert drawn <= _intersecting(gdf, x0 - CELL, y0 - CELL, x1 + CELL, y1 + CELL)
    assert drawn < len(gdf) / 10
    culled = np.asarray(c._snap_data)
    c.draw()
    shown = np.asarray(c.buffer_rgba())
    assert np.array_equal(shown, culled)  # the canvas shows that image pixel for pixel
    # the full draw of the same view: every polygon, the vector artists of render_now
    c._snapshot.set_visible(False)
    for a in c._vector_artists:
        a.set_visible(True)
    c.draw()
    full = np.asarray(c.buffer_rgba())
    assert full.shape == culled.shape
    assert np.array_equal(full, culled)


def test_a_redraw_overtaken_by_a_new_view_is_dropped(canvas, qtbot):
    c = canvas
    c.zoom_to_bounds((X0 + 20000, Y0 + 20000, X0 + 30000, Y0 + 28000), sync=True)
    c.settle()  # on its way ...
    c.pan_by(5000, 0, sync=True)  # ... when the user moves on
    with qtbot.waitSignal(c.view_rendered, timeout=10000):
        c.settle()
    assert c._snap_extent[0] == pytest.approx(c.view_extent()[0])
    qtbot.wait(200)  # the first redraw's late image never replaces the new one
    assert c._snap_extent[0] == pytest.approx(c.view_extent()[0])
