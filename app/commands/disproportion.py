"""``hotmap disproportion``: a group's make-up (ethnicity, gender, age band) vs the population."""

from __future__ import annotations

NAME = "disproportion"
ORDER = 43
HELP = "compare a group's make-up with the population: shares, ratio, 95%% interval, flag"
DESCRIPTION = """\
For each category of --category (e.g. ethnicity, gender, age_band) in the
records (treatment clients, arrests), compare the group's share with the
population's share from --population-table.  The ratio is group share /
population share; the 95% interval is Wilson's on the group share with the
population share fixed (--ci katz treats the population as a sample too).
flag is true when the interval excludes 1 (direction "over" or "under").
Blank, "unknown" and "not stated" values are left out and counted.

output columns: category, group_n, group_share, population_n,
population_share, ratio, ci_low, ci_high, flag, direction.

example:
  hotmap disproportion --records arrests.csv --category ethnicity \\
      --population-table census_ethnicity.csv --population-category ethnic_group \\
      --population-count residents --out ethnicity.csv
"""


def add_arguments(parser):
    """Add the verb's options."""
    from app.commands._common import add_record_options

    parser.add_argument("--records", required=True, action="extend", nargs="+", metavar="FILE",
                        help="record files (one layer) or a plain CSV table of people")
    add_record_options(parser)
    parser.add_argument("--category", required=True, metavar="FIELD",
                        help="the records' category field")
    parser.add_argument("--population-table", required=True, metavar="FILE",
                        help="CSV/XLSX: one row per category with a count")
    parser.add_argument("--population-category", metavar="FIELD",
                        help="category column of the table (default: same as --category)")
    parser.add_argument("--population-count", default="population", metavar="FIELD",
                        help="count column of the table (default 'population')")
    parser.add_argument("--ci", choices=["wilson", "katz"], default="wilson",
                        help="interval method (default wilson)")
    parser.add_argument("--out", required=True, metavar="OUT.csv", help="output CSV")


def _read_group(args):
    import pandas as pd

    from app.commands._common import load_points
    from layers.errors import HotmapError

    try:
        pts, _ = load_points(args.records, args)
        if args.category in pts.columns:
            return pts
    except HotmapError:
        pass  # not a located record file: read it as a plain table
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in args.records]
    df = pd.concat(frames, ignore_index=True)
    if args.filter:
        from mapping.filters import apply_filter

        df = apply_filter(df, args.filter)
    return df


def run(args) -> int:
    """Compare, write and print the table."""
    import pandas as pd

    from app.commands._common import check_out, write_table
    from mapping.disproportion import disproportion

    check_out(args.out, allowed=(".csv",))
    group = _read_group(args)
    p = str(args.population_table)
    pop = pd.read_excel(p) if p.lower().endswith((".xlsx", ".xls")) else \
        pd.read_csv(p, thousands=",", encoding="utf-8-sig")
    out = disproportion(group, pop, category=args.category,
                        population_category=args.population_category,
                        population_count=args.population_count, method=args.ci)
    meta = out.attrs.pop("meta")
    out.attrs["hotmap_meta"] = meta
    write_table(out, args.out)
    print(f"{meta['params']['group_n']:,} records with a {args.category} "
          f"({meta['params']['not_recorded']:,} not recorded) -> {args.out}")
    for _, r in out.iterrows():
        mark = f"  <- {r['direction']}-represented" if r["flag"] else ""
        print(f"  {r['category']}: {r['group_share']:.1%} vs {r['population_share']:.1%}, "
              f"ratio {r['ratio']:.2f} ({r['ci_low']:.2f}-{r['ci_high']:.2f}){mark}")
    return 0
