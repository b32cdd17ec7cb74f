"""``hotmap needles``: needle-collection response times, slow areas, finds by quantity."""

from __future__ import annotations

NAME = "needles"
ORDER = 42
HELP = "needle collection response times: median and 90th percentile per month and area, " \
       "share within target, slow areas"
DESCRIPTION = """\
Response time = collected_at - reported_at, in hours.  Per month (and per
area with --areas): reports, collected, reports with no collection time
(flagged and kept, never dropped), needles (sum of quantity), median, 90th
percentile (linear interpolation, as Excel PERCENTILE.INC) and mean hours, and
the share collected within the target (24 h by default).  With --areas, also
the slow-response areas and the finds per area weighted by quantity.

outputs in --out FOLDER: needles_monthly.csv, [needles_areas.csv,
needles_areas.gpkg], needles_reports.csv (each report with its response time
and flag, no coordinates), needles_chart.png/.svg.

example:
  hotmap needles --points needle_finds.csv --areas wards.geojson --area-id ward_code \\
      --target-hours 24 --out needles/
"""


def add_arguments(parser):
    """Add the verb's options."""
    from app.commands._common import add_points_arguments
    from app.commands._common import add_output_arguments

    add_points_arguments(parser)
    parser.set_defaults(kind="needles")
    parser.add_argument("--areas", action="append", default=None, metavar="FILE",
                        help="area boundaries for per-area statistics and slow areas")
    parser.add_argument("--area-id", default=None, metavar="FIELD", help="area code field")
    parser.add_argument("--target-hours", type=float, default=24.0,
                        help="collection target in hours (default 24)")
    parser.add_argument("--min-collected", type=int, default=5,
                        help="areas with fewer collected reports are not judged (default 5)")
    parser.add_argument("--measure", default="median_hours",
                        choices=["median_hours", "p90_hours"],
                        help="statistic compared with the target for slow areas")
    add_output_arguments(parser)


def run(args) -> int:
    """Compute and write the response tables and chart."""
    import pandas as pd

    from app.commands._common import load_areas, load_points, write_table
    from app.commands._common import formats, out_folder, report, save_chart, write_csv
    from mapping.needles import (needle_finds_by_area, needle_response, needle_response_chart,
                                 needle_response_summary, needle_slow_areas)

    folder = out_folder(args.out)
    fm = formats(args)
    pts, _ = load_points(args.points, args)
    resp = needle_response(pts, target_hours=args.target_hours)
    monthly = needle_response_summary(resp, by="month", target_hours=args.target_hours)
    keep = [c for c in resp.columns if c not in ("geometry", "easting", "northing", "x", "y",
                                                 "lon", "lat", "Longitude", "Latitude")]
    written = [write_csv(monthly, folder / "needles_monthly.csv"),
               write_csv(pd.DataFrame(resp[keep]), folder / "needles_reports.csv",
                         resp.attrs["meta"])]
    if args.areas:
        areas = load_areas(args.areas, args.area_id)
        code = args.area_id or next(c for c in areas.columns if c != "geometry")
        by_area = needle_response_summary(resp, by="area", areas=areas, area_code=code,
                                          target_hours=args.target_hours)
        slow = needle_slow_areas(by_area, target_hours=args.target_hours,
                                 min_collected=args.min_collected, measure=args.measure)
        finds = needle_finds_by_area(pts, areas, area_code=code)
        slow["needles_found"] = finds["needles"].to_numpy()
        slow.attrs["meta"] = by_area.attrs["meta"]
        written.append(write_csv(slow, folder / "needles_areas.csv"))
        written.append(write_table(slow, folder / "needles_areas.gpkg"))
        n_slow = int((slow["response_class"] == "slow").sum())
        print(f"{n_slow} of {len(slow)} areas slower than {args.target_hours:g} h "
              f"({args.measure})")
    written += save_chart(needle_response_chart(monthly, source=args.source), folder,
                          "needles_chart", fm)
    a = monthly.iloc[-1]
    print(f"{int(a['reports']):,} reports, {int(a['collected']):,} collected, "
          f"{int(a['no_collection_time']):,} with no collection time (flagged); median "
          f"{a['median_hours']:.1f} h, 90th percentile {a['p90_hours']:.1f} h, "
          f"{a['pct_within_target']:.1f}% within {args.target_hours:g} h")
    report(written)
    return 0
