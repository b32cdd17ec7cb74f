"""Every vector format round-trips through geopandas with the same rows and values (issue 17)."""

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
import pyogrio
from shapely.geometry import box

from export_fixtures import rates_layer, secret_points_layer, services_layer, surface_layer
from layers.common.errors import InputError
from mapping.export.data import (DATA_EXPORTERS, DATA_FORMATS, VECTOR_SUFFIXES, export_layer,
                                 export_layers, read_shapefile, write_frame)
from mapping.disclosure.rules import DisclosureRules

OFF = DisclosureRules(enabled=False)


def _result():
    """A result table with long column names, NaN, booleans, text with accents and a sliver."""
    polys = [box(358000 + i * 500, 172000, 358000 + (i + 1) * 500, 172500) for i in range(5)]
    polys[4] = box(360000, 172000, 360000.5, 172500)  # a 0.5 m sliver between polygons
    return gpd.GeoDataFrame({
        "LSOA11CD": [f"E0101448{i}" for i in range(5)],
        "name": ["Ashley", "Easton", "Lawrence Hill", "St Paul’s", "Cabot – Centre"],
        "count": [0, 3, 12, 25, 7],
        "population": [1500.0, 1620.0, np.nan, 1810.0, 1444.0],
        "rate_per_10k": [0.0, 18.518518518518519, np.nan, 138.12154696132598, 48.476454293628],
        "rate_lcl": [0.0, 3.819, np.nan, 89.38, 19.49],
        "seizure_weight_g_per_10k": [0.0, 1.25, np.nan, 101.5, 7.0],
        "small_number": [True, True, False, False, False],
    }, geometry=polys, crs=27700)


def _same(back, ref, atol=1e-9):
    assert len(back) == len(ref)
    for c in ref.columns:
        if c == "geometry":
            continue
        a, b = back[c], ref[c]
        if b.dtype.kind in "fiub":
            np.testing.assert_allclose(a.astype(float).to_numpy(), b.astype(float).to_numpy(),
                                       atol=atol, equal_nan=True, err_msg=c)
        else:
            assert a.tolist() == b.tolist(), c


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp", ".shp.zip", ".csv"])
def test_every_vector_format_round_trips_with_the_same_rows_and_values(tmp_path, suffix):
    ref = _result()
    path = write_frame(ref, tmp_path / f"result{suffix}", rules=OFF)
    if suffix == ".csv":
        back = pd.read_csv(path, dtype={"LSOA11CD": str})
    elif suffix == ".shp":
        back = read_shapefile(path)  # the 10-character names mapped back
    elif suffix == ".shp.zip":
        import zipfile

        with zipfile.ZipFile(path) as zf:
            mapping = pd.read_csv(zf.open("fields.csv"), dtype=str)
        back = gpd.read_file(f"zip://{path}").rename(columns=dict(zip(mapping["short"],
                                                                       mapping["full"])))
    else:
        back = gpd.read_file(path)
    assert set(ref.columns) - {"geometry"} <= set(back.columns), back.columns
    _same(back, ref)
    if suffix == ".csv":
        return
    crs = 4326 if suffix == ".geojson" else 27700
    assert back.crs.to_epsg() == crs
    geom = back.to_crs(27700).geometry
    # GeoJSON has 7 decimals of a degree (about 1 cm); the others keep the metres
    tol = 0.05 if suffix == ".geojson" else 1e-6
    for g, r in zip(geom, ref.geometry):
        assert g.symmetric_difference(r).area <= max(tol * r.length, 1e-9), (g, r)
    assert geom.iloc[4].area == pytest.approx(250.0, rel=0.05)  # the sliver survives


