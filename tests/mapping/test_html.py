"""Offline interactive HTML map: inlined Leaflet, same classes as the static map, real Chromium."""

import json
import re
from pathlib import Path

import pytest

from export_fixtures import gistar_layer, rates_layer, services_layer, surface_layer
from mapping.render.compose import MapComposition
from mapping.disclosure.rules import apply_rules
from mapping.export.html import build_html, export_html
from mapping.render.draw import layer_render_info
from mapping.render.layout import render_composition

pytest.importorskip("folium")
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("html") / "map.html"
    return export_html([rates_layer(), gistar_layer(), surface_layer(), services_layer()], p,
                       title="Test map", fictional=True)


def test_no_external_scripts_or_styles(page_file):
    html = page_file.read_text("utf-8")
    assert not re.findall(r"<(?:script|link)[^>]+(?:src|href)=[\"']https?://", html)
    assert "cdn.jsdelivr" not in html and "code.jquery" not in html
    assert "Leaflet 1.9.4" in html or "leaflet" in html.lower()
    assert "url(images/" not in html  # CSS images inlined as data URIs
    assert "tile.openstreetmap" not in html  # no basemap unless opted in


def test_same_classes_and_colours_as_the_static_map(page_file):
    html = page_file.read_text("utf-8")
    # the static map draws the disclosure-safe layer; so does the HTML map
    fig = render_composition(MapComposition(layers=["rates"]), [rates_layer()])
    info = fig._hotmap_infos[0]
    assert "Suppressed (<5)" == info.missing_label
    assert "Suppressed (&lt;5)" in html
    for label, color in zip(info.classification.labels, info.classification.colors):
        assert label in html and color in html
    assert "Not significant" in html and "#d9d9d9" in html
    assert "FICTIONAL DATA" in html and "Office for National Statistics" in html


def test_tile_basemap_only_when_opted_in():
    html = build_html([rates_layer()], tiles="OpenStreetMap")
    assert "tile.openstreetmap.org" in html


@pytest.mark.browser
def test_page_draws_offline_in_headless_chromium(page_file):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    attempted, errors = [], []

    def block(route):
        url = route.request.url
        if url.startswith(("file:", "data:", "about:")):
            return route.continue_()
        attempted.append(url)
        return route.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 700})
            page.route("**/*", block)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())
            page.wait_for_selector("path.leaflet-interactive", timeout=15000)
            # the page opens on the first filled layer (rates) plus the points
            n_first = page.locator("path.leaflet-interactive").count()
            legend_first = page.locator("#hotmap-legend").inner_text()
            boxes = page.locator(".leaflet-control-layers-overlays input")
            n_controls = boxes.count()
            for i in range(n_controls):  # switch every layer on
                if not boxes.nth(i).is_checked():
                    boxes.nth(i).check()
            page.wait_for_timeout(300)
            n_paths = page.locator("path.leaflet-interactive").count()
            n_images = page.locator("img.leaflet-image-layer").count()
            legend = page.locator("#hotmap-legend").inner_text()
            fills = page.eval_on_selector_all(
                "path.leaflet-interactive", "els => els.map(e => e.getAttribute('fill'))")
            page.screenshot(path=str(page_file.with_suffix(".png")))
        finally:
            browser.close()
    assert attempted == []
    assert errors == []
    assert n_first == 12 + 3  # rates polygons + service points
    assert n_paths == 12 + 12 + 3  # + the Gi* polygons
    assert n_images == 1  # the KDE surface overlay
    assert n_controls == 4
    assert "Offences per 1,000 residents" in legend_first
    assert "Not significant" not in legend_first  # legend follows the layer switches
    assert "Not significant" in legend and "Offences per 1,000 residents" in legend
    safe, _ = apply_rules([rates_layer()])
    info, _ = layer_render_info(safe[0])
    assert set(info.classification.colors) <= set(fills)
    json.dumps(fills)


def test_large_grid_is_drawn_as_one_image_with_the_same_colours(tmp_path, monkeypatch):
    import base64
    import io

    import numpy as np
    from PIL import Image

    import mapping.export.html as mh
    from layers.model import Layer

    monkeypatch.setattr(mh, "GRID_AS_IMAGE", 5)
    g = rates_layer().data.copy()
    grid = Layer("grid", g, kind="grid", meta={"title": "Cells"})
    grid.update_style(column="population", palette="Blues", k=3)
    html = build_html([grid])
    assert html.count('"type": "Feature"') == 0  # no vector features for the grid
    uri = re.search(r'"data:image/png;base64,([^"]+)"', html).group(1)
    img = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri))).convert("RGBA"))
    info, _ = layer_render_info(grid)
    colours = {tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in info.classification.colors}
    seen = {tuple(px[:3]) for px in img.reshape(-1, 4) if px[3] == 255}
    assert colours <= seen
