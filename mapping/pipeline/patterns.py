"""When and where events repeat: ``nearrepeat``, ``timeprofile``, ``repeats``.

Each reads one record layer (filtered), returns its tables with base n,
method, units and references, and saves its chart (PNG and SVG).  Charts of
sensitive records show counts from 1 to the disclosure threshold minus one
as "<5"; locations of sensitive records are not named.  Example project
entries::

    [[analyses]]
    name = "arrest_near_repeats"
    kind = "nearrepeat"
    [analyses.params]
    points = "arrests"
    distance_bands = [0, 100, 200, 300, 400]   # metres
    time_bands = [7, 14, 21, 28]               # days
    permutations = 999
    seed = 2024

    [[analyses]]
    name = "arrest_hours"
    kind = "timeprofile"
    [analyses.params]
    records = "arrests"
    start_column = "arrested_at"               # end_column = "..." for time windows

    [[analyses]]
    name = "drug_locations"
    kind = "repeats"
    [analyses.params]
    records = "street"
    filter = "crime_type == 'Drugs'"
    location = "Location"                      # or cell_size = 100 (metres)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mapping.pipeline import Output, Param, StepOutput, analysis
from mapping.pipeline.inputs import (chart_source, chart_threshold, in_sentence, layer_names,
                                     progress, records, save_figure, units_word)
from mapping.pipeline.params import ALPHA, CELL_SIZE, FILTER, PERMUTATIONS, POINTS, SEED, UNITS

RECORDS = POINTS.but(name="records", cli="--points")
_STREET = "2018-1*-avon-and-somerset-street.csv 2019-01-avon-and-somerset-street.csv"
_BRISTOL_DRUGS = ("--filter \"crime_type == 'Drugs' and lsoa_name startswith 'Bristol '\"")

WEIGHT = Param("weight", "column", "Weight field", "Count each record this many times (e.g. "
               "the number of needles found). Blank counts each record once.", of="points",
               advanced=True)
DATE_COLUMN = Param("date_column", "text", "Date field", "The records' date (or date and "
                    "time) field.", default="date", advanced=True)


# ------------------------------------------------------------- nearrepeat
@analysis(
    "nearrepeat", strand="supply", label="Near repeats",
    about=("Tests whether records close in space are also close in time more often than chance "
           "(a burglary soon followed by another nearby)."),
    order=60, menu="patterns", out="folder", title="Near repeats: {subject}",
    summary="near repeats: Knox test of event pairs by distance band × time band with Monte "
            "Carlo p-values (Ratcliffe's Near Repeat Calculator method)",
    description="""\
