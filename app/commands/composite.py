"""``hotmap composite``: several layers' densities combined on one grid."""

from __future__ import annotations

NAME = "composite"
ORDER = 25
HELP = "composite hotspot map: several layers' KDEs normalised and combined with weights"
DESCRIPTION = """\
The Home Office audit's "composite GIS hotspot map": each --layer NAME=FILE
(repeat; several files for one layer as NAME=FILE1,FILE2) gets a KDE on one
shared grid; each surface is normalised (--normalise max: divided by its
highest cell [default]; percentile: rank among the cells with events; zscore:
standardised, negatives set to 0) and the layers are averaged with weights
(--layer-weight NAME=W, default 1 each).  A GeoPackage output has, in every
cell, the composite and each layer's normalised value (<name>_norm) and
contribution share (<name>_share, summing to 1); a GeoTIFF has the composite.

example:
  hotmap composite --layer drugs=street.csv --layer-filter "drugs=crime_type == 'Drugs'" \\
      --layer needles=needles.xlsx --layer-weight needles=2 \\
      --cell-size 50 --bandwidth 300 --boundary bristol.geojson --out composite.gpkg
"""


def add_arguments(parser):
    """Add the verb's options."""
    parser.add_argument("--layer", action="append", required=True, metavar="NAME=FILE[,FILE]",
                        help="a named points layer (repeat, at least two)")
    parser.add_argument("--layer-weight", action="append", default=[], metavar="NAME=W",
                        help="weight of a layer in the composite (default 1)")
    parser.add_argument("--layer-filter", action="append", default=[], metavar="NAME=EXPR",
                        help="filter expression for one layer")
    parser.add_argument("--layer-bandwidth", action="append", default=[], metavar="NAME=M",
                        help="bandwidth for one layer (default --bandwidth)")
    parser.add_argument("--cell-size", type=float, required=True, metavar="M")
    parser.add_argument("--bandwidth", type=float, required=True, metavar="M")
    parser.add_argument("--kernel", default="quartic",
                        choices=["quartic", "triangular", "uniform", "epanechnikov", "triweight"])
    parser.add_argument("--normalise", default="max", choices=["max", "percentile", "zscore"],
                        help="normalisation of each layer (default max)")
    parser.add_argument("--boundary", action="append", metavar="FILE", help="study area")
    parser.add_argument("--out", required=True, metavar="OUT.gpkg|OUT.tif")


def _pairs(items, what, cast=str):
    from layers.errors import InputError

    out = {}
    for it in items:
        if "=" not in it:
            raise InputError(f"{what} '{it}' is not NAME=VALUE", fix=f"write e.g. drugs=...")
        k, v = it.split("=", 1)
        try:
            out[k.strip()] = cast(v.strip())
        except ValueError:
            raise InputError(f"{what} '{it}': '{v}' is not a number") from None
    return out


def run(args) -> int:
    """Build the composite and write it."""
    import argparse

    from app.commands._common import check_out, load_areas, load_points
    from mapping.composite import composite_layers
    from mapping.surface_io import write_cells, write_geotiff

    check_out(args.out, (".gpkg", ".tif", ".tiff"))
    files = _pairs(args.layer, "--layer")
    filters = _pairs(args.layer_filter, "--layer-filter")
    layers = {}
    for name, f in files.items():
        ns = argparse.Namespace(kind="generic", columns=None, filter=filters.get(name))
        layers[name], _ = load_points(f.split(","), ns, quiet=True)
        print(f"layer {name}: {len(layers[name]):,} events")
    bws = _pairs(args.layer_bandwidth, "--layer-bandwidth", float)
    bandwidth = {n: bws.get(n, args.bandwidth) for n in layers} if bws else args.bandwidth
    boundary = load_areas(args.boundary) if args.boundary else None
    res = composite_layers(layers, cell_size=args.cell_size, bandwidth=bandwidth,
                           kernel=args.kernel, boundary=boundary,
                           weights=_pairs(args.layer_weight, "--layer-weight", float),
                           normalise=args.normalise)
    if args.out.lower().endswith(".gpkg"):
        write_cells(res.to_cells(), args.out)
    else:
        write_geotiff(res.surface, args.out)
    m = res.surface.meta
    print(f"composite of {', '.join(layers)} ({m['normalise']} normalisation, weights "
          f"{m['weights']}) -> {args.out}")
    return 0
