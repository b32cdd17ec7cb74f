"""Where risk grows and where it sits: ``emerging``, ``dualkde``, ``hotspot_polygons``.

Example project entries::

    [[analyses]]
    name = "arrest_emerging"
    kind = "emerging"
    [analyses.params]
    points = "arrests"
    cell_size = 400                   # grid cells (or areas = "lsoa")
    boundary = "lsoa"
    period = "quarter"

    [[analyses]]
    name = "arrests_per_resident"
    kind = "dualkde"
    [analyses.params]
    points = "arrests"
    areas = "lsoa"
    population = "population"
    cell_size = 50
    bandwidth = 400

    [[analyses]]
    name = "arrest_hotspots"
    kind = "hotspot_polygons"
    [analyses.params]
    points = "arrests"
    areas = "lsoa"                    # study area, and the names of the hotspots
    min_points = 25

Dual KDE of sensitive records never uses a bandwidth below the project's
minimum; hotspot polygons of sensitive records hold at least the disclosure
threshold of events and their ellipses are at least half the minimum
bandwidth across.
"""

from __future__ import annotations

from layers.common.errors import ProjectError, term
from mapping.pipeline import REQUIRED, Output, Param, StepOutput, analysis
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import (chart_source, period_of, progress, records, save_figure,
                                     threshold)
from mapping.pipeline.params import (ALPHA, AREA_ID, AREAS, BANDWIDTH, BOUNDARY, CELL_SIZE, FDR,
                                     FILTER, KERNEL, PERIOD_KINDS, PERMUTATIONS, POINTS, POPULATION,
                                     SEED, WEIGHTS)
from mapping.pipeline.patterns import DATE_COLUMN, WEIGHT

_BRISTOL = "bristol_lsoa2011_E06000023.geojson"
_STREET = "2018-1*-avon-and-somerset-street.csv 2019-01-avon-and-somerset-street.csv"
_DRUGS = "--filter \"crime_type == 'Drugs'\""
_POP = ("--population mysociety_lsoa_population_mid2019_uk.csv --population-id lsoa "
        "--population-field pop")


def _inside(pts, study, notes):
    """The records inside the study area (rates and random thresholds compare them with its
    residents and its area); a note counts those left out."""
    from mapping.core.crs import projected_xy
    from mapping.stats.rates import assign_points

    xy, keep = projected_xy(pts, "the records")
    inside = assign_points(study, xy) >= 0
    if inside.all():
        return pts
    notes.append(f"{int((~inside).sum()):,} records outside the study area left out")
    return (pts[keep] if not keep.all() else pts).iloc[inside]


