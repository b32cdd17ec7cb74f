"""Area boundaries, lookups, population and deprivation (Qt-free).

Public names load their module on first use (PEP 562), so importing one module
such as :mod:`boundaries.workspace` does not pull in every reader.
"""

from __future__ import annotations

from layers.common.lazy import lazy_exports

#: module -> public names it provides
_EXPORTS: dict[str, list[str]] = {
    "boundaries.io": ["load_boundaries", "WORKING_CRS"],
    # ingest: code detection, attribute tables, aggregation (issue 3)
    "boundaries.aggregate": ["aggregate_areas", "assign_areas", "best_fit_lookup"],
    "boundaries.detect": ["area_level", "detect_code_field", "detect_name_field"],
    "boundaries.tables": ["join_attributes", "read_attribute_table"],
    # deprivation and population (issue 5)
    "boundaries.deprivation": ["read_imd", "crosswalk_imd", "deprivation_flags",
                               "local_quintiles"],
    "boundaries.wards": ["ward_deprivation", "national_cutoffs"],
    "boundaries.population": ["read_population", "area_origins"],
}
__getattr__, __dir__, __all__ = lazy_exports("boundaries", globals(), _EXPORTS)
