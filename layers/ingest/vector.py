"""Read vector files (GeoPackage, Shapefile, zipped Shapefile, GeoJSON, FlatGeobuf) via pyogrio.

Shared by record layers and boundaries.  Every GDAL failure becomes an
:class:`~layers.common.errors.InputError` naming the file and the fix.

Two readers:

- :func:`read_vector` returns a GeoDataFrame (boundaries need the polygons).
- :func:`read_vector_table` returns the attributes and the geometries as WKB,
  straight from GDAL's Arrow stream, without building a shapely object per
  feature; :func:`wkb_points` decodes plain 2-D points with numpy.  Record
  layers only need one point per feature, so a million-point GeoPackage costs
  an Arrow read and an array view, not a million shapely points.

A Shapefile whose parts disagree (a ``.dbf`` cut short holds attributes for
fewer records than the ``.shp`` holds shapes, or the ``.shp`` ends early) is
detected by comparing the record counts in the three files' headers with their
sizes (:func:`shapefile_counts`); GDAL would silently read the shorter part.
The features the files should hold but GDAL could not read come back as rows
rejected with the reason ``truncated file``.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from layers.ingest.shapefile import check_shapefile, explain_shapefile, shapefile_counts
from layers.ingest.table import TEXT

__all__ = ["read_vector", "read_vector_table", "list_layers", "wkb_points", "VectorTable",
           "shapefile_counts", "TRUNCATED"]

#: Rejection reason for features a damaged Shapefile should hold but does not.
TRUNCATED = "truncated file"


def _source(p: Path, kind: str) -> str:
    return f"zip://{p}" if kind == "zip-shp" else str(p)


def list_layers(path, kind="gpkg") -> list[str]:
    """Return the layer names in a vector file (GeoPackage usually)."""
    import pyogrio

    p = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            rows = pyogrio.list_layers(_source(p, kind))
    except Exception as exc:
        raise InputError(f"cannot open the file as {kind} ({_short(exc)})", path=p,
                         fix="check the file is complete and not corrupt; export it again")\
            from None
    spatial = [str(r[0]) for r in rows if r[1] is not None]
    # attribute-only tables (no geometry) in a GeoPackage are not layers to choose from
    return spatial if spatial else [str(r[0]) for r in rows]


@contextlib.contextmanager
def _quiet():
    """GDAL's warnings about single features (they can quote coordinates) are not shown:
    the features are accepted or rejected with a reason instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield


def _short(exc) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


@dataclass
class VectorTable:
    """A vector layer as attributes plus WKB geometries (see :func:`read_vector_table`).

    ``geom`` is a pyarrow binary array (null where a feature has no geometry);
    :meth:`wkb_at` gives the WKB of some rows as bytes for shapely.
    """

    frame: pd.DataFrame
    geom: object  # pyarrow BinaryArray / LargeBinaryArray
    crs: object
    notes: list = field(default_factory=list)
    #: rows the file should hold beyond those read: (count, detail) of the missing tail
    missing: tuple = (0, "")
    #: positions of rows read whose geometry is missing because a part is cut short
    cut_rows: np.ndarray | None = None
    cut_detail: str = ""

    def __len__(self) -> int:
        return len(self.geom)

    def is_null(self) -> np.ndarray:
        """True where a feature has no geometry."""
        return np.asarray(self.geom.is_null().to_numpy(zero_copy_only=False), dtype=bool)

    def wkb_at(self, mask) -> np.ndarray:
        """Object array of the WKB bytes (None for no geometry) of the rows in ``mask``."""
        import pyarrow as pa

        sub = self.geom.filter(pa.array(np.asarray(mask, bool)))
        return np.asarray(sub.to_numpy(zero_copy_only=False), dtype=object)

    def add_missing(self, k: int) -> None:
        """Append ``k`` features without geometry (rows a damaged file should hold)."""
        import pyarrow as pa

        self.geom = pa.concat_arrays([self.geom, pa.nulls(k, type=self.geom.type)])


def _layer_for(p: Path, kind: str, layer):
    # GeoJSON, FlatGeobuf and a loose Shapefile hold one layer: listing would parse the file
    layers = list_layers(p, kind) if kind in ("gpkg", "zip-shp") or layer is not None \
        else ["(single)"]
    if not layers:
        raise InputError("the file contains no layers", path=p,
                         fix="check the export; a GeoPackage must contain a feature table")
    if layer is None and len(layers) > 1:
        raise InputError(f"the file has {len(layers)} layers: {', '.join(layers)}", path=p,
                         fix="choose one with layer='NAME'")
    if layer is not None and str(layer) not in layers:
        raise InputError(f"no layer {layer!r}; the file has {', '.join(layers)}", path=p,
                         fix="pass one of those names as layer=")
    if layer is None and kind in ("gpkg", "zip-shp"):
        layer = layers[0]  # the only spatial layer (never a default attribute table)
    if kind == "shp" and not p.with_suffix(".shx").exists() and not p.with_suffix(".SHX").exists():
        raise InputError("the Shapefile's .shx index file is missing", path=p,
                         fix="copy the .shp together with its .shx, .dbf and .prj files")
    return layer