# --------------------------------------------------------------- emerging
@analysis(
    "emerging", strand="supply", label="Emerging hot spots",
    about=("Tests each area or grid cell for hot or cold spots in every month or quarter and for "
           "a trend over time, and names the pattern: new, intensifying, persistent, "
           "diminishing, sporadic …"),
    order=65, menu="hotspots", out="folder", title="Emerging hot spots: {subject}",
    summary="emerging hot spots: Gi* per period, Mann-Kendall trend and ArcGIS's classes (new, "
            "consecutive, intensifying, persistent, diminishing, sporadic, oscillating, "
            "historical)",
    description="""\
Count the records in grid cells (--cell-size, inside --boundary) or areas
(--areas) in every period (--period month, quarter, year or financial_year;
empty periods count 0), mark each unit as a Gi* hot or cold spot in each
period (the statistic, weights and FDR adjustment of hotmap gistar), and test
the trend of its Gi* z-scores over time (Mann-Kendall).  Each unit gets
ArcGIS's emerging hot spot class (new, consecutive, intensifying,
persistent, diminishing, sporadic, oscillating or historical hot or cold
spot, or no pattern) and hotmap's own class beside it.  A first or last
period the records do not cover completely is left out (police.uk's
month-only dates count as whole months).  At least 3 periods are needed;
ArcGIS advises 10.

outputs in --out FOLDER: emerging.csv and emerging.gpkg (per unit: counts,
Gi* z and bin per period, trend, classes; with .meta.json),
emerging_chart.png/.svg.""",
    inputs=[POINTS, AREAS.but(required=False, help="Analyse these areas instead of grid "
                                                   "cells."),
            BOUNDARY.but(help="With grid cells: analyse only cells whose centre is inside "
                              "this boundary layer.")],
    params=[AREA_ID, FILTER,
            CELL_SIZE.but(minimum=25, help="Analyse square cells of this width (metres, edges "
                                           "on multiples of it) instead of areas."),
            Param("period", "choice", "Period length", "Length of each period of the "
                  "space-time cube.", default="quarter", choices=PERIOD_KINDS),
            WEIGHTS, ALPHA.but(help="Significance of a hot or cold spot in a period (after "
                                    "FDR): 0.05 = 95% confidence."), FDR,
            PERMUTATIONS, SEED,
            Param("trend_alpha", "float", "Trend significance", "Significance of the "
                  "Mann-Kendall trend of a unit's z-scores over time.", default=0.05,
                  minimum=0.0001, maximum=0.5, advanced=True),
            Param("continuity", "bool", "Continuity correction", "Kendall's continuity "
                  "correction of the trend test (as ArcGIS).", default=True, advanced=True),
            Param("drop_incomplete", "bool", "Leave out incomplete periods", "Leave out a "
                  "first or last period the records do not cover completely.", default=True,
                  advanced=True),
            DATE_COLUMN],
    one_of=(("areas", "cell_size"),),
    outputs=[Output("", "grid", "emerging hot spot classes per cell or area"),
             Output("_chart", "figure")],
    examples=[f"emerging --points {_STREET} --filter \"crime_type == 'Anti-social "
              f"behaviour'\" --cell-size 500 --boundary {_BRISTOL} --period month --weights knn:8 "
              "--out emerging/"],
)
def emerging_step(ctx, *, points, areas, boundary, area_id, filter, cell_size, period,
                  weights, alpha, fdr, permutations, seed, trend_alpha, continuity,
                  drop_incomplete, date_column, name):
    """ArcGIS-style emerging hot spot classes of grid cells or areas (and hotmap's classes)."""
    from mapping.render.charts_patterns import emerging_chart
    from mapping.stats.emerging import emerging_hotspots
    from mapping.stats.emerging_classes import EMERGING_COLOURS

    pts, _ = records(ctx, points, filter)
    if (cell_size is None) == (areas is None):
        raise ProjectError(f"give {term('cell_size')} (grid cells) or {term('areas')}, not "
                           "both or neither", fix="e.g. a cell size of 400 m")
    kw = dict(kind=period, weights=weights, alpha=alpha, fdr=fdr, permutations=permutations,
              seed=seed, trend_alpha=trend_alpha, continuity=continuity,
              drop_incomplete=drop_incomplete, date_column=date_column)
    progress(ctx, 0.1, "emerging hot spots")
    if cell_size is not None:
        out = emerging_hotspots(pts, cell_size=cell_size,
                                boundary=ctx.data(boundary) if boundary else None, **kw)
        kind, unit = "grid", "cells"
    else:
        gdf, aid = _areas(ctx, areas, area_id)
        out = emerging_hotspots(pts, areas=gdf, area_id=aid, **kw)
        kind, unit = "areas", "areas"
    m = dict(out.attrs["meta"])  # the chart reads it too
    c = out["emerging_class"].value_counts()
    hot = {k: int(v) for k, v in c.items() if k != "no pattern detected"}
    line = (f"{m['base_n']:,} records in {len(out):,} {unit} over {m['period']}: "
            + (", ".join(f"{v} {k}" for k, v in sorted(hot.items(), key=lambda kv: -kv[1]))
               or "no pattern detected anywhere"))
    meta = {**m, "title": "Emerging hot spots: {subject}", "summary": [line],
            "period": period_of(pts) or m.get("period", ""),
            "style": {"column": "emerging_class", "scheme": "categorical",
                      "legend_title": "Emerging hot spot pattern",
                      "categories": dict(EMERGING_COLOURS)}}
    fig = emerging_chart(out, unit=unit, source=chart_source(ctx, points))
    return [StepOutput(name, out, kind, meta),
            save_figure(ctx, fig, f"{name}_chart", {**meta, "summary": []})]


