"""Treatment, young people and population: ``area_counts``, ``waits``, ``retention``,
``agerates``.

Tables without coordinates (an NDTMS extract of clients per LSOA, a table of
treatment episodes, residents by age band) are ``[[tables]]`` sources of the
project, named like any other layer; on the command line they are files
(``--table``, ``--episodes``, ``--population``).  They count people, so they
are sensitive unless the project says otherwise (population tables are not):
small counts are suppressed in every output and shown as "<5" on the charts.

Example project entries::

    [[tables]]
    name = "clients_per_lsoa"
    paths = ["data/treatment_clients.csv"]
    key = "lsoa_code"

    [[tables]]
    name = "episodes"
    paths = ["data/treatment_episodes.csv"]
    kind = "episodes"

    [[analyses]]
    name = "clients"
    kind = "area_counts"
    [analyses.params]
    areas = "lsoa"
    table = "clients_per_lsoa"
    counts = ["adults_in_treatment", "young_people_in_treatment"]

    [[analyses]]                      # the counts are then an area field, e.g. for funnel
    name = "clients_funnel"
    kind = "funnel"
    [analyses.params]
    areas = "clients"
    count = "adults_in_treatment"

    [[analyses]]
    name = "young_people_waits"
    kind = "waits"
    [analyses.params]
    episodes = "episodes"
    filter = "age_group == 'Young people (under 18)'"
    target_days = 10
    by = ["gender", "substance"]
"""

from __future__ import annotations

import pandas as pd

from mapping.pipeline import REQUIRED, Input, Output, Param, StepOutput, analysis
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import (chart_source, chart_threshold, in_sentence, records,
                                     save_figure, units_word)
from mapping.pipeline.params import AREA_ID, AREAS, FILTER, UNITS
from mapping.pipeline.patterns import RECORDS

EPISODES = Input("episodes", "table", "Treatment episodes", "A table with one row per "
                 "treatment episode (CSV or XLSX): referral, first intervention and exit "
                 "dates, exit reason and the groups to compare (age group, gender, "
                 "substance ...).", filter_param="filter", record_kind="episodes")
CONFIDENCE = Param("confidence", "float", "Confidence level", "Width of the confidence "
                   "intervals: 0.95 = 95% intervals.", default=0.95, minimum=0.5,
                   maximum=0.999)
CENSUS = Param("census_date", "date", "Census date", "The date the extract was taken, e.g. "
               "2025-03-31; episodes still open then count as ongoing. Blank: the latest "
               "date in the table.")
BY = Param("by", "list", "Compare by", "Fields whose groups are compared, e.g. "
           "gender,substance; one table per field. Blank: all episodes only.", of="episodes")
TITLE = Param("title", "text", "Chart title", "Title of the chart and tables (default: from "
              "the data), e.g. Young people's tier 3 treatment.", advanced=True)
_EPISODE_WORD = "episodes"


def _by_tables(name, tab, by, meta) -> list:
    """The overall row, and one table per compared field with the overall row first.

    Each field's groups add up to the overall row; in a table of their own, disclosure
    control's secondary suppression (a column total is published) protects a suppressed
    group, which it could not if every field's groups shared one table."""
    first = tab[tab["group"] == "All"]
    outs = [StepOutput(name, pd.DataFrame(first).reset_index(drop=True), "table", meta)]
    for field in by:
        part = tab[tab["group"].isin(["All", field])].reset_index(drop=True)
        outs.append(StepOutput(f"{name}_{field}", pd.DataFrame(part), "table",
                               {**meta, "title": meta["title"] + f", by {field.replace('_', ' ')}",
                                "summary": []}))
    return outs


def _by(by) -> list:
    return [by] if isinstance(by, str) else list(by or [])


