"""Shapefile parts that disagree: a ``.dbf`` or ``.shp`` cut short, a short ``.shx``.

GDAL reads the shorter part without a word (a ``.dbf`` cut after 9 of 20 records
gives 9 areas).  The record counts in the three files' headers and sizes are
compared instead, so the records a damaged file should hold are reported.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import numpy as np

from layers.common.errors import InputError

__all__ = ["shapefile_counts", "check_shapefile", "explain_shapefile"]


def _shp_parts(p: Path, kind: str, layer=None) -> dict[str, bytes | int]:
    """Header bytes and sizes of the .shp/.shx/.dbf of a Shapefile (loose or zipped)."""
    out = {}
    if kind == "shp":
        for ext in (".shp", ".shx", ".dbf"):
            f = next((q for q in (p.with_suffix(ext), p.with_suffix(ext.upper())) if q.exists()),
                     None)
            if f is None:
                continue
            size = f.stat().st_size
            with open(f, "rb") as fh:
                head = fh.read(32)
                out[ext] = (head, size, f)
        return out
    try:
        with zipfile.ZipFile(p) as zf:
            shps = [i for i in zf.infolist() if i.filename.lower().endswith(".shp")]
            if layer is not None:
                shps = [i for i in shps if Path(i.filename).stem == str(layer)] or shps
            if not shps:
                return out
            stem = shps[0].filename[:-4]
            for info in zf.infolist():
                if info.filename[:-4] == stem and info.filename[-4:].lower() in (".shp", ".shx",
                                                                                  ".dbf"):
                    with zf.open(info) as fh:
                        out[info.filename[-4:].lower()] = (fh.read(32), info.file_size, info)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError):
        return {}
    return out


def _shp_records(p: Path, kind: str, info) -> int:
    """Complete records in a .shp, walking the record headers (8 bytes each)."""
    def walk(fh, size):
        pos, n = 100, 0
        fh.seek(100)
        while pos + 8 <= size:
            hdr = fh.read(8)
            if len(hdr) < 8:
                break
            length = struct.unpack(">i", hdr[4:8])[0] * 2
            if length < 0 or pos + 8 + length > size:
                break
            pos += 8 + length
            n += 1
            fh.seek(pos)
        return n

    if kind == "shp":
        with open(info, "rb") as fh:
            return walk(fh, Path(info).stat().st_size)
    with zipfile.ZipFile(p) as zf:
        data = zf.read(info)  # the zipped .shp; its size is checked against the archive
        return walk(io.BytesIO(data), len(data))


def shapefile_counts(path, kind="shp", layer=None) -> dict:
    """Records each part of a Shapefile holds: ``shp`` (complete shape records),
    ``shx`` (index entries), ``dbf`` (complete attribute rows) and ``dbf_header``
    (the count the ``.dbf`` header declares).  Parts that are absent are left out.
    """
    p = Path(path)
    parts = _shp_parts(p, kind, layer)
    out = {}
    if ".shx" in parts:
        _, size, _ = parts[".shx"]
        out["shx"] = max(0, (size - 100) // 8)
    if ".dbf" in parts:
        head, size, _ = parts[".dbf"]
        if len(head) >= 12:
            n, hlen, rlen = struct.unpack("<IHH", head[4:12])
            out["dbf_header"] = int(n)
            out["dbf"] = int(max(0, (size - hlen) // rlen)) if rlen > 0 else 0
            out["dbf"] = min(out["dbf"], int(n))
    if ".shp" in parts and len(parts[".shp"][0]) >= 4 and \
            parts[".shp"][0][:4] == b"\x00\x00\x27\x0a":
        try:
            out["shp"] = _shp_records(p, kind, parts[".shp"][2])
        except (OSError, zipfile.BadZipFile, EOFError, struct.error):
            pass
    return out


def check_shapefile(p: Path, kind: str, layer, n_read: int, geoms_missing):
    """Compare the parts' record counts with what GDAL read.

    Returns ``(notes, missing_tail, cut_rows, cut_detail)``.
    """
    c = shapefile_counts(p, kind, layer)
    notes = []
    shp, shx, dbf, dbf_h = (c.get(k) for k in ("shp", "shx", "dbf", "dbf_header"))
    # the header's count is only quoted: a damaged header could claim any number
    holds = max(v for v in (shp, shx, dbf, n_read, 0) if v is not None)
    if shx is not None and shp is not None and shx < shp:
        raise InputError(f"the Shapefile's .shx index is cut short: it lists {shx:,} of the "
                         f"{shp:,} shapes in the .shp", path=p,
                         fix="copy the complete .shx again (or rebuild it in QGIS: Vector > "
                             "Geometry Tools > Check Validity, or ogr2ogr)")
    missing = (0, "")
    if n_read < holds:
        what = []
        if dbf is not None and dbf < holds:
            what.append(f"the .dbf holds attributes for only {dbf:,} of {holds:,} records" +
                        (f" (its header says {dbf_h:,})" if dbf_h not in (None, dbf) else ""))
        if shp is not None and shp < holds:
            what.append(f"the .shp holds only {shp:,} of {holds:,} shapes")
        why = "; ".join(what) or f"GDAL read {n_read:,} of the {holds:,} records"
        missing = (holds - n_read, f"{why}: the file is cut short (an incomplete copy or "
                                   "download); copy the whole Shapefile again")
        notes.append(f"{p.name}: truncated Shapefile: {why}; the {holds - n_read:,} record(s) "
                     "it cannot read are listed as rejected")
    cut_rows, cut_detail = None, ""
    if shp is not None and shp < n_read and geoms_missing is not None:
        rows = np.flatnonzero(geoms_missing)
        rows = rows[rows >= shp]
        if len(rows):
            cut_rows = rows
            cut_detail = (f"the .shp holds only {shp:,} of {holds:,} shapes: the file is cut "
                          "short (an incomplete copy or download); copy it again")
            notes.append(f"{p.name}: truncated Shapefile: the .shp holds only {shp:,} of "
                         f"{holds:,} shapes; {len(rows):,} record(s) have no shape")
    return notes, missing, cut_rows, cut_detail


def explain_shapefile(p, kind, layer):
    """Raise a clear error when GDAL refused a Shapefile because a part is cut short."""
    if kind not in ("shp", "zip-shp"):
        return
    c = shapefile_counts(p, kind, layer)
    shp, shx, dbf = c.get("shp"), c.get("shx"), c.get("dbf")
    if shx is not None and shp is not None and shx < shp:
        raise InputError(f"the Shapefile's .shx index is cut short: it lists {shx:,} of the "
                         f"{shp:,} shapes in the .shp", path=p,
                         fix="copy the complete .shx again (QGIS or ogr2ogr can rebuild it)")
    if dbf is not None and shp is not None and dbf < shp:
        raise InputError(f"the Shapefile's .dbf is cut short: it holds attributes for "
                         f"{dbf:,} of the {shp:,} shapes", path=p,
                         fix="copy the complete .dbf again")
    if ".shp" in _shp_parts(p, kind, layer) and shx is not None and shp is not None and \
            shp < shx:
        raise InputError(f"the Shapefile's .shp is cut short: it holds {shp:,} of the "
                         f"{shx:,} shapes its index lists", path=p,
                         fix="copy the complete .shp again")
