"""``funnel``: a funnel plot of area rates against the overall rate, with 95% and 99.8%
limits."""

from __future__ import annotations

from layers.common.errors import ProjectError, term
from mapping.pipeline import Output, Param, StepOutput, analysis
from mapping.pipeline.examples import BRISTOL, DRUGS, STREET
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import records as _records
from mapping.pipeline.inputs import chart_source, project_path, save_figure, threshold, units_word
from mapping.pipeline.params import AREAS, AREA_ID, FILTER, POINTS, POPULATION, UNITS


# ----------------------------------------------------------------- funnel
_FUNNEL_CLASSES = {"high 99.8%": "#b2182b", "high 95%": "#ef8a62", "within": "#f7f7f7",
                   "low 95%": "#67a9cf", "low 99.8%": "#2166ac"}


@analysis(
    "funnel", strand="supply", label="Funnel plot",
    about=("Each area's rate per 10,000 against its population, with 95% and 99.8% exact Poisson "
           "control limits around the overall rate (PHE method). Areas outside the limits are "
           "labelled: this is the fair way to say which areas stand out given their size."),
    order=44, menu="audit", out="folder", title="{subject}: funnel plot",
    summary="funnel plot: area rates per 10,000 against population with 95%/99.8% exact "
            "Poisson control limits (PHE method)",
    description="""\
Count the points in each area (or take --count-field), divide by the area's
population and plot the rates against population, with 95% and 99.8% control
limits around the overall rate by Public Health England's exact Poisson
method.  Areas outside the limits are flagged and labelled.  Comparator areas
(a CSV with name, count and population columns) are placed against the same
limits without changing the overall rate.

outputs in --out FOLDER: funnel.csv (+ .meta.json), funnel.gpkg (areas with
rates and flags), funnel_chart.png/.svg.""",
    inputs=[AREAS, POINTS.but(required=False)],
    params=[AREA_ID, FILTER,
            POPULATION.but(default="population", help="Residents per area (the rates' "
                                                      "denominator).") ,
            Param("count", "column", "Count field", "Use this field of the areas as the "
                  "count instead of counting records.", of="areas", cli="--count-field"),
            Param("label", "column", "Label field", "Area names for the labels (default: the "
                  "areas' name field).", of="areas", cli="--name-field"),
            Param("multiplier", "float", "Rate per", "10,000 = rate per 10,000 residents.",
                  default=10000.0, minimum=1, maximum=1e6),
            Param("comparators", "file", "Comparator areas", "A CSV with name, count and "
                  "population of peer areas, placed against the same limits.", advanced=True),
            Param("overdispersion", "bool", "Allow for overdispersion", "Widen the limits for "
                  "variation between areas beyond chance (Spiegelhalter 2005); off by "
                  "default, as in PHE's method.", default=False, advanced=True),
            UNITS, Param("title", "text", "Chart title", "Title of the chart (default: from "
                         "the records and the areas).", advanced=True)],
    outputs=[Output("", "areas", "area rates against the limits", counts=("count",),
                    rates=("rate", "rate_ci_low", "rate_ci_high")),
             Output("_chart", "figure")],
    examples=[f"funnel --areas {BRISTOL} --area-id LSOA11CD --name-field LSOA11NM --points "
              f"{STREET} {DRUGS} --population mysociety_lsoa_population_mid2019_uk.csv "
              "--population-id lsoa --population-field pop --out funnel/"],
)
def funnel_step(ctx, *, areas, points, area_id, filter, population, count, label, multiplier,
                comparators, overdispersion, units, title, name):
    """Area rates against population with PHE exact Poisson control limits, and the chart."""
    from mapping.audit.funnel import funnel_table
    from mapping.render.charts_funnel import funnel_chart

    gdf, aid = _areas(ctx, areas, area_id)
    label = label or ctx.meta.get(areas, {}).get("name_field") or aid
    if population not in gdf.columns:
        raise ProjectError(f"layer '{areas}' has no population field '{population}'",
                           fix=f"join a population table to the areas, or set "
                               f"{term('population')}")
    work = gdf.copy()
    if points:
        from mapping.stats.rates import count_points

        pts, _ = _records(ctx, points, filter)
        work["count"] = count_points(gdf, pts, aid)[0]["count"].to_numpy()
        count = "count"
    elif count is None or count not in gdf.columns:
        raise ProjectError(f"funnel needs {term('points')} or {term('count')}: records "
                           "counted per area, or a field of the areas holding counts",
                           fix="say what to count")
    cmp_ = None
    if comparators:
        cmp_ = _comparators(project_path(ctx, comparators), label, count, population)
    if label not in work.columns:
        label = aid
    t = funnel_table(work, count=count, population=population, name=label,
                     multiplier=multiplier, comparators=cmp_, overdispersion=overdispersion)
    t[aid] = list(work.loc[t.index[t["group"] == "area"], aid]) + \
        [None] * int((t["group"] != "area").sum())
    meta = dict(t.attrs["meta"])
    n_out = {k: v for k, v in meta["n_outside"].items() if k != "within"}
    od = meta["overdispersion"]
    units = units_word(ctx, units, points or [], filter) if points else (units or count)
    meta.update(style={"column": "outside", "scheme": "categorical",
                       "legend_title": "Against the funnel limits",
                       "categories": _FUNNEL_CLASSES},
                summary=[f"{meta['n_areas']} areas, {meta['base_n']:,} {units}, overall rate "
                         f"{meta['overall_rate']:.2f} per {multiplier:,.0f}; outside the limits: "
                         + (", ".join(f"{v} {k}" for k, v in n_out.items()) or "none")
                         + f"; overdispersion phi = {od['phi']:.2f}"
                         + (" (limits widened)" if od["adjusted"] else "")])
    if cmp_ is not None:  # comparator rows have no geometry; maps skip them
        meta["comparators"] = int((t["group"] != "area").sum())
    outs = [StepOutput(name, t, "areas" if hasattr(t, "geometry") else "table", meta)]
    thr = threshold(ctx) if ctx.sensitive(points or [], areas) else 0
    fig = funnel_chart(t, units=units, title=title, source=chart_source(ctx, points, areas),
                       threshold=thr)
    outs.append(save_figure(ctx, fig, f"{name}_chart", {**meta, "summary": []}))
    return outs


def _comparators(path, label, count, population):
    import pandas as pd

    from layers.common.errors import InputError

    cmp_ = pd.read_csv(path, thousands=",")
    cols = {c.lower(): c for c in cmp_.columns}
    need = [c for c in ("name", "count", "population") if c not in cols]
    if need:
        raise InputError(f"the comparators table has no {', '.join(need)} column(s)",
                         path=path, fix="give name, count and population columns")
    return cmp_.rename(columns={cols["name"]: label, cols["count"]: count,
                                cols["population"]: population})
