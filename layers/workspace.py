"""A project with its layers loaded: the object the GUI and ``hotmap run`` share.

:class:`Workspace` reads every boundary and record source of a
:class:`~layers.project.Project` through the ingest API, keeps each
:class:`~layers.result.LoadResult` (so rejected rows can be reported), and
holds the loaded :class:`~layers.model.Layer` objects in a
:class:`~layers.model.LayerStack`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from psygnal import Signal

from layers.errors import ProjectError
from layers.model import Layer, LayerStack
from layers.project import BasemapSource, BoundarySource, Project, RecordSource, open_project
from layers.style import LayerStyle

__all__ = ["Workspace", "load_source"]

_BOUNDARY_STYLE = dict(color="#f0f0f0", edgecolor="#636363", linewidth=0.5, opacity=0.6)
_RECORD_COLOURS = ["#d7301f", "#2171b5", "#238b45", "#6a51a3", "#cc4c02", "#1d91c0"]


def _missing(src, path: Path, project_path) -> ProjectError:
    return ProjectError(f"layer '{src.name}': data file not found: {path}", path=project_path,
                        fix="move the file back, or edit the path in the project file "
                            "(the desktop app asks where it is)")


def load_source(src, *, project_path=None, study_areas: dict | None = None):
    """Load one boundary or record source and return ``(Layer, LoadResult)``.

    Parameters
    ----------
    src : BoundarySource or RecordSource
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
    for p in src.paths:
        if not Path(p).exists():
            raise _missing(src, Path(p), project_path)
    if isinstance(src, BoundarySource):
        from boundaries import load_boundaries

        result = load_boundaries(src.paths, code_field=src.code_field,
                                 name_field=src.name_field, **src.options)
        gdf = result.accepted
        for table in src.tables:
            gdf = _join_table(gdf, table, src, result)
        result.accepted = gdf
        style = LayerStyle.from_dict({**_BOUNDARY_STYLE, **src.style})
        meta = {"code_field": result.info.get("code_field") or src.code_field,
                "name_field": result.info.get("name_field") or src.name_field,
                "role": src.role}
        layer = Layer(src.name, gdf, kind="areas", style=style, visible=src.visible,
                      source={"boundaries": src.name}, meta=meta)
        return layer, result
    if isinstance(src, RecordSource):
        from layers.records import load_records

        opts = dict(src.options)
        area = opts.get("study_area")
        if isinstance(area, str):
            if not study_areas or area not in study_areas:
                raise ProjectError(f"layer '{src.name}': study_area '{area}' is not a boundary "
                                   "layer of this project", path=project_path,
                                   fix="name a [[boundaries]] layer, or remove study_area")
            opts["study_area"] = study_areas[area]
        result = load_records(src.paths, kind=src.kind, columns=src.columns or None, **opts)
        style = LayerStyle.from_dict({"marker_size": 8.0, "edgecolor": "none", **src.style})
        layer = Layer(src.name, result.accepted, kind="points", style=style,
                      visible=src.visible, source={"records": src.name},
                      meta={"record_kind": src.kind, "base_n": len(result.accepted)},
                      sensitive=src.is_sensitive, allow_raw_export=src.allow_raw_export)
        return layer, result
    if isinstance(src, BasemapSource):
        return basemap_layer(src), None
    raise TypeError(f"not a project source: {src!r}")


def basemap_layer(src) -> Layer:
    """The layer of a ``[[basemaps]]`` entry (drawn under everything, never exported)."""
    from layers.basemap import open_basemap

    bm = open_basemap(src.paths[0])
    style = LayerStyle.from_dict({**src.style, "opacity": src.opacity})
    return Layer(src.name, bm, kind="basemap", style=style, visible=src.visible,
                 source={"basemaps": src.name}, meta={"attribution": src.attribution})


def _join_table(gdf, table: dict, src, result):
    """Join an attribute table (CSV/XLSX keyed by area code) onto a boundary layer."""
    from boundaries import tables as _tables

    key = table.get("key")
    on = table.get("on") or result.info.get("code_field") or src.code_field
    opts = {k: v for k, v in table.items() if k not in ("path", "key", "on")}
    joined = _tables.join_attributes(gdf, table["path"], area_code=on, table_code=key, **opts)
    result.messages.extend(joined.messages)
    if joined.unmatched_areas:
        result.messages.append(f"{len(joined.unmatched_areas)} areas of '{src.name}' have no "
                               f"row in {table['path']}")
    return joined.data

class Workspace:
    """A project plus its loaded layers.

    Signals
    -------
    dirty_changed(bool)
        Emitted when the project gains or loses unsaved changes.
    """

    dirty_changed = Signal(bool)

    def __init__(self, project: Project | None = None):
        self.project = project or Project()
        self.layers = LayerStack()
        self.results: dict = {}
        self._dirty = False
        self.layers.inserted.connect(lambda *_: self.mark_dirty())
        self.layers.removed.connect(lambda *_: self.mark_dirty())
        self.layers.moved.connect(lambda *_: self.mark_dirty())
        self.layers.layer_changed.connect(lambda *_: self.mark_dirty())

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
        """Load every basemap, boundary then record source, bottom to top."""
        sources = [*self.project.basemaps, *self.project.boundaries, *self.project.records]
        areas = {}
        for i, src in enumerate(sources):
            if cancelled and cancelled():
                return
            if progress:
                progress(i / max(len(sources), 1), f"Loading {src.name}")
            layer, result = load_source(src, project_path=self.project.path, study_areas=areas)
            if result is not None:  # a basemap has no rows
                self.results[src.name] = result
            if isinstance(src, BoundarySource):
                areas[src.name] = layer.data
            if src.name in self.layers:
                self.layers.remove(src.name)
            self.layers.append(layer)
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
        return self.project

    def save(self, path=None) -> Path:
        """Save the project file (atomically) and clear the dirty flag."""
        path = self.sync_project().save(path)
        self.mark_dirty(False)
        return path
