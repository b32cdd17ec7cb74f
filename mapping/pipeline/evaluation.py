"""Did it work, and where is it worst: ``evaluate`` (WDD) and ``composite_index``.

Example project entries::

    [[analyses]]
    name = "closure_evaluation"
    kind = "evaluate"
    [analyses.params]
    points = "arrests"
    areas = "lsoa"
    target = ["X01000087"]            # codes of the areas
    control = ["X01000002"]
    buffer = 400                      # metres (or buffer_areas = ["..."])
    before = ["2022-09-01", "2023-08-31"]
    after = ["2023-09-01", "2024-08-31"]

    [[analyses]]
    name = "ward_index"
    kind = "composite_index"
    [analyses.params]
    areas = "deprivation_wards"       # areas, or an earlier area result
    area_id = "ward_code"
    fields = ["imd_score"]            # indicators that are fields of the areas
    layers = ["arrests", "needle_finds"]   # record layers counted per area
    population = "population"         # ... as rates per 10,000 residents
    output_range = [0, 100]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.common.errors import ProjectError, term
from mapping.pipeline import REQUIRED, Input, Output, Param, StepOutput, analysis
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import (chart_source, in_sentence, project_path, records, save_figure,
                                     threshold, units_word)
from mapping.pipeline.params import ALPHA, AREA_ID, AREAS, FILTER, POINTS, POPULATION, UNITS
from mapping.pipeline.patterns import DATE_COLUMN

_BRISTOL = "bristol_lsoa2011_E06000023.geojson"
_STREET = "2018-1*-avon-and-somerset-street.csv 2019-01-avon-and-somerset-street.csv"
_POP = ("--population mysociety_lsoa_population_mid2019_uk.csv --population-id lsoa "
        "--population-field pop")
_ROLE_COLOURS = {"target": "#d7301f", "buffer": "#fdae61", "control": "#4575b4",
                 "control buffer": "#abd9e9"}


def _codes(p_name, label, help_text, required=False):
    return Param(p_name, "list", label, help_text, default=REQUIRED if required else None,
                 item="area_code")


def _polygons(gdf, aid, codes, what, layer):
    """The areas of ``gdf`` whose code is in ``codes`` (all of them must exist)."""
    if not codes:
        return None
    want = [str(c) for c in ([codes] if isinstance(codes, str) else codes)]
    sel = gdf[gdf[aid].astype(str).isin(want)]
    missing = sorted(set(want) - set(sel[aid].astype(str)))
    if missing:
        raise ProjectError(f"no area {missing[0]} in layer '{layer}' (the {what})",
                           column=aid, fix=f"check the codes of {term(what)}")
    return sel


# --------------------------------------------------------------- evaluate
@analysis(
    "evaluate", strand="supply", label="Evaluate an intervention (before and after)",
    about=("Compares the change in a target area with a buffer round it and a control area, to "
           "say whether records fell more than elsewhere and whether they moved next door."),
    order=63, menu="patterns", out="folder",
    title="Evaluation of an intervention: {subject}",
    summary="before and after in target, buffer and control areas: change, the Weighted "
            "Displacement Difference with its test, and the WDQ",
    description="""\
