"""Hotspot analyses: ``count``, ``kde``, ``gistar``, ``lisa``, ``change``, ``composite``, ``pai``.

Example project entries::

    [[analyses]]
    name = "arrest_rates"
    kind = "count"
    [analyses.params]
    areas = "lsoa"                 # boundary layer
    points = "arrests"             # record layer(s): a name or a list
    population = "population"      # optional: an area column -> rates per 10,000

    [[analyses]]
    name = "arrests_kde"
    kind = "kde"
    [analyses.params]
    points = "arrests"
    cell_size = 50
    bandwidth = 300
    boundary = "lsoa"              # optional: mask cells outside

Outputs are named after the analysis.  KDE of a *sensitive* layer (arrests,
needle finds, crack houses, police.uk ...) never uses a bandwidth below the
project's ``[disclosure] min_kde_bandwidth_m`` (default 200 m); when the
requested bandwidth is raised the notes say so.
"""

from __future__ import annotations

import pandas as pd

from layers.common.errors import ProjectError, term
from mapping.stats.engine import engine_for
from mapping.pipeline import REQUIRED, Input, Output, Param, StepOutput, analysis
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import period_of, records, threshold
from mapping.pipeline.params import (ALPHA, AREA_ID, AREAS, BANDWIDTH, BOUNDARY, CELL_SIZE,
                                     ENGINE, FDR, FILTER, SCHEDULER, KERNEL, PERIOD_KINDS, PERMUTATIONS, POINTS,
                                     POPULATION, SEED, WEIGHTS)

_BRISTOL = "bristol_lsoa2011_E06000023.geojson"
_STREET = "2018-1*-avon-and-somerset-street.csv"
_POP = ("--population mysociety_lsoa_population_mid2019_uk.csv --population-id lsoa "
        "--population-field pop")
_DRUGS = "--filter \"crime_type == 'Drugs'\""
_RATE_COLS = ("rate_per_10k", "rate_lcl", "rate_ucl")

CONFIDENCE = Param("confidence", "float", "Confidence level", "Width of the confidence "
                   "intervals around each rate: 0.95 = 95% intervals.", default=0.95,
                   minimum=0.5, maximum=0.999)


# ------------------------------------------------------------------ count
@analysis(
    "count", strand="supply", uses_dates=False, uses_geometry=False,
    label="Counts and rates",
    about=("Counts records in each area and, with a population, the rate per 10,000 residents "
           "with 95% confidence intervals (PHE's rule: exact below 10 events, Byar from 10). "
           "Smoothed rates can be added where small numbers make raw rates unstable."),
    order=20, menu="hotspots",
    title="{subject} per area",
    summary="count points per area; with a population, rates per 10,000 with 95% limits",
    description="""\
Count the points of one layer (several --points files are one layer) in every
area, including areas with none.  With a population, add rates per 10,000
residents and their 95% confidence limits by PHE's rule (exact Poisson below 10
events, Byar from 10; Public Health England's Technical Guide); --smooth adds
empirical Bayes smoothed rates beside them.  Areas with fewer events than the
disclosure threshold (default 5)
are flagged in the small_number column; for sensitive records (police.uk,
arrests, needle finds ...) their counts are suppressed ("<5") in every output.

output columns: <area id>, count, [population, rate_per_10k, rate_lcl, rate_ucl],
small_number (plus the area polygons in a .gpkg, .geojson or .shp output).""",
    inputs=[AREAS, POINTS,
            AREAS.but(name="rollup_to", label="Roll up to", required=False, cli="--roll-up-to",
                      id_param="rollup_id", help="Larger areas (wards, districts) to sum the "
                      "counts and populations into; rates are recomputed on the sums.")],
    params=[AREA_ID, FILTER, POPULATION, CONFIDENCE,
            Param("smooth", "choice", "Smoothed rates", "Add empirical Bayes smoothed rates "
                  "(rate_eb_per_10k) beside the raw rate, which small counts make unstable: "
                  "global shrinks each rate towards the overall rate, local towards its "
                  "neighbourhood's, spatial pools each area with its neighbours (Marshall "
                  "1991). Needs a population.", choices=("global", "local", "spatial")),
            Param("weight", "column", "Quantity to sum", "Also sum this numeric field of the "
                  "records per area (and per 10,000 residents with a population), e.g. "
                  "grams seized or cash recovered.", of="points"),
            Param("weight_units", "text", "Units of the quantity", "For titles and notes, "
                  "e.g. grams. Blank: the field's name.", advanced=True),
            Param("rollup_id", "column", "Larger-area code field", "The code field of the "
                  "larger areas (detected when blank).", of="rollup_to", cli="--roll-up-id",
                  advanced=True),
            Param("rollup_lookup", "file", "Roll-up lookup", "An ONS lookup from these areas' "
                  "codes to the larger areas' codes (e.g. LSOA to ward). Blank: each area "
                  "goes to the larger area holding most of it.", cli="--roll-up-lookup",
                  advanced=True), ENGINE, SCHEDULER],
    outputs=[Output("", "areas", "counts (and rates) per area", counts=("count",),
                    rates=_RATE_COLS + ("rate_eb_per_10k", "*_sum", "*_per_10k"))],
    examples=[f"count --areas {_BRISTOL} --area-id LSOA11CD --points {_STREET} {_DRUGS} "
              f"{_POP} --out drugs_rates.csv",
              f"count --areas {_BRISTOL} --area-id LSOA11CD --points {_STREET} {_DRUGS} "
              f"{_POP} --roll-up-to bristol_wards2014_E06000023.geojson --roll-up-id WD13CD "
              "--out drugs_wards.shp"],
)
def count_step(ctx, *, areas, points, rollup_to, area_id, filter, population, confidence,
               smooth, weight, weight_units, rollup_id, rollup_lookup, engine, scheduler,
               name):
    """Counts per area (and sums of a quantity); with a population, rates per 10,000 with
    their limits; optionally rolled up to larger areas."""
    from mapping.stats.rates import area_rates

    gdf, aid = _areas(ctx, areas, area_id)
    pts, _ = records(ctx, points, filter)
    if population is not None and population not in gdf.columns:
        raise ProjectError(f"layer '{areas}' has no population column '{population}'",
                           fix=f"join a population table to the areas, or set "
                               f"{term('population')}")
    if smooth and population is None:
        raise ProjectError(f"{term('smooth')} needs {term('population')}",
                           fix="give the population of each area")
    if rollup_lookup and not rollup_to:
        raise ProjectError(f"{term('rollup_lookup')} needs {term('rollup_to')}",
                           fix="name the larger areas")
    small = threshold(ctx) or 5
    if weight:
        from mapping.stats.quantities import area_sums

        with engine_for(ctx, engine, scheduler):
            out = area_sums(gdf, pts, aid, weight, population=population,
                            units=weight_units, confidence=confidence, small_number=small)
    else:
        with engine_for(ctx, engine, scheduler):
            out = area_rates(gdf, pts, aid, population=population, small_number=small,
                             confidence=confidence, smooth=smooth)
    a = out.attrs.pop("assignment")
    meta = out.attrs.pop("meta")
    meta["assignment"] = a
    col = meta.get("value_column") or ("rate_per_10k" if population else "count")
    title = "{subject} per 10,000 residents" if population else "{subject} per area"
    if smooth and population:
        title += (f" (smoothed, {smooth} empirical Bayes)" if smooth != "spatial"
                  else " (spatially smoothed)")
    meta.update(title=title,
                period=period_of(pts), count_columns=["count"], value_column=col,
                style={"column": col}, summary=[_count_line(ctx, points, filter, a, len(out))])
    if rollup_to:
        from mapping.pipeline.rollup import rollup

        out, rmeta, level = rollup(ctx, out, meta, rollup_to, small_code=aid,
                                   large_code=rollup_id, lookup=rollup_lookup,
                                   population="population" if population else None,
                                   confidence=confidence)
        meta = {**rmeta, "title": meta["title"], "period": meta["period"],
                "summary": meta["summary"] + rmeta["summary"],
                "count_columns": ["count"]}
    return [StepOutput(name, out, "areas", meta)]


