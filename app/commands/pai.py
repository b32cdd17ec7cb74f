"""``hotmap pai``: how well a hotspot map predicted later events (hit rate, PAI, RRI)."""

from __future__ import annotations

NAME = "pai"
ORDER = 26
HELP = "evaluate a hotspot map against later events: hit rate, PAI, recapture rate index"
DESCRIPTION = """\
Take the hotspot area as the top --top-percent (default 3, after Chainey,
Tompson & Uhlig 2008) of the study area's cells of a --surface (e.g. a KDE
GeoTIFF from an earlier period), or the areas flagged by --hot FIELD in an
--areas file (e.g. gi_sig from hotmap gistar).  Count the --points of the
later period:
  hit rate = n/N;  PAI = (n/N)/(a/A)  (a = hotspot area, A = study area);
  with --earlier (the events the map was made from):
  RRI = (n2/n1)/(N2/N1)  (recapture rate index, Levine 2008).

output: one-row CSV with top_percent, hot_cells, cells, hot_km2 (a), study_km2 (A),
n_hot (n), n_total (N), hit_rate (with 95% Wilson limits hit_rate_lcl/ucl), pai, threshold, outside, [n1_hot, n1_total, rri];
also printed.

example:
  hotmap pai --surface drugs_2018Q4.tif --points 2019-01-street.csv \\
      --filter "crime_type == 'Drugs'" --earlier 2018-1*-street.csv --out pai.csv
"""


def add_arguments(parser):
    """Add the verb's options."""
    from app.commands._common import add_points_arguments

    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--surface", metavar="FILE.tif", help="hotspot surface (GeoTIFF)")
    src.add_argument("--areas", metavar="FILE", help="areas with a hotspot flag field")
    parser.add_argument("--hot", metavar="FIELD", help="with --areas: the true/false hotspot field")
    add_points_arguments(parser)
    parser.add_argument("--earlier", action="append", metavar="FILE",
                        help="events the hotspot map was made from (for RRI)")
    parser.add_argument("--top-percent", type=float, default=3.0,
                        help="share of the study area taken as hotspot (default 3)")
    parser.add_argument("--out", default=None, metavar="OUT.csv", help="write the figures to CSV")


def run(args) -> int:
    """Evaluate and print (and write) the figures."""
    import pandas as pd

    from app.commands._common import check_out, load_areas, load_points
    from layers.atomic import atomic_write_path
    from layers.errors import InputError

    if args.out:
        check_out(args.out, (".csv",))
    later, _ = load_points(args.points, args)
    earlier = load_points(args.earlier, args)[0] if args.earlier else None
    if args.surface:
        from mapping.pai import pai_surface
        from mapping.surface_io import read_geotiff

        res = pai_surface(read_geotiff(args.surface), later, top_percent=args.top_percent,
                          earlier=earlier)
    else:
        from mapping.pai import pai_areas

        if not args.hot:
            raise InputError("--areas needs --hot FIELD naming the hotspot flag",
                             fix="e.g. --hot gi_sig")
        areas = load_areas([args.areas])
        if args.hot not in areas.columns:
            raise InputError(f"the areas have no field '{args.hot}'", column=args.hot)
        res = pai_areas(areas, areas[args.hot].astype(bool).to_numpy(), later, earlier=earlier)
    print(f"hit rate {res['hit_rate']:.1%} ({res['n_hot']:,} of {res['n_total']:,} events in "
          f"{res['hot_km2']:.2f} of {res['study_km2']:.2f} km²); PAI {res['pai']:.2f}"
          + (f"; RRI {res['rri']:.2f}" if "rri" in res else ""))
    if args.out:
        with atomic_write_path(args.out) as tmp:
            pd.DataFrame([res]).to_csv(tmp, index=False)
    return 0