# ------------------------------------------------------------ area_counts
@analysis(
    "area_counts", strand="treatment", label="People per area (from a table)",
    about=("Joins a table of people per area (e.g. treatment clients per LSOA or ward) to the "
           "areas, so it can be mapped, rated and used in funnel plots."),
    order=70, menu="deprivation", title="People per area",
    out_formats=(".gpkg", ".csv", ".geojson", ".shp"),
    summary="a table of people per area (NDTMS clients per LSOA, ward or postcode district) "
            "joined to the areas, for funnel plots, concentration and rates",
    description="""\
Join a table of counts of people per area code (an NDTMS extract of clients
in treatment per LSOA, ward or postcode district) to a boundary layer of the
same geography, and check the counts: whole, non-negative numbers; cells
suppressed at source (*, c, x, <5, ..) are read as unknown and flagged.
Codes with no area and areas with no row are reported; an area with no row
has an unknown count unless --missing-as-zero.  The result is an area layer
whose count fields other analyses use (funnel --count-field, concentration).
The counts are of people: counts from 1 to the disclosure threshold minus one
are suppressed in every output.

output columns: the areas' fields, each count, <count>_source_suppressed
flags (plus the polygons in a .gpkg, .geojson or .shp).""",
    inputs=[AREAS, Input("table", "table", "Counts per area", "A table (CSV or XLSX) with "
                         "an area code column and one or more counts of people per area.",
                         id_param="key", record_kind="clients")],
    params=[AREA_ID,
            Param("key", "column", "Table's area code field", "The table's column of area "
                  "codes (e.g. lsoa_code). Blank: detected.", of="table", cli="--table-id"),
            Param("counts", "list", "Count fields", "The table's columns of counts of people, "
                  "e.g. adults_in_treatment,young_people_in_treatment.", default=REQUIRED,
                  of="table"),
            Param("missing_as_zero", "bool", "No row means none", "Count an area with no row "
                  "in the table as 0 (extracts often list only areas with clients). Off: its "
                  "count is unknown.", default=False)],
    outputs=[Output("", "areas", "counts of people per area")],
    examples=["area_counts --areas areas.geojson --area-id code --table treatment_clients.csv "
              "--table-id lsoa_code --counts adults_in_treatment,young_people_in_treatment "
              "--out clients.gpkg"],
)
def area_counts_step(ctx, *, areas, table, area_id, key, counts, missing_as_zero, name):
    """Counts of people per area joined to a boundary layer (an areas result other analyses
    use as ``areas`` with a count field)."""
    from mapping.audit.area_counts import area_counts

    gdf, aid = _areas(ctx, areas, area_id)
    tab = ctx.data(table)
    key = key or ctx.meta.get(table, {}).get("code_field")
    out = area_counts(gdf, tab, counts=_by(counts), area_id=aid, key=key,
                      missing_as_zero=missing_as_zero)
    m = dict(out.attrs.pop("meta"))
    cols = m["count_columns"]
    tot = "; ".join(f"{c} {v:,.0f}" for c, v in m["totals"].items())
    line = (f"{len(out):,} areas, totals: {tot}; {len(m['unmatched_table'])} table code(s) "
            f"match no area, {len(m['unmatched_areas'])} area(s) have no row")
    meta = {**m, "title": "People per area: " + ", ".join(c.replace("_", " ") for c in cols),
            "code_field": aid, "name_field": ctx.meta.get(areas, {}).get("name_field"),
            "summary": [line],
            "style": {"column": cols[0], "scheme": "quantiles", "k": 5, "palette": "PuBu",
                      "legend_title": cols[0].replace("_", " ")}}
    return [StepOutput(name, out, "areas", meta)]


# ------------------------------------------------------------------ waits
_WAIT_COUNTS = ("n", "within_target", "waiting_now", "waiting_now_over_target")
_WAIT_RATES = ("pct_within", "ci_low", "ci_high", "median_days", "q1_days", "q3_days",
               "p90_days")


@analysis(
    "waits", strand="treatment", label="Waiting times for treatment",
    about=("The share of people starting treatment within the target wait (e.g. 3 weeks), with "
           "95% intervals, and the median wait, by group."),
    order=71, menu="audit", out="folder", title="Waiting times for treatment",
    summary="treatment waiting times against a target (e.g. young people's tier 3 within 10 "
            "days): share within target with Wilson intervals, median, by group",
    description="""\
Waiting time = first intervention date − referral date, in days, for every
episode that started treatment by the census date.  For all episodes and
for each group of the --by fields: episodes started, the number and share
starting within --target-days (Wilson interval), the median, quartiles and
90th percentile of the wait, and those still waiting at the census date
(and for longer than the target).  Episodes starting before their referral,
or with no referral date, are left out and counted.

outputs in --out FOLDER: waits.csv (all episodes), waits_<field>.csv (one per
--by field, with the overall row first; each with .meta.json),
waits_chart.png/.svg.""",
    inputs=[EPISODES],
    params=[FILTER,
            Param("referral_column", "column", "Referral date field", "The episodes' "
                  "referral date.", default="referral_date", of="episodes"),
            Param("start_column", "column", "First intervention field", "The date treatment "
                  "started.", default="first_intervention_date", of="episodes"),
            Param("target_days", "float", "Target", "Waiting-time target in days (21 for "
                  "adults, 10 for young people's tier 3).", default=21.0, unit="days",
                  minimum=1, maximum=365),
            BY, CENSUS, CONFIDENCE, UNITS.but(help="The word for what is counted, e.g. young "
                                                   "people or episodes."), TITLE],
    outputs=[Output("", "table", "waiting times, all episodes", counts=_WAIT_COUNTS,
                    rates=_WAIT_RATES),
             Output("_chart", "figure"),
             Output("_*", "table", "waiting times by group", counts=_WAIT_COUNTS,
                    rates=_WAIT_RATES)],
    examples=["waits --episodes treatment_episodes.csv --filter \"age_group == 'Young people "
              "(under 18)'\" --target-days 10 --by gender,substance --census-date 2025-03-31 "
              "--title \"Young people's tier 3 treatment\" --out yp_waits/"],
)
def waits_step(ctx, *, episodes, filter, referral_column, start_column, target_days, by,
               census_date, confidence, units, title, name):
    """Share of episodes starting treatment within the target (Wilson CI), median, by group."""
    from mapping.render.charts_treatment import waits_chart
    from mapping.audit.treatment import treatment_waits

    df, _ = records(ctx, episodes, filter, param="episodes")
    by = _by(by)
    tab = treatment_waits(df, referral=referral_column, start=start_column,
                          target_days=target_days, by=by, census_date=census_date,
                          level=confidence)
    m = dict(tab.attrs["meta"])
    who = units or _EPISODE_WORD
    heading = f"{title}: share starting within {target_days:g} days" if title else m["title"]
    a = tab.iloc[0]
    line = (f"{int(a['n']):,} {who} started treatment, {m.get('period', '')}; "
            f"{a['pct_within']:.0f}% within {target_days:g} days (95% CI "
            f"{a['ci_low']:.0f}-{a['ci_high']:.0f}%), median wait {a['median_days']:.0f} days; "
            f"{int(a['waiting_now']):,} still waiting")
    meta = {**m, "title": heading, "summary": [line]}
    fig = waits_chart(tab, source=chart_source(ctx, episodes),
                      threshold=chart_threshold(ctx, episodes), who=who,
                      title=heading if title else None)
    outs = _by_tables(name, tab, by, meta)
    outs.insert(1, save_figure(ctx, fig, f"{name}_chart", {**meta, "summary": []}))
    return outs