def _count_line(ctx, points, filt, a, n_areas) -> str:
    metas = [ctx.meta.get(n, {}) for n in ([points] if isinstance(points, str) else points)]
    read = sum(int(m.get("rows_read", m.get("base_n", 0)) or 0) for m in metas)
    rejected = sum(int(m.get("n_rejected", 0) or 0) for m in metas)
    extra = f" ({a['read']:,} match the filter)" if filt else ""
    return (f"records read: {read:,}{extra}; assigned: {a['assigned']:,}; unassigned: "
            f"{a['unassigned']:,} (outside every area); rejected by the loader (e.g. no "
            f"location): {rejected:,}; areas: {n_areas:,}")


# -------------------------------------------------------------------- kde
_KDE_PARAMS = [
    CELL_SIZE, BANDWIDTH, KERNEL,
    Param("weight", "column", "Weight field", "Count each record this many times (e.g. the "
          "number of needles found). Blank counts each record once.", of="points"),
    Param("edge_correction", "bool", "Correct for the boundary", "With a study area: raise "
          "cells near its edge, where part of the search radius falls outside and can hold "
          "no records (uniform correction, Diggle 1985).", default=False, advanced=True),
    Param("exact", "bool", "Exact evaluation", "Evaluate every record at every cell instead "
          "of binning (slow; the reference the binned surface is checked against).",
          default=False, advanced=True),
]


