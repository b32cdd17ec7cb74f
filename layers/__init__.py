"""Record layers and the Qt-free document model (project, layer stack, layer).

Public names load their module on first use (PEP 562), so importing one small
module such as :mod:`layers.common.errors` does not pull in pandas or the readers.
"""

from __future__ import annotations

from layers.common.lazy import lazy_exports

#: module -> public names it provides
_EXPORTS: dict[str, list[str]] = {
    "layers.common.errors": ["AnalysisError", "HotmapError", "InputError", "ProjectError"],
    "layers.ingest.postcodes": ["load_postcode_table", "normalise_postcodes"],
    "layers.ingest.readers": ["read_table", "sniff_format"],
    "layers.ingest.schemas": ["RECORD_KINDS", "map_columns"],
    "layers.records": ["load_records", "iter_records"],
    "layers.common.logs": ["configure_logging", "redact"],
    "layers.result": ["LoadResult"],
    "layers.points": ["points_xy", "as_geodataframe"],
}
__getattr__, __dir__, __all__ = lazy_exports("layers", globals(), _EXPORTS)
