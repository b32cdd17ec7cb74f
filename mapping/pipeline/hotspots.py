"""Hotspot analyses: ``count`` (counts and rates per area) and ``kde`` (density surfaces).

The other hotspot analyses are :mod:`~mapping.pipeline.local_statistics` (``gistar``,
``lisa``), :mod:`~mapping.pipeline.change` (``change``),
:mod:`~mapping.pipeline.composite` (``composite``) and :mod:`~mapping.pipeline.pai`
(``pai``).

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

from layers.common.errors import ProjectError, term
from mapping.pipeline import Output, Param, StepOutput, analysis
from mapping.pipeline.examples import BRISTOL, DRUGS, STREET
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import period_of, records, threshold
from mapping.pipeline.params import (AREAS, AREA_ID, BANDWIDTH, BOUNDARY, CELL_SIZE, ENGINE, FILTER,
                                     KERNEL, POINTS, POPULATION, SCHEDULER)
from mapping.stats.engine import engine_for


_POP = ("--population mysociety_lsoa_population_mid2019_uk.csv --population-id lsoa "
        "--population-field pop")
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
    examples=[f"count --areas {BRISTOL} --area-id LSOA11CD --points {STREET} {DRUGS} "
              f"{_POP} --out drugs_rates.csv",
              f"count --areas {BRISTOL} --area-id LSOA11CD --points {STREET} {DRUGS} "
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
    examples=[f"kde --points {STREET} {DRUGS} --boundary {BRISTOL} --cell-size 50 "
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
