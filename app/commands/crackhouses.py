"""``hotmap crackhouses``: crack-house lifecycle: operating, closures, reopening (Kaplan-Meier)."""

from __future__ import annotations

NAME = "crackhouses"
ORDER = 41
HELP = "crack-house lifecycle: status at a date, closures per quarter, reopening within " \
       "3/6/12 months, Kaplan-Meier time to reopening"
DESCRIPTION = """\
From crack-house records with opened (or first-known), closure_order and
reopened dates: the number of premises active, closed and reopened at a date
and at the start of every month; closure orders per quarter and the share of
closed premises reopened within 3, 6 and 12 months (closures with too little
follow-up before the census date are left out of that window's base); and
the Kaplan-Meier estimate of time to reopening, censoring premises still
closed at the census date (default: the latest date in the data).

Premises locations are sensitive: the status of each premises is written only
with --include-premises, as a CSV without coordinates unless --with-coordinates.

outputs in --out FOLDER: crackhouses_status_counts.csv, crackhouses_operating.csv,
crackhouses_closures.csv, crackhouses_reopening.csv (each with .meta.json),
crackhouses_chart.png/.svg.

example:
  hotmap crackhouses --points crack_houses.csv --census-date 2025-03-31 --out crack/
"""


def add_arguments(parser):
    """Add the verb's options."""
    from app.commands._common import add_points_arguments
    from app.commands._common import add_output_arguments

    add_points_arguments(parser)
    parser.set_defaults(kind="crack_houses")
    parser.add_argument("--census-date", default=None, metavar="YYYY-MM-DD",
                        help="date the data are complete to (default: latest date in the data)")
    parser.add_argument("--date", default=None, metavar="YYYY-MM-DD",
                        help="date for the status of each premises (default: census date)")
    parser.add_argument("--windows", default="3,6,12", metavar="LIST",
                        help="reopening windows in months (default 3,6,12)")
    parser.add_argument("--time-units", default="days", choices=["days", "months"],
                        help="time units of the Kaplan-Meier table")
    parser.add_argument("--include-premises", action="store_true",
                        help="also write each premises' status (sensitive)")
    parser.add_argument("--with-coordinates", action="store_true",
                        help="with --include-premises: add easting/northing (sensitive)")
    add_output_arguments(parser)


def run(args) -> int:
    """Compute the lifecycle tables and chart and write them."""
    import pandas as pd

    from app.commands._common import load_points
    from app.commands._common import formats, out_folder, report, save_chart, write_csv
    from layers.errors import InputError
    from mapping.lifecycle import (lifecycle_chart, lifecycle_closures, lifecycle_operating,
                                   lifecycle_reopening, lifecycle_status_at)
    from mapping.pipeline.audit import _census

    folder = out_folder(args.out)
    fm = formats(args)
    try:
        windows = tuple(int(w) for w in args.windows.split(","))
    except ValueError:
        raise InputError(f"--windows {args.windows!r} is not a list of months",
                         fix="write e.g. --windows 3,6,12") from None
    ch, _ = load_points(args.points, args)
    census = _census(ch, args.census_date)
    at = pd.Timestamp(args.date) if args.date else census
    status = lifecycle_status_at(ch, at)
    counts = pd.DataFrame([status.attrs["meta"]["counts"]]).assign(date=str(at.date()))
    clos = lifecycle_closures(ch, census_date=census, windows=windows)
    km = lifecycle_reopening(ch, census_date=census, units=args.time_units)
    oper = lifecycle_operating(ch, end=census)
    written = [write_csv(counts, folder / "crackhouses_status_counts.csv",
                         {k: v for k, v in status.attrs["meta"].items() if k != "counts"}),
               write_csv(oper, folder / "crackhouses_operating.csv"),
               write_csv(clos, folder / "crackhouses_closures.csv"),
               write_csv(km.table, folder / "crackhouses_reopening.csv",
                         {**km.meta, "median": km.median})]
    if args.include_premises:
        keep = [c for c in ("premises_id", "id", "opened", "closure_order", "reopened")
                if c in status.columns] + ["status_at", "operating"]
        tab = pd.DataFrame(status[keep])
        if args.with_coordinates:
            tab["easting"], tab["northing"] = status.geometry.x.round(), status.geometry.y.round()
        written.append(write_csv(tab, folder / "crackhouses_premises_SENSITIVE.csv",
                                 status.attrs["meta"]))
    written += save_chart(lifecycle_chart(km, clos, source=args.source), folder,
                          "crackhouses_chart", fm)
    c = status.attrs["meta"]["counts"]
    med = "not reached" if km.median != km.median else f"{km.median:,.0f} {args.time_units}"
    print(f"at {at.date()}: {c['active']} active, {c['closed']} closed, {c['reopened']} reopened; "
          f"{km.n} closures, {km.n_events} reopened by {census.date()}, median time to "
          f"reopening {med}")
    report(written)
    return 0
