"""Offline raster basemaps: read for the view, drawn under the map, never framing it."""

from __future__ import annotations

import numpy as np
import pytest

import geopandas as gpd
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import box

from layers.basemap import open_basemap
from layers.common.errors import InputError
from layers.model import Layer
from layers.style import LayerStyle
from mapping.render.compose import MapComposition
from mapping.render.layout import render_composition

X0, Y1 = 400_000.0, 210_000.0  # a 10 km square of 10 m pixels


def _rgb_tif(path, colour=(200, 30, 40), crs="EPSG:27700", res=10.0, size=1000):
    data = np.empty((3, size, size), np.uint8)
    for k, c in enumerate(colour):
        data[k] = c
    data[:, :, size // 2:] = 255 - data[:, :, size // 2:]  # east half: the complement
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=3,
                       dtype="uint8", crs=crs, transform=from_origin(X0, Y1, res, res)) as dst:
        dst.write(data)
    return path


def test_open_reports_bounds_and_refuses_bad_files(tmp_path):
    bm = open_basemap(_rgb_tif(tmp_path / "b.tif"))
    assert bm.bounds == pytest.approx((X0, Y1 - 10_000, X0 + 10_000, Y1))
    assert bm.bands == 3 and len(bm) == 0
    with pytest.raises(InputError, match="basemap file not found.*Fix"):
        open_basemap(tmp_path / "missing.tif")
    (tmp_path / "notes.tif").write_text("not a raster")
    with pytest.raises(InputError, match="not a raster GDAL can read.*Fix: use a GeoTIFF"):
        open_basemap(tmp_path / "notes.tif")
    with rasterio.open(tmp_path / "nocrs.tif", "w", driver="GTiff", width=2, height=2, count=1,
                       dtype="uint8", transform=from_origin(0, 2, 1, 1)) as dst:
        dst.write(np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(InputError, match="no coordinate reference system.*-a_srs EPSG:27700"):
        open_basemap(tmp_path / "nocrs.tif")


def test_read_clips_to_the_raster_and_never_upsamples(tmp_path):
    bm = open_basemap(_rgb_tif(tmp_path / "b.tif"))
    # a view twice the raster's width, 2,000 px wide: the raster fills the east half
    rgba, ext = bm.read((X0 - 10_000, Y1 - 10_000, X0 + 10_000, Y1), 2000, 1000)
    assert ext == pytest.approx((X0, X0 + 10_000, Y1 - 10_000, Y1))
    assert rgba.shape == (1000, 1000, 4) and rgba.dtype == np.uint8
    assert rgba[500, 100].tolist() == [200, 30, 40, 255]
    assert rgba[500, 900].tolist() == [55, 225, 215, 255]
    small, _ = bm.read((X0, Y1 - 10_000, X0 + 10_000, Y1), 100, 100)  # decimated
    assert small.shape == (100, 100, 4)
    assert bm.read((0, 0, 1000, 1000), 100, 100) == (None, None)  # out of view
    n = bm.reads
    bm.read((X0, Y1 - 10_000, X0 + 10_000, Y1), 100, 100)
    assert bm.reads == n  # the same view is not read twice


def test_palette_nodata_and_another_crs(tmp_path):
    p = tmp_path / "pal.tif"
    band = np.zeros((100, 100), np.uint8)
    band[:, 50:] = 1
    band[:10, :] = 255  # nodata strip along the top
    with rasterio.open(p, "w", driver="GTiff", width=100, height=100, count=1, dtype="uint8",
                       crs="EPSG:27700", nodata=255,
                       transform=from_origin(X0, Y1, 100, 100)) as dst:
        dst.write(band, 1)
        dst.write_colormap(1, {0: (10, 20, 30, 255), 1: (240, 230, 220, 255)})
    bm = open_basemap(p)
    rgba, _ = bm.read(bm.bounds, 100, 100)
    assert rgba[50, 10].tolist() == [10, 20, 30, 255]
    assert rgba[50, 90].tolist() == [240, 230, 220, 255]
    assert (rgba[:10, :, 3] == 0).all()  # nodata is transparent
    # the same RGB raster stored in WGS84 is warped to British National Grid
    from pyproj import Transformer

    t = Transformer.from_crs(27700, 4326, always_xy=True)
    lon0, lat1 = t.transform(X0, Y1)
    lon1, lat0 = t.transform(X0 + 10_000, Y1 - 10_000)
    ll = tmp_path / "ll.tif"
    with rasterio.open(ll, "w", driver="GTiff", width=400, height=400, count=3, dtype="uint8",
                       crs="EPSG:4326", transform=rasterio.transform.from_bounds(
                           lon0, lat0, lon1, lat1, 400, 400)) as dst:
        dst.write(np.full((3, 400, 400), 77, np.uint8))
    bm = open_basemap(ll)
    assert bm.crs == "EPSG:4326"
    assert bm.bounds == pytest.approx((X0, Y1 - 10_000, X0 + 10_000, Y1), abs=150)
    rgba, _ = bm.read((X0 + 2000, Y1 - 8000, X0 + 8000, Y1 - 2000), 60, 60)
    assert (rgba[..., :3] == 77).all() and (rgba[..., 3] == 255).all()


def test_basemap_is_drawn_under_the_map_without_framing_it(tmp_path):
    bm = open_basemap(_rgb_tif(tmp_path / "b.tif"))
    area = gpd.GeoDataFrame({"code": ["A"]}, geometry=[box(X0 + 1000, Y1 - 9000, X0 + 4000,
                                                          Y1 - 6000)], crs="EPSG:27700")
    layers = [Layer("streets", bm, kind="basemap", meta={"attribution": "Streets © test"}),
              Layer("area", area, kind="areas",
                    style=LayerStyle(color="none", edgecolor="#000000"))]
    assert layers[0].bounds is None  # a basemap never sets the map's extent
    comp = MapComposition(name="m", title="m", layers=["streets", "area"], dpi=60,
                          legend=False, show_notes=False, scale_bar=False, north_arrow=False)
    fig = render_composition(comp, layers)
    ax = fig.axes[0]
    x0, x1 = ax.get_xlim()
    assert x1 - x0 < 9000  # framed on the 3 km area (page aspect), not the 10 km basemap
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())
    # the pixel at the map's centre (inside the area, west half of the raster) is basemap red
    cx, cy = ax.transData.transform((X0 + 2500, Y1 - 7500))
    px = img[img.shape[0] - int(cy), int(cx)]
    assert px[:3].tolist() == pytest.approx([200, 30, 40], abs=3)
    from mapping.core.attribution import attribution_text

    assert "Streets © test" in attribution_text(layers)
    assert getattr(fig, "_hotmap_infos") and all(i.name != "streets" for i in fig._hotmap_infos)


