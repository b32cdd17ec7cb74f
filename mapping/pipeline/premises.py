"""Premises: ``closurespeed``, how fast crack houses are closed once known.

Example project entry::

    [[analyses]]
    name = "crack_closure_speed"
    kind = "closurespeed"
    [analyses.params]
    records = "crack_houses"
    census_date = "2025-03-31"

The premises' locations and identities are sensitive: they are never written out.
"""

from __future__ import annotations

import pandas as pd

from layers.common.errors import ProjectError, term
from mapping.pipeline import Output, Param, StepOutput, analysis
from mapping.pipeline.inputs import chart_source, save_figure
from mapping.pipeline.params import FILTER
from mapping.pipeline.patterns import RECORDS
from mapping.pipeline.inputs import chart_threshold


# ----------------------------------------------------------- closurespeed
@analysis(
    "closurespeed", strand="communities", label="Crack house closure speed",
    about=("Days from a premises first becoming known to its closure order: the spread, the "
           "median and the chance of still being open after a given time."),
    order=74, menu="audit", out="folder",
    title="Closure speed: {subject}",
    summary="crack-house closure speed: days from first known to the closure order, "
            "distribution and Kaplan-Meier time to closure",
    description="""\
For each premises: days from first known (to the police or partners) to its
closure order.  The distribution over --bands (days), the median and
quartiles of the closed ones, and the Kaplan-Meier estimate of time to
closure with premises not closed by the census date censored (so slow cases
still open are not left out).  Premises with no first-known date, or closed
before it, are left out and counted.  Locations are never written out.

outputs in --out FOLDER: closurespeed.csv (the distribution),
closurespeed_summary.csv, closurespeed_km.csv (Kaplan-Meier table; each with
.meta.json), closurespeed_chart.png/.svg.""",
    inputs=[RECORDS.but(record_kind="crack_houses")],
    params=[FILTER,
            Param("first_known_column", "column", "First known field", "The date the "
                  "premises first became known.", default="first_known", of="records"),
            Param("closure_column", "column", "Closure order field", "The date of the "
                  "closure order.", default="closure_order", of="records"),
            Param("census_date", "date", "Census date", "Date the records run to, e.g. "
                  "2025-03-31; premises not closed by then are followed up to it. Blank: "
                  "the latest date in the records."),
            Param("bands", "list", "Bands (days)", "Upper edges of the bands of the "
                  "distribution, e.g. 30,90,180,365.", default=(30, 90, 180, 365),
                  unit="days", item="int")],
    outputs=[Output("", "table", "closure orders by time since first known",
                    counts=("premises",), rates=("pct",)),
             Output("_summary", "table", "closure speed in numbers",
                    counts=("n", "closed", "open")),
             Output("_km", "table", "time to closure order (Kaplan-Meier)",
                    counts=("events", "censored", "n_at_risk")),
             Output("_chart", "figure")],
    examples=["closurespeed --points crack_houses.csv --kind crack_houses --census-date "
              "2025-03-31 --out closure_speed/"],
)
def closurespeed_step(ctx, *, records, filter, first_known_column, closure_column,
                      census_date, bands, name):
    """Days from a crack house first being known to its closure order; Kaplan-Meier."""
    from mapping.render.charts_treatment import closure_chart
    from mapping.audit.closurespeed import closure_speed
    from mapping.pipeline.inputs import records as _records

    from mapping.pipeline.inputs import drop_undated

    recs, _ = _records(ctx, records, filter, param="records")
    recs, undated = drop_undated(ctx, records, recs, (first_known_column, closure_column),
                                 "premises")
    if not len(recs):
        raise ProjectError("no premises to measure", fix=f"check {term('filter')}")
    res = closure_speed(recs, first_known=first_known_column, closure=closure_column,
                        census_date=census_date, bands=tuple(int(b) for b in bands))
    s = res.summary
    med = "not reached" if s["km_median_days"] != s["km_median_days"] else \
        f"{s['km_median_days']:,.0f} days"
    line = (f"{s['n']:,} premises, {s['closed']:,} closed (median {s['median_days']:,.0f} "
            f"days from first known), {s['open']:,} still open; Kaplan-Meier median time to "
            f"closure {med}")
    meta = {**res.meta, "title": "Closure speed: {subject}", "summary": [line]}
    if undated:
        meta["notes"] = [*meta.get("notes", []), undated]
    summ = {k: v for k, v in s.items() if k != "excluded"}
    fig = closure_chart(res, source=chart_source(ctx, records),
                        threshold=chart_threshold(ctx, records))
    return [StepOutput(name, res.distribution, "table", meta),
            StepOutput(f"{name}_summary", pd.DataFrame([summ]), "table",
                       {**meta, "title": "Closure speed in numbers: {subject}", "summary": [],
                        "count_columns": [],
                        "rate_columns": [k for k in summ if k.endswith("_days")]}),
            StepOutput(f"{name}_km", res.km.table.copy(), "table",
                       {**meta, **res.km.meta, "summary": [], "count_columns": [],
                        "title": "Time to closure order (Kaplan-Meier): {subject}",
                        "rate_columns": ["survival", "ci_low", "ci_high", "cumulative"]}),
            save_figure(ctx, fig, f"{name}_chart", {**meta, "summary": []})]
