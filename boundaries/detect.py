"""Detect ONS area code and name fields (``LSOA11CD``/``LSOA11NM``, ``WD13CD``, ``LAD19CD`` ...).

A field is a *code field* when its name follows the ONS pattern
``<LEVEL><YY>CD`` (or is called ``code``, ``lsoa_code``, ``area_code`` ...) and
its values look like GSS codes (``E01014485``: a letter and eight digits).
When several qualify (a lookup with LSOA and LAD codes), the one with the most
distinct values (the finest level) wins.  The name field shares the code
field's prefix with ``NM`` (``LSOA11NM``) or is called ``name``.
:func:`level_title` names a boundary layer for legends and titles
("LSOAs (2011)", "Wards (2013)") from its code field, or from the GSS entity
codes of its values when the field name says nothing ("code").
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["detect_code_field", "detect_name_field", "area_level", "level_title", "role_title",
           "GSS_CODE"]

#: A GSS (ONS) area code: country letter, 2-digit entity, 6-digit instance.
GSS_CODE = re.compile(r"^[EWSNKLM]\d{8}$")
_CODE_NAME = re.compile(r"^([A-Za-z]+)(\d{2,4})?(CD|_CODE|CODE)$", re.IGNORECASE)
_GENERIC = ("code", "area_code", "areacode", "geography_code", "gss_code", "lsoa", "msoa",
            "lsoa_code", "msoa_code", "ward_code", "oa_code", "lad_code", "geo_code",
            "lsoa11cd", "lsoa21cd")
_LEVELS = {"LSOA": "LSOA", "MSOA": "MSOA", "OA": "OA", "WD": "ward", "WARD": "ward",
           "LAD": "local authority", "LA": "local authority", "CTY": "county",
           "CSP": "community safety partnership", "PFA": "police force area",
           "CTRY": "country", "RGN": "region", "PCON": "constituency", "UTLA": "local authority",
           "LTLA": "local authority", "CCG": "CCG"}


def _gss_share(s: pd.Series) -> float:
    sample = s.dropna().iloc[:2000].astype(str).str.strip()  # sample first: same answer
    if len(sample) == 0:
        return 0.0
    return float(sample.str.match(GSS_CODE).mean())


def detect_code_field(frame: pd.DataFrame) -> str | None:
    """Return the most likely area code field of ``frame``, or None.

    Parameters
    ----------
    frame : DataFrame
        Attribute table or boundary layer.

    Examples
    --------
    >>> import pandas as pd
    >>> detect_code_field(pd.DataFrame({"LSOA11CD": ["E01014485"], "LSOA11NM": ["Bristol 001A"]}))
    'LSOA11CD'
    """
    cands = []
    for c in frame.columns:
        if c == "geometry":
            continue
        name = str(c)
        named = bool(_CODE_NAME.match(name)) or name.strip().lower() in _GENERIC
        share = _gss_share(frame[c]) if frame[c].dtype == object or \
            pd.api.types.is_string_dtype(frame[c]) else 0.0
        if named or share > 0.9:
            score = (share > 0.9) * 2 + named
            cands.append((score, frame[c].nunique(dropna=True), name))
    if not cands:
        return None
    cands.sort(key=lambda t: (t[0], t[1]), reverse=True)
    return cands[0][2]


def detect_name_field(frame: pd.DataFrame, code_field: str | None = None) -> str | None:
    """Return the name field matching ``code_field`` (``LSOA11CD`` -> ``LSOA11NM``), or None."""
    cols = [str(c) for c in frame.columns]
    if code_field:
        m = re.match(r"^(.*?)(CD|_CODE|CODE)$", code_field, re.IGNORECASE)
        if m:
            for suffix in ("NM", "NMW", "_NAME", "NAME", "nm", "_name", "name"):
                cand = m.group(1) + suffix
                for c in cols:
                    if c.lower() == cand.lower():
                        return c
    for c in cols:
        if re.match(r"^[A-Za-z]+\d{2,4}NM$", c, re.IGNORECASE):
            return c
    for c in cols:
        if c.strip().lower() in ("name", "area_name", "areaname", "lsoa_name", "ward_name"):
            return c
    return None


def area_level(code_field: str | None) -> str | None:
    """Name the geography level of a code field (``WD13CD`` -> ``'ward'``)."""
    if not code_field:
        return None
    m = re.match(r"^([A-Za-z]+?)(\d{2,4})?(CD|_CODE|CODE)$", code_field, re.IGNORECASE)
    prefix = (m.group(1) if m else code_field).upper().rstrip("_")
    return _LEVELS.get(prefix)


_TITLES = {"LSOA": "LSOAs", "MSOA": "MSOAs", "OA": "Output areas", "WD": "Wards",
           "WARD": "Wards", "LAD": "Local authority districts", "LA": "Local authorities",
           "UTLA": "Upper-tier local authorities", "LTLA": "Lower-tier local authorities",
           "CTY": "Counties", "CSP": "Community safety partnerships",
           "PFA": "Police force areas", "CTRY": "Countries", "RGN": "Regions",
           "PCON": "Parliamentary constituencies", "CCG": "Clinical commissioning groups",
           "ICB": "Integrated care boards", "BUA": "Built-up areas"}
#: GSS entity code (first three characters) -> level, for fields named only "code".
_ENTITIES = {"E00": "OA", "W00": "OA", "E01": "LSOA", "W01": "LSOA", "E02": "MSOA",
             "W02": "MSOA", "E05": "WD", "W05": "WD", "E06": "LAD", "E07": "LAD",
             "E08": "LAD", "E09": "LAD", "W06": "LAD", "E10": "CTY", "E22": "CSP",
             "W22": "CSP", "E23": "PFA", "W15": "PFA", "E12": "RGN", "E14": "PCON",
             "W07": "PCON"}


def level_title(code_field: str | None, codes=None) -> str | None:
    """A human name for a boundary layer: ``LSOA11CD`` -> ``'LSOAs (2011)'``.

    Parameters
    ----------
    code_field : str or None
        The layer's code field (``LSOA11CD``, ``WD13CD``, ``LAD21CD`` ...); its
        two- or four-digit year becomes the vintage in brackets.
    codes : iterable of str, optional
        The layer's codes; when the field name names no level (``code``), the
        GSS entity of the codes does (``E01...`` LSOAs, ``E05...`` wards), with
        no year.

    Returns
    -------
    str or None
        None when neither says what the areas are.

    Examples
    --------
    >>> level_title("LSOA11CD"), level_title("WD13CD"), level_title("LAD21CD")
    ('LSOAs (2011)', 'Wards (2013)', 'Local authority districts (2021)')
    >>> level_title("code", ["E05001234", "E05001235"])
    'Wards'
    """
    prefix, year = None, None
    if code_field:
        m = re.match(r"^([A-Za-z]+?)(\d{2}|\d{4})?(CD|_CODE|CODE)$", str(code_field),
                     re.IGNORECASE)
        if m:
            prefix = m.group(1).upper().rstrip("_")
            if m.group(2):
                y = int(m.group(2))
                year = y if y > 999 else 2000 + y if y < 70 else 1900 + y
    if prefix not in _TITLES and codes is not None:
        ent = pd.Series(list(codes)[:2000], dtype=object).dropna().astype(str).str.strip()
        ent = ent[ent.str.match(GSS_CODE)].str[:3]
        if len(ent):
            top = ent.value_counts()
            if top.iloc[0] >= 0.9 * len(ent):
                prefix, year = _ENTITIES.get(top.index[0]), None
    title = _TITLES.get(prefix or "")
    if title is None:
        return None
    return f"{title} ({year})" if year else title


#: A project's declared role (``role = "district"``) -> level, beside the code prefixes.
_ROLES = {"DISTRICT": "LAD", "LOCAL_AUTHORITY": "LA", "COUNTY": "CTY", "REGION": "RGN",
          "OUTPUT_AREA": "OA", "FORCE": "PFA", "POLICE_FORCE_AREA": "PFA",
          "CONSTITUENCY": "PCON"}


def role_title(role: str | None) -> str | None:
    """A human name for a boundary layer from the role its project declares.

    For boundaries whose code field and codes name no ONS level (a fictional or
    local geography), ``role = "lsoa"`` still gives ``'LSOAs'`` rather than the
    layer's file name.

    >>> role_title("lsoa"), role_title("ward"), role_title("district"), role_title("beat")
    ('LSOAs', 'Wards', 'Local authority districts', None)
    """
    key = str(role or "").strip().upper().replace(" ", "_").replace("-", "_")
    return _TITLES.get(_ROLES.get(key, key)) if key else None
