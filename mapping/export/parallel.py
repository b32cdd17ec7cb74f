"""Write independent outputs in worker processes, or one after another with one worker.

:class:`JobRunner` is what the output writers (:func:`mapping.export.outputs.write_outputs`,
:func:`mapping.pipeline.runner.write_layer_files`) use: each output (a map in three formats,
the GeoPackage, a table, the workbook, the HTML map) is a *job*, named by a small
picklable key and run by one function that reads the shared state (the
project's layers, rules, folder).  With more than one worker the jobs run in a
:class:`concurrent.futures.ProcessPoolExecutor`; with one (or where processes
cannot be forked) they run in this process, in the order submitted.  Either
way a job runs the same code on the same data, so the files are the same bytes
(tested in ``tests/mapping/test_parallel_outputs.py``).

Why ``fork``: the state holds every layer of a project (GeoDataFrames of
tens of thousands of cells, surfaces); forked workers inherit it without
pickling, where ``spawn`` would pickle it and re-import the libraries in every
worker (seconds each).  Only the small job keys and their results (file paths,
audit-pack entries) cross between processes.

How many workers: ``HOTMAP_WORKERS`` when set (``1`` = serial), else the CPUs
this process may use, never more than the jobs.  Always one (serial) when
the caller is not the main thread or other Python threads are running, as in
the desktop app, which writes an audit pack on a worker thread: a forked child
inherits only the forking thread, and any lock another thread held at that
moment (the allocator's, logging's, GDAL's, PROJ's) stays held in the child for
ever, so the export hangs.  CPython 3.12 warns about exactly this.
"""

from __future__ import annotations

import os
import threading
import traceback
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Callable

__all__ = ["JobRunner", "fork_is_safe", "output_workers"]

_STATE: Any = None  # the state a worker's jobs read (set in each worker by _init)


def output_workers(n_jobs: int, workers: int | None = None) -> int:
    """How many worker processes to write ``n_jobs`` outputs with (1 means serial).

    Parameters
    ----------
    n_jobs : int
        Jobs to run.
    workers : int, optional
        Asked for; default ``HOTMAP_WORKERS`` or the CPUs this process may use.

    Returns
    -------
    int
        At least 1, at most ``n_jobs``; 1 where processes cannot be forked
        safely (no ``fork`` start method, or this process runs other threads).
    """
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods() or not fork_is_safe():
        return 1
    if workers is None:
        env = os.environ.get("HOTMAP_WORKERS", "").strip()
        if env.isdigit() and int(env) > 0:
            workers = int(env)
        else:
            try:
                workers = len(os.sched_getaffinity(0))
            except AttributeError:  # not Linux
                workers = os.cpu_count() or 1
    return max(1, min(int(workers), int(n_jobs)))


def fork_is_safe() -> bool:
    """Whether forking now cannot leave a child waiting on another thread's lock.

    True only on the main thread with no other Python thread alive (the
    command line); False on the desktop app's worker threads.
    """
    return (threading.current_thread() is threading.main_thread()
            and threading.active_count() == 1)


class _Failed:
    """An exception raised in a worker, carried back whole (its attributes too).

    Exceptions pickle as ``type(*args)``, which loses the ``path`` and ``fix`` of an
    :class:`~layers.common.errors.InputError`; this keeps its ``__dict__`` and the
    worker's traceback text.
    """

    def __init__(self, exc: BaseException):
        self.cls, self.args, self.state = type(exc), exc.args, dict(vars(exc))
        self.trace = "".join(traceback.format_exception(exc))

    def rebuild(self) -> BaseException:
        exc = self.cls.__new__(self.cls)
        exc.args = self.args
        exc.__dict__.update(self.state)
        exc.__notes__ = [f"raised in an output worker process:\n{self.trace}"]
        return exc


def _init(state) -> None:
    global _STATE
    _STATE = state


def _call(fn, job):
    try:
        return fn(_STATE, job)
    except BaseException as exc:  # noqa: BLE001 - carried back and raised in the parent
        return _Failed(exc)


def _unwrap(value):
    if isinstance(value, _Failed):
        raise value.rebuild()
    return value


class JobRunner:
    """Run ``fn(state, job)`` for jobs in worker processes, or serially with one worker.

    Parameters
    ----------
    state : object
        What every job reads; inherited by forked workers, never pickled.
    workers : int
        From :func:`output_workers`; 1 runs each job in this process when it is
        submitted.

    Examples
    --------
    >>> with JobRunner({"n": 2}, workers=1) as run:
    ...     fut = run.submit(lambda st, job: st["n"] * job, 21)
    >>> fut.result()
    42
    """

    def __init__(self, state, workers: int = 1):
        self.state, self.workers = state, max(1, int(workers))
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "JobRunner":
        if self.workers > 1:
            import multiprocessing

            self._pool = ProcessPoolExecutor(self.workers,
                                             mp_context=multiprocessing.get_context("fork"),
                                             initializer=_init, initargs=(self.state,))
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=exc[0] is not None)
            self._pool = None

    def submit(self, fn: Callable, job) -> Future:
        """Start one job; its :class:`~concurrent.futures.Future` gives the result.

        ``fn`` must be a module-level function when there are workers (it is
        pickled by name).  An exception the job raises is raised by
        ``result()``, with its attributes.
        """
        if self._pool is None:
            fut: Future = Future()
            try:
                fut.set_result(fn(self.state, job))
            except Exception as exc:  # noqa: BLE001 - raised again by result()
                fut.set_exception(exc)
            return fut
        inner = self._pool.submit(_call, fn, job)
        outer: Future = Future()

        def relay(f):
            try:
                outer.set_result(_unwrap(f.result()))
            except BaseException as exc:  # noqa: BLE001 - raised again by result()
                outer.set_exception(exc)

        inner.add_done_callback(relay)
        return outer
