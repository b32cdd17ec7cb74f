"""Record kinds, their canonical columns, and automatic column mapping.

``RECORD_KINDS`` is the name-keyed registry the GUI and project file use.  Each
kind lists its canonical columns with the common spellings they are matched
from; :func:`map_columns` applies it to a file's header, and a user mapping
(``columns=`` in :func:`layers.records.load_records`) always wins.
"""

from __future__ import annotations

import re

from layers.common.errors import InputError

__all__ = ["RECORD_KINDS", "COORD_ALIASES", "ID_ALIASES", "map_columns", "norm_name",
           "DATE_FIELDS", "NUMERIC_FIELDS"]


def norm_name(name) -> str:
    """Normalise a header for matching: lower case, alphanumerics joined by ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


#: Coordinate and key columns shared by every kind (canonical -> spellings).
COORD_ALIASES = {
    "x": ["easting", "eastings", "east", "x", "x_coord", "xcoord", "x_coordinate", "bng_x",
          "os_easting", "bng_easting", "ea", "grid_easting", "point_x", "e"],
    "y": ["northing", "northings", "north", "y", "y_coord", "ycoord", "y_coordinate", "bng_y",
          "os_northing", "bng_northing", "no", "grid_northing", "point_y", "n"],
    "lon": ["longitude", "lon", "long", "lng", "x_wgs84", "wgs84_longitude", "lon_wgs84"],
    "lat": ["latitude", "lat", "y_wgs84", "wgs84_latitude", "lat_wgs84"],
    "postcode": ["postcode", "post_code", "postal_code", "pcd", "pcds", "pcd2", "pc", "pcode",
                 "postcode_of_incident", "location_postcode"],
    "id": ["id", "crime_id", "record_id", "reference", "ref", "incident_id", "urn",
           "crime_reference", "crime_ref", "occurrence_id", "case_id"],
}

_DATE = ["date", "incident_date", "date_of_incident", "occurred", "occurred_date",
         "date_occurred", "offence_date", "date_of_offence", "committed_date", "event_date",
         "arrest_date", "date_of_arrest", "month", "recorded_date", "date_recorded",
         "seizure_date", "date_of_seizure", "report_date", "date_reported", "reported_date"]

#: kind -> canonical -> spellings.  ``date`` is always present.
RECORD_KINDS = {
    "generic": {"date": _DATE},
    "police_uk": {"date": ["month"]},
    "stop_search": {"date": ["date"]},
    "arrests": {
        "date": _DATE,
        "offence": ["offence", "offence_type", "offence_description", "offence_desc",
                    "crime_type", "charge", "offence_group", "crime", "ho_offence"],
        "drug_class": ["drug_class", "class", "drug_classification", "class_of_drug"],
        "age": ["age", "age_at_arrest", "age_years", "age_at_offence"],
        "age_band": ["age_band", "age_group", "ageband", "age_range"],
        "gender": ["gender", "sex"],
        "ethnicity": ["ethnicity", "ethnic_group", "self_defined_ethnicity",
                      "officer_defined_ethnicity", "ethnic_origin", "ethnic_appearance"],
    },
    "needles": {
        "reported_at": ["reported_at", "reported", "date_reported", "report_date",
                        "reported_date", "date_found", "found", "found_at", "date_time_reported",
                        "date"],
        "collected_at": ["collected_at", "collected", "date_collected", "collection_date",
                         "collected_date", "date_time_collected", "cleared", "date_cleared"],
        "quantity": ["quantity", "qty", "number", "count", "needles", "number_of_needles",
                     "no_of_needles", "items", "number_found"],
    },
    "crack_houses": {
        "opened": ["opened", "date_opened", "open_date", "identified", "date_identified",
                   "first_reported", "date"],
        "closure_order": ["closure_order", "closure_order_date", "closure_date", "closed",
                          "date_closed", "closure"],
        "reopened": ["reopened", "reopen_date", "date_reopened", "re_opened"],
        "status": ["status", "current_status", "state"],
    },
    "services": {
        "name": ["name", "service_name", "organisation_name", "provider", "site_name",
                 "premises_name", "pharmacy_name"],
        "type": ["type", "service_type", "category", "provision", "service"],
        "capacity": ["capacity", "places", "slots", "caseload", "beds"],
        "date": ["date", "opened", "open_date", "date_opened"],
    },
    "seizures": {
        "date": _DATE,
        "drug": ["drug", "drug_type", "substance", "drug_name", "drug_seized"],
        "quantity": ["quantity", "qty", "number", "count", "items", "units"],
        "weight": ["weight", "weight_g", "weight_grams", "grams", "weight_kg", "mass"],
    },
}
RECORD_KINDS["offences"] = RECORD_KINDS["arrests"]

#: kind -> spellings of its own id column, tried before the generic ``id`` spellings, so
#: that repeated ids are rejected (``duplicate id``) without the user mapping ``id``.
ID_ALIASES = {
    "arrests": ["arrest_id", "arrest_ref", "arrest_reference", "arrest_number", "arrest_no",
                "custody_id", "custody_number", "custody_ref", "custody_record_number",
                "offence_id", "offender_arrest_id"],
    "needles": ["find_id", "finding_id", "needle_id", "report_id", "report_ref",
                "report_number", "job_id", "job_number", "job_ref"],
    "crack_houses": ["premises_id", "property_id", "closure_id", "crack_house_id", "site_id",
                     "case_ref", "case_number"],
    "services": ["service_id", "site_id", "ods_code", "organisation_code", "org_code",
                 "provider_id", "premises_id"],
    "seizures": ["seizure_id", "seizure_ref", "seizure_number", "exhibit_id", "exhibit_ref",
                 "exhibit_number", "property_ref"],
}
ID_ALIASES["offences"] = ID_ALIASES["arrests"]

#: Canonical columns parsed as dates (datetime64) per kind.
DATE_FIELDS = {"date", "reported_at", "collected_at", "opened", "closure_order", "reopened"}
#: Canonical columns parsed as numbers.
NUMERIC_FIELDS = {"quantity", "weight", "capacity", "age"}


def map_columns(columns, kind="generic", overrides=None, path=None, id_kind=None) -> dict:
    """Map canonical names to the file's columns.

    Parameters
    ----------
    columns : list of str
        The file's column names.
    kind : str
        A key of :data:`RECORD_KINDS`.
    overrides : dict, optional
        ``{canonical: file_column}`` chosen by the user; they win over detection.
        A value of ``None`` or ``""`` switches a canonical field off.
    path : str, optional
        For error messages.
    id_kind : str, optional
        The kind whose id spellings (:data:`ID_ALIASES`) are tried first for ``id``
        (default ``kind``; a police.uk file read as ``arrests`` still finds
        ``Crime ID``).

    Returns
    -------
    dict
        ``{canonical: file_column}`` for every field found.

    Raises
    ------
    InputError
        Unknown kind, or an override naming a column the file does not have.
    """
    if kind not in RECORD_KINDS:
        raise InputError(f"unknown record kind {kind!r}", path=path,
                         fix=f"use one of {', '.join(sorted(RECORD_KINDS))}")
    cols = [str(c) for c in columns]
    by_norm = {}
    for c in cols:
        by_norm.setdefault(norm_name(c), c)
    mapping, used = {}, set()
    overrides = dict(overrides or {})
    for canon, col in overrides.items():
        if col in (None, ""):
            continue
        if col not in cols:
            alt = by_norm.get(norm_name(col))
            if alt is None:
                raise InputError(f"the column mapping names {col!r} for {canon!r} but the file "
                                 f"has no such column (it has: {', '.join(cols[:30])})",
                                 path=path, column=col,
                                 fix="correct the name in the column mapping")
            col = alt
        mapping[canon] = col
        used.add(col)
    table = dict(COORD_ALIASES)
    table["id"] = ID_ALIASES.get(id_kind or kind, []) + COORD_ALIASES["id"]
    table.update(RECORD_KINDS[kind])
    for canon, aliases in table.items():
        if canon in mapping or canon in overrides:
            continue
        for a in [canon] + aliases:
            col = by_norm.get(a)
            if col is not None and col not in used:
                # a single-letter or two-letter alias only counts as an exact header
                if len(a) <= 2 and norm_name(col) != a:
                    continue
                mapping[canon] = col
                used.add(col)
                break
    if "date" not in mapping:
        for k in ("reported_at", "opened"):
            if k in mapping:
                mapping["date"] = mapping[k]
                break
    return mapping
