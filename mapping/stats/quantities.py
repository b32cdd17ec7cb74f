"""Quantities per area: the sum of a record field (seizure weights, cash recovered) per area
and per 10,000 residents.

:func:`area_sums` counts the records in each area exactly as a count does
(:func:`mapping.stats.rates.count_points`, then :func:`mapping.stats.rates.area_rates` for
the count's rate and limits) and adds, per area, the sum of ``weight`` over
its records, and with a population that sum per 10,000 residents.  A sum of
quantities is not a Poisson count, so it gets no confidence limits; the
metadata says what was summed, in what units, and how many records had no
value (they are counted, but add nothing to the sum).

For disclosure control the sums are declared as depending on the count
(``meta["rate_columns"]``): an area whose count is suppressed has its sum
suppressed too, since the sum of one or two seizures gives them away.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from layers.common.errors import InputError

__all__ = ["area_sums", "sum_column_names"]


def sum_column_names(weight: str) -> tuple[str, str]:
    """(sum column, per-10,000 column) for a weight field: ``seizure_g`` ->
    ``("seizure_g_sum", "seizure_g_per_10k")``."""
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", str(weight)).strip("_").lower() or "weight"
    return f"{stem}_sum", f"{stem}_per_10k"


def area_sums(areas, points, area_id: str, weight: str, *, population=None,
              units: str | None = None, confidence: float = 0.95, small_number: int = 5):
    """Count records and sum a quantity per area (every area, zeros included).

    Parameters
    ----------
    areas : GeoDataFrame
        Area polygons with ``area_id``.
    points : GeoDataFrame or coordinate-only frame
        Records with a numeric ``weight`` column (text such as ``"1,250"`` is read
        as a number; empty cells are no value).
    area_id : str
        Area id field.
    weight : str
        The record field to sum (grams of a drug seized, pounds recovered ...).
    population : str, Series or DataFrame, optional
        As in :func:`mapping.stats.rates.area_rates`; adds the per-10,000 column.
    units : str, optional
        Units of ``weight`` for titles and metadata (default: the field name).
    confidence, small_number
        As in :func:`mapping.stats.rates.area_rates` (for the count and its rate).

    Returns
    -------
    GeoDataFrame
        The :func:`~mapping.stats.rates.area_rates` columns plus ``<weight>_sum`` and,
        with a population, ``<weight>_per_10k``; the value column is the
        per-10,000 sum (or the sum).  ``attrs["meta"]["summed"]``:
        field, units, total, records with and without a value.

    Raises
    ------
    InputError
        If the field is missing, holds no number at all, or has negative values.
    """
    from mapping.stats.rates import RATE_PER, area_rates, count_points

    if weight not in points.columns:
        raise InputError(f"the records have no field '{weight}' to sum", column=weight,
                         fix=f"choose one of: {', '.join(map(str, points.columns[:15]))}")
    raw = points[weight]
    if raw.dtype == object or pd.api.types.is_string_dtype(raw):
        raw = raw.astype("string").str.replace(",", "", regex=False).str.strip()
        raw = raw.str.replace(r"^[£$€]", "", regex=True)
    w = pd.to_numeric(raw, errors="coerce").to_numpy(float)
    has = np.isfinite(w)
    if len(w) and not has.any():
        raise InputError(f"the field '{weight}' holds no numbers", column=weight,
                         fix="choose a numeric field (weight in grams, amount in pounds)")
    if (w[has] < 0).any():
        bad = int((w[has] < 0).sum())
        raise InputError(f"the field '{weight}' has {bad} negative value(s); a sum per area "
                         "needs quantities of zero or more", column=weight,
                         fix="correct or filter out those records (e.g. --filter)")
    table, pos = count_points(areas, points, area_id)
    out = area_rates(areas, None, area_id, population=population, counts=table["count"],
                     confidence=confidence, small_number=small_number)
    meta = dict(out.attrs["meta"])
    inside = pos >= 0
    sums = np.bincount(pos[inside & has], weights=w[inside & has], minlength=len(areas))
    sum_col, per_col = sum_column_names(weight)
    geom = out.geometry.name
    cols = [c for c in out.columns if c != geom]
    out[sum_col] = sums
    if "population" in out.columns:
        out[per_col] = sums / out["population"].to_numpy(float) * RATE_PER
    out = out[cols[:cols.index("small_number")] + [c for c in (sum_col, per_col)
                                                    if c in out.columns]
              + ["small_number", geom]]
    units = units or weight
    n_no_value = int((inside & ~has).sum())
    meta["base_n"] = int(inside.sum())
    meta["summed"] = {"field": weight, "units": units, "total": float(sums.sum()),
                      "records_with_value": int((inside & has).sum()),
                      "records_without_value": n_no_value}
    meta["method"] = (f"sum of '{weight}' ({units}) over the records in each area"
                      + (f", and per {RATE_PER:,} residents (sum / population x {RATE_PER:,}); "
                         "no confidence limits for the sum (a sum of quantities is not a "
                         "Poisson count)" if per_col in out.columns else "")
                      + "; records counted by point-in-polygon"
                      + ("; count rate with " + meta["method"].split("; ", 1)[1]
                         if "; " in meta["method"] else ""))
    meta["units"] = f"{units} per {RATE_PER:,} residents" if per_col in out.columns else units
    meta["value_column"] = per_col if per_col in out.columns else sum_col
    if n_no_value:
        meta["notes"] = [f"{n_no_value} records have no '{weight}' value: they are counted but "
                         "add nothing to the sum"] + list(meta.get("notes") or [])
    rate_cols = [c for c in ("rate_per_10k", "rate_lcl", "rate_ucl") if c in out.columns]
    meta["rate_columns"] = rate_cols + [c for c in (sum_col, per_col) if c in out.columns]
    meta["count_columns"] = ["count"]
    out.attrs["meta"] = meta
    out.attrs["assignment"] = {"read": len(pos), "assigned": int(inside.sum()),
                               "unassigned": int((~inside).sum())}
    return out
