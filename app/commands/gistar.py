"""``hotmap gistar``: Getis-Ord Gi* hot and cold spots of areas."""

from __future__ import annotations

NAME = "gistar"
ORDER = 22
HELP = "Getis-Ord Gi* hot/cold spots of areas (counts of points or a value field)"
DESCRIPTION = """\
Getis-Ord Gi* for every area, on the count of --points in it or on a --value
field of the areas.  Weights are binary with the area itself included (Gi*, not
Gi): queen (default), rook, distance:METRES (centroids) or knn:K.  z-scores are
analytic (Getis & Ord 1995, as ArcGIS); p-values are two-sided.  The
Benjamini-Hochberg false discovery rate adjustment is ON by default (--no-fdr
turns it off); gi_bin is -3..+3 at 99/95/90% confidence like ArcGIS's Gi_Bin,
from the adjusted p-values.  --permutations N --seed S adds conditional
permutation pseudo p-values (gi_p_sim), then used for FDR and bins.

Refused: geographic (degree) coordinates, and areas with no neighbour
("islands") under the chosen weights, each with the fix.

output columns: <area id>, value, gi_z, gi_p, [gi_p_sim], gi_p_fdr, gi_bin, gi_sig
(grid cells: cell_id, row, col, value, ... when --cell-size replaces --areas)

examples:
  hotmap gistar --areas bristol_lsoa.geojson --area-id LSOA11CD \\
      --points 2019-0*-street.csv --filter "crime_type == 'Drugs'" --out drugs_gi.gpkg
  hotmap gistar --areas lsoa_rates.gpkg --area-id LSOA11CD --value rate_per_10k \\
      --weights knn:8 --permutations 999 --seed 1 --out gi.csv
  hotmap gistar --cell-size 200 --points drugs.csv --boundary bristol.geojson --out gi_grid.gpkg
"""


def add_analysis_arguments(parser, permutations_default=0):
    """Options shared by gistar and lisa."""
    from app.commands._common import add_record_options

    parser.add_argument("--areas", action="append", metavar="FILE",
                        help="area boundaries (or grid cells) in a projected CRS")
    parser.add_argument("--area-id", metavar="FIELD", help="area id field")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--points", action="append", metavar="FILE",
                       help="record files: the value is the count per area")
    group.add_argument("--value", metavar="FIELD", help="numeric field of the areas to analyse")
    add_record_options(parser)
    parser.add_argument("--weights", default="queen", metavar="SPEC",
                        help="queen (default), rook, distance:METRES or knn:K")
    parser.add_argument("--alpha", type=float, default=0.05,
                        help="significance level (default 0.05)")
    parser.add_argument("--no-fdr", action="store_true",
                        help="do not adjust p-values for multiple testing (not recommended)")
    parser.add_argument("--permutations", type=int, default=permutations_default, metavar="N",
                        help=f"conditional permutations (default {permutations_default})")
    parser.add_argument("--seed", type=int, default=None, metavar="S",
                        help="random seed for the permutations")
    parser.add_argument("--out", required=True, metavar="OUT.csv|OUT.gpkg", help="output file")
    parser.add_argument("--cell-size", type=float, default=None, metavar="M",
                        help="instead of --areas: count --points in square cells of M metres "
                             "(edges on multiples of M) and analyse the cells")
    parser.add_argument("--boundary", action="append", metavar="FILE",
                        help="with --cell-size: analyse only cells whose centre is inside")


def add_arguments(parser):
    """Add the verb's options."""
    add_analysis_arguments(parser, permutations_default=0)


def grid_points(args):
    """For --cell-size: the points (coordinate-only) and the boundary, checked."""
    from app.commands._common import load_areas, load_points
    from layers.errors import InputError

    if not args.points or args.areas:
        raise InputError("--cell-size analyses grid cells of --points, not --areas",
                         fix="drop --areas (use --boundary for the study area)")
    from app.commands._common import period_of

    pts, _ = load_points(args.points, args, geometry=False)
    args.period_text = period_of(pts)
    return pts, (load_areas(args.boundary) if args.boundary else None)


def areas_with_value(args):
    """Load the areas and the analysed column (point counts or --value)."""
    from app.commands._common import check_out, load_areas, load_points
    from layers.errors import InputError
    from mapping.rates import count_points

    check_out(args.out)
    if not (args.areas and args.area_id):
        raise InputError("give --areas FILE and --area-id FIELD",
                         fix="or, for gistar, --cell-size M with --points")
    areas = load_areas(args.areas, args.area_id)
    if args.points:
        pts, _ = load_points(args.points, args, geometry=False)  # counting needs coordinates
        counts, pos = count_points(areas, pts, args.area_id)
        areas = areas.copy()
        areas["count"] = counts["count"].to_numpy()
        print(f"counted {int((pos >= 0).sum()):,} of {len(pos):,} records into "
              f"{len(areas):,} areas")
        from app.commands._common import period_of

        args.period_text = period_of(pts)
        return areas, "count"
    if args.value not in areas.columns:
        raise InputError(f"the areas have no field '{args.value}'", column=args.value,
                         fix=f"choose one of: {', '.join(map(str, areas.columns[:15]))}")
    return areas, args.value


def run_local_statistic(args, on_areas, on_cells, seed):
    """Run Gi* or LISA on the areas or on grid cells (--cell-size), write the table and
    return it (shared by the gistar and lisa verbs)."""
    from app.commands._common import write_table

    kw = dict(weights=args.weights, alpha=args.alpha, fdr=not args.no_fdr,
              permutations=args.permutations, seed=seed)
    if args.cell_size:
        pts, boundary = grid_points(args)
        out = on_cells(pts, cell_size=args.cell_size, boundary=boundary, **kw)
    else:
        areas, col = areas_with_value(args)
        out = on_areas(areas, col, id_column=args.area_id, **kw)
    if args.points:
        out.attrs["hotmap_meta"]["base_n"] = int(out["value"].sum())
        out.attrs["hotmap_meta"]["period"] = getattr(args, "period_text", "")
    write_table(out, args.out)
    return out


def run(args) -> int:
    """Run Gi* and write the table."""
    from mapping.gistar import hotspot_gistar, hotspot_gistar_grid

    out = run_local_statistic(args, hotspot_gistar, hotspot_gistar_grid, args.seed)
    meta = out.attrs["hotmap_meta"]
    print(f"gistar: {meta['params']['weights_detail']}; FDR {meta['params']['fdr']}; "
          f"{meta['notes'][0]} -> {args.out}")
    return 0
