"""Outputs written by worker processes are the bytes the serial writer writes (issue 18)."""

from __future__ import annotations

import re
import sqlite3
import zipfile

import numpy as np
import pytest

import geopandas as gpd
from shapely.geometry import box

from export_fixtures import (X0, Y0, areas_gdf, gistar_layer, rates_layer,
                             secret_points_layer, services_layer, surface_layer)
from layers.common.errors import InputError
from layers.model import Layer, LayerStack
from mapping.export.outputs import default_composition, write_outputs
from mapping.export import parallel as par
from mapping.export.parallel import JobRunner, output_workers
from mapping.render.draw import RASTER_FEATURES

#: Time stamps the formats embed, fixed so that two writes can be compared byte for byte
#: (matplotlib's PDF dates, GDAL's GeoPackage ``last_change``).
FIXED_TIME = {"SOURCE_DATE_EPOCH": "1700000000", "OGR_CURRENT_DATE": "2024-01-01T00:00:00Z"}


def _grid(n_side: int) -> Layer:
    """A grid result of ``n_side``² 100 m cells with a value gradient (drawn rasterized)."""
    cells = [box(X0 + i * 100, Y0 + j * 100, X0 + (i + 1) * 100, Y0 + (j + 1) * 100)
             for j in range(n_side) for i in range(n_side)]
    v = np.add.outer(np.arange(n_side), np.arange(n_side)).ravel().astype(float)
    lyr = Layer("cells", gpd.GeoDataFrame({"cell_id": np.arange(len(cells)), "score": v},
                                          geometry=cells, crs=27700),
                kind="grid", meta={"title": "Cell score", "value_column": "score"})
    lyr.style.column = "score"
    return lyr


def _write(out, workers):
    w = Layer("wards", areas_gdf()[["code", "geometry"]].dissolve().reset_index(drop=True),
              kind="areas", meta={"title": "Ward"})
    stack = LayerStack([w, rates_layer(), gistar_layer(), surface_layer(),
                        secret_points_layer(), services_layer(), _grid(75)])
    maps = [default_composition(stack[n], [w], fictional=True)
            for n in ("rates", "gistar", "kde", "cells")]
    files = write_outputs(stack, maps, out, project_meta={"title": "Parity", "fictional": True},
                          workers=workers)
    return [f.relative_to(out) for f in files]


def _folium_ids(text: bytes) -> bytes:
    """folium names every element with a fresh random hex id: number them in order."""
    seen: dict = {}
    return re.sub(rb"(?<=_)[0-9a-f]{32}(?![0-9a-f])",
                  lambda m: b"%d" % seen.setdefault(m.group(), len(seen)), text)


def _content(path):
    """A file's bytes; zip containers member by member (their entries carry the write time)."""
    if path.suffix in (".docx", ".xlsx"):
        with zipfile.ZipFile(path) as z:
            return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}
    if path.suffix == ".html":
        return _folium_ids(path.read_bytes())
    return path.read_bytes()


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    for k, v in FIXED_TIME.items():
        mp.setenv(k, v)
    # Earlier tests (the desktop app's) leave idle pool threads in this process, which
    # would make the writer choose one worker; these writes must really use two.
    mp.setattr(par, "fork_is_safe", lambda: True)
    assert output_workers(10, workers=2) == 2
    try:
        serial, parallel = tmp_path_factory.mktemp("serial"), tmp_path_factory.mktemp("parallel")
        return serial, _write(serial, 1), parallel, _write(parallel, 2)
    finally:
        mp.undo()


def test_parallel_files_are_the_serial_bytes(both):
    serial, s_files, parallel, p_files = both
    assert s_files == p_files  # the same files, listed in the same order
    assert len(s_files) > 20
    differ = [str(f) for f in s_files if _content(serial / f) != _content(parallel / f)]
    assert differ == []
    assert (serial / "layers.gpkg").read_bytes() == (parallel / "layers.gpkg").read_bytes()


def test_the_audit_pack_holds_every_map_drawn_by_the_workers(both):
    from docx import Document

    _, _, parallel, _ = both
    text = "\n".join(p.text for p in Document(parallel / "audit_pack.docx").paragraphs)
    for title in ("Offences per 1,000 residents", "Gi* hot spots", "Needle finds KDE",
                  "Cell score"):
        assert title in text


