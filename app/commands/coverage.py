"""``hotmap coverage``: distance to the nearest service, services in reach, 2SFCA access, gaps.

Also holds the input helpers the ``whatif`` verb shares (services, population, need).
"""

from __future__ import annotations

NAME = "coverage"
ORDER = 41
HELP = "distance to the nearest service and 2SFCA / enhanced 2SFCA access per area, with gaps"
DESCRIPTION = """\
For every area, measure from its origin point (the population-weighted
centroid when --population is a layer of output areas or postcodes with
counts, else a point guaranteed inside the area) to the service points:
nearest_service_m and services_within_catchment (distance <= --catchment).
Distances are straight-line metres found with a KD-tree, or road metres
(Dijkstra) when --network gives a road centre-line file.

--method 2sfca adds `access`: the two-step floating catchment area ratio
(Luo & Wang 2003), supply = --capacity (1 per service if omitted) and demand
= population (or --demand-field).  --method e2sfca weights distance within
the catchment in thirds by 1, 0.68, 0.22 (Luo & Qi 2009), or --decay gaussian.
With --need (a points file counted per area, or an area field), adds
need_tercile, access_tercile and gap_class: "gap" = need tercile 3 and access
tercile 1; "watch" = need 3 & access 2, or need 2 & access 1; else "covered".
With --imd, adds imd_decile, most_deprived_20, bivariate_class (1..9 =
3 x (deprivation tercile - 1) + access tercile; the mapping is in the
.meta.json) and prints the services located in the 20% most deprived areas.

output columns: <area id>, origin_x, origin_y, origin_method, nearest_service_m,
nearest_service, services_within_catchment, [demand, access], [need,
need_tercile, access_tercile, gap_class], [imd_decile, most_deprived_20,
deprivation_tercile, bivariate_class].

example (pharmacies open Oct 2018 - Jan 2019, geocoded by postcode):
  hotmap coverage --areas bristol_lsoa2011.geojson --area-id LSOA11CD \\
      --services nhs_ods_edispensary_2025-04.csv --services-no-header \\
      --services-columns id=1,name=2,postcode=10 --postcodes codepoint_open_bs.csv \\
      --services-filter "col11 <= '20190131' and (col12 is null or col12 >= '20181001')" \\
      --population mysociety_lsoa_population_mid2019_uk.csv --population-id lsoa \\
      --population-field pop --method 2sfca --catchment 1600 --out access.csv
"""


def add_service_arguments(parser):
    """Options shared by coverage and whatif: areas, services, population, need, distance."""
    from app.commands._common import add_record_options

    parser.add_argument("--areas", required=True, action="append", metavar="FILE",
                        help="area boundary file (repeat to merge several)")
    parser.add_argument("--area-id", required=True, metavar="FIELD", help="area code field")
    parser.add_argument("--services", required=True, action="extend", nargs="+", metavar="FILE",
                        help="service points: x/y or lon/lat CSV, XLSX, GeoPackage, or a "
                             "postcode list with --postcodes")
    parser.add_argument("--capacity", metavar="FIELD",
                        help="service capacity field (places, staff); default 1 per service")
    parser.add_argument("--services-columns", metavar="K=COL,...",
                        help="service column mapping, e.g. id=1,name=2,postcode=10 "
                             "(numbers are 1-based positions)")
    parser.add_argument("--services-no-header", action="store_true",
                        help="the services file has no header row (columns col1, col2 ...)")
    parser.add_argument("--services-filter", metavar="EXPR",
                        help="keep only matching services, e.g. \"status == 'A'\"")
    parser.add_argument("--services-id", metavar="FIELD",
                        help="service id field (default: the 'id' column mapping)")
    parser.add_argument("--postcodes", metavar="FILE",
                        help="postcode table (Code-Point Open) to place services/points by postcode")
    parser.add_argument("--population", action="extend", nargs="+", metavar="FILE",
                        help="population: a table keyed by area code (CSV/XLSX), or a layer of "
                             "output areas / postcode points with counts (weighted origins)")
    parser.add_argument("--population-id", metavar="FIELD", help="area code column of the table")
    parser.add_argument("--population-field", metavar="FIELD", help="population count column")
    parser.add_argument("--demand-field", metavar="FIELD",
                        help="area field to use as demand instead of population (e.g. need estimate)")
    parser.add_argument("--need", action="extend", nargs="+", metavar="FILE_OR_FIELD",
                        help="need: points file(s) counted per area (e.g. drug offences), or an "
                             "area field; adds gap_class")
    parser.add_argument("--need-filter", metavar="EXPR",
                        help="keep only matching need records, e.g. \"crime_type == 'Drugs'\"")
    add_record_options(parser)
    parser.add_argument("--catchment", type=float, default=1600.0, metavar="METRES",
                        help="catchment distance in metres (default 1600, ~20 min walk)")
    parser.add_argument("--method", choices=["nearest", "2sfca", "e2sfca"], default="nearest",
                        help="nearest (distances and counts), 2sfca or e2sfca (default nearest)")
    parser.add_argument("--decay", choices=["step", "gaussian"], default=None,
                        help="E2SFCA distance decay (default step: 1, 0.68, 0.22 by thirds)")
    parser.add_argument("--sigma", type=float, default=None, metavar="METRES",
                        help="gaussian decay width (default catchment / 2)")
    parser.add_argument("--network", metavar="FILE",
                        help="road centre lines (GeoPackage/Shapefile/GeoJSON): network distances")
    parser.add_argument("--imd", nargs="+", metavar="FILE",
                        help="IMD file(s): adds deprivation flags and the bivariate class")