def test_shapefile_names_are_cut_to_ten_unique_characters_with_a_mapping_file(tmp_path):
    path = write_frame(_result(), tmp_path / "drugs.shp", rules=OFF)
    raw = pyogrio.read_dataframe(path)
    assert all(len(c) <= 10 for c in raw.columns)
    assert len(set(raw.columns)) == len(raw.columns)
    assert {"rate_per_1", "rate_lcl", "seizure_we", "small_numb"} <= set(raw.columns)
    mapping = pd.read_csv(tmp_path / "drugs.fields.csv", dtype=str)
    assert dict(zip(mapping["full"], mapping["short"]))["seizure_weight_g_per_10k"] == \
        "seizure_we"
    for ext in (".shx", ".dbf", ".prj", ".cpg"):
        assert (tmp_path / f"drugs{ext}").exists(), ext
    assert not [p for p in tmp_path.iterdir() if p.is_dir()]  # no temporary folder left


def test_shapefile_clash_of_truncated_names_is_made_unique():
    from mapping.export.gis_files import _shp_columns

    m = _shp_columns(["rate_per_10k", "rate_per_100k", "rate_per_1", "geometry"])
    assert m == {"rate_per_10k": "rate_per_1", "rate_per_100k": "rate_per_2",
                 "rate_per_1": "rate_per_3"}


def test_disclosure_control_applies_to_every_format(tmp_path):
    lyr = rates_layer()  # counts 1..4 must not leave hotmap
    for suffix in (".gpkg", ".geojson", ".shp", ".csv"):
        p = export_layer(lyr, tmp_path / f"r{suffix}")
        if suffix == ".csv":
            t = pd.read_csv(p)
            assert "<5" in t["count"].astype(str).tolist()
        else:
            t = read_shapefile(p) if suffix == ".shp" else gpd.read_file(p)
            small = t["count"].between(1, 4)
            assert not small.any(), suffix
            assert t["count"].isna().sum() == 2  # the two small counts, blank
    with pytest.raises(InputError, match="withheld"):
        export_layer(secret_points_layer(), tmp_path / "n.shp")


def test_a_table_without_geometry_only_goes_to_csv(tmp_path):
    t = pd.DataFrame({"group": ["a", "b"], "n": [10, 20]})
    assert write_frame(t, tmp_path / "t.csv", rules=OFF).exists()
    for suffix in (".geojson", ".shp", ".gpkg"):
        with pytest.raises(InputError, match="no geometry"):
            write_frame(t, tmp_path / f"t{suffix}", rules=OFF)
    with pytest.raises(InputError, match=r"use one of: \.csv, \.gpkg, \.geojson, \.shp"):
        write_frame(_result(), tmp_path / "t.txt", rules=OFF)


def test_registry_covers_the_formats_the_gui_offers():
    for key, (label, suffix) in DATA_FORMATS.items():
        assert suffix in DATA_EXPORTERS, key
        assert label
    assert set(VECTOR_SUFFIXES) <= set(DATA_EXPORTERS)


@pytest.mark.parametrize("fmt", list(DATA_FORMATS))
def test_export_layers_writes_each_layer_in_the_chosen_format(tmp_path, fmt):
    layers = [rates_layer(), services_layer(), surface_layer(), secret_points_layer()]
    files = export_layers(layers, tmp_path, fmt)
    names = sorted(p.name for p in files)
    if fmt == "gpkg":
        assert names == ["layers.gpkg"]
    elif fmt == "xlsx":
        assert names == ["tables.xlsx"]
    elif fmt == "csv":
        assert names == ["export_notes.txt", "rates.csv", "services.csv"]
    else:
        suffix = DATA_FORMATS[fmt][1]
        assert f"rates{suffix}" in names and f"services{suffix}" in names
        assert f"kde{suffix}" in names  # the surface as cell polygons
        assert not any("needles" in n for n in names)
        notes = (tmp_path / "export_notes.txt").read_text()
        assert "Disclosure control" in notes and "'needles'" in notes
        back = read_shapefile(tmp_path / "kde.shp") if fmt == "shp" else \
            gpd.read_file(tmp_path / "kde.geojson")
        v = surface_layer().data.values
        assert len(back) == int((v > 0).sum())
