"""Write the charts of ``hotmap run`` in a second process while the analyses go on.

The analyses of a project run one after another on one core; saving each chart they
draw (a 200 dpi PNG and an SVG, 0.1-0.4 s each) is a third of that time on the demo.
:class:`ChartWriter` hands each finished figure to one forked process that saves it
while the next analysis computes.  The figure crosses as a pickle in a file (the pipe
carries only its name, so sending never waits on the writer), and the writer calls the
same :func:`mapping.render.charts.chart_save`: the PNGs are the same bytes as when
saved in this process, the SVGs the same elements and text (once in a long test session
a glyph sat a rounding step, 1e-6 pt, away; ``tests/mapping/test_chart_writer.py``).  :meth:`ChartWriter.close`
waits for every chart and re-raises the first error.

Only where forking is safe (:func:`mapping.export.parallel.fork_is_safe`: the command
line, not the desktop app's worker threads) and more than one worker is allowed
(``HOTMAP_WORKERS``); elsewhere :func:`chart_writer` gives None and the analyses save
their charts themselves.  It starts no thread, so the output writers can still fork.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import traceback
from contextlib import contextmanager

from mapping.export.parallel import fork_is_safe, output_workers

__all__ = ["ChartWriter", "chart_writer", "load_figure"]


def _serve(conn) -> None:
    """The writer's loop: save each figure named on the pipe; at None, send the errors."""
    from mapping.render.charts import chart_save

    errors = []
    while True:
        msg = conn.recv()
        if msg is None:
            break
        blob, paths = msg
        try:
            fig = load_figure(blob)
            for p in paths:
                chart_save(fig, p)
        except Exception as exc:  # noqa: BLE001 - sent back and raised in the parent
            try:
                pickle.dumps(exc)
                errors.append(exc)
            except Exception:  # noqa: BLE001
                errors.append(RuntimeError(traceback.format_exc()))
        finally:
            os.unlink(blob)
    conn.send(errors)
    conn.close()


def _rekeyed_setstate(node, state) -> None:
    """``TransformNode.__setstate__`` keying each parent by the parent's own ``id``.

    matplotlib 3.11's keeps the keys of the pickling process (``id()`` there), so in
    the process that unpickles, a transform made later whose ``id`` equals a stale key
    replaces that parent's entry: the parent (a tick label's offset, say) is then no
    longer told when the figure's dpi changes, and an SVG saved after a 200 dpi PNG
    placed the y tick labels 12 pt too far left (seen in the chart writer, at random,
    as addresses came out).  Its weakref callbacks also pop from the discarded dict.
    """
    import weakref

    node.__dict__ = state
    parents = {}
    for parent in state["_parents"].values():
        if parent is not None:
            parents[id(parent)] = weakref.ref(
                parent, lambda _, pop=parents.pop, k=id(parent): pop(k, None))
    node._parents = parents


def load_figure(path):
    """Unpickle a figure saved by :meth:`ChartWriter.save`, its transforms linked up
    as in the figure pickled (see :func:`_rekeyed_setstate`; parity with saving in
    place: ``tests/mapping/test_chart_writer.py``)."""
    from matplotlib.transforms import TransformNode

    original = TransformNode.__dict__["__setstate__"]
    TransformNode.__setstate__ = _rekeyed_setstate  # this process is single-threaded
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    finally:
        TransformNode.__setstate__ = original


class ChartWriter:
    """One forked process saving charts; :meth:`save` returns at once."""

    def __init__(self):
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self._tmp = tempfile.mkdtemp(prefix="hotmap-chart-writer-")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child,), daemon=True)
        self._proc.start()
        child.close()
        self._n = 0
        self._closed = False

    def save(self, fig, paths) -> bool:
        """Queue ``fig`` to be saved at each of ``paths`` (by suffix).

        False, with nothing queued, for a figure that cannot be pickled (a lambda
        formatter, say): the caller saves it itself."""
        try:
            data = pickle.dumps(fig, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, AttributeError, TypeError):
            return False
        blob = os.path.join(self._tmp, f"{self._n}.pickle")
        self._n += 1
        with open(blob, "wb") as fh:
            fh.write(data)
        self._conn.send((blob, [str(p) for p in paths]))
        return True

    def close(self) -> None:
        """Wait until every chart is written; raise the first error the writer met.

        A second call does nothing (``hotmap run`` closes the writer once the analyses'
        tables have passed the disclosure audit, before the block that opened it ends)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._conn.send(None)
            errors = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise RuntimeError("the chart writer process stopped before saving every "
                               "chart") from exc
        finally:
            self._conn.close()
            self._proc.join()
            shutil.rmtree(self._tmp, ignore_errors=True)
        if errors:
            raise errors[0]

    def abandon(self) -> None:
        """Stop without waiting (a run that failed or was cancelled writes nothing)."""
        if self._closed:
            return
        self._closed = True
        self._conn.close()
        self._proc.terminate()
        self._proc.join()
        shutil.rmtree(self._tmp, ignore_errors=True)


@contextmanager
def chart_writer(enabled: bool = True):
    """A :class:`ChartWriter` for the block, closed (waited for) at its end; None where
    forking is unsafe or only one worker is allowed."""
    if not enabled or not fork_is_safe() or output_workers(2) < 2:
        yield None
        return
    writer = ChartWriter()
    try:
        yield writer
    except BaseException:
        writer.abandon()
        raise
    writer.close()
