"""``hotmap trend``: monthly counts, quarters against a year earlier, seasonal profile."""

from __future__ import annotations

from app.commands._common import (add_output_arguments, formats, out_folder, report,
                                  save_chart, write_csv)

NAME = "trend"
ORDER = 40
HELP = "monthly counts with a 3-month rolling mean, quarters vs a year earlier (exact test), " \
       "seasonal profile, charts"
DESCRIPTION = """\
Count the records per calendar month (months with none count 0) with a
3-month trailing rolling mean; total them per quarter and compare each
complete quarter with the same quarter a year earlier (change, % change,
rate ratio with exact 95% interval, and the exact conditional binomial test
of two Poisson counts); and profile the months of the year.  Charts in the
house style (PNG and SVG) mark the events given with --event or --events.

outputs in --out FOLDER: trend_monthly.csv, trend_quarterly.csv,
trend_seasonal.csv (each with a .meta.json stating method, units, base n),
trend_chart.png/.svg, trend_quarter_chart.png/.svg, trend_season_chart.png/.svg.

examples:
  hotmap trend --points 2018-1*-avon-and-somerset-street.csv \\
      --filter "crime_type == 'Drugs' and lsoa_name startswith 'Bristol '" \\
      --units "Drugs offences" --place Bristol --event 2018-12-25=Christmas --out trend/
"""


def _events(args):
    import pandas as pd

    from layers.errors import InputError

    ev = []
    for item in args.event or []:
        if "=" not in item:
            raise InputError(f"--event {item!r} is not DATE=LABEL",
                             fix="write e.g. --event 2019-12-25=Christmas or "
                                 "--event 2019-07-01..2019-07-31=Operation")
        when, label = item.split("=", 1)
        if ".." in when:
            a, b = when.split("..", 1)
            ev.append((a, b, label))
        else:
            ev.append((when, label))
    if args.events:
        tab = pd.read_csv(args.events)
        from mapping.trends import trend_events

        ev += list(trend_events(tab).itertuples(index=False, name=None))
    return ev or None


# ----------------------------------------------------------------- the verb
def add_arguments(parser):
    """Add the verb's options."""
    from app.commands._common import add_points_arguments

    add_points_arguments(parser)
    parser.add_argument("--date-column", default="date", metavar="COL",
                        help="date column (default date)")
    parser.add_argument("--area", action="append", default=None, metavar="FILE",
                        help="keep only records inside these boundaries")
    parser.add_argument("--area-id", default=None, metavar="FIELD",
                        help="area code field, with --area-value to pick areas")
    parser.add_argument("--area-value", action="append", default=None, metavar="CODE",
                        help="area code(s) to keep (repeat)")
    parser.add_argument("--start", default=None, metavar="YYYY-MM-DD", help="first date")
    parser.add_argument("--end", default=None, metavar="YYYY-MM-DD", help="last date")
    parser.add_argument("--window", type=int, default=3, help="rolling-mean months (default 3)")
    parser.add_argument("--financial-year", action="store_true",
                        help="financial-year quarters (Q1 = April-June)")
    parser.add_argument("--event", action="append", default=None, metavar="DATE=LABEL",
                        help="mark an event (DATE or START..END); repeat")
    parser.add_argument("--events", default=None, metavar="CSV",
                        help="events table with date (or start, end) and label columns")
    parser.add_argument("--units", default="records", help="what is counted, for titles")
    parser.add_argument("--place", default=None, help="area name for titles")
    add_output_arguments(parser)


def run(args) -> int:
    """Compute the trend tables and charts and write them."""
    from app.commands._common import load_areas, load_points
    from layers.errors import InputError
    from mapping.charts import trend_chart, trend_quarter_chart, trend_season_chart
    from mapping.trends import trend_analysis

    folder = out_folder(args.out)
    fm = formats(args)
    if args.window < 1:
        raise InputError("--window must be at least 1 month")
    pts, _ = load_points(args.points, args)
    area = None
    if args.area:
        area = load_areas(args.area, args.area_id)
        if args.area_value:
            if not args.area_id:
                raise InputError("--area-value needs --area-id", fix="name the code field")
            area = area[area[args.area_id].astype(str).isin(args.area_value)]
            if not len(area):
                raise InputError(f"no area with code {', '.join(args.area_value)}",
                                 column=args.area_id, fix="check the codes")
    res = trend_analysis(pts, date_column=args.date_column, area=area, start=args.start,
                         end=args.end, window=args.window, events=_events(args),
                         financial_year=args.financial_year)
    if args.filter:
        for t in (res.monthly, res.quarterly, res.seasonal):
            t.attrs["meta"]["params"]["filter"] = args.filter
            t.attrs["meta"]["selection"] = f"filter: {args.filter}"
    written = [write_csv(res.monthly, folder / "trend_monthly.csv"),
               write_csv(res.quarterly, folder / "trend_quarterly.csv"),
               write_csv(res.seasonal, folder / "trend_seasonal.csv")]
    kw = dict(units=args.units, place=args.place, source=args.source)
    written += save_chart(trend_chart(res, **kw), folder, "trend_chart", fm)
    written += save_chart(trend_quarter_chart(res, **kw), folder, "trend_quarter_chart", fm)
    written += save_chart(trend_season_chart(res, **kw), folder, "trend_season_chart", fm)
    m = res.meta
    print(f"{m['base_n']:,} {args.units} in {len(res.monthly)} months ({m['period']}); "
          f"{m['n_missing_date']:,} without a date")
    report(written)
    return 0
