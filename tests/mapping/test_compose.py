"""MapComposition: page sizes, validation and the project-file round trip (issue 6)."""

import tomllib

import pytest
import tomli_w

from layers.common.errors import InputError
from mapping.render.compose import MapComposition, page_size_mm


def test_toml_round_trip_is_equal():
    comp = MapComposition(name="Rates map", title="Rates", subtitle="2019", page="A3",
                          orientation="portrait", extent=[350000, 170000, 360000, 180000],
                          layers=["wards", "rates"],
                          style_overrides={"rates": {"scheme": "fisher_jenks", "k": 6}},
                          legend_layers=["rates"], attribution="custom line", fictional=True,
                          locator_layer="wards", dpi=200, extra_notes="hand note")
    text = tomli_w.dumps({"maps": [comp.to_dict()]})
    back = MapComposition.from_dict(tomllib.loads(text)["maps"][0])
    assert back == comp


def test_none_fields_are_left_out_and_unknown_keys_ignored():
    d = MapComposition().to_dict()
    assert "attribution" not in d and "notes" not in d and d["dpi"] == 300
    assert MapComposition.from_dict({"title": "x", "future_key": 1}).title == "x"


def test_page_sizes():
    assert page_size_mm("A4", "landscape") == (297.0, 210.0)
    assert page_size_mm("A4", "portrait") == (210.0, 297.0)
    assert page_size_mm("A3", "landscape") == (420.0, 297.0)
    assert MapComposition(page="custom", width_mm=250, height_mm=180).size_mm == (250, 180)


@pytest.mark.parametrize("kw,match", [
    ({"page": "B7"}, "unknown page size"),
    ({"page": "custom"}, "custom page needs width_mm"),
    ({"orientation": "sideways"}, "unknown orientation"),
    ({"extent": [10, 10, 5, 20]}, "invalid extent"),
    ({"dpi": 5}, "dpi 5 is out of range"),
])
def test_invalid_compositions_raise_input_error(kw, match):
    with pytest.raises(InputError, match=match):
        MapComposition(**kw)


def test_slug_is_file_safe():
    assert MapComposition(name="Gi* hot spots / 2019").slug == "Gi_hot_spots_2019"
