"""Published tables name the file a row came from, never the folders it sat in."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from export_fixtures import areas_gdf
from layers.model import Layer
from mapping.export.data import export_geopackage, export_table, export_tables_xlsx

SECRET_DIR = "/home/j.smith/OFFICIAL-SENSITIVE/drugs audit"


def _layer(categorical: bool) -> Layer:
    g = areas_gdf()
    files = [f"{SECRET_DIR}/wards 2023.geojson", "C:\\Users\\jsmith\\Desktop\\wards.geojson"]
    col = [files[k % 2] if k != 3 else None for k in range(len(g))]
    g["source_file"] = pd.Categorical(col) if categorical else col
    return Layer("wards", g, kind="areas", meta={"title": "Wards"})


@pytest.mark.parametrize("categorical", [False, True])
def test_csv_workbook_and_geopackage_hold_file_names_only(tmp_path, categorical):
    lyr = _layer(categorical)
    csv = export_table(lyr, tmp_path / "wards.csv")
    xlsx = export_tables_xlsx([lyr], tmp_path / "tables.xlsx")
    gpkg = export_geopackage([lyr], tmp_path / "layers.gpkg")
    from_csv = pd.read_csv(csv)["source_file"]
    from_xlsx = pd.read_excel(xlsx, sheet_name="wards")["source_file"]
    with sqlite3.connect(gpkg) as db:
        from_gpkg = pd.Series([r[0] for r in db.execute("select source_file from wards")])
    for got in (from_csv, from_xlsx, from_gpkg):
        values = set(got.dropna())
        assert values == {"wards 2023.geojson", "wards.geojson"}
        assert got.isna().sum() == 1  # a row with no file stays blank
    for path in (csv, xlsx, gpkg):
        raw = path.read_bytes()
        assert b"j.smith" not in raw and b"jsmith" not in raw and b"SENSITIVE" not in raw
    # the layer itself keeps the paths (the rejected-row report points to them)
    assert SECRET_DIR in str(lyr.data["source_file"].iloc[0])
