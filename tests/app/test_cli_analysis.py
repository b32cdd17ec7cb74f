"""The analysis verbs: count, kde, gistar, lisa, change, composite, pai (contracts and output)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
from shapely.geometry import box

from app.cli import main

ROOT = Path(__file__).resolve().parents[2]


def shared_path(*parts):
    """The shared real-data file (tests/conftest.py's rule), skipping when it is absent."""
    import os

    base = Path(os.environ.get("HOTMAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
    p = base.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"real data not found at {p}: set HOTMAP_SHARED_DATA to ../shared/data")
    return p

CRS = "EPSG:27700"
X0, Y0 = 358000, 172000


@pytest.fixture
def files(tmp_path):
    """Four 1 km squares, a points CSV (easting/northing/date) and a population CSV."""
    areas = gpd.GeoDataFrame(
        {"code": ["E01000001", "E01000002", "E01000003", "E01000004"]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000),
                  box(0, 1000, 1000, 2000), box(1000, 1000, 2000, 2000)], crs=CRS)
    areas.geometry = areas.geometry.translate(X0, Y0)  # central Bristol, on land
    ap = tmp_path / "areas.gpkg"
    areas.to_file(ap)
    rng = np.random.default_rng(1)
    xy = np.r_[rng.normal(500, 80, (40, 2)), rng.uniform(0, 2000, (20, 2)),
               [[5000, 5000]]]  # one outside every area
    dates = ["2019-01-15"] * 30 + ["2018-01-20"] * 31
    pd.DataFrame({"id": range(len(xy)), "easting": (xy[:, 0] + X0).round(1),
                  "northing": (xy[:, 1] + Y0).round(1), "date": dates,
                  "type": ["Drugs"] * 50 + ["Other"] * 11}).to_csv(tmp_path / "p.csv",
                                                                     index=False)
    (tmp_path / "pop.csv").write_text(
        'lsoa,pop\nE01000001,"1,500"\nE01000002,1200\nE01000003,"2,000"\nE01000004,900\n'
        'Grand Total,"5,600"\n')
    return tmp_path


def test_count_contract(files, capsys):
    out = files / "c.csv"
    args = ["count", "--areas", str(files / "areas.gpkg"), "--area-id", "code",
            "--points", str(files / "p.csv"), "--population", str(files / "pop.csv"),
            "--population-id", "lsoa", "--population-field", "pop"]
    assert main([*args, "--out", str(files / "safe.csv")]) == 0
    safe = pd.read_csv(files / "safe.csv", dtype=str)  # by default: small counts suppressed
    assert (safe["count"] == "<5").sum() == 2 and (safe["rate_per_10k"] == "suppressed").sum() == 2
    code = main([*args, "--suppress-below", "0", "--out", str(out)])
    assert code == 0
    t = pd.read_csv(out)
    assert list(t.columns) == ["code", "count", "population", "rate_per_10k", "rate_lcl",
                               "rate_ucl", "small_number"]
    assert len(t) == 4 and t["count"].sum() == 60
    assert t["population"].tolist() == [1500, 1200, 2000, 900]
    line = capsys.readouterr().out.splitlines()[-1]
    assert "records read: 61" in line and "assigned: 60" in line and "unassigned: 1" in line
    import json

    meta = json.loads((out.parent / "c.csv.meta.json").read_text())
    assert meta["period"].startswith("Jan 2018") and meta["base_n"] == 60
    assert "Byar" in meta["method"] and meta["units"] == "events per 10,000 residents"


def test_count_keeps_zero_areas_and_filters(files):
    out = files / "c.gpkg"
    assert main(["count", "--areas", str(files / "areas.gpkg"), "--area-id", "code",
                 "--points", str(files / "p.csv"), "--filter", "type == 'Other'",
                 "--suppress-below", "0", "--out", str(out)]) == 0
    g = gpd.read_file(out)
    assert list(g.columns) == ["code", "count", "small_number", "geometry"]
    assert len(g) == 4 and g["count"].sum() == 10


def test_count_bristol_drugs_against_police_uk(tmp_path):
    b = shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson")
    f = shared_path("police_uk", "2019-01-avon-and-somerset-street.csv")
    out = tmp_path / "drugs.csv"
    args = ["count", "--areas", str(b), "--area-id", "LSOA11CD", "--points", str(f),
            "--filter", "crime_type == 'Drugs'"]
    assert main([*args, "--suppress-below", "0", "--out", str(out)]) == 0
    t = pd.read_csv(out)
    raw = pd.read_csv(f)
    ref = raw[(raw["Crime type"] == "Drugs") & raw["LSOA name"].str.startswith("Bristol ")]
    assert len(t) == 263
    assert abs(t["count"].sum() - len(ref)) <= 0.1 * len(ref)
    # police.uk records are sensitive: by default no count from 1 to 4 is published
    safe = tmp_path / "drugs_safe.csv"
    assert main([*args, "--out", str(safe)]) == 0
    shown = pd.read_csv(safe, dtype=str)["count"]
    assert (shown == "<5").sum() == ((t["count"] > 0) & (t["count"] < 5)).sum() > 0
    assert not shown.isin([str(i) for i in range(1, 5)]).any()


def test_kde_subprocess_geotiff(files, tmp_path):
    import rasterio

    out = tmp_path / "k.tif"
    exe = Path(sys.executable).with_name("hotmap")
    r = subprocess.run([str(exe), "kde", "--points", str(files / "p.csv"), "--cell-size", "25",
                        "--bandwidth", "200", "--boundary", str(files / "areas.gpkg"),
                        "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "events per km²" in r.stdout
    with rasterio.open(out) as src:
        assert src.dtypes[0] == "float32" and src.crs.to_epsg() == 27700
        assert src.nodata == -9999 and src.res == (25, 25)
        assert tuple(src.bounds) == (X0, Y0, X0 + 2000, Y0 + 2000)
        total = src.read(1).astype(float).sum() * (25 / 1000) ** 2
    assert 55 < total <= 60.5  # 60 inside; a little kernel mass falls outside the boundary


def test_kde_edge_correction_option(files):
    """--edge-correction raises only the cells near the boundary and says so in the metadata."""
    import rasterio

    outs = {}
    for flag in ([], ["--edge-correction"]):
        out = files / f"k{len(flag)}.tif"
        assert main(["kde", "--points", str(files / "p.csv"), "--cell-size", "25",
                     "--bandwidth", "200", "--boundary", str(files / "areas.gpkg"), *flag,
                     "--out", str(out)]) == 0
        with rasterio.open(out) as src:
            outs[len(flag)] = src.read(1).astype(float)
            tags = src.tags()
    raw, cor = outs[0], outs[1]
    assert (cor >= raw - 1e-3).all()
    assert np.allclose(cor[20:60, 20:60], raw[20:60, 20:60])  # > 200 m from every edge
    assert (cor[:, 0] > raw[:, 0] * 1.5)[raw[:, 0] > 1].all()  # the edge column, ~×2
    assert tags["edge_correction"].startswith("uniform")  # GeoTIFF metadata tags


def test_kde_warns_and_gpkg(files, capsys):
    out = files / "k.gpkg"
    assert main(["kde", "--points", str(files / "p.csv"), "--cell-size", "100",
                 "--bandwidth", "50", "--out", str(out)]) == 0
    assert "warning: bandwidth 50 m is smaller than the cell size" in capsys.readouterr().out
    assert "density" in gpd.read_file(out).columns


def test_gistar_contract_and_options(files):
    out = files / "g.csv"
    assert main(["gistar", "--areas", str(files / "areas.gpkg"), "--area-id", "code",
                 "--points", str(files / "p.csv"), "--weights", "rook", "--suppress-below", "0",
                 "--out", str(out)]) == 0
    t = pd.read_csv(out)
    assert list(t.columns)[:5] == ["code", "value", "gi_z", "gi_p", "gi_p_fdr"]
    assert {"gi_bin", "gi_sig"} <= set(t.columns)
    assert t["value"].sum() == 60
    assert main(["gistar", "--areas", str(files / "areas.gpkg"), "--area-id", "code",
                 "--points", str(files / "p.csv"), "--weights", "knn:2", "--no-fdr",
                 "--permutations", "99", "--seed", "3", "--out", str(out)]) == 0
    t2 = pd.read_csv(out)
    assert "gi_p_sim" in t2.columns


def test_gistar_grid_cells(files):
    out = files / "gg.gpkg"
    assert main(["gistar", "--cell-size", "250", "--points", str(files / "p.csv"),
                 "--boundary", str(files / "areas.gpkg"), "--suppress-below", "0",
                 "--out", str(out)]) == 0
    g = gpd.read_file(out)
    assert len(g) == 64 and g["value"].sum() == 60
    assert list(g.columns)[:4] == ["cell_id", "row", "col", "value"]
    assert main(["gistar", "--points", str(files / "p.csv"), "--out", str(out)]) == 2


def test_gistar_refusals_exit_2(files, capsys):
    code = main(["gistar", "--areas", str(files / "areas.gpkg"), "--area-id", "code",
                 "--points", str(files / "p.csv"), "--weights", "distance:10",
                 "--out", str(files / "g.csv")])
    assert code == 2
    assert "no neighbours" in capsys.readouterr().err


def test_lisa_on_cells_and_hotspot_classes_of_areas(files):
    a, p = str(files / "areas.gpkg"), str(files / "p.csv")
    out = files / "lg.gpkg"
    assert main(["lisa", "--cell-size", "250", "--points", p, "--boundary", a,
                 "--permutations", "99", "--seed", "2", "--suppress-below", "0",
                 "--out", str(out)]) == 0
    g = gpd.read_file(out)
    assert len(g) == 64 and {"cell_id", "row", "col", "lisa_cluster"} <= set(g.columns)
    assert g["value"].sum() == 60  # the point outside the boundary is in no cell
    assert main(["change", "--mode", "classes", "--areas", a, "--area-id", "code",
                 "--points", p, "--period", "year", "--suppress-below", "0",
                 "--out", str(files / "cl.csv")]) == 0
    cl = pd.read_csv(files / "cl.csv")
    assert list(cl["code"]) == ["E01000001", "E01000002", "E01000003", "E01000004"]
    assert {"count_2018", "count_2019", "hot_periods", "hotspot_class"} <= set(cl.columns)
    assert cl["count_2018"].sum() + cl["count_2019"].sum() == 60
    from layers.common.errors import InputError

    with pytest.raises(InputError, match=r"needs --cell-size \(grid cells\) or --areas"):
        main(["change", "--mode", "classes", "--points", p, "--out", str(files / "x.csv"),
              "--debug"])


def test_lisa_change_composite_pai(files, capsys):
    a, p = str(files / "areas.gpkg"), str(files / "p.csv")
    assert main(["lisa", "--areas", a, "--area-id", "code", "--points", p, "--weights",
                 "queen", "--permutations", "99", "--out", str(files / "l.csv")]) == 0
    assert "lisa_cluster" in pd.read_csv(files / "l.csv").columns
    assert main(["change", "--areas", a, "--area-id", "code", "--points", p, "--period", "year",
                 "--period-a", "2018", "--period-b", "2019", "--suppress-below", "0", "--out",
                 str(files / "ch.csv")]) == 0
    ch = pd.read_csv(files / "ch.csv")
    assert {"count_a", "count_b", "rate_ratio", "p_exact", "p_fdr", "trend"} <= set(ch.columns)
    assert ch["count_a"].sum() + ch["count_b"].sum() == 60
    assert main(["composite", "--layer", f"drugs={p}", "--layer-filter", "drugs=type == 'Drugs'",
                 "--layer", f"other={p}", "--layer-filter", "other=type == 'Other'",
                 "--layer-weight", "other=2", "--cell-size", "50", "--bandwidth", "300",
                 "--boundary", a, "--out", str(files / "comp.gpkg")]) == 0
    comp = gpd.read_file(files / "comp.gpkg")
    assert {"composite", "drugs_share", "other_share"} <= set(comp.columns)
    assert main(["kde", "--points", p, "--cell-size", "50", "--bandwidth", "300",
                 "--boundary", a, "--out", str(files / "k.tif")]) == 0
    assert main(["pai", "--surface", str(files / "k.tif"), "--points", p,
                 "--out", str(files / "pai.csv")]) == 0
    pai = pd.read_csv(files / "pai.csv")
    assert pai.loc[0, "pai"] > 1 and pai.loc[0, "top_percent"] == 3
    assert "PAI" in capsys.readouterr().out


@pytest.mark.parametrize("verb", ["count", "kde", "gistar", "lisa", "change", "composite", "pai"])
def test_help(verb, capsys):
    with pytest.raises(SystemExit) as e:
        main([verb, "--help"])
    assert e.value.code == 0
    assert "example" in capsys.readouterr().out


DEMO_ANALYSES = '''
[[analyses]]
name = "my_rates"
kind = "count"
[analyses.params]
areas = "lsoa"
points = "arrests"

[[analyses]]
name = "my_kde"
kind = "kde"
[analyses.params]
points = "arrests"
cell_size = 50
bandwidth = 150
boundary = "lsoa"

[[analyses]]
name = "my_gi"
kind = "gistar"
[analyses.params]
areas = "lsoa"
points = "arrests"
filter = "drug_class == 'A'"
'''


def test_demo_data_kde_gistar_rates_through_run(tmp_path):
    """The demo's (fictional) data through ``hotmap run``: a rates table, KDE and Gi* maps."""
    demo = ROOT / "resources" / "demo" / "data"
    if not (demo / "areas.geojson").exists():
        pytest.skip("demo data not built")
    proj = tmp_path / "p.hotmap.toml"
    proj.write_text(f"""schema_version = 1
[project]
name = "Hotmap Vale (FICTIONAL)"
fictional = true
suppression_threshold = 5

[[boundaries]]
name = "lsoa"
paths = ["{(demo / 'areas.geojson').as_posix()}"]
code_field = "code"

[[records]]
name = "arrests"
kind = "arrests"
paths = ["{(demo / 'arrests.csv').as_posix()}"]
[records.columns]
x = "easting"
y = "northing"
date = "date"
""" + DEMO_ANALYSES)
    out = tmp_path / "out"
    assert main(["run", str(proj), "--out", str(out)]) == 0
    rates = pd.read_csv(out / "tables" / "my_rates.csv")
    assert {"code", "count", "small_number"} <= set(rates.columns) and len(rates) == 169
    assert (out / "surfaces" / "my_kde.tif").exists()
    assert (out / "maps" / "my_kde.png").exists() and (out / "maps" / "my_gi.png").exists()
    gi = pd.read_csv(out / "tables" / "my_gi.csv")
    assert {"gi_z", "gi_p_fdr", "gi_bin"} <= set(gi.columns)


def test_steps_in_process_with_sensitive_minimum_bandwidth():
    from mapping.pipeline import StepContext, get_step

    rng = np.random.default_rng(0)
    xy = rng.normal([X0 + 1000, Y0 + 1000], 200, (300, 2))
    pts = gpd.GeoDataFrame({"date": [pd.Timestamp("2019-01-01")] * 300},
                           geometry=gpd.points_from_xy(*xy.T), crs=CRS)
    areas = gpd.GeoDataFrame({"code": [f"E0{i}" for i in range(16)]},
                             geometry=[box(X0 + c * 500, Y0 + r * 500, X0 + c * 500 + 500,
                                           Y0 + r * 500 + 500)
                                       for r in range(4) for c in range(4)], crs=CRS)
    ctx = StepContext(layers={"needles": pts, "lsoa": areas},
                      meta={"needles": {"sensitive": True}, "lsoa": {"code_field": "code"}})
    [k] = get_step("kde")(ctx, points="needles", cell_size=25, bandwidth=100)
    assert k.kind == "surface" and k.meta["params"]["bandwidth_m"] == 200
    assert "raised from 100 m to 200 m" in k.meta["notes"][0]
    [g] = get_step("gistar")(ctx, areas="lsoa", points="needles", weights="rook")
    assert g.meta["style"]["column"] == "gi_bin" and g.data["value"].sum() == 300
    assert g.meta["base_n"] == 300 and "16 areas or cells" in g.meta["notes"]
    [gg] = get_step("gistar")(ctx, points="needles", cell_size=100, name="grid_gi")
    assert gg.kind == "grid" and gg.name == "grid_gi"
    [c] = get_step("count")(ctx, areas="lsoa", points="needles")
    assert c.data["count"].sum() == 300
    [l] = get_step("lisa")(ctx, areas="lsoa", points="needles", weights="rook",
                           permutations=99)
    assert "lisa_cluster" in l.data.columns
