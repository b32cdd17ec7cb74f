"""Running a command-line verb generated from an analysis's declaration (:mod:`app.cli_verbs`).

:func:`run_verb` builds a project from the flags (the files become boundary,
record and table sources, exactly as ``[[boundaries]]``, ``[[records]]`` and
``[[tables]]`` entries would), loads it, runs the analysis through
:func:`mapping.pipeline.runner.run_step` and writes the results with
:func:`mapping.pipeline.runner.write_layer_files`.  :func:`parse_columns` reads a
``--columns`` mapping (also used by ``hotmap inspect``).
"""

from __future__ import annotations

import glob
import tempfile
import tomllib
import warnings
from pathlib import Path

from layers.common.errors import InputError
from layers.model import Layer
from layers.project import (AnalysisStep, BoundarySource, Project, RecordSource, TableSource,
                            open_project)
from boundaries.workspace import Workspace
from mapping.core.filters import filter_columns
from mapping.export.surface_io import read_geotiff
from mapping.pipeline import get_analysis
from mapping.pipeline.policy import Policy
from mapping.pipeline.runner import run_step, write_layer_files

__all__ = ["run_verb", "parse_columns"]


def _split_pairs(items, flag: str, cast=str) -> dict:
    out = {}
    for it in items or []:
        if "=" not in it:
            raise InputError(f"{flag} '{it}' is not NAME=VALUE", fix=f"write e.g. {flag} a=1")
        k, v = it.split("=", 1)
        try:
            out[k.strip()] = cast(v.strip())
        except ValueError:
            raise InputError(f"{flag} '{it}': '{v.strip()}' is not a number",
                             fix=f"write e.g. {flag} {k.strip()}=2") from None
    return out


def parse_columns(text, flag="--columns"):
    """``x=EAST,y=NORTH,id=1`` as a column mapping (a number is a 1-based position)."""
    if not text:
        return {}
    out = {}
    for part in text.split(","):
        if "=" not in part:
            raise InputError(f"{flag} item {part!r} is not KEY=COLUMN",
                             fix=f"write e.g. {flag} x=EAST,y=NORTH")
        k, v = part.split("=", 1)
        v = v.strip()
        out[k.strip()] = int(v) if v.isdigit() else v
    return out


def _param_value(prm, raw):
    """Convert a flag's text to the declared type (validated again by the runner)."""
    if raw is None:
        return None
    if prm.type == "list":
        raw = raw if isinstance(raw, list) else [raw]
        items = [s.strip() for r in raw for s in str(r).split(",") if s.strip()]
        cast = {"int": int, "float": float}.get(prm.item, str)
        try:
            return [cast(s) for s in items]
        except ValueError:
            raise InputError(f"{prm.flag} {raw!r} is not a list of numbers",
                             fix=f"write e.g. {prm.flag} 3,6,12") from None
    if prm.type == "pairs":
        out = []
        for item in raw:
            try:
                xy = [float(v) for v in str(item).split(",")]
            except ValueError:
                xy = []
            if len(xy) != 2:
                raise InputError(f"{prm.flag} {item!r} is not X,Y metres",
                                 fix=f"write e.g. {prm.flag} 359500,173000")
            out.append(xy)
        return out
    if prm.type == "mapping":
        return _split_pairs(raw, prm.flag, float if prm.item == "float" else str)
    if prm.type in ("float", "int"):
        try:
            return int(raw) if prm.type == "int" else float(raw)
        except ValueError:
            raise InputError(f"{prm.flag} {raw!r} is not a number") from None
    if prm.type == "column" and prm.many:
        return [s.strip() for s in str(raw).split(",") if s.strip()]
    if prm.type == "literal":
        try:
            return tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            return raw
    return raw


def _policy(args, decl):
    base = {}
    extra_lines = []
    if args.project:
        proj = open_project(args.project)
        base = dict(proj.disclosure)
        extra_lines = list(proj.attribution)
        fictional = proj.fictional
    else:
        fictional = False
    if args.suppress_below is not None:
        base["threshold"] = int(args.suppress_below)
    if args.min_bandwidth is not None:
        base["min_kde_bandwidth_m"] = float(args.min_bandwidth)
    lines = extra_lines + list(args.attribution or []) + ([args.source] if args.source else [])
    return Policy.from_table(base, where="--suppress-below/--min-bandwidth",
                             attribution=lines, fictional=fictional)


def _build(args, decl):
    """The project (sources from the files given), extra layers, and the step's params."""
    proj = Project(name=f"hotmap {decl.kind}")
    extra_layers = []
    params = {}
    postcodes = getattr(args, "postcodes", None)
    _input_sources(args, decl, proj, extra_layers, params, postcodes)
    _param_values(args, decl, proj, params, postcodes)
    name = args.name or decl.kind
    return proj, extra_layers, AnalysisStep(name=name, kind=decl.kind, params=params)


