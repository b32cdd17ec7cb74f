"""``concentration``: how concentrated records are in the most deprived (or flagged) areas."""

from __future__ import annotations

from layers.common.errors import ProjectError, term
from mapping.pipeline import Input, Output, Param, StepOutput, analysis
from mapping.pipeline.deprivation import IMD, counts_per_area, national_imd, with_imd
from mapping.pipeline.examples import BRISTOL, IMD_FILES, POP_FLAGS
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import layer_names
from mapping.pipeline.params import AREAS, AREA_ID, POPULATION


@analysis(
    "concentration", strand="communities", uses_dates=False, label="Concentration in deprived areas",
    about=("The share of each record layer found in the most deprived areas, against the share "
           "of the population living there (a ratio above 1 = over-represented), with confidence "
           "intervals."),
    order=41, menu="deprivation",
    title="{subject} in the most deprived areas",
    summary="share of records in the most deprived areas against the share of residents, "
            "with the ratio and its interval",
    description="""\
For each record layer: the share of its records in the nationally most deprived
20% and 30% of areas (deciles 1-2 and 1-3), against the share of residents
living there, with the ratio of the two and its 95% interval (Wilson by
default; population share treated as fixed).  The areas need IMD deciles (give
--imd) and a population.""",
    inputs=[AREAS, Input("layers", "records", "Record layers", "The record layers to "
                         "compare, e.g. arrests and needle finds.", many=True, cli="--points",
                         required=False)],
    params=[AREA_ID,
            Param("counts", "list", "Count fields", "Fields of the areas that already count "
                  "people per area (e.g. adults_in_treatment from a table of clients per "
                  "LSOA), compared like the record layers.", of="areas"),
            IMD.but(help="The national IMD file(s), joined to the areas by LSOA code "
                         "(blank: the areas already have imd_decile)."),
            POPULATION.but(default="population"),
            Param("flags", "list", "Most deprived groups", "The flags compared.",
                  default=("most_deprived_20", "most_deprived_30"), advanced=True),
            Param("level", "float", "Confidence level", "Width of the intervals.",
                  default=0.95, minimum=0.5, maximum=0.999),
            Param("method", "choice", "Interval method", "wilson: the share's Wilson interval "
                  "with the population share fixed; katz: both shares as samples.",
                  default="wilson", choices=("wilson", "katz"), advanced=True)],
    outputs=[Output("", "table", "records in the most deprived areas", counts=("n", "n_in"))],
    examples=[f"concentration --areas {BRISTOL} --area-id LSOA11CD --imd {IMD_FILES} --points "
              f"2018-1*-avon-and-somerset-street.csv {POP_FLAGS} --out concentration.csv"],
)
def concentration_step(ctx, *, areas, layers, area_id, counts, imd, population, flags, level,
                       method, name):
    """Share of each record layer in the most deprived areas vs the population share."""
    import pandas as pd

    from boundaries.deprivation import deprivation_flags
    from mapping.stats.concentration import concentration_table

    gdf, aid = _areas(ctx, areas, area_id)
    if imd:
        gdf = with_imd(gdf.copy(), aid, national_imd(ctx, imd))
    if not set(flags) <= set(gdf.columns) and "imd_decile" in gdf.columns:
        gdf = gdf.assign(**deprivation_flags(gdf["imd_decile"]).set_index(gdf.index))
    missing = [f for f in flags if f not in gdf.columns]
    if missing:
        raise ProjectError(f"layer '{areas}' has no deprivation flags ({', '.join(missing)})",
                           fix=f"give the national {term('imd')} file(s)")
    if population not in gdf.columns:
        raise ProjectError(f"layer '{areas}' has no population field '{population}'",
                           fix=f"join a population table to the areas, or set "
                               f"{term('population')}")
    fields = [counts] if isinstance(counts, str) else list(counts or [])
    if not fields and not layer_names(layers):
        raise ProjectError(f"give {term('layers')} (record layers) or {term('counts')} "
                           "(count fields of the areas)",
                           fix=f"e.g. the arrests layer in {term('layers')}")
    lacking = [f for f in fields if f not in gdf.columns]
    if lacking:
        raise ProjectError(f"layer '{areas}' has no field '{lacking[0]}'", column=lacking[0],
                           fix=f"set {term('counts')} to count fields of the areas")
    work = gdf.copy()
    sources = {}
    for lay in layer_names(layers):
        work[f"count_{lay}"] = counts_per_area(ctx, gdf, aid, lay)
        sources[lay] = f"count_{lay}"
    notes = []
    for f in fields:
        v = pd.to_numeric(gdf[f], errors="coerce")
        if v.isna().any():  # suppressed at source ("*", "<5") or blank
            notes.append(f"{int(v.isna().sum()):,} areas have no {f} (blank or suppressed at "
                         "source): counted as 0, so their shares are lower bounds")
        work[f] = v.fillna(0).to_numpy()
        sources[f] = f
    tab = concentration_table(work, sources,
                              area_id=aid, population=population, flags=tuple(flags),
                              level=level, method=method)
    meta = {**tab.attrs["meta"], "attribution": ["imd"] if imd else []}
    meta["notes"] = [*meta.get("notes", []), *notes]
    return [StepOutput(name, pd.DataFrame(tab), "table", meta)]
