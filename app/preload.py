"""Load the project named on the command line while the window is still being built.

``hotmap gui PROJECT`` spends its first second importing Qt and building the
window, and the project's layers then take as long again to read (GDAL parses
a national GeoJSON in about a second, and releases the GIL while it does).
:func:`start` begins that load on a plain thread before the window's modules
are imported; :meth:`app.document.DocumentController.open_project` then takes
the result with :func:`take` instead of loading the same files a second time,
so the two overlap.  Only a project whose data files are all where it says is
preloaded: one with moved files goes the usual way, which asks where they are.
"""

from __future__ import annotations

import threading
from pathlib import Path

__all__ = ["start", "take", "Preload"]

_PENDING: "Preload | None" = None


class Preload:
    """A project being loaded on a thread: :meth:`wait` gives its Workspace or raises."""

    def __init__(self, path):
        self.path = Path(path).resolve()
        self.done = threading.Event()
        self.ws = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="hotmap-preload", daemon=True)

    def _run(self) -> None:
        import gc

        # Start-up makes long-lived objects by the hundred thousand (the modules being
        # imported on both threads, the layer's geometries) and next to no garbage: the
        # collector's passes over the growing heap would find nothing to free.
        paused = gc.isenabled()
        gc.disable()
        try:
            from layers.project import open_project

            project = open_project(self.path)
            if any(not Path(p).exists() for src in [*project.boundaries, *project.records,
                                                    *project.tables] for p in src.paths):
                return  # moved files: the usual open asks where they are
            from app.project_io import load_workspace

            project._relocated = False
            self.ws = load_workspace(project)
        except BaseException as exc:  # noqa: BLE001 - raised again by wait(), on a worker
            self.error = exc
        finally:
            if paused:
                gc.enable()
            self.done.set()

    def wait(self, *, progress=None, cancelled=None):
        """The loaded Workspace (None when the project was not preloaded); worker thread."""
        from mapping.pipeline.runner import Cancelled

        while not self.done.wait(0.05):
            if cancelled is not None and cancelled():
                raise Cancelled("cancelled while loading")
        if self.error is not None:
            raise self.error
        return self.ws


def start(path) -> Preload | None:
    """Start loading ``path`` (a project file) on a thread; None if it is not a file."""
    global _PENDING
    if not path or not Path(path).is_file():
        return None
    _PENDING = Preload(path)
    _PENDING.thread.start()
    return _PENDING


def take(path) -> Preload | None:
    """The preload of ``path`` if one was started (once: a second open loads afresh)."""
    global _PENDING
    pre = _PENDING
    if pre is None or pre.path != Path(path).resolve():
        return None
    _PENDING = None
    return pre