Count the records in the target area (e.g. where a closure order was served),
its buffer (a ring --buffer metres wide around it, or the areas listed in
--buffer-areas: where crime may be displaced to) and a control area (alike,
but untouched), before and after.  The Weighted Displacement Difference
(Wheeler & Ratcliffe 2018) = (change in the target − change in the control)
+ (change in the buffer − change in the control's buffer), with its Poisson
standard error, z and p; below 0 means fewer events than the control
predicts.  The Weighted Displacement Quotient (Bowers & Johnson 2003) says
whether the buffer gained (displacement) or lost (diffusion of benefit).
Periods are first and last dates, inclusive; periods of different lengths
are weighted to the after period.  For sensitive records the test is
withheld when any count is from 1 to the disclosure threshold minus one.

outputs in --out FOLDER: evaluate.csv (counts before and after per area),
evaluate_test.csv (WDD, its test and the WDQ), evaluate_areas.csv/.gpkg (the
areas used), evaluate_chart.png/.svg.""",
    inputs=[POINTS, AREAS.but(help="Boundary layer holding the target and control areas "
                                   "(their codes are given below).")],
    params=[AREA_ID, FILTER,
            _codes("target", "Target areas", "Codes of the areas where the intervention "
                   "happened (one or more, merged), e.g. E01014540.", required=True),
            _codes("control", "Control areas", "Codes of comparable areas the intervention "
                   "did not touch, apart from the target and its buffer.", required=True),
            Param("buffer", "float", "Buffer width", "A ring this wide around the target, "
                  "where displaced events would show. Blank: no buffer (or the buffer "
                  "areas).", unit="m", minimum=10, maximum=5000),
            _codes("buffer_areas", "Buffer areas", "Codes of the areas around the target to "
                   "use as its buffer, instead of a ring."),
            Param("control_buffer", "float", "Control buffer width", "A ring this wide "
                  "around the control, for the WDD's own displacement comparison.",
                  unit="m", minimum=10, maximum=5000, advanced=True),
            _codes("control_buffer_areas", "Control buffer areas", "Codes of the areas to "
                   "use as the control's buffer, instead of a ring.").but(advanced=True),
            Param("before", "list", "Before", "First and last date of the period before, "
                  "e.g. 2018-10-01,2018-11-30.", default=REQUIRED),
            Param("after", "list", "After", "First and last date of the period after, e.g. "
                  "2018-12-01,2019-01-31.", default=REQUIRED),
            Param("weight_by_time", "bool", "Weight by period length", "When the periods "
                  "differ in length by more than 2%, scale the before counts to the after "
                  "period's length.", default=True, advanced=True),
            Param("weight_by_area", "bool", "Weight by area size", "Compare counts per km² "
                  "of each area instead of plain counts (Wheeler's area weights).",
                  default=False, advanced=True),
            ALPHA.but(help="1 minus the confidence level of the WDD's interval: 0.05 = 95%."),
            DATE_COLUMN, UNITS],
    outputs=[Output("", "table", "counts before and after per area",
                    counts=("before", "after"), rates=("change", "pct_change")),
             Output("_test", "table", "WDD, its test and the WDQ"),
             Output("_areas", "areas", "the target, buffer and control areas",
                    counts=("before", "after")),
             Output("_chart", "figure")],
    examples=[f"evaluate --points {_STREET} --filter \"crime_type == 'Drugs'\" --areas "
              f"{_BRISTOL} --area-id LSOA11CD --target E01014540 --control E01014714 "
              "--buffer 300 --before 2018-10-01,2018-11-30 --after 2018-12-01,2019-01-31 "
              "--out evaluation/"],
)
def evaluate_step(ctx, *, points, areas, area_id, filter, target, control, buffer,
                  buffer_areas, control_buffer, control_buffer_areas, before, after,
                  weight_by_time, weight_by_area, alpha, date_column, units, name):
    """Before/after counts in target, buffer and control areas, WDD with its test, WDQ."""
    from mapping.render.charts_patterns import evaluation_chart
    from mapping.stats.evaluate import evaluate_intervention

    pts, _ = records(ctx, points, filter)
    gdf, aid = _areas(ctx, areas, area_id)
    for both, (ring, listed) in {"buffer": (buffer, buffer_areas),
                                 "control_buffer": (control_buffer, control_buffer_areas)
                                 }.items():
        if ring is not None and listed:
            raise ProjectError(f"give {term(both)} (a ring) or {term(both + '_areas')}, not "
                               "both", fix="choose one way to draw the buffer")
    res = evaluate_intervention(
        pts, target=_polygons(gdf, aid, target, "target", areas),
        control=_polygons(gdf, aid, control, "control", areas),
        buffer=_polygons(gdf, aid, buffer_areas, "buffer_areas", areas), buffer_m=buffer,
        control_buffer=_polygons(gdf, aid, control_buffer_areas, "control_buffer_areas",
                                 areas),
        control_buffer_m=control_buffer, before=before, after=after, date_column=date_column,
        weight_by_time=weight_by_time, weight_by_area=weight_by_area, alpha=alpha)
    thr = threshold(ctx) if ctx.sensitive(points) else 0
    test = {**{f"wdd_{k}" if k != "wdd" else "wdd": v for k, v in res.wdd.items()},
            **dict(res.wdq)}
    counts = res.table[["before", "after"]].to_numpy(float).ravel()
    notes = list(res.meta.get("notes", []))
    withheld = bool(thr) and bool(((counts > 0) & (counts < thr)).any())
    if withheld:
        # the WDD, its variance (the sum of every count) and the WDQ would give back a
        # suppressed count from the others: withhold the test
        test = {k: (np.nan if not isinstance(v, str) else "withheld") for k, v in test.items()}
        notes.append(f"a count is below {thr}: the WDD test and WDQ are withheld "
                     "(disclosure control)")
    units = in_sentence(units_word(ctx, units, points, filter))
    line = "; ".join(f"{r.area}: {int(r.before):,} -> {int(r.after):,}"
                     for r in res.table.itertuples(index=False))
    line = f"{units}, {res.meta['period']}: {line}; " + (
        "WDD withheld (a small count)" if withheld else
        f"WDD {res.wdd['wdd']:+.1f} (z = {res.wdd['z']:.2f}, p = {res.wdd['p']:.3f})")
    meta = {**res.meta, "title": "Evaluation of an intervention: {subject}", "notes": notes,
            "summary": [line]}
    fig = evaluation_chart(res, units=units, source=chart_source(ctx, points, areas),
                           threshold=thr)
    return [StepOutput(name, res.table, "table", meta),
            StepOutput(f"{name}_test", pd.DataFrame([test]), "table",
                       {**meta, "title": "Weighted Displacement Difference and Quotient: "
                                         "{subject}", "count_columns": [], "summary": [],
                        "rate_columns": [k for k, v in test.items()
                                         if not isinstance(v, str)]}),
            StepOutput(f"{name}_areas", res.areas, "areas",
                       {**meta, "title": "Target, buffer and control areas", "summary": [],
                        "value_column": "role",
                        "style": {"column": "role", "scheme": "categorical",
                                  "legend_title": "Area", "categories": _ROLE_COLOURS}}),
            save_figure(ctx, fig, f"{name}_chart", {**meta, "summary": []})]


# -------------------------------------------------------- composite_index
_SCALINGS = ("minmax", "percentile", "zscore", "raw")
_COMBINE = ("mean", "sum", "geomean", "product")


@analysis(
    "composite_index", strand="communities", uses_dates=False, label="Composite index of areas",
    about=("Scores each area on several indicators (deprivation, record rates, access) put on "
           "one scale, weighted and combined, and ranks the areas."),
    order=64, menu="deprivation", title="Composite index of areas",
    out_formats=(".gpkg", ".csv", ".geojson", ".shp"),
    summary="composite index per area of several indicators (fields, IMD, counted records): "
            "scaling, weights, reversed indicators, as ArcGIS's Calculate Composite Index",
    description="""\
One index per area from several indicators: fields of the areas (--fields,
e.g. imd_score from --imd files), and record layers counted per area
(--layer NAME=FILE; per 10,000 residents with --population).  Each indicator
is scaled (minmax: 0 to 1; percentile: rank 0 to 1; zscore: standardised;
raw), turned round where a high value is good (--reverse, e.g. access to
services), weighted (--indicator-weight NAME=W, default 1 each) and combined
(mean, sum, geometric mean or product), as ArcGIS's Calculate Composite
Index; --output-range 0,100 rescales the result.  Areas lacking an indicator
get no index.

output columns: <area id>, each indicator and <indicator>_scaled, index,
index_rank (1 = highest), index_quintile (5 = highest), the counts behind
any rates (suppressed when small).""",
    inputs=[AREAS.but(help="The areas to score: a boundary layer or an earlier area result "
                           "(e.g. a deprivation profile)."),
            Input("layers", "records", "Record layers", "Record layers counted per area, "
                  "each one indicator (a rate per 10,000 residents with a population).",
                  many=True, required=False, named=True)],
    params=[AREA_ID,
            Param("fields", "list", "Indicator fields", "Fields of the areas used as "
                  "indicators, e.g. imd_score,access."),
            Param("imd", "file", "IMD files", "Published IoD files (e.g. the IMD 2019 "
                  "scores) joined to the areas by code first, so imd_score, imd_rank and the "
                  "domain scores can be indicators.", many=True),
            Param("filters", "mapping", "Layer filters", "A filter expression per record "
                  "layer, e.g. drugs = crime_type == 'Drugs'.", cli="--layer-filter"),
            POPULATION.but(help="Residents per area: counted record layers become rates per "
                                "10,000 residents. Blank: plain counts."),
            Param("weights", "mapping", "Indicator weights", "How much each indicator "
                  "counts, e.g. imd_score = 2. Blank: 1 each.", cli="--indicator-weight",
                  item="float"),
            Param("reverse", "list", "Reversed indicators", "Indicators where a high value "
                  "is good (e.g. access to services): turned round before combining."),
            Param("scaling", "choice", "Scale each indicator by", "minmax: 0 (lowest area) "
                  "to 1 (highest); percentile: rank from 0 to 1; zscore: standardised; raw: "
                  "as it is.", default="minmax", choices=_SCALINGS),
            Param("combine", "choice", "Combine by", "mean or sum of the weighted scaled "
                  "values; geomean or product when a low value in one indicator should "
                  "pull the index down.", default="mean", choices=_COMBINE),
            Param("output_range", "list", "Rescale to", "Lowest and highest value of the "
                  "index, e.g. 0,100. Blank: as combined.", item="float"),
            Param("reverse_index", "bool", "Reverse the index", "Turn the final index round "
                  "(high becomes low).", default=False, advanced=True)],
    outputs=[Output("", "areas", "composite index per area")],
    examples=[f"composite_index --areas {_BRISTOL} --area-id LSOA11CD --imd "
              "mysociety_UK_IMD_E_2019scores_all_uk.csv --fields imd_score --layer "
              f"drugs={','.join(_STREET.split())} --layer-filter \"drugs=crime_type == "
              "'Drugs'\" --layer asb=" + ",".join(_STREET.split()) + " --layer-filter "
              "\"asb=crime_type == 'Anti-social behaviour'\" " + _POP + " --output-range "
              "0,100 --out composite_index.gpkg"],
)
def composite_index_step(ctx, *, areas, layers, area_id, fields, imd, filters, population,
                         weights, reverse, scaling, combine, output_range, reverse_index,
                         name):
    """Composite index per area of area fields and counted record layers."""
    from mapping.stats.composite_index import composite_index
    from mapping.stats.concentration import count_in_areas

    gdf, aid = _areas(ctx, areas, area_id)
    if imd:
        from boundaries.deprivation import read_imd

        tab = read_imd([project_path(ctx, p) for p in ([imd] if isinstance(imd, str) else imd)])
        gdf = gdf.drop(columns=[c for c in tab.columns if c in gdf.columns and c != aid])
        gdf = gdf.merge(tab, left_on=aid, right_on="lsoa_code", how="left")
    if population is not None and population not in gdf.columns:
        raise ProjectError(f"layer '{areas}' has no population field '{population}'",
                           fix=f"join a population table, or leave {term('population')} out")
    fields = [fields] if isinstance(fields, str) else list(fields or [])
    missing = [f for f in fields if f not in gdf.columns]
    if missing:
        cols = ", ".join(str(c) for c in gdf.columns if c != "geometry")[:300]
        raise ProjectError(f"the areas have no field '{missing[0]}'", column=missing[0],
                           fix=f"set {term('fields')} to fields of the areas: {cols}")
    work = gdf[[aid, "geometry"]].copy()
    names, counts, rates = [], {}, []
    for f in fields:
        work[f] = pd.to_numeric(gdf[f], errors="coerce").to_numpy()
        names.append(f)
    pop = pd.to_numeric(gdf[population], errors="coerce").to_numpy(float) \
        if population else None
    for lay in layers or []:
        pts, _ = records(ctx, lay, (filters or {}).get(lay), param="layers")
        c = count_in_areas(gdf, pts, area_id=aid, snap_m=50).to_numpy(float)
        counts[f"count_{lay}"] = c
        if pop is None:
            names.append(f"count_{lay}")
            work[f"count_{lay}"] = c
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                work[f"{lay}_per_10k"] = np.where(pop > 0, c / pop * 10_000, np.nan)
            names.append(f"{lay}_per_10k")
            rates.append(f"{lay}_per_10k")
    alias = {**{lay: f"{lay}_per_10k" if pop is not None else f"count_{lay}"
                for lay in layers or []}, **{f: f for f in fields}}
    # the dialog gives {layer: weight}; the command line --indicator-weight NAME=W
    given = {**(layers if isinstance(layers, dict) else {}), **(weights or {})}
    w = {alias.get(k, k): float(v) for k, v in given.items()}
    rev = [alias.get(str(r), str(r)) for r in (reverse or [])]
    unknown = [k for k in [*w, *rev] if k not in names]
    if unknown:
        raise ProjectError(f"'{unknown[0]}' is not one of the indicators "
                           f"({', '.join(alias)})", fix="name the fields and layers given")
    out = composite_index(work, names, scaling=scaling, weights=w or None, reverse=rev,
                          combine=combine, output_range=output_range,
                          reverse_index=reverse_index, id_column=aid, name="index")
    for k, v in counts.items():  # the counts behind the rates, for disclosure control
        out[k] = v
    m = out.attrs.pop("meta")
    label = ", ".join(n.replace("_per_10k", " per 10,000").replace("count_", "").replace(
        "_", " ") for n in names)
    top = out.sort_values("index", ascending=False).head(3)
    line = (f"composite index of {len(names)} indicators ({label}) for {m['base_n']:,} of "
            f"{len(out):,} areas; highest: " + ", ".join(str(v) for v in top[aid]))
    meta = {**m, "title": f"Composite index of areas: {label}", "summary": [line],
            "count_columns": list(counts),
            "rate_columns": rates + [f"{c}_scaled" for c in names if c in rates or
                                     c.startswith("count_")] + (["index"] if counts else []),
            "style": {"column": "index", "scheme": "quantiles", "k": 5, "palette": "YlOrRd",
                      "legend_title": "Composite index (quintiles)"}}
    return [StepOutput(name, out, "areas", meta)]
