"""Record layers and the Qt-free document model (project, layer stack, layer)."""

from layers.errors import AnalysisError, HotmapError, InputError, ProjectError
from layers.ingest_postcodes import load_postcode_table, normalise_postcodes
from layers.ingest_readers import read_table, sniff_format
from layers.ingest_schemas import RECORD_KINDS, map_columns
from layers.records import load_records
from layers.logs import configure_logging, redact
from layers.result import LoadResult

__all__ = ["HotmapError", "InputError", "ProjectError", "AnalysisError", "LoadResult",
           "load_records", "load_postcode_table", "normalise_postcodes", "RECORD_KINDS",
           "read_table", "sniff_format", "map_columns", "configure_logging", "redact"]
