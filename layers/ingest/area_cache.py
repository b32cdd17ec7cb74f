"""Big polygon files kept as read (checked, repaired, in British National Grid) for next time.

Reading the national LSOAs (32 MB of GeoJSON, 34,753 polygons) costs about a second of
GDAL parsing, validity checks and reprojection, and an analyst counts into the same file
run after run.  So :func:`cached_read` keeps what :func:`layers.ingest.areas.read_area_file`
returned for a file of at least :data:`MIN_BYTES` as a pickle in the user's cache folder
(``$HOTMAP_CACHE_DIR``, else platformdirs' user cache folder, under ``areas/``); reading it
back takes some 30 ms and gives the same frame, polygons, rejected rows and messages.

An entry is named by a hash of everything the result depends on: the path as given and
resolved, the file's size, modification time (ns) and inode, the read options, the source
of the readers (``layers/ingest``) and the versions of GDAL, pyogrio, shapely, pyproj,
geopandas and pandas, so an edited file, another option or another hotmap reads the file
again.  One entry is kept per path (writing one removes that path's older entries).
``HOTMAP_NO_CACHE=1`` turns the cache off.  An entry that cannot be read is ignored and
the file read again; a cache folder that cannot be written costs nothing but the time.
The entries hold only what the boundary file holds, in the user's own folder (pickle:
they are as trusted as the user's files).
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from pathlib import Path

__all__ = ["cached_read", "MIN_BYTES", "cache_folder"]

#: Smaller files are read each time (reading them costs less than keeping them).
MIN_BYTES = 4 << 20


def cache_folder() -> Path | None:
    """The folder of the entries, or None when the cache is off."""
    if os.environ.get("HOTMAP_NO_CACHE", "").strip() not in ("", "0"):
        return None
    base = os.environ.get("HOTMAP_CACHE_DIR")
    if not base:
        from platformdirs import user_cache_dir

        base = user_cache_dir("hotmap")
    return Path(base) / "areas"


@functools.lru_cache(maxsize=1)
def _code_stamp() -> str:
    """The readers' source and the libraries' versions: what a result depends on besides
    the file and the options."""
    import geopandas
    import pandas
    import pyogrio
    import pyproj
    import shapely

    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for f in sorted(here.glob("*.py")) + [here.parent / "result.py"]:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    for v in (pyogrio.__gdal_version_string__, pyogrio.__version__, shapely.__version__,
              shapely.geos_version_string, pyproj.__version__, pyproj.proj_version_str,
              geopandas.__version__, pandas.__version__):
        h.update(str(v).encode() + b"\0")
    return h.hexdigest()


def _names(p: Path, options) -> tuple[str, str] | None:
    try:
        st = p.stat()
        real = str(p.resolve())
    except OSError:
        return None
    if st.st_size < MIN_BYTES:
        return None
    where = hashlib.sha256(f"{p}\0{real}".encode()).hexdigest()[:24]
    what = hashlib.sha256(repr((st.st_size, st.st_mtime_ns, st.st_ino, options,
                                _code_stamp())).encode()).hexdigest()[:24]
    return where, what


def cached_read(p: Path, options: tuple, read):
    """``read()`` for the file ``p`` read with ``options``, from the cache when it holds
    this file as it is now (see the module docstring)."""
    folder = cache_folder()
    names = None if folder is None else _names(p, options)
    if names is None:
        return read()
    entry = folder / f"{names[0]}-{names[1]}.pkl"
    try:
        with open(entry, "rb") as fh:
            return pickle.load(fh)
    except FileNotFoundError:
        pass
    except Exception:  # noqa: BLE001 - a damaged or foreign entry: read the file again
        pass
    result = read()
    _store(folder, names, entry, result)
    return result


def _store(folder: Path, names, entry: Path, result) -> None:
    tmp = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, entry)  # readers see the whole entry or none
        for old in folder.glob(f"{names[0]}-*.pkl"):
            if old != entry:
                old.unlink(missing_ok=True)
    except Exception:  # noqa: BLE001 - not kept (a full disk, a read-only folder)
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
