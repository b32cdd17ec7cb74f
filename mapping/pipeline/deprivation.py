"""Project steps: ``deprivation``, ``coverage``, ``whatif``, ``concentration``, ``disproportion``.

Example project entries::

    [[analyses]]
    name = "deprivation"
    kind = "deprivation"
    [analyses.params]
    areas = "lsoa"                  # boundary layer with imd_decile (and imd_score, population)
    points = ["arrests", "needle_finds"]
    wards = "wards"                 # optional: population-weighted ward ranks

    [[analyses]]
    name = "access"
    kind = "coverage"
    [analyses.params]
    areas = "lsoa"
    services = "services"
    capacity = "capacity"
    method = "e2sfca"
    catchment = 2000
    need = "arrests"                # a record layer (counted per area) or an area column
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.errors import ProjectError
from mapping.pipeline import StepOutput, register_step

_IMD_REF = "MHCLG (2019) The English Indices of Deprivation 2019: Technical report"
_DECILE_LABELS = {d: f"{d}" + (" (most deprived)" if d == 1 else " (least deprived)" if d == 10
                               else "") for d in range(1, 11)}
# ColorBrewer RdYlBu, 10 classes: red = most deprived
_DECILE_COLOURS = ["#a50026", "#d73027", "#f46d43", "#fdae61", "#fee090", "#e0f3f8", "#abd9e9",
                   "#74add1", "#4575b4", "#313695"]


def _area_id(ctx, areas: str, area_id):
    gdf = ctx.data(areas)
    aid = area_id or ctx.meta.get(areas, {}).get("code_field") or "code"
    if aid not in gdf.columns:
        raise ProjectError(f"layer '{areas}' has no id column '{aid}'",
                           fix="set area_id in [analyses.params]")
    return gdf, aid


def _col(gdf, name, what, layer):
    if name not in gdf.columns:
        raise ProjectError(f"layer '{layer}' has no {what} column '{name}'",
                           fix=f"join a table giving '{name}' or set the column name in params")
    return name


def _counts(ctx, gdf, aid, source):
    """A count per area from a record layer (point-in-polygon) or an area column."""
    from mapping.concentration import count_in_areas

    if source in gdf.columns:
        return pd.to_numeric(gdf[source], errors="coerce").fillna(0).to_numpy()
    return count_in_areas(gdf, ctx.data(source), area_id=aid, snap_m=50).to_numpy()


def _project_path(ctx, p):
    """Resolve a path given in the project file relative to the project file's folder."""
    from pathlib import Path

    p = Path(p)
    base = getattr(ctx.project, "path", None)
    return p if p.is_absolute() or base is None else Path(base).parent / p


def _with_imd(ctx, gdf, aid, imd):
    if imd:
        from boundaries.deprivation import read_imd

        imd = [imd] if isinstance(imd, str) else list(imd)
        tab = read_imd([_project_path(ctx, p) for p in imd])
        gdf = gdf.drop(columns=[c for c in tab.columns if c in gdf.columns and c != "lsoa_code"])
        gdf = gdf.merge(tab, left_on=aid, right_on="lsoa_code", how="left")
    return gdf


@register_step("deprivation")
def deprivation_step(ctx, *, areas: str, area_id=None, decile: str = "imd_decile",
                     score: str = "imd_score", population: str = "population", points=(),
                     wards=None, ward_id=None, imd=None, name: str = "deprivation"):
    """Flags, local quintiles, record counts and concentration in the most deprived areas."""
    from boundaries.deprivation import deprivation_flags, local_quintiles, ward_deprivation
    from mapping.concentration import concentration_table

    gdf, aid = _area_id(ctx, areas, area_id)
    gdf = _with_imd(ctx, gdf, aid, imd)
    _col(gdf, decile, "IMD decile", areas)
    out = gdf[[aid, "geometry"]].copy()
    if score in gdf.columns:
        out["imd_score"] = gdf[score].to_numpy()
    out["imd_decile"] = gdf[decile].to_numpy()
    out = pd.concat([out.reset_index(drop=True), deprivation_flags(gdf[decile])], axis=1)
    dec = pd.to_numeric(out["imd_decile"], errors="coerce")
    out["decile_label"] = [_DECILE_LABELS.get(int(d), "") if pd.notna(d) else "" for d in dec]
    basis = score if score in gdf.columns else decile
    out["local_quintile"] = local_quintiles(gdf[basis],
                                            more_deprived="higher" if basis == score else "lower")
    if population in gdf.columns:
        out["population"] = gdf[population].to_numpy()
    points = [points] if isinstance(points, str) else list(points)
    for p in points:
        out[f"count_{p}"] = _counts(ctx, gdf, aid, p)
    res = [StepOutput(name, out, "areas", {
        "title": "Deprivation (IMD decile)", "units": "decile (1 = most deprived 10%)",
        "value_column": "decile_label", "method": "national IMD deciles; flags 1 / 1-2 / 1-3; "
        "local quintiles by rank within the study area",
        "params": {"decile": decile, "score": score, "points": points},
        "references": [_IMD_REF],
        "style": {"scheme": "categorical", "legend_title": "IMD decile (national)",
                  "categories": dict(zip(_DECILE_LABELS.values(), _DECILE_COLOURS))}})]
    if points and population in out.columns:
        tab = concentration_table(out, {p: f"count_{p}" for p in points}, area_id=aid,
                                  population="population")
        res.append(StepOutput(f"{name}_concentration", pd.DataFrame(tab), "table",
                              {**tab.attrs["meta"], "base_n": int(tab["n"].max())}))
    if wards:
        wgdf, wid = _area_id(ctx, wards, ward_id)
        use = score if score in gdf.columns else "imd_rank"
        w = ward_deprivation(gdf, wgdf, lsoa_id=aid, ward_id=wid,
                             population=_col(gdf, population, "population", areas),
                             score=_col(gdf, use, "IMD score or rank", areas))
        res.append(StepOutput(f"{name}_wards", w, "areas", {
            **w.attrs["meta"], "title": "Ward deprivation (population-weighted)",
            "units": "IMD score", "value_column": "ward_score"}))
    return res


