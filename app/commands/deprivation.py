"""``hotmap deprivation``: IMD deciles and most-deprived flags per area, and concentration."""

from __future__ import annotations

NAME = "deprivation"
ORDER = 40
HELP = "join IMD deciles/scores to areas, flag the most deprived 10/20/30%%, and report concentration"
DESCRIPTION = """\
Join the English Indices of Deprivation to LSOAs and flag the nationally most
deprived 10% (decile 1), 20% (deciles 1-2) and 30% (deciles 1-3).  The IMD
file's code, score, rank and decile columns are detected (official MHCLG
files, the IMD 2019/2015 CSVs and mySociety's scores file); give several
--imd files to combine deciles from one with scores from another.
local_quintile ranks the areas within the study area (1 = most deprived fifth).

With --points, counts the points per area and prints the share of points and
of population in the 20% and 30% most deprived areas, with the ratio and a
95% Wilson interval (population share treated as fixed).

output columns: <area id>, imd_score (when a file has scores), imd_decile,
most_deprived_10, most_deprived_20, most_deprived_30, local_quintile,
[population], [count].  A .meta.json beside the output records the method.

reference: MHCLG (2019) The English Indices of Deprivation 2019: Technical report.

example:
  hotmap deprivation --areas bristol_lsoa2011.geojson --area-id LSOA11CD \\
      --imd imd2019_england_lsoa11_deciles_ranks.csv mysociety_UK_IMD_E_2019scores_all_uk.csv \\
      --points 2018-1*-avon-and-somerset-street.csv --filter "crime_type == 'Drugs'" \\
      --population mysociety_lsoa_population_mid2019_uk.csv --population-id lsoa \\
      --population-field pop --out bristol_imd.csv
"""


def add_arguments(parser):
    """Add the verb's options."""
    from app.commands._common import add_record_options

    parser.add_argument("--areas", required=True, action="append", metavar="FILE",
                        help="LSOA boundary file (repeat to merge several)")
    parser.add_argument("--area-id", required=True, metavar="FIELD", help="LSOA code field")
    parser.add_argument("--imd", required=True, nargs="+", metavar="FILE",
                        help="IMD file(s): deciles/ranks and/or scores (CSV or XLSX)")
    parser.add_argument("--imd-lookup", metavar="FILE",
                        help="LSOA code lookup to cross vintages, e.g. IoD 2025 (2021 LSOAs) onto "
                             "2011 LSOAs: the ONS LSOA 2011 to 2021 lookup")
    parser.add_argument("--lookup-from", metavar="FIELD",
                        help="lookup column with the IMD file's codes (e.g. LSOA21CD)")
    parser.add_argument("--lookup-to", metavar="FIELD",
                        help="lookup column with the areas' codes (e.g. LSOA11CD)")
    parser.add_argument("--lookup-weight", metavar="FIELD",
                        help="optional lookup weight column (e.g. population); equal if omitted")
    parser.add_argument("--points", action="extend", nargs="+", metavar="FILE",
                        help="record files forming one points layer (police.uk CSV, x/y or "
                             "lon/lat CSV, XLSX, GeoPackage); counted per area")
    add_record_options(parser)
    parser.add_argument("--population", metavar="FILE", help="population table keyed by area code")
    parser.add_argument("--population-id", metavar="FIELD", help="area code column of the table")
    parser.add_argument("--population-field", metavar="FIELD", help="population column")
    parser.add_argument("--out", required=True, metavar="OUT.csv|OUT.gpkg", help="output file")


def _share_line(label, r):
    return (f"  {label}: {r['share']:.1%} of points ({int(r['n_in']):,} of {int(r['n']):,}) vs "
            f"{r['population_share']:.1%} of population; ratio {r['ratio']:.2f} "
            f"(95% CI {r['ci_low']:.2f}-{r['ci_high']:.2f})")


