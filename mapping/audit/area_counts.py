"""Area-level counts as an input: clients in treatment per LSOA, ward or postcode district.

NDTMS (the National Drug Treatment Monitoring System) and many partner
datasets give **counts of people per area**, not points.  This module joins
such a table (CSV or XLSX keyed by area code, read by
:func:`boundaries.tables.join_attributes`: thousands separators and "Grand
Total" rows handled) to a boundary layer of the same geography, checks the
counts, and returns the areas with their counts, ready for
``concentration`` (a count column of the areas), ``funnel`` (``count =``
the column); a table of counts per category goes to ``disproportion`` as it is
(:func:`mapping.stats.disproportion.disproportion` with ``count=``).

Rules
-----
* Counts must be whole, non-negative numbers.  Cells suppressed at source
  (``*``, ``c``, ``x``, ``~``, ``<5``, ``..``, ``-``) are read as missing and
  flagged ``<column>_source_suppressed``; any other text is an error naming
  the row.
* Codes in the table with no area, and areas with no row, are reported
  (nothing is lost silently); an area with no row has a missing count, not
  zero, unless ``missing_as_zero`` (NDTMS extracts often list only areas
  with clients).
* The counts are counts of **people**: the result's meta lists them in
  ``count_columns`` and marks the layer sensitive, so disclosure control
  suppresses small ones in every output.

Public functions: :func:`area_counts`; :data:`SOURCE_SUPPRESSED`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from boundaries.detect import detect_code_field
from boundaries.tables import read_attribute_table
from layers.common.errors import AnalysisError, InputError

__all__ = ["area_counts", "SOURCE_SUPPRESSED"]

#: Markers that statistical releases use for a count suppressed at source.
SOURCE_SUPPRESSED = frozenset({"*", "c", "x", "~", "<5", "<3", "<10", "..", "-", "s",
                               "suppressed", "[c]", "[x]"})


def _counts(values: pd.Series, name: str, path) -> tuple[pd.Series, pd.Series]:
    text = values.astype("string").str.strip().str.replace(",", "", regex=False)
    supp = text.str.lower().isin(SOURCE_SUPPRESSED)
    num = pd.to_numeric(text.where(~supp), errors="coerce")
    bad = num.isna() & text.notna() & (text != "") & ~supp
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"'{text.iloc[pos]}' in '{name}' is not a count", path=path, row=pos + 1,
                         column=name, fix="use whole numbers (or * for a suppressed count)")
    ok = num.dropna()
    if (ok < 0).any() or (ok != np.round(ok)).any():
        raise InputError(f"'{name}' holds negative or fractional values, not counts of people",
                         path=path, column=name, fix="give whole numbers of people")
    return num, supp.fillna(False).astype(bool)


def area_counts(areas, table, *, counts, area_id: str | None = None, key: str | None = None,
                missing_as_zero: bool = False, sheet=None):
    """Join a table of counts per area code to a boundary layer.

    Parameters
    ----------
    areas : GeoDataFrame
        Boundary layer of the same geography as the table (LSOA, ward,
        postcode district ...).
    table : str, Path or DataFrame
        The table (CSV/XLSX path or a frame) with an area code column.
    counts : str or list of str
        The count columns to use.
    area_id : str, optional
        Code column of the areas (default detected).
    key : str, optional
        Code column of the table (default detected: ``lsoa_code``, ``LSOA11CD`` ...).
    missing_as_zero : bool
        Areas with no row count 0 (default: missing).
    sheet : str or int, optional
        XLSX worksheet.

    Returns
    -------
    GeoDataFrame
        The areas (all their columns) with the count columns added (float,
        NaN where unknown) and ``<count>_source_suppressed`` flags when any;
        ``attrs['meta']`` with ``count_columns``, ``unmatched_table``
        (codes with no area) and ``unmatched_areas``.
    """
    import geopandas as gpd

    counts = [counts] if isinstance(counts, str) else list(counts)
    df, tkey, path, messages = _read_table(table, key, sheet)
    missing = [c for c in counts if c not in df.columns]
    if missing:
        raise InputError(f"the table has no column(s) {missing}", path=path, column=missing[0],
                         fix=f"choose from: {', '.join(map(str, df.columns[:25]))}")
    aid = area_id
    if aid is None:
        aid = detect_code_field(areas)
    if aid is None or aid not in areas.columns:
        raise AnalysisError(f"the areas have no code column '{aid}'", column=aid,
                            fix="set area_id to the boundary layer's code field")
    codes = df[tkey].astype("string").str.strip()
    dup = codes.duplicated(keep=False) & codes.notna()
    if dup.any():
        raise InputError(f"area code {codes[dup].iloc[0]} appears more than once", path=path,
                         column=tkey, fix="give one row per area (sum the counts first)")
    area_codes = areas[aid].astype("string").str.strip()
    hit = area_codes.map(pd.Series(np.arange(len(df)), index=codes.to_numpy()))
    clash = [c for c in counts if c in areas.columns and c != aid]
    if clash:
        raise InputError(f"the areas already have column(s) {clash}", path=path,
                         fix="rename the count columns in the table")
    out, flags = _joined_counts(df, hit, counts, path, missing_as_zero)
    res = gpd.GeoDataFrame(areas.copy())
    for k, v in out.items():
        res[k] = v
    unmatched_table = sorted(set(codes.dropna()) - set(area_codes.dropna()))
    unmatched_areas = sorted(set(area_codes.dropna()) - set(codes.dropna()))
    notes = list(messages)
    if unmatched_table:
        notes.append(f"{len(unmatched_table)} table code(s) match no area (e.g. "
                     f"{unmatched_table[0]}); their counts are not used")
    if unmatched_areas:
        notes.append(f"{len(unmatched_areas)} area(s) have no row in the table "
                     + ("(counted as 0)" if missing_as_zero else "(count unknown)"))
    for f, v in flags.items():
        notes.append(f"{int(v.sum())} area(s) suppressed at source in "
                     f"'{f.removesuffix('_source_suppressed')}'")
    totals = {c: float(np.nansum(out[c])) for c in counts}
    res.attrs["meta"] = {
        "title": "Counts per area: " + ", ".join(counts),
        "units": "people", "value_column": counts[0],
        "method": f"table of counts per area joined to the areas by code ({tkey} → {aid})",
        "params": {"counts": counts, "key": tkey, "area_id": aid,
                   "missing_as_zero": missing_as_zero},
        "base_n": int(totals[counts[0]]), "totals": totals,
        "count_columns": counts, "sensitive": True,
        "unmatched_table": unmatched_table, "unmatched_areas": unmatched_areas,
        "notes": notes,
    }
    return res


def _read_table(table, key, sheet):
    """The counts table, its area code column, its path (for messages) and the reader's
    messages; a DataFrame is copied, a file read with :func:`read_attribute_table`."""
    if isinstance(table, pd.DataFrame):
        df, tkey, path = table.copy(), key, "table"
        if tkey is None or tkey not in df.columns:
            tkey = key or detect_code_field(df)
        if tkey is None or tkey not in df.columns:
            raise InputError("the table has no area code column", fix="name it with key=")
        return df, tkey, path, []
    at = read_attribute_table(table, code_field=key, sheet=sheet)
    return at.data, at.code_field, str(table), list(at.messages)


def _joined_counts(df, hit, counts, path, missing_as_zero):
    """Each count column in the areas' order (0 or NaN for an area with no row; ``hit`` is
    each area's row of the table), and a ``<count>_source_suppressed`` flag where the
    source hid the value."""
    out = {}
    flags = {}
    matched = hit.notna().to_numpy()
    row = np.where(matched, hit.fillna(-1).to_numpy(float), -1).astype(np.int64)
    for c in counts:
        num, supp = _counts(df[c], c, path)
        numv = pd.to_numeric(num, errors="coerce").astype(float).to_numpy()
        vals = np.where(matched, numv[np.maximum(row, 0)], 0.0 if missing_as_zero else np.nan)
        out[c] = vals
        s = matched & supp.to_numpy(bool)[np.maximum(row, 0)]
        if s.any():
            flags[f"{c}_source_suppressed"] = s
    out.update(flags)
    return out, flags