# -------------------------------------------------------------- retention
_RET_COUNTS = ("eligible", "retained", "exits", "completed")
_RET_RATES = ("pct_retained", "ci_low", "ci_high", "pct_completed")


@analysis(
    "retention", strand="treatment", label="Retention in treatment",
    about=("The share of treatment episodes lasting 12 weeks or completed, with 95% intervals, "
           "by group."),
    order=72, menu="audit", out="folder", title="Retention in treatment",
    summary="retention in treatment: share of episodes lasting 12 weeks or completed, with "
            "Wilson intervals, by group",
    description="""\
An episode is retained when it lasted at least --weeks weeks from its first
intervention, or ended earlier in a successful completion (--completed exit
reasons).  Only episodes that started at least --weeks weeks before the
census date are eligible.  For all episodes and each group of the --by
fields: eligible, retained and the share retained (Wilson interval), exits
and completions.

outputs in --out FOLDER: retention.csv (all episodes), retention_<field>.csv
(one per --by field; each with .meta.json), retention_chart.png/.svg.""",
    inputs=[EPISODES],
    params=[FILTER,
            Param("start_column", "column", "First intervention field", "The date treatment "
                  "started.", default="first_intervention_date", of="episodes"),
            Param("exit_column", "column", "Exit date field", "The date the episode ended "
                  "(blank: still in treatment).", default="exit_date", of="episodes"),
            Param("reason_column", "column", "Exit reason field", "The episodes' exit reason.",
                  default="exit_reason", of="episodes"),
            Param("weeks", "float", "Retained for", "Weeks in treatment that count as "
                  "retained.", default=12.0, unit="weeks", minimum=1, maximum=104),
            Param("completed", "list", "Completed exits", "Exit reasons that count as a "
                  "successful completion, e.g. Completed,Treatment completed. Blank: the "
                  "NDTMS ones.", advanced=True),
            BY, CENSUS, CONFIDENCE, UNITS.but(help="The word for what is counted, e.g. "
                                                   "clients or episodes."), TITLE],
    outputs=[Output("", "table", "retention, all episodes", counts=_RET_COUNTS,
                    rates=_RET_RATES),
             Output("_chart", "figure"),
             Output("_*", "table", "retention by group", counts=_RET_COUNTS,
                    rates=_RET_RATES)],
    examples=["retention --episodes treatment_episodes.csv --by age_group,substance "
              "--census-date 2025-03-31 --out retention/"],
)
def retention_step(ctx, *, episodes, filter, start_column, exit_column, reason_column, weeks,
                   completed, by, census_date, confidence, units, title, name):
    """Share of episodes retained ``weeks`` weeks or completed (Wilson CI), by group."""
    from mapping.render.charts_treatment import retention_chart
    from mapping.audit.treatment import COMPLETED_REASONS, treatment_retention

    df, _ = records(ctx, episodes, filter, param="episodes")
    by = _by(by)
    tab = treatment_retention(df, start=start_column, exit=exit_column,
                              reason=reason_column or None, weeks=weeks,
                              completed=tuple(completed) if completed else COMPLETED_REASONS,
                              by=by, census_date=census_date, level=confidence)
    m = dict(tab.attrs["meta"])
    who = units or _EPISODE_WORD
    heading = f"{title}: retained {weeks:g} weeks or completed" if title else m["title"]
    a = tab.iloc[0]
    line = (f"{int(a['eligible']):,} {who} eligible; {a['pct_retained']:.0f}% retained "
            f"{weeks:g} weeks or completed (95% CI {a['ci_low']:.0f}-{a['ci_high']:.0f}%); "
            f"{int(a['completed']):,} completions")
    meta = {**m, "title": heading, "summary": [line]}
    fig = retention_chart(tab, source=chart_source(ctx, episodes),
                          threshold=chart_threshold(ctx, episodes), who=who,
                          title=heading if title else None)
    outs = _by_tables(name, tab, by, meta)
    outs.insert(1, save_figure(ctx, fig, f"{name}_chart", {**meta, "summary": []}))
    return outs


