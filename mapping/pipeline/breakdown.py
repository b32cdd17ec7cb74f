"""``breakdown``: records broken down by a field (age band, sex, ethnicity), with rates."""

from __future__ import annotations

from layers.common.errors import ProjectError, term
from mapping.pipeline import Output, Param, analysis
from mapping.pipeline.inputs import records as _records
from mapping.pipeline.inputs import (chart_source, progress, project_path, save_figure,
                                     table_output, threshold, units_word)
from mapping.pipeline.params import FILTER, RECORDS, UNITS


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
    units = units_word(ctx, units, records, filter)
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
        outs.append(table_output(f"{name}_{field}", tab, m))
        outs.append(table_output(f"{name}_{field}_display", breakdown_display(tab),
                           {**m, "summary": [], "count_columns": []}))
        fig = breakdown_chart(tab, units=units, source=chart_source(ctx, records))
        outs.append(save_figure(ctx, fig, f"{name}_{field}_chart", {**m, "summary": []}))
    return outs
