"""hotmap analysis, rendering and export (Qt-free).

Public functions are re-exported here; each block is added by the module's owner.
"""

__all__: list[str] = []

# filters: safe filter expressions (issue 9)
from mapping.filters import apply_filter, filter_columns, filter_mask, parse_filter  # noqa: E402

__all__ += ["apply_filter", "filter_mask", "parse_filter", "filter_columns"]
