"""``hotmap lisa``: Local Moran's I clusters (HH, LL, HL, LH) of areas or grid cells."""

from __future__ import annotations

NAME = "lisa"
ORDER = 23
HELP = "Local Moran's I (LISA) clusters: High-High, Low-Low, High-Low, Low-High"
DESCRIPTION = """\
Local Moran's I (Anselin 1995) for every area, on the count of --points in it
or on a --value field.  Weights (queen default, rook, distance:METRES, knn:K)
are row-standardised.  Significance from conditional permutations (default
999, seed 12345 unless --seed), with Benjamini-Hochberg FDR adjustment ON by
default (--no-fdr to turn off).  Same results as esda.Moran_Local for the same
seed and weights.

output columns: <area id>, value, lisa_i, lisa_z_sim, lisa_p, lisa_p_fdr,
lisa_quadrant (HH/LH/LL/HL), lisa_cluster (quadrant if significant, else
"Not significant"), lisa_sig
(grid cells: cell_id, row, col, value, ... when --cell-size replaces --areas)

example:
  hotmap lisa --areas bristol_lsoa.geojson --area-id LSOA11CD --points drugs.csv \\
      --seed 1 --out drugs_lisa.gpkg
  hotmap lisa --cell-size 250 --points drugs.csv --boundary bristol.geojson --out lisa.gpkg
"""


def add_arguments(parser):
    """Add the verb's options (shared with gistar)."""
    from app.commands.gistar import add_analysis_arguments

    add_analysis_arguments(parser, permutations_default=999)


def run(args) -> int:
    """Run LISA and write the table."""
    from app.commands.gistar import run_local_statistic
    from mapping.lisa import hotspot_lisa, hotspot_lisa_grid

    seed = 12345 if args.seed is None else args.seed
    out = run_local_statistic(args, hotspot_lisa, hotspot_lisa_grid, seed)
    meta = out.attrs["hotmap_meta"]
    print(f"lisa: {meta['params']['weights_detail']}; {args.permutations} permutations, seed "
          f"{seed}; FDR {meta['params']['fdr']}; {meta['notes'][0]} -> {args.out}")
    return 0
