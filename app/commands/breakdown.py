"""``hotmap breakdown``: counts, percentages with Wilson CIs, rates by age, gender, ethnicity."""

from __future__ import annotations

NAME = "breakdown"
ORDER = 45
HELP = "demographic breakdown: counts, %% with Wilson 95%% CIs and base n, small counts " \
       "suppressed, rates and disproportionality"
DESCRIPTION = """\
For each characteristic (--by age,gender,ethnicity; also disability,
sexuality or any column): the count and percentage of each group with its
base n (records with the field recorded) and a 95% Wilson interval.  Counts of
1 to threshold-1 are suppressed (shown as "<5"), with secondary suppression.
With --population CSV (category and population columns, for a single --by),
rates per 10,000 with exact/Byar intervals and the disproportionality ratio
(share of records over share of population).

outputs in --out FOLDER: breakdown_<field>.csv (+ .meta.json; suppressed
cells blank), breakdown_<field>_display.csv ("<5" and formatted CIs),
breakdown_<field>_chart.png/.svg.

example:
  hotmap breakdown --points arrests.csv --kind arrests --by age,gender,ethnicity --out by/
"""


def add_arguments(parser):
    """Add the verb's options."""
    from app.commands._common import add_points_arguments
    from app.commands._common import add_output_arguments

    add_points_arguments(parser)
    parser.add_argument("--by", default="age,gender,ethnicity", metavar="LIST",
                        help="characteristics (default age,gender,ethnicity)")
    parser.add_argument("--population", default=None, metavar="CSV",
                        help="group populations (category, population) for a single --by")
    parser.add_argument("--population-field", default="population", metavar="COL",
                        help="population column of --population (default population)")
    parser.add_argument("--threshold", type=int, default=5,
                        help="suppress counts below this (default 5)")
    parser.add_argument("--units", default="records", help="what is counted, for titles")
    add_output_arguments(parser)


def run(args) -> int:
    """Compute and write each breakdown."""
    import pandas as pd

    from app.commands._common import load_points
    from app.commands._common import formats, out_folder, report, save_chart, write_csv
    from layers.errors import InputError
    from mapping.demographics import breakdown, breakdown_chart, breakdown_display

    folder = out_folder(args.out)
    fm = formats(args)
    fields = [f.strip() for f in args.by.split(",") if f.strip()]
    if args.population and len(fields) != 1:
        raise InputError("--population goes with a single --by field",
                         fix="run once per characteristic, e.g. --by ethnicity")
    if args.threshold < 1:
        raise InputError("--threshold must be at least 1")
    pop = pd.read_csv(args.population, thousands=",") if args.population else None
    pts, _ = load_points(args.points, args)
    written = []
    for f in fields:
        t = breakdown(pts, f, population=pop, population_column=args.population_field,
                      threshold=args.threshold)
        t.attrs["meta"]["params"]["filter"] = args.filter
        written.append(write_csv(t, folder / f"breakdown_{f}.csv"))
        written.append(write_csv(breakdown_display(t), folder / f"breakdown_{f}_display.csv",
                                 t.attrs["meta"]))
        written += save_chart(breakdown_chart(t, units=args.units, source=args.source), folder,
                              f"breakdown_{f}_chart", fm)
        m = t.attrs["meta"]
        print(f"{f}: {m['base_n']:,} {args.units} with {f} recorded, "
              f"{m['n_not_recorded']:,} not recorded, {int(t['suppressed'].sum())} group(s) "
              "suppressed")
    report(written)
    return 0