def _input_sources(args, decl, proj, extra_layers, params, postcodes) -> None:
    """The declared inputs given as files: sources of ``proj`` (or surface layers in
    ``extra_layers``), named in ``params``."""
    for inp in decl.inputs:
        files = getattr(args, f"in_{inp.name}", None)
        if not files:
            continue
        if inp.named:
            named = _split_pairs(files, "--layer")
            for n, f in named.items():
                proj.records.append(RecordSource(name=n, paths=_expand(f.split(",")),
                                                 kind="generic", options=_rec_options(
                                                     postcodes, False, args, decl)))
            params[inp.name] = list(named)
            continue
        if inp.kind == "surface":
            extra_layers.append(Layer(inp.name, read_geotiff(files), kind="surface",
                                      source={"file": str(files)}))
            params[inp.name] = inp.name
            continue
        paths = [Path(f) for f in files]
        if inp.kind == "table":
            proj.tables.append(_table_source(args, decl, inp, paths))
            params[inp.name] = inp.name
            continue
        kind = inp.kind if inp.kind != "any" else _geometry_kind(paths[0])
        if kind == "areas":
            idp = decl.param(inp.id_param) if inp.id_param else None
            code = getattr(args, f"p_{idp.name}", None) if idp else None
            tables = _tables_for(args, decl, inp)
            proj.boundaries.append(BoundarySource(name=inp.name, paths=paths, code_field=code,
                                                  tables=tables))
        else:
            proj.records.append(RecordSource(
                name=inp.name, paths=paths,
                kind=getattr(args, f"kind_{inp.name}", inp.record_kind),
                columns=parse_columns(getattr(args, f"columns_{inp.name}", None)),
                options=_rec_options(postcodes, getattr(args, f"noheader_{inp.name}", False),
                                     args, decl)))
        params[inp.name] = [inp.name] if inp.many else inp.name


def _param_values(args, decl, proj, params, postcodes) -> None:
    """The parameter flags as typed values in ``params`` (record files given for a
    field become record sources of ``proj``)."""
    for prm in decl.params:
        if prm.cli_hidden:
            continue
        if prm.type == "area_table":
            f = getattr(args, f"p_{prm.name}_field", None)
            if getattr(args, f"p_{prm.name}_file", None) and not f:
                raise InputError(f"{prm.flag} needs {prm.flag}-field naming its value column"
                                 + ("" if getattr(args, f"p_{prm.name}_id", None) else
                                    f" (and {prm.flag}-id its area code column)"),
                                 fix=f"e.g. {prm.flag}-id lsoa {prm.flag}-field pop")
            if f:
                params[prm.name] = f
            continue
        raw = getattr(args, f"p_{prm.name}", None)
        if "records" in prm.also_layers and raw:
            if all(Path(x).exists() for x in raw):  # files: a record layer counted per area
                proj.records.append(RecordSource(name=prm.name, paths=_expand(raw),
                                                 options=_rec_options(postcodes, False,
                                                                      args, decl)))
                params[prm.name] = prm.name
            else:
                params[prm.name] = raw[0] if len(raw) == 1 else raw
            continue
        v = _param_value(prm, raw)
        if v is not None:
            params[prm.name] = v


def _geometry_kind(path: Path) -> str:
    """``areas`` for a file of polygons, else ``records`` (points, or a table of places)."""
    if path.suffix.lower() in (".gpkg", ".geojson", ".json", ".shp", ".fgb", ".zip"):
        try:
            import pyogrio

            gtype = str(pyogrio.read_info(path).get("geometry_type") or "")
        except Exception:  # noqa: BLE001 - unreadable here: the loader reports it properly
            return "records"
        return "areas" if "polygon" in gtype.lower() else "records"
    return "records"


def _table_source(args, decl, inp, paths):
    """A table input's files as a ``[[tables]]`` source (its code column from ``id_param``)."""
    idp = decl.param(inp.id_param) if inp.id_param else None
    key = getattr(args, f"p_{idp.name}", None) if idp else None
    if len(paths) != 1 and key:
        raise InputError(f"{inp.flag} takes one table of areas, not {len(paths)} files",
                         fix=f"give one CSV or XLSX file after {inp.flag}")
    kind = getattr(args, f"kind_{inp.name}", None) or inp.record_kind
    return TableSource(name=inp.name, paths=paths, key=key, kind=kind)


def _expand(paths) -> list[Path]:
    """File names as given, with shell patterns expanded where the shell could not
    (``--layer drugs=2018-1*.csv``): the matches in order, or the name as given."""
    out = []
    for p in paths:
        hits = sorted(glob.glob(p)) if any(c in p for c in "*?[") else []
        out += [Path(h) for h in hits] or [Path(p)]
    return out


def _rec_options(postcodes, no_header: bool, args=None, decl=None) -> dict:
    opts = {}
    fmt = getattr(args, "date_format", None)
    if fmt:
        opts["date_format"] = fmt
    if decl is not None and not decl.uses_dates:  # an unreadable date costs nothing here
        opts["dates"] = "optional"
    if decl is not None and not decl.uses_geometry:  # coordinates are all it reads
        opts["geometry"] = False
        opts["keep"] = _kept_columns(args)
    if postcodes:
        opts["postcode_table"] = Path(postcodes)
    if no_header:
        opts["header"] = False
    return opts


