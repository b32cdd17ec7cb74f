"""``hotmap change``: change over time per area, as KDE differences, or as hotspot classes."""

from __future__ import annotations

NAME = "change"
ORDER = 24
HELP = "change between periods: per-area rate ratios with exact tests, KDE differences, hotspot classes"
DESCRIPTION = """\
Three modes (--mode):

areas (default)  count the points of --period-a and --period-b (e.g. 2018Q4 and
    2019Q1, or this quarter and the same quarter last year) in every area;
    rate ratio b/a with 95% limits and an exact conditional binomial test
    (given a+b events, is the split different from the exposures' split?),
    Benjamini-Hochberg FDR on by default.
    columns: <area id>, count_a, count_b, change, [rate_a, rate_b], rate_ratio,
    rr_lcl, rr_ucl, p_exact, p_fdr, trend (up / down / no significant change)
kde   KDE of each period on one grid, written as the difference b - a
    (change in events per km²; GeoTIFF or GeoPackage grid).
classes  Gi* on grid cells (--cell-size) or on areas (--areas, --area-id) in
    every period (--period kind), then each cell or area is a
    persistent / emerging / former / intermittent hotspot or no pattern:
    persistent = hot in >= 80% of periods; emerging = hot in a recent period
    (last 20%, at least one) and never before; former = hot before, not
    recently; intermittent = hot both before and recently but < 80%.

Periods: --period month|quarter|year|financial_year (default quarter); labels
like 2019Q1, 2019-01, 2019, 2019/20.

examples:
  hotmap change --areas lsoa.geojson --area-id LSOA11CD --points 2018-1*.csv 2019-01.csv \\
      --filter "crime_type == 'Drugs'" --period month --period-a 2018-12 --period-b 2019-01 \\
      --out drugs_change.csv
  hotmap change --mode classes --points street.csv --period month --cell-size 250 \\
      --boundary bristol.geojson --out classes.gpkg
  hotmap change --mode classes --points street.csv --period month \\
      --areas bristol_lsoa.geojson --area-id LSOA11CD --out lsoa_classes.gpkg
"""


def add_arguments(parser):
    """Add the verb's options."""
    from app.commands._common import add_points_arguments

    parser.add_argument("--mode", choices=["areas", "kde", "classes"], default="areas",
                        help="what to compare (default areas)")
    parser.add_argument("--areas", action="append", metavar="FILE", help="area boundaries")
    parser.add_argument("--area-id", metavar="FIELD", help="area id field")
    add_points_arguments(parser)
    parser.add_argument("--period", default="quarter",
                        choices=["month", "quarter", "year", "financial_year"],
                        help="period kind (default quarter)")
    parser.add_argument("--period-a", metavar="LABEL",
                        help="earlier period, e.g. 2018Q1 (default: --period-b a year earlier)")
    parser.add_argument("--period-b", metavar="LABEL", help="later period, e.g. 2019Q1")
    parser.add_argument("--population", default=None, metavar="FILE",
                        help="population table (areas mode), for rates per 10,000")
    parser.add_argument("--population-id", default=None, metavar="FIELD")
    parser.add_argument("--population-field", default=None, metavar="FIELD")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level")
    parser.add_argument("--no-fdr", action="store_true", help="no FDR adjustment")
    parser.add_argument("--cell-size", type=float, default=None, metavar="M",
                        help="cell size (kde and classes modes)")
    parser.add_argument("--bandwidth", type=float, default=None, metavar="M",
                        help="KDE bandwidth (kde mode)")
    parser.add_argument("--kernel", default="quartic", help="KDE kernel (kde mode)")
    parser.add_argument("--boundary", action="append", metavar="FILE",
                        help="study area (kde and classes modes)")
    parser.add_argument("--weights", default="queen", help="Gi* weights (classes mode)")
    parser.add_argument("--out", required=True, metavar="OUT", help="output file")


