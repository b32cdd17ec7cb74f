"""Data export round trips: every format reopens with GDAL and keeps CRS and columns (issue 6)."""

import zipfile

import numpy as np
import pandas as pd
import pytest

import pyogrio
from pyproj import Transformer

from export_fixtures import rates_layer, secret_points_layer, services_layer, surface_layer
from layers.common.errors import InputError
from mapping.export.data import (export_geojson, export_geopackage, export_geotiff, export_layer,
                                 export_shapefile_zip, export_table, export_tables_xlsx)


def _epsg(path, layer=None):
    return pyogrio.read_info(path, layer=layer)["crs"]


def test_geopackage_has_all_layers_in_27700(tmp_path):
    import rasterio

    p = export_geopackage([rates_layer(), services_layer(), surface_layer(), secret_points_layer()],
                          tmp_path / "all.gpkg")
    names = [n for n, _ in pyogrio.list_layers(p)]
    assert names == ["rates", "services", "hotmap_notes"]  # needles withheld
    for n in ("rates", "services"):
        assert _epsg(p, n) == "EPSG:27700"
    rates = pyogrio.read_dataframe(p, layer="rates")
    assert {"code", "name", "count", "population", "rate", "count_suppressed"} <= set(rates.columns)
    np.testing.assert_allclose(rates.geometry.area, 1e6)
    surf = surface_layer().data  # the surface is a float32 raster table in the same file
    with rasterio.open(f"GPKG:{p}:kde") as src:
        assert src.crs.to_epsg() == 27700 and src.res == (100.0, 100.0)
        assert (src.bounds.left, src.bounds.bottom) == (surf.x0, surf.y0)
        np.testing.assert_allclose(src.read(1), surf.values)
    notes = pyogrio.read_dataframe(p, layer="hotmap_notes")["note"].tolist()
    assert any("Disclosure control" in n for n in notes)
    assert any("'needles'" in n for n in notes)


def test_geojson_is_4326_with_correct_coordinates(tmp_path):
    lyr = services_layer()
    p = export_geojson(lyr, tmp_path / "s.geojson")
    assert _epsg(p) == "EPSG:4326"
    back = pyogrio.read_dataframe(p)
    assert list(back.columns) == ["name", "type", "geometry"]
    t = Transformer.from_crs(27700, 4326, always_xy=True)
    lon, lat = t.transform(lyr.data.geometry.x.to_numpy(), lyr.data.geometry.y.to_numpy())
    np.testing.assert_allclose(back.geometry.x, lon, atol=1e-7)
    np.testing.assert_allclose(back.geometry.y, lat, atol=1e-7)


def test_zipped_shapefile_keeps_crs_and_short_unique_names(tmp_path):
    p = export_shapefile_zip(rates_layer(), tmp_path / "r.shp.zip")
    with zipfile.ZipFile(p) as zf:
        names = set(zf.namelist())
    assert {"rates.shp", "rates.shx", "rates.dbf", "rates.prj", "fields.csv"} <= names
    back = pyogrio.read_dataframe(f"/vsizip/{p}/rates.shp")
    assert _epsg(f"/vsizip/{p}/rates.shp") == "EPSG:27700"
    assert {"code", "name", "count", "population", "rate", "count_supp"} <= set(back.columns)
    assert len(back) == 12


def test_geotiff_round_trip(tmp_path):
    import rasterio

    lyr = surface_layer()
    p = export_geotiff(lyr, tmp_path / "k.tif")
    with rasterio.open(p) as src:
        assert src.crs.to_epsg() == 27700
        assert src.res == (100.0, 100.0)
        assert src.bounds.left == lyr.data.x0 and src.bounds.bottom == lyr.data.y0
        np.testing.assert_allclose(src.read(1), lyr.data.values)


def test_csv_and_xlsx_show_small_counts_as_less_than_5(tmp_path):
    csv = pd.read_csv(export_table(rates_layer(), tmp_path / "r.csv"), dtype=str)
    assert list(csv.columns) == ["code", "name", "count", "population", "rate"]
    # counts 3 and 2; two suppressed cells already protect each other (no secondary needed)
    assert set(csv.loc[csv["count"] == "<5", "code"]) == {"E01000001", "E01000007"}
    assert csv.loc[csv["code"] == "E01000000", "count"].item() == "0"  # zero is not disclosive
    assert (csv.loc[csv["count"] == "<5", "rate"] == "suppressed").all()
    x = pd.read_excel(export_table(rates_layer(), tmp_path / "r.xlsx"), dtype=str)
    assert (x["count"] == "<5").sum() == 2
    book = pd.read_excel(export_tables_xlsx([rates_layer(), secret_points_layer()],
                                            tmp_path / "all.xlsx"), sheet_name=None)
    assert set(book) == {"rates", "Notes"}


def test_sensitive_points_refused_with_a_fix_unless_allowed(tmp_path):
    with pytest.raises(InputError, match="withheld by disclosure control.*Fix: export an agg"):
        export_layer(secret_points_layer(), tmp_path / "n.geojson")
    p = export_layer(secret_points_layer(allow=True), tmp_path / "n.geojson")
    assert len(pyogrio.read_dataframe(p)) == 2


def test_export_layer_dispatches_on_suffix(tmp_path):
    assert export_layer(rates_layer(), tmp_path / "a.gpkg").exists()
    assert export_layer(rates_layer(), tmp_path / "a.shp.zip").exists()
    with pytest.raises(InputError, match="cannot export a layer"):
        export_layer(rates_layer(), tmp_path / "a.kml")
