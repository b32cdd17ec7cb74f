"""The audit's questions over time: ``trend`` (counts by month, quarter, season) and
``crackhouses`` (closures, reopenings, the census of open premises).

The audit's other questions are declared beside them:
:mod:`~mapping.pipeline.needles`, :mod:`~mapping.pipeline.venues`,
:mod:`~mapping.pipeline.funnel` and :mod:`~mapping.pipeline.breakdown`.

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
from mapping.pipeline.examples import STREET
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import records as _records
from mapping.pipeline.inputs import (chart_source, chart_threshold, drop_undated, progress,
                                     project_path, save_figure, table_output, units_word)
from mapping.pipeline.params import AREA_ID, FILTER, RECORDS, UNITS


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
    examples=[f"trend --points {STREET} --filter \"crime_type == 'Drugs' and lsoa_name "
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
    units = units_word(ctx, units, records, filter)
    outs = []
    for key, tab in (("monthly", res.monthly), ("quarterly", res.quarterly),
                     ("seasonal", res.seasonal)):
        m = dict(tab.attrs["meta"])
        m["title"] = "{subject}: " + m["title"].lower()
        outs.append(table_output(f"{name}_{key}", tab, m))
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
            table_output(f"{name}_status_counts", counts,
                   {**smeta, "title": f"Crack houses by status at {at.date()}", "params": p,
                    "summary": [f"at {at.date()}: {c['active']} active, {c['closed']} closed, "
                                f"{c['reopened']} reopened; {km.n} closures, {km.n_events} "
                                f"reopened by {census.date()}, median time to reopening "
                                f"{med}"]}),
            table_output(f"{name}_closures", clos, {"params": p}),
            table_output(f"{name}_reopening", km.table,
                   {**km.meta, "title": "Time to reopening (Kaplan-Meier table)",
                    "median": km.median, "params": p}),
            table_output(f"{name}_operating", oper, {"params": p})]
    progress(ctx, 0.8, "lifecycle chart")
    fig = lifecycle_chart(km, clos, source=chart_source(ctx, records),
                          threshold=chart_threshold(ctx, records))
    outs.append(save_figure(ctx, fig, f"{name}_chart", {**km.meta, "params": p}))
    for o in outs if undated else ():
        o.meta["notes"] = [*o.meta.get("notes", []), undated]
    return outs