# --------------------------------------------------------------- agerates
@analysis(
    "agerates", strand="young_people", label="Rates by age band",
    about=("Records per 10,000 residents of each age band, with 95% limits, from a table of "
           "residents by age (e.g. arrests of 18–24s against young adults)."),
    order=73, menu="audit", out="folder", title="{subject} per 10,000 residents "
                                                          "by age",
    summary="age-specific rates: records per 10,000 residents of each age band with Byar "
            "limits, from a population-by-age table",
    description="""\
Count the records in each age band (the records' --age-band field, or their
ages in years, --age, put into the population's bands) and divide by the
residents of that band (--population: a table of age band and population,
e.g. ONS mid-year estimates summed to the bands), per 10,000 (--multiplier),
with Byar's 95% limits and the ratio to the all-ages rate.  Bands are read
from labels such as 10-17, 18 to 24, 55+ or under 18.  Records with no age
are counted and left out.

outputs in --out FOLDER: agerates.csv (one row per band and All ages, with
.meta.json), agerates_chart.png/.svg.""",
    inputs=[RECORDS,
            Input("population", "table", "Population by age", "A table (CSV or XLSX) of age "
                  "band and residents, one row per band.", record_kind="population")],
    params=[FILTER,
            Param("age_band", "column", "Age band field", "The records' age band field "
                  "(bands as in the population table).", default="age_band", of="records"),
            Param("age", "column", "Age field", "The records' age in years, put into the "
                  "population's bands (instead of an age band field).", of="records"),
            Param("population_band", "column", "Population's band field", "The population "
                  "table's age band column.", default="age_band", of="population"),
            Param("population_column", "column", "Population column", "The population "
                  "table's column of residents.", default="population", of="population",
                  cli="--population-field"),
            Param("multiplier", "float", "Rate per", "10,000 = records per 10,000 residents "
                  "of the band.", default=10000.0, minimum=1, maximum=1e6),
            CONFIDENCE, UNITS],
    outputs=[Output("", "table", "rates per age band", counts=("count",),
                    rates=("rate", "rate_lcl", "rate_ucl", "share_of_records",
                           "rate_ratio")),
             Output("_chart", "figure")],
    examples=["agerates --points arrests.csv --kind arrests --population population_by_age.csv "
              "--out arrest_age_rates/"],
)
def agerates_step(ctx, *, records, population, filter, age_band, age, population_band,
                  population_column, multiplier, confidence, units, name):
    """Records per 10,000 residents of each age band (Byar limits), from population by age."""
    from mapping.audit.agerates import age_specific_rates
    from mapping.render.charts_treatment import agerates_chart
    from mapping.pipeline.inputs import records as _records

    recs, _ = _records(ctx, records, filter, param="records")
    tab = age_specific_rates(recs, ctx.data(population), age_band=age_band, age=age,
                             population_band=population_band,
                             population_count=population_column, per=multiplier,
                             confidence=confidence)
    m = dict(tab.attrs["meta"])
    units = in_sentence(units_word(ctx, units, records, filter))
    bands = tab[tab["age_band"] != "All ages"]
    top = bands.sort_values("rate", ascending=False).iloc[0]
    allr = tab.iloc[-1]
    line = (f"{m['base_n']:,} {units}; all ages {allr['rate']:.1f} per {multiplier:,.0f}; "
            f"highest {top['age_band']} ({top['rate']:.1f}, {top['rate_ratio']:.1f} × all "
            "ages)")
    meta = {**m, "title": "{subject} per " + f"{multiplier:,.0f} residents by age",
            "summary": [line]}
    fig = agerates_chart(tab, units=units, source=chart_source(ctx, records, population),
                         threshold=chart_threshold(ctx, records))
    return [StepOutput(name, pd.DataFrame(tab), "table", meta),
            save_figure(ctx, fig, f"{name}_chart", {**meta, "summary": []})]