@analysis(
    "kde", strand="supply", uses_dates=False, uses_geometry=False,
    label="Kernel density (KDE) hotspots",
    about=("A smooth surface of record density in records per km². Hotspots are the darkest "
           "cells. Sensitive layers get a minimum radius (disclosure control)."),
    order=21, menu="hotspots", out_formats=(".tif", ".tiff", ".gpkg"),
    title="Density of {subject}",
    summary="kernel density surface (events per km²) as GeoTIFF or a GeoPackage grid",
    description="""\
Kernel density of the points (several --points files are one layer) on a grid
whose cell edges are multiples of the cell size.  Output: float32, EPSG:27700,
events per km² (density summed over cells × cell area ≈ number of events),
nodata (-9999 in GeoTIFF; no cell in a GeoPackage) outside --boundary.

defaults: kernel quartic; cell size = shorter side of the extent / 250 rounded
down to 1, 2, 2.5 or 5 × 10^k m (ArcGIS's rule); bandwidth = ArcGIS's spatial
Silverman rule rounded to 10 m.  Stating both is better practice.  A warning is
printed if the bandwidth is smaller than the cell size.  Sensitive records
(police.uk, arrests, needle finds ...) are never smoothed with a bandwidth
below the disclosure minimum (200 m unless --min-bandwidth or the project's
[disclosure] says otherwise).  No edge correction unless --edge-correction
(with --boundary).  Computed by linear binning + FFT convolution within a
stated tolerance of the exact density; --exact evaluates every point.""",
    inputs=[POINTS, BOUNDARY],
    params=[FILTER, *_KDE_PARAMS, ENGINE, SCHEDULER],
    outputs=[Output("", "surface", "density surface")],
    examples=[f"kde --points {_STREET} {_DRUGS} --boundary {_BRISTOL} --cell-size 50 "
              "--bandwidth 300 --out drugs_kde.tif"],
)
def kde_step(ctx, *, points, boundary, filter, cell_size, bandwidth, kernel, weight,
             edge_correction, exact, engine, scheduler, name):
    """Kernel density surface in events per km² (minimum bandwidth for sensitive layers)."""
    from mapping.stats.kde import hotspot_kde

    pts, _ = records(ctx, points, filter)
    sensitive = ctx.sensitive(points)
    bandwidth, raised = ctx.policy.kde_bandwidth(bandwidth, sensitive)
    bnd = ctx.data(boundary) if boundary else None
    with engine_for(ctx, engine, scheduler):
        surf = hotspot_kde(pts, cell_size=cell_size, bandwidth=bandwidth, kernel=kernel,
                           weight=weight, boundary=bnd, method="exact" if exact else "binned",
                           min_bandwidth=ctx.policy.min_bandwidth(sensitive),
                           edge_correction=edge_correction)
    m = surf.meta
    notes = ([raised] if raised else []) + list(m.get("notes", []))
    m["notes"] = notes
    corrected = m["edge_correction"] != "none"
    ny, nx = surf.shape
    meta = {"title": "Density of {subject}" + (", edge-corrected" if corrected else ""),
            "units": surf.units, "value_column": "density", "method": m["method"],
            "params": {"kernel": m["kernel"], "bandwidth_m": m["bandwidth_m"],
                       "cell_size_m": m["cell_size_m"], "weight": weight,
                       "edge_correction": m["edge_correction"].split(":")[0]},
            "base_n": m["base_n"], "period": period_of(pts), "notes": notes,
            "style": {"cmap": "YlOrRd"},
            "summary": [f"kde: {m['base_n']:,} events, {m['kernel']} kernel, bandwidth "
                        f"{m['bandwidth_m']:g} m, cell {m['cell_size_m']:g} m, {nx}×{ny} "
                        f"cells, {surf.units}; density total {m['density_total']:,.1f}"]}
    return [StepOutput(name, surf, "surface", meta)]


# --------------------------------------------------------- gistar and lisa
_CELLS = Param("cell_size", "float", "Grid cell size", "Analyse square cells of this width "
               "(metres, edges on multiples of it) instead of areas: the records are counted "
               "per cell. Blank: analyse the areas.", unit="m", minimum=25, maximum=5000)
_VALUE = Param("value", "column", "Value field", "Analyse this numeric field of the areas "
               "(e.g. a rate computed earlier) instead of counting records.", of="areas")
_LOCAL_INPUTS = [AREAS.but(required=False), POINTS.but(required=False),
                 BOUNDARY.but(help="With a grid: analyse only cells whose centre is inside "
                                   "this boundary layer.")]


_SNAP = Param("snap", "float", "Snapping tolerance", "Area boundaries this close count as "
              "shared by queen and rook neighbours, so the slivers of generalised ONS "
              "boundaries do not cut neighbours apart. 0 = exact contact.", default=2.0,
              unit="m", minimum=0, maximum=100, advanced=True)


def _local_params(permutations: int, seed):
    return [AREA_ID, _VALUE, FILTER, _CELLS, WEIGHTS, ALPHA, FDR,
            PERMUTATIONS.but(default=permutations), SEED.but(default=seed), _SNAP]


def _cells_or_areas(ctx, on_areas, on_cells, *, areas, points, value, area_id, cell_size,
                    boundary, filter, snap, **kw):
    """Run a local statistic on grid cells (``cell_size``) or on areas; returns
    (result, layer kind, period)."""
    if cell_size is not None:
        if not points:
            raise ProjectError(f"{term('cell_size')} analyses grid cells of records",
                               fix=f"name the records in {term('points')}")
        if areas:
            raise ProjectError(f"give {term('areas')} or {term('cell_size')}, not both",
                               fix=f"use {term('boundary')} for the study area of a grid")
        pts, _ = records(ctx, points, filter)
        out = on_cells(pts, cell_size=cell_size,
                       boundary=ctx.data(boundary) if boundary else None, **kw)
        return out, "grid", period_of(pts)
    if not areas:
        raise ProjectError(f"give {term('areas')}, or {term('cell_size')} for grid cells",
                           fix=f"name the area layer in {term('areas')}")
    gdf, aid = _areas(ctx, areas, area_id)
    if (not points) == (value is None):
        raise ProjectError(f"give either {term('points')} (counted per area) or "
                           f"{term('value')} (a field of the areas)",
                           fix="set exactly one of them")
    if value is not None:
        if value not in gdf.columns:
            raise ProjectError(f"layer '{areas}' has no field '{value}'", column=value,
                               fix=f"set {term('value')} to a numeric field of the areas")
        return on_areas(gdf, value, id_column=aid, snap=snap, **kw), "areas", ""
    from mapping.stats.rates import count_points

    pts, _ = records(ctx, points, filter)
    gdf = gdf.copy()
    table, pos = count_points(gdf, pts, aid)
    gdf["count"] = table["count"].to_numpy()
    out = on_areas(gdf, "count", id_column=aid, snap=snap, **kw)
    out.attrs.setdefault("meta", {})["summary"] = [
        f"counted {int((pos >= 0).sum()):,} of {len(pos):,} records into {len(gdf):,} areas"]
    return out, "areas", period_of(pts)


