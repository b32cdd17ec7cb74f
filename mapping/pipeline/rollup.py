"""``rollup``: counts and populations of small areas summed into larger ones.

Example project entry (after a ``count`` on LSOAs called ``drugs_rate``)::

    [[analyses]]
    name = "drugs_wards"
    kind = "rollup"
    [analyses.params]
    source = "drugs_rate"        # a count result on small areas (count, population)
    to = "wards"                 # boundary layer of the larger areas
    lookup = "lsoa_ward.csv"     # optional: ONS lookup; default best fit (largest overlap)

The result is an areas layer of the larger areas with ``count``,
``population``, ``population_complete``, rates and limits recomputed on the
sums (:func:`mapping.stats.rollup.rollup_rates`), and the code and name fields in
its metadata, so a ``funnel`` step can use it directly (``areas =
"drugs_wards"``, ``count = "count"``).  ``count`` rolls up in the same way
with its ``rollup_to`` parameter (``--roll-up-to`` on the command line).
"""

from __future__ import annotations

from layers.common.errors import ProjectError, term
from mapping.pipeline import Input, Output, Param, StepOutput, analysis
from mapping.pipeline.inputs import project_path, threshold

_RATES = ("rate_per_10k", "rate_lcl", "rate_ucl")


def rollup(ctx, small, small_meta: dict, large_name: str, *, small_code: str, large_code=None,
           lookup=None, count: str = "count", population="population", sums=None,
           confidence: float = 0.95):
    """Roll a small-area result up to the boundary layer ``large_name``; returns (frame, meta).

    Shared by the ``rollup`` analysis and ``count``'s ``rollup_to``.
    """
    from boundaries.detect import detect_code_field, level_title
    from mapping.stats.rollup import rollup_rates

    large = ctx.data(large_name)
    lid = large_code or ctx.meta.get(large_name, {}).get("code_field") or \
        detect_code_field(large)
    if lid is None or lid not in large.columns:
        raise ProjectError(f"cannot find the code field of '{large_name}'",
                           fix=f"name it with {term('rollup_id')}")
    if population is not None and population not in small.columns:
        population = None  # counts only: the source had no population
    sums = list(sums) if sums is not None else [c for c in small.columns
                                                 if str(c).endswith("_sum")]
    level = level_title(lid, large[lid] if lid in large.columns else None)
    out = rollup_rates(small, large, small_code=small_code, large_code=lid, count=count,
                       population=population, sums=sums,
                       lookup=project_path(ctx, lookup) if lookup else None,
                       confidence=confidence, small_number=threshold(ctx) or 5,
                       small_meta=small_meta, level_name=level,
                       large_name=ctx.meta.get(large_name, {}).get("name_field"))
    meta = dict(out.attrs.pop("meta", None) or {})
    r = out.attrs["rollup"]
    how = "the lookup" if r["method"] == "lookup" else \
        f"largest overlap ({r['unmatched_area_share']:.2%} of the area unmatched)"
    col = "rate_per_10k" if population is not None else count
    meta.update({
        "value_column": col, "code_field": lid,
        "name_field": ctx.meta.get(large_name, {}).get("name_field"),
        "style": {"column": col},
        "summary": [f"roll-up: {len(small):,} areas into {len(out):,} by {how}; "
                    f"{len(r['unassigned'])} areas ({r['unassigned_events']} events) in none"],
    })
    return out, meta, level


@analysis(
    "rollup", strand="supply", label="Roll up to larger areas",
    about=("Sums a count result on small areas (LSOAs) into larger areas (wards, districts) and "
           "recomputes the rates and their limits on the sums."),
    order=27, menu="hotspots", title="{subject} by larger area",
    summary="sum a small-area count (and its population) into wards or districts; rates "
            "recomputed on the sums",
    description="""\
Sum the counts, populations and summed quantities of a count result on small
areas (LSOAs) into larger ones (wards, districts): by an ONS lookup table when
given, else by best fit (each small area to the larger area holding most of
it; the share of area that matches none is reported).  Rates per 10,000 and
their limits are recomputed on the sums; a larger area any of whose small
areas lacks a population gets no rate and population_complete = false.

On the command line, count does the same with --roll-up-to.""",
    inputs=[Input("source", "areas", "Small-area result", "A count result on small areas "
                  "(count and population per LSOA).", result_kinds=("areas",)),
            Input("to", "areas", "Larger areas", "The boundary layer to sum into (wards, "
                  "districts).")],
    params=[Param("area_id", "column", "Small-area code field", "The code field of the "
                  "small areas (detected when blank).", of="source"),
            Param("to_id", "column", "Larger-area code field", "The code field of the larger "
                  "areas (detected when blank).", of="to"),
            Param("lookup", "file", "Lookup table", "An ONS lookup from the small areas' codes "
                  "to the larger areas' codes. Blank: by largest overlap."),
            Param("count", "column", "Count field", "The count column to sum.",
                  default="count", of="source"),
            Param("population", "column", "Population field", "The population column to sum "
                  "(none: counts only).", default="population", of="source"),
            Param("sums", "list", "Summed quantities", "Further columns to sum (default: "
                  "every *_sum column).", advanced=True),
            Param("confidence", "float", "Confidence level", "Width of the rate intervals.",
                  default=0.95, minimum=0.5, maximum=0.999)],
    outputs=[Output("", "areas", "counts and rates of the larger areas",
                    counts=("count",), rates=_RATES)],
    cli=False,  # a published (suppressed) file cannot be rolled up: count --roll-up-to can
)
def rollup_step(ctx, *, source, to, area_id, to_id, lookup, count, population, sums,
                confidence, name):
    """Roll a small-area count (and its population) up to a boundary layer; rates recomputed."""
    from boundaries.detect import detect_code_field

    small = ctx.data(source)
    hidden = [c for c in small.columns if str(c).endswith("_suppressed") and small[c].any()]
    if hidden:
        raise ProjectError(f"'{source}' has suppressed counts ({', '.join(hidden)}): summing "
                           "them would leave the hidden ones out",
                           fix="roll up the count itself (count with rollup_to, or a rollup "
                               "step on the count's result in the same project)")
    sid = area_id or ctx.meta.get(source, {}).get("code_field") or detect_code_field(small)
    if sid is None:
        raise ProjectError("cannot find the small areas' code field",
                           fix=f"set {term('area_id')}")
    smeta = ctx.meta.get(source, {})
    out, meta, level = rollup(ctx, small, smeta, to, small_code=sid, large_code=to_id,
                              lookup=lookup, count=count, population=population, sums=sums,
                              confidence=confidence)
    title = smeta.get("title") or source
    meta.update(title=f"{title}, {level}" if level else f"{title} (rolled up to {to})",
                subject=smeta.get("subject", ""), filter=smeta.get("filter"),
                filter_text=smeta.get("filter_text", ""), period=smeta.get("period", ""),
                params={**(smeta.get("params") or {}), "rolled_up_from": source, "to": to,
                        "method": out.attrs["rollup"]["method"]})
    return [StepOutput(name, out, "areas", meta)]
