"""An atlas: one page per area of a boundary layer (wards, districts) for one analysis.

:func:`build_atlas` gathers, for each area of the ``by`` layer, what its page
shows, all of it as published (after the run's disclosure control):

* the area's **figures**: the analysis result's row for that area when the
  result is on the same areas; when the result is on finer areas (LSOAs in a
  ward), its counts and populations rolled up into the area by
  :func:`mapping.stats.rollup.rollup_rates` (the roll-up analysis's own function:
  rates and limits recomputed on the sums), and the finer areas inside it;
* its **trend**: the monthly counts of the analysis's records inside the
  area (the result's own filter, the one point-in-area rule of
  :func:`mapping.stats.rates.assign_points`), disclosure-controlled as a table
  whose total is published;
* the map layers of the analysis's default composition, so every page draws
  the same classes (the whole layer is classified once; a page only zooms).

Drawing is :mod:`mapping.export.atlas_pages` (PDF through the one renderer) and
:mod:`mapping.export.atlas_docx` (a DOCX section per area).  :func:`write_atlas`
writes both; ``hotmap atlas``, a project's ``[[atlases]]`` entries and the
GUI's *File > Export atlas…* all call it (through
:func:`mapping.pipeline.atlas.atlas_from_workspace`, which finds the layers).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from mapping.core.attribution import attribution_text
from mapping.core.filters import apply_filter
from mapping.disclosure.rules import apply_rules, display_table
from mapping.export.area_codes import area_code_field
from mapping.export.atlas_docx import write_atlas_docx
from mapping.export.atlas_pages import write_atlas_pdf
from mapping.export.compositions import default_composition
from mapping.export.people_tables import (INTERNAL_COLUMNS, column_label, format_value,
                                          gistar_label, is_hidden, people_table)
from mapping.render.styling import layer_title
from mapping.stats.rates import assign_points
from mapping.stats.rollup import rollup_rates

__all__ = ["AtlasArea", "Atlas", "build_atlas", "write_atlas"]

#: Result columns shown as an area's figures, in this order (others follow, by label).
_FIGURE_ORDER = ("count", "population", "rate_per_10k", "rate_eb_per_10k", "gi_bin", "gi_z",
                 "gi_p_fdr", "lisa_cluster", "lisa_p_fdr", "value")
_SKIP = {"rate_lcl", "rate_ucl", "gi_p", "lisa_p", "lisa_i", "lisa_z_sim", "lisa_quadrant"}


@dataclass
class AtlasArea:
    """One page of an atlas: an area, its published figures and trend."""

    code: str
    name: str
    index: int
    geometry: object
    figures: list = field(default_factory=list)  # [(label, text)]
    subareas: object = None  # people table of the finer result areas inside it
    trend: object = None  # DataFrame: month (Timestamp), shown (text), value (float or NaN)
    notes: list = field(default_factory=list)


@dataclass
class Atlas:
    """Everything the atlas writers draw."""

    title: str
    subtitle: str
    by_title: str
    result: object  # Layer (published)
    by: object  # Layer
    areas: list
    map_layers: list  # Layers drawn on every page (published), bottom first
    overrides: dict
    rule_lines: list
    attribution: str
    notes: list = field(default_factory=list)
    fictional: bool = False


def _figure_rows(row: pd.Series, meta: dict, subject: str, code=None,
                 skip=()) -> list[tuple[str, str]]:
    """The published row of an area as (label, text) lines with their limits."""
    out = []
    cols = [c for c in _FIGURE_ORDER if c in row.index] + \
        [c for c in row.index if c not in _FIGURE_ORDER]
    for c in cols:
        if c in _SKIP or c == code or c in skip or str(c).endswith(("_suppressed", "_small")) \
                or c in INTERNAL_COLUMNS or str(c).upper().endswith(("NM", "CD", "NMW")):
            continue
        v = row[c]
        if c == "count":
            label = subject or "Count"
        elif c == "gi_bin":
            out.append(("Gi* class", v if is_hidden(v) else gistar_label(v)))
            continue
        else:
            label = column_label(c, meta)
        text = v if is_hidden(v) else format_value(v, str(c))
        if c.startswith("rate") and c + "_lcl" not in row.index and "rate_lcl" in row.index \
                and c == "rate_per_10k":
            lo, hi = row["rate_lcl"], row["rate_ucl"]
            if not is_hidden(text) and text and not (is_hidden(lo) or is_hidden(hi)):
                text = f"{text} (95% CI {format_value(lo, 'rate')}–{format_value(hi, 'rate')})"
        if text != "":
            out.append((label, text))
        if c == "count" and not is_hidden(v) and isinstance(meta.get("base_n"), (int, float)) \
                and meta["base_n"] > 0 and v == v:
            n = float(meta["base_n"])
            out.append((f"Share of all {n:,.0f} in the study area (base n)",
                        f"{100 * float(v) / n:.1f}%"))
    return out


def _published(layers, rules):
    """Layers as they may be published (the run's disclosure control), by name."""
    safe, notes = apply_rules(layers, rules, purpose="report")
    return {lyr.name: lyr for lyr in safe}, notes


def _records(result, pool):
    """The analysis's records (its first records input, with its filter), or None."""
    meta = result.meta or {}
    names = [i.get("layer") for i in meta.get("inputs") or [] if i.get("kind") == "points"]
    by_name = {lyr.name: lyr for lyr in pool}
    frames = [by_name[n].data for n in names if n in by_name and by_name[n].data is not None]
    if not frames or not all("date" in f.columns for f in frames):
        return None
    pts = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if meta.get("filter"):
        pts = apply_filter(pts, meta["filter"])
    if len(frames) > 1:
        import geopandas as gpd

        pts = gpd.GeoDataFrame(pts, geometry="geometry", crs=frames[0].crs) \
            if "geometry" in pts.columns else pts
    return pts


def _trends(by_gdf, pts, rules) -> list:
    """Per area: its monthly counts as published (one table per area; its total is shown)."""
    dates = pd.to_datetime(pts["date"], errors="coerce")
    ok = dates.notna().to_numpy()
    pos = assign_points(by_gdf, pts)
    months = dates.dt.to_period("M")
    span = pd.period_range(months[ok].min(), months[ok].max(), freq="M") if ok.any() else []
    out = []
    for i in range(len(by_gdf)):
        sel = ok & (pos == i)
        counts = months[sel].value_counts().reindex(span, fill_value=0)
        df = pd.DataFrame({"month": [p.to_timestamp() for p in span],
                           "count": counts.to_numpy(dtype=np.int64)})
        shown = display_table(df, rules, {"count_columns": ["count"]})["count"]
        value = [np.nan if is_hidden(v) else float(v) for v in shown]
        out.append(pd.DataFrame({"month": df["month"], "shown": [
            v if is_hidden(v) else format_value(v) for v in shown], "value": value}))
    return out


def build_atlas(result, by, pool, rules, *, code_field=None, name_field=None,
                fictional: bool = False) -> Atlas:
    """Gather one page per area of ``by`` for the analysis result ``result``.

    Parameters
    ----------
    result : Layer
        An area (or grid) result of an analysis, as the runner made it.
    by : Layer
        The boundary layer whose areas get a page each.
    pool : list of Layer
        Every layer of the workspace (context outlines, the analysis's records).
    rules : DisclosureRules
        The run's disclosure control; every figure is as published.
    code_field, name_field : str, optional
        The areas' code and name fields (default: the boundary layer's).

    Returns
    -------
    Atlas

    Raises
    ------
    InputError
        When ``by`` has no areas or ``result`` is not a layer of areas or cells.
    """
    pool = list(pool)
    gdf, code_field = _boundary_frame(result, by, pool, code_field)
    name_field = name_field or (by.meta or {}).get("name_field")
    meta = result.meta or {}
    comp, chosen, map_layers, res_pub, rule_lines = _map_layers(result, by, pool, rules,
                                                                fictional)
    table = display_table(res_pub.data, rules, res_pub.meta)
    rcode = area_code_field(result, pool)
    codes = gdf[code_field].astype(str).to_numpy()
    same = rcode is not None and set(codes) <= set(result.data[rcode].astype(str))
    rolled, inside, notes = (None, None, []) if same else \
        _rolled_up(result, by, pool, gdf, code_field, rcode, rules)
    recs = _records(result, pool)
    trends = _trends(gdf, recs, rules) if recs is not None and len(recs) else None
    by_code = {str(c): i for i, c in enumerate(result.data[rcode].astype(str))} if same else {}
    areas = []
    for i, (code, geom) in enumerate(zip(codes, gdf.geometry)):
        name = str(gdf[name_field].iloc[i]) if name_field and name_field in gdf.columns \
            else code
        a = AtlasArea(code=code, name=name, index=i, geometry=geom)
        if same and code in by_code:
            a.figures = _figure_rows(table.iloc[by_code[code]], meta, meta.get("subject") or "",
                                     code=rcode)
        elif rolled is not None and code in rolled.index:
            a.figures = _figure_rows(rolled.loc[code], {"base_n": meta.get("base_n")},
                                     meta.get("subject") or "", code=code_field,
                                     skip=(name_field, "population_complete"))
        if inside is not None:
            a.subareas = _subareas(table[(inside == i)], result, meta)
        if trends is not None:
            a.trend = trends[i]
        areas.append(a)
    return Atlas(title=meta.get("title") or result.name, subtitle=str(meta.get("period") or ""),
                 by_title=layer_title(by), result=res_pub, by=by, areas=areas,
                 map_layers=map_layers, overrides=comp.style_overrides, rule_lines=rule_lines,
                 attribution=attribution_text(chosen, fictional=fictional), notes=notes,
                 fictional=fictional)


def _boundary_frame(result, by, pool, code_field):
    """``(areas in EPSG:27700, code field)`` of the ``by`` layer, or an InputError when the
    atlas cannot be made (no areas, a result that is not areas, no code field)."""
    if by.kind != "areas" or not hasattr(by.data, "geometry") or len(by.data) == 0:
        raise InputError(f"'{by.name}' is not a layer of areas",
                         fix="give a boundary layer (wards, districts)")
    if result.kind not in ("areas", "grid"):
        raise InputError(f"the atlas maps an area result; '{result.name}' is a {result.kind} "
                         "layer",
                         fix="choose an analysis whose result is areas (count, gistar, lisa, "
                             "change, deprivation, coverage ...)")
    code_field = code_field or (by.meta or {}).get("code_field") or area_code_field(by, pool)
    gdf = by.data.to_crs(27700) if by.data.crs is not None and by.data.crs.to_epsg() != 27700 \
        else by.data
    if not code_field or code_field not in gdf.columns:
        raise InputError(f"'{by.name}' has no area-code field",
                         fix="set code_field on its [[boundaries]] entry")
    return gdf, code_field


def _map_layers(result, by, pool, rules, fictional):
    """``(composition, layers chosen, their published versions, the published result, rule
    lines)``: the layers of the result's default map, ``by`` outlined on top."""
    bases = [lyr for lyr in pool if (lyr.source or {}).get("boundaries")]
    comp = default_composition(result, bases, fictional=fictional)
    names = [n for n in comp.layers if n in {lyr.name for lyr in pool}]
    chosen = [next(lyr for lyr in pool if lyr.name == n) for n in names]
    if by.name not in names:
        chosen.append(by)
        comp.style_overrides.setdefault(by.name, {"color": "none", "edgecolor": "#252525",
                                                  "linewidth": 0.9})
    published, rule_lines = _published(chosen, rules)
    map_layers = [published[lyr.name] for lyr in chosen if lyr.name in published]
    res_pub = published.get(result.name)
    if res_pub is None:
        raise InputError(f"'{result.name}' is withheld by disclosure control",
                         fix="see the disclosure notes of the run")
    return comp, chosen, map_layers, res_pub, rule_lines


def _rolled_up(result, by, pool, gdf, code_field, rcode, rules):
    """``(rolled-up figures by area code, area of each result row, notes)`` for a result on
    finer areas than ``by``: its counts summed into each area, rates recomputed."""
    meta = result.meta or {}
    pts = result.data.geometry.representative_point()
    inside = assign_points(gdf, pts.to_frame("geometry").set_geometry("geometry"))
    rolled, notes = None, []
    if "count" in result.data.columns and rcode is not None:
        small = result.data
        pop = "population" if "population" in small.columns and \
            (meta.get("params") or {}).get("population") else None
        up = rollup_rates(small, gdf, small_code=rcode, large_code=code_field,
                          population=pop, small_number=rules.threshold or 5)
        rolled = display_table(up, rules, {"count_columns": ["count"],
                                           "rate_columns": [c for c in up.columns
                                                            if c.startswith("rate")]})
        rolled.index = up[code_field].astype(str).to_numpy()
        notes.append(f"Figures for each {_singular(layer_title(by))} are the counts of the "
                     f"{_finer(result, pool)} summed into it (each goes to the "
                     f"{_singular(layer_title(by))} it overlaps most); rates are "
                     "recomputed on the sums.")
    return rolled, inside, notes


def _subareas(sub, result, meta):
    """The people table of the finer result areas inside one area, highest values first
    (None when there are none)."""
    col = meta.get("value_column")
    if len(sub) and col in result.data.columns:  # highest published values first
        key = pd.to_numeric(sub[col], errors="coerce").fillna(-np.inf)
        sub = sub.loc[key.sort_values(ascending=False, kind="stable").index]
    if len(sub):
        return people_table(sub, meta)[0]
    return None


def _finer(result, pool) -> str:
    """The result's own geography in words ("LSOAs (2011)"), from its areas input."""
    for inp in (result.meta or {}).get("inputs") or []:
        src = next((lyr for lyr in pool if lyr.name == inp.get("layer")), None)
        if inp.get("kind") == "areas" and src is not None:
            return layer_title(src)
    return "finer areas"


def _singular(title: str) -> str:
    """``"Wards (2013)"`` -> ``"ward"``."""
    word = title.split(" (")[0].strip()
    word = word[:-1] if word.endswith("s") and not word.endswith("ss") else word
    return word[:1].lower() + word[1:] if not word[:2].isupper() else word


def write_atlas(atlas: Atlas, path, *, docx: bool = True, dpi: int = 150) -> list[Path]:
    """Write the atlas as a multi-page PDF (and a DOCX beside it); return the files."""
    path = Path(path)
    if path.suffix.lower() != ".pdf":
        raise InputError(f"an atlas is written as PDF, not '{path.suffix or path.name}'",
                         path=path, fix="give a file name ending in .pdf")
    if not docx:
        return [write_atlas_pdf(atlas, path, dpi=dpi)]
    with tempfile.TemporaryDirectory(prefix="hotmap-atlas-") as tmp:
        out = [write_atlas_pdf(atlas, path, dpi=dpi, png_dir=tmp)]
        out.append(write_atlas_docx(atlas, path.with_suffix(".docx"), png_dir=tmp))
    return out
