"""``hotmap inspect``: what hotmap makes of record or boundary files, without a project."""

from __future__ import annotations

from pathlib import Path

from layers.ingest.readers import sniff_format
from layers.records import load_records

from app.cli_verb_run import parse_columns

NAME = "inspect"
HELP = "show how files are read: format, CRS, column mapping, accepted and rejected rows"
DESCRIPTION = """\
Read one or more record files (CSV/TSV, XLSX, GeoPackage, Shapefile, GeoJSON)
as one layer, or boundary files (polygons), and print the detected format, CRS,
column mapping, rows read / accepted / rejected with a count per reason, and
the time span.  Nothing is changed; --rejected writes the rejected rows to CSV.

examples:
  hotmap inspect 2019-0*-avon-and-somerset-street.csv --study-area bristol_lsoa.geojson
  hotmap inspect finds.xlsx --kind needles --columns x=EAST,y=NORTH,reported_at=Found
  hotmap inspect pharmacies.csv --no-header --columns postcode=10,name=2 \\
      --postcodes codepoint_open_bs.csv --rejected /tmp/misses.csv
"""


def add_arguments(parser):
    """Add the verb's options."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="files forming one layer")
    parser.add_argument("--kind", default="generic",
                        help="record kind (generic, arrests, offences, needles, crack_houses, "
                             "services, seizures) or 'boundaries'; default: detect")
    parser.add_argument("--columns", default=None, metavar="K=COL,...",
                        help="column mapping, e.g. x=EAST,y=NORTH,date=Occurred "
                             "(a number is a 1-based column position)")
    parser.add_argument("--crs", default=None, help="CRS of x/y columns or of a file without one")
    parser.add_argument("--postcodes", default=None, metavar="FILE",
                        help="postcode table (Code-Point Open or ONS Postcode Directory)")
    parser.add_argument("--study-area", default=None, metavar="FILE",
                        help="boundary file; records outside it are rejected")
    parser.add_argument("--rejected", default=None, metavar="OUT.csv",
                        help="write the rejected rows (with reasons) to this CSV")
    parser.add_argument("--no-header", action="store_true", help="the files have no header row")
    parser.add_argument("--column-names", default=None, metavar="FILE_OR_LIST",
                        help="names for headerless columns: a CSV file or a comma list")
    parser.add_argument("--sheet", default=None, help="XLSX worksheet")
    parser.add_argument("--layer", default=None, help="GeoPackage layer")
    parser.add_argument("--delimiter", default=None, help="CSV delimiter (default: detect)")
    parser.add_argument("--encoding", default=None, help="text encoding (default: detect)")
    parser.add_argument("--code-field", default=None, help="boundary code field")


def _is_polygon_file(path) -> bool:
    try:
        import pyogrio

        kind = sniff_format(path)
        if kind not in ("gpkg", "shp", "geojson", "fgb", "zip-shp"):
            return False
        src = f"zip://{path}" if kind == "zip-shp" else str(path)
        gtype = str(pyogrio.read_info(src)["geometry_type"]).lower()
        if gtype == "unknown":
            sample = pyogrio.read_dataframe(src, max_features=20)
            gtype = " ".join(sample.geometry.geom_type.dropna().str.lower())
        return "polygon" in gtype
    except Exception:
        return False


def run(args) -> int:
    """Load the files and print the report."""
    files = [Path(f) for f in args.files]
    if args.kind == "boundaries" or (args.kind == "generic" and _is_polygon_file(files[0])):
        return _run_boundaries(args, files)
    names = args.column_names
    if names and not Path(names).exists():
        names = [n.strip() for n in names.split(",")]
    study = None
    if args.study_area:
        from boundaries.io import load_boundaries

        study = load_boundaries(args.study_area).accepted
    sheet = int(args.sheet) if args.sheet and args.sheet.isdigit() else args.sheet
    res = load_records(files, kind=args.kind, columns=parse_columns(args.columns),
                       crs=args.crs, postcode_table=args.postcodes, study_area=study,
                       header=not args.no_header, column_names=names, sheet=sheet,
                       layer=args.layer, delimiter=args.delimiter, encoding=args.encoding)
    info = res.info
    seen = ("  (police.uk street CSV recognised)" if info["police_uk"] else
            "  (police.uk stop-and-search CSV recognised)" if info.get("stop_search") else "")
    print(f"kind: {args.kind}{seen}")
    for f, counts in info["files"].items():
        print(f"file: {f}")
        print(f"  format: {info['format'][f]}; locations: {info['coordinates'][f]}; "
              f"CRS: {info['crs'][f]}")
        print(f"  rows read {counts['read']:,}, accepted {counts['accepted']:,}, "
              f"rejected {counts['rejected']:,}")
    maps = info["columns"] if isinstance(info["columns"], list) else [info["columns"]]
    for m in maps:
        print("column mapping: " + ", ".join(f"{k}={v}" for k, v in m.items()))
    if info.get("postcode_table"):
        print(f"postcode table: {info['postcode_table']}")
    print(f"total: read {res.rows_read:,}, accepted {len(res.accepted):,}, "
          f"rejected {len(res.rejected):,}")
    for reason, n in res.reject_counts().items():
        print(f"  rejected, {reason}: {n:,}")
    t0, t1 = info["time_span"]
    if t0 is not None:
        fm = ", ".join(info["date_formats"])
        few = len(res.accepted) < 5  # a day of one or two records could name an event
        span = (f"{t0:%Y-%m} to {t1:%Y-%m} (months: fewer than 5 records)" if few
                else f"{t0:%Y-%m-%d} to {t1:%Y-%m-%d}")
        print(f"time span: {span}" + (f" (date formats: {fm})" if fm else ""))
    else:
        print("time span: no dates")
    for m in res.messages:
        if not m.startswith("rejected:"):
            print(f"note: {m}")
    if args.rejected:
        out = res.write_rejected(args.rejected)
        print(f"rejected rows written to {out}")
    return 0


def _run_boundaries(args, files) -> int:
    from boundaries.io import load_boundaries

    res = load_boundaries(files, layer=args.layer, code_field=args.code_field, crs=args.crs)
    info = res.info
    print("kind: boundaries")
    for f, counts in info["files"].items():
        print(f"file: {f}")
        print(f"  format: {info['format'][f]}; CRS: {info['crs'][f]} -> EPSG:27700")
        print(f"  features read {counts['read']:,}, accepted {counts['accepted']:,}, "
              f"rejected {counts['rejected']:,}")
    print(f"code field: {info['code_field']}; name field: {info['name_field']}; "
          f"level: {info['level']}")
    print(f"total: read {res.rows_read:,}, accepted {len(res.accepted):,}, "
          f"rejected {len(res.rejected):,}; invalid polygons repaired: {info['repaired']}")
    for reason, n in res.reject_counts().items():
        print(f"  rejected, {reason}: {n:,}")
    if args.rejected:
        print(f"rejected rows written to {res.write_rejected(args.rejected)}")
    return 0
