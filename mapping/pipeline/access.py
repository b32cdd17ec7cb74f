"""Access to services: ``coverage`` (and ``whatif``, in :mod:`mapping.pipeline.whatif`).

What both read is in :mod:`mapping.pipeline.access_inputs`.

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
from mapping.pipeline import Output, StepOutput, analysis
from mapping.pipeline.access_inputs import (ACCESS_PARAMS, PHARMACIES, SERVICES, UNITS,
                                            coverage_options, load_services, need_values,
                                            prepare_areas)
from mapping.pipeline.deprivation import IMD_REF, LSOAS, national_imd
from mapping.pipeline.examples import BRISTOL, POP_FLAGS
from mapping.pipeline.params import AREAS


_GAP_COLOURS = {"gap": "#d7301f", "watch": "#fdae61", "covered": "#f0f0f0"}


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
    params=ACCESS_PARAMS,
    outputs=[Output("", "areas", "access per area", counts=("need",)),
             Output("_gaps", "areas", "gap classes", counts=("need",), optional=True),
             Output("_bivariate", "areas", "deprivation x access", optional=True),
             Output("_services_in_most_deprived", "table", "services in the 20% most "
                    "deprived areas", optional=True)],
    examples=[f"coverage --areas {BRISTOL} --area-id LSOA11CD {PHARMACIES} {POP_FLAGS} --method "
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
    from mapping.stats.coverage import coverage

    gdf, aid, origins, lsoa = prepare_areas(ctx, areas, lsoas, population_units, area_id,
                                            lsoa_id, population, population_units_field,
                                            apportion)
    svc, sid = load_services(ctx, services, services_filter, service_id)
    kw = coverage_options(ctx, gdf, method, capacity, catchment, decay, sigma, network, origins)
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
    res = _gap_outputs(ctx, out, gdf, aid, need, need_filter, value, meta, summary, name)
    dep, more, what = _area_deprivation(ctx, out, gdf, aid, imd, deprivation, lsoa, apportion,
                                        meta)
    if dep is not None:
        meta["references"] = list(meta["references"]) + [IMD_REF]
        if value == "access":
            res.append(_bivariate_output(out, aid, dep, more, meta, name))
    if dep is not None and "most_deprived_20" in out.columns:
        res.append(_deprived_services_output(out, svc, sid, aid, d, what, imd, summary, name))
    meta.update(subject="", summary=summary,
                attribution=["imd"] if imd else [],
                style={"legend_title": "Access (places per 1,000 people)" if value == "access"
                       else "Distance to nearest service (m)"})
    return [StepOutput(name, out, "areas", meta), *res]


def _gap_outputs(ctx, out, gdf, aid, need, need_filter, value, meta, summary, name) -> list:
    """The gap classes (high need, low access) added to ``out``, and their layer (none
    without a need)."""
    from mapping.stats.gaps import GAP_RULE, gap_classes

    nv = need_values(ctx, gdf, aid, need, need_filter)
    if nv is None:
        return []
    g = gap_classes(nv, out[value] if value == "access" else -out[value])
    out["need"] = nv
    for c in g.columns:
        out[c] = g[c].to_numpy()
    meta["gap_rule"] = GAP_RULE + ("" if value == "access" else
                                   " (access = minus nearest distance)")
    n_gap = int((out["gap_class"] == "gap").sum())
    summary.append(f"gap areas (high need, low access): {n_gap}")
    return [StepOutput(f"{name}_gaps", out[[aid, "geometry", value, "need",
                                            *g.columns]].copy(), "areas", {
        "title": "Service gaps: high need, low access", "units": "class",
        "value_column": "gap_class", "method": GAP_RULE, "subject": "",
        "references": meta["references"],
        "style": {"scheme": "categorical", "legend_title": "Gap class",
                  "categories": _GAP_COLOURS}})]


def _area_deprivation(ctx, out, gdf, aid, imd, deprivation, lsoa, apportion, meta):
    """``(values, 'higher'/'lower', what)``: the areas' deprivation from the IMD files, or
    from their own IMD columns (``deprivation``); ``(None, None, None)`` without either."""
    if imd:
        return _deprivation(ctx, out, gdf, aid, imd, lsoa, apportion, meta)
    if deprivation not in gdf.columns:
        return None, None, None
    import pandas as pd

    from boundaries.deprivation import deprivation_flags

    dep = pd.to_numeric(gdf[deprivation], errors="coerce").to_numpy(float)
    more, what = ("lower" if deprivation.endswith("_rank") else "higher"), "areas"
    if "most_deprived_20" in gdf.columns:
        out["most_deprived_20"] = gdf["most_deprived_20"].astype(bool).to_numpy()
    elif "imd_decile" in gdf.columns:
        out["most_deprived_20"] = deprivation_flags(gdf["imd_decile"].to_numpy())[
            "most_deprived_20"].to_numpy()
    return dep, more, what


def _bivariate_output(out, aid, dep, more, meta, name) -> StepOutput:
    """Deprivation terciles by access terciles (added to ``out``), as a bivariate layer."""
    from mapping.stats.gaps import bivariate_classes, bivariate_legend

    b = bivariate_classes(dep, out["access"].to_numpy(), more_deprived=more)
    out["deprivation_tercile"] = b["deprivation_tercile"].to_numpy()
    out["bivariate_class"] = b["bivariate_class"].to_numpy()
    biv = out[[aid, "geometry", "access", "bivariate_class"]].copy()
    biv["deprivation"] = dep if more == "higher" else -dep
    return StepOutput(f"{name}_bivariate", biv, "areas", {
        "title": "Deprivation and access (bivariate)", "units": "class 1-9",
        "value_column": "bivariate_class", "subject": "",
        "method": "terciles of deprivation x terciles of access; class = 3 (dep - 1) "
                  "+ access", "references": meta["references"],
        "bivariate_legend": bivariate_legend().to_dict("records"),
        "bivariate": {"x": "access", "y": "deprivation", "x_label": "Access (2SFCA)",
                      "y_label": "Deprivation (IMD)"}})


def _deprived_services_output(out, svc, sid, aid, d, what, imd, summary, name) -> StepOutput:
    """The services inside the 20% most deprived areas (a table), with the distances to the
    nearest service there and elsewhere in the summary."""
    import numpy as np
    import pandas as pd

    from mapping.stats.coverage import services_in_flagged_areas

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
    return StepOutput(f"{name}_services_in_most_deprived",
                      pd.DataFrame(inside[keep]).reset_index(drop=True), "table", {
                          "title": "Services located in the 20% most deprived areas",
                          "units": "services", "base_n": len(inside), "subject": "",
                          "method": "point in polygon", "references": [IMD_REF],
                          "attribution": ["imd"] if imd else []})
