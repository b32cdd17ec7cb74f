"""Static map export: PNG with stored dpi, SVG text, PDF vector, all maps in one call (issue 6)."""

import pytest

from PIL import Image

from export_fixtures import rates_layer, surface_layer
from layers.common.errors import InputError
from mapping.render.compose import MapComposition
from mapping.export.maps import export_all_maps, export_map


@pytest.fixture
def comp():
    return MapComposition(name="rates", title="Offences per 1,000 residents", fictional=True,
                          layers=["rates"])


def test_png_stores_dpi_and_has_the_page_size(tmp_path, comp):
    p = export_map(comp, [rates_layer()], tmp_path / "m.png")
    im = Image.open(p)
    assert im.info["dpi"] == pytest.approx((300, 300), abs=0.05)  # pHYs stores px per metre
    assert im.size == (int(297 / 25.4 * 300), int(210 / 25.4 * 300))  # matplotlib truncates
    assert im.info.get("Title") == "Offences per 1,000 residents"
    p2 = export_map(comp, [rates_layer()], tmp_path / "m150.png", dpi=150)
    assert Image.open(p2).info["dpi"] == pytest.approx((150, 150), abs=0.05)


def test_svg_keeps_text_as_text(tmp_path, comp):
    text = export_map(comp, [rates_layer()], tmp_path / "m.svg").read_text("utf-8")
    assert "<svg" in text and "Offences per 1,000 residents" in text
    assert "FICTIONAL DATA" in text and "Scale 1:" in text


def test_pdf_is_vector(tmp_path, comp):
    data = export_map(comp, [rates_layer()], tmp_path / "m.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    assert b"/Subtype /Image" not in data  # polygons and text drawn as vectors


def test_export_all_maps_writes_every_map_and_format(tmp_path, comp):
    second = MapComposition(name="kde map", title="KDE", layers=["kde"])
    files = export_all_maps([comp, second], [rates_layer(), surface_layer()], tmp_path / "out")
    assert sorted(f.name for f in files) == sorted(
        ["rates.png", "rates.svg", "rates.pdf", "kde_map.png", "kde_map.svg", "kde_map.pdf"])
    assert all(f.stat().st_size > 1000 for f in files)


def test_unknown_suffix_and_missing_folder_are_input_errors(tmp_path, comp):
    with pytest.raises(InputError, match="cannot export a map as '.bmp'"):
        export_map(comp, [rates_layer()], tmp_path / "m.bmp")
    with pytest.raises(InputError, match="does not exist"):
        export_map(comp, [rates_layer()], tmp_path / "nope" / "m.png")


def test_unknown_layer_name_is_a_project_error(tmp_path):
    with pytest.raises(InputError, match="unknown layer"):
        export_map(MapComposition(layers=["missing"]), [rates_layer()], tmp_path / "m.png")
