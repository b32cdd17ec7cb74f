"""A project's sources loaded in order, the boundary files read beside the records.

:func:`load_in_order` is the loop of :meth:`layers.workspace.Workspace.load`.  A
boundary file (the national LSOAs: 32 MB of GeoJSON) costs about a second to read,
repair and reproject, and most of that is GDAL's parsing and PROJ's reprojection,
which release the GIL; the records do not need the areas (unless one takes its study
area from a boundary layer), so the boundary sources are read on one worker thread
while the main thread reads the records.  Nothing else changes: the sources are handed
back in their order, each with the layer and result it would have had, and the error
raised is the one of the first failing source in that order (the sources before it
are handed back first, as a load one after another leaves them loaded).
"""

from __future__ import annotations

import threading

from layers.project import BoundarySource, RecordSource

__all__ = ["load_in_order"]

_CANCELLED = object()


def _read_ahead(sources) -> list[int]:
    """Positions of the boundary sources to read on the worker thread (none when no
    record source follows, or when one takes its study area from a boundary layer,
    which must then be loaded before it)."""
    records = [s for s in sources if isinstance(s, RecordSource)]
    if not records or any(isinstance(s.options.get("study_area"), str) for s in records):
        return []
    return [i for i, s in enumerate(sources) if isinstance(s, BoundarySource)]


def load_in_order(sources, load, *, cancelled=None, started=None):
    """Load ``sources`` with ``load(src)``; yield ``(src, layer, result)`` in their order.

    ``started(i, src)`` is called (on the calling thread, in order) as each source's load
    begins (a boundary source read ahead: as the records' turn passes it);
    ``cancelled()`` is asked before each source, and a cancelled load yields ``None``
    after the sources loaded before it, then stops.

    Raises
    ------
    Exception
        The error of the first source in order that failed, after yielding the
        sources before it.
    """
    ahead = _read_ahead(sources)
    if not ahead:
        for i, src in enumerate(sources):
            if cancelled and cancelled():
                yield None
                return
            if started:
                started(i, src)
            yield (src, *load(src))
        return
    got: dict = {}  # position -> (layer, result), or the exception it raised

    def read_boundaries():
        for i in ahead:
            if cancelled and cancelled():
                return
            try:
                got[i] = load(sources[i])
            except BaseException as exc:  # noqa: BLE001 - raised in order on the caller
                got[i] = exc
                return

    worker = threading.Thread(target=read_boundaries, name="hotmap-boundaries", daemon=True)
    worker.start()
    try:
        for i, src in enumerate(sources):
            if i in ahead:  # being read on the worker thread
                if started:
                    started(i, src)
                continue
            if cancelled and cancelled() or any(j < i and isinstance(got.get(j), BaseException)
                                                for j in ahead):
                break  # or a boundary before this source failed: its error is raised
            if started:
                started(i, src)
            try:
                got[i] = load(src)
            except BaseException as exc:  # noqa: BLE001 - raised in order below
                got[i] = exc
                break
    finally:
        worker.join()
    for i, src in enumerate(sources):
        if i not in got:  # cancelled before it
            yield None
            return
        if isinstance(got[i], BaseException):
            raise got[i]
        yield (src, *got[i])
