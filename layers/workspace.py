"""A project with its layers loaded: the object the GUI and ``hotmap run`` share.

:class:`Workspace` reads the sources of a :class:`~layers.project.Project`
through its :attr:`Workspace.loader`, keeps each
:class:`~layers.result.LoadResult` (so rejected rows can be reported), and
holds the loaded :class:`~layers.model.Layer` objects in a
:class:`~layers.model.LayerStack`.

This module loads record, table and basemap sources.  Boundary layers and
tables keyed by area code need :mod:`boundaries`, which sits above
:mod:`layers`: :class:`boundaries.workspace.Workspace` is the workspace that
loads every kind of source, and :func:`boundaries.workspace.load_source` loads
any one source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd
from psygnal import Signal

from layers.common.errors import ProjectError
from layers.licences import declared_licences, detect_record_licences, detect_table_licences
from layers.model import SENSITIVE_KINDS, Layer, LayerStack
from layers.project import (BasemapSource, BoundarySource, Project, RecordSource, TableSource,
                            open_project)
from layers.result import REJECT_COLUMNS, LoadResult
from layers.style import LayerStyle, next_record_colour

# The loaders (layers.records, layers.ingest.readers, layers.basemap) are imported where
# they are used: the command line imports this module at start-up (through
# mapping.pipeline.runner), and the ingest stack costs ~0.3 s that `hotmap --help` and
# most verbs never need.

__all__ = ["Workspace", "load_source", "check_paths", "table_layer", "basemap_layer",
           "given_colour"]


def check_paths(src, project_path=None) -> None:
    """Refuse a source whose data file is missing.

    Raises
    ------
    ProjectError
        Naming the layer and the missing file.
    """
    for p in src.paths:
        if not Path(p).exists():
            raise ProjectError(f"layer '{src.name}': data file not found: {Path(p)}",
                               path=project_path,
                               fix="move the file back, or edit the path in the project file "
                                   "(the desktop app asks where it is)")


def load_source(src, *, project_path=None, study_areas: dict | None = None):
    """Load one record, table or basemap source and return ``(Layer, LoadResult)``.

    Boundary sources and tables keyed by area code load with
    :func:`boundaries.workspace.load_source`.

    Parameters
    ----------
    src : RecordSource, TableSource or BasemapSource
        The project entry.
    project_path : Path, optional
        For error messages.
    study_areas : dict, optional
        Loaded boundary GeoDataFrames by name, for a record source's
        ``options.study_area`` (the name of a boundary layer).

    Raises
    ------
    ProjectError
        If a file is missing; InputError from the loaders for bad content.
    """
    check_paths(src, project_path)
    if isinstance(src, BoundarySource):
        raise TypeError(f"boundary source {src.name!r}: load it with "
                        "boundaries.workspace.load_source")
    if isinstance(src, RecordSource):
        opts = dict(src.options)
        area = opts.get("study_area")
        if isinstance(area, str):
            if not study_areas or area not in study_areas:
                raise ProjectError(f"layer '{src.name}': study_area '{area}' is not a boundary "
                                   "layer of this project", path=project_path,
                                   fix="name a [[boundaries]] layer, or remove study_area")
            opts["study_area"] = study_areas[area]
        from layers.records import load_records  # start-up time: see the imports

        result = load_records(src.paths, kind=src.kind, columns=src.columns or None, **opts)
        style = LayerStyle.from_dict({"marker_size": 8.0, "edgecolor": "none", **src.style})
        layer = Layer(src.name, result.accepted, kind="points", style=style,
                      visible=src.visible, source={"records": src.name},
                      meta={"record_kind": _record_kind(src.kind, result.info),
                            "base_n": len(result.accepted), "rows_read": result.rows_read,
                            "n_rejected": len(result.rejected),
                            "undated_rows": _date_sources(result.info),
                            "attribution": declared_licences(src.attribution)
                            or detect_record_licences(result.info, src.paths, opts)},
                      sensitive=_is_sensitive(src, result.info),
                      allow_raw_export=src.allow_raw_export)
        return layer, result
    if isinstance(src, TableSource):
        return table_layer(src)
    if isinstance(src, BasemapSource):
        return basemap_layer(src), None
    raise TypeError(f"not a project source: {src!r}")


def table_layer(src, attribute_table: Callable | None = None):
    """A ``[[tables]]`` entry as a ``table`` layer and its LoadResult.

    Keyed tables (``key`` given) are read as attribute tables: one row per
    area code, summary rows ("Grand Total") and rows without a code rejected
    with that reason; other tables keep every row.  Numbers written with
    thousands separators become numbers either way.

    Parameters
    ----------
    src : TableSource
        The project entry.
    attribute_table : callable, optional
        Reads a keyed table: :func:`boundaries.tables.read_attribute_table`
        (passed by :func:`boundaries.workspace.load_source`); needed when
        ``src.key`` is set.
    """
    path = Path(src.paths[0])
    opts = {k: v for k, v in src.options.items() if k in ("encoding", "delimiter")}
    raw, messages = _read_table_files(src, opts)
    rejected = pd.DataFrame(columns=REJECT_COLUMNS)
    if src.key:
        if attribute_table is None:
            raise TypeError(f"table {src.name!r} is keyed by area code: load it with "
                            "boundaries.workspace.load_source")
        data, messages, rejected = _keyed_rows(src, path, raw, attribute_table, opts)
    else:
        data = raw.copy()
        for c in data.columns:
            data[c] = _numbers(data[c])
    result = LoadResult(accepted=data.reset_index(drop=True), rejected=rejected,
                        rows_read=len(raw), messages=messages,
                        info={"kind": src.kind, "key": src.key}).check()
    meta = {"record_kind": src.kind, "code_field": src.key, "base_n": len(data),
            "rows_read": len(raw), "n_rejected": len(rejected),
            "attribution": declared_licences(src.attribution) or detect_table_licences(path)}
    if len(src.paths) > 1:
        meta["files"] = len(src.paths)
    layer = Layer(src.name, result.accepted, kind="table", visible=False,  # nothing to draw
                  source={"tables": src.name}, meta=meta, sensitive=src.is_sensitive)
    return layer, result


def _read_table_files(src, opts):
    """The rows of a table's files, one after another; returns ``(rows, messages)``."""
    from layers.ingest.readers import read_table  # start-up time: see the imports

    messages = []
    frames = []
    for p in src.paths:  # several files (monthly extracts) are read one after another
        f = pd.DataFrame(read_table(Path(p), sheet=src.sheet, **opts).frame)
        frames.append(f.drop(columns="geometry", errors="ignore"))
    if len(frames) == 1:
        return frames[0], messages
    cols = list(dict.fromkeys(c for f in frames for c in f.columns))
    for p, f in zip(src.paths, frames):
        lack = [c for c in cols if c not in f.columns]
        if lack:
            messages.append(f"{Path(p).name} has no {', '.join(map(str, lack[:5]))} "
                            "column: blank in its rows")
    raw = pd.concat([f.assign(source_file=Path(p).name) for p, f in zip(src.paths, frames)],
                    ignore_index=True)
    return raw, messages


