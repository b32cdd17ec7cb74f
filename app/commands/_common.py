"""Helpers shared by the ``hotmap`` verbs: reading inputs and writing outputs.

The leading underscore keeps :mod:`app.cli` from taking this module for a verb.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["add_points_arguments", "add_record_options", "load_points", "period_of",
           "load_areas", "check_out", "write_table", "read_population", "parse_columns",
           "out_folder", "write_csv", "save_chart", "add_output_arguments", "formats", "report"]


# ----------------------------------------------------------------- shared helpers
def add_points_arguments(parser, required: bool = True, flag: str = "--points"):
    """Options for one points layer: files, record kind, column mapping, filter."""
    parser.add_argument(flag, action="append", required=required, metavar="FILE",
                        dest=flag.strip("-").replace("-", "_"),
                        help="record file (police.uk CSV, x/y or lon/lat CSV, XLSX, GeoPackage); "
                             "repeat for several files forming one layer")
    add_record_options(parser)


def add_record_options(parser):
    """--kind, --columns and --filter (shared by every points layer of the verb)."""
    if any(a.dest == "kind" for a in parser._actions):
        return
    parser.add_argument("--kind", default="generic",
                        help="record kind: generic, arrests, needles, crack_houses, services, "
                             "seizures (police.uk files are recognised automatically)")
    parser.add_argument("--columns", default=None, metavar="K=COL,...",
                        help="column mapping, e.g. x=EAST,y=NORTH,date=Occurred")
    parser.add_argument("--filter", default=None, metavar="EXPR",
                        help="keep only records matching EXPR, e.g. \"crime_type == 'Drugs'\"")


def load_points(paths, args, *, quiet: bool = False, geometry: bool = True):
    """Read record files as one layer, apply --filter, print a one-line summary.

    ``geometry=False`` gives a coordinate-only layer (no shapely points), for verbs
    that need only coordinates; see :func:`layers.records.load_records`.
    """
    from layers.records import load_records

    res = load_records(list(paths), kind=getattr(args, "kind", "generic"),
                       columns=parse_columns(getattr(args, "columns", None)),
                       geometry=geometry)
    pts = res.accepted
    expr = getattr(args, "filter", None)
    n_loaded = len(pts)
    if expr:
        from mapping.filters import apply_filter

        pts = apply_filter(pts, expr)
    if not quiet:
        extra = f", {len(pts):,} match the filter" if expr else ""
        print(f"records: {res.rows_read:,} read, {n_loaded:,} with a location, "
              f"{len(res.rejected):,} rejected{extra}")
    return pts, res


def period_of(pts) -> str:
    """The records' time span for metadata (empty when they have no dates)."""
    from mapping.periods import describe_span

    return describe_span(pts["date"]) if "date" in pts.columns else ""


def load_areas(paths, area_id=None):
    """Read boundary files (EPSG:27700) and check the id field."""
    from boundaries.io import load_boundaries
    from layers.errors import InputError

    res = load_boundaries(paths if isinstance(paths, list) else [paths], code_field=area_id)
    areas = res.accepted
    if area_id and area_id not in areas.columns:
        raise InputError(f"the areas have no field '{area_id}'", column=area_id,
                         fix=f"choose one of: {', '.join(map(str, areas.columns[:15]))}")
    return areas


def check_out(path, allowed=(".csv", ".gpkg")):
    """Refuse an output extension the verb cannot write."""
    from layers.errors import InputError

    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        raise InputError(f"cannot write '{suffix or path}'", path=path,
                         fix=f"use one of: {', '.join(allowed)}")
    return Path(path)


