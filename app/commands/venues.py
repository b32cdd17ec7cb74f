"""``hotmap venues``: events in and around venues (clubs, schools, hostels, services)."""

from __future__ import annotations

NAME = "venues"
ORDER = 43
HELP = "events within a distance of each venue (k-d tree), share of all events, and the " \
       "share expected from area or population"
DESCRIPTION = """\
Count the events within --radius metres (inclusive) of each venue and rank
the venues; count the events near any venue once, as a share of all events,
and compare it with the share expected if events were spread uniformly over
the study area (area of the buffers inside it) or like the population (areal
weighting of --areas populations), with an exact binomial test.

outputs in --out FOLDER: venues_ranked.csv, venues_summary.csv (each with
.meta.json), venues_chart.png/.svg.

example:
  hotmap venues --points 2019-01-avon-and-somerset-street.csv \\
      --filter "crime_type == 'Drugs'" --venues pharmacies.csv --venue-kind pharmacy \\
      --radius 250 --areas bristol_lsoa.geojson --area-id LSOA11CD \\
      --population pop.csv --population-id lsoa --population-field pop --out venues/
"""


def add_arguments(parser):
    """Add the verb's options."""
    from app.commands._common import add_points_arguments
    from app.commands._common import add_output_arguments

    add_points_arguments(parser)
    parser.add_argument("--venues", action="append", required=True, metavar="FILE",
                        help="venue file (CSV with x/y, lon/lat or postcode; GeoPackage ...)")
    parser.add_argument("--venue-columns", default=None, metavar="K=COL,...",
                        help="column mapping of the venue file, e.g. x=EAST,y=NORTH")
    parser.add_argument("--venue-name", default=None, metavar="COL",
                        help="venue name column (default: name)")
    parser.add_argument("--venue-kind", default="venue", help="e.g. club, pharmacy, school")
    parser.add_argument("--radius", type=float, default=250.0, help="metres (default 250)")
    parser.add_argument("--areas", action="append", default=None, metavar="FILE",
                        help="study area boundaries (also carry the population)")
    parser.add_argument("--area-id", default=None, metavar="FIELD", help="area code field")
    parser.add_argument("--population", default=None, metavar="FILE",
                        help="population table keyed by area code, for the population share")
    parser.add_argument("--population-id", default=None, metavar="FIELD")
    parser.add_argument("--population-field", default=None, metavar="FIELD")
    parser.add_argument("--units", default="events", help="what is counted, for titles")
    parser.add_argument("--top", type=int, default=15, help="venues shown in the chart")
    parser.add_argument("--threshold", type=int, default=5,
                        help="chart: show counts below this as '<N' (default 5; 0 = off)")
    add_output_arguments(parser)


def run(args) -> int:
    """Count, compare and write."""
    import pandas as pd

    from app.commands._common import load_areas, load_points, read_population
    from app.commands._common import parse_columns
    from app.commands._common import formats, out_folder, report, save_chart, write_csv
    from layers.errors import InputError
    from layers.records import load_records
    from mapping.venues import venue_activity, venue_chart

    folder = out_folder(args.out)
    fm = formats(args)
    if args.radius < 0:
        raise InputError("--radius must be >= 0 metres")
    pts, _ = load_points(args.points, args)
    vres = load_records(list(args.venues), kind="services",
                        columns=parse_columns(args.venue_columns))
    venues = vres.accepted
    print(f"venues: {vres.rows_read:,} read, {len(venues):,} located")
    study = pop_areas = None
    if args.areas:
        areas = load_areas(args.areas, args.area_id)
        study = areas
        if args.population:
            if not (args.area_id and args.population_id and args.population_field):
                raise InputError("--population needs --area-id, --population-id and "
                                 "--population-field", fix="name the code and value columns")
            pop = read_population(args.population, args.population_id, args.population_field)
            pop_areas = areas.assign(population=areas[args.area_id].astype(str).map(
                pd.Series(pop.to_numpy(), index=pop.index.astype(str))).fillna(0).to_numpy())
    res = venue_activity(pts, venues, radius=args.radius, study_area=study,
                         population=pop_areas, name_column=args.venue_name)
    res.meta["params"]["filter"] = args.filter
    written = [write_csv(pd.DataFrame(res.table.drop(columns="geometry")),
                         folder / "venues_ranked.csv", res.meta),
               write_csv(pd.DataFrame([res.summary]), folder / "venues_summary.csv", res.meta)]
    written += save_chart(venue_chart(res, top=args.top, units=args.units,
                                      venue_kind=args.venue_kind, source=args.source,
                                      threshold=args.threshold),
                          folder, "venues_chart", fm)
    s = res.summary
    line = (f"{s['events_near_any']:,} of {s['n_events']:,} {args.units} "
            f"({s['pct_near_any']:.1f}%) within {args.radius:g} m of {s['n_venues']} venues")
    if "expected_pct_area" in s:
        line += f"; {s['expected_pct_area']:.1f}% expected by area"
    if "expected_pct_population" in s:
        line += f", {s['expected_pct_population']:.1f}% by population"
    print(line)
    report(written)
    return 0
