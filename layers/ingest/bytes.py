"""A text file's bytes, read once, and the damage they can show (a tail of zero bytes).

Used by :mod:`layers.ingest.csv` and :func:`layers.ingest.readers.sniff_format`.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from layers.common.errors import InputError

__all__ = ["check_nul_tail", "FileBytes"]

_BLOCK = 1 << 16


def check_nul_tail(p: Path) -> None:
    """Refuse a text file that ends in zero bytes (NUL), without reading all of it.

    A download or copy that stopped early, or a sparse file, leaves the rest of
    the file as NUL bytes; parsed as text they are one enormous field.

    Raises
    ------
    InputError
        Naming where the data ends and how many zero bytes follow.
    """
    size = p.stat().st_size
    if size == 0:
        return
    with open(p, "rb") as fh:
        fh.seek(max(0, size - 4096))
        tail = fh.read()
        if b"\x00" not in tail:
            if size <= 64 * _BLOCK:  # small enough to look everywhere
                fh.seek(0)
                pos = fh.read().find(b"\x00")
                if pos < 0:
                    return
                raise InputError(f"the file contains zero bytes (NUL) from byte {pos:,}, which "
                                 "a text file never does (a damaged copy?)", path=p,
                                 fix="copy or download the file again, or export it again")
            return
        start = _nul_run_start(fh, size)
    raise InputError(f"the file ends in {size - start:,} zero bytes (NUL) after byte {start:,}: "
                     "an incomplete copy or download, or a damaged disk", path=p,
                     fix="copy or download the file again" +
                         (f"; or keep only its first {start:,} bytes" if start else ""))


def _nul_run_start(fh, size) -> int:
    """Offset where the trailing run of NUL bytes starts (binary search on blocks)."""
    fd = fh.fileno()
    hole = size
    try:  # sparse files: the kernel knows where the data stops
        hole = os.lseek(fd, 0, getattr(os, "SEEK_HOLE", 4))
        while hole < size:
            nxt = os.lseek(fd, hole, getattr(os, "SEEK_DATA", 3))
            if nxt >= size:
                break
            hole = os.lseek(fd, nxt, getattr(os, "SEEK_HOLE", 4))
    except (OSError, AttributeError):
        hole = size
    lo, hi = 0, min(hole, size)  # data before lo; only NUL from hi on

    def all_nul(at):
        fh.seek(at)
        blk = fh.read(min(_BLOCK, size - at))
        return not blk.strip(b"\x00")

    while hi - lo > _BLOCK:
        mid = (lo + hi) // 2
        if all_nul(mid):
            hi = mid
        else:
            lo = mid
    fh.seek(lo)
    blk = fh.read(hi - lo)
    return lo + len(blk.rstrip(b"\x00"))


class FileBytes:
    """A file's bytes, read once.

    Files up to :attr:`REUSE` bytes are read into a buffer kept per thread and reused
    (a new buffer for every monthly file costs the kernel fresh pages each time); bigger
    ones are memory-mapped.  pyarrow copies what it parses, so the buffer can be reused.
    """

    REUSE = 256 << 20
    #: A buffer bigger than this is not kept for the next file (memory is not held).
    KEEP = 32 << 20
    _local = threading.local()

    def __init__(self, data, n, mm=None):
        self.data, self.n, self.mm = data, n, mm

    @classmethod
    def open(cls, p: Path, size: int):
        if size <= cls.REUSE:
            buf = getattr(cls._local, "buf", None)
            if buf is None or len(buf) < size:
                buf = cls._local.buf = bytearray(max(size, 4 << 20) if size <= cls.KEEP
                                                 else size)
            with open(p, "rb", buffering=0) as fh:
                n, view = 0, memoryview(buf)
                while n < size:
                    k = fh.readinto(view[n:size])
                    if not k:
                        break
                    n += k
            return cls(buf, n)
        import mmap

        with open(p, "rb") as fh:
            try:
                mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):  # a pipe, a special file: read it in pieces
                return None
        return cls(mm, len(mm), mm)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, s: slice) -> bytes:
        start, stop, _ = s.indices(self.n)
        return bytes(self.data[start:stop])

    def find(self, sub: bytes) -> int:
        return self.data.find(sub, 0, self.n)

    def count_lines(self) -> int:
        if isinstance(self.data, bytearray):
            return self.data.count(b"\n", 0, self.n)
        step = 1 << 20
        return sum(self.data[i:i + step].count(b"\n") for i in range(0, self.n, step))

    def buffer(self):
        import pyarrow as pa

        return pa.py_buffer(memoryview(self.data)[:self.n])

    def close(self):
        if self.mm is None and len(self.data) > self.KEEP:
            self._local.buf = None
        if self.mm is not None:
            try:
                self.mm.close()
            except BufferError:  # a view is still alive: the mapping goes with it
                pass
