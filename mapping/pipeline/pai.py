"""``pai``: the predictive accuracy index (hit rate, PAI, RRI) of a hotspot surface or of
flagged areas."""

from __future__ import annotations

import pandas as pd

from layers.common.errors import ProjectError, term
from mapping.pipeline import Input, Output, Param, StepOutput, analysis
from mapping.pipeline.examples import BRISTOL, DRUGS, STREET
from mapping.pipeline.inputs import period_of, records
from mapping.pipeline.params import AREAS, BOUNDARY, FILTER, POINTS


# -------------------------------------------------------------------- pai
@analysis(
    "pai", strand="supply", uses_dates=False, label="Predictive accuracy index (PAI)",
    about=("How well a hotspot map predicts records: the share of records in the hottest part of "
           "the map divided by that part's share of the area."),
    order=26, menu="hotspots", title="Predictive accuracy of a hotspot map",
    out_formats=(".csv",),
    summary="evaluate a hotspot map against later events: hit rate, PAI, recapture rate index",
    description="""\
Take the hotspot area as the top --top-percent (default 3, after Chainey,
Tompson & Uhlig 2008) of the study area's cells of a --surface (e.g. a KDE
GeoTIFF from an earlier period; the study area is the --boundary, else the
surface's cells with data, and a surface with no mask warns that its whole
rectangle is used), or the areas flagged by --hot FIELD in an
--areas file (e.g. gi_sig from hotmap gistar).  Count the --points of the
later period:
  hit rate = n/N;  PAI = (n/N)/(a/A)  (a = hotspot area, A = study area);
  with --earlier (the events the map was made from):
  RRI = (n2/n1)/(N2/N1)  (recapture rate index, Levine 2008).

output: one row with top_percent, hot_cells, cells, hot_km2 (a), study_km2 (A),
n_hot (n), n_total (N), hit_rate (with 95% Wilson limits), pai, threshold,
outside, [n1_hot, n1_total, rri].""",
    inputs=[POINTS, Input("surface", "surface", "Hotspot surface", "A KDE surface made from "
                          "earlier records (a GeoTIFF on the command line).", required=False),
            AREAS.but(required=False, help="Alternatively: areas with a true/false hotspot "
                                           "field."),
            BOUNDARY.but(help="The study area A (with a surface): the hotspot is the top "
                              "share of its cells. Without it, the surface's cells with data; "
                              "a surface with no mask counts its whole rectangle (and warns)."),
            POINTS.but(name="earlier", label="Earlier records", required=False,
                       filter_param="earlier_filter", cli_prefix="earlier",
                       help="The records the hotspot map was made from, for the recapture "
                            "rate index.")],
    params=[FILTER, Param("earlier_filter", "expr", "Earlier records where",
                          "Filter of the earlier records (default: the same filter).",
                          advanced=True),
            Param("hot", "column", "Hotspot field", "With areas: the true/false field "
                  "marking the hotspot areas (e.g. gi_sig).", of="areas"),
            Param("top_percent", "float", "Top share of the area", "The hottest share of "
                  "the study area counted as the hotspot, in percent.", default=3.0,
                  unit="%", minimum=0.1, maximum=50)],
    outputs=[Output("", "table", "hit rate, PAI and RRI")],
    examples=["pai --surface drugs_kde.tif --boundary " + BRISTOL + " --points "
              f"2019-01-avon-and-somerset-street.csv {DRUGS} --earlier {STREET} "
              "--out pai.csv"],
)
def pai_step(ctx, *, points, surface, areas, boundary, earlier, filter, earlier_filter, hot,
             top_percent, name):
    """Hit rate, PAI and RRI of a hotspot ``surface`` (or ``areas`` flagged by ``hot``)."""
    from mapping.stats.pai import pai_areas, pai_surface

    later, label = records(ctx, points, filter)
    early = records(ctx, earlier, earlier_filter or filter, param="earlier")[0] \
        if earlier else None
    if surface is not None:
        res = pai_surface(ctx.data(surface), later, top_percent=top_percent, earlier=early,
                          boundary=ctx.data(boundary) if boundary else None)
        what = surface
    elif areas is not None and hot is not None:
        gdf = ctx.data(areas)
        if hot not in gdf.columns:
            raise ProjectError(f"layer '{areas}' has no field '{hot}'", column=hot,
                               fix=f"set {term('hot')} to its true/false hotspot field")
        res = pai_areas(gdf, gdf[hot].astype(bool).to_numpy(), later, earlier=early)
        what = areas
    else:
        raise ProjectError(f"pai needs {term('surface')} (a KDE result), or {term('areas')} "
                           f"and {term('hot')}", fix="name the hotspot map to evaluate")
    meta = {"title": f"Predictive accuracy of {what}: " + "{subject}",
            "units": "", "method": res["method"],
            "params": {"top_percent": top_percent, "study_area": res.get("study_area")},
            "base_n": res["n_total"], "period": period_of(later),
            "summary": [f"hit rate {res['hit_rate']:.1%} ({res['n_hot']:,} of "
                        f"{res['n_total']:,} events in {res['hot_km2']:.2f} of "
                        f"{res['study_km2']:.2f} km²); PAI {res['pai']:.2f}"
                        + (f"; RRI {res['rri']:.2f}" if "rri" in res else "")
                        + (f"; study area: {res['study_area']}" if res.get("study_area")
                           else "")]}
    return [StepOutput(name, pd.DataFrame([res]), "table", meta)]