def test_grid_cells_are_in_the_geopackage_not_the_workbook(both):
    from openpyxl import load_workbook

    _, _, parallel, _ = both
    wb = load_workbook(parallel / "tables" / "tables.xlsx", read_only=True)
    assert "cells" not in wb.sheetnames and "rates" in wb.sheetnames
    notes = [r[0] for r in wb["Notes"].iter_rows(values_only=True)]
    assert any("cells" in str(n) and "layers.gpkg" in str(n) for n in notes)
    with sqlite3.connect(parallel / "layers.gpkg") as db:
        assert db.execute("select count(*) from cells").fetchone()[0] == 75 * 75
    assert (parallel / "tables" / "cells.csv").exists()


def test_large_grids_are_images_inside_vector_pages(both):
    _, _, parallel, _ = both
    assert 75 * 75 >= RASTER_FEATURES
    svg = (parallel / "maps" / "cells.svg").read_text()
    rates = (parallel / "maps" / "rates.svg").read_text()
    assert "<image" in svg and svg.count("<path") < 2000  # not one path per cell
    assert "<image" not in rates  # small layers stay vector


def test_png_pages_are_opaque_rgb_at_300_dpi(both):
    from PIL import Image

    _, _, parallel, _ = both
    with Image.open(parallel / "maps" / "rates.png") as im:
        assert im.mode == "RGB" and im.info["dpi"][0] == pytest.approx(300, abs=0.05)
        assert im.info.get("Software") == "hotmap"


def _boom(state, job):
    raise InputError(f"job {job} failed", path="/x/y.csv", fix="try again")


def _times(state, job):
    return state * job


@pytest.mark.parametrize("workers", [1, 2])
def test_runner_returns_results_and_errors_with_their_fix(workers):
    with JobRunner(3, workers) as run:
        futs = [run.submit(_times, j) for j in range(4)]
        bad = run.submit(_boom, 7)
    assert [f.result() for f in futs] == [0, 3, 6, 9]
    with pytest.raises(InputError, match="job 7 failed") as err:
        bad.result()
    assert err.value.fix == "try again" and err.value.path == "/x/y.csv"


def test_worker_count(monkeypatch):
    # In the suite another thread is alive (pytest-timeout's timer), so forking is never
    # "safe" here: that rule has its own test below; this one checks the count.
    monkeypatch.setattr(par, "fork_is_safe", lambda: True)
    monkeypatch.setenv("HOTMAP_WORKERS", "1")
    assert output_workers(10) == 1
    monkeypatch.setenv("HOTMAP_WORKERS", "8")
    assert output_workers(3) == 3
    assert output_workers(5, workers=2) == 2


def test_no_fork_from_a_worker_thread_or_beside_other_threads(monkeypatch):
    """The desktop app writes the audit pack on a worker thread: forking there can leave a
    child waiting for ever on a lock another thread held (CI hung on it), so it is serial."""
    import threading

    monkeypatch.setenv("HOTMAP_WORKERS", "8")
    seen = {}
    t = threading.Thread(target=lambda: seen.update(n=output_workers(5),
                                                    safe=par.fork_is_safe()))
    t.start()
    t.join()
    assert seen == {"n": 1, "safe": False}
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)  # the main thread, but not alone
    other.start()
    try:
        assert not par.fork_is_safe() and output_workers(5) == 1
    finally:
        stop.set()
        other.join()


def test_layer_files_of_a_verb_are_the_same_bytes_from_workers(tmp_path, monkeypatch):
    from mapping.pipeline.policy import Policy
    from mapping.pipeline.runner import write_layer_files

    for k, v in FIXED_TIME.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(par, "fork_is_safe", lambda: True)  # as in the fixture above
    layers = [_grid(40), rates_layer(), surface_layer(sensitive=False)]
    policy = Policy()
    got = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        files = write_layer_files(layers, out, policy, folder=True, workers=workers)
        got[workers] = {f.relative_to(out): f.read_bytes() for f in files}
    assert list(got[1]) == list(got[2]) and len(got[1]) >= 6
    assert got[1] == got[2]
