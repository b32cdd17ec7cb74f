"""Local statistics of hot and cold spots: ``gistar`` (Getis-Ord Gi*) and ``lisa`` (local
Moran's I).

Both run on areas (records counted per area, or a field of the areas) or on
grid cells of the records (``cell_size``), with the same weights, FDR and
permutation parameters.
"""

from __future__ import annotations

from layers.common.errors import ProjectError, term
from mapping.pipeline import Output, Param, StepOutput, analysis
from mapping.pipeline.examples import BRISTOL, DRUGS, STREET
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import period_of, records
from mapping.pipeline.params import (ALPHA, AREAS, AREA_ID, BOUNDARY, ENGINE, FDR, FILTER,
                                     PERMUTATIONS, POINTS, SCHEDULER, SEED, WEIGHTS)
from mapping.stats.engine import engine_for


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
    examples=[f"gistar --areas {BRISTOL} --area-id LSOA11CD --points {STREET} {DRUGS} "
              "--out drugs_gi.gpkg",
              f"gistar --cell-size 250 --points {STREET} {DRUGS} --boundary {BRISTOL} "
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
    examples=[f"lisa --areas {BRISTOL} --area-id LSOA11CD --points {STREET} {DRUGS} "
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