def test_project_basemap_round_trip_workspace_and_run(tmp_path):
    """A [[basemaps]] entry: saved with a relative path, loaded at the bottom of the
    workspace, drawn under every map hotmap run writes, its line in the attribution."""
    from pathlib import Path

    from layers.common.errors import ProjectError
    from layers.project import BasemapSource, open_project
    from boundaries.workspace import Workspace
    from mapping.pipeline.runner import run_project

    demo = Path(__file__).resolve().parents[2] / "resources" / "demo"
    proj = open_project(demo / "hotmap_vale.hotmap.toml")
    ws0 = Workspace(proj)
    ws0.load()
    b = ws0.layers.bounds
    tif = tmp_path / "tiles" / "streets.tif"
    tif.parent.mkdir()
    size = 400
    with rasterio.open(tif, "w", driver="GTiff", width=size, height=size, count=3,
                       dtype="uint8", crs="EPSG:27700",
                       transform=rasterio.transform.from_bounds(b[0] - 2000, b[1] - 2000,
                                                                b[2] + 2000, b[3] + 2000,
                                                                size, size)) as dst:
        dst.write(np.stack([np.full((size, size), v, np.uint8) for v in (90, 160, 250)]))
    proj.basemaps.append(BasemapSource(name="streets", paths=[tif], opacity=0.5,
                                       attribution="Streets © test"))
    proj.analyses = [a for a in proj.analyses if a.name == "arrest_density"]
    path = proj.save(tmp_path / "p.hotmap.toml")
    text = path.read_text()
    assert '"tiles/streets.tif"' in text and "opacity = 0.5" in text
    again = open_project(path)
    assert again.basemaps == proj.basemaps
    ws = Workspace(again)
    ws.load()
    assert ws.layers[0].kind == "basemap" and ws.layers[0].style.opacity == 0.5
    assert ws.layers.bounds == pytest.approx(b)  # the basemap does not widen the extent
    out = run_project(path, tmp_path / "out").written
    png = next(p for p in out if p.name == "arrest_density.png")
    import matplotlib.image as mpimg

    img = (mpimg.imread(png)[..., :3] * 255).round()
    # half-opaque (90, 160, 250) over white, seen somewhere in the map frame
    want = np.array([90, 160, 250]) * 0.5 + 255 * 0.5
    assert (np.abs(img - want).max(axis=-1) <= 3).sum() > 10_000
    bad = path.read_text().replace("opacity = 0.5", "opacity = 2")
    (tmp_path / "bad.toml").write_text(bad)
    with pytest.raises(ProjectError, match="opacity must be from 0 to 1"):
        open_project(tmp_path / "bad.toml")


def test_pdf_export_reads_the_basemap_at_the_figure_dpi(tmp_path):
    """A PDF lays out in points (72 per inch) but embeds images at the figure's dpi: the
    basemap is read at the dpi's pixel size, as for the PNG."""
    from mapping.export.maps import export_map

    bm = open_basemap(_rgb_tif(tmp_path / "b.tif", size=2000, res=5.0))
    area = gpd.GeoDataFrame({"code": ["A"]}, geometry=[box(X0 + 500, Y1 - 9500, X0 + 9500,
                                                          Y1 - 500)], crs="EPSG:27700")
    layers = [Layer("streets", bm, kind="basemap"), Layer("area", area, kind="areas",
                                                          style=LayerStyle(color="none"))]
    comp = MapComposition(name="m", title="m", layers=["streets", "area"], dpi=200,
                          legend=False, show_notes=False)
    sizes = {}
    for fmt in ("png", "pdf"):
        export_map(comp, layers, tmp_path / f"m.{fmt}")
        sizes[fmt] = next(iter(bm._cache))[4:]  # (w, h) requested for the last read
    assert sizes["pdf"] == pytest.approx(sizes["png"], rel=0.02)
    assert sizes["png"][0] > 1000  # ~200 dpi across the map frame, not 72
