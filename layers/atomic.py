"""Crash-safe file writing: temporary file in the same folder, fsync, rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from layers.errors import InputError

__all__ = ["atomic_write_path", "atomic_write_text", "atomic_write_bytes"]


@contextlib.contextmanager
def atomic_write_path(path: str | Path):
    """Yield a temporary path beside ``path``; on success, move it into place.

    The caller writes the whole file to the yielded path (any writer that takes
    a filename works: pandas, pyogrio, rasterio, matplotlib).  On success the
    file is fsync'ed and renamed over ``path`` in one step, so readers see
    either the old file or the complete new one.  On error the temporary file
    is removed and ``path`` is untouched.

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
    try:
        # short temp name: a legal 250-byte target name must not make the temp name illegal
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem[:40]}.",
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
