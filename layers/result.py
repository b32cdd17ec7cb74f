"""The loader contract: what was accepted, what was rejected, and why.

Every loader in hotmap returns a :class:`LoadResult`.  ``rows_read`` always
equals ``len(accepted) + len(rejected)``; :meth:`LoadResult.check` enforces it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from layers.common.atomic import atomic_write_path

if TYPE_CHECKING:  # geopandas is imported only by the loaders that build geometries
    import geopandas as gpd

__all__ = ["LoadResult", "REJECT_COLUMNS", "empty_rejected"]

#: Columns every rejected table starts with; the original row's fields follow.
REJECT_COLUMNS = ["source_file", "source_row", "reason", "detail"]


def empty_rejected() -> pd.DataFrame:
    """Return an empty rejected-rows table with the standard columns."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS})


@dataclass
class LoadResult:
    """Accepted features, rejected rows with reasons, and messages.

    Attributes
    ----------
    accepted : GeoDataFrame
        Accepted records or areas in EPSG:27700 (a coordinate-only DataFrame for
        ``load_records(..., geometry=False)``).  Record layers carry
        ``source_file`` and ``source_row`` (1-based data row) columns.
    rejected : DataFrame
        One row per rejected input row: ``source_file``, ``source_row``,
        ``reason`` (a short fixed vocabulary, e.g. ``"no coordinates"``),
        ``detail`` (free text), then the original fields as text.
    rows_read : int
        Data rows read from all files (headers excluded).
    messages : list of str
        Warnings and notes for the user (e.g. "12 invalid polygons repaired").
    info : dict
        Detected format, CRS, column mapping, per-file counts, time span.
    """

    accepted: gpd.GeoDataFrame | pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=empty_rejected)
    rows_read: int = 0
    messages: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)

    def check(self) -> "LoadResult":
        """Raise ``AssertionError`` unless accepted + rejected == rows read."""
        n = len(self.accepted) + len(self.rejected)
        if n != self.rows_read:
            raise AssertionError(
                f"reconciliation failed: {len(self.accepted)} accepted + "
                f"{len(self.rejected)} rejected != {self.rows_read} read"
            )
        return self

    def reject_counts(self) -> pd.Series:
        """Rejected rows counted by reason, most frequent first."""
        if self.rejected.empty:
            return pd.Series(dtype="int64", name="count")
        return self.rejected["reason"].value_counts().rename("count")

    def write_rejected(self, path: str | Path) -> Path:
        """Write the rejected rows to CSV (UTF-8) and return the path."""
        path = Path(path)
        with atomic_write_path(path) as tmp:
            self.rejected.to_csv(tmp, index=False)
        return path