def _keyed_rows(src, path, raw, attribute_table, opts):
    """A keyed table read as an attribute table: ``(data, messages, rejected rows)``."""
    at = attribute_table(path, code_field=src.key, sheet=src.sheet, **opts)
    data, messages = at.data, list(at.messages)
    codes = raw[src.key].astype("string").str.strip()
    gone = ~codes.isin(set(data[src.key])).fillna(False).to_numpy(bool)
    why = ["no area code" if pd.isna(c) or not str(c) else "summary row"
           for c in codes[gone]]
    rejected = pd.concat([pd.DataFrame({"source_file": path.name,
                                        "source_row": (gone.nonzero()[0] + 1),
                                        "reason": why,
                                        "detail": codes[gone].fillna("").to_numpy()}),
                          raw.loc[gone].fillna("").astype(str).reset_index(drop=True)], axis=1)
    return data, messages, rejected


def _date_sources(info: dict) -> dict:
    """``{field: {file: source rows or None (all)}}`` of the records whose date field
    held a value that could not be read (kept without the date; ``info['undated']``)."""
    out = {}
    for path, cols in (info.get("undated") or {}).items():
        mapping = (info.get("column_mapping") or {}).get(path, {})
        for field, col in mapping.items():
            if col in cols:
                out.setdefault(field, {})[path] = cols[col].get("all_rows")
    return out


def _numbers(s):
    """A text column of numbers (``"1,954"`` too) as numbers; any other column unchanged."""
    if not (s.dtype == object or pd.api.types.is_string_dtype(s)):
        return s
    v = s.dropna().astype(str).str.strip()
    if not len(v) or not v.str.fullmatch(r"[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?").all():
        return s
    return pd.to_numeric(s.astype(str).str.replace(",", "", regex=False).str.strip(),
                         errors="coerce").where(s.notna())


def _record_kind(kind: str, info: dict) -> str:
    """The kind of a record layer: the one declared, or police.uk's when the files are."""
    if kind in (None, "", "generic"):
        if info.get("stop_search"):
            return "stop_search"
        if info.get("police_uk"):
            return "police_uk"
    return kind or "generic"


