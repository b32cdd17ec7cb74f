"""Area boundaries, lookups, population and deprivation (Qt-free)."""

from boundaries.io import WORKING_CRS, load_boundaries

__all__ = ["load_boundaries", "WORKING_CRS"]

# ingest: code detection, attribute tables, aggregation (issue 3)
from boundaries.aggregate import aggregate_areas, assign_areas, best_fit_lookup  # noqa: E402
from boundaries.detect import area_level, detect_code_field, detect_name_field  # noqa: E402
from boundaries.tables import join_attributes, read_attribute_table  # noqa: E402

__all__ += ["aggregate_areas", "assign_areas", "best_fit_lookup", "area_level",
            "detect_code_field", "detect_name_field", "join_attributes", "read_attribute_table"]

# deprivation and population (issue 5)
from boundaries.deprivation import (  # noqa: E402
    crosswalk_imd, deprivation_flags, local_quintiles, read_imd)
from boundaries.wards import national_cutoffs, ward_deprivation  # noqa: E402
from boundaries.population import area_origins, read_population  # noqa: E402

__all__ += ["read_imd", "crosswalk_imd", "deprivation_flags", "local_quintiles",
            "ward_deprivation", "national_cutoffs", "read_population", "area_origins"]