# ---------------------------------------------------------------- dualkde
@analysis(
    "dualkde", strand="supply", uses_dates=False, label="Density per resident (dual KDE)",
    about=("Records per 10,000 residents as a smooth surface: the record density divided by the "
           "population density, so busy areas do not look worse only because more people live "
           "there."),
    order=66, menu="hotspots", out_formats=(".tif", ".tiff", ".gpkg"),
    title="{subject} per 10,000 residents (dual KDE)",
    summary="risk-adjusted density: events per 10,000 residents as an event KDE over a "
            "population KDE on one grid",
    description="""\
Two kernel densities on one grid with the same kernel and bandwidth: the
records (events per km²) and the residents (the areas' populations spread
evenly over each area, or --population-points with a population field), and
their ratio, events per 10,000 residents (--multiplier).  Cells with fewer
than --min-population residents within the bandwidth show no rate (a rate
over a handful of residents is noise).  Sensitive records are never smoothed
with a bandwidth below the disclosure minimum.  Output: float32 GeoTIFF (or a
GeoPackage grid), EPSG:27700, nodata outside the areas.""",
    inputs=[POINTS, AREAS.but(help="Areas with their resident population (e.g. LSOAs); "
                                   "also the study area unless a boundary is given."),
            BOUNDARY,
            POINTS.but(name="population_points", label="Population points", required=False,
                       many=False, filter_param="", cli_prefix="population-points",
                       help="Instead of spreading each area's population evenly: points "
                            "with a population field (e.g. postcode centroids with "
                            "residents).")],
    params=[AREA_ID, FILTER,
            POPULATION.but(default=REQUIRED, help="Residents per area, the denominator."),
            CELL_SIZE.but(default=REQUIRED), BANDWIDTH.but(default=REQUIRED), KERNEL,
            WEIGHT,
            Param("point_population", "column", "Population field of the points", "The field "
                  "of the population points holding the residents.", default="population",
                  of="population_points", advanced=True),
            Param("multiplier", "float", "Rate per", "10,000 = events per 10,000 residents.",
                  default=10000.0, minimum=1, maximum=1e6),
            Param("min_population", "float", "Fewest residents", "Cells with fewer residents "
                  "than this within the bandwidth show no rate.", default=100.0, minimum=0,
                  maximum=1e6, unit="residents")],
    outputs=[Output("", "surface", "events per 10,000 residents")],
    examples=[f"dualkde --points {_STREET} {_DRUGS} --areas {_BRISTOL} --area-id LSOA11CD "
              f"{_POP} --cell-size 100 --bandwidth 500 --out drugs_per_resident.tif"],
)
def dualkde_step(ctx, *, points, areas, boundary, population_points, area_id, filter,
                 population, cell_size, bandwidth, kernel, weight, point_population,
                 multiplier, min_population, name):
    """Events per 10,000 residents: event KDE over a population KDE on the same grid."""
    from mapping.stats.dualkde import dual_kde

    pts, _ = records(ctx, points, filter)
    gdf, _aid = _areas(ctx, areas, area_id)
    if population not in gdf.columns:
        raise ProjectError(f"layer '{areas}' has no population field '{population}'",
                           fix=f"join a population table to the areas, or set "
                               f"{term('population')}")
    bw, raised = ctx.policy.kde_bandwidth(bandwidth, ctx.sensitive(points))
    clipped = []  # the denominator is the study area's residents: so are the events
    pts = _inside(pts, ctx.data(boundary) if boundary else gdf, clipped)
    progress(ctx, 0.1, "dual KDE")
    res = dual_kde(pts, gdf, population=population, cell_size=cell_size, bandwidth=bw,
                   kernel=kernel, boundary=ctx.data(boundary) if boundary else None,
                   weight=weight, spread="points" if population_points else "uniform",
                   population_points=ctx.data(population_points) if population_points
                   else None, point_population=point_population, per=multiplier,
                   min_population=min_population)
    surf = res.rate
    notes = ([raised] if raised else []) + clipped + list(surf.meta.get("notes", []))
    surf.meta["notes"] = notes
    import numpy as np

    v = surf.values[np.isfinite(surf.values)]
    line = (f"dualkde: {surf.meta['base_n']:,} events over {surf.meta['population']:,.0f} "
            f"residents, bandwidth {bw:g} m, cell {cell_size:g} m; "
            + (f"highest {np.max(v):,.1f} {surf.units}" if len(v) else "no cell has a rate"))
    meta = {**surf.meta, "title": "{subject} per " + f"{multiplier:,.0f} residents (dual KDE)",
            "value_column": "rate", "period": period_of(pts), "notes": notes,
            "summary": [line], "style": {"cmap": "YlOrRd", "legend_title": surf.units}}
    return [StepOutput(name, surf, "surface", meta)]


