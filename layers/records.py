"""Read record files (CSV/TSV, XLSX, GeoPackage, Shapefile, GeoJSON) as one point layer.

:func:`load_records` is the single entry point; :func:`iter_records` gives the
same result one file at a time (for streaming and per-file workers).  Each file
is read, its columns mapped to the canonical names of the record kind, each row
placed (BNG eastings/northings, x/y in a stated CRS, WGS84 longitude/latitude,
or a postcode looked up in a user-supplied table) and its dates parsed, and the
result is a :class:`~layers.result.LoadResult` in which every row the file holds
is either accepted or rejected with a reason.  Helpers live in
``layers/ingest_*.py``.

Rejection reasons: ``no coordinates``, ``unparseable coordinate``,
``zero coordinates``, ``swapped axes``, ``outside GB``, ``in the sea``,
``postcode not found``, ``no location published`` (police.uk),
``unparseable number``, ``duplicate id``, ``empty geometry``,
``outside study area``, ``malformed quoting`` (lines of a CSV inside a quote
that is never closed), ``truncated file`` (records a cut-short Shapefile should
hold).  A date that cannot be read does not reject its record: the record is
kept without a date and ``info["undated"]`` says how many and why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from layers.common.errors import InputError
from layers.ingest.checks import SeenIds, StudyArea
from layers.ingest.frame import FrameLoader
from layers.ingest.parts import join_parts, join_rejected
from layers.ingest.postcodes import load_postcode_table
from layers.ingest.readers import read_table
from layers.ingest.schemas import RECORD_KINDS
from layers.result import LoadResult

__all__ = ["load_records", "iter_records", "RECORD_KINDS"]

WORKING_CRS = "EPSG:27700"
_ALIAS_KEYS = {"easting": "x", "northing": "y", "longitude": "lon", "latitude": "lat",
               "long": "lon", "lng": "lon"}


def _as_list(paths):
    if isinstance(paths, (str, Path)):
        return [paths]
    paths = list(paths)
    if not paths:
        raise InputError("no files given", fix="give at least one record file")
    return paths


def _normalise_overrides(columns, frame_cols):
    out = {}
    for k, v in dict(columns or {}).items():
        k = _ALIAS_KEYS.get(str(k).lower(), str(k))
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            if not 1 <= v <= len(frame_cols):
                raise InputError(f"column number {v} for {k!r} is out of range "
                                 f"(the file has {len(frame_cols)} columns)", column=str(v),
                                 fix="column numbers count from 1")
            v = frame_cols[v - 1]
        out[k] = v
    return out


_OPTIONS_DOC = """
    paths : str, Path or list of them
        Files forming one layer (e.g. twelve monthly police.uk CSVs); each
        accepted and rejected row keeps ``source_file`` and ``source_row``
        (1-based data row, header excluded).
    kind : str
        Record kind, a key of :data:`RECORD_KINDS`: ``generic``, ``arrests``
        (= ``offences``), ``needles``, ``crack_houses``, ``services``,
        ``seizures``.  police.uk street and stop-and-search CSVs are recognised by their header
        whatever the kind.  The kind's canonical columns are always added
        (NaN/NaT when the file has no such column).
    columns : dict, optional
        ``{canonical: file column}`` overriding the automatic mapping, e.g.
        ``{"x": "EAST", "y": "NORTH", "date": "Occurred"}``.  Coordinate keys
        are ``x``/``y`` (or ``easting``/``northing``), ``lon``/``lat``,
        ``postcode``; ``id`` names the column checked for duplicates (found by
        name when not given: the kind's own id column such as ``arrest_id`` or
        ``find_id``, else ``id``, ``reference`` ...).  A value may be a 1-based
        column number (useful with ``header=False``).
    crs : str, optional
        CRS of ``x``/``y`` columns or of a vector file without one (default:
        British National Grid for x/y; WGS84 for lon/lat).
    postcode_table : str, Path, list, DataFrame or PostcodeTable, optional
        Code-Point Open, ONS Postcode Directory or a simple postcode CSV; rows
        without coordinates are placed by postcode.
    study_area : GeoDataFrame, GeoSeries, LoadResult, shapely geometry or path(s), optional
        Records outside the union of these areas are rejected (``outside study
        area``, with the distance in metres in ``detail``; exact for small counts,
        within 2.5 m above 2,000 distinct places).  Points on the boundary are inside.
    header : bool
        Whether CSV/XLSX files have a header row (default True).  Headerless
        columns are named ``col1``, ``col2`` ... unless ``column_names`` is given.
    column_names : list of str or path, optional
        Names for headerless columns, or a CSV file holding them.
    sheet : str or int, optional
        XLSX worksheet (default the first).
    layer : str, optional
        Layer of a multi-layer GeoPackage.
    delimiter, encoding : str, optional
        Override the detected CSV delimiter and encoding (UTF-8 with or without
        BOM, else Windows-1252 are detected).
    postcode_columns : list of str or path, optional
        Column names of a headerless postcode table (Code-Point Open's names are
        read from the ``*column_headers*.csv`` file beside it automatically).
    coordinates : {'auto', 'bng', 'lonlat', 'xy', 'postcode'}
        Force where locations come from (default: detect).
    dedupe : bool
        Reject repeated records (``duplicate id``) after the first, across all
        the files: the same id (police.uk: the same Crime ID, month, crime type
        and location).  Default True.
    geometry : bool
        ``True`` (default): ``accepted`` is a GeoDataFrame of shapely points.
        ``False``: a coordinate-only layer for analyses that need nothing but
        coordinates (e.g. ``hotmap kde``): a plain DataFrame whose British
        National Grid eastings and northings are the float columns named in
        ``accepted.attrs["xy_columns"]`` (``bng_x``, ``bng_y`` unless the file
        already uses those names).  No shapely point is built, not even when
        reading a GeoPackage or Shapefile of points; the checks, rejections and
        counts are identical.  :func:`layers.points.points_xy` reads the
        coordinates of either form.
    dates : {'required', 'optional'}
        A value that is not a readable date never rejects its record: the record
        is kept with a missing date, and ``info["undated"]`` and a message say
        how many and why (analyses by date report the rows they leave out).
        A date column that is *ambiguous* (``05/03/2019`` read day-first and
        month-first, ``22-04-01``) is refused with an :class:`InputError` naming
        the column and example values (``'required'``, the default), or, for
        analyses that need no date such as ``count`` and ``kde``
        (``'optional'``), left without dates with a message.
    date_format : str or dict, optional
        How to read numeric dates: ``'DD/MM/YYYY'`` (day first), ``'MM/DD/YYYY'``
        (month first), ``'YY-MM-DD'`` (year first), or a strftime format such as
        ``'%d/%m/%Y %H:%M'``; a dict gives one per column or canonical field.
        Default: decided from each column's values.
