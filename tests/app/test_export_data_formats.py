"""The GUI's Export data offers every format of the one registry (issue 17)."""

import pytest

import geopandas as gpd


@pytest.fixture
def ws():
    from boundaries.workspace import Workspace
    from tests.mapping.export_fixtures import rates_layer, secret_points_layer, services_layer

    w = Workspace()
    for lyr in (rates_layer(), services_layer(), secret_points_layer()):
        w.layers.append(lyr)
    return w


def test_layout_dialog_offers_the_registry_formats(qtbot, ws):
    from app.layout_dialog import LayoutDialog
    from mapping.export.data import DATA_FORMATS

    dlg = LayoutDialog(ws)
    qtbot.addWidget(dlg)
    keys = [dlg.data_format.itemData(i) for i in range(dlg.data_format.count())]
    assert keys == list(DATA_FORMATS)
    assert any("Shapefile" in dlg.data_format.itemText(i) for i in range(len(keys)))


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "shp", "csv", "xlsx"])
def test_export_data_files_in_each_format(tmp_path, ws, fmt):
    from app.layout_dialog import export_data_as
    from mapping.disclosure.rules import DisclosureRules

    files = export_data_as(ws, tmp_path, fmt, rules=DisclosureRules(threshold=5))
    names = {p.name for p in files}
    want = {"gpkg": {"layers.gpkg", "tables.xlsx"}, "xlsx": {"tables.xlsx"},
            "geojson": {"rates.geojson", "services.geojson", "export_notes.txt"},
            "shp": {"rates.shp", "services.shp", "export_notes.txt"},
            "csv": {"rates.csv", "services.csv", "export_notes.txt"}}[fmt]
    assert names == want
    assert not any("needles" in p.name for p in tmp_path.iterdir())  # sensitive: withheld
    if fmt in ("geojson", "shp"):
        back = gpd.read_file(tmp_path / f"rates.{fmt}")
        assert len(back) == 12 and back["count"].isna().sum() == 2  # small counts suppressed