def _kept_columns(args) -> list[str]:
    """The record columns an analysis of coordinates reads besides them: those its
    ``--filter`` names and its ``--weight`` field (the loader drops the rest file by
    file, so memory stays small however many records there are)."""
    keep = []
    expr = getattr(args, "p_filter", None)
    if expr:
        try:
            keep += filter_columns(expr)
        except Exception:  # noqa: BLE001 - a bad filter is reported by the analysis
            return None
    weight = getattr(args, "p_weight", None)
    if isinstance(weight, str) and weight:
        keep.append(weight)
    return keep


def _target(args, of: str) -> str | None:
    """The input an ``of`` names: the first of ``"lsoas|areas"`` given on the command line."""
    for name in of.split("|"):
        if getattr(args, f"in_{name}", None):
            return name
    return None


def _tables_for(args, decl, inp) -> list:
    """Tables (population ...) the flags join onto the areas input ``inp``."""
    out = []
    for prm in decl.params:
        if prm.type != "area_table" or _target(args, prm.of) != inp.name:
            continue
        f = getattr(args, f"p_{prm.name}_file", None)
        if f:
            t = {"path": Path(f)}
            if getattr(args, f"p_{prm.name}_id", None):
                t["key"] = getattr(args, f"p_{prm.name}_id")
            col = getattr(args, f"p_{prm.name}_field", None)
            if col:
                t["columns"] = [col]
            if getattr(args, f"p_{prm.name}_lookup", None):
                t["lsoa_lookup"] = Path(getattr(args, f"p_{prm.name}_lookup"))
            out.append(t)
        elif getattr(args, f"p_{prm.name}_lookup", None):
            raise InputError(f"{prm.flag}-lookup needs {prm.flag}", fix="give the table")
    return out


def _load_lines(ws) -> list[str]:
    lines = []
    for name, res in ws.results.items():
        counts = res.reject_counts()
        why = ", ".join(f"{int(v):,} {k}" for k, v in counts.head(3).items())
        lines.append(f"{name}: {res.rows_read:,} read, {len(res.accepted):,} accepted, "
                     f"{len(res.rejected):,} rejected" + (f" ({why})" if why else ""))
        for msg in res.messages[:6]:
            lines.append(f"  note: {msg}")
    return lines


def run_verb(args, kind: str) -> int:
    """Run ``hotmap <kind>``: build the project from the flags, run, write, report.

    Errors name this verb's flags (``--area-id``), not the project file's keys.
    """
    try:
        return _run_verb(args, kind)
    except InputError as exc:
        raise exc.localise(args._words) from exc.__cause__


def _run_verb(args, kind: str) -> int:
    decl = get_analysis(kind)
    formats = _formats(args) if decl.out == "folder" else ("png", "svg")
    _check_out(args, decl)
    policy = _policy(args, decl)
    proj, extra, step = _build(args, decl)
    ws = Workspace(proj)
    ws.load()
    for lyr in extra:
        ws.layers.append(lyr)
    for line in _load_lines(ws):
        print(line)
    with tempfile.TemporaryDirectory(prefix="hotmap-") as tmp, \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layers = run_step(ws, step, outdir=tmp, policy=policy)
        main = decl.main_output(step.name, [lyr.name for lyr in layers], Path(args.out).suffix)
        written = write_layer_files(layers, args.out, policy, main=main, base=step.name,
                                    folder=decl.out == "folder", formats=formats)
    for w in caught:
        if not issubclass(w.category, (DeprecationWarning, FutureWarning)):
            print(f"warning: {w.message}")
    notes = list(dict.fromkeys(n for lyr in layers for n in (lyr.meta or {}).get("notes") or []))
    for note in notes:
        print(f"note: {note}")
    summary = [s for lyr in layers for s in (lyr.meta or {}).get("summary") or []]
    for line in summary[:-1]:
        print(line)
    tail = f" -> {args.out}"
    print((summary[-1] if summary else f"{len(written)} files written") + tail)
    return 0


def _formats(args) -> tuple:
    fm = tuple(f.strip().lower().lstrip(".") for f in args.formats.split(",") if f.strip())
    bad = [f for f in fm if f not in ("png", "svg", "pdf")]
    if bad or not fm:
        raise InputError(f"unknown chart format(s): {', '.join(bad) or 'none'}",
                         fix="use --formats png,svg,pdf")
    return fm


def _check_out(args, decl) -> None:
    out = Path(args.out)
    if decl.out == "folder":
        if out.exists() and not out.is_dir():
            raise InputError("--out must be a folder", path=out, fix="give a folder name")
        return
    name = out.name.lower()
    if not any(name.endswith(s) for s in decl.out_formats):
        raise InputError(f"cannot write '{out.suffix or out.name}'", path=out,
                         fix=f"use one of: {', '.join(decl.out_formats)}")
    if out.is_dir():
        raise InputError("--out is a folder; give a file name", path=out,
                         fix=f"e.g. {out / ('result' + decl.out_formats[0])}")