# --------------------------------------------------------------------------- readers
def read_vector(path, kind, *, layer=None):
    """Read a vector file into a GeoDataFrame, keeping its CRS (may be None).

    Parameters
    ----------
    path : str or Path
        The file (``.zip`` for a zipped Shapefile).
    kind : str
        Format from :func:`layers.ingest.readers.sniff_format`.
    layer : str, optional
        Layer name; required when a GeoPackage holds several layers.

    Returns
    -------
    (GeoDataFrame, list of str, tuple)
        The features, notes for the user, and ``(n, detail)`` for ``n`` records a
        truncated Shapefile should hold beyond those read (``(0, "")`` normally),
        followed by ``(rows, detail)`` when a cut-short ``.shp`` left rows read
        without their shape.
    """
    import pyogrio

    import geopandas as gpd

    p = Path(path)
    src = _source(p, kind)
    layer = _layer_for(p, kind, layer)
    try:
        with _quiet():
            gdf = pyogrio.read_dataframe(src, layer=layer, use_arrow=True, on_invalid="ignore")
    except Exception as exc:
        try:
            with _quiet():
                gdf = pyogrio.read_dataframe(src, layer=layer, on_invalid="ignore")
        except Exception:
            explain_shapefile(p, kind, layer)
            raise _unreadable(p, exc) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf:
        raise InputError("the layer has no geometry column", path=p,
                         fix="for a table without geometry use CSV/XLSX with coordinate "
                             "columns")
    notes = []
    missing = (0, "")
    if kind in ("shp", "zip-shp"):
        if gdf.crs is None:
            notes.append(f"{p.name}: the Shapefile has no .prj file, so its CRS is unknown")
        more, missing, cut, cut_detail = check_shapefile(
            p, kind, layer, len(gdf), gdf.geometry.isna().to_numpy())
        notes.extend(more)
        if cut is not None:
            missing = missing + (cut, cut_detail)
    _nested_to_text(gdf)
    return gdf, notes, missing


def _unreadable(p, exc):
    return InputError(f"cannot read the file ({_short(exc)})", path=p,
                      fix="check the file is complete; open it in QGIS and export it again as "
                          "GeoPackage")


def _nested_to_text(df):
    """JSON arrays/objects arrive as lists/arrays: unhashable, so keep them as text."""
    for col in df.columns:
        if col != "geometry" and df[col].dtype == object and \
                pd.api.types.infer_dtype(df[col], skipna=True) not in ("string", "empty"):
            nested = df[col].map(lambda v: not isinstance(v, (str, bytes)) and
                                 hasattr(v, "__len__"))
            if nested.any():
                df[col] = df[col].where(~nested, df[col].map(
                    lambda v: str(v.tolist()) if hasattr(v, "tolist") else str(v)))


