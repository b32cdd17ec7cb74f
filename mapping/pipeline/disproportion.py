"""``disproportion``: records by category against the population of each category."""

from __future__ import annotations

from layers.common.errors import ProjectError, term
from mapping.pipeline import Input, Output, Param, REQUIRED, StepOutput, analysis
from mapping.pipeline.inputs import project_path, records
from mapping.pipeline.params import FILTER


@analysis(
    "disproportion", strand="young_people", label="Disproportionality",
    about=("Compares each group's share of records (e.g. arrests by ethnicity) with its share of "
           "the population, with confidence intervals."),
    order=43, menu="deprivation",
    title="{subject} against the population, by group",
    out_formats=(".csv",),
    summary="compare a group's make-up with the population: shares, ratio, 95% interval, flag",
    description="""\
For each category of --category (e.g. ethnicity, gender, age band) in the
records (treatment clients, arrests), compare the group's share with the
population's share from --population-table.  The ratio is group share /
population share; the 95% interval is Wilson's on the group share with the
population share fixed (--method katz treats the population as a sample too).
flag is true when the interval excludes 1 (direction "over" or "under").
Blank, "unknown" and "not stated" values are left out and counted.

output columns: category, group_n, group_share, population_n,
population_share, ratio, ci_low, ci_high, flag, direction.""",
    inputs=[Input("records", "table", "Records", "The records (treatment clients, "
                  "arrests): one row per person, with or without a location; or, with a "
                  "count field, a table of counts per group.", filter_param="filter",
                  cli="--records", result_kinds=("points", "table"))],
    params=[FILTER,
            Param("category", "column", "Group field", "The field holding each record's group, "
                  "e.g. ethnicity.", default=REQUIRED, of="records"),
            Param("population", "literal", "Population table", "The population of each "
                  "group: a CSV/XLSX file with one row per category and its count, a table "
                  "layer, or {group = count, ...}.", cli="--population-table"),
            Param("population_category", "text", "Its group column", "The category column of "
                  "the population table (default: the same as the group field)."),
            Param("population_count", "text", "Its count column", "The count column of the "
                  "population table.", default="population"),
            Param("count", "column", "Count field", "When the records are a table of counts "
                  "per group (e.g. clients per ethnic group from NDTMS): the field holding the "
                  "counts.", of="records"),
            Param("level", "float", "Confidence level", "Width of the intervals.",
                  default=0.95, minimum=0.5, maximum=0.999),
            Param("method", "choice", "Interval method", "wilson or katz.", default="wilson",
                  choices=("wilson", "katz"), cli="--ci")],
    outputs=[Output("", "table", "shares and ratios by group",
                    counts=("group_n",), rates=("group_share", "ratio", "ci_low", "ci_high"))],
    examples=["disproportion --records arrests.csv --kind arrests --category ethnicity "
              "--population-table population_by_ethnicity.csv --out ethnicity.csv"],  # demo
)
def disproportion_step(ctx, *, records, filter, category, population, population_category,
                       population_count, count, level, method, name):
    """Group make-up vs population: ``population`` is a table file, a table layer or a dict."""
    import pandas as pd

    from mapping.stats.disproportion import disproportion

    recs, _ = records_or_table(ctx, records, filter)
    if population is None:
        raise ProjectError(f"disproportion needs {term('population')}",
                           fix="give the population of each group")
    if isinstance(population, dict):
        pop = pd.DataFrame({category: list(population),
                            population_count: list(population.values())})
        population_category = category
    elif population in ctx.layers:
        pop = ctx.data(population)
    else:
        path = project_path(ctx, population)
        pop = pd.read_excel(path) if str(path).lower().endswith((".xlsx", ".xls")) else \
            pd.read_csv(path, thousands=",", encoding="utf-8-sig")
    tab = disproportion(recs, pop, category=category, population_category=population_category,
                        population_count=population_count, count=count, level=level,
                        method=method)
    meta = dict(tab.attrs.pop("meta"))
    meta["summary"] = [f"{meta['params']['group_n']:,} records with a {category} "
                       f"({meta['params']['not_recorded']:,} not recorded)"] + [
        f"{r['category']}: {r['group_share']:.1%} vs {r['population_share']:.1%}, ratio "
        f"{r['ratio']:.2f} ({r['ci_low']:.2f}-{r['ci_high']:.2f})"
        + (f"  <- {r['direction']}-represented" if r["flag"] else "")
        for _, r in tab.iterrows()]
    return [StepOutput(name, tab, "table", meta)]


def records_or_table(ctx, names, filt):
    """Records of a points layer or a plain table layer, filtered."""
    return records(ctx, names, filt, param="records")
