"""Charts saved by the chart writer's process are the bytes saved in this one (issue 18)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from layers.common.errors import InputError
from mapping.export import chart_writer as cw
from mapping.export import parallel as par
from mapping.export.chart_writer import ChartWriter, chart_writer
from mapping.render.charts import chart_figure, chart_finish, chart_save
from mapping.render.charts_funnel import _thousands


def _charts():
    """Three house-style charts: bars, a line with a thousands formatter, an empty one."""
    rng = np.random.default_rng(7)
    out = []
    fig, ax = chart_figure()
    ax.bar(np.arange(12), rng.integers(0, 9, 12))  # small counts, many ties and zeros
    chart_finish(fig, title="Drugs offences per month", subtitle="n = 41 records",
                 caption="FICTIONAL", source="Source: test")
    out.append(fig)
    fig, ax = chart_figure()
    ax.plot(np.arange(30) * 1000.0, rng.random(30))
    ax.xaxis.set_major_formatter(_thousands())
    chart_finish(fig, title="Rate against population", source="Source: test")
    out.append(fig)
    fig, _ = chart_figure()
    chart_finish(fig, title="Nothing to show")
    out.append(fig)
    return out


def test_writer_files_are_the_bytes_saved_here(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # SVG's dc:date
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    writer = ChartWriter()
    names = []
    for n, fig in enumerate(_charts()):
        paths = [there / f"c{n}.png", there / f"c{n}.svg"]
        assert writer.save(fig, paths)
        for p in paths:
            chart_save(fig, here / p.name)
            names.append(p.name)
        fig.clear()  # as save_figure does: the writer has its own copy
    writer.close()
    for name in names:
        a, b = (there / name).read_bytes(), (here / name).read_bytes()
        if name.endswith(".png"):
            assert a == b, name
        else:  # the same SVG: elements and text the same, coordinates to 1/1000 pt
            assert _svg_tokens(a)[0] == _svg_tokens(b)[0], name
            assert np.allclose(_svg_tokens(a)[1], _svg_tokens(b)[1], rtol=0, atol=1e-3), name


def _svg_tokens(svg: bytes):
    """``(text between numbers, numbers)``.  Within one long test session matplotlib's
    text-metrics cache can place a glyph a rounding step away from a fresh process's
    (seen once in a full run: one digit in the sixth decimal)."""
    import re

    parts = re.split(rb"(-?\d+\.\d+|-?\d+)", svg)
    return parts[0::2], np.array([float(x) for x in parts[1::2]])


def test_a_figure_that_cannot_be_pickled_is_left_to_the_caller(tmp_path):
    from matplotlib.ticker import FuncFormatter

    fig, ax = chart_figure()
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}"))
    writer = ChartWriter()
    assert writer.save(fig, [tmp_path / "x.png"]) is False
    writer.close()
    assert not (tmp_path / "x.png").exists()


def test_an_error_in_the_writer_is_raised_at_close(tmp_path):
    writer = ChartWriter()
    assert writer.save(_charts()[0], [tmp_path / "chart.bmp"])  # no such chart format
    with pytest.raises(InputError, match="bmp"):
        writer.close()


def test_serial_with_one_worker_and_no_thread_started(monkeypatch):
    # earlier tests (the desktop app's) may leave idle threads in this process
    monkeypatch.setattr(cw, "fork_is_safe", lambda: True)
    monkeypatch.setattr(par, "fork_is_safe", lambda: True)
    monkeypatch.setenv("HOTMAP_WORKERS", "1")
    with chart_writer() as w:
        assert w is None
    monkeypatch.setenv("HOTMAP_WORKERS", "2")
    threads = threading.active_count()
    with chart_writer() as w:
        assert isinstance(w, ChartWriter)
        assert threading.active_count() == threads  # the output writers may still fork
    monkeypatch.setattr(cw, "fork_is_safe", lambda: False)
    with chart_writer() as w:
        assert w is None


def test_a_failed_run_stops_the_writer(monkeypatch):
    # earlier tests (the desktop app's) may leave idle threads in this process
    monkeypatch.setattr(cw, "fork_is_safe", lambda: True)
    monkeypatch.setattr(par, "fork_is_safe", lambda: True)
    monkeypatch.setenv("HOTMAP_WORKERS", "2")
    with pytest.raises(RuntimeError, match="step failed"):
        with chart_writer() as w:
            proc = w._proc
            raise RuntimeError("step failed")
    assert not proc.is_alive()


@pytest.mark.parametrize("load", ["pickle", "load_figure"])
def test_unpickled_transforms_know_their_parents(tmp_path, load, monkeypatch):
    """matplotlib keys a transform's parents by the pickling process's ``id()``s; the
    writer's loader keys them by the unpickled parents' own (else a later transform can
    take a parent's place and the parent is never told of a dpi change: tick labels
    12 pt off in an SVG saved after a PNG).  With plain pickle the keys are stale."""
    import gc
    import pickle

    from matplotlib.transforms import TransformNode

    from mapping.export.chart_writer import load_figure

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # SVG's dc:date
    fig = _charts()[1]
    blob = tmp_path / "f.pickle"
    blob.write_bytes(pickle.dumps(fig))
    before = {id(o) for o in gc.get_objects() if isinstance(o, TransformNode)}
    new = pickle.loads(blob.read_bytes()) if load == "pickle" else load_figure(blob)
    nodes = [o for o in gc.get_objects() if isinstance(o, TransformNode)
             and id(o) not in before and o._parents]
    assert len(nodes) > 20
    stale = [n for n in nodes if any(k != id(r()) for k, r in n._parents.items()
                                     if r() is not None)]
    assert (len(stale) == 0) == (load == "load_figure")
    # and what the loaded figure draws is what the original draws, after a dpi change
    if load == "load_figure":
        chart_save(fig, tmp_path / "a.png")
        chart_save(fig, tmp_path / "a.svg")
        chart_save(new, tmp_path / "b.png")
        chart_save(new, tmp_path / "b.svg")
        assert _svg_tokens((tmp_path / "a.svg").read_bytes())[0] == \
            _svg_tokens((tmp_path / "b.svg").read_bytes())[0]
        assert np.allclose(_svg_tokens((tmp_path / "a.svg").read_bytes())[1],
                           _svg_tokens((tmp_path / "b.svg").read_bytes())[1], atol=1e-3)
