"""The one helper for slow work: a runnable plus a ``QObject`` of signals, on a thread pool.

Core functions report progress through a plain ``progress(fraction, text)``
callback and check a ``cancelled()`` callable between steps; they never see
Qt.  :class:`Worker` gives them both, runs them on the thread pool and relays
the outcome to the GUI thread through the signals of :class:`WorkerSignals`
(queued connections, so slots always run on the GUI thread).

The design is superqt's ``WorkerBase`` (a runnable plus a ``QObject`` of
signals), but the pool is a persistent Python ``ThreadPoolExecutor`` rather
than ``QThreadPool``: Qt pool threads get a fresh Python thread state for
every run, so per-thread state of C extensions (pyproj's PROJ context) is
freed between runs while objects created in it live on, and the next
``CRS()`` on that thread segfaults (reproduced loading a project twice).
Python pool threads keep their thread state for their whole life.

:func:`start_worker` puts the work on the pool when the event loop next runs
(``QTimer.singleShot(0)``), so the slots its caller connects straight after
the call always hear the outcome, even of a job that fails at once;
:meth:`Worker.wait` starts a job that is still waiting for that.

Examples
--------
>>> worker = start_worker(run_step, ws, step, controls=True)   # doctest: +SKIP
>>> worker.signals.returned.connect(on_result)                  # doctest: +SKIP
"""

from __future__ import annotations

import threading
import traceback
from typing import Callable

from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, Signal

from app.errors import report_exception

__all__ = ["Worker", "WorkerSignals", "WorkerInterrupted", "start_worker", "active_workers", "wait_for_workers", "pool"]

_ACTIVE: set["Worker"] = set()
_POOL: ThreadPoolExecutor | None = None


def pool() -> ThreadPoolExecutor:
    """The worker pool (created on first use; threads live as long as the app)."""
    global _POOL
    if _POOL is None:
        import os

        _POOL = ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2)),
                                   thread_name_prefix="hotmap-worker")
    return _POOL


class WorkerInterrupted(BaseException):
    """Raised inside a worker thread by :meth:`Worker.cancel` (``hard=True``)."""


class WorkerSignals(QObject):
    """Signals a worker emits; created on (and delivered to) the GUI thread."""

    started = Signal()
    yielded = Signal(object)  # intermediate results (``emit=`` callback of the work)
    progress = Signal(float, str)
    returned = Signal(object)
    errored = Signal(object)  # the exception; its ``__traceback_text__`` holds the traceback
    cancelled = Signal()
    finished = Signal()