def _need(args, *names):
    from layers.errors import InputError

    for n in names:
        if getattr(args, n.replace("-", "_")) in (None, []):
            raise InputError(f"--mode {args.mode} needs --{n}", fix=f"add --{n}")


def run(args) -> int:
    """Run the chosen comparison and write it."""
    from app.commands._common import check_out, load_areas, load_points, read_population, write_table

    pts, _ = load_points(args.points, args)
    if args.mode == "areas":
        from mapping.change import compare_periods

        _need(args, "areas", "area-id", "period-b")
        check_out(args.out)
        areas = load_areas(args.areas, args.area_id)
        pop = None
        if args.population:
            pop = read_population(args.population, args.population_id, args.population_field)
        out = compare_periods(areas, pts, args.area_id, period_a=args.period_a,
                              period_b=args.period_b, kind=args.period, population=pop,
                              alpha=args.alpha, fdr=not args.no_fdr)
        write_table(out, args.out)
        t = out["trend"].value_counts().to_dict()
        print(f"change {out.attrs['hotmap_meta']['period']}: {int(out.count_a.sum()):,} -> "
              f"{int(out.count_b.sum()):,} events; "
              + ", ".join(f"{k}: {v}" for k, v in sorted(t.items())) + f" -> {args.out}")
        return 0
    boundary = load_areas(args.boundary) if args.boundary else None
    if args.mode == "kde":
        import numpy as np

        from mapping.change import kde_difference
        from mapping.kde import default_cell_size, hotspot_kde, kde_grid
        from mapping.periods import assign_periods, period_label
        from mapping.surface_io import write_surface

        _need(args, "period-a", "period-b", "bandwidth")
        check_out(args.out, (".tif", ".tiff", ".gpkg"))
        labels = assign_periods(pts["date"], args.period)
        bbox = boundary.total_bounds if boundary is not None else pts.total_bounds
        cs = args.cell_size or default_cell_size(bbox)
        grid = kde_grid(bbox, cs, pad=0 if boundary is not None else args.bandwidth)
        surf = {}
        for tag, lab in (("a", args.period_a), ("b", args.period_b)):
            sel = (labels == period_label(lab, args.period)).fillna(False).to_numpy(bool)
            surf[tag] = hotspot_kde(pts[sel], cell_size=cs, bandwidth=args.bandwidth,
                                    kernel=args.kernel, boundary=boundary, grid=grid)
        diff = kde_difference(surf["a"], surf["b"])
        diff.meta["period"] = f"{args.period_a} vs {args.period_b}"
        write_surface(diff, args.out, value_name="change")
        print(f"kde change {args.period_a} -> {args.period_b}: "
              f"{surf['a'].meta['base_n']:,} -> {surf['b'].meta['base_n']:,} events; "
              f"range {np.nanmin(diff.values):.1f} to {np.nanmax(diff.values):.1f} "
              f"{diff.units} -> {args.out}")
        return 0
    from mapping.change import hotspot_classify

    check_out(args.out, (".gpkg", ".csv"))
    if args.areas:
        _need(args, "area-id")
        cells = hotspot_classify(pts, areas=load_areas(args.areas, args.area_id),
                                 area_id=args.area_id, kind=args.period, weights=args.weights,
                                 alpha=args.alpha, fdr=not args.no_fdr)
    else:
        if args.cell_size is None:
            from layers.errors import InputError

            raise InputError("--mode classes needs --cell-size (grid cells) or --areas",
                             fix="add --cell-size 250, or --areas FILE --area-id FIELD")
        cells = hotspot_classify(pts, cell_size=args.cell_size, kind=args.period,
                                 boundary=boundary, weights=args.weights, alpha=args.alpha,
                                 fdr=not args.no_fdr)
    write_table(cells, args.out)
    c = cells["hotspot_class"].value_counts().to_dict()
    print(f"hotspot classes over {cells.attrs['hotmap_meta']['period']}: "
          + ", ".join(f"{k}: {v}" for k, v in sorted(c.items())) + f" -> {args.out}")
    return 0
