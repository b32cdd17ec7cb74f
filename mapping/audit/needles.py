"""Discarded-needle reports: collection response times, finds by quantity, slow areas.

Needle records (``load_records(kind="needles")``) carry ``reported_at`` and
``collected_at`` (datetime64) and ``quantity``.  Response time is
``collected_at - reported_at`` in hours.  Reports with no collection time are
**flagged, never dropped**: they stay in the report counts, are left out of
the response-time statistics (whose base n is the number collected), and
count as *not* within target in the all-reports share.

Percentiles are pandas' default (linear interpolation between order
statistics, Hyndman & Fan 1996 definition 7), so figures can be checked in a
spreadsheet with PERCENTILE.INC.

References
----------
Hyndman RJ, Fan Y (1996). Sample quantiles in statistical packages.
*The American Statistician* 50:361-365.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from mapping.audit.venues import points_in_areas
from mapping.core.filters import apply_filter

__all__ = ["needle_response", "needle_response_summary", "needle_finds_by_area",
           "needle_slow_areas", "RESPONSE_FLAGS"]

#: Values of ``response_flag``.
RESPONSE_FLAGS = ("collected", "no collection time", "collected before reported",
                  "no report time")
_REF = "Hyndman & Fan (1996) Am Stat 50:361-5, definition 7 (linear interpolation)"


def _dt(df, col):
    if col not in df.columns:
        raise InputError(f"the needle records have no '{col}' column", column=col,
                         fix="load them with kind='needles' and map the reported and "
                             "collected date-time columns")
    s = df[col]
    if not pd.api.types.is_datetime64_any_dtype(s):
        s = pd.to_datetime(s, errors="coerce")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s


def needle_response(records, *, target_hours: float = 24.0, reported: str = "reported_at",
                    collected: str = "collected_at", quantity: str = "quantity"):
    """Add response time, target and flag columns to needle reports.

    Parameters
    ----------
    records : GeoDataFrame or DataFrame
        Needle reports; never changed.
    target_hours : float
        Collection target in hours (24 by default).
    reported, collected, quantity : str
        Column names.

    Returns
    -------
    GeoDataFrame or DataFrame
        A copy with ``response_hours`` (float, NaN when not computable),
        ``within_target`` (bool; False when not collected),
        ``response_flag`` (one of :data:`RESPONSE_FLAGS`) and ``weight``
        (quantity, 1 where missing or < 1, for quantity-weighted maps).
    """
    if target_hours <= 0:
        raise InputError(f"the target must be positive, not {target_hours} hours",
                         fix="give a target such as 24 (hours)")
    rep = _dt(records, reported)
    col = _dt(records, collected)
    hours = (col - rep).dt.total_seconds() / 3600.0
    flag = np.full(len(records), "collected", dtype=object)
    flag[col.isna().to_numpy()] = "no collection time"
    flag[rep.isna().to_numpy()] = "no report time"
    neg = (hours < 0).to_numpy()
    flag[neg] = "collected before reported"
    hours = hours.where(~neg)
    out = records.copy()
    out["response_hours"] = hours.to_numpy(dtype=float)
    out["within_target"] = (hours <= target_hours).fillna(False).to_numpy(dtype=bool)
    out["response_flag"] = flag
    if quantity in records.columns:
        q = pd.to_numeric(records[quantity], errors="coerce")
        out["weight"] = q.where(q >= 1, 1).fillna(1).to_numpy(dtype=float)
    else:
        out["weight"] = 1.0
    out.attrs = dict(records.attrs)
    out.attrs["meta"] = {
        "method": f"response = {collected} - {reported} in hours; within target = "
                  f"<= {target_hours:g} h; reports without a collection time are flagged and "
                  "kept",
        "units": "hours", "base_n": int(len(records)), "sensitive": True,
        "params": {"target_hours": target_hours},
        "flags": {k: int((flag == k).sum()) for k in RESPONSE_FLAGS},
        "references": [_REF],
    }
    return out


def _summarise(g: pd.DataFrame) -> pd.Series:
    h = g["response_hours"].dropna()
    n = len(g)
    k = len(h)
    within = int(g["within_target"].sum())
    return pd.Series({
        "reports": n,
        "collected": k,
        "no_collection_time": int((g["response_flag"] == "no collection time").sum()),
        "other_flags": int(g["response_flag"].isin(["collected before reported",
                                                    "no report time"]).sum()),
        "needles": float(g["weight"].sum()),
        "median_hours": float(h.median()) if k else np.nan,
        "p90_hours": float(h.quantile(0.9)) if k else np.nan,
        "mean_hours": float(h.mean()) if k else np.nan,
        "within_target": within,
        "pct_within_target": within / k * 100 if k else np.nan,
        "pct_within_target_all": within / n * 100 if n else np.nan,
    })


def needle_response_summary(records, *, by: str = "month", areas=None, area_code: str | None = None,
                            target_hours: float = 24.0, filter: str | None = None,
                            reported: str = "reported_at", collected: str = "collected_at",
                            quantity: str = "quantity", progress=None):
    """Median and 90th-percentile response time, and share within target, per group.

    Parameters
    ----------
    records : GeoDataFrame or DataFrame
        Needle reports (raw, or already passed through :func:`needle_response`).
    by : {"month", "area", "all"} or column name
        Grouping: calendar month of the report, the area each report falls
        in (needs ``areas``), everything, or any column of the records.
    areas : GeoDataFrame, optional
        Area polygons for ``by="area"``; the result then keeps their geometry.
    area_code : str, optional
        Code column of ``areas`` (default: the first column that is not geometry).
    target_hours : float
        Collection target.
    filter : str, optional
        Filter expression applied first.
    progress : callable(float, str), optional
        Progress callback.

    Returns
    -------
    DataFrame or GeoDataFrame
        One row per group plus ``All`` (except for areas): ``reports``,
        ``collected`` (base n of the time statistics), ``no_collection_time``,
        ``other_flags``, ``needles`` (sum of quantity), ``median_hours``,
        ``p90_hours``, ``mean_hours``, ``within_target`` (count),
        ``pct_within_target`` (of collected) and ``pct_within_target_all``
        (of all reports; uncollected count as missed).  Areas with no reports
        have ``reports = 0``.  ``attrs['meta']`` gives method, units, base n.
    """
    if progress:
        progress(0.0, "computing response times")
    recs = apply_filter(records, filter)
    if "response_hours" not in recs.columns:
        recs = needle_response(recs, target_hours=target_hours, reported=reported,
                               collected=collected, quantity=quantity)
    else:
        recs = recs.copy()
        recs["within_target"] = (recs["response_hours"] <= target_hours).to_numpy()
    code = _add_group(recs, by, areas, area_code, reported)
    if progress:
        progress(0.5, "summarising")
    table, n_outside = _summary_table(recs, by, areas, code)
    ints = ["reports", "collected", "no_collection_time", "other_flags", "within_target"]
    table[ints] = table[ints].astype(int)
    for c in ("needles", "median_hours", "p90_hours", "mean_hours", "pct_within_target",
              "pct_within_target_all"):
        table[c] = table[c].astype(float)
    table.attrs["meta"] = {
        "title": f"Needle collection response times by {by}",
        "method": "response time = collected - reported (hours); median and 90th percentile "
                  f"over collected reports ({_REF}); within target = <= {target_hours:g} h; "
                  "reports without a collection time flagged, counted in 'reports', excluded "
                  "from the time statistics",
        "units": "hours; percent", "value_column": "median_hours",
        "base_n": int(len(recs)), "n_collected": int(recs["response_hours"].notna().sum()),
        "n_outside_areas": n_outside,
        "params": {"by": by, "target_hours": target_hours, "filter": filter},
        "references": [_REF],
        "count_columns": ints,
    }
    if progress:
        progress(1.0, "done")
    return table


def _add_group(recs, by, areas, area_code, reported):
    """Add the ``group`` column (month, area, all, or a column of the records) in place;
    returns the areas' code column when grouping by area, else None.

    Raises
    ------
    InputError
        No area layer, no such code column, or an unknown grouping.
    """
    keycol = "group"
    code = None
    if by == "month":
        rep = _dt(recs, reported)
        recs[keycol] = rep.dt.to_period("M").astype(str).where(rep.notna(), "no report date")
    elif by == "all":
        recs[keycol] = "All"
    elif by == "area":
        if areas is None:
            raise InputError("grouping by area needs an area layer",
                             fix="choose the boundary layer (wards, LSOAs) to summarise by")
        code = area_code or next(c for c in areas.columns if c != areas.geometry.name)
        if code not in areas.columns:
            raise InputError(f"the area layer has no column '{code}'", column=code,
                             fix="choose the area code column")
        recs[keycol] = points_in_areas(recs, areas, code)
    elif by in recs.columns:
        recs[keycol] = recs[by].astype(str)
    else:
        raise InputError(f"cannot group by '{by}'",
                         fix="use month, area, all, or a column of the records")
    return code


def _summary_table(recs, by, areas, code):
    """One summary row per group: every area (with its geometry) when grouping by area,
    else the groups and an ``All`` row; returns the table and the reports outside every
    area."""
    keycol = "group"
    rows = {k: _summarise(g) for k, g in recs.groupby(keycol, dropna=False, sort=True)}
    table = pd.DataFrame.from_dict(rows, orient="index")
    if by == "area":
        import geopandas as gpd

        base = areas[[code, areas.geometry.name]].drop_duplicates(code).set_index(code)
        table = table.reindex(base.index)
        for c in ("reports", "collected", "no_collection_time", "other_flags", "within_target"):
            table[c] = table[c].fillna(0)
        table["needles"] = table["needles"].fillna(0.0)
        table = gpd.GeoDataFrame(table.join(base), geometry=areas.geometry.name,
                                 crs=areas.crs).reset_index(names=code)
        return table, int(recs[keycol].isna().sum())
    table = table.reset_index(names=by if by != "all" else "group")
    if by != "all":
        allrow = _summarise(recs).to_frame().T
        allrow.insert(0, table.columns[0], "All")
        table = pd.concat([table, allrow], ignore_index=True)
    return table, 0


def needle_slow_areas(summary, *, target_hours: float = 24.0, min_collected: int = 5,
                      measure: str = "median_hours"):
    """Flag areas whose response is slower than the target.

    Parameters
    ----------
    summary : GeoDataFrame
        :func:`needle_response_summary` output with ``by="area"``.
    target_hours : float
        Target.
    min_collected : int
        Areas with fewer collected reports are marked ``"too few"`` rather
        than judged.
    measure : {"median_hours", "p90_hours"}
        Statistic compared with the target.

    Returns
    -------
    GeoDataFrame
        A copy with ``response_class``: ``"slow"`` (measure > target),
        ``"within target"``, ``"too few"`` or ``"no reports"``.
    """
    if measure not in ("median_hours", "p90_hours"):
        raise InputError(f"unknown measure '{measure}'", fix="use median_hours or p90_hours")
    out = summary.copy()
    cls = np.where(out[measure] > target_hours, "slow", "within target").astype(object)
    cls[(out["collected"] < min_collected).to_numpy()] = "too few"
    cls[(out["reports"] == 0).to_numpy()] = "no reports"
    out["response_class"] = cls
    meta = dict(summary.attrs.get("meta", {}))
    meta.update({"title": "Slow needle-collection areas", "value_column": "response_class",
                 "method": f"{measure} > {target_hours:g} h = slow; areas with fewer than "
                           f"{min_collected} collected reports not judged"})
    out.attrs["meta"] = meta
    return out


def needle_finds_by_area(records, areas, *, area_code: str | None = None,
                         quantity: str = "quantity", filter: str | None = None):
    """Reports and needles (sum of quantity) per area, for a finds map.

    Parameters
    ----------
    records : GeoDataFrame
        Needle reports (points, EPSG:27700).
    areas : GeoDataFrame
        Area polygons.
    area_code : str, optional
        Code column of ``areas``.
    quantity : str
        Quantity column; missing or < 1 counts as 1.
    filter : str, optional
        Filter expression.

    Returns
    -------
    GeoDataFrame
        ``areas`` code and geometry with ``reports`` and ``needles``;
        ``attrs['meta']`` marks the layer sensitive and states the base n.
    """
    import geopandas as gpd

    recs = apply_filter(records, filter)
    code = area_code or next(c for c in areas.columns if c != areas.geometry.name)
    q = pd.to_numeric(recs[quantity], errors="coerce") if quantity in recs.columns else \
        pd.Series(1.0, index=recs.index)
    w = q.where(q >= 1, 1).fillna(1)
    key = points_in_areas(recs, areas, code)
    agg = pd.DataFrame({"k": key, "w": w.to_numpy()}).groupby("k")["w"].agg(["size", "sum"])
    base = areas[[code, areas.geometry.name]].drop_duplicates(code)
    out = base.merge(agg.rename(columns={"size": "reports", "sum": "needles"}),
                     left_on=code, right_index=True, how="left")
    out[["reports", "needles"]] = out[["reports", "needles"]].fillna(0)
    out["reports"] = out["reports"].astype(int)
    out = gpd.GeoDataFrame(out, geometry=areas.geometry.name, crs=areas.crs)
    out.attrs["meta"] = {"title": "Needle finds by area, weighted by quantity",
                         "method": "reports per area (point in polygon); needles = sum of "
                                   "quantity (missing or < 1 counted as 1)",
                         "units": "needles", "value_column": "needles",
                         "base_n": int(len(recs)), "n_outside_areas": int(pd.isna(key).sum()),
                         "sensitive": True, "count_columns": ["reports", "needles"],
                         "references": [_REF]}
    return out
