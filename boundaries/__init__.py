"""Area boundaries, lookups, population and deprivation (Qt-free)."""

from boundaries.io import WORKING_CRS, load_boundaries

__all__ = ["load_boundaries", "WORKING_CRS"]

# deprivation and population (issue 5)
from boundaries.deprivation import (  # noqa: E402
    crosswalk_imd, deprivation_flags, local_quintiles, read_imd, ward_deprivation)
from boundaries.population import area_origins, read_population  # noqa: E402

__all__ += ["read_imd", "crosswalk_imd", "deprivation_flags", "local_quintiles",
            "ward_deprivation", "read_population", "area_origins"]