def _local_meta(out, points, value, period, title, style, label):
    meta = dict(out.attrs.pop("meta", None) or {})
    if points:
        meta["notes"] = list(meta.get("notes", [])) + [f"{meta['base_n']} areas or cells"]
        meta["base_n"] = int(out["value"].sum())
        meta["count_columns"] = ["value"]
    summary = list(meta.get("summary", []))
    p = meta.get("params", {})
    summary.append(f"{label}: {p.get('weights_detail', '')}; FDR {p.get('fdr')}; "
                   f"{(meta.get('notes') or [''])[0]}")
    meta.update(title=title if points else title.replace("{subject}", value or "value"),
                period=period, style=style, summary=summary)
    return meta


_GI_DESC = """\
Getis-Ord Gi* for every area, on the count of --points in it or on a --value
field of the areas, or for grid cells (--cell-size) of the points.  Weights
are binary with the area itself included (Gi*, not Gi): queen (default), rook,
distance:METRES (centroids) or knn:K.  z-scores are analytic (Getis & Ord
1995, as ArcGIS); p-values are two-sided.  The Benjamini-Hochberg false
discovery rate adjustment is ON by default (--no-fdr turns it off); gi_bin is
-3..+3 at 99/95/90% confidence like ArcGIS's Gi_Bin, from the adjusted
p-values.  --permutations N --seed S adds conditional permutation pseudo
p-values (gi_p_sim: two-sided, counting simulations equal to the observed
value up to rounding), then used for FDR and bins.  Areas whose value and
neighbours' values are all equal (gi_flat; e.g. no events in or around them)
are never significant.  Queen and rook count boundaries within --snap metres
(default 2) as shared.  Areas with no neighbour are refused, named by their
code; grid cells without a neighbour are left out with a note, and the notes
count the points outside the analysed cells.

output columns: <area id>, value, gi_z, gi_p, [gi_p_sim], gi_p_fdr, gi_bin, gi_sig,
gi_flat
(grid cells: cell_id, row, col, value, ... when --cell-size replaces --areas)"""


@analysis(
    "gistar", strand="supply", uses_dates=False, uses_geometry=False,
    label="Getis-Ord Gi* hot and cold spots",
    about=("Tests whether each area and its neighbours together have more (hot) or fewer (cold) "
           "records than chance would give, at 90/95/99% confidence."),
    order=22, menu="hotspots", title="Gi* hot and cold spots: {subject}",
    summary="Getis-Ord Gi* hot/cold spots of areas or grid cells (counts of points or a value)",
    description=_GI_DESC,
    inputs=_LOCAL_INPUTS, params=[*_local_params(0, None), ENGINE, SCHEDULER],
    one_of=(("areas", "cell_size"),),
    outputs=[Output("", "areas", "Gi* z-scores and bins", counts=())],
    examples=[f"gistar --areas {_BRISTOL} --area-id LSOA11CD --points {_STREET} {_DRUGS} "
              "--out drugs_gi.gpkg",
              f"gistar --cell-size 250 --points {_STREET} {_DRUGS} --boundary {_BRISTOL} "
              "--out drugs_gi_grid.gpkg"],
)
def gistar_step(ctx, *, areas, points, boundary, area_id, value, filter, cell_size, weights,
                alpha, fdr, permutations, seed, snap, engine, scheduler, name):
    """Gi* hot/cold spots of areas, or of grid cells when ``cell_size`` is given."""
    from mapping.stats.gistar import hotspot_gistar, hotspot_gistar_grid

    with engine_for(ctx, engine, scheduler):
        out, kind, period = _cells_or_areas(
            ctx, hotspot_gistar, hotspot_gistar_grid, areas=areas, points=points, value=value,
            area_id=area_id, cell_size=cell_size, boundary=boundary, filter=filter,
            weights=weights, alpha=alpha, fdr=fdr, permutations=permutations, seed=seed,
            snap=snap)
    meta = _local_meta(out, points, value, period, "Gi* hot and cold spots: {subject}",
                       {"column": "gi_bin", "scheme": "gistar"}, "gistar")
    return [StepOutput(name, out, kind, meta)]


