"""``--engine dask`` gives the same counts and surfaces as the default engine (issue 18).

Generated data: square areas, points scattered over them (some exactly on shared edges and
corners, some outside every area), cut into many partitions so the dask workers really
share the work.  The reference for the counts is also computed independently with
geopandas.sjoin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import geopandas as gpd
from shapely.geometry import box

pytest.importorskip("distributed")

from mapping.stats import engine  # noqa: E402
from mapping.stats.gistar import hotspot_gistar_grid  # noqa: E402
from mapping.stats.kde import hotspot_kde  # noqa: E402
from mapping.stats.rates import count_points  # noqa: E402


@pytest.fixture(scope="module")
def dask_eng():
    eng = engine.dask_engine(workers=2)
    yield eng
    eng.close()


@pytest.fixture()
def small_partitions(monkeypatch):
    monkeypatch.setattr(engine, "PARTITION", 700)


def _data(n=6000):
    rng = np.random.default_rng(4)
    x0, y0 = 400_000, 300_000
    areas = gpd.GeoDataFrame(
        {"code": [f"A{i:03d}" for i in range(100)]},
        geometry=[box(x0 + 500 * (i % 10), y0 + 500 * (i // 10),
                      x0 + 500 * (i % 10 + 1), y0 + 500 * (i // 10 + 1)) for i in range(100)],
        crs=27700)
    xy = rng.uniform([x0 - 200, y0 - 200], [x0 + 5200, y0 + 5200], (n, 2))
    xy[:300] = (rng.integers(0, 11, (300, 2)) * 500 + [x0, y0]).astype(float)  # on edges
    pts = pd.DataFrame({"bng_x": xy[:, 0], "bng_y": xy[:, 1]})
    pts.attrs["xy_columns"] = ("bng_x", "bng_y")
    return areas, pts


def test_count_same_as_default_and_sjoin(dask_eng, small_partitions):
    areas, pts = _data()
    ref, pos_ref = count_points(areas, pts, "code")
    with engine.use_engine(dask_eng):
        got, pos = count_points(areas, pts, "code")
    assert dask_eng.workers == 2
    assert (pos == pos_ref).all()
    pd.testing.assert_frame_equal(got, ref)
    # independent reference: points strictly inside an area (sjoin 'within')
    g = gpd.GeoDataFrame(geometry=gpd.points_from_xy(pts.bng_x, pts.bng_y), crs=27700)
    j = gpd.sjoin(g, areas, predicate="within")
    inside = j.groupby("code").size().reindex(areas["code"], fill_value=0).to_numpy()
    assert (got["count"].to_numpy() >= inside).all()  # plus the points on edges, once each
    assert got["count"].sum() == (pos >= 0).sum() == len(j) + int(
        (~g.index.isin(j.index) & (pos >= 0)).sum())


def test_kde_surface_identical(dask_eng, small_partitions, monkeypatch):
    _, pts = _data(60_000)  # enough that the surface is binned, not evaluated exactly
    monkeypatch.setattr(engine, "PARTITION", 7_000)
    a = hotspot_kde(pts, cell_size=10, bandwidth=300)
    assert a.meta["evaluation"] == "binned"
    with engine.use_engine(dask_eng):
        b = hotspot_kde(pts, cell_size=10, bandwidth=300)
    assert np.array_equal(np.asarray(a.values), np.asarray(b.values), equal_nan=True)
    # and within the float32 rounding of the surface of one pass over all the points
    monkeypatch.setattr(engine, "PARTITION", 10 ** 9)
    c = hotspot_kde(pts, cell_size=10, bandwidth=300)
    va, vc = np.asarray(a.values, float), np.asarray(c.values, float)
    assert np.nanmax(np.abs(va - vc)) <= 1e-6 * np.nanmax(vc)


def test_grid_gistar_identical(dask_eng, small_partitions):
    _, pts = _data()
    a = hotspot_gistar_grid(pts, cell_size=250)
    with engine.use_engine(dask_eng):
        b = hotspot_gistar_grid(pts, cell_size=250)
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                  pd.DataFrame(b.drop(columns="geometry")))
    assert a["value"].sum() == len(pts)


def test_missing_dask_says_how_to_install(monkeypatch):
    import sys

    from layers.common.errors import InputError

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(InputError) as exc:
        engine.dask_engine()
    assert "hotmap[dask]" in str(exc.value)


def test_cli_engine_dask_same_output(tmp_path, capsys):
    from app.cli import main

    areas, pts = _data(3000)
    areas.to_file(tmp_path / "areas.gpkg")
    for i in range(3):
        pts.iloc[i * 1000:(i + 1) * 1000].rename(
            columns={"bng_x": "easting", "bng_y": "northing"}).to_csv(
            tmp_path / f"p{i}.csv", index=False)
    common = ["count", "--areas", str(tmp_path / "areas.gpkg"), "--area-id", "code"]
    for i in range(3):
        common += ["--points", str(tmp_path / f"p{i}.csv")]
    assert main(common + ["--out", str(tmp_path / "a.csv")]) == 0
    assert main(common + ["--engine", "dask", "--out", str(tmp_path / "b.csv")]) == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    capsys.readouterr()
    assert main(common + ["--scheduler", "tcp://127.0.0.1:1", "--out",
                          str(tmp_path / "c.csv")]) == 2
    err = capsys.readouterr()
    assert "--scheduler is for the dask engine" in err.out + err.err


def test_project_compute_table_sets_the_engine(tmp_path):
    from types import SimpleNamespace

    from layers.common.errors import ProjectError
    from layers.project import Project

    doc = {"schema_version": 1, "project": {"name": "t"},
           "compute": {"engine": "dask", "workers": 2}}
    proj = Project.from_dict(doc, tmp_path / "p.hotmap.toml")
    assert proj.compute == {"engine": "dask", "workers": 2}
    assert proj.to_dict()["compute"] == {"engine": "dask", "workers": 2}
    with engine.engine_for(SimpleNamespace(project=proj), None, None) as eng:
        assert eng.name == "dask" and eng.workers == 2
    # the analysis's own parameter wins over the project's table
    with engine.engine_for(SimpleNamespace(project=proj), "default", None) as eng:
        assert eng.name == "default"
    with pytest.raises(ProjectError, match="engine"):
        Project.from_dict({**doc, "compute": {"engine": "spark"}}, tmp_path / "p.hotmap.toml")
