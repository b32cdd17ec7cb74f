"""``needles``: needle finds, how fast they are collected, and the areas slow to respond."""

from __future__ import annotations

from mapping.pipeline import Output, Param, StepOutput, analysis
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import records as _records
from mapping.pipeline.inputs import chart_source, drop_undated, save_figure, table_output
from mapping.pipeline.params import AREAS, AREA_ID, FILTER, RECORDS


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
            table_output(f"{name}_monthly", monthly, {"summary": summary})]
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
