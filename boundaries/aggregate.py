"""Roll small areas up to larger ones, and assign points to areas.

:func:`aggregate_areas` sums counts and populations of small areas (LSOAs) into
larger ones (wards, districts), from a lookup table when given (an ONS lookup
such as "LSOA (2011) to Ward (2019) to LAD (2019)": its columns are matched to
the two layers by name, else by the codes they hold) or else by **best fit**:
each small area goes to the large area it overlaps most (largest area of
intersection; ties go to the first large area in file order).  Where the two
geographies do not nest exactly (wards redrawn after the LSOAs, generalised
boundaries), part of a small area lies outside the large area it was given to:
that share of the small areas' total area is reported as
``unmatched_area_share``, and per small area in the lookup's ``overlap_share``.

Sums add up: the total of every summed column over the large areas equals the
total over the small areas that were assigned, and unassigned small areas (no
overlap, or no row in the lookup) are reported, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd
import shapely

from boundaries.detect import detect_code_field
from layers.common.errors import InputError
from layers.ingest.readers import read_table

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
    unmatched_area_share : float
        Best fit only: share (0-1) of the assigned small areas' total area lying
        outside the large area each was assigned to (0 for exact nesting).
    """

    data: gpd.GeoDataFrame
    lookup: pd.DataFrame
    unassigned: list
    method: str
    messages: list = field(default_factory=list)
    unmatched_area_share: float = 0.0


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
    """Lookup from each small area to the large area it overlaps most (largest overlap).

    Returns
    -------
    DataFrame
        ``small_code``, ``large_code`` (None where a small area overlaps no
        large area) and ``overlap_share``: the share of the small area inside
        the large area it was given (1.0 when it nests exactly).
    """
    small_code = small_code or detect_code_field(small)
    large_code = large_code or detect_code_field(large)
    if small.crs is not None and large.crs is not None and not small.crs.equals(large.crs):
        raise InputError(f"the small areas ({small.crs}) and large areas ({large.crs}) have "
                         "different CRSs", fix="load both through hotmap (EPSG:27700)")
    sg = small.geometry.to_numpy()
    lg = large.geometry.to_numpy()
    si, li = shapely.STRtree(lg).query(sg, predicate="intersects")
    inter = shapely.area(shapely.intersection(sg[si], lg[li]))
    n = len(small)
    best_area = np.zeros(n)
    best_large = np.full(n, -1)
    # largest overlap per small area; among equals, the first large area in file order
    order = np.lexsort((li, -inter, si))
    si, li, inter = si[order], li[order], inter[order]
    first = np.unique(si, return_index=True)[1]
    keep = inter[first] > 0
    best_large[si[first][keep]] = li[first][keep]
    best_area[si[first][keep]] = inter[first][keep]
    area = shapely.area(sg)
    codes = large[large_code].to_numpy(dtype=object)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(area > 0, best_area / area, np.nan)
    return pd.DataFrame({"small_code": small[small_code].astype(str).str.strip().to_numpy(),
                         "large_code": np.where(best_large >= 0, codes[best_large.clip(0)],
                                                None),
                         "overlap_share": np.where(best_large >= 0, share, 0.0)})


def _match_column(df, codes, name) -> str | None:
    """The lookup column named ``name`` (any case), else the one holding most of ``codes``."""
    for c in df.columns:
        if str(c).strip().lower() == str(name).lower():
            return c
    want = set(pd.Series(list(codes), dtype=object).astype(str).str.strip())
    best, share = None, 0.5
    for c in df.columns:
        v = df[c].astype(str).str.strip()
        s = float(v.isin(want).mean()) if len(v) else 0.0
        if s > share:
            best, share = c, s
    return best


def _read_lookup(lookup, small_code, large_code, small_codes=(), large_codes=()):
    if isinstance(lookup, (str, Path)):
        lookup = read_table(lookup).frame
    df = pd.DataFrame(lookup)
    cols = list(df.columns)
    if {"small_code", "large_code"} <= set(cols):
        s, g = "small_code", "large_code"
    else:
        s = _match_column(df, small_codes, small_code)
        g = _match_column(df.drop(columns=[s]) if s is not None else df, large_codes,
                          large_code)
        if s is None or g is None:
            raise InputError(
                f"the lookup needs a column of the small areas' codes ({small_code}) and one of "
                f"the large areas' codes ({large_code}); it has "
                f"{', '.join(map(str, cols[:20]))}",
                fix="use the ONS lookup of these two geographies, or rename its columns")
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
        Small -> large code lookup (columns ``small_code``/``large_code``, the
        two code field names, or any two columns holding the two layers' codes,
        as in ONS lookup files).  When omitted, each small area goes to the
        large area it overlaps most (best fit).

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
    unmatched = 0.0
    if lookup is None:
        lk = best_fit_lookup(small, large, small_code=small_code, large_code=large_code)
        method = "best fit"
        got = lk["large_code"].notna().to_numpy()
        area = small.geometry.area.to_numpy()
        if got.any() and area[got].sum() > 0:
            unmatched = float(1 - (lk["overlap_share"].to_numpy()[got] * area[got]).sum()
                              / area[got].sum())
    else:
        lk = _read_lookup(lookup, small_code, large_code, small[small_code], large[large_code])
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
    msgs = [f"{int(ok.sum())} of {len(small)} small areas assigned by {method}"
            + (" (largest overlap)" if method == "best fit" else "")]
    if method == "best fit":
        msgs.append(f"{unmatched:.2%} of the small areas' area lies outside the large area "
                    "each was assigned to")
    if unassigned:
        msgs.append(f"{len(unassigned)} small area(s) not assigned (e.g. {unassigned[0]}); "
                    "their values are not included")
    return AggregateResult(data=out, lookup=lk, unassigned=unassigned, method=method,
                           messages=msgs, unmatched_area_share=max(unmatched, 0.0))
