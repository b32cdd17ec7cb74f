"""Record layers and the Qt-free document model (project, layer stack, layer).

Public names load their module on first use (PEP 562), so importing one small
module such as :mod:`layers.errors` does not pull in pandas or the readers.
"""

from __future__ import annotations

import importlib

#: module -> public names it provides
_EXPORTS: dict[str, list[str]] = {
    "layers.errors": ["AnalysisError", "HotmapError", "InputError", "ProjectError"],
    "layers.ingest_postcodes": ["load_postcode_table", "normalise_postcodes"],
    "layers.ingest_readers": ["read_table", "sniff_format"],
    "layers.ingest_schemas": ["RECORD_KINDS", "map_columns"],
    "layers.records": ["load_records"],
    "layers.logs": ["configure_logging", "redact"],
    "layers.result": ["LoadResult"],
    "layers.points": ["points_xy", "as_geodataframe"],
}
_WHERE = {name: mod for mod, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'layers' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
