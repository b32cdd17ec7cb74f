"""Crash-safe file writing: temporary file in the same folder, fsync, rename."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import re
import socket
import tempfile
import time
from pathlib import Path

from layers.common.errors import InputError

__all__ = ["atomic_write_path", "atomic_write_text", "atomic_write_bytes",
           "remove_stale_temps"]

#: A temporary file left by a process of another machine (a shared drive) is only
#: removed after this long; one of this machine's is removed once its process is gone.
OTHER_HOST_STALE_S = 24 * 3600
_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]


def _temp_prefix(path: Path) -> str:
    # short temp name: a legal 250-byte target name must not make the temp name illegal
    return f".{path.stem[:40]}."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_temps(path: str | Path) -> list[Path]:
    """Remove temporary files that killed writers of ``path`` left beside it.

    A write interrupted by a crash or a kill leaves its hidden temporary file
    (``.<name>.<host>-<pid>.<random><suffix>.tmp``, plus any sidecar a writer such
    as GDAL added to it).  Such a file is removed when the process named in it ran
    on this machine and has ended, or, for another machine on a shared drive, when
    it is older than a day.  Files of live writers are never touched.

    Returns
    -------
    list of Path
        The files removed.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    prefix = _temp_prefix(path)
    tag = re.compile(r"([0-9a-f]{6})-(\d+)\.")
    old = re.compile(r"[A-Za-z0-9_]{8}" + re.escape(path.suffix[:16]) + r"\.tmp.*")
    removed = []
    now = time.time()
    for name in glob.glob(glob.escape(str(folder / prefix)) + "*" + path.suffix[:16] + ".tmp*"):
        p = Path(name)
        rest = p.name[len(prefix):]
        m = tag.match(rest)
        if m is None and not old.fullmatch(rest):
            continue  # another file's name that happens to share the prefix
        try:
            age = now - p.stat().st_mtime
        except OSError:
            continue
        if m is None:
            stale = age > 3600  # written by an older hotmap, without a host and pid
        elif m.group(1) == _HOST:
            stale = not _alive(int(m.group(2)))
        else:
            stale = age > OTHER_HOST_STALE_S
        if stale:
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p)
    return removed


@contextlib.contextmanager
def atomic_write_path(path: str | Path):
    """Yield a temporary path beside ``path``; on success, move it into place.

    The caller writes the whole file to the yielded path (any writer that takes
    a filename works: pandas, pyogrio, rasterio, matplotlib).  On success the
    file is fsync'ed and renamed over ``path`` in one step, so readers see
    either the old file or the complete new one.  On error the temporary file
    is removed and ``path`` is untouched.  Temporary files that earlier, killed
    writers of ``path`` left behind are removed first (:func:`remove_stale_temps`).

    Raises
    ------
    InputError
        If the folder does not exist or is not writable.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.exists():
        raise InputError(f"folder {folder} does not exist", path=path,
                         fix="create the folder or choose another output path")
    remove_stale_temps(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{_temp_prefix(path)}{_HOST}-{os.getpid()}.",
                                   suffix=path.suffix[:16] + ".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write to folder {folder} ({exc.strerror})", path=path,
                         fix="choose a writable output folder") from exc
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL want to create the file themselves
    tmp = Path(tmp)
    try:
        yield tmp
        if not tmp.exists():
            raise InputError("the writer produced no file", path=path)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        with contextlib.suppress(OSError):
            dfd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    except OSError as exc:
        raise InputError(f"could not write the file ({exc.strerror})", path=path,
                         fix="check the disk has space and the folder is writable") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_write_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically and return the path."""
    return atomic_write_bytes(path, text.encode(encoding))