Every pair of events is counted by how far apart they are (distance bands,
metres) and how many days apart (time bands).  Under "no near repeats" an
event's time is unrelated to its place; that is simulated by shuffling the
event times across the locations (--permutations times, --seed fixes the
shuffles).  For each band: observed pairs, the pairs expected by chance (row
total × column total / all pairs), the Knox ratio observed / expected (above
1: more pairs close in space and time than chance) and a one-sided Monte
Carlo p-value.  A first distance edge of 0 makes a "same location" band (for
police.uk's snapped points).  Records need full dates: month-only dates
(police.uk) are refused.

outputs in --out FOLDER: nearrepeat.csv (one row per band pair, with
.meta.json), nearrepeat_ratios.csv (Knox ratios, distance × time),
nearrepeat_chart.png/.svg.""",
    inputs=[POINTS],
    params=[FILTER,
            Param("distance_bands", "list", "Distance bands", "Upper edges of the distance "
                  "bands in metres, increasing, e.g. 0,100,200,300,400. A first edge of 0 "
                  "makes a 'same location' band; pairs further apart than the last edge form "
                  "a 'beyond' band.", default=(0, 100, 200, 300, 400), unit="m",
                  item="float"),
            Param("time_bands", "list", "Time bands", "Upper edges of the time bands in days, "
                  "increasing, e.g. 7,14,21,28; pairs further apart in time form a 'beyond' "
                  "band.", default=(7, 14, 21, 28), unit="days", item="float"),
            PERMUTATIONS.but(default=999, minimum=19, advanced=False,
                             help="Shuffles of the event times across the locations, for the "
                                  "p-values: 99 gives p-values down to 0.01, 999 down to "
                                  "0.001. More shuffles are slower."),
            SEED.but(default=12345),
            Param("metric", "choice", "Distance measured", "euclidean: straight line; "
                  "manhattan: along a street grid (east-west plus north-south).",
                  default="euclidean", choices=("euclidean", "manhattan"), advanced=True),
            DATE_COLUMN,
            ALPHA.but(help="A band is flagged significant when its p-value is at most this: "
                           "0.05 = 95% confidence."),
            UNITS],
    outputs=[Output("", "table", "pairs of events by distance and time band",
                    counts=("observed",),
                    rates=("expected", "knox_ratio", "sim_mean", "sim_sd", "z")),
             Output("_ratios", "table", "Knox ratios, distance bands × time bands"),
             Output("_chart", "figure")],
    examples=["nearrepeat --points arrests.csv --kind arrests --permutations 99 --seed 1 "
              "--out near_repeats/"],
)
def nearrepeat_step(ctx, *, points, filter, distance_bands, time_bands, permutations, seed,
                    metric, date_column, alpha, units, name):
    """Knox table of event pairs by distance and time band with Monte Carlo p-values."""
    from mapping.render.charts_patterns import knox_chart
    from mapping.stats.nearrepeat import near_repeat_knox

    pts, _ = records(ctx, points, filter)
    res = near_repeat_knox(pts, distance_bands=distance_bands, time_bands=time_bands,
                           permutations=permutations, seed=seed, metric=metric,
                           date_column=date_column, alpha=alpha,
                           progress=getattr(ctx, "progress", None))
    thr = chart_threshold(ctx, points)
    units = in_sentence(units_word(ctx, units, points, filter))
    wide = res.wide("knox_ratio")
    notes = list(res.meta.get("notes", []))
    if thr:
        obs = res.wide("observed").to_numpy(float)
        small = (obs > 0) & (obs < thr)
        if small.any():  # a ratio and its expected count give the observed count back
            wide = wide.mask(small)
            notes.append(f"Knox ratios of bands with 1 to {thr - 1} pairs are not shown "
                         "(disclosure control)")
    wide = wide.reset_index()
    wide.columns = [str(c) for c in wide.columns]
    t = res.table
    sig = t[t["significant"] & (t["knox_ratio"] > 1)]
    best = sig.sort_values("knox_ratio", ascending=False).head(1)
    line = (f"{res.meta['base_n']:,} {units}, {res.meta['period']}: {res.meta['pairs']:,} "
            f"pairs, {permutations} permutations; ")
    if len(best):
        b = best.iloc[0]
        line += (f"{len(sig)} band(s) with significantly more pairs than chance, the "
                 f"strongest {b['distance_band']}, {b['time_band']} apart (Knox ratio "
                 f"{b['knox_ratio']:.2f}, p = {b['p_value']:.3f})")
    else:
        line += "no band has significantly more pairs than chance"
    meta = {**res.meta, "title": "Near repeats: {subject}", "notes": notes,
            "summary": [line]}
    outs = [StepOutput(name, res.table, "table", meta),
            StepOutput(f"{name}_ratios", wide, "table",
                       {**meta, "title": "Knox ratios (distance × time): {subject}",
                        "count_columns": [], "rate_columns": list(wide.columns[1:]),
                        "summary": []})]
    fig = knox_chart(res, units=units, source=chart_source(ctx, points), threshold=thr)
    outs.append(save_figure(ctx, fig, f"{name}_chart", {**meta, "summary": []}))
    return outs


# ------------------------------------------------------------ timeprofile
@analysis(
    "timeprofile", strand="supply", label="Time of day and day of week",
    about=("A table and heat chart of records by hour and weekday; records with a time window "
           "are spread over it."),
    order=61, menu="patterns", out="folder",
    title="{subject} by hour and day of the week",
    summary="hour × weekday table and heat chart, with aoristic weights for records that have "
            "a start and an end time",
    description="""\
Count the records in each hour of each day of the week (Monday to Sunday,
00:00 to 23:00, UK clock time).  Records known only to have happened
between a start and an end (--end-column; a needle discarded some time
before it was reported) are spread over the clock hours of their window so
each still adds up to 1 (aoristic analysis, Ratcliffe 2002): equal shares per
hour touched (--method hours) or in proportion to the time inside each hour
(--method minutes).  Windows longer than --max-hours can be left out; records
with no time, or ending before they start, are left out and counted.

outputs in --out FOLDER: timeprofile.csv (weekday rows, hour columns 00-23
and total, with .meta.json), timeprofile_chart.png/.svg.""",
    inputs=[RECORDS],
    params=[FILTER,
            Param("start_column", "column", "Time field", "The field with each record's "
                  "date and time (or the start of its time window), e.g. arrested_at.",
                  default="date", of="records"),
            Param("end_column", "column", "End of the time window", "The field with the end "
                  "of each record's time window, e.g. reported_at. Blank: every record has "
                  "one time.", of="records"),
            Param("method", "choice", "Spread a window", "hours: an equal share to every "
                  "clock hour the window touches (Ratcliffe); minutes: in proportion to the "
                  "time inside each hour.", default="hours", choices=("hours", "minutes"),
                  advanced=True),
            WEIGHT.but(of="records"),
            Param("max_hours", "float", "Longest window", "Leave out records whose window is "
                  "longer than this many hours (they say little about when). Blank keeps "
                  "all.", unit="h", minimum=1, maximum=8760, advanced=True),
            UNITS],
    outputs=[Output("", "table", "records by hour and weekday"), Output("_chart", "figure")],
    examples=["timeprofile --points arrests.csv --kind arrests --start-column arrested_at "
              "--out arrest_hours/",
              "timeprofile --points needle_finds.csv --kind needles --start-column "
              "discarded_after --end-column reported_at --out needle_hours/"],
)
def timeprofile_step(ctx, *, records, filter, start_column, end_column, method, weight,
                     max_hours, units, name):
    """Hour × weekday table and heat chart, aoristic where records have a start and an end."""
    from mapping.render.charts_patterns import timeprofile_chart
    from mapping.stats.timeprofile import time_profile

    recs, _ = _records(ctx, records, filter)
    tp = time_profile(recs, start=start_column, end=end_column, method=method, weight=weight,
                      max_hours=max_hours)
    units = in_sentence(units_word(ctx, units, records, filter))
    m = tp.meta
    by_hour, by_day = tp.by_hour, tp.by_weekday
    peak_h = int(np.argmax(by_hour.to_numpy()))
    line = (f"{m['base_n']:,} {units}, {m['period']}; {m['n_windows']:,} with a time window; "
            f"busiest hour {peak_h:02d}:00-{(peak_h + 1) % 24:02d}:00 "
            f"({100 * by_hour.iloc[peak_h] / max(by_hour.sum(), 1e-9):.1f}%), busiest day "
            f"{by_day.idxmax()} ({100 * by_day.max() / max(by_day.sum(), 1e-9):.1f}%)")
    meta = {**m, "title": "{subject} by hour and day of the week", "summary": [line]}
    fig = timeprofile_chart(tp, units=units, source=chart_source(ctx, records),
                            threshold=chart_threshold(ctx, records))
    return [StepOutput(name, tp.table, "table", meta),
            save_figure(ctx, fig, f"{name}_chart", {**meta, "summary": []})]


def _records(ctx, names, filt):
    return records(ctx, names, filt, param="records")


# ---------------------------------------------------------------- repeats
@analysis(
    "repeats", strand="supply", uses_dates=False, label="Repeat locations",
    about=("The places with the most records, the share of all records they hold and how "
           "concentrated the records are (the 80–20 table)."),
    order=62, menu="patterns", out="folder", title="Repeat locations: {subject}",
    summary="repeat locations: top places, cumulative shares of events, the 80-20 table and a "
            "concentration curve",
    description="""\
Group the records by place: by a location field (--location, e.g. police.uk's
Location "On or near ..."), or by their coordinates, exact (police.uk snaps
records onto shared points) or grouped into grid squares (--cell-size).
Places are ranked from the most events to the fewest, with each place's
share and the cumulative shares; the 80-20 table gives the share of events
at the top 1, 5, 10, 20 and 50% of places and the share of places holding
50, 80 and 90% of the events, with the Gini coefficient.  Places of
sensitive records are not named ("Location 1" ...) unless the layer allows
raw export.

outputs in --out FOLDER: repeats.csv (the top places, with .meta.json),
repeats_concentration.csv (the 80-20 table), repeats_chart.png/.svg.""",
    inputs=[RECORDS],
    params=[FILTER,
            Param("location", "column", "Location field", "Group records by this field "
                  "(e.g. Location, a premises or street name). Blank: by their "
                  "coordinates.", of="records"),
            CELL_SIZE.but(help="Without a location field: group records into grid squares "
                               "of this width in metres (e.g. 25 for an address, 100 for a "
                               "street block). Blank: exact coordinates."),
            WEIGHT.but(of="records"),
            Param("top", "int", "Places listed", "How many of the top places the table "
                  "lists (the 80-20 table always uses every place).", default=50, minimum=1,
                  maximum=10000),
            Param("location_kind", "text", "Kind of place", "Word used in titles, e.g. "
                  "streets or premises.", default="locations"),
            UNITS],
    outputs=[Output("", "table", "top places by events", counts=("events",),
                    rates=("share", "cum_share", "cum_events", "cum_locations_share")),
             Output("_concentration", "table", "the 80-20 table"),
             Output("_chart", "figure")],
    examples=[f"repeats --points {_STREET} {_BRISTOL_DRUGS} --location Location "
              "--location-kind streets --out drug_repeats/"],
)
def repeats_step(ctx, *, records, filter, location, cell_size, weight, top, location_kind,
                 units, name):
    """Top locations, cumulative shares, the 80-20 table and the concentration curve."""
    from mapping.render.charts_patterns import repeats_chart
    from mapping.stats.repeats import repeat_locations

    recs, _ = _records(ctx, records, filter)
    progress(ctx, 0.1, "repeat locations")
    res = repeat_locations(recs, location=location, snap_m=cell_size, weight=weight)
    table = res.table.head(int(top)).copy()
    notes = list(res.meta.get("notes", []))
    names = layer_names(records)
    if ctx.sensitive(names) and not all(ctx.meta.get(n, {}).get("allow_raw_export")
                                        for n in names):
        # a ranked list of the places of sensitive records names addresses
        table["location"] = [f"Location {k}" for k in table["rank"]]
        table = table.drop(columns=[c for c in ("x", "y") if c in table.columns])
        notes.append("places of sensitive records are not named (disclosure control); allow "
                     "raw export of the layer to name them")
    units = in_sentence(units_word(ctx, units, records, filter))
    s = res.summary
    line = (f"{s['n_events']:,} {units} at {s['n_locations']:,} {location_kind}; "
            f"{s['n_repeat_locations']:,} with more than one ({s['events_at_repeats_pct']:.0f}% "
            f"of {units}); the top 20% of {location_kind} hold {s['top20_events_pct']:.0f}%; "
            f"80% are at {s['locations_for_80']:,} ({s['locations_for_80_pct']:.0f}%); "
            f"Gini {s['gini']:.2f}")
    meta = {**res.meta, "notes": notes, "summary": [line],
            "title": f"Top {len(table)} {location_kind}: " + "{subject}",
            "params": {**res.meta["params"], "top": top}}
    cmeta = {**meta, "title": "Concentration on few places (the 80-20 table): {subject}",
             "count_columns": [], "rate_columns": ["locations_pct", "events_pct"],
             "summary": []}
    fig = repeats_chart(res, units=units, location_kind=location_kind,
                        source=chart_source(ctx, records))
    return [StepOutput(name, table, "table", meta),
            StepOutput(f"{name}_concentration", pd.DataFrame(res.concentration), "table",
                       cmeta),
            save_figure(ctx, fig, f"{name}_chart", {**meta, "summary": []})]