_LISA_DESC = """\
Local Moran's I (Anselin 1995) for every area, on the count of --points in it
or on a --value field, or for grid cells (--cell-size).  Weights (queen
default, rook, distance:METRES, knn:K) are row-standardised; queen and rook
count boundaries within --snap metres (default 2) as shared.  Significance
from conditional permutations (default 9999, seed 12345), with
Benjamini-Hochberg FDR adjustment ON by default (--no-fdr to turn off).  The
statistic and simulations are esda.Moran_Local's for the same seed and
weights; lisa_p is two-sided and counts simulations equal to the observed
value up to rounding (ties), so an empty area among empty neighbours is not a
Low-Low cluster.  Areas whose value and neighbours' values are all equal
(lisa_flat) are never significant.

output columns: <area id>, value, lisa_i, lisa_z_sim, lisa_p, lisa_p_fdr,
lisa_quadrant (HH/LH/LL/HL), lisa_cluster (quadrant if significant, else
"Not significant"), lisa_sig, lisa_flat"""

_LISA_COLOURS = {"HH": "#d7191c", "LL": "#2c7bb6", "HL": "#fdae61", "LH": "#abd9e9",
                 "Not significant": "#d9d9d9"}


@analysis(
    "lisa", strand="supply", uses_dates=False, label="Local Moran's I (LISA) clusters",
    about=("Finds clusters of high values (High-High), low values (Low-Low) and outliers "
           "(High-Low, Low-High) among neighbouring areas or grid cells."),
    order=23, menu="hotspots", title="LISA clusters: {subject}",
    summary="Local Moran's I (LISA) clusters: High-High, Low-Low, High-Low, Low-High",
    description=_LISA_DESC,
    inputs=_LOCAL_INPUTS, params=_local_params(9999, 12345), one_of=(("areas", "cell_size"),),
    outputs=[Output("", "areas", "LISA clusters")],
    examples=[f"lisa --areas {_BRISTOL} --area-id LSOA11CD --points {_STREET} {_DRUGS} "
              "--seed 1 --out drugs_lisa.gpkg"],
)
def lisa_step(ctx, *, areas, points, boundary, area_id, value, filter, cell_size, weights,
              alpha, fdr, permutations, seed, snap, name):
    """Local Moran's I clusters (HH, LL, HL, LH) of areas or grid cells."""
    from mapping.stats.lisa import hotspot_lisa, hotspot_lisa_grid

    out, kind, period = _cells_or_areas(
        ctx, hotspot_lisa, hotspot_lisa_grid, areas=areas, points=points, value=value,
        area_id=area_id, cell_size=cell_size, boundary=boundary, filter=filter,
        weights=weights, alpha=alpha, fdr=fdr, permutations=permutations, seed=seed,
        snap=snap)
    meta = _local_meta(out, points, value, period, "LISA clusters: {subject}",
                       {"column": "lisa_cluster", "scheme": "categorical",
                        "categories": _LISA_COLOURS}, "lisa")
    return [StepOutput(name, out, kind, meta)]


# ----------------------------------------------------------------- change
_CHANGE_DESC = """\
Three modes (--mode):

areas (default)  count the points of --period-a and --period-b (e.g. 2018Q4 and
    2019Q1, or this quarter and the same quarter last year) in every area;
    rate ratio b/a with 95% limits and an exact conditional binomial test
    (given a+b events, is the split different from the exposures' split?),
    Benjamini-Hochberg FDR on by default.
    columns: <area id>, count_a, count_b, change, [rate_a, rate_b], rate_ratio,
    rr_lcl, rr_ucl, p_exact, p_fdr, trend (up / down / no significant change)
kde   KDE of each period on one grid, written as the difference b - a
    (change in events per km²; GeoTIFF or GeoPackage grid).
classes  Gi* on grid cells (--cell-size) or on areas (--areas, --area-id) in
    every period (--period kind), then each cell or area is a
    persistent / emerging / former / intermittent hotspot or no pattern.

Periods: --period month|quarter|year|financial_year (default quarter); labels
like 2019Q1, 2019-01, 2019, 2019/20."""

_TREND_COLOURS = {"up": "#d7191c", "down": "#2c7bb6", "no significant change": "#d9d9d9"}
_CLASS_COLOURS = {"persistent hotspot": "#b2182b", "emerging hotspot": "#ef8a62",
                  "intermittent hotspot": "#fddbc7", "former hotspot": "#67a9cf",
                  "no pattern": "#f0f0f0"}