# ------------------------------------------------------- hotspot_polygons
@analysis(
    "hotspot_polygons", strand="supply", uses_dates=False, label="Hotspot polygons (clusters)",
    about=("Finds tight clusters of records and draws each as a named ellipse with its count, "
           "for a list of hotspots to act on."),
    order=67, menu="hotspots", title="Hotspot polygons: {subject}",
    out_formats=(".gpkg", ".geojson", ".shp", ".csv"),
    summary="named hotspot polygons: nearest-neighbour hierarchical (CrimeStat NNH) or DBSCAN "
            "clusters drawn as standard deviational ellipses",
    description="""\
Find clusters of records, nearest-neighbour hierarchical (NNH, CrimeStat's
first order: records closer than a threshold distance are linked; without
--distance, the distance two random records would be that close by chance
with probability --alpha over the study area) or DBSCAN (--method dbscan,
radius --distance), keeping clusters of at least --min-points records.  Each
cluster is drawn as its standard deviational ellipse and named after the area
holding its centre ("Hotspot 1: Lawrence Hill 012A"), so a report can name
it.  For sensitive records a cluster holds at least the disclosure threshold
of records and an ellipse is at least half the minimum KDE bandwidth across.

output columns: cluster, name, n_events, centre_x, centre_y, sx_m, sy_m,
angle_deg, area_km2, events_per_km2, share_pct (and the ellipses in a
.gpkg, .geojson or .shp).""",
    inputs=[POINTS, AREAS.but(required=False, help="Study area (for the random threshold "
                                                   "distance) and the areas whose names "
                                                   "label the hotspots, e.g. LSOAs.")],
    params=[FILTER,
            Param("method", "choice", "Clustering", "nnh: nearest-neighbour hierarchical "
                  "(CrimeStat); dbscan: density-based clusters of a given radius.",
                  default="nnh", choices=("nnh", "dbscan")),
            Param("distance", "float", "Linking distance", "Records closer than this are "
                  "linked (nnh) or the radius of a neighbourhood (dbscan). Blank (nnh): the "
                  "distance random records would be that close by chance.", unit="m",
                  minimum=1, maximum=10000),
            Param("min_points", "int", "Fewest records per hotspot", "Smaller clusters are "
                  "not hotspots.", default=10, minimum=2, maximum=100000),
            ALPHA.but(help="nnh without a distance: the chance that two random records are "
                           "as close as the threshold (smaller: tighter hotspots)."),
            Param("label", "column", "Area name field", "The areas' field naming each "
                  "hotspot (default: the areas' name field).", of="areas",
                  cli="--name-field"),
            Param("min_axis", "float", "Smallest ellipse axis", "Floor of the ellipses' "
                  "semi-axes. Blank: half the minimum KDE bandwidth for sensitive records, "
                  "else none.", unit="m", minimum=0, maximum=5000, advanced=True)],
    outputs=[Output("", "areas", "hotspot ellipses", counts=("n_events",),
                    rates=("events_per_km2", "share_pct"))],
    examples=[f"hotspot_polygons --points {_STREET} {_DRUGS} --areas {_BRISTOL} --name-field "
              "LSOA11NM --min-points 15 --out drug_hotspots.gpkg"],
)
def hotspot_polygons_step(ctx, *, points, areas, filter, method, distance, min_points, alpha,
                          label, min_axis, name):
    """Named hotspot polygons: NNH or DBSCAN clusters with standard deviational ellipses."""
    from mapping.stats.clusters import hotspot_clusters

    pts, _ = records(ctx, points, filter)
    sensitive = ctx.sensitive(points)
    notes = []
    thr = threshold(ctx) if sensitive else 0
    if thr and int(min_points) < thr:
        notes.append(f"fewest records per hotspot raised from {min_points} to {thr} "
                     "(disclosure control)")
        min_points = thr
    if min_axis is None:
        floor = ctx.policy.min_bandwidth(sensitive)
        min_axis = floor / 2 if floor else 0.0
    gdf = ctx.data(areas) if areas else None
    name_field = label or (ctx.meta.get(areas, {}).get("name_field") if areas else None)
    if areas and label and label not in gdf.columns:
        raise ProjectError(f"layer '{areas}' has no field '{label}'", column=label,
                           fix=f"set {term('label')} to the areas' name field")
    if gdf is not None:  # the random threshold compares n records with the study area A
        pts = _inside(pts, gdf, notes)
    progress(ctx, 0.1, "hotspot polygons")
    out = hotspot_clusters(pts, method=method, distance=distance, min_points=min_points,
                           p=alpha, study_area=gdf, areas=gdf, area_name=name_field,
                           min_axis_m=float(min_axis))
    m = dict(out.attrs.pop("meta"))
    top = ", ".join(f"{r.name} ({r.n_events:,})" for r in out.head(3).itertuples())
    line = (f"{len(out)} hotspot(s) of at least {min_points} records "
            f"({m['params']['distance_m']:,.0f} m {method}); " + (top or "none found"))
    meta = {**m, "title": "Hotspot polygons: {subject}", "period": period_of(pts),
            "notes": notes + list(m.get("notes", [])), "summary": [line],
            "params": {**m["params"], "min_points": int(min_points)},
            "style": _polygon_style(out)}
    return [StepOutput(name, out, "areas", meta)]


def _polygon_style(out) -> dict:
    """Each hotspot named in the legend (largest darkest) while there are few; beyond
    that, quintiles of the records in them."""
    if len(out) > 9:
        return {"column": "n_events", "scheme": "quantiles", "k": 5, "palette": "OrRd",
                "label_column": "cluster", "legend_title": "Records in the hotspot",
                "opacity": 0.75}
    from matplotlib import colormaps

    cmap = colormaps["OrRd"]
    n = max(len(out), 1)
    cats = {str(r.name) + f" ({r.n_events:,})": _hex(cmap(0.9 - 0.6 * i / max(n - 1, 1)))
            for i, r in enumerate(out.itertuples())}
    out["legend"] = list(cats)
    return {"column": "legend", "scheme": "categorical", "categories": cats,
            "label_column": "cluster", "legend_title": "Hotspots (records in each)",
            "opacity": 0.75}


def _hex(rgba) -> str:
    return "#" + "".join(f"{int(round(255 * c)):02x}" for c in rgba[:3])
