"""``hotmap whatif``: add or remove service sites, recompute access and gaps, suggest new sites."""

from __future__ import annotations

NAME = "whatif"
ORDER = 42
HELP = "add/remove service sites and show the change in access and gaps; suggest k new sites"
DESCRIPTION = """\
Takes the same inputs as `hotmap coverage` (areas, services, population,
need, catchment, method) and:

  --add X,Y [--add X,Y ...]   candidate sites (British National Grid metres)
  --add-file FILE             candidate sites from a points file
  --remove ID [--remove ID]   existing services to close (by --services-id)

then recomputes access and the gap classes.  The "after" access terciles use
the "before" distribution, so a class changes only when an area crosses a
before-change tercile boundary.  Output per area: access_before,
access_after, access_change, nearest_before_m, nearest_after_m, gap_before,
gap_after; the summary (gap areas, people within the catchment) is printed.

--suggest K with --candidates FILE picks K new sites from candidate points
that cover the most still-uncovered need within --catchment (maximal covering
location problem, Church & ReVelle 1974).  --siting mclp solves it exactly
with PySAL spopt (CBC); --siting greedy is a HEURISTIC (not exact; at least
63% of the optimum); auto (default) uses mclp when spopt is installed and the
problem is not huge.  The picks go to OUT with '_sites' added.

example:
  hotmap whatif --areas lsoa.gpkg --area-id LSOA11CD --services services.csv \\
      --capacity capacity --population pop.csv --population-id lsoa --population-field pop \\
      --need drugs.csv --method 2sfca --catchment 1600 --add 359500,173000 --remove SV-03 \\
      --out whatif.csv
"""


def add_arguments(parser):
    """Add the verb's options."""
    from app.commands.coverage import add_service_arguments

    add_service_arguments(parser)
    parser.set_defaults(method="2sfca")
    parser.add_argument("--add", action="append", default=[], metavar="X,Y",
                        help="add a site at easting,northing (repeatable)")
    parser.add_argument("--add-file", metavar="FILE", help="points file of sites to add")
    parser.add_argument("--add-capacity", type=float, default=1.0, metavar="N",
                        help="capacity of each added site (default 1)")
    parser.add_argument("--remove", action="append", default=[], metavar="ID",
                        help="remove the service with this id (repeatable)")
    parser.add_argument("--suggest", type=int, default=0, metavar="K",
                        help="suggest K new sites from --candidates (greedy maximal covering)")
    parser.add_argument("--candidates", metavar="FILE", help="candidate sites for --suggest")
    parser.add_argument("--siting", choices=["auto", "mclp", "greedy"], default="auto",
                        help="siting method: exact MCLP (spopt) or greedy heuristic (default auto)")
    parser.add_argument("--out", required=True, metavar="OUT.csv|OUT.gpkg", help="output file")


def _added_sites(args, svc, sid):
    import geopandas as gpd
    import numpy as np

    from layers.errors import InputError
    from layers.records import load_records

    frames = []
    if args.add:
        try:
            xy = np.array([[float(v) for v in a.split(",")] for a in args.add])
        except ValueError:
            raise InputError(f"--add {args.add[0]!r} is not X,Y metres",
                             fix="write e.g. --add 359500,173000") from None
        if xy.ndim != 2 or xy.shape[1] != 2:
            raise InputError("--add needs X,Y pairs", fix="write e.g. --add 359500,173000")
        frames.append(gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
                                       crs=svc.crs))
    if args.add_file:
        frames.append(load_records(args.add_file).accepted[["geometry"]])
    if not frames:
        return None
    new = gpd.GeoDataFrame(pd_concat(frames), crs=svc.crs)
    new[sid or "service_id"] = [f"new-{i + 1}" for i in range(len(new))]
    if args.capacity:
        new[args.capacity] = args.add_capacity
    return new


def pd_concat(frames):
    """Concatenate frames with a fresh index."""
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


def run(args) -> int:
    """Compute before/after, write, print the summary; optionally suggest sites."""
    import numpy as np

    from app.commands._common import check_out, write_table
    from app.commands.coverage import attach_need, coverage_inputs
    from layers.errors import InputError
    from mapping.gaps import best_new_sites, whatif_coverage

    out_path = check_out(args.out)
    areas, svc, sid, kw = coverage_inputs(args)
    need = attach_need(areas, args)
    if need is None:
        raise InputError("whatif needs --need (points file or area field) for the gap classes",
                         fix="e.g. --need drugs.csv")
    work = areas.assign(_need=need)
    new = _added_sites(args, svc, sid)
    if new is None and not args.remove and not args.suggest:
        raise InputError("nothing to change", fix="give --add X,Y, --add-file, --remove ID or --suggest K")
    if new is not None or args.remove:
        ch, summary = whatif_coverage(work, svc, area_id=args.area_id, need="_need", add=new,
                                      remove=args.remove, service_id=sid, **kw)
        meta = dict(ch.attrs["meta"])
        ch.attrs.clear()
        ch.attrs["hotmap_meta"] = meta
        write_table(ch, out_path)
        print(f"{len(ch):,} areas -> {out_path}")
        for k, v in summary.items():
            print(f"  {k}: {v:,.0f}" if isinstance(v, float) else f"  {k}: {v}")
    if args.suggest:
        if not args.candidates:
            raise InputError("--suggest needs --candidates FILE", fix="give candidate site points")
        from layers.records import load_records

        cand = load_records(args.candidates).accepted
        cxy = np.column_stack([cand.geometry.x, cand.geometry.y])
        o = kw["origins"].set_index(args.area_id).loc[areas[args.area_id]]
        sites = best_new_sites(o[["origin_x", "origin_y"]].to_numpy(), need, cxy, args.suggest,
                               args.catchment,
                               existing=np.column_stack([svc.geometry.x, svc.geometry.y]),
                               method=args.siting)
        spath = out_path.with_name(out_path.stem + "_sites.csv")
        meta = sites.attrs.pop("meta")
        sites.attrs["hotmap_meta"] = meta
        write_table(sites, spath)
        print(f"suggested sites ({meta['method']}) -> {spath}")
        for _, r in sites.iterrows():
            print(f"  candidate {int(r['candidate'])} at {r['x']:.0f},{r['y']:.0f}: "
                  f"+{r['added_weight']:,.0f} need covered (total {r['cumulative_weight']:,.0f})")
    return 0