@analysis(
    "change", strand="supply", label="Change over time",
    about=("Compares two periods: per-area change with a significance test, a KDE difference "
           "surface, or hotspot classes (new, persistent, ended)."),
    order=24, menu="hotspots", title="Change in {subject}", aliases={"kind": "period"},
    out_formats=(".csv", ".gpkg", ".geojson", ".shp", ".tif", ".tiff"),
    summary="change between periods: per-area rate ratios with exact tests, KDE differences, "
            "hotspot classes",
    description=_CHANGE_DESC,
    inputs=[AREAS.but(required=False), POINTS, BOUNDARY],
    params=[
        Param("mode", "choice", "Compare as", "areas: change per area with a test; kde: "
              "difference of density surfaces; classes: hotspot classes across periods.",
              default="areas", choices=("areas", "kde", "classes")),
        AREA_ID, FILTER,
        Param("period", "choice", "Period length", "Length of each period compared.",
              default="quarter", choices=PERIOD_KINDS),
        Param("period_a", "period", "Earlier period", "e.g. 2018Q4, 2018-10 or 2018. Blank "
              "(areas mode): the same period a year before the later one."),
        Param("period_b", "period", "Later period", "e.g. 2019Q1. Blank: the latest period "
              "in the data."),
        POPULATION.but(help="Residents per area (areas mode): rates per 10,000 in each "
                            "period."),
        ALPHA, FDR, CELL_SIZE.but(help="Cell size in metres (kde and classes modes)."),
        BANDWIDTH.but(help="Search radius in metres (kde mode)."), KERNEL, WEIGHTS,
    ],
    outputs=[Output("", "areas", "change per area, surface or classes",
                    counts=("count_a", "count_b", "count_*"),
                    rates=("rate_a", "rate_b", "rate_ratio", "rr_lcl", "rr_ucl", "change"))],
    examples=[f"change --areas {_BRISTOL} --area-id LSOA11CD --points {_STREET} "
              "2019-01-avon-and-somerset-street.csv " + _DRUGS + " --period month "
              "--period-a 2018-12 --period-b 2019-01 --out drugs_change.csv",
              f"change --mode classes --points {_STREET} --period month --cell-size 500 "
              f"--boundary {_BRISTOL} --out classes.gpkg"],
)
def change_step(ctx, *, areas, points, boundary, mode, area_id, filter, period, period_a,
                period_b, population, alpha, fdr, cell_size, bandwidth, kernel, weights,
                name):
    """Two-period comparison per area (``mode="areas"``), KDE difference (``"kde"``) or
    hotspot classes across periods (``"classes"``)."""
    from mapping.stats import change as ch

    pts, _ = records(ctx, points, filter)
    bnd = ctx.data(boundary) if boundary else None
    if mode == "areas":
        if not areas:
            raise ProjectError(f"change mode 'areas' needs {term('areas')}",
                               fix=f"name the area layer, or set {term('mode')} to kde or "
                                   "classes")
        if period_b is None:
            raise ProjectError(f"change mode 'areas' needs {term('period_b')}",
                               fix="e.g. 2019Q1")
        gdf, aid = _areas(ctx, areas, area_id)
        raw, _ = records(ctx, points, None)  # unfiltered: which days the data cover
        out = ch.compare_periods(gdf, pts, aid, period_a=period_a, period_b=period_b,
                                 kind=period, population=population, alpha=alpha, fdr=fdr,
                                 coverage_dates=raw["date"] if "date" in raw.columns else None)
        meta = dict(out.attrs.pop("meta"))
        t = out["trend"].value_counts().to_dict()
        meta.update(title="Change in {subject}: " + f"{meta.get('period', '')}",
                    style={"column": "trend", "scheme": "categorical",
                           "categories": _TREND_COLOURS},
                    summary=[f"change {meta['period']}: {int(out.count_a.sum()):,} -> "
                             f"{int(out.count_b.sum()):,} events; "
                             + ", ".join(f"{k}: {v}" for k, v in sorted(t.items()))])
        return [StepOutput(name, out, "areas", meta)]
    if mode == "kde":
        return [_change_kde(ctx, pts, bnd, points, period, period_a, period_b, cell_size,
                            bandwidth, kernel, name)]
    if cell_size is None and not areas:
        raise ProjectError(f"change mode 'classes' needs {term('cell_size')} (grid cells) "
                           f"or {term('areas')}", fix="e.g. a cell size of 250 m")
    if cell_size is None:
        gdf, aid = _areas(ctx, areas, area_id)
        cells = ch.hotspot_classify(pts, areas=gdf, area_id=aid, kind=period,
                                    weights=weights, alpha=alpha, fdr=fdr)
    else:
        cells = ch.hotspot_classify(pts, cell_size=cell_size, kind=period, boundary=bnd,
                                    weights=weights, alpha=alpha, fdr=fdr)
    meta = dict(cells.attrs.pop("meta"))
    c = cells["hotspot_class"].value_counts().to_dict()
    meta.update(title="Hotspot classes: {subject}",
                style={"column": "hotspot_class", "scheme": "categorical",
                       "categories": _CLASS_COLOURS},
                summary=[f"hotspot classes over {meta.get('period', '')}: "
                         + ", ".join(f"{k}: {v}" for k, v in sorted(c.items()))])
    return [StepOutput(name, cells, "grid" if cell_size is not None else "areas", meta)]


def _change_kde(ctx, pts, bnd, points, period, period_a, period_b, cell_size, bandwidth,
                kernel, name):
    import numpy as np

    from mapping.stats import change as ch
    from mapping.stats.kde import default_cell_size, hotspot_kde, kde_grid
    from mapping.core.periods import assign_periods, period_label

    if bandwidth is None or period_a is None or period_b is None:
        raise ProjectError(f"change mode 'kde' needs {term('bandwidth')}, "
                           f"{term('period_a')} and {term('period_b')}",
                           fix="e.g. a bandwidth of 300 m and periods 2018Q4 and 2019Q1")
    sensitive = ctx.sensitive(points)
    bandwidth, raised = ctx.policy.kde_bandwidth(bandwidth, sensitive)
    labels = assign_periods(pts["date"], period)
    bbox = bnd.total_bounds if bnd is not None else _xy_bounds(pts)
    cs = cell_size or default_cell_size(bbox)
    grid = kde_grid(bbox, cs, pad=0 if bnd is not None else bandwidth)
    surf = [hotspot_kde(pts[(labels == period_label(p, period)).fillna(False).to_numpy(bool)],
                        bandwidth=bandwidth, kernel=kernel, boundary=bnd, grid=grid)
            for p in (period_a, period_b)]
    diff = ch.kde_difference(*surf)
    v = diff.values
    meta = {"title": "Change in density of {subject}: " + f"{period_a} to {period_b}",
            "units": diff.units, "method": diff.meta["method"], "value_column": "change",
            "params": {"kernel": kernel, "bandwidth_m": bandwidth, "cell_size_m": cs},
            "base_n": diff.meta["base_n"], "period": f"{period_a} vs {period_b}",
            "notes": [raised] if raised else [], "style": {"cmap": "RdBu_r"},
            "summary": [f"kde change {period_a} -> {period_b}: {surf[0].meta['base_n']:,} -> "
                        f"{surf[1].meta['base_n']:,} events; range {np.nanmin(v):.1f} to "
                        f"{np.nanmax(v):.1f} {diff.units}"]}
    return StepOutput(name, diff, "surface", meta)


