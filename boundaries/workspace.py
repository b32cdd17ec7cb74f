"""The workspace that loads every kind of project source, boundaries included.

:mod:`layers.workspace` holds the :class:`~layers.workspace.Workspace` (a
project, its loaded layer stack and load results) and loads record, table and
basemap sources; it cannot load boundary layers or tables keyed by area code,
because :mod:`boundaries` sits above :mod:`layers`.  This module adds them:

load_source
    Load any one project source as ``(Layer, LoadResult)``.
boundary_layer
    A ``[[boundaries]]`` entry as an area layer, its attribute tables joined.
Workspace
    :class:`layers.workspace.Workspace` loading through :func:`load_source`;
    the one the desktop app and ``hotmap run`` open.
"""

from __future__ import annotations

from layers.licences import declared_licences, detect_boundary_licences, detect_table_licences
from layers.model import Layer
from layers.project import BoundarySource, TableSource
from layers.style import LayerStyle
from layers.workspace import Workspace as _DocumentWorkspace
from layers.workspace import check_paths, table_layer
from layers.workspace import load_source as _load_other_source

# boundaries.io and boundaries.tables (and the readers under them) are imported where they
# are used: the command line imports this module at start-up (through
# mapping.pipeline.runner) and most verbs never load a boundary.

__all__ = ["Workspace", "load_source", "boundary_layer"]

_BOUNDARY_STYLE = dict(color="#f0f0f0", edgecolor="#636363", linewidth=0.5, opacity=0.6)


def load_source(src, *, project_path=None, study_areas: dict | None = None):
    """Load one boundary, record, table or basemap source and return ``(Layer, LoadResult)``.

    Parameters
    ----------
    src : BoundarySource, RecordSource, TableSource or BasemapSource
        The project entry.
    project_path : Path, optional
        For error messages.
    study_areas : dict, optional
        Loaded boundary GeoDataFrames by name, for a record source's
        ``options.study_area`` (the name of a boundary layer).

    Returns
    -------
    (Layer, LoadResult or None)
        A basemap has no LoadResult.

    Raises
    ------
    ProjectError
        If a file is missing; InputError from the loaders for bad content.
    """
    if isinstance(src, BoundarySource):
        check_paths(src, project_path)
        return boundary_layer(src)
    if isinstance(src, TableSource):
        from boundaries.tables import read_attribute_table  # start-up time: see the imports

        check_paths(src, project_path)
        return table_layer(src, attribute_table=read_attribute_table)
    return _load_other_source(src, project_path=project_path, study_areas=study_areas)


def boundary_layer(src):
    """A ``[[boundaries]]`` entry as an ``areas`` layer and its LoadResult."""
    from boundaries.io import load_boundaries  # start-up time: see the imports

    result = load_boundaries(src.paths, code_field=src.code_field,
                             name_field=src.name_field, **src.options)
    gdf = result.accepted
    for table in src.tables:
        gdf = _join_table(gdf, table, src, result)
    result.accepted = gdf
    style = LayerStyle.from_dict({**_BOUNDARY_STYLE, **src.style})
    code = result.info.get("code_field") or src.code_field
    meta = {"code_field": code,
            "name_field": result.info.get("name_field") or src.name_field,
            "role": src.role,
            "attribution": declared_licences(src.attribution) or list(dict.fromkeys(
                detect_boundary_licences(gdf, code)
                + [k for t in src.tables for k in detect_table_licences(t["path"])]))}
    layer = Layer(src.name, gdf, kind="areas", style=style, visible=src.visible,
                  source={"boundaries": src.name}, meta=meta)
    return layer, result


def _join_table(gdf, table: dict, src, result):
    """Join an attribute table (CSV/XLSX keyed by area code) onto a boundary layer."""
    from boundaries.tables import join_attributes  # start-up time: see the imports

    key = table.get("key")
    on = table.get("on") or result.info.get("code_field") or src.code_field
    opts = {k: v for k, v in table.items() if k not in ("path", "key", "on")}
    joined = join_attributes(gdf, table["path"], area_code=on, table_code=key, **opts)
    result.messages.extend(joined.messages)
    if joined.unmatched_areas:
        result.messages.append(f"{len(joined.unmatched_areas)} areas of '{src.name}' have no "
                               f"row in {table['path']}")
    return joined.data


class Workspace(_DocumentWorkspace):
    """A project plus its loaded layers, loading every kind of source.

    See :class:`layers.workspace.Workspace`; this one loads through
    :func:`load_source`, so boundary layers and keyed tables load too.
    """

    loader = staticmethod(load_source)
