"""Command-line contracts of issue 15: the deprivation ward form, coverage on wards, count
--smooth, gistar/lisa --snap, change on an incomplete period, pai --boundary, funnel notes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from shapely.geometry import box

from app.cli import main
from tests.conftest import shared_path

CRS = "EPSG:27700"
X0, Y0 = 358000, 172000  # central Bristol, on land


def _bristol():
    d = {"wards": shared_path("boundaries", "bristol_wards2014_E06000023.geojson"),
         "lsoas": shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson"),
         "ranks": shared_path("imd", "imd2019_england_lsoa11_deciles_ranks.csv"),
         "scores": shared_path("imd", "mysociety_UK_IMD_E_2019scores_all_uk.csv"),
         "pop": shared_path("population", "mysociety_lsoa_population_mid2019_uk.csv")}
    return {k: str(v) for k, v in d.items()}


def _ward_form(d, out, *extra):
    return ["deprivation", "--areas", d["wards"], "--area-id", "WD13CD", "--lsoas", d["lsoas"],
            "--lsoa-id", "LSOA11CD", "--imd", d["ranks"], d["scores"], "--population", d["pop"],
            "--population-id", "lsoa", "--population-field", "pop", "--out", str(out), *extra]


def test_deprivation_ward_form_contract(tmp_path, capsys):
    from boundaries import load_boundaries
    from boundaries.deprivation import read_imd
    from boundaries.population import read_population
    from boundaries.wards import ward_deprivation

    d = _bristol()
    out = tmp_path / "wards.csv"
    assert main(_ward_form(d, out)) == 0
    t = pd.read_csv(out)
    assert list(t.columns) == ["WD13CD", "imd_score", "most_deprived_20", "most_deprived_30",
                               "pop_share_most_deprived_20", "pop_share_most_deprived_30",
                               "n_lsoas", "population"]
    assert len(t) == 35 and t["n_lsoas"].sum() == 263 and t["population"].sum() == 463_377
    text = capsys.readouterr().out
    assert "most deprived 20% nationally (IMD score >= 33.254): 8 of 35 areas" in text
    meta = json.loads((tmp_path / "wards.csv.meta.json").read_text())
    assert meta["params"]["apportion"] == "best_fit"
    assert meta["params"]["cutoffs"]["most_deprived_20"] == pytest.approx(33.254, abs=1e-3)
    # the same numbers as the library function the project step and the GUI use
    ref = ward_deprivation(load_boundaries(d["lsoas"]).accepted,
                           load_boundaries(d["wards"]).accepted,
                           read_imd([d["ranks"], d["scores"]]), lsoa_id="LSOA11CD",
                           ward_id="WD13CD",
                           population=read_population(d["pop"]).set_index("code")["population"])
    assert_allclose(t["imd_score"], ref["imd_score"], rtol=1e-12)
    assert main(_ward_form(d, tmp_path / "area.csv", "--apportion", "area")) == 0
    assert json.loads((tmp_path / "area.csv.meta.json").read_text())["params"]["apportion"] \
        == "area"


def test_deprivation_ward_form_refusals(tmp_path):
    from layers.common.errors import InputError

    d = _bristol()
    args = _ward_form(d, tmp_path / "x.csv")
    i = args.index("--lsoa-id")
    # without --lsoa-id the LSOAs' code field is the one detected (LSOA11CD)
    assert main(args[:i] + args[i + 2:]) == 0
    with pytest.raises(InputError, match="not the whole nation"):
        local = tmp_path / "local.csv"
        pd.read_csv(d["ranks"]).head(400).to_csv(local, index=False)
        main(["deprivation", "--areas", d["wards"], "--area-id", "WD13CD", "--lsoas", d["lsoas"],
              "--lsoa-id", "LSOA11CD", "--imd", str(local), d["scores"], "--out",
              str(tmp_path / "y.csv"), "--debug"])


def test_coverage_on_wards_uses_the_national_cutoffs(tmp_path, capsys):
    """Services at 40 LSOAs' representative points; on wards, the services in the national
    20% most deprived wards are counted (an sjoin reference), not '0 of 40' and 'nan m'."""
    from layers.common.errors import InputError

    d = _bristol()
    lsoa = gpd.read_file(d["lsoas"]).to_crs(CRS)
    pts = lsoa.geometry.representative_point().iloc[::6]
    pd.DataFrame({"sid": [f"S{i}" for i in range(len(pts))], "easting": pts.x.round(1),
                  "northing": pts.y.round(1)}).to_csv(tmp_path / "svc.csv", index=False)
    base = ["coverage", "--areas", d["wards"], "--area-id", "WD13CD", "--services",
            str(tmp_path / "svc.csv"), "--services-id", "sid", "--imd", d["ranks"], d["scores"]]
    with pytest.raises(InputError, match="not LSOA codes of the IMD file.*--lsoas"):
        main(base + ["--out", str(tmp_path / "bad.csv"), "--debug"])
    out = tmp_path / "cov.csv"
    assert main(base + ["--lsoas", d["lsoas"], "--lsoa-id", "LSOA11CD", "--population", d["pop"],
                        "--population-id", "lsoa", "--population-field", "pop",
                        "--out", str(out)]) == 0
    t = pd.read_csv(out)
    assert {"imd_score", "most_deprived_20", "pop_share_most_deprived_20"} <= set(t.columns)
    wards = gpd.read_file(d["wards"]).to_crs(CRS).merge(t[["WD13CD", "most_deprived_20"]])
    svc = gpd.GeoDataFrame(geometry=gpd.points_from_xy(pts.x.round(1), pts.y.round(1)), crs=CRS)
    j = gpd.sjoin(svc, wards, predicate="within")
    n_ref = int(j["most_deprived_20"].sum())
    text = capsys.readouterr().out
    assert n_ref > 0
    assert f"services in the 20% most deprived areas (national LSOA cut-off): {n_ref} of " \
           f"{len(svc)}" in text
    assert "nan" not in text


@pytest.fixture
def tiles(tmp_path):
    """A 6 x 6 block of 200 m squares, 1 m apart (like reprojected generalised boundaries),
    drugs points stacked in one corner, a population table, and dates over 3 months."""
    geoms, codes = [], []
    for r in range(6):
        for c in range(6):
            x, y = X0 + c * 201, Y0 + r * 201
            geoms.append(box(x, y, x + 200, y + 200))
            codes.append(f"E01{r * 6 + c:06d}")
    gpd.GeoDataFrame({"code": codes}, geometry=geoms, crs=CRS).to_file(tmp_path / "a.gpkg")
    rng = np.random.default_rng(2)
    xy = np.r_[np.repeat([[X0 + 50, Y0 + 50]], 12, axis=0), rng.uniform(0, 1200, (40, 2)) +
               [X0, Y0]]
    dates = (["2018-10-01", "2018-11-01", "2018-12-01"] * 20)[:len(xy)]
    pd.DataFrame({"easting": xy[:, 0], "northing": xy[:, 1], "date": dates}).to_csv(
        tmp_path / "p.csv", index=False)
    pd.DataFrame({"lsoa": codes, "pop": 1500}).to_csv(tmp_path / "pop.csv", index=False)
    return tmp_path


def test_gistar_and_lisa_snap(tiles):
    a, p = str(tiles / "a.gpkg"), str(tiles / "p.csv")
    from layers.common.errors import InputError

    # exact contiguity: squares 1 m apart have no neighbours at all
    with pytest.raises(InputError, match=r"36 of 36 areas have no neighbours.*\(E01000000"):
        main(["gistar", "--areas", a, "--area-id", "code", "--points", p, "--snap", "0",
              "--out", str(tiles / "g0.csv"), "--debug"])
    assert main(["gistar", "--areas", a, "--area-id", "code", "--points", p,
                 "--out", str(tiles / "g.csv")]) == 0
    meta = json.loads((tiles / "g.csv.meta.json").read_text())
    assert "within 2 m" in meta["params"]["weights_detail"] and meta["params"]["snap_m"] == 2
    assert "gi_flat" in pd.read_csv(tiles / "g.csv").columns
    assert main(["lisa", "--areas", a, "--area-id", "code", "--points", p, "--snap", "5",
                 "--permutations", "199", "--out", str(tiles / "l.csv")]) == 0
    meta = json.loads((tiles / "l.csv.meta.json").read_text())
    assert meta["params"]["snap_m"] == 5 and "ties counted" in meta["params"]["p_value"]


def test_count_smooth_and_small_numbers_warning(tiles, capsys):
    out = tiles / "c.csv"
    assert main(["count", "--areas", str(tiles / "a.gpkg"), "--area-id", "code", "--points",
                 str(tiles / "p.csv"), "--population", str(tiles / "pop.csv"),
                 "--population-id", "lsoa", "--population-field", "pop", "--smooth", "global",
                 "--out", str(out)]) == 0
    t = pd.read_csv(out)
    assert list(t.columns) == ["code", "count", "population", "rate_per_10k", "rate_lcl",
                               "rate_ucl", "rate_eb_per_10k", "small_number"]
    assert "warning:" in capsys.readouterr().out
    meta = json.loads((tiles / "c.csv.meta.json").read_text())
    assert meta["value_column"] == "rate_eb_per_10k" and meta["params"]["smooth"] == "global"
    from layers.common.errors import InputError

    with pytest.raises(InputError, match="--smooth needs --population"):
        main(["count", "--areas", str(tiles / "a.gpkg"), "--area-id", "code", "--points",
              str(tiles / "p.csv"), "--smooth", "local", "--out", str(out), "--debug"])


def test_change_states_an_incomplete_period(tiles, capsys):
    """2018Q4 (three months of records) against 2019Q1, whose data hold January only."""
    p = tiles / "p.csv"
    df = pd.read_csv(p)
    late = df[df["date"] == "2018-10-01"].assign(date="2019-01-01")
    pd.concat([df, late]).to_csv(tiles / "p2.csv", index=False)
    assert main(["change", "--areas", str(tiles / "a.gpkg"), "--area-id", "code",
                 "--points", str(tiles / "p2.csv"), "--period-a", "2018Q4", "--period-b",
                 "2019Q1", "--out", str(tiles / "ch.csv")]) == 0
    out = capsys.readouterr().out  # the verb prints the warning and the notes
    assert "warning: 2019Q1: the data cover 31 of its 90 days" in out
    assert "note: 2019Q1: the data cover 31 of its 90 days" in out
    meta = json.loads((tiles / "ch.csv.meta.json").read_text())
    assert (meta["params"]["days_a"], meta["params"]["days_b"]) == (92, 31)


def test_pai_boundary(tiles, capsys):
    a, p = str(tiles / "a.gpkg"), str(tiles / "p.csv")
    assert main(["kde", "--points", p, "--cell-size", "20", "--bandwidth", "200",
                 "--out", str(tiles / "k.tif")]) == 0
    assert main(["pai", "--surface", str(tiles / "k.tif"), "--points", p,
                 "--out", str(tiles / "pai0.csv")]) == 0
    out = capsys.readouterr().out
    assert "warning:" in out and "whole grid rectangle" in out
    assert "study area: the whole grid rectangle" in out
    assert main(["pai", "--surface", str(tiles / "k.tif"), "--points", p, "--boundary", a,
                 "--out", str(tiles / "pai.csv")]) == 0
    assert "study area: the boundary given" in capsys.readouterr().out
    assert pd.read_csv(tiles / "pai.csv").loc[0, "study_area"].startswith("the boundary")
