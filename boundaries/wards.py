"""Deprivation of wards (or any areas built from LSOAs) on the national scale.

The English Indices of Deprivation are published for LSOAs.  An audit's "ward
in the 20% most deprived" means the national 20%, not the top fifth of the
study area's wards, so a ward is measured against the **national LSOA
cut-offs**: the IMD score that separates the 20% (30%, 10%) most deprived
LSOAs of the whole national file from the rest (:func:`national_cutoffs`).

Per ward (:func:`ward_deprivation`):

``imd_score``
    Population-weighted mean of its LSOAs' IMD scores, ``Σ pᵢ sᵢ / Σ pᵢ`` over
    the LSOAs the IMD file has a score for (each LSOA's population times its
    share in the ward, see *apportion*).  Without a population every LSOA
    weighs the same (the notes say so).
``most_deprived_20`` / ``most_deprived_30``
    ``imd_score`` at or above the national cut-off of the 20% / 30% most
    deprived LSOAs.
``pop_share_most_deprived_20`` / ``pop_share_most_deprived_30``
    Share of the ward's population living in LSOAs in the national 20% / 30%
    most deprived (by the LSOAs' national deciles).
``n_lsoas``
    LSOAs contributing to the ward.

Apportion (``apportion=``): LSOAs that straddle ward boundaries (2011 LSOAs
against wards of a later year) are either assigned whole to the ward holding
the largest part of their area (``"best_fit"``, default; each LSOA counts in
one ward) or split by area (``"area"``: an LSOA's population goes to each ward
in proportion to the share of its area inside it, assuming people are spread
evenly).  Overlaps under 1% of an LSOA's area (slivers of generalised
boundaries) are ignored either way.

References: MHCLG (2019) The English Indices of Deprivation 2019: Technical
report, and its guidance on summarising to larger areas ("population-weighted
average score").

Public functions: :func:`ward_deprivation`, :func:`national_cutoffs`,
:func:`lsoa_area_weights`, :func:`to_areas`; registry :data:`APPORTION`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from boundaries.deprivation import IMD_REFERENCE
from layers.common.errors import InputError

__all__ = ["ward_deprivation", "national_cutoffs", "lsoa_area_weights", "to_areas",
           "APPORTION", "NATIONAL_MIN_LSOAS", "MIN_SHARE"]

#: How LSOAs straddling area boundaries are shared out.
APPORTION = {"best_fit": "each LSOA whole to the area holding most of its area",
             "area": "each LSOA split by the share of its area in each area"}
#: A national IMD file has at least this many LSOAs with scores (England: 32,844 in 2011,
#: 33,755 in 2021); fewer means a local extract, whose cut-offs would not be national.
NATIONAL_MIN_LSOAS = 30_000
#: Overlaps under this share of an LSOA's area are slivers, not part of the area.
MIN_SHARE = 0.01


def national_cutoffs(imd: pd.DataFrame, shares=(10, 20, 30), *, strict: bool = True) -> dict:
    """IMD scores separating the most deprived 10/20/30% of LSOAs nationally.

    Parameters
    ----------
    imd : DataFrame
        :func:`boundaries.deprivation.read_imd` output for the whole nation, with
        ``imd_score`` and ``imd_decile`` (or ``imd_rank``).
    shares : sequence of int
        Percentages (multiples of 10).
    strict : bool
        Refuse a table of fewer than :data:`NATIONAL_MIN_LSOAS` LSOAs (default).  With
        ``strict=False`` such a table (the study area's LSOAs with their *national*
        deciles) gives the lowest score in deciles 1-2 among its LSOAs: the national
        cut-off is at or below it, so nothing is flagged that might not be in the
        national 20%, but some wards just above the national cut-off may be missed;
        ``cutoffs["bounds"]`` gives the interval the national cut-off lies in.

    Returns
    -------
    dict
        ``{20: score, ...}``: an LSOA (or ward) with a score at or above it is in the
        national most deprived 20%.  The cut-off is the lowest score in deciles 1-2,
        checked to be above every score in the other deciles.  ``"national"`` says
        whether the table was a whole national file.

    Raises
    ------
    InputError
        No scores, or (``strict``) fewer than :data:`NATIONAL_MIN_LSOAS` LSOAs.
    """
    if "imd_score" not in imd.columns:
        raise InputError("the IMD file has no scores, so areas cannot be compared with the "
                         "national cut-offs",
                         fix="add a file with IMD scores (e.g. the official File 7, or "
                             "mySociety's scores file)")
    s = pd.to_numeric(imd["imd_score"], errors="coerce")
    if "imd_decile" in imd.columns:
        d = pd.to_numeric(imd["imd_decile"], errors="coerce")
    elif "imd_rank" in imd.columns:
        r = pd.to_numeric(imd["imd_rank"], errors="coerce")
        d = np.ceil(r * 10 / r.notna().sum())
    else:
        d = np.ceil(s.rank(ascending=False, method="first") * 10 / s.notna().sum())
    ok = s.notna() & d.notna()
    n = int(ok.sum())
    if n < NATIONAL_MIN_LSOAS and strict:
        raise InputError(f"the IMD file has scores and deciles for {n:,} LSOAs, not the whole "
                         "nation, so its cut-offs would not be national",
                         fix="give the national IMD file(s), not an extract for the study area")
    s, d = s[ok], d[ok]
    out = {"national": n >= NATIONAL_MIN_LSOAS, "bounds": {}}
    for p in shares:
        inside, outside = s[d <= p // 10], s[d > p // 10]
        if not len(inside):
            raise InputError(f"no LSOA of the IMD table is in the national {p}% most deprived, "
                             "so the cut-off cannot be found from it",
                             fix="give the national IMD file (imd = [...] in the project)")
        cut = float(inside.min())
        out["bounds"][int(p)] = (float(outside.max()) if len(outside) else -np.inf, cut)
        if len(outside) and not float(outside.max()) < cut:
            raise InputError(f"the IMD scores and deciles disagree at the {p}% cut-off "
                             f"(a score of {float(outside.max()):.3f} outside it, "
                             f"{cut:.3f} inside)",
                             fix="use scores and deciles of the same IMD release")
        out[int(p)] = cut
    return out


def lsoa_area_weights(lsoas, areas, *, lsoa_id: str, area_id: str,
                      apportion: str = "best_fit") -> pd.DataFrame:
    """Which LSOAs make up each area, and with what share of the LSOA.

    Returns
    -------
    DataFrame
        ``lsoa``, ``area``, ``share`` (of the LSOA in the area; 1 with ``best_fit``);
        each LSOA's shares add up to 1; LSOAs in no area are absent.
    """
    import shapely

    if apportion not in APPORTION:
        raise InputError(f"unknown apportioning '{apportion}'",
                         fix=f"use one of: {', '.join(APPORTION)}")
    for gdf, col, what in ((lsoas, lsoa_id, "LSOA"), (areas, area_id, "area")):
        if col not in gdf.columns:
            raise InputError(f"the {what} layer has no field '{col}'", column=col,
                             fix=f"choose one of: {', '.join(map(str, gdf.columns[:15]))}")
    if areas.crs is not None and lsoas.crs is not None and areas.crs != lsoas.crs:
        areas = areas.to_crs(lsoas.crs)
    lg = np.asarray(lsoas.geometry.values)
    ag = np.asarray(areas.geometry.values)
    i, j = shapely.STRtree(ag).query(lg, predicate="intersects")
    inter = shapely.area(shapely.intersection(lg[i], ag[j]))
    share = inter / np.maximum(shapely.area(lg[i]), 1e-12)
    t = pd.DataFrame({"lsoa": lsoas[lsoa_id].astype(str).to_numpy()[i],
                      "area": areas[area_id].astype(str).to_numpy()[j], "share": share})
    t = t[t["share"] >= MIN_SHARE]
    if apportion == "best_fit":
        t = t.sort_values(["lsoa", "share"], ascending=[True, False]).drop_duplicates("lsoa")
        t["share"] = 1.0
    else:
        t["share"] = t["share"] / t.groupby("lsoa")["share"].transform("sum")
    return t.reset_index(drop=True)


def to_areas(values, weights: pd.DataFrame) -> pd.Series:
    """Sum LSOA values (a Series indexed by LSOA code) into areas with the weights."""
    v = pd.Series(values)
    v.index = v.index.astype(str)
    part = weights["share"].to_numpy() * v.reindex(weights["lsoa"]).to_numpy(float)
    return pd.Series(part, index=weights["area"].to_numpy()).groupby(level=0).sum(min_count=1)


def ward_deprivation(lsoas, wards, imd: pd.DataFrame, *, lsoa_id: str, ward_id: str,
                     population=None, apportion: str = "best_fit", strict: bool = True):
    """National-scale deprivation of wards from their LSOAs (see the module notes).

    Parameters
    ----------
    lsoas : GeoDataFrame
        LSOA polygons (the IMD's vintage, e.g. 2011) with ``lsoa_id``.
    wards : GeoDataFrame
        Ward (or other area) polygons with ``ward_id``.
    imd : DataFrame
        The national IMD table (:func:`boundaries.deprivation.read_imd`), with
        ``lsoa_code``, ``imd_score`` and ``imd_decile`` or ``imd_rank``.
    lsoa_id, ward_id : str
        Code fields.
    population : str, Series or None
        LSOA population: a column of ``lsoas``, or a Series indexed by LSOA code.
    apportion : {"best_fit", "area"}
        How LSOAs straddling ward boundaries are shared out (:data:`APPORTION`).
    strict : bool
        Refuse an IMD table that is not national (default); see
        :func:`national_cutoffs` for what ``False`` does.

    Returns
    -------
    GeoDataFrame
        The wards with ``imd_score``, ``most_deprived_20``, ``most_deprived_30``,
        ``pop_share_most_deprived_20``, ``pop_share_most_deprived_30``,
        ``n_lsoas`` and (with a population) ``population``; ``attrs['meta']``
        states the method, the cut-offs and notes.

    Raises
    ------
    InputError
        Missing fields, no LSOA matching the IMD file, or a non-national IMD file.
    """
    cut = national_cutoffs(imd, strict=strict)
    w = lsoa_area_weights(lsoas, wards, lsoa_id=lsoa_id, area_id=ward_id, apportion=apportion)
    tab = imd.drop_duplicates("lsoa_code").set_index("lsoa_code")
    codes = lsoas[lsoa_id].astype(str).str.strip()
    if not codes.isin(tab.index).any():
        raise InputError(f"no LSOA code in '{lsoa_id}' matches the IMD file", column=lsoa_id,
                         fix="IMD 2019/2015 use 2011 LSOA codes: check --lsoa-id and the vintage")
    notes = []
    pop = _lsoa_population(lsoas, codes, population, notes)
    lsoa = _lsoa_parts(w, pop, tab)
    if lsoa["p"].isna().any():
        notes.append(f"{int(lsoa['p'].isna().sum())} LSOAs have no population and are left out")
    res = _ward_scores(lsoa, cut, with_population=population is not None)
    n_missing = int((~codes.isin(tab.index)).sum())
    if n_missing:
        notes.append(f"{n_missing} LSOAs are not in the IMD file")
    n_out = int((~codes.isin(w["lsoa"])).sum())
    if n_out:
        notes.append(f"{n_out} LSOAs lie in no ward")
    if not cut["national"]:
        lo, hi = cut["bounds"][20]
        between = int(((res["imd_score"] > lo) & (res["imd_score"] < hi)).sum())
        notes.append(f"the cut-offs come from the {len(tab):,} LSOAs given with their national "
                     f"deciles, not the whole national file: the national 20% cut-off lies "
                     f"between {lo:.3f} and {hi:.3f}, and {between} ward(s) fall in that "
                     "interval and are not flagged; give the national IMD file to settle them")
    out = _ward_table(wards, ward_id, res, notes)
    out.attrs["meta"] = _ward_meta(cut, apportion, population is not None, notes)
    return out


def _lsoa_population(lsoas, codes, population, notes) -> pd.Series:
    """Each LSOA's population by code (1 each when none is given, said in ``notes``)."""
    if population is None:
        notes.append("no population given: each LSOA weighs the same (shares are of LSOAs)")
        return pd.Series(1.0, index=codes.to_numpy())
    if isinstance(population, str):
        return pd.Series(pd.to_numeric(lsoas[population], errors="coerce").to_numpy(float),
                         index=codes.to_numpy())
    pop = pd.to_numeric(pd.Series(population), errors="coerce")
    pop.index = pop.index.astype(str).str.strip()
    return pop


def _lsoa_parts(w, pop, tab) -> pd.DataFrame:
    """One row per LSOA part in a ward: population ``p``, score ``s``, decile ``d``, area."""
    return pd.DataFrame({"p": pop.reindex(w["lsoa"]).to_numpy(float) * w["share"].to_numpy(),
                         "s": pd.to_numeric(tab["imd_score"], errors="coerce")
                         .reindex(w["lsoa"]).to_numpy(float),
                         "d": pd.to_numeric(tab.get("imd_decile"), errors="coerce")
                         .reindex(w["lsoa"]).to_numpy(float)
                         if "imd_decile" in tab.columns else np.nan,
                         "area": w["area"].to_numpy()})


def _ward_scores(lsoa, cut, *, with_population: bool) -> pd.DataFrame:
    """Per ward: the weighted score, the national flags and shares, the LSOA count."""
    scored = lsoa[lsoa["s"].notna() & lsoa["p"].notna()]
    g = scored.assign(ps=scored["p"] * scored["s"]).groupby("area")
    res = pd.DataFrame({"imd_score": g["ps"].sum() / g["p"].sum().replace(0, np.nan)})
    for p in (20, 30):
        res[f"most_deprived_{p}"] = res["imd_score"] >= cut[p]
    dec = lsoa[lsoa["d"].notna() & lsoa["p"].notna()]
    for p in (20, 30):
        hit = dec.assign(x=dec["p"] * (dec["d"] <= p // 10)).groupby("area")
        res[f"pop_share_most_deprived_{p}"] = hit["x"].sum() / hit["p"].sum().replace(0, np.nan)
    res["n_lsoas"] = lsoa.groupby("area").size()
    if with_population:
        res["population"] = lsoa.groupby("area")["p"].sum(min_count=1)
    return res


def _ward_table(wards, ward_id, res, notes):
    """The wards (code and geometry) with their scores, in the wards' order."""
    ids = wards[ward_id].astype(str)
    res = res.reindex(ids.to_numpy())
    n_empty = int(res["n_lsoas"].isna().sum())
    if n_empty:
        notes.append(f"{n_empty} wards hold no LSOA and have no score")
    res["n_lsoas"] = res["n_lsoas"].fillna(0).astype(int)
    for p in (20, 30):
        res[f"most_deprived_{p}"] = res[f"most_deprived_{p}"].fillna(False).astype(bool)
    out = wards[[ward_id, "geometry"]].copy().reset_index(drop=True)
    for c in res.columns:
        out[c] = res[c].to_numpy()
    return out


def _ward_meta(cut, apportion, weighted: bool, notes) -> dict:
    """The result's ``attrs['meta']``: method, parameters, units, references, notes."""
    return {
        "method": ("population-weighted mean of LSOA IMD scores per ward; most_deprived_20/30 "
                   "= ward score at or above the national cut-off of the 20%/30% most deprived "
                   "LSOAs; pop_share = share of the ward's population in national 20%/30% "
                   f"LSOAs; LSOAs: {APPORTION[apportion]}"),
        "params": {"apportion": apportion, "cutoffs": {f"most_deprived_{k}": v
                                                       for k, v in cut.items()
                                                       if isinstance(k, int)},
                   "national_file": cut["national"], "weighted": weighted},
        "units": "IMD score", "value_column": "imd_score",
        "references": [IMD_REFERENCE], "notes": notes,
    }
