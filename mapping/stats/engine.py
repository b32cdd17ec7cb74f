"""Where the loops over records of ``count``, ``kde`` and grid Gi* run: this process
(the default engine) or a dask.distributed cluster (``--engine dask``).

The records are cut into **partitions** of consecutive rows (file order: a run of
monthly files, or part of a big one) of at most :data:`PARTITION` records.  Each
partition is placed in its areas (``count``), binned on the density grid (``kde``)
or counted per grid cell (grid Gi*) on its own, and the partial results are put
together in partition order: the areas of the points, integer sums of counts, and
float sums of bins added in the same order by both engines, so the two give
identical counts and identical surfaces.  The default engine runs the partitions
one after another here; the dask engine sends them to the cluster's workers (the
areas or grid once to every worker).  Loading and the convolution stay in this
process.

When to use it: national or multi-year layers (tens of millions of records), on a
machine with several cores or with a cluster; a city's year of records is faster
on the default engine (starting workers and sending them the areas costs seconds).

Select it with ``--engine dask`` (a :class:`distributed.LocalCluster` with one
worker process per core) and ``--scheduler tcp://host:8786`` for an existing
cluster, or in a project file::

    [compute]
    engine = "dask"
    scheduler = "tcp://10.0.0.5:8786"   # optional
    workers = 4                         # optional: LocalCluster workers

It needs the optional dependencies ``pip install 'hotmap[dask]'``.
"""

from __future__ import annotations

import contextlib
import contextvars
import os

import numpy as np

from layers.common.errors import InputError

__all__ = ["ENGINES", "PARTITION", "Engine", "use_engine", "current", "partition_bounds",
           "engine_for"]

ENGINES = ("default", "dask")
#: Records per partition.
PARTITION = 1_000_000

_CURRENT: contextvars.ContextVar = contextvars.ContextVar("hotmap_engine", default=None)


def partition_bounds(n: int, size: int | None = None) -> list[tuple[int, int]]:
    """``(start, stop)`` of each partition of ``n`` consecutive records."""
    size = int(size or PARTITION)
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)] or [(0, 0)]


class Engine:
    """The default engine: partitions one after another in this process."""

    name = "default"
    workers = 1

    def map(self, fn, shared, parts):
        """``fn(shared, part)`` for each of ``parts`` (an iterable, made one at a time here,
        so only one partition's arrays exist at once), in order."""
        return (fn(shared, p) for p in parts)

    def describe(self) -> str:
        return "default engine (this process)"


class DaskEngine(Engine):
    """Partitions run on a dask.distributed cluster's workers."""

    name = "dask"

    def __init__(self, client, owned=None):
        self.client = client
        self._owned = owned  # the LocalCluster we started, closed with the engine
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))

    def map(self, fn, shared, parts):
        parts = list(parts)
        if len(parts) <= 1:
            return [fn(shared, p) for p in parts]
        shared_f = self.client.scatter(shared, broadcast=True)
        parts_f = self.client.scatter(parts)  # the data go to workers, not into the graph
        futures = [self.client.submit(fn, shared_f, p, pure=False) for p in parts_f]
        return self.client.gather(futures)

    def describe(self) -> str:
        return f"dask engine, {self.workers} worker(s) at {self.client.scheduler.address}"

    def close(self):
        if self._owned is not None:
            self.client.close()
            self._owned.close()


def _dask():
    try:
        import dask  # noqa: F401
        import distributed
    except ImportError:
        raise InputError("the dask engine needs the packages dask and distributed, which are "
                         "not installed",
                         fix="pip install 'hotmap[dask]' (or: pip install 'dask[distributed]'), "
                             "or leave the engine at default") from None
    return distributed


def dask_engine(scheduler: str | None = None, workers: int | None = None) -> DaskEngine:
    """A dask engine on the cluster at ``scheduler``, or on a new LocalCluster."""
    distributed = _dask()
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the dask scheduler at {scheduler} ({exc})",
                             fix="check the address (tcp://host:8786) and that "
                                 "'dask scheduler' runs there, or leave the scheduler "
                                 "blank for a cluster on this machine") from None
        return DaskEngine(client)
    n = int(workers or os.cpu_count() or 1)
    cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=50)
    return DaskEngine(distributed.Client(cluster), owned=cluster)


def current() -> Engine:
    """The engine the loops run on (the default one unless :func:`use_engine` set one)."""
    return _CURRENT.get() or Engine()


@contextlib.contextmanager
def use_engine(engine: Engine):
    """Run the enclosed analysis on ``engine``."""
    token = _CURRENT.set(engine)
    try:
        yield engine
    finally:
        _CURRENT.reset(token)


def _setting(ctx, key):
    project = getattr(ctx, "project", None)
    compute = getattr(project, "compute", None) or {}
    return compute.get(key)


@contextlib.contextmanager
def engine_for(ctx, engine: str | None, scheduler: str | None):
    """The engine an analysis asked for (its parameter, else the project's ``[compute]``
    table, else the default), set as :func:`current` for the enclosed block."""
    from layers.common.errors import term

    name = engine or _setting(ctx, "engine") or "default"
    if name not in ENGINES:
        raise InputError(f"unknown engine {name!r}", fix=f"{term('engine')} is one of: "
                                                           f"{', '.join(ENGINES)}")
    address = scheduler or _setting(ctx, "scheduler")
    if name == "default":
        if scheduler:
            raise InputError(f"{term('scheduler')} is for the dask engine",
                             fix=f"add {term('engine')} dask, or leave the scheduler out")
        yield Engine()
        return
    eng = dask_engine(address, _setting(ctx, "workers"))
    try:
        with use_engine(eng):
            yield eng
    finally:
        eng.close()


def partition_sum(fn, shared, xy: np.ndarray, *extra) -> np.ndarray:
    """``fn(shared, (xy[a:b], *[e[a:b] ...]))`` summed over the partitions, in order."""
    parts = ((xy[a:b], *[e[a:b] for e in extra]) for a, b in partition_bounds(len(xy)))
    out = None
    for r in current().map(fn, shared, parts):
        out = r if out is None else out + r
    return out