def _is_sensitive(src, info: dict) -> bool:
    """The source's own setting, else its (detected) kind's default."""
    if src.sensitive is not None:
        return bool(src.sensitive)
    return _record_kind(src.kind, info) in SENSITIVE_KINDS


def basemap_layer(src) -> Layer:
    """The layer of a ``[[basemaps]]`` entry (drawn under everything, never exported)."""
    from layers.basemap import open_basemap  # start-up time: see the imports

    bm = open_basemap(src.paths[0])
    style = LayerStyle.from_dict({**src.style, "opacity": src.opacity})
    return Layer(src.name, bm, kind="basemap", style=style, visible=src.visible,
                 source={"basemaps": src.name}, meta={"attribution": src.attribution})


def given_colour(records, used=()) -> None:
    """Give each record source without a colour its own default (kept in its style)."""
    taken = [*used, *(r.style.get("color") for r in records if r.style.get("color"))]
    for r in records:
        if not r.style.get("color"):
            r.style["color"] = next_record_colour(taken)
            taken.append(r.style["color"])


class Workspace:
    """A project plus its loaded layers.

    Signals
    -------
    dirty_changed(bool)
        Emitted when the project gains or loses unsaved changes.
    """

    dirty_changed = Signal(bool)
    #: Loads one source, ``loader(src, project_path=..., study_areas=...)`` giving
    #: ``(Layer, LoadResult or None)``.  This one loads records, tables not keyed by area
    #: code and basemaps; :class:`boundaries.workspace.Workspace` loads every source.
    loader = staticmethod(load_source)

    def __init__(self, project: Project | None = None):
        self.project = project or Project()
        self.layers = LayerStack()
        self.results: dict = {}
        self._dirty = False
        self.layers.inserted.connect(lambda *_: self.mark_dirty())
        self.layers.removed.connect(lambda *_: self.mark_dirty())
        self.layers.moved.connect(lambda *_: self.mark_dirty())
        self.layers.layer_changed.connect(lambda *_: self.mark_dirty())
        self.layers.group_changed.connect(lambda _n, attr: attr == "visible" and self.mark_dirty())
        self.layers.restore_groups(self.project.groups)

    @classmethod
    def open(cls, path, *, progress: Callable[[float, str], None] | None = None,
             cancelled: Callable[[], bool] | None = None) -> "Workspace":
        """Read a project file and load all its layers."""
        ws = cls(open_project(path))
        ws.load(progress=progress, cancelled=cancelled)
        return ws

    @property
    def dirty(self) -> bool:
        """True when there are unsaved changes."""
        return self._dirty

    def mark_dirty(self, value: bool = True) -> None:
        """Set the unsaved-changes flag."""
        if value != self._dirty:
            self._dirty = value
            self.dirty_changed.emit(value)

    def load(self, *, progress=None, cancelled=None) -> None:
        """Load every basemap, boundary, record then table source, bottom to top (the
        boundary files are read beside the records: :func:`layers.load_ahead.load_in_order`)."""
        from layers.load_ahead import load_in_order

        sources = [*self.project.basemaps, *self.project.boundaries, *self.project.records,
                   *self.project.tables]
        given_colour(self.project.records)
        areas = {}

        def started(i, src):
            if progress:
                progress(i / max(len(sources), 1), f"Loading {src.name}")

        def load(src):
            return self.loader(src, project_path=self.project.path, study_areas=areas)

        for item in load_in_order(sources, load, cancelled=cancelled, started=started):
            if item is None:  # cancelled
                return
            src, layer, result = item
            if result is not None:  # a basemap has no rows
                self.results[src.name] = result
            if isinstance(src, BoundarySource):
                areas[src.name] = layer.data
            self.layers.replace(layer)
        if progress:
            progress(1.0, "Loaded")
        self.mark_dirty(False)

    def sync_project(self) -> Project:
        """Copy layer state the user can change (style, visibility) back into the project."""
        by_name = {s.name: s for s in [*self.project.boundaries, *self.project.records,
                                       *self.project.basemaps]}
        for layer in self.layers:
            src = by_name.get(layer.source.get("boundaries") or layer.source.get("records")
                              or layer.source.get("basemaps"))
            if src is not None:
                src.style = layer.style.to_dict()
                src.visible = layer.visible
                if isinstance(src, BasemapSource):
                    src.opacity = float(layer.style.opacity)
        self.project.groups = self.layers.group_state()
        return self.project

    def save(self, path=None) -> Path:
        """Save the project file (atomically) and clear the dirty flag."""
        path = self.sync_project().save(path)
        self.mark_dirty(False)
        return path
