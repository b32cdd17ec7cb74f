"""``hotmap count``: events per area, with rates per 10,000 and Byar confidence limits."""

from __future__ import annotations

from app.commands._common import (add_points_arguments, check_out, load_areas, load_points,
                                  period_of, read_population, write_table)

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
    pts, res = load_points(args.points, args, geometry=False)  # counting needs coordinates only
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