def _xy_bounds(pts):
    from layers.points import points_xy

    xy = points_xy(pts)
    return (xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max())


# -------------------------------------------------------------- composite
@analysis(
    "composite", strand="supply", uses_dates=False, label="Composite hotspot index",
    about=("Combines several record layers (e.g. arrests, needle finds, crack houses) into one "
           "weighted density surface."),
    order=25, menu="hotspots", title="Composite hotspots",
    out_formats=(".gpkg", ".tif", ".tiff"),
    summary="composite hotspot map: several layers' KDEs normalised and combined with weights",
    description="""\
The Home Office audit's "composite GIS hotspot map": each record layer gets a
KDE on one shared grid; each surface is normalised (max: divided by its
highest cell [default]; percentile: rank among the cells with events; zscore:
standardised, negatives set to 0) and the layers are averaged with weights
(default 1 each).  On the command line, --layer NAME=FILE (repeat; several
files for one layer as NAME=FILE1,FILE2), --layer-weight NAME=W and
--layer-filter NAME=EXPR.  A GeoPackage output has, in every cell, the
composite and each layer's normalised value (<name>_norm) and contribution
share (<name>_share, summing to 1); a GeoTIFF has the composite.""",
    inputs=[Input("layers", "records", "Record layers", "The record layers to combine, "
                  "each with a weight (how much it counts in the composite).", many=True,
                  named=True, weighted=True, fewest=2),
            BOUNDARY],
    params=[
        Param("weights", "mapping", "Layer weights", "How much each layer counts, e.g. "
              "needle_finds = 2. Blank: 1 each.", cli="--layer-weight"),
        Param("filters", "mapping", "Layer filters", "A filter expression per layer, e.g. "
              "drugs = crime_type == 'Drugs'.", cli="--layer-filter", advanced=True),
        CELL_SIZE.but(default=REQUIRED), BANDWIDTH.but(default=REQUIRED), KERNEL,
        Param("normalise", "choice", "Scale each layer by", "max: each layer's peak = 1; "
              "percentile: each cell's rank among cells with events; zscore: standardised, "
              "negatives set to 0.", default="max", choices=("max", "percentile", "zscore")),
    ],
    outputs=[Output("", "surface", "composite surface", formats=(".tif", ".tiff")),
             Output("_cells", "grid", "each layer's share per cell", formats=(".gpkg",))],
    examples=[f"composite --layer drugs={_STREET} --layer-filter \"drugs=crime_type == "
              "'Drugs'\" --layer asb=" + _STREET + " --layer-filter \"asb=crime_type == "
              "'Anti-social behaviour'\" --layer-weight drugs=2 --cell-size 100 --bandwidth 400 "
              f"--boundary {_BRISTOL} --out composite.gpkg"],
)
def composite_step(ctx, *, layers, boundary, weights, filters, cell_size, bandwidth, kernel,
                   normalise, name):
    """Composite hotspot map of several record layers with weights."""
    from mapping.stats.composite import composite_layers

    names = list(layers)
    given = {**(layers if isinstance(layers, dict) else {}), **(weights or {})}
    weights = {n: float(given.get(n, 1.0)) for n in names}
    if any(w < 0 for w in weights.values()) or not sum(weights.values()) > 0:
        raise ProjectError(f"the layer weights must be 0 or more, not all 0 ({weights})",
                           fix=f"check {term('weights')}")
    data = {n: records(ctx, n, (filters or {}).get(n), param="layers")[0] for n in names}
    bw, raised = ctx.policy.kde_bandwidth(bandwidth, ctx.sensitive(names))
    res = composite_layers(data, cell_size=cell_size, bandwidth=bw, kernel=kernel,
                           boundary=ctx.data(boundary) if boundary else None,
                           weights=weights, normalise=normalise)
    m = res.surface.meta
    meta = {"title": "Composite hotspots: " + ", ".join(names), "units": res.surface.units,
            "method": m["method"], "value_column": "composite",
            "params": {"normalise": normalise, "weights": m["weights"], "kernel": kernel,
                       "bandwidth_m": bw, "cell_size_m": cell_size},
            "base_n": m["base_n"], "notes": [raised] if raised else [],
            "subject": "Composite of " + ", ".join(names), "style": {"cmap": "YlOrRd"},
            "summary": [f"composite of {', '.join(names)} ({m['normalise']} normalisation, "
                        f"weights {m['weights']})"]}
    return [StepOutput(name, res.surface, "surface", meta),
            StepOutput(f"{name}_cells", res.to_cells(), "grid",
                       {**meta, "title": meta["title"] + " (layer shares per cell)",
                        "summary": []})]


