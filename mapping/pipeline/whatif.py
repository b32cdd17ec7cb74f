"""``whatif``: the coverage of the areas with services added or closed, and the best new sites."""

from __future__ import annotations

from layers.common.errors import ProjectError, term
from mapping.pipeline import Input, Output, Param, StepOutput, analysis
from mapping.pipeline.access_inputs import (ACCESS_PARAMS, PHARMACIES, SERVICES, UNITS,
                                            coverage_options, load_services, need_values,
                                            prepare_areas)
from mapping.pipeline.deprivation import LSOAS
from mapping.pipeline.examples import BRISTOL, POP_FLAGS
from mapping.pipeline.inputs import records
from mapping.pipeline.params import AREAS


@analysis(
    "whatif", strand="treatment", uses_dates=False, label="What-if: open, close or find service sites",
    about=("Recomputes access if a service opens at a place (x, y in metres) or closes, and maps "
           "the change per area; or suggests the best new sites among candidates: those covering "
           "the most need not yet within reach."),
    order=42, menu="deprivation", title="What-if: change in access",
    summary="add/remove service sites and show the change in access and gaps; suggest k new "
            "sites",
    description="""\
Takes the same inputs as coverage (areas, services, population, need,
catchment, method) and adds sites (--add X,Y in British National Grid metres,
repeatable; or a points file of sites with --add-sites) and/or closes services
(--remove ID, repeatable, by --services-id), then recomputes access and the gap
classes.  The "after" access terciles use the "before" distribution, so a
class changes only when an area crosses a before-change tercile boundary.
Output per area: access_before, access_after, access_change, nearest_before_m,
nearest_after_m, gap_before, gap_after, and a summary table.

--suggest K with --candidates FILE picks K new sites from candidate points that
cover the most still-uncovered need within the catchment (maximal covering
location problem, Church & ReVelle 1974): --siting mclp solves it exactly with
PySAL spopt; greedy is a heuristic (at least 63% of the optimum); auto (default)
uses mclp unless the problem is huge.""",
    inputs=[AREAS, SERVICES, LSOAS, UNITS,
            Input("add_sites", "records", "New sites", "A points file of sites to open.",
                  required=False, cli_prefix="add-sites", result_kinds=("points",)),
            Input("candidates", "records", "Candidate sites", "Possible new sites for "
                  "--suggest (points).", required=False, cli_prefix="candidates",
                  result_kinds=("points",))],
    params=[*[p.but(default="2sfca") if p.name == "method" else p
              for p in ACCESS_PARAMS if p.name not in ("imd", "deprivation")],
            Param("add", "pairs", "New sites", "Sites to open, as easting, northing in metres, "
                  "e.g. 359500,173000.", unit="m"),
            Param("add_capacity", "float", "Places at each new site", "Capacity of each added "
                  "site.", default=1.0, minimum=0, maximum=100000),
            Param("remove", "list", "Close services", "Ids of services to close, e.g. S03."),
            Param("suggest", "int", "Suggest sites", "How many new sites to pick from the "
                  "candidates (0 = none).", default=0, minimum=0, maximum=100),
            Param("siting", "choice", "Siting method", "mclp: exact maximal covering (spopt); "
                  "greedy: a fast heuristic; auto: mclp unless the problem is huge.",
                  default="auto", choices=("auto", "mclp", "greedy"), advanced=True)],
    outputs=[Output("", "areas", "change in access per area", counts=("need",)),
             Output("_summary", "table", "areas and people in gaps, before and after"),
             Output("_sites", "points", "suggested new sites", optional=True)],
    examples=[f"whatif --areas {BRISTOL} --area-id LSOA11CD {PHARMACIES} {POP_FLAGS} --method "
              "2sfca --need 2018-1*-avon-and-somerset-street.csv --need-filter \"crime_type == "
              "'Drugs'\" --add 359500,173000 --add-capacity 1 --out whatif.csv"],
)
def whatif_step(ctx, *, areas, services, lsoas, population_units, add_sites, candidates,
                area_id, lsoa_id, services_filter, service_id, capacity, population,
                population_units_field, method, catchment, decay, sigma, network, need,
                need_filter, apportion, add, add_capacity, remove, suggest, siting, name):
    """Add sites (``add = [[x, y], ...]`` or a record layer) and/or remove sites by id; and
    suggest ``suggest`` new sites among ``candidates``."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from mapping.stats.gaps import whatif_coverage

    gdf, aid, origins, lsoa = prepare_areas(ctx, areas, lsoas, population_units, area_id,
                                            lsoa_id, population, population_units_field,
                                            apportion)
    svc, sid = load_services(ctx, services, services_filter, service_id)
    kw = coverage_options(ctx, gdf, method, capacity, catchment, decay, sigma, network, origins)
    nv = need_values(ctx, gdf, aid, need, need_filter)
    if nv is None:
        raise ProjectError(f"whatif needs {term('need')} (records counted per area, or an area "
                           "field) for the gap classes", fix="say what measures need")
    frames = []
    if add:
        xy = np.asarray(add, float).reshape(-1, 2)
        frames.append(gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
                                       crs=svc.crs))
    if add_sites:
        extra, _ = records(ctx, add_sites, None, param="add_sites")
        frames.append(gpd.GeoDataFrame(geometry=extra.geometry.values, crs=svc.crs))
    new = None
    if frames:
        new = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=svc.crs)
        new[sid or "service_id"] = [f"new-{i + 1}" for i in range(len(new))]
        if capacity:
            new[capacity] = add_capacity
    remove = [str(r) for r in (remove or [])]
    if new is None and not remove and not suggest:
        raise ProjectError("nothing to change", fix=f"give {term('add')}, "
                           f"{term('add_sites')}, {term('remove')} or {term('suggest')}")
    work = gdf.assign(_need=nv)
    res, summary = [], []
    if new is not None or remove:
        ch, s = whatif_coverage(work, svc, area_id=aid, need="_need", add=new, remove=remove,
                                service_id=sid, **kw)
        meta = dict(ch.attrs.pop("meta"))
        summary += [f"{k}: {v:,.0f}" if isinstance(v, float) else f"{k}: {v}"
                    for k, v in s.items()]
        res += [StepOutput(name, ch, "areas", {
                    **meta, "title": "What-if: change in access", "subject": "",
                    "units": "capacity per person", "value_column": "access_change",
                    "summary": summary, "style": {"palette": "RdBu"}}),
                StepOutput(f"{name}_summary", pd.DataFrame([s]), "table",
                           {**meta, "title": "What-if summary", "units": "areas, people",
                            "subject": ""})]
    if suggest:
        res.append(_suggested_sites(ctx, gdf, aid, nv, svc, suggest, candidates, catchment,
                                    siting, origins, name))
    return res


def _suggested_sites(ctx, gdf, aid, need, svc, k, candidates, catchment, siting, origins,
                     name):
    """The ``<name>_sites`` points: best new sites among the candidates (MCLP or greedy)."""
    import geopandas as gpd
    import numpy as np

    from mapping.stats.gaps import best_new_sites

    if not candidates:
        raise ProjectError(f"{term('suggest')} needs {term('candidates')}: a point layer of "
                           "possible new sites", fix="name the candidate sites")
    cand, _ = records(ctx, candidates, None, param="candidates")
    o = origins.set_index(aid).loc[gdf[aid]]
    sites = best_new_sites(o[["origin_x", "origin_y"]].to_numpy(), need,
                           np.column_stack([cand.geometry.x, cand.geometry.y]), int(k),
                           catchment, existing=np.column_stack([svc.geometry.x,
                                                                svc.geometry.y]),
                           method=siting)
    meta = sites.attrs.pop("meta")
    pts = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites["x"], sites["y"]),
                           crs=svc.crs)
    pts.insert(0, "rank", np.arange(1, len(pts) + 1))
    for col in ("name", "service_id", "id"):  # say which candidate each pick is
        if col in cand.columns:
            pts[f"candidate_{col}"] = cand[col].iloc[sites["candidate"].to_numpy(int)].to_numpy()
    return StepOutput(f"{name}_sites", pts, "points", {
        **meta, "title": f"Suggested new sites ({len(pts)} of {int(k)} asked)", "subject": "",
        "units": "need covered", "value_column": "added_weight", "aggregate": True,
        "summary": [f"suggested sites ({meta['method']}): " + "; ".join(
            f"{int(r['rank'])} at {r['x']:.0f},{r['y']:.0f} +{r['added_weight']:,.0f}"
            for _, r in pts.iterrows())],
        "style": {"marker": "^", "marker_size": 60.0, "color": "#7b3294",
                  "edgecolor": "#ffffff", "label_column": "rank"}})
