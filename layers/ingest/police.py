"""data.police.uk street-level crime and stop-and-search CSVs, recognised by their header.

Street-level crime: canonical columns added: ``crime_id``, ``crime_type``, ``last_outcome``,
``lsoa_code``, ``lsoa_name``, ``is_asb`` (no Crime ID: anti-social behaviour),
``period`` (the ``Month`` text, e.g. ``"2019-01"``) and ``date`` (the first
day of that month).  Rows without coordinates are rejected with the reason
``"no location published"`` (police.uk withholds locations for some crimes).

Stop and search (``*-stop-and-search.csv``): canonical columns ``date`` (the
search's date and time, UK clock), ``search_type``, ``gender``, ``age_band``
(police.uk's ranges: under 10, 10-17, 18-24, 25-34, over 34), ``ethnicity``
(self-defined, the 2011 Census categories), ``ethnic_group`` (its broad group:
Asian, Black, Mixed, White, Other, or blank when not stated), ``officer_ethnicity``
(officer-defined), ``legislation``, ``object_of_search``, ``outcome`` and
``outcome_linked``.  Searches without coordinates are rejected as ``"no location
published"``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.ingest.schemas import norm_name

__all__ = ["is_police_uk", "police_uk_columns", "POLICE_UK_HEADER", "is_stop_search",
           "stop_search_columns", "STOP_SEARCH_HEADER"]

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



#: Normalised header fields that identify a police.uk stop-and-search file.
STOP_SEARCH_HEADER = {"type", "date", "latitude", "longitude", "gender", "age_range",
                      "officer_defined_ethnicity", "object_of_search", "outcome"}

_STOP_CANON = {
    "date": "date",
    "type": "search_type",
    "gender": "gender",
    "age_range": "age_band",
    "self_defined_ethnicity": "ethnicity",
    "officer_defined_ethnicity": "officer_ethnicity",
    "legislation": "legislation",
    "object_of_search": "object_of_search",
    "outcome": "outcome",
    "outcome_linked_to_object_of_search": "outcome_linked",
}

#: Broad ethnic group from the start of a self-defined (2011 Census) category.
_BROAD = {"white": "White", "black": "Black", "asian": "Asian", "mixed": "Mixed",
          "other ethnic group": "Other"}


def is_stop_search(columns) -> bool:
    """True if the header is a data.police.uk stop-and-search CSV header."""
    return STOP_SEARCH_HEADER <= {norm_name(c) for c in columns}


def broad_ethnic_group(values: pd.Series) -> pd.Series:
    """The five broad groups of self-defined ethnicity; "not stated" and blanks give None.

    >>> broad_ethnic_group(pd.Series(["Black/African/Caribbean/Black British - African",
    ...                               "Other ethnic group - Not stated"])).tolist()
    ['Black', None]
    """
    low = values.astype(object).where(values.notna(), "").map(lambda v: str(v).strip().lower())
    out = np.full(len(values), None, dtype=object)
    for prefix, group in _BROAD.items():
        out[low.str.startswith(prefix).to_numpy() & pd.isna(out)] = group
    out[low.str.contains("not stated", regex=False).to_numpy()] = None
    return pd.Series(out, index=values.index, dtype=object)


def stop_search_columns(frame: pd.DataFrame) -> dict:
    """Canonical stop-and-search columns for ``frame`` (same index), as
    :func:`police_uk_columns`: ``{canonical: Series}`` plus ``"_mapping"``."""
    by = {norm_name(c): c for c in frame.columns}
    out, mapping = {}, {}
    for src, canon in _STOP_CANON.items():
        if src in by:
            mapping[canon] = by[src]
            if canon != "date":  # dates are parsed by the loader
                out[canon] = frame[by[src]]
    if "ethnicity" in out:
        out["ethnic_group"] = broad_ethnic_group(out["ethnicity"])
    mapping["lon"] = by["longitude"]
    mapping["lat"] = by["latitude"]
    out["_mapping"] = mapping
    return out
