"""The cache of big polygon files and the boundary files read beside the records (issue 18)."""

from __future__ import annotations

import os
import threading

import pandas as pd
import pytest

from layers.ingest import area_cache
from layers.ingest.areas import read_area_file
from layers.load_ahead import load_in_order
from layers.project import BasemapSource, BoundarySource, RecordSource
from tests.conftest import shared_path


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTMAP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HOTMAP_NO_CACHE", raising=False)
    monkeypatch.setattr(area_cache, "MIN_BYTES", 0)  # the small Bristol file is kept too
    return tmp_path / "cache" / "areas"


def _same(a, b):
    pd.testing.assert_frame_equal(pd.DataFrame(a.accepted.drop(columns="geometry")),
                                  pd.DataFrame(b.accepted.drop(columns="geometry")))
    assert a.accepted.crs == b.accepted.crs
    assert a.accepted.geometry.geom_equals_exact(b.accepted.geometry, 0).all()
    pd.testing.assert_frame_equal(a.rejected, b.rejected)
    assert (a.rows_read, a.repaired, a.messages, a.kind, a.path) == \
        (b.rows_read, b.repaired, b.messages, b.kind, b.path)


def test_cached_read_is_the_read(cache, monkeypatch):
    p = shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson")
    monkeypatch.setenv("HOTMAP_NO_CACHE", "1")
    fresh = read_area_file(p)
    assert not cache.exists()
    monkeypatch.delenv("HOTMAP_NO_CACHE")
    first = read_area_file(p)  # read, then kept
    assert len(list(cache.glob("*.pkl"))) == 1
    calls = []
    monkeypatch.setattr("layers.ingest.areas._read_area_file",
                        lambda *a, **k: calls.append(1) or first)
    second = read_area_file(p)  # from the cache: the file is not read
    assert not calls
    for got in (first, second):
        _same(fresh, got)


def test_cache_follows_the_file_and_options(cache, tmp_path, monkeypatch):
    src = shared_path("boundaries", "bristol_wards2014_E06000023.geojson")
    p = tmp_path / "wards.geojson"
    p.write_bytes(src.read_bytes())
    read_area_file(p)
    calls = []
    real = read_area_file.__globals__["_read_area_file"]

    def counting(*a, **k):
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr("layers.ingest.areas._read_area_file", counting)
    read_area_file(p)
    assert calls == []
    read_area_file(p, repair=False)  # other options: read again
    assert calls == [1]
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # the file changed
    read_area_file(p)
    assert calls == [1, 1]
    assert len(list(cache.glob("*.pkl"))) == 1  # one entry per path


def test_damaged_entry_is_read_again(cache):
    p = shared_path("boundaries", "bristol_wards2014_E06000023.geojson")
    fresh = read_area_file(p)
    (entry,) = cache.glob("*.pkl")
    entry.write_bytes(b"not a pickle")
    _same(fresh, read_area_file(p))


def _sources():
    return [BasemapSource(name="map", paths=["m.tif"]),
            BoundarySource(name="areas", paths=["a.gpkg"]),
            RecordSource(name="points", paths=["p.csv"]),
            RecordSource(name="more", paths=["q.csv"])]


def test_load_in_order_reads_boundaries_beside_records():
    threads = {}

    def load(src):
        threads[src.name] = threading.current_thread()
        return f"layer {src.name}", None

    started = []
    got = list(load_in_order(_sources(), load, started=lambda i, s: started.append(s.name)))
    assert [g[0].name for g in got] == ["map", "areas", "points", "more"]
    assert [g[1] for g in got] == ["layer map", "layer areas", "layer points", "layer more"]
    assert threads["areas"] is not threading.current_thread()
    assert threads["points"] is threading.current_thread()
    assert started == ["map", "areas", "points", "more"]


@pytest.mark.parametrize("failing, raised, before", [
    ({"areas", "more"}, "areas", ["map"]),       # the first in order wins
    ({"points"}, "points", ["map", "areas"]),
    ({"map", "areas"}, "map", []),
])
def test_load_in_order_raises_the_first_failure(failing, raised, before):
    def load(src):
        if src.name in failing:
            raise ValueError(src.name)
        return src.name, None

    got = []
    with pytest.raises(ValueError, match=raised):
        for item in load_in_order(_sources(), load):
            got.append(item[0].name)
    assert got == before


def test_study_area_from_a_boundary_loads_in_turn():
    srcs = _sources()
    srcs[2].options["study_area"] = "areas"
    order = []
    me = threading.current_thread()

    def load(src):
        order.append((src.name, threading.current_thread() is me))
        return src.name, None

    list(load_in_order(srcs, load))
    assert order == [("map", True), ("areas", True), ("points", True), ("more", True)]


def test_load_in_order_cancelled():
    calls = []

    def load(src):
        calls.append(src.name)
        return src.name, None

    out = list(load_in_order(_sources(), load, cancelled=lambda: len(calls) >= 2))
    assert out[-1] is None
    names = [o[0].name for o in out[:-1]]
    assert names == ["map", "areas", "points", "more"][:len(names)] and len(names) < 4
    assert set(names) <= set(calls)
