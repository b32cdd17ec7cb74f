"""write_outputs and default_composition (issue 6)."""

import pyogrio
import pytest

from docx import Document
from PIL import Image

from export_fixtures import (areas_gdf, gistar_layer, rates_layer, secret_points_layer,
                             services_layer, surface_layer)
from layers.model import Layer, LayerStack
from mapping.export.outputs import default_composition, write_outputs
from mapping.render.styling import resolve_style


def _wards():
    w = Layer("wards", areas_gdf()[["code", "geometry"]].dissolve().reset_index(drop=True),
              kind="areas", meta={"title": "Ward", "attribution": "ons"})
    return w


def test_default_composition_per_result_kind():
    w = _wards()
    rates = default_composition(rates_layer(), [w], fictional=True)
    assert rates.title == "Offences per 1,000 residents" and rates.subtitle == "2019"
    assert rates.layers == ["rates", "wards"] and rates.fictional
    # the composition does not choose the classes: resolve_style does, for canvas and export
    assert "scheme" not in rates.style_overrides["rates"]
    assert resolve_style(rates_layer(), rates.style_overrides["rates"]).scheme == "fisher_jenks"
    assert rates.style_overrides["wards"]["color"] == "none"  # outlines on top
    kde = default_composition(surface_layer(), [w])
    assert "kde" not in kde.style_overrides
    st = resolve_style(surface_layer(), kde.style_overrides.get("kde"))
    assert (st.scheme, st.transparent_low) == ("equal_interval", True)
    gi = gistar_layer()
    gi.style.scheme = "quantiles"  # the default composition still picks the Gi* classes
    assert default_composition(gi, [w]).style_overrides["gistar"]["scheme"] == "gistar"
    biv = Layer("biv", areas_gdf(), kind="areas", meta={"bivariate": {"x": "rate",
                                                                     "y": "population"}})
    assert default_composition(biv).style_overrides["biv"]["column"] == "rate,population"
    pts = default_composition(services_layer(), [w])
    assert pts.layers == ["wards", "services"]  # areas under points


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("outputs")
    w = _wards()
    stack = LayerStack([w, rates_layer(), gistar_layer(), surface_layer(),
                        secret_points_layer(), services_layer()])
    maps = [default_composition(stack[n], [w], fictional=True)
            for n in ("rates", "gistar", "kde")]
    files = write_outputs(stack, maps, out, project_meta={"title": "Demo audit",
                                                          "fictional": True})
    return out, files


def test_writes_the_whole_output_set(run):
    out, files = run
    rel = sorted(str(f.relative_to(out)) for f in files)
    for name in ("maps/rates.png", "maps/rates.svg", "maps/rates.pdf", "maps/gistar.png",
                 "maps/kde.png", "layers.gpkg", "tables/rates.csv", "tables/tables.xlsx",
                 "surfaces/kde.tif", "map.html", "audit_pack.docx"):
        assert name in rel, name
    assert not any("needles" in r for r in rel)
    assert all(f.exists() and f.stat().st_size > 0 for f in files)


def test_pngs_are_300_dpi_and_gpkg_holds_the_layers(run):
    out, _ = run
    assert Image.open(out / "maps" / "rates.png").info["dpi"][0] == pytest.approx(300, abs=0.05)
    names = [n for n, _ in pyogrio.list_layers(out / "layers.gpkg")]
    assert names == ["wards", "rates", "gistar", "services", "hotmap_notes"]
    import rasterio

    with rasterio.open(f"GPKG:{out / 'layers.gpkg'}:kde") as src:  # surfaces as rasters
        assert src.crs.to_epsg() == 27700


def test_audit_pack_has_each_map_with_caption_notes_and_tables(run):
    out, _ = run
    doc = Document(str(out / "audit_pack.docx"))
    assert len(doc.inline_shapes) == 3
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    h2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]  # under their strand
    assert h2[:3] == ["Offences per 1,000 residents", "Gi* hot spots", "Needle finds KDE"]
    assert "Methods" in h1 and "Data sources and licences" in h1
    class_tables = [t for t in doc.tables if t.rows[0].cells[0].text == "Class"]
    assert len(class_tables) == 3
    gi = class_tables[1]
    assert [r.cells[1].text for r in gi.rows[1:]][3] == "Not significant"
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "quartic kde" in text.lower() and "Office for National Statistics" in text


def test_layers_without_a_table_are_skipped_not_crashed(tmp_path):
    chart = Layer("chart", "charts/trend.png", kind="table")  # e.g. a saved figure's path
    broken = Layer("broken", "not a frame", kind="areas")
    files = write_outputs([rates_layer(), chart, broken],
                          [default_composition(rates_layer())], tmp_path, report=False)
    assert (tmp_path / "layers.gpkg") in files
    assert [n for n, _ in pyogrio.list_layers(tmp_path / "layers.gpkg")] == ["rates",
                                                                              "hotmap_notes"]
