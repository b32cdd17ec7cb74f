"""data.police.uk street-level crime CSVs, recognised by their header.

Canonical columns added: ``crime_id``, ``crime_type``, ``last_outcome``,
``lsoa_code``, ``lsoa_name``, ``is_asb`` (no Crime ID: anti-social behaviour),
``period`` (the ``Month`` text, e.g. ``"2019-01"``) and ``date`` (the first
day of that month).  Rows without coordinates are rejected with the reason
``"no location published"`` (police.uk withholds locations for some crimes).
"""

from __future__ import annotations

import pandas as pd

from layers.ingest_schemas import norm_name

__all__ = ["is_police_uk", "police_uk_columns", "POLICE_UK_HEADER"]

#: Normalised header fields that identify a police.uk street or stop file.
POLICE_UK_HEADER = {"crime_id", "month", "longitude", "latitude", "lsoa_code", "crime_type"}

_CANON = {
    "crime_id": "crime_id",
    "crime_type": "crime_type",
    "last_outcome_category": "last_outcome",
    "outcome_type": "last_outcome",
    "lsoa_code": "lsoa_code",
    "lsoa_name": "lsoa_name",
}


def is_police_uk(columns) -> bool:
    """True if the header is a data.police.uk street (or outcomes) CSV header."""
    norm = {norm_name(c) for c in columns}
    return POLICE_UK_HEADER <= norm or {"crime_id", "month", "longitude", "latitude",
                                        "lsoa_code", "outcome_type"} <= norm


def police_uk_columns(frame: pd.DataFrame) -> dict:
    """Return the police.uk canonical columns for ``frame`` (same index).

    Returns
    -------
    dict
        ``{canonical: Series}`` plus ``"_mapping"`` -> ``{canonical: source column}``.
    """
    by = {norm_name(c): c for c in frame.columns}
    out, mapping = {}, {}
    for src, canon in _CANON.items():
        if src in by and canon not in out:
            out[canon] = frame[by[src]]
            mapping[canon] = by[src]
    for canon in ("crime_id", "crime_type", "last_outcome", "lsoa_code", "lsoa_name"):
        if canon not in out:
            out[canon] = pd.Series(None, index=frame.index, dtype=object)
    cid = out["crime_id"]
    out["is_asb"] = pd.Series(cid.isna().to_numpy() | (cid == "").to_numpy(dtype=bool),
                              index=frame.index)
    month = frame[by["month"]]
    out["period"] = month
    mapping["period"] = by["month"]
    mapping["date"] = by["month"]
    mapping["lon"] = by["longitude"]
    mapping["lat"] = by["latitude"]
    out["_mapping"] = mapping
    return out