"""


def iter_records(paths, *, kind="generic", columns=None, crs=None, postcode_table=None,
                 study_area=None, header=True, column_names=None, sheet=None, layer=None,
                 delimiter=None, encoding=None, postcode_columns=None, coordinates="auto",
                 dedupe=True, geometry=True, dates="required", date_format=None, _parts=False,
                 _keep=None):
    """Load record files one at a time: yield one :class:`LoadResult` per file.

    The same checks, rejection reasons and duplicate rule as
    :func:`load_records` on all the files at once: concatenating the results
    gives exactly its accepted and rejected rows.  Duplicates are found across
    files because the keys accepted so far are carried from file to file (a
    record repeating one from an earlier file is rejected in the later file's
    result, its detail naming the earlier file and row).  Only one file's rows
    are in memory at a time, plus 24 bytes per distinct id for that check, so a
    caller can accumulate counts or density bins file by file, or hand each
    file to a worker.

    Parameters
    ----------
    paths, kind, columns, crs, postcode_table, study_area, header, column_names, sheet,
    layer, delimiter, encoding, postcode_columns, coordinates, dedupe, geometry, dates,
    date_format
        As :func:`load_records`.

    Yields
    ------
    LoadResult
        One per file, in order: ``accepted``/``rejected`` of that file,
        ``rows_read`` its data rows, ``messages`` its notes, ``info`` as
        :func:`load_records` gives for one file (``files`` has one entry).

    Raises
    ------
    InputError
        When a file cannot be read (raised when that file's turn comes).
    """
    paths = _as_list(paths)
    pc_table = None
    if postcode_table is not None:
        pc_table = load_postcode_table(postcode_table, column_names=postcode_columns)
    area = None if study_area is None else StudyArea(study_area)
    loader = FrameLoader(kind=kind, crs=crs, pc_table=pc_table, coordinates=coordinates,
                         geometry=geometry, dates=dates, date_format=date_format,
                         seen=SeenIds() if dedupe else None, area=area)
    loader.raw = _parts  # load_records joins the files' columns itself
    if _parts and _keep is not None:  # the columns load_records drops are never split out
        loader.kept = lambda names: _kept_names(names, _keep)

    def prepare(p):
        """Read a file and run the checks that need no earlier file."""
        read = read_table(p, header=header, column_names=column_names, sheet=sheet,
                          delimiter=delimiter, encoding=encoding, layer=layer, kind="records")
        overrides = _normalise_overrides(columns, [str(c) for c in read.frame.columns])
        return read, len(read.frame), loader.prepare(read, p, overrides)

    # one file after another: reading the next file on a worker thread while this one is
    # finished was measured slower (GIL hand-offs cost more than the overlap gained)
    for p in map(Path, paths):
        read, n_read, prepared = prepare(p)
        messages = list(read.notes)
        if n_read == 0:
            messages.append(f"{p.name}: no data rows (header only)")
        acc, rej, finfo = loader.finish(prepared)
        del prepared
        messages.extend(finfo.pop("messages", []))
        info = _file_info(kind, p, read, finfo, pc_table, n_read, acc, rej)
        yield LoadResult(accepted=acc, rejected=rej, rows_read=n_read, messages=messages,
                         info=info).check()


def _file_info(kind, p, read, finfo, pc_table, n_read, acc, rej) -> dict:
    """The ``info`` of one file's :class:`LoadResult` (see :func:`load_records`)."""
    key = str(p)
    info = {
        "kind": kind,
        "format": {key: read.format + (f" ({read.encoding}, delimiter {read.delimiter!r})"
                                       if read.delimiter else "")},
        "column_mapping": {key: finfo["mapping"]},
        "coordinates": {key: finfo["coordinates"]},
        "crs": {key: finfo["crs"]},
        "police_uk": finfo["police_uk"], "stop_search": finfo["stop_search"],
        "date_formats": sorted(set(finfo["date_formats"])),
        "undated": {key: finfo["undated"]} if finfo["undated"] else {},
        "duplicates": finfo["duplicates"],
        "postcode_table": None if pc_table is None else pc_table.source,
        "files": {key: {"read": n_read, "accepted": len(acc), "rejected": len(rej)}},
        "rows_read": n_read,
        "columns": finfo["mapping"],
    }
    info["time_span"] = _time_span([acc])
    return info


def load_records(paths, *, kind="generic", columns=None, crs=None, postcode_table=None,
                 study_area=None, header=True, column_names=None, sheet=None, layer=None,
                 delimiter=None, encoding=None, postcode_columns=None, coordinates="auto",
                 dedupe=True, geometry=True, dates="required", date_format=None,
                 keep=None) -> LoadResult:
    """Load record files as one point layer in EPSG:27700, rejecting nothing silently.

    Every keyword can be given in a project file's ``[records.options]`` table.
    The files are read one at a time (:func:`iter_records`), so the cost of each
    file does not depend on how many there are.

    Parameters
    ----------""" + _OPTIONS_DOC + """
    keep : list of str, optional
        Keep only these columns of the accepted rows (file or canonical names, matched
        as a filter matches them: exactly, then ignoring case, then in snake case),
        besides the coordinates, ``source_file``, ``source_row`` and ``date``; each
        file is pruned as soon as it is checked, so a layer of ten million records
        held for counting or density takes some 40 bytes a record.  The rejected rows,
        counts and messages are the same as without it.  A name that matches no
        column keeps every column (so the analysis can say what is there).
        Default: keep every column.

    Returns
    -------
    LoadResult
        ``accepted``: GeoDataFrame of points in EPSG:27700 (or, with
        ``geometry=False``, the coordinate-only DataFrame above) with the original
        columns, ``source_file`` (categorical), ``source_row``, ``date`` and the
        kind's canonical columns.  ``rejected``: ``source_file, source_row, reason,
        detail`` and the original fields.  ``info``: ``format`` (per file),
        ``kind``, ``police_uk``, ``coordinates``, ``crs``, ``column_mapping``,
        ``files`` (per-file read/accepted/rejected), ``date_formats``,
        ``time_span`` (first and last date), ``undated`` (per file and column:
        rows kept without a date, and why), ``duplicates`` (records rejected as
        repeats), ``postcode_table``.

    Raises
    ------
    InputError
        A file that cannot be read or has no usable location columns, or an
        ambiguous date column (``dates='required'``); the message names the
        file, column and the fix.
    """
    paths = _as_list(paths)
    keys = list(dict.fromkeys(str(Path(p)) for p in paths))
    parts_acc, parts_rej, messages = [], [], []
    info = {"kind": kind, "format": {}, "column_mapping": {}, "coordinates": {}, "crs": {},
            "police_uk": False, "stop_search": False, "date_formats": [], "undated": {},
            "duplicates": 0, "postcode_table": None, "files": {}}
    rows_read = 0
    for res in iter_records(paths, kind=kind, columns=columns, crs=crs,
                            postcode_table=postcode_table, study_area=study_area,
                            header=header, column_names=column_names, sheet=sheet,
                            layer=layer, delimiter=delimiter, encoding=encoding,
                            postcode_columns=postcode_columns, coordinates=coordinates,
                            dedupe=dedupe, geometry=geometry, dates=dates,
                            date_format=date_format, _parts=True, _keep=keep):
        _add_file_info(info, res.info)
        messages.extend(res.messages)
        rows_read += res.rows_read
        parts_acc.append(_pruned(res.accepted, keep))
        parts_rej.append(res.rejected)
    return _layer_result(join_parts(parts_acc, keys, geometry), join_rejected(parts_rej),
                         rows_read, messages, info)


def _layer_result(accepted, rejected, rows_read, messages, info) -> LoadResult:
    """The layer's :class:`LoadResult` from its joined rows and the files' ``info``."""
    info["rows_read"] = rows_read
    info["time_span"] = _time_span([accepted])
    # a single mapping for the common one-file / same-header case
    maps = list(info["column_mapping"].values())
    info["columns"] = maps[0] if maps and all(m == maps[0] for m in maps) else maps
    if len(rejected):
        counts = rejected["reason"].value_counts()
        messages.append("rejected: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return LoadResult(accepted=accepted, rejected=rejected, rows_read=rows_read,
                      messages=messages, info=info).check()


def _add_file_info(info: dict, fi: dict) -> None:
    """Add one file's ``info`` (from :func:`iter_records`) to the layer's, in place."""
    for k in ("format", "column_mapping", "coordinates", "crs", "undated"):
        info[k].update(fi[k])
    for key, counts in fi["files"].items():
        old = info["files"].get(key)
        info["files"][key] = counts if old is None else {
            k: old[k] + counts[k] for k in counts}
    info["police_uk"] |= fi["police_uk"]
    info["stop_search"] |= fi["stop_search"]
    info["date_formats"] = sorted(set(info["date_formats"]) | set(fi["date_formats"]))
    info["duplicates"] += fi["duplicates"]
    info["postcode_table"] = fi["postcode_table"]


def _kept_names(names, keep):
    """The names of ``names`` (a file's accepted columns) that ``keep`` keeps (see
    :func:`load_records`), or None to keep them all (``keep`` is None, or names a column
    that is not there)."""
    if keep is None:
        return None
    import re

    def _snake(name):  # as mapping.core.filters matches a column name
        return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")

    cols = list(names)
    wanted = {"source_file", "source_row", "date"}
    for name in keep:
        hit = [c for c in cols if c == name] or \
            [c for c in cols if str(c).lower() == str(name).lower()] or \
            [c for c in cols if _snake(str(c)) == _snake(str(name))]
        if not hit:
            return None
        wanted.update(hit)
    return wanted


def _pruned(part, keep):
    """A file's accepted rows (a :class:`~layers.ingest.parts.Part`) with only the columns
    in ``keep`` (see :func:`load_records`); unchanged when ``keep`` is None or names a
    column the file does not have."""
    wanted = _kept_names(part.data, keep)
    if wanted is not None:
        part.data = {k: v for k, v in part.data.items() if k in wanted}
    return part


def _time_span(parts):
    lo = hi = None
    for p in parts:
        if "date" not in p or not len(p):
            continue
        d = p["date"]
        if d.notna().any():
            a, b = d.min(), d.max()
            lo = a if lo is None or a < lo else lo
            hi = b if hi is None or b > hi else hi
    return (lo, hi)