def write_table(gdf, path) -> Path:
    """Write a result: CSV (no geometry) or GeoPackage (with polygons), atomically."""
    import json

    from layers.atomic import atomic_write_path, atomic_write_text

    from mapping.surface_io import write_cells

    path = check_out(path)
    if path.suffix.lower() == ".csv":
        with atomic_write_path(path) as tmp:
            cols = [c for c in gdf.columns if c != "geometry"]
            gdf[cols].to_csv(tmp, index=False)
    else:
        write_cells(gdf, path)
    meta = gdf.attrs.get("hotmap_meta")
    if meta:
        atomic_write_text(path.with_name(path.name + ".meta.json"),
                          json.dumps(meta, indent=2, default=str, ensure_ascii=False))
    return path


def read_population(path, id_field, value_field):
    """Population table keyed by area code (CSV/XLSX, thousands separators handled)."""
    try:
        from boundaries.population import read_population as _read

        df = _read(path, code_field=id_field, value_field=value_field)
        return df.set_index(df.columns[0])[df.columns[1]]
    except ImportError:  # pragma: no cover - before the ingest module existed
        import pandas as pd

        if str(path).lower().endswith((".xlsx", ".xls")):
            df = pd.read_excel(path, dtype={id_field: str})
        else:
            df = pd.read_csv(path, thousands=",", dtype={id_field: str})
        return pd.to_numeric(df.set_index(id_field)[value_field], errors="coerce")


# ----------------------------------------------------------------- shared helpers
def out_folder(path) -> Path:
    """Create (if needed) and return the output folder."""
    from layers.errors import InputError

    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError("--out must be a folder", path=p, fix="give a folder name")
    p.mkdir(parents=True, exist_ok=True)
    return p


def write_csv(df, path: Path, meta: dict | None = None) -> Path:
    """Write a table (no geometry) atomically, with a ``.meta.json`` sidecar."""
    from layers.atomic import atomic_write_path, atomic_write_text

    with atomic_write_path(path) as tmp:
        cols = [c for c in df.columns if c != "geometry"]
        df[cols].to_csv(tmp, index=False)
    meta = meta if meta is not None else df.attrs.get("meta")
    if meta:
        atomic_write_text(path.with_name(path.name + ".meta.json"),
                          json.dumps(meta, indent=2, default=str, ensure_ascii=False))
    return path


def save_chart(fig, folder: Path, stem: str, formats=("png", "svg")) -> list[Path]:
    """Write a chart in each format and free it."""
    from mapping.charts import chart_save

    out = [chart_save(fig, folder / f"{stem}.{fmt}") for fmt in formats]
    fig.clear()
    return out


def add_output_arguments(parser):
    """--out FOLDER, --formats and --source (attribution line on charts)."""
    parser.add_argument("--out", required=True, metavar="FOLDER", help="output folder")
    parser.add_argument("--formats", default="png,svg", metavar="LIST",
                        help="chart formats: png, svg, pdf (default png,svg)")
    parser.add_argument("--source", default=None, metavar="TEXT",
                        help="attribution line printed under each chart")


def formats(args) -> tuple[str, ...]:
    """The chart formats asked for, validated."""
    from layers.errors import InputError

    fm = tuple(f.strip().lower().lstrip(".") for f in args.formats.split(",") if f.strip())
    bad = [f for f in fm if f not in ("png", "svg", "pdf")]
    if bad or not fm:
        raise InputError(f"unknown chart format(s): {', '.join(bad) or 'none'}",
                         fix="use --formats png,svg,pdf")
    return fm


def report(paths) -> None:
    """Print the files written, one line."""
    paths = [Path(p) for p in paths]
    if paths:
        print(f"wrote {len(paths)} files to {paths[0].parent}: "
              + ", ".join(p.name for p in paths))


def parse_columns(text):
    from layers.errors import InputError

    if not text:
        return None
    out = {}
    for part in text.split(","):
        if "=" not in part:
            raise InputError(f"--columns item {part!r} is not KEY=COLUMN",
                             fix="write e.g. --columns x=EAST,y=NORTH")
        k, v = part.split("=", 1)
        v = v.strip()
        out[k.strip()] = int(v) if v.isdigit() else v
    return out
