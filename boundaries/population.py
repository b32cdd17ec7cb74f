"""Population tables keyed by area code, and area origin points.

An area's *origin* is the point distances to services are measured from:

* the **population-weighted centroid** when a finer population layer is
  given (output-area polygons, taken at their representative points, or
  postcode points with a count): the mean of the units' coordinates inside
  the area, weighted by their population;
* otherwise the area's **representative point** (shapely
  ``representative_point``: a point guaranteed to lie inside the polygon,
  unlike the centroid of a crescent-shaped area).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

import geopandas as gpd

from layers.common.errors import InputError

__all__ = ["read_population", "area_origins"]

_CODE_RE = re.compile(r"^[EWSN][0-9]{8}$")


def read_population(path, *, code_field: str | None = None,
                    value_field: str | None = None) -> pd.DataFrame:
    """Read a population table keyed by area code.

    Handles thousands separators (``"1,954"``), a byte-order mark and a
    trailing ``Grand Total`` (or any non-code) row, which is dropped.

    Parameters
    ----------
    path : str or Path
        CSV or XLSX file.
    code_field : str, optional
        Area code column; detected (a column of ONS codes) when omitted.
    value_field : str, optional
        Population column; when omitted, a column named like ``pop``,
        ``population``, ``total`` or ``All Ages``, else the first numeric one.

    Returns
    -------
    DataFrame
        ``code`` and ``population`` (float).

    Raises
    ------
    InputError
        If the file, the code column or the population column is missing.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("population file not found", path=path, fix="check the path")
    if path.suffix.lower() in (".xlsx", ".xls"):
        df = pd.read_excel(path, dtype=str)
    else:
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    df.columns = [str(c).strip() for c in df.columns]
    for f in (code_field, value_field):
        if f is not None and f not in df.columns:
            raise InputError(f"no column '{f}'", path=path, column=f,
                             fix=f"use one of: {', '.join(df.columns[:12])}")
    if code_field is None:
        code_field = next((c for c in df.columns
                           if df[c].astype(str).str.strip().head(200).str.match(_CODE_RE).mean()
                           > 0.5), None)
        if code_field is None:
            raise InputError("no area code column found", path=path,
                             fix="pass the code column name (population-id)")
    num = {c: pd.to_numeric(df[c].astype(str).str.replace(",", "").str.strip(), errors="coerce")
           for c in df.columns if c != code_field}
    if value_field is None:
        named = [c for c in num if re.search(r"^pop|population|^total|all ages|measures: value",
                                             c.lower()) and num[c].notna().mean() > 0.5]
        numeric = [c for c in num if num[c].notna().mean() > 0.9]
        if not (named or numeric):
            raise InputError("no population column found", path=path,
                             fix="pass the population column name (population-field)")
        value_field = (named or numeric)[0]
    out = pd.DataFrame({"code": df[code_field].astype(str).str.strip(),
                        "population": num[value_field]})
    out = out[out["code"].str.match(_CODE_RE) & out["population"].notna()]
    out.attrs.update(code_field=code_field, value_field=value_field, source=str(path))
    return out.drop_duplicates("code").reset_index(drop=True)


def area_origins(areas: gpd.GeoDataFrame, *, area_id: str, population=None,
                 population_field: str | None = None) -> pd.DataFrame:
    """Origin point of each area: population-weighted centroid or representative point.

    Parameters
    ----------
    areas : GeoDataFrame
        Area polygons in a projected CRS (metres).
    area_id : str
        Area identifier column.
    population : GeoDataFrame, optional
        Finer population units: points (e.g. postcodes) or polygons (e.g.
        output areas, used at their representative points), with a
        ``population_field`` column.  Units are assigned to the area they fall in.
    population_field : str, optional
        Population count column of ``population``.

    Returns
    -------
    DataFrame
        ``area_id``, ``origin_x``, ``origin_y`` and ``origin_method``
        (``"population-weighted centroid"`` or ``"representative point"``).
        Areas with no (or zero) population units fall back to the
        representative point.
    """
    if area_id not in areas.columns:
        raise InputError(f"area layer has no column '{area_id}'", column=area_id,
                         fix="pass the area id field")
    if areas.crs is not None and areas.crs.is_geographic:
        raise InputError("areas are in a geographic CRS (degrees)",
                         fix="reproject to EPSG:27700 before measuring distances")
    rp = areas.geometry.representative_point()
    out = pd.DataFrame({area_id: areas[area_id].to_numpy(), "origin_x": rp.x.to_numpy(),
                        "origin_y": rp.y.to_numpy(), "origin_method": "representative point"})
    if population is None:
        return out
    if population_field not in population.columns:
        raise InputError(f"population layer has no column '{population_field}'",
                         column=population_field, fix="pass the population field")
    pts = population.to_crs(areas.crs) if population.crs != areas.crs else population
    geom = pts.geometry
    if not (geom.geom_type == "Point").all():
        geom = geom.representative_point()
    units = gpd.GeoDataFrame({"_w": pd.to_numeric(pts[population_field], errors="coerce")
                              .fillna(0).to_numpy()}, geometry=geom.to_numpy(), crs=areas.crs)
    j = gpd.sjoin(units, areas[[area_id, "geometry"]], predicate="within")
    j = j[j["_w"] > 0]
    j = j.assign(_x=j.geometry.x * j["_w"], _y=j.geometry.y * j["_w"])
    g = j.groupby(area_id)[["_x", "_y", "_w"]].sum()
    g = g[g["_w"] > 0]
    idx = out[area_id].isin(g.index).to_numpy()
    sel = g.loc[out.loc[idx, area_id]]
    out.loc[idx, "origin_x"] = (sel["_x"] / sel["_w"]).to_numpy()
    out.loc[idx, "origin_y"] = (sel["_y"] / sel["_w"]).to_numpy()
    out.loc[idx, "origin_method"] = "population-weighted centroid"
    return out
