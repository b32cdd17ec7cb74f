"""The class columns of the local statistics: Gi* confidence bins and LISA quadrants.

:func:`mapping.stats.gistar.hotspot_gistar` writes ``gi_bin`` and ``gi_sig``,
:func:`mapping.stats.lisa.hotspot_lisa` writes ``lisa_quadrant``, ``lisa_cluster``,
``lisa_sig`` (and ``lisa_q``).  They are bands, not counts: disclosure control
publishes them except where they would narrow a suppressed count, and the renderer
labels a withheld class as protecting one.  :data:`CLASS_COLUMN_RE` and
:func:`is_class_column` say which columns they are, in one place.
"""

from __future__ import annotations

import re

__all__ = ["CLASS_COLUMNS", "CLASS_COLUMN_RE", "is_class_column"]

#: The class columns of the local statistics (Gi* bins, LISA quadrants and flags).
CLASS_COLUMNS = ("gi_bin", "gi_sig", "lisa_quadrant", "lisa_cluster", "lisa_sig", "lisa_q")
#: Matches a class column's name, in any case.
CLASS_COLUMN_RE = re.compile(r"^(" + "|".join(CLASS_COLUMNS) + r")$", re.IGNORECASE)


def is_class_column(name) -> bool:
    """True when ``name`` is a class column of a local statistic (any case).

    Examples
    --------
    >>> is_class_column("GI_BIN"), is_class_column("gi_z")
    (True, False)
    """
    return bool(CLASS_COLUMN_RE.match(str(name)))