def _services_xy_layer(ctx, services):
    svc = ctx.data(services)
    if not hasattr(svc, "geometry"):
        raise ProjectError(f"layer '{services}' has no point geometry", fix="use a record layer")
    return svc


def _need(ctx, gdf, aid, need):
    return None if need is None else _counts(ctx, gdf, aid, need)


def _coverage_kw(ctx, gdf, aid, params):
    from boundaries.population import area_origins

    kw = {k: params[k] for k in ("capacity", "catchment", "method", "decay") if params.get(k)}
    if params.get("population_layer"):
        kw["origins"] = area_origins(gdf, area_id=aid,
                                     population=ctx.data(params["population_layer"]),
                                     population_field=params.get("population_field", "population"))
    if params.get("network"):
        from mapping.network import read_network

        kw["network"] = read_network(_project_path(ctx, params["network"]))
    return kw


@register_step("coverage")
def coverage_step(ctx, *, areas: str, services: str, area_id=None, capacity=None,
                  demand: str = "population", catchment: float = 1600.0, method: str = "2sfca",
                  decay=None, need=None, deprivation: str = "imd_score", flag="most_deprived_20",
                  population_layer=None, population_field="population", network=None,
                  service_id=None, name: str = "access"):
    """Nearest service, catchment counts, 2SFCA/E2SFCA access, gap and bivariate classes."""
    from boundaries.deprivation import deprivation_flags
    from mapping.coverage import coverage, services_in_flagged_areas
    from mapping.gaps import GAP_RULE, bivariate_classes, bivariate_legend, gap_classes

    gdf, aid = _area_id(ctx, areas, area_id)
    svc = _services_xy_layer(ctx, services)
    sid = service_id or ("service_id" if "service_id" in svc.columns else None)
    kw = _coverage_kw(ctx, gdf, aid, dict(capacity=capacity, catchment=catchment, method=method,
                                          decay=decay, population_layer=population_layer,
                                          population_field=population_field, network=network))
    cov = coverage(gdf, area_id=aid, services=svc, service_id=sid,
                   demand=demand if method != "nearest" else None, **kw)
    meta = cov.attrs["meta"]
    value = "access" if "access" in cov else "nearest_service_m"
    res = [StepOutput(name, cov, "areas", {**meta, "style": {
        "scheme": "quantiles", "k": 5, "palette": "YlGnBu" if value == "access" else "YlOrRd",
        "legend_title": "Access (places per 1,000 people)" if value == "access"
        else "Distance to nearest service (m)"}})]
    if need is not None:
        nv = _need(ctx, gdf, aid, need)
        g = gap_classes(nv, cov[value] if value == "access" else -cov[value])
        gaps = cov[[aid, "geometry", value]].copy()
        gaps["need"] = nv
        for c in g.columns:
            gaps[c] = g[c].to_numpy()
        res.append(StepOutput(f"{name}_gaps", gaps, "areas", {
            "title": "Service gaps: high need, low access", "units": "class",
            "value_column": "gap_class", "method": GAP_RULE,
            "params": {"need": need, **meta["params"]}, "references": meta["references"],
            "style": {"scheme": "categorical", "legend_title": "Gap class",
                      "categories": {"gap": "#d7301f", "watch": "#fdae61",
                                     "covered": "#f0f0f0"}}}))
    if deprivation in gdf.columns and value == "access":
        b = bivariate_classes(gdf[deprivation].to_numpy(), cov["access"].to_numpy(),
                              more_deprived="lower" if deprivation.endswith("_rank") else "higher")
        biv = cov[[aid, "geometry", "access"]].copy()
        # oriented so that higher = more deprived (ranks are negated)
        sign = -1.0 if deprivation.endswith("_rank") else 1.0
        biv["deprivation"] = sign * pd.to_numeric(gdf[deprivation], errors="coerce").to_numpy()
        for c in b.columns:
            biv[c] = b[c].to_numpy()
        leg = bivariate_legend()
        res.append(StepOutput(f"{name}_bivariate", biv, "areas", {
            "title": "Deprivation and access (bivariate)", "units": "class 1-9",
            "value_column": "bivariate_class",
            "method": "terciles of deprivation x terciles of access; class = 3 (dep - 1) + access",
            "params": {"deprivation": deprivation}, "references": [_IMD_REF] + meta["references"],
            "bivariate_legend": leg.to_dict("records"),
            # for the renderer's two-way legend: access across, deprivation up
            "bivariate": {"x": "access", "y": "deprivation", "x_label": "Access (2SFCA)",
                          "y_label": "Deprivation (IMD)"}}))
    flagged = gdf
    if flag not in gdf.columns and "imd_decile" in gdf.columns:
        flagged = gdf.assign(**deprivation_flags(gdf["imd_decile"]).set_index(gdf.index))
    if flag in flagged.columns:
        inside = services_in_flagged_areas(svc, flagged, area_id=aid, flag=flag)
        keep = [c for c in (sid, "name", "type", "capacity", aid) if c and c in inside.columns]
        res.append(StepOutput(f"{name}_services_in_most_deprived",
                              pd.DataFrame(inside[keep]).reset_index(drop=True), "table", {
                                  "title": f"Services located in areas flagged {flag}",
                                  "units": "services", "base_n": len(inside),
                                  "method": "point in polygon", "params": {"flag": flag},
                                  "references": [_IMD_REF]}))
    return res