class Worker:
    """Run ``fn(*args, **kwargs)`` on the thread pool.

    Parameters
    ----------
    fn : callable
        The work.  With ``controls=True`` it also receives ``progress=`` and
        ``cancelled=`` keyword arguments.
    controls : bool
        Pass the progress callback and cancel flag to ``fn``.
    """

    def __init__(self, fn: Callable, *args, controls: bool = False, yields: bool = False,
                 **kwargs):
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.controls = controls
        self.yields = yields
        self.signals = WorkerSignals()
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._thread_id: int | None = None
        self._in_fn = False
        self._done = threading.Event()
        self._pending = False  # made, not yet on the pool (see start_worker)
        self.result = None
        self.error: BaseException | None = None

    def _submit(self) -> None:
        """Put the work on the pool (once)."""
        with self._lock:
            if not self._pending:
                return
            self._pending = False
        pool().submit(self.run)

    # --------------------------------------------------------------- control
    def cancel(self, hard: bool = True) -> None:
        """Stop the work; whatever it was making is discarded.

        The cancel flag is set (cooperative code checks ``cancelled()``); with
        ``hard=True`` a :class:`WorkerInterrupted` is also raised inside the
        worker thread at its next Python bytecode, so code that never checks
        the flag stops too.  Core functions do not mutate shared state, so
        nothing half-made survives: the result is simply never delivered.
        """
        self._cancel.set()
        if not hard:
            return
        import ctypes

        with self._lock:
            if self._in_fn and self._thread_id is not None:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(self._thread_id), ctypes.py_object(WorkerInterrupted))

    def is_cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancel.is_set()

    @property
    def done(self) -> bool:
        """True when the work has finished (returned, failed or cancelled)."""
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work finishes (for tests and shutdown)."""
        self._submit()  # not started yet (no event loop ran since start_worker): start now
        return self._done.wait(timeout)

    def _emit(self, value) -> None:
        if not self.is_cancelled():
            self.signals.yielded.emit(value)

    def _progress(self, fraction: float, text: str = "") -> None:
        try:
            self.signals.progress.emit(float(fraction), str(text))
        except RuntimeError:  # signals object already deleted at shutdown
            pass

    # ------------------------------------------------------------------- run
    def run(self) -> None:
        """Run on a pool thread."""
        sig = self.signals
        outcome: tuple = ("cancelled",)
        try:
            sig.started.emit()
            kwargs = dict(self.kwargs)
            if self.controls:
                kwargs.update(progress=self._progress, cancelled=self.is_cancelled)
            if self.yields:
                kwargs.update(emit=self._emit)
            with self._lock:
                self._thread_id = threading.get_ident()
                self._in_fn = not self.is_cancelled()
            if not self._in_fn:
                raise WorkerInterrupted()
            try:
                result = self.fn(*self.args, **kwargs)
            finally:
                with self._lock:
                    self._in_fn = False
            if not self.is_cancelled():
                self.result = result
                outcome = ("returned", result)
        except BaseException as exc:  # noqa: BLE001 - relayed to the GUI
            exc.__traceback_text__ = traceback.format_exc()
            self.error = exc
            if not self.is_cancelled():
                outcome = ("errored", exc)
        finally:
            # done is set before the outcome is announced, so slots see a finished worker
            self._done.set()
            try:
                getattr(sig, outcome[0]).emit(*outcome[1:])
                sig.finished.emit()
            except RuntimeError:  # the signals object was deleted at shutdown
                pass


def _forget(worker: Worker) -> None:
    _ACTIVE.discard(worker)
    worker.fn = worker.args = worker.kwargs = None  # release the inputs


def start_worker(fn: Callable, *args, controls: bool = False, report_errors: bool = True,
                 yields: bool = False, **kwargs) -> Worker:
    """Create a :class:`Worker` for ``fn``, start it on the pool and return it.

    Parameters
    ----------
    fn : callable
        The work; see :class:`Worker`.
    controls : bool
        Pass ``progress=`` and ``cancelled=`` to ``fn``.
    yields : bool
        Pass ``emit=``: each ``emit(value)`` reaches the GUI thread as ``yielded``.
    report_errors : bool
        Route ``errored`` to :func:`app.errors.report_exception` (the default),
        so worker failures reach the user as a dialog like any other error.
    """
    worker = Worker(fn, *args, controls=controls, yields=yields, **kwargs)
    if report_errors:
        worker.signals.errored.connect(report_exception)
    worker.signals.finished.connect(lambda w=worker: _forget(w))
    _ACTIVE.add(worker)
    # The work goes on the pool when the event loop next runs, so the slots the caller
    # connects right after this call are in place before anything can be emitted: a job
    # that fails at once (bad parameters) would otherwise announce it to no one.
    from PySide6.QtCore import QTimer

    worker._pending = True
    QTimer.singleShot(0, worker._submit)
    return worker


def active_workers() -> list[Worker]:
    """Workers started and not yet finished."""
    return [w for w in _ACTIVE if not w.done]


def wait_for_workers(timeout: float = 10.0, cancel: bool = True) -> bool:
    """Cancel (optionally) and wait for every running worker; True if all stopped."""
    ok = True
    for w in list(_ACTIVE):
        if cancel:
            w.cancel()
        ok = w.wait(timeout) and ok
    return ok
