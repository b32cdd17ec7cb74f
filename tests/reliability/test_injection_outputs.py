"""XSS and formula injection in the files meant to be shared (issue 16).

An area named ``<img src=x onerror=alert(1)>`` ran in the HTML map's tooltip, and
values beginning with ``=`` were written as live formulas to the workbook.  The
outputs are written as ``hotmap run`` writes them (the run's audit, then every
writer); the HTML map is opened in headless Chromium and every area hovered; the
workbook is opened with openpyxl and the CSV read as text.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from layers.model import Layer
from mapping.render.compose import MapComposition
from mapping.disclosure.rules import DisclosureRules
from mapping.disclosure.audit import audit_layers
from mapping.export.outputs import write_outputs

CHROMIUM = Path("/usr/bin/chromium")
XSS = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example","click")'
HOSTILE = [XSS, FORMULA, "+1+2", "-3+4", "@SUM(A1)", "\tTAB", "Plain area"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("inject")
    n = len(HOSTILE)
    g = gpd.GeoDataFrame({"code": [f"E0{i:07d}" for i in range(n)], "name": HOSTILE,
                          "count": np.arange(10, 10 + n)},
                         geometry=[box(358000 + 1000 * i, 172000, 359000 + 1000 * i, 173000)
                                   for i in range(n)], crs=27700)
    lyr = Layer("areas_counts", g, kind="areas", meta={"title": "Counts",
                                                       "value_column": "count"})
    lyr.style.column = "count"
    safe, _ = audit_layers([lyr], DisclosureRules())
    maps = [MapComposition(name="counts", title="Counts", layers=["areas_counts"])]
    write_outputs(safe, maps, out, project_meta={"title": "Injection"},
                  rules=DisclosureRules())
    return out


def test_workbook_holds_no_formula(written):
    from openpyxl import load_workbook

    wb = load_workbook(written / "tables" / "tables.xlsx")
    values = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                values.append(cell.value)
    assert "'" + FORMULA in values and "'@SUM(A1)" in values and "'-3+4" in values
    assert "Plain area" in values  # ordinary text is left alone


def test_csv_cells_are_neutralised(written):
    import csv

    with open(written / "tables" / "areas_counts.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names = [r["name"] for r in rows]
    assert "'" + FORMULA in names and "'+1+2" in names and "'\tTAB" in names
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r"))
                   for r in rows for v in r.values())


@pytest.mark.browser
def test_html_tooltip_shows_markup_as_text(written):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    dialogs, errors, shown = [], [], []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 700})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                ("file:", "data:", "about:")) else r.abort())
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((written / "map.html").as_uri())
            page.wait_for_selector("path.leaflet-interactive", timeout=15000)
            paths = page.locator("path.leaflet-interactive")
            for i in range(paths.count()):
                paths.nth(i).hover(force=True)
                page.wait_for_timeout(80)
                tip = page.locator(".leaflet-tooltip")
                if tip.count():
                    shown.append(tip.first.inner_text())
                    assert page.locator(".leaflet-tooltip img").count() == 0
            injected = page.evaluate("document.querySelectorAll('img[src=\"x\"]').length")
        finally:
            browser.close()
    assert dialogs == [], f"script ran: {dialogs}"
    assert injected == 0
    assert any(XSS in t for t in shown), shown  # the name reached the tooltip, as text
    assert errors == []
