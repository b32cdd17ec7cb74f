"""``hotmap count``: events per area, with rates per 10,000 and Byar confidence limits.

This module also holds the small helpers the other analysis verbs share
(reading points and areas, writing CSV / GeoPackage tables).
"""

from __future__ import annotations

from pathlib import Path

NAME = "count"
ORDER = 20
HELP = "count points per area; with a population, rates per 10,000 with 95%% Byar limits"
DESCRIPTION = """\
Count the points of one layer (several --points files are one layer) in every
area, including areas with none.  With a population table, add rates per
10,000 residents and 95% confidence limits by Byar's method (as Public Health
England publishes).  Areas with fewer than --small-number events (default 5)
are flagged in the small_number column.

output columns: <area id>, count, [population, rate_per_10k, rate_lcl, rate_ucl],
small_number (plus the area polygons in a .gpkg output).

examples:
  hotmap count --areas bristol_lsoa.geojson --area-id LSOA11CD \\
      --points 2019-01-avon-and-somerset-street.csv --filter "crime_type == 'Drugs'" \\
      --population lsoa_population.csv --population-id LSOA11CD --population-field All_Ages \\
      --out drugs_rates.csv
"""


# ----------------------------------------------------------------- shared helpers
def add_points_arguments(parser, required: bool = True, flag: str = "--points"):
    """Options for one points layer: files, record kind, column mapping, filter."""
    parser.add_argument(flag, action="append", required=required, metavar="FILE",
                        dest=flag.strip("-").replace("-", "_"),
                        help="record file (police.uk CSV, x/y or lon/lat CSV, XLSX, GeoPackage); "
                             "repeat for several files forming one layer")
    add_record_options(parser)


def add_record_options(parser):
    """--kind, --columns and --filter (shared by every points layer of the verb)."""
    if any(a.dest == "kind" for a in parser._actions):
        return
    parser.add_argument("--kind", default="generic",
                        help="record kind: generic, arrests, needles, crack_houses, services, "
                             "seizures (police.uk files are recognised automatically)")
    parser.add_argument("--columns", default=None, metavar="K=COL,...",
                        help="column mapping, e.g. x=EAST,y=NORTH,date=Occurred")
    parser.add_argument("--filter", default=None, metavar="EXPR",
                        help="keep only records matching EXPR, e.g. \"crime_type == 'Drugs'\"")


def load_points(paths, args, *, quiet: bool = False):
    """Read record files as one layer, apply --filter, print a one-line summary."""
    from app.commands.inspect import _parse_columns
    from layers.records import load_records

    res = load_records(list(paths), kind=getattr(args, "kind", "generic"),
                       columns=_parse_columns(getattr(args, "columns", None)))
    pts = res.accepted
    expr = getattr(args, "filter", None)
    n_loaded = len(pts)
    if expr:
        from mapping.filters import apply_filter

        pts = apply_filter(pts, expr)
    if not quiet:
        extra = f", {len(pts):,} match the filter" if expr else ""
        print(f"records: {res.rows_read:,} read, {n_loaded:,} with a location, "
              f"{len(res.rejected):,} rejected{extra}")
    return pts, res


def period_of(pts) -> str:
    """The records' time span for metadata (empty when they have no dates)."""
    from mapping.periods import describe_span

    return describe_span(pts["date"]) if "date" in pts.columns else ""


def load_areas(paths, area_id=None):
    """Read boundary files (EPSG:27700) and check the id field."""
    from boundaries.io import load_boundaries
    from layers.errors import InputError

    res = load_boundaries(paths if isinstance(paths, list) else [paths], code_field=area_id)
    areas = res.accepted
    if area_id and area_id not in areas.columns:
        raise InputError(f"the areas have no field '{area_id}'", column=area_id,
                         fix=f"choose one of: {', '.join(map(str, areas.columns[:15]))}")
    return areas