def read_vector_table(path, kind, *, layer=None) -> VectorTable:
    """Read a vector layer's attributes and WKB geometries without shapely objects.

    Text attributes become Arrow-backed text (as CSV columns do); date-time
    fields are kept as their ISO text; lists (JSON arrays) become text.

    Parameters
    ----------
    path, kind, layer
        As :func:`read_vector`.

    Returns
    -------
    VectorTable
    """
    import pyarrow as pa
    import pyogrio

    p = Path(path)
    src = _source(p, kind)
    layer = _layer_for(p, kind, layer)
    try:
        with _quiet():
            meta, table = pyogrio.read_arrow(src, layer=layer, datetime_as_string=True)
        gname = meta["geometry_name"] or "wkb_geometry"
        if gname not in table.column_names:
            raise InputError("the layer has no geometry column", path=p,
                             fix="for a table without geometry use CSV/XLSX with coordinate "
                                 "columns")
        geom = table.column(gname).combine_chunks()
        if isinstance(geom.type, pa.ExtensionType):
            geom = geom.storage
        if isinstance(geom, pa.ChunkedArray):
            geom = geom.combine_chunks()
        # GDAL 3.12's FlatGeobuf Arrow stream can return offsets past the data for layers
        # with null geometries; an invalid array must never reach numpy or shapely
        geom.validate(full=True)
        table.validate()
        attrs = table.drop_columns([gname])
        for i, f in enumerate(attrs.schema):
            if pa.types.is_list(f.type) or pa.types.is_large_list(f.type) or \
                    pa.types.is_struct(f.type):
                attrs = attrs.set_column(i, f.name, pa.array(
                    [None if v is None else str(v) for v in attrs.column(i).to_pylist()],
                    pa.string()))
        frame = attrs.to_pandas(types_mapper={pa.string(): TEXT, pa.large_string(): TEXT}.get,
                                split_blocks=True)
        crs = meta["crs"]
    except InputError:
        raise
    except Exception as exc:  # non-UTF-8 text and other Arrow refusals: the classic reader
        try:
            with _quiet():
                gdf = pyogrio.read_dataframe(src, layer=layer, on_invalid="ignore")
        except Exception:
            explain_shapefile(p, kind, layer)
            raise _unreadable(p, exc) from None
        import shapely

        if "geometry" not in gdf:
            raise InputError("the layer has no geometry column", path=p,
                             fix="for a table without geometry use CSV/XLSX with coordinate "
                                 "columns") from None
        geom = pa.array(list(shapely.to_wkb(gdf.geometry.to_numpy())), pa.binary())
        frame = pd.DataFrame(gdf.drop(columns="geometry"))
        _nested_to_text(frame)
        for c in frame.columns:
            if frame[c].dtype == object and pd.api.types.infer_dtype(frame[c], skipna=True) in (
                    "string", "empty"):
                frame[c] = frame[c].astype(TEXT)
        crs = gdf.crs
    out = VectorTable(frame=frame, geom=geom, crs=crs)
    if kind in ("shp", "zip-shp"):
        if crs is None:
            out.notes.append(f"{p.name}: the Shapefile has no .prj file, so its CRS is unknown")
        notes, out.missing, out.cut_rows, out.cut_detail = check_shapefile(
            p, kind, layer, len(frame), out.is_null())
        out.notes.extend(notes)
    return out


#: Little-endian WKB header of a 2-D point: byte order 1, geometry type 1.
_POINT_HEAD = b"\x01\x01\x00\x00\x00"


def wkb_points(geom):
    """Coordinates of 2-D WKB points, decoded with numpy from the Arrow buffers.

    Parameters
    ----------
    geom : pyarrow BinaryArray or LargeBinaryArray
        WKB per feature (null for a feature without geometry).

    Returns
    -------
    x, y : ndarray of float64
        The point's coordinates (bit for bit the doubles in the WKB), NaN elsewhere.
    plain : ndarray of bool
        True where the WKB is a little-endian 2-D point (21 bytes).  Other
        geometries (polygons, lines, multipoints, 3-D or big-endian points) need
        shapely; :func:`layers.ingest.places.vector_points` decodes just those.
    """
    import pyarrow as pa

    n = len(geom)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    plain = np.zeros(n, bool)
    if n == 0:
        return x, y, plain
    big = pa.types.is_large_binary(geom.type)
    bufs = geom.buffers()
    off = np.frombuffer(bufs[1], dtype=np.int64 if big else np.int32)[
        geom.offset:geom.offset + n + 1].astype(np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else \
        np.zeros(0, np.uint8)
    lens = np.diff(off)
    cand = lens == 21
    if geom.null_count:
        cand &= ~np.asarray(geom.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if not cand.any():
        return x, y, plain
    if cand.all() and off[-1] - off[0] == 21 * n:  # every feature a 21-byte point
        return _packed_points(data, int(off[0]), n, x, y, plain)
    idx = np.flatnonzero(cand)
    buf = data[off[idx][:, None] + np.arange(21)]
    head_ok = (buf[:, :5] == np.frombuffer(_POINT_HEAD, np.uint8)).all(axis=1)
    xy = np.ascontiguousarray(buf[:, 5:]).view("<f8").reshape(-1, 2)
    good = idx[head_ok]
    x[good] = xy[head_ok, 0]
    y[good] = xy[head_ok, 1]
    plain[good] = True
    return x, y, plain


def _packed_points(data, start: int, n: int, x, y, plain):
    """:func:`wkb_points` when the features are ``n`` 21-byte WKBs back to back.

    The header bytes and both coordinates are read through strided views of the
    Arrow buffer (numpy reads the unaligned doubles as they are), so a million
    points cost two strided comparisons and two strided copies rather than a
    gather of 21 million bytes.
    """
    def field(offset, dtype):
        return np.ndarray((n,), dtype=dtype, buffer=data, offset=start + offset, strides=(21,))

    head = (field(0, np.uint8) == 1) & (field(1, "<u4") == 1)
    if head.all():
        x[:] = field(5, "<f8")
        y[:] = field(13, "<f8")
        plain[:] = True
    else:
        x[head] = field(5, "<f8")[head]
        y[head] = field(13, "<f8")[head]
        plain[head] = True
    return x, y, plain
