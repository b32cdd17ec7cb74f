"""Area boundaries, lookups, population and deprivation (Qt-free)."""

from boundaries.io import WORKING_CRS, load_boundaries

__all__ = ["load_boundaries", "WORKING_CRS"]