def add_arguments(parser):
    """Add the verb's options."""
    add_service_arguments(parser)
    parser.add_argument("--out", required=True, metavar="OUT.csv|OUT.gpkg", help="output file")


def load_services(args):
    """Read, geocode and filter the service layer."""
    from app.commands._common import parse_columns
    from layers.errors import InputError
    from layers.records import load_records

    cols = parse_columns(args.services_columns) or {}
    res = load_records(list(args.services), kind="services", columns=cols,
                       header=not args.services_no_header, postcode_table=args.postcodes,
                       dedupe=False)
    svc = res.accepted
    if args.services_filter:
        from mapping.filters import apply_filter

        svc = apply_filter(svc, args.services_filter)
    sid = args.services_id or (f"col{cols['id']}" if str(cols.get("id", "")).isdigit()
                               else cols.get("id"))
    if sid and sid not in svc.columns:
        raise InputError(f"services have no id column '{sid}'", column=sid,
                         fix="check --services-id / --services-columns")
    print(f"services: {res.rows_read:,} read, {len(res.accepted):,} located, "
          f"{len(res.rejected):,} rejected" + (f", {len(svc):,} match the filter"
                                                if args.services_filter else ""))
    if svc.empty:
        raise InputError("no services to measure to", fix="check the services file and filter")
    return svc.reset_index(drop=True), sid


def attach_population(areas, args):
    """Return (areas with a 'population' column or None, population units layer or None)."""
    from pathlib import Path

    import geopandas as gpd

    from boundaries.population import read_population
    from layers.errors import InputError

    if not args.population:
        return areas, None
    first = Path(args.population[0])
    if first.suffix.lower() in (".csv", ".xlsx", ".xls", ".txt"):
        tab = read_population(first, code_field=args.population_id,
                              value_field=args.population_field)
        codes = areas[args.area_id].astype(str).str.strip()
        areas = areas.assign(population=tab.set_index("code")["population"]
                             .reindex(codes.to_numpy()).to_numpy())
        if areas["population"].isna().all():
            raise InputError("no area code matches the population table", column=args.area_id,
                             fix="check --population-id and --area-id hold the same codes")
        return areas, None
    import pandas as pd

    frames = []
    for p in args.population:
        if not Path(p).exists():
            raise InputError("population file not found", path=p, fix="check the path")
        g = gpd.read_file(p)
        if g.crs is None:
            raise InputError("the population layer has no coordinate reference system", path=p,
                             fix="save it with its CRS (e.g. EPSG:27700)")
        frames.append(g.to_crs(areas.crs))
    units = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=areas.crs)
    if not args.population_field or args.population_field not in units.columns:
        raise InputError("a population layer needs --population-field naming its count column",
                         fix=f"one of: {', '.join(map(str, units.columns[:12]))}")

    pts = units.assign(geometry=units.geometry.representative_point())
    j = gpd.sjoin(pts[[args.population_field, "geometry"]], areas[[args.area_id, "geometry"]],
                  predicate="within")
    tot = j.groupby(args.area_id)[args.population_field].sum()
    return areas.assign(population=tot.reindex(areas[args.area_id]).fillna(0).to_numpy()), units


def attach_need(areas, args):
    """Need per area: a field of the areas, or points counted per area."""
    from app.commands._common import load_points
    from mapping.concentration import count_in_areas

    if not args.need:
        return None
    if len(args.need) == 1 and args.need[0] in areas.columns:
        return areas[args.need[0]].to_numpy()
    args.filter = args.need_filter
    pts, _ = load_points(args.need, args)
    c = count_in_areas(areas, pts, area_id=args.area_id)
    print(f"need: {int(c.sum()):,} records in the areas, {c.attrs['outside']:,} outside")
    return c.to_numpy()