@register_step("whatif")
def whatif_step(ctx, *, areas: str, services: str, need: str, add=(), remove=(), area_id=None,
                service_id=None, capacity=None, add_capacity: float = 1.0,
                demand: str = "population", catchment: float = 1600.0, method: str = "2sfca",
                decay=None, name: str = "whatif"):
    """Add sites (``add = [[x, y], ...]`` or a record layer name) and/or remove sites by id."""
    import geopandas as gpd

    from mapping.gaps import whatif_coverage

    gdf, aid = _area_id(ctx, areas, area_id)
    svc = _services_xy_layer(ctx, services)
    sid = service_id or ("service_id" if "service_id" in svc.columns else None)
    if isinstance(add, str):
        new = ctx.data(add)
    elif add:
        xy = np.asarray(add, float).reshape(-1, 2)
        new = gpd.GeoDataFrame({(sid or "service_id"): [f"new-{i + 1}" for i in range(len(xy))],
                                **({capacity: add_capacity} if capacity else {})},
                               geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=svc.crs)
    else:
        new = None
    work = gdf.copy()
    work["_need"] = _counts(ctx, gdf, aid, need)
    ch, summary = whatif_coverage(work, svc, area_id=aid, need="_need", add=new,
                                  remove=list(remove), service_id=sid, demand=demand,
                                  capacity=capacity, catchment=catchment, method=method,
                                  **({"decay": decay} if decay else {}))
    meta = ch.attrs["meta"]
    return [StepOutput(name, ch, "areas", {**meta, "title": "What-if: change in access",
                                           "units": "capacity per person",
                                           "value_column": "access_change",
                                           "style": {"scheme": "quantiles", "palette": "RdBu"}}),
            StepOutput(f"{name}_summary", pd.DataFrame([summary]), "table",
                       {**meta, "title": "What-if summary", "units": "areas, people"})]


@register_step("concentration")
def concentration_step(ctx, *, areas: str, layers, area_id=None, population: str = "population",
                       flags=("most_deprived_20", "most_deprived_30"), level: float = 0.95,
                       method: str = "wilson", name: str = "concentration"):
    """Share of each record layer in the most deprived areas vs the population share."""
    from boundaries.deprivation import deprivation_flags
    from mapping.concentration import concentration_table

    gdf, aid = _area_id(ctx, areas, area_id)
    if not set(flags) <= set(gdf.columns) and "imd_decile" in gdf.columns:
        gdf = gdf.assign(**deprivation_flags(gdf["imd_decile"]).set_index(gdf.index))
    layers = [layers] if isinstance(layers, str) else list(layers)
    work = gdf.copy()
    for lay in layers:
        work[f"count_{lay}"] = _counts(ctx, gdf, aid, lay)
    tab = concentration_table(work, {lay: f"count_{lay}" for lay in layers}, area_id=aid,
                              population=_col(gdf, population, "population", areas),
                              flags=tuple(flags), level=level, method=method)
    return [StepOutput(name, pd.DataFrame(tab), "table", tab.attrs["meta"])]


@register_step("disproportion")
def disproportion_step(ctx, *, records: str, category: str, population,
                       population_category=None, population_count: str = "population",
                       level: float = 0.95, method: str = "wilson", name=None):
    """Group make-up vs population: ``population`` is a table layer, a CSV path or a dict."""
    from mapping.disproportion import disproportion

    if isinstance(population, dict):
        pop = pd.DataFrame({category: list(population), population_count: list(population.values())})
        population_category = category
    elif population in ctx.layers:
        pop = ctx.data(population)
    else:
        pop = pd.read_csv(_project_path(ctx, population), thousands=",")
    tab = disproportion(ctx.data(records), pop, category=category,
                        population_category=population_category,
                        population_count=population_count, level=level, method=method)
    return [StepOutput(name or f"disproportion_{category}", tab, "table", tab.attrs["meta"])]