def check_out(path, allowed=(".csv", ".gpkg")):
    """Refuse an output extension the verb cannot write."""
    from layers.errors import InputError

    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        raise InputError(f"cannot write '{suffix or path}'", path=path,
                         fix=f"use one of: {', '.join(allowed)}")
    return Path(path)


def write_table(gdf, path) -> Path:
    """Write a result: CSV (no geometry) or GeoPackage (with polygons), atomically."""
    import json

    from layers.atomic import atomic_write_path, atomic_write_text

    from mapping.surface_io import write_cells

    path = check_out(path)
    if path.suffix.lower() == ".csv":
        with atomic_write_path(path) as tmp:
            cols = [c for c in gdf.columns if c != "geometry"]
            gdf[cols].to_csv(tmp, index=False)
    else:
        write_cells(gdf, path)
    meta = gdf.attrs.get("hotmap_meta")
    if meta:
        atomic_write_text(path.with_name(path.name + ".meta.json"),
                          json.dumps(meta, indent=2, default=str, ensure_ascii=False))
    return path


def read_population(path, id_field, value_field):
    """Population table keyed by area code (CSV/XLSX, thousands separators handled)."""
    try:
        from boundaries.population import read_population as _read

        df = _read(path, code_field=id_field, value_field=value_field)
        return df.set_index(df.columns[0])[df.columns[1]]
    except ImportError:  # pragma: no cover - before the ingest module existed
        import pandas as pd

        if str(path).lower().endswith((".xlsx", ".xls")):
            df = pd.read_excel(path, dtype={id_field: str})
        else:
            df = pd.read_csv(path, thousands=",", dtype={id_field: str})
        return pd.to_numeric(df.set_index(id_field)[value_field], errors="coerce")


# ----------------------------------------------------------------- the verb
def add_arguments(parser):
    """Add the verb's options."""
    parser.add_argument("--areas", required=True, action="append", metavar="FILE",
                        help="area boundaries (GeoPackage, GeoJSON, Shapefile)")
    parser.add_argument("--area-id", required=True, metavar="FIELD", help="area id field")
    add_points_arguments(parser)
    parser.add_argument("--population", default=None, metavar="FILE",
                        help="population table (CSV or XLSX) keyed by area code")
    parser.add_argument("--population-id", default=None, metavar="FIELD",
                        help="area code column of the population table")
    parser.add_argument("--population-field", default=None, metavar="FIELD",
                        help="population column of the population table")
    parser.add_argument("--small-number", type=int, default=5, metavar="N",
                        help="flag counts below N (default 5)")
    parser.add_argument("--confidence", type=float, default=0.95,
                        help="confidence level of the rate limits (default 0.95)")
    parser.add_argument("--out", required=True, metavar="OUT.csv|OUT.gpkg", help="output file")


def run(args) -> int:
    """Count, compute rates, write the table and print the assignment line."""
    from layers.errors import InputError
    from mapping.rates import area_rates

    check_out(args.out)
    areas = load_areas(args.areas, args.area_id)
    pts, res = load_points(args.points, args)
    pop = None
    if args.population:
        if not (args.population_id and args.population_field):
            raise InputError("--population needs --population-id and --population-field",
                             fix="name the code and population columns of the table")
        pop = read_population(args.population, args.population_id, args.population_field)
    out = area_rates(areas, pts, args.area_id, population=pop, small_number=args.small_number,
                     confidence=args.confidence)
    a = out.attrs["assignment"]
    out.attrs["hotmap_meta"]["period"] = period_of(pts)
    write_table(out, args.out)
    extra = f" ({a['read']:,} match the filter)" if args.filter else ""
    print(f"records read: {res.rows_read:,}{extra}; assigned: {a['assigned']:,}; "
          f"unassigned: {a['unassigned']:,} (outside every area); rejected by the loader "
          f"(e.g. no location): {len(res.rejected):,}; areas: {len(out):,} -> {args.out}")
    return 0