def coverage_inputs(args):
    """Everything coverage and whatif need: areas, services, keywords for mapping.coverage."""
    from app.commands._common import load_areas
    from boundaries.population import area_origins
    from layers.errors import InputError

    areas = load_areas(args.areas, args.area_id).reset_index(drop=True)
    areas, units = attach_population(areas, args)
    svc, sid = load_services(args)
    kw = {"catchment": args.catchment, "method": args.method, "capacity": args.capacity,
          "origins": area_origins(areas, area_id=args.area_id, population=units,
                                  population_field=args.population_field)}
    if args.method != "nearest":
        demand = args.demand_field or "population"
        if demand not in areas.columns:
            raise InputError(f"{args.method} needs demand: give --population or --demand-field",
                             fix="e.g. --population pop.csv --population-id lsoa "
                                 "--population-field pop")
        kw["demand"] = demand
        if args.method == "e2sfca":
            kw["decay"] = args.decay or "step"
            if args.sigma:
                kw["sigma"] = args.sigma
    if args.network:
        from mapping.network import read_network

        kw["network"] = read_network(args.network)
        print(f"road network: {kw['network'].n_nodes:,} nodes")
    return areas, svc, sid, kw


def run(args) -> int:
    """Measure, classify, write and summarise."""
    import numpy as np
    import pandas as pd

    from app.commands._common import check_out, write_table
    from mapping.coverage import coverage, services_in_flagged_areas
    from mapping.gaps import GAP_RULE, bivariate_classes, bivariate_legend, gap_classes

    check_out(args.out)
    areas, svc, sid, kw = coverage_inputs(args)
    out = coverage(areas, area_id=args.area_id, services=svc, service_id=sid, **kw)
    meta = dict(out.attrs["meta"])
    value = "access" if "access" in out else "nearest_service_m"
    need = attach_need(areas, args)
    if need is not None:
        g = gap_classes(need, out[value] if value == "access" else -out[value])
        out["need"] = need
        for c in g.columns:
            out[c] = g[c].to_numpy()
        meta["gap_rule"] = GAP_RULE + ("" if value == "access" else
                                       " (access = minus nearest distance)")
    if args.imd:
        from boundaries.deprivation import IMD_REFERENCE, deprivation_flags, read_imd

        imd = read_imd(args.imd).set_index("lsoa_code").reindex(
            areas[args.area_id].astype(str).str.strip().to_numpy())
        out["imd_decile"] = pd.array(imd["imd_decile"].to_numpy(), dtype="Int64")
        out["most_deprived_20"] = deprivation_flags(imd["imd_decile"].to_numpy())[
            "most_deprived_20"].to_numpy()
        dep, more = (imd["imd_score"], "higher") if "imd_score" in imd else (imd["imd_rank"], "lower")
        if value == "access":
            b = bivariate_classes(dep.to_numpy(), out["access"].to_numpy(), more_deprived=more)
            out["deprivation_tercile"] = b["deprivation_tercile"].to_numpy()
            out["bivariate_class"] = b["bivariate_class"].to_numpy()
            meta["bivariate_legend"] = bivariate_legend().to_dict("records")
        meta["references"] = list(meta["references"]) + [IMD_REFERENCE]
        inside = services_in_flagged_areas(svc, out, area_id=args.area_id, flag="most_deprived_20")
        md = out["most_deprived_20"].to_numpy()
        print(f"services in the 20% most deprived areas: {len(inside)} of {len(svc)}")
        for _, r in inside.head(50).iterrows():
            print(f"  {r.get(sid, '') if sid else ''} {r.get('name', '')} ({r[args.area_id]})")
        d = out["nearest_service_m"].to_numpy()
        print(f"median distance to nearest service: {np.median(d[md]):,.0f} m in the 20% most "
              f"deprived areas, {np.median(d[~md]):,.0f} m elsewhere")
    out.attrs.clear()
    out.attrs["hotmap_meta"] = meta
    write_table(out, args.out)
    d = out["nearest_service_m"]
    print(f"{len(out):,} areas -> {args.out}; nearest service median {d.median():,.0f} m, "
          f"max {d.max():,.0f} m; {int((out['services_within_catchment'] == 0).sum())} areas "
          f"with none within {args.catchment:,.0f} m")
    if need is not None:
        print(f"gap areas (high need, low access): {int((out['gap_class'] == 'gap').sum())}")
    return 0
