"""Attribute tables keyed by area code (population, IMD, anything) and joining them to areas.

:func:`read_attribute_table` reads a CSV/XLSX, converts numeric columns
(accepting thousands separators such as ``"1,954"``), and drops summary rows
(``Grand Total``, ``Total``) with a note.  :func:`join_attributes` joins it to
a boundary layer by code and reports unmatched codes on both sides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from boundaries.detect import GSS_CODE, detect_code_field
from boundaries.lsoa_change import conversion_direction, convert_lsoa_values, read_lsoa_lookup
from layers.common.errors import InputError
from layers.ingest.readers import read_table
from layers.result import LoadResult

__all__ = ["read_attribute_table", "join_attributes", "JoinResult", "AttributeTable"]

_NUM = re.compile(r"^\s*[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\s*$")
_TOTAL = re.compile(r"^\s*(grand\s+)?total\s*$", re.IGNORECASE)


@dataclass
class AttributeTable:
    """A table read by :func:`read_attribute_table`.

    Attributes
    ----------
    data : DataFrame
        One row per code; numeric columns converted.
    code_field : str
    messages : list of str
        Notes (summary rows dropped, duplicate codes, ...).
    source : str
    """

    data: pd.DataFrame
    code_field: str
    messages: list = field(default_factory=list)
    source: str = ""


@dataclass
class JoinResult:
    """The joined areas and what did not match.

    Attributes
    ----------
    data : GeoDataFrame
        The areas with the table's columns (NaN where unmatched).
    matched : int
        Areas that found a row.
    unmatched_areas : list of str
        Area codes with no row in the table.
    unmatched_table : list of str
        Table codes with no area (normal when the table is national).
    messages : list of str
    """

    data: object
    matched: int
    unmatched_areas: list
    unmatched_table: list
    messages: list = field(default_factory=list)


def _to_numeric(s: pd.Series) -> pd.Series:
    if not (s.dtype == object or pd.api.types.is_string_dtype(s)):
        return s
    v = s.dropna().astype(str)
    if len(v) == 0 or not v.str.match(_NUM).all():
        return s
    return pd.to_numeric(s.astype(str).str.replace(",", "", regex=False).str.strip(),
                         errors="coerce").where(s.notna())


def read_attribute_table(path, *, code_field=None, sheet=None, encoding=None,
                         delimiter=None) -> AttributeTable:
    """Read a CSV or XLSX attribute table keyed by area code.

    Parameters
    ----------
    path : str or Path
    code_field : str, optional
        The code column; detected (``lsoa``, ``lsoa_code``, ``LSOA11CD`` ...)
        when omitted.
    sheet : str or int, optional
        XLSX worksheet.
    encoding, delimiter : str, optional
        CSV overrides.

    Returns
    -------
    AttributeTable

    Raises
    ------
    InputError
        No code column, an unreadable file.
    """
    p = Path(path)
    read = read_table(p, sheet=sheet, encoding=encoding, delimiter=delimiter)
    df = pd.DataFrame(read.frame)
    if "geometry" in df:
        df = df.drop(columns="geometry")
    messages = list(read.notes)
    code = code_field or detect_code_field(df)
    if code is None or code not in df.columns:
        raise InputError("no area code column found" if code is None else
                         f"no column {code!r}", path=p, column=code,
                         fix="pass code_field= naming the column with codes such as "
                             "E01014485; columns are: " + ", ".join(map(str, df.columns[:30])))
    codes = df[code].astype("string").str.strip()
    total = codes.fillna("").str.match(_TOTAL)
    if total.any():
        messages.append(f"{p.name}: dropped {int(total.sum())} summary row(s) "
                        f"({', '.join(codes[total].unique())})")
    blank = codes.isna() | codes.eq("")
    if (blank & ~total).any():
        messages.append(f"{p.name}: {int((blank & ~total).sum())} row(s) with no code ignored")
    df = df.loc[~total & ~blank].copy()
    df[code] = codes[~total & ~blank]
    for c in df.columns:
        if c != code:
            df[c] = _to_numeric(df[c])
    dup = df[code].duplicated(keep="first")
    if dup.any():
        raise InputError(f"{int(dup.sum())} code(s) appear more than once (e.g. "
                         f"{df.loc[dup, code].iloc[0]})", path=p, column=code,
                         fix="aggregate the table to one row per area first")
    nongss = ~df[code].str.match(GSS_CODE)
    if nongss.any():
        messages.append(f"{p.name}: {int(nongss.sum())} code(s) are not ONS GSS codes "
                        f"(e.g. {df.loc[nongss, code].iloc[0]})")
    return AttributeTable(data=df.reset_index(drop=True), code_field=code, messages=messages,
                          source=str(p))


def join_attributes(areas, table, *, area_code=None, table_code=None, columns=None,
                    prefix="", sheet=None, lsoa_lookup=None) -> JoinResult:
    """Join an attribute table to a boundary layer by area code.

    Parameters
    ----------
    areas : GeoDataFrame or LoadResult
        Boundary layer (``load_boundaries(...).accepted`` or the LoadResult).
    table : str, Path, DataFrame or AttributeTable
        The attribute table.
    area_code : str, optional
        The layer's code field (default: ``info['code_field']`` of a LoadResult,
        else detected).
    table_code : str, optional
        The table's code column (default: detected).
    columns : list of str, optional
        Table columns to join (default all).
    prefix : str
        Prefix for the joined column names (avoids clashes).
    sheet : str or int, optional
        XLSX worksheet.
    lsoa_lookup : str or Path, optional
        The ONS LSOA (2011) to LSOA (2021) lookup: a table keyed by the other
        LSOA vintage (Census 2021 populations on 2011 LSOAs) has its numeric
        columns converted first (:mod:`boundaries.lsoa_change`; text columns
        are left out), and ``<prefix>lsoa_estimated`` marks areas whose value
        is a share of a merged or redrawn LSOA.  A relative path is looked for
        beside the table file.

    Returns
    -------
    JoinResult
    """
    if isinstance(areas, LoadResult):
        area_code = area_code or areas.info.get("code_field")
        areas = areas.accepted
    area_code = area_code or detect_code_field(areas)
    if area_code is None or area_code not in areas.columns:
        raise InputError("the boundary layer has no code field", column=area_code,
                         fix="pass area_code=")
    if isinstance(table, pd.DataFrame):
        table = AttributeTable(data=table, code_field=table_code or detect_code_field(table),
                               source="table")
        if table.code_field is None:
            raise InputError("the table has no code column", fix="pass table_code=")
    elif not isinstance(table, AttributeTable):
        table = read_attribute_table(table, code_field=table_code, sheet=sheet)
    tcode = table_code or table.code_field
    df = table.data
    converted = []
    if lsoa_lookup is not None:
        df, converted = _to_areas_vintage(df, tcode, areas[area_code], lsoa_lookup,
                                          table.source, columns)
        columns = None if columns is None else [c for c in columns if c in df.columns]
    keep = [c for c in (columns or df.columns) if c != tcode]
    missing = [c for c in keep if c not in df.columns]
    if missing:
        raise InputError(f"the table has no column(s) {missing}", path=table.source,
                         fix="check the names in columns=")
    right = df[[tcode] + keep].rename(columns={c: prefix + c for c in keep})
    clash = [prefix + c for c in keep if prefix + c in areas.columns and prefix + c != area_code]
    if clash:
        raise InputError(f"joined column(s) {clash} already exist in the boundary layer",
                         path=table.source, fix="pass prefix= (e.g. 'imd_')")
    key = areas[area_code].astype(str).str.strip()
    right = right.assign(_key=right[tcode].astype(str).str.strip()).drop(columns=tcode)
    if tcode == area_code or tcode in areas.columns:
        pass
    joined = areas.assign(_key=key).merge(right, on="_key", how="left").drop(columns="_key")
    joined.index = areas.index
    in_table = set(right["_key"])
    in_areas = set(key)
    unmatched_areas = sorted(k for k in key.unique() if k not in in_table)
    unmatched_table = sorted(k for k in in_table if k not in in_areas)
    msgs = list(table.messages) + converted
    msgs.append(f"{len(areas) - len(unmatched_areas):,} of {len(areas):,} areas matched "
                f"{Path(table.source).name}; {len(unmatched_areas):,} areas without a row, "
                f"{len(unmatched_table):,} table rows without an area")
    return JoinResult(data=joined, matched=len(areas) - len(unmatched_areas),
                      unmatched_areas=unmatched_areas, unmatched_table=unmatched_table,
                      messages=msgs)


def _to_areas_vintage(df, tcode, area_codes, lookup, source, columns):
    """Convert a table's numeric columns to the areas' LSOA vintage (see join_attributes)."""
    lk_path = Path(lookup)
    if not lk_path.is_absolute() and not lk_path.exists() and source:
        lk_path = Path(source).parent / lk_path
    lk = read_lsoa_lookup(lk_path)
    to = conversion_direction(df[tcode], area_codes, lk)
    if to is None:
        return df, ["the table is already on the areas' LSOA vintage; not converted"]
    want = [c for c in (columns or df.columns) if c != tcode]
    values = [c for c in want if pd.api.types.is_numeric_dtype(df[c])
              and not pd.api.types.is_bool_dtype(df[c])]
    dropped = [c for c in want if c not in values]
    res = convert_lsoa_values(df, lk, to=to, code=tcode, values=values)
    out = res.data.rename(columns={"code": tcode, "estimated": "lsoa_estimated"})
    out = out[[tcode, *values, "lsoa_estimated"]]
    msgs = [f"converted to {to} LSOAs: " + res.messages[0].split(": ", 1)[-1], *res.messages[1:]]
    if dropped:
        msgs.append(f"text column(s) {', '.join(map(str, dropped))} left out: they cannot be "
                    "converted between LSOA vintages")
    return out, msgs
