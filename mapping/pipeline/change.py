"""``change``: hotspots over time, two periods compared per area, a KDE difference, or
persistent and emerging hotspot classes."""

from __future__ import annotations

from layers.common.errors import ProjectError, term
from mapping.pipeline import Output, Param, StepOutput, analysis
from mapping.pipeline.examples import BRISTOL, DRUGS, STREET
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import records
from mapping.pipeline.params import (ALPHA, AREAS, AREA_ID, BANDWIDTH, BOUNDARY, CELL_SIZE, FDR,
                                     FILTER, KERNEL, PERIOD_KINDS, POINTS, POPULATION, WEIGHTS)


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
    examples=[f"change --areas {BRISTOL} --area-id LSOA11CD --points {STREET} "
              "2019-01-avon-and-somerset-street.csv " + DRUGS + " --period month "
              "--period-a 2018-12 --period-b 2019-01 --out drugs_change.csv",
              f"change --mode classes --points {STREET} --period month --cell-size 500 "
              f"--boundary {BRISTOL} --out classes.gpkg"],
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
