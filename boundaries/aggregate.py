"""Roll small areas up to larger ones, and assign points to areas.

:func:`aggregate_areas` sums counts and populations of small areas (LSOAs) into
larger ones (wards, districts), from a lookup table when given or else by the
large area containing each small area's representative point (best fit).
Sums add up: the total of every summed column over the large areas equals the
total over the small areas that were assigned, and unassigned small areas are
reported, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from boundaries.detect import detect_code_field
from layers.errors import InputError

__all__ = ["aggregate_areas", "assign_areas", "AggregateResult", "best_fit_lookup"]


@dataclass
class AggregateResult:
    """Large areas with summed values.

    Attributes
    ----------
    data : GeoDataFrame
        The large areas with ``n_small`` and one column per summed value.
    lookup : DataFrame
        ``small_code -> large_code`` used.
    unassigned : list of str
        Small-area codes that found no large area (their values are not in
        ``data``).
    method : str
        ``"lookup"`` or ``"best fit"``.
    messages : list of str
    """

    data: gpd.GeoDataFrame
    lookup: pd.DataFrame
    unassigned: list
    method: str
    messages: list = field(default_factory=list)


def assign_areas(points, areas, *, code_field=None) -> pd.Series:
    """Return the code of the area containing each point (None outside every area).

    Parameters
    ----------
    points : GeoDataFrame or GeoSeries
        Points in the same CRS as ``areas``.
    areas : GeoDataFrame
        Polygons with a code field.
    code_field : str, optional
        Detected when omitted.

    Returns
    -------
    Series
        Indexed like ``points``.  A point on a shared edge takes the first area.
    """
    code_field = code_field or detect_code_field(areas)
    if code_field is None:
        raise InputError("the area layer has no code field", fix="pass code_field=")
    pts = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if pts.crs is not None and areas.crs is not None and not pts.crs.equals(areas.crs):
        raise InputError(f"points ({pts.crs}) and areas ({areas.crs}) have different CRSs",
                         fix="load both through hotmap so they are in EPSG:27700")
    tree = shapely.STRtree(areas.geometry.to_numpy())
    pi, ai = tree.query(pts.to_numpy(), predicate="intersects")
    out = np.full(len(pts), None, dtype=object)
    order = np.argsort(pi, kind="stable")
    pi, ai = pi[order], ai[order]
    first = np.unique(pi, return_index=True)[1]
    out[pi[first]] = areas[code_field].to_numpy()[ai[first]]
    return pd.Series(out, index=pts.index, name=code_field)


def best_fit_lookup(small, large, *, small_code=None, large_code=None) -> pd.DataFrame:
    """Lookup from each small area to the large area holding its representative point."""
    small_code = small_code or detect_code_field(small)
    large_code = large_code or detect_code_field(large)
    rep = small.geometry.representative_point()
    got = assign_areas(rep, large, code_field=large_code)
    return pd.DataFrame({"small_code": small[small_code].to_numpy(),
                         "large_code": got.to_numpy()})


def _read_lookup(lookup, small_code, large_code):
    if isinstance(lookup, (str, Path)):
        from layers.ingest_readers import read_table

        lookup = read_table(lookup).frame
    df = pd.DataFrame(lookup)
    cols = list(df.columns)
    if {"small_code", "large_code"} <= set(cols):
        s, g = "small_code", "large_code"
    else:
        s = small_code if small_code in cols else None
        g = large_code if large_code in cols else None
        if s is None or g is None:
            raise InputError(
                f"the lookup needs columns {small_code!r} and {large_code!r} (it has "
                f"{', '.join(map(str, cols[:20]))})",
                fix="rename them, or pass a DataFrame with small_code and large_code")
    out = df[[s, g]].rename(columns={s: "small_code", g: "large_code"}).astype(str)
    out = out.apply(lambda c: c.str.strip())
    dup = out["small_code"].duplicated(keep=False) & ~out.duplicated(keep=False)
    if dup.any():
        raise InputError(f"the lookup maps {out.loc[dup, 'small_code'].iloc[0]} to more than "
                         "one large area", fix="use a best-fit lookup (one row per small area)")
    return out.drop_duplicates("small_code")


def aggregate_areas(small, large, *, values=None, small_code=None, large_code=None,
                    lookup=None) -> AggregateResult:
    """Sum small-area values into large areas.

    Parameters
    ----------
    small : GeoDataFrame
        Small areas (e.g. LSOAs) with numeric columns to sum.
    large : GeoDataFrame
        Large areas (e.g. wards), EPSG:27700.
    values : list of str, optional
        Columns to sum (default: every numeric column of ``small``).
    small_code, large_code : str, optional
        Code fields (detected when omitted).
    lookup : DataFrame or path, optional
        Small -> large code lookup (columns ``small_code``/``large_code`` or the
        two code field names).  When omitted, each small area goes to the large
        area containing its representative point.

    Returns
    -------
    AggregateResult
    """
    small_code = small_code or detect_code_field(small)
    large_code = large_code or detect_code_field(large)
    if small_code is None or large_code is None:
        raise InputError("cannot find the area code fields",
                         fix="pass small_code= and large_code=")
    if values is None:
        values = [c for c in small.columns if c not in (small_code, "geometry")
                  and pd.api.types.is_numeric_dtype(small[c])
                  and not pd.api.types.is_bool_dtype(small[c])]
    missing = [v for v in values if v not in small.columns]
    if missing:
        raise InputError(f"no column(s) {missing} in the small areas", fix="check values=")
    if lookup is None:
        lk = best_fit_lookup(small, large, small_code=small_code, large_code=large_code)
        method = "best fit"
    else:
        lk = _read_lookup(lookup, small_code, large_code)
        method = "lookup"
    codes = small[small_code].astype(str).str.strip()
    target = codes.map(pd.Series(lk["large_code"].to_numpy(), index=lk["small_code"]))
    known = set(large[large_code].astype(str))
    ok = target.notna() & target.isin(known)
    unassigned = sorted(codes[~ok])
    sums = small.loc[ok, values].groupby(target[ok].to_numpy()).sum(min_count=0)
    n_small = target[ok].value_counts()
    out = large.copy()
    key = out[large_code].astype(str)
    out["n_small"] = key.map(n_small).fillna(0).astype(int).to_numpy()
    for v in values:
        out[v] = key.map(sums[v]).fillna(0).to_numpy()
    msgs = [f"{int(ok.sum())} of {len(small)} small areas assigned by {method}"]
    if unassigned:
        msgs.append(f"{len(unassigned)} small area(s) not assigned (e.g. {unassigned[0]}); "
                    "their values are not included")
    return AggregateResult(data=out, lookup=lk, unassigned=unassigned, method=method,
                           messages=msgs)