# -------------------------------------------------------------------- pai
@analysis(
    "pai", strand="supply", uses_dates=False, label="Predictive accuracy index (PAI)",
    about=("How well a hotspot map predicts records: the share of records in the hottest part of "
           "the map divided by that part's share of the area."),
    order=26, menu="hotspots", title="Predictive accuracy of a hotspot map",
    out_formats=(".csv",),
    summary="evaluate a hotspot map against later events: hit rate, PAI, recapture rate index",
    description="""\
Take the hotspot area as the top --top-percent (default 3, after Chainey,
Tompson & Uhlig 2008) of the study area's cells of a --surface (e.g. a KDE
GeoTIFF from an earlier period; the study area is the --boundary, else the
surface's cells with data, and a surface with no mask warns that its whole
rectangle is used), or the areas flagged by --hot FIELD in an
--areas file (e.g. gi_sig from hotmap gistar).  Count the --points of the
later period:
  hit rate = n/N;  PAI = (n/N)/(a/A)  (a = hotspot area, A = study area);
  with --earlier (the events the map was made from):
  RRI = (n2/n1)/(N2/N1)  (recapture rate index, Levine 2008).

output: one row with top_percent, hot_cells, cells, hot_km2 (a), study_km2 (A),
n_hot (n), n_total (N), hit_rate (with 95% Wilson limits), pai, threshold,
outside, [n1_hot, n1_total, rri].""",
    inputs=[POINTS, Input("surface", "surface", "Hotspot surface", "A KDE surface made from "
                          "earlier records (a GeoTIFF on the command line).", required=False),
            AREAS.but(required=False, help="Alternatively: areas with a true/false hotspot "
                                           "field."),
            BOUNDARY.but(help="The study area A (with a surface): the hotspot is the top "
                              "share of its cells. Without it, the surface's cells with data; "
                              "a surface with no mask counts its whole rectangle (and warns)."),
            POINTS.but(name="earlier", label="Earlier records", required=False,
                       filter_param="earlier_filter", cli_prefix="earlier",
                       help="The records the hotspot map was made from, for the recapture "
                            "rate index.")],
    params=[FILTER, Param("earlier_filter", "expr", "Earlier records where",
                          "Filter of the earlier records (default: the same filter).",
                          advanced=True),
            Param("hot", "column", "Hotspot field", "With areas: the true/false field "
                  "marking the hotspot areas (e.g. gi_sig).", of="areas"),
            Param("top_percent", "float", "Top share of the area", "The hottest share of "
                  "the study area counted as the hotspot, in percent.", default=3.0,
                  unit="%", minimum=0.1, maximum=50)],
    outputs=[Output("", "table", "hit rate, PAI and RRI")],
    examples=["pai --surface drugs_kde.tif --boundary " + _BRISTOL + " --points "
              f"2019-01-avon-and-somerset-street.csv {_DRUGS} --earlier {_STREET} "
              "--out pai.csv"],
)
def pai_step(ctx, *, points, surface, areas, boundary, earlier, filter, earlier_filter, hot,
             top_percent, name):
    """Hit rate, PAI and RRI of a hotspot ``surface`` (or ``areas`` flagged by ``hot``)."""
    from mapping.stats.pai import pai_areas, pai_surface

    later, label = records(ctx, points, filter)
    early = records(ctx, earlier, earlier_filter or filter, param="earlier")[0] \
        if earlier else None
    if surface is not None:
        res = pai_surface(ctx.data(surface), later, top_percent=top_percent, earlier=early,
                          boundary=ctx.data(boundary) if boundary else None)
        what = surface
    elif areas is not None and hot is not None:
        gdf = ctx.data(areas)
        if hot not in gdf.columns:
            raise ProjectError(f"layer '{areas}' has no field '{hot}'", column=hot,
                               fix=f"set {term('hot')} to its true/false hotspot field")
        res = pai_areas(gdf, gdf[hot].astype(bool).to_numpy(), later, earlier=early)
        what = areas
    else:
        raise ProjectError(f"pai needs {term('surface')} (a KDE result), or {term('areas')} "
                           f"and {term('hot')}", fix="name the hotspot map to evaluate")
    meta = {"title": f"Predictive accuracy of {what}: " + "{subject}",
            "units": "", "method": res["method"],
            "params": {"top_percent": top_percent, "study_area": res.get("study_area")},
            "base_n": res["n_total"], "period": period_of(later),
            "summary": [f"hit rate {res['hit_rate']:.1%} ({res['n_hot']:,} of "
                        f"{res['n_total']:,} events in {res['hot_km2']:.2f} of "
                        f"{res['study_km2']:.2f} km²); PAI {res['pai']:.2f}"
                        + (f"; RRI {res['rri']:.2f}" if "rri" in res else "")
                        + (f"; study area: {res['study_area']}" if res.get("study_area")
                           else "")]}
    return [StepOutput(name, pd.DataFrame([res]), "table", meta)]
