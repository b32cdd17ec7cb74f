"""``hotmap funnel``: funnel plot of area rates with PHE exact Poisson control limits."""

from __future__ import annotations

NAME = "funnel"
ORDER = 44
HELP = "funnel plot: area rates per 10,000 against population with 95%%/99.8%% exact Poisson " \
       "control limits (PHE method)"
DESCRIPTION = """\
Count the points in each area (or take --count-field), divide by the area's
population and plot the rates against population, with 95% and 99.8% control
limits around the overall rate by Public Health England's exact Poisson
method.  Areas outside the limits are flagged and labelled.  Comparator areas
(a CSV with name, count and population columns) are placed against the same
limits without changing the overall rate.

outputs in --out FOLDER: funnel.csv (+ .meta.json), funnel.gpkg (areas with
rates and flags), funnel_chart.png/.svg.

example:
  hotmap funnel --areas bristol_lsoa.geojson --area-id LSOA11CD --name-field LSOA11NM \\
      --points 2019-01-avon-and-somerset-street.csv --filter "crime_type == 'Drugs'" \\
      --population pop.csv --population-id lsoa --population-field pop --out funnel/
"""


def add_arguments(parser):
    """Add the verb's options."""
    from app.commands._common import add_points_arguments
    from app.commands._common import add_output_arguments

    parser.add_argument("--areas", required=True, action="append", metavar="FILE",
                        help="area boundaries")
    parser.add_argument("--area-id", required=True, metavar="FIELD", help="area code field")
    parser.add_argument("--name-field", default=None, metavar="FIELD",
                        help="area name field for labels (default: the code)")
    add_points_arguments(parser, required=False)
    parser.add_argument("--count-field", default=None, metavar="FIELD",
                        help="area field holding the counts (instead of --points)")
    parser.add_argument("--population", default=None, metavar="FILE",
                        help="population table keyed by area code (CSV/XLSX)")
    parser.add_argument("--population-id", default=None, metavar="FIELD")
    parser.add_argument("--population-field", default="population", metavar="FIELD",
                        help="population column of the table, or of the areas without "
                             "--population (default population)")
    parser.add_argument("--comparators", default=None, metavar="CSV",
                        help="comparator areas: CSV with name, count and population columns")
    parser.add_argument("--multiplier", type=float, default=10000.0,
                        help="rate per this many people (default 10,000)")
    parser.add_argument("--overdispersion", action="store_true",
                        help="widen the limits for between-area variation beyond Poisson "
                             "noise (Spiegelhalter 2005); off by default, as in PHE's method")
    parser.add_argument("--units", default="records", help="what is counted, for titles")
    parser.add_argument("--title", default=None, help="chart title")
    add_output_arguments(parser)


def run(args) -> int:
    """Compute the funnel table and chart and write them."""
    import pandas as pd

    from app.commands._common import load_areas, load_points, read_population, write_table
    from app.commands._common import formats, out_folder, report, save_chart, write_csv
    from layers.errors import InputError
    from mapping.concentration import count_in_areas
    from mapping.funnel import funnel_chart, funnel_table

    folder = out_folder(args.out)
    fm = formats(args)
    areas = load_areas(args.areas, args.area_id)
    if args.points:
        pts, _ = load_points(args.points, args)
        areas = areas.assign(count=count_in_areas(areas, pts, area_id=args.area_id).to_numpy())
        count = "count"
    elif args.count_field:
        count = args.count_field
    else:
        raise InputError("give --points or --count-field", fix="say what to count")
    if args.population:
        if not args.population_id:
            raise InputError("--population needs --population-id", fix="name the code column")
        pop = read_population(args.population, args.population_id, args.population_field)
        areas = areas.assign(population=areas[args.area_id].astype(str).map(
            pd.Series(pop.to_numpy(), index=pop.index.astype(str))).to_numpy())
        popcol = "population"
    else:
        popcol = args.population_field
    cmp_ = None
    if args.comparators:
        cmp_ = pd.read_csv(args.comparators, thousands=",")
        cols = {c.lower(): c for c in cmp_.columns}
        need = [c for c in ("name", "count", "population") if c not in cols]
        if need:
            raise InputError(f"the comparators table has no {', '.join(need)} column(s)",
                             path=args.comparators, fix="give name, count, population columns")
        cmp_ = cmp_.rename(columns={cols["name"]: args.name_field or args.area_id,
                                    cols["count"]: count, cols["population"]: popcol})
    t = funnel_table(areas, count=count, population=popcol,
                     name=args.name_field or args.area_id, multiplier=args.multiplier,
                     comparators=cmp_, overdispersion=args.overdispersion)
    t[args.area_id] = [areas.loc[i, args.area_id] if g == "area" else None
                       for i, g in zip(t.index, t["group"])]
    meta = {**t.attrs["meta"], "params": {**t.attrs["meta"].get("params", {}),
                                          "filter": args.filter}}
    written = [write_csv(t, folder / "funnel.csv", meta)]
    area_rows = t[t["group"] == "area"]
    if hasattr(area_rows, "geometry"):
        area_rows.attrs["hotmap_meta"] = meta
        written.append(write_table(area_rows, folder / "funnel.gpkg"))
    written += save_chart(funnel_chart(t, units=args.units, title=args.title,
                                       source=args.source), folder, "funnel_chart", fm)
    n_out = {k: v for k, v in meta["n_outside"].items() if k != "within"}
    od = meta["overdispersion"]
    print(f"{meta['n_areas']} areas, {meta['base_n']:,} {args.units}, overall rate "
          f"{meta['overall_rate']:.2f} per {args.multiplier:,.0f}; outside the limits: "
          + (", ".join(f"{v} {k}" for k, v in n_out.items()) or "none")
          + f"; overdispersion phi = {od['phi']:.2f}"
          + (" (limits widened)" if od["adjusted"] else ""))
    report(written)
    return 0