def run(args) -> int:
    """Join, flag, count, write and print the shares."""
    import pandas as pd

    from app.commands._common import check_out, load_areas, load_points, write_table
    from boundaries.deprivation import (IMD_REFERENCE, crosswalk_imd, deprivation_flags,
                                        local_quintiles, read_imd)
    from boundaries.population import read_population
    from layers.errors import InputError
    from mapping.concentration import concentration, count_in_areas

    check_out(args.out)
    areas = load_areas(args.areas, args.area_id)
    aid = args.area_id
    imd = read_imd(args.imd)
    if args.imd_lookup:
        if not (args.lookup_from and args.lookup_to):
            raise InputError("--imd-lookup needs --lookup-from and --lookup-to",
                             fix="name the lookup's IMD-vintage and area-vintage code columns")
        lk = (pd.read_excel(args.imd_lookup, dtype=str)
              if str(args.imd_lookup).lower().endswith((".xlsx", ".xls"))
              else pd.read_csv(args.imd_lookup, dtype=str, encoding="utf-8-sig"))
        cols = imd.attrs["columns"]
        imd = crosswalk_imd(imd, lk, from_field=args.lookup_from, to_field=args.lookup_to,
                            weight_field=args.lookup_weight)
        imd.attrs["columns"] = cols
        imd.attrs["notes"] = [f"crossed vintages with {args.imd_lookup}: score = weighted mean, "
                              "decile from the largest-weight source LSOA"]
    codes = areas[aid].astype(str).str.strip()
    j = imd.set_index("lsoa_code").reindex(codes.to_numpy())
    missing = int(j["imd_decile"].isna().sum()) if "imd_decile" in j else len(j)
    if missing == len(j):
        raise InputError(f"no area code in '{aid}' matches the IMD file's LSOA codes",
                         column=aid, fix="IMD 2019/2015 use 2011 LSOA codes; check --area-id")
    out = areas[[aid, "geometry"]].copy().reset_index(drop=True)
    if "imd_score" in j:
        out["imd_score"] = j["imd_score"].to_numpy()
    out["imd_decile"] = pd.array(j["imd_decile"].to_numpy(), dtype="Int64")
    out = pd.concat([out, deprivation_flags(j["imd_decile"].to_numpy())], axis=1)
    basis = "imd_score" if "imd_score" in out else "imd_decile"
    out["local_quintile"] = pd.array(local_quintiles(
        out[basis], more_deprived="higher" if basis == "imd_score" else "lower"), dtype="Int64")
    if missing:
        print(f"warning: {missing} of {len(out)} areas have no IMD decile (not flagged)")
    pop = None
    if args.population:
        tab = read_population(args.population, code_field=args.population_id,
                              value_field=args.population_field)
        pop = tab.set_index("code")["population"].reindex(codes.to_numpy()).to_numpy()
        out["population"] = pop
        if pd.isna(pop).any():
            print(f"warning: {int(pd.isna(pop).sum())} areas have no population")
    pts = None
    if args.points:
        pts, _ = load_points(args.points, args)
        c = count_in_areas(out, pts, area_id=aid)
        out["count"] = c.to_numpy()
        print(f"points: {int(c.sum()):,} in the areas, {c.attrs['outside']:,} outside")
    out.attrs["hotmap_meta"] = {
        "title": "IMD deciles and most-deprived flags", "units": "decile (1 = most deprived 10%)",
        "method": "national IMD deciles: most_deprived_10 = decile 1, _20 = 1-2, _30 = 1-3; "
                  "local_quintile by rank within the areas; shares with Wilson 95% interval",
        "params": {"imd_files": [str(p) for p in args.imd], "imd_columns": imd.attrs["columns"],
                   "notes": imd.attrs.get("notes", [])},
        "references": [IMD_REFERENCE, "Wilson EB (1927) JASA 22:209-212"],
    }
    write_table(out, args.out)
    print(f"{len(out):,} areas -> {args.out}")
    pop_v = pd.Series(pop if pop is not None else [float("nan")] * len(out)).fillna(0).to_numpy()
    for p in (20, 30):
        flag = out[f"most_deprived_{p}"].to_numpy()
        print(f"most deprived {p}% (deciles 1-{p // 10}): {int(flag.sum())} of {len(out)} areas")
        if pop is not None:
            print(f"  population: {pop_v[flag].sum():,.0f} of {pop_v.sum():,.0f} "
                  f"({pop_v[flag].sum() / max(pop_v.sum(), 1):.1%})")
        if pts is not None and pop is not None and out["count"].sum() > 0:
            print(_share_line("points", concentration(out["count"], pop_v, flag)))
        elif pts is not None and out["count"].sum() > 0:
            print(f"  points: {out['count'][flag].sum() / out['count'].sum():.1%} "
                  f"({int(out['count'][flag].sum()):,} of {int(out['count'].sum()):,})")
    return 0
