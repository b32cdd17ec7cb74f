"""The one runner: every front runs an analysis through :func:`run_step`.

``hotmap run`` (a project file), the command-line verbs (a project built from
their flags, :mod:`app.cli_verbs`) and the GUI's dialogs all call
:func:`run_step`, which

1. checks the parameters against the analysis's declaration
   (:mod:`mapping.pipeline.declare`) and fills the declared defaults;
2. hands the computation the project's :class:`~mapping.pipeline.policy.Policy`
   (disclosure rules, minimum KDE bandwidth for sensitive records);
3. turns every output into a layer with a typed
   :class:`~mapping.core.meta.ResultMeta`: subject and filter in words, period,
   base n, inputs, licences inherited from the inputs, the disclosure rules,
   declared count columns;
4. puts the layers into the workspace, in place of an earlier run's.

The output writers (:func:`write_layer_files` for one result,
:func:`write_project_outputs` for a whole project) apply the same policy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from boundaries.workspace import Workspace
from layers.common.errors import HotmapError, InputError, ProjectError, term
from layers.model import Layer
from layers.project import AnalysisStep
from layers.style import LayerStyle
from mapping.core.meta import ResultMeta, describe_filter, fill_title, meta_of, record_subject
from mapping.pipeline import StepContext, StepOutput, get_analysis
from mapping.pipeline.policy import Policy

__all__ = ["run_step", "run_project", "write_project_outputs", "write_layer_files",
           "resolve_params", "RunReport", "Cancelled", "published_layers"]


class Cancelled(HotmapError):
    """The user cancelled the work; nothing half-made was kept."""


@dataclass
class RunReport:
    """What ``hotmap run`` did."""

    outdir: Path
    written: list[Path] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)
    loads: dict = field(default_factory=dict)  # layer -> (read, accepted, rejected)
    seconds: float = 0.0

    def summary_lines(self) -> list[str]:
        """Human-readable lines for the command line."""
        lines = [f"{name}: {r} read, {a} accepted, {j} rejected"
                 for name, (r, a, j) in self.loads.items()]
        lines.append(f"{len(self.written)} files written to {self.outdir} "
                     f"in {self.seconds:.1f} s")
        return lines


# ------------------------------------------------------------- parameters
def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_value(p, v, ws, where: str):
    """Check one parameter value against its declaration; return it (converted)."""
    bad = lambda what, fix=None: ProjectError(  # noqa: E731
        f"{where}: {term(p.name)} {what}", path=ws.project.path, fix=fix)
    if p.type in ("float", "int"):
        if isinstance(v, str):
            try:
                v = float(v.replace(",", ""))
            except ValueError:
                raise bad(f"must be a number, not {v!r}") from None
        if not _is_number(v):
            raise bad(f"must be a number, not {v!r}")
        if p.type == "int":
            if float(v) != int(v):
                raise bad(f"must be a whole number, not {v:g}")
            v = int(v)
        if (p.minimum is not None and v < p.minimum) or (p.maximum is not None
                                                         and v > p.maximum):
            raise bad(f"is {v:g}{' ' + p.unit if p.unit and p.unit != '%' else p.unit}, "
                      f"outside the allowed {p.describe_range()}",
                      fix=f"give a value from {p.describe_range()}")
        return v
    if p.type == "bool":
        if not isinstance(v, bool):
            raise bad(f"must be true or false, not {v!r}")
        return v
    if p.type == "choice":
        if v not in p.choices and not _open_choice(p, v):
            raise bad(f"is {v!r}, not one of {', '.join(map(str, p.choices))}",
                      fix=f"use one of: {', '.join(map(str, p.choices))}")
        return v
    if p.type == "expr":
        if not isinstance(v, str):
            raise bad("must be a filter expression in quotes")
        from mapping.core.filters import parse_filter

        parse_filter(v)  # raises a clear InputError
        return v
    if p.type in ("text", "date", "period") and not isinstance(v, (str, int)):
        raise bad(f"must be text, not {v!r}")
    if p.type == "file":
        paths = v if isinstance(v, list) else [v]
        if not all(isinstance(x, str) for x in paths):
            raise bad("must be a file path (or a list of paths)")
        return v
    if p.type == "list":
        items = [s.strip() for s in v.split(",") if s.strip()] if isinstance(v, str) else v
        cast = {"int": int, "float": float}.get(p.item)
        if cast is not None and isinstance(items, (list, tuple)):
            try:  # "0, 100, 200" typed in a dialog means the same as [0, 100, 200]
                items = [float(x) for x in items]
                if cast is int and any(x != int(x) for x in items):
                    raise ValueError
                items = [cast(x) for x in items]
            except (TypeError, ValueError):
                raise bad(f"must be a list of numbers, not {v!r}",
                          fix="e.g. 0, 100, 200") from None
        return list(items) if isinstance(items, tuple) else items
    return v


def _open_choice(p, v) -> bool:
    """Weights accept any ``knn:K`` / ``distance:M``, not only the listed examples."""
    return p.name in ("weights",) and isinstance(v, str) and \
        v.split(":")[0] in ("knn", "distance", "queen", "rook")


def _check_layer(inp, v, ws, where: str):
    if inp.many and isinstance(v, dict):  # {layer = weight}: the layers are its keys
        _check_layer(inp, list(v), ws, where)
        return v
    names = v if isinstance(v, list) else [v]
    if not inp.many and isinstance(v, list) and len(v) != 1:
        raise ProjectError(f"{where}: {term(inp.name)} takes one layer, not {len(v)}",
                           path=ws.project.path)
    for n in names:
        if not isinstance(n, str):
            raise ProjectError(f"{where}: {term(inp.name)} must name a layer, not {n!r}",
                               path=ws.project.path)
        if n not in ws.layers:
            producer = next((s for s in ws.project.analyses if s.name == n), None)
            if producer is not None:  # the result of another analysis that has not run yet
                raise ProjectError(f"{where}: {term(inp.name)} '{n}' is the result of analysis "
                                   f"'{n}' ({producer.kind}), which has not run yet",
                                   path=ws.project.path,
                                   fix=f"run '{n}' first, or run the whole project")
            known = ", ".join(ws.layers.names()) or "none"
            raise ProjectError(f"{where}: {term(inp.name)} names '{n}', which is not a layer "
                               f"(known: {known})", path=ws.project.path,
                               fix="check the layer names")
        lyr = ws.layers[n]
        kinds = inp.layer_kinds
        if kinds and lyr.kind not in kinds:
            raise ProjectError(f"{where}: {term(inp.name)} '{n}' is a {lyr.kind} layer; "
                               f"this needs {' or '.join(kinds)}", path=ws.project.path)
    if inp.many:  # one spelling whatever the front gave: a list of layer names
        return list(names)
    return v if not isinstance(v, list) else v[0]


def resolve_params(decl, given: dict, ws, *, where: str = "") -> dict:
    """Check an analysis's parameters against its declaration and fill the defaults.

    Parameters
    ----------
    decl : Analysis
        The declaration.
    given : dict
        The parameters as the front gave them (project file, CLI, dialog).
    ws : Workspace
        For the layers inputs name.
    where : str
        How to name the analysis in messages.

    Returns
    -------
    dict
        Every declared keyword (plus ``name`` when given), values checked.

    Raises
    ------
    ProjectError
        Unknown, missing or out-of-range parameters, unknown layers; the
        message names parameters with :func:`layers.common.errors.term`, so each
        front shows them in its own words.
    """
    where = where or f"analysis '{decl.kind}'"
    given = {decl.aliases.get(k, k): v for k, v in given.items()}
    known = set(decl.names()) | {"name"}
    unknown = [k for k in given if k not in known]
    if unknown:
        raise ProjectError(f"{where}: unknown parameter(s) "
                           + ", ".join(term(k) for k in unknown), path=ws.project.path,
                           fix="known: " + ", ".join(term(n) for n in decl.names()))
    out = {}
    for inp in decl.inputs:
        v = given.get(inp.name)
        if v in (None, "", []):
            if inp.required:
                raise ProjectError(f"{where}: {term(inp.name)} is required ({inp.label})",
                                   path=ws.project.path,
                                   fix=f"name a {inp.kind} layer for {term(inp.name)}")
            out[inp.name] = [] if inp.many else None
            continue
        out[inp.name] = _check_layer(inp, v, ws, where)
        if inp.many and len(out[inp.name]) < inp.fewest:
            raise ProjectError(f"{where}: {term(inp.name)} needs at least {inp.fewest} "
                               f"layers ({inp.label}); {len(out[inp.name])} given",
                               path=ws.project.path, fix=f"name {inp.fewest} or more layers")
    for p in decl.params:
        v = given.get(p.name, None)
        if v is None or (isinstance(v, str) and not v.strip() and p.type != "text"):
            if p.required:
                raise ProjectError(f"{where}: {term(p.name)} is required ({p.label})",
                                   path=ws.project.path, fix=f"give {term(p.name)}")
            out[p.name] = p.default
            continue
        out[p.name] = _check_value(p, v, ws, where)
    for group in decl.one_of:
        set_ = [n for n in group if out.get(n) not in (None, "", [], {})]
        if len(set_) != 1:
            words = " or ".join(term(n) for n in group)
            raise ProjectError(f"{where}: give {words}, "
                               + ("not both" if set_ else "one of them"),
                               path=ws.project.path,
                               fix=("blank " + " or ".join(term(n) for n in set_) if set_ else
                                    f"e.g. an area layer in {term(group[0])}"))
    if "name" in given:
        out["name"] = given["name"]
    return out


# ---------------------------------------------------------------- context
def _context(ws: Workspace, policy, progress=None, cancelled=None, outdir=None) -> StepContext:
    layers, meta = {}, {}
    for lyr in ws.layers:
        layers[lyr.name] = lyr.data
        meta[lyr.name] = {**lyr.meta, "kind": lyr.kind, "sensitive": lyr.sensitive,
                          "allow_raw_export": lyr.allow_raw_export}
    return StepContext(layers=layers, meta=meta, project=ws.project, progress=progress,
                       cancelled=cancelled or (lambda: False), outdir=outdir, policy=policy)


_HINT_KEYS = {"cmap": "palette", "colormap": "palette"}
_SCHEME_NAMES = {"categories": "categorical", "category": "categorical"}


def _normalise_hints(hints: dict) -> dict:
    """Map analysis style hints onto :class:`LayerStyle` field names and scheme keys."""
    out = {_HINT_KEYS.get(k, k): v for k, v in dict(hints).items()}
    if "scheme" in out:
        out["scheme"] = _SCHEME_NAMES.get(out["scheme"], out["scheme"])
    return out


def _input_layers(decl, params, ws):
    """``[(Input, [Layer, ...])]`` for every input the step names."""
    out = []
    for inp in decl.inputs:
        v = params.get(inp.name)
        names = [] if v is None else ([v] if isinstance(v, str) else list(v))
        out.append((inp, [ws.layers[n] for n in names if n in ws.layers]))
    return out


def _result_meta(out: StepOutput, decl, step, params, ws, policy) -> ResultMeta:
    """The typed metadata of one output: the computation's, completed by the runner."""
    raw = {**meta_of(out.data), **(out.meta or {})}
    m = ResultMeta.from_dict(raw)
    ins = _input_layers(decl, params, ws)
    m.analysis, m.kind = step.name, decl.kind
    m.inputs = [{"input": inp.name, "layer": lyr.name, "kind": lyr.kind,
                 "record_kind": (lyr.meta or {}).get("record_kind"),
                 "rows": len(lyr.data) if hasattr(lyr.data, "__len__") else None}
                for inp, lyrs in ins for lyr in lyrs]
    records = next(((inp, lyrs) for inp, lyrs in ins if lyrs and (
        inp.kind == "records" or (inp.kind == "table" and inp.filter_param))), None)
    if records is not None and m.filter is None:
        fp = records[0].filter_param
        m.filter = params.get(fp) if fp else None
    if m.filter and not m.filter_text:
        m.filter_text = describe_filter(m.filter)
    if records is not None and not m.subject:
        inp, lyrs = records
        kinds = [(lyr.meta or {}).get("record_kind") or "generic" for lyr in lyrs]
        label = " and ".join(lyr.name for lyr in lyrs)
        m.subject = record_subject(kinds, m.filter, label=label)
    m.title = fill_title(m.title or decl.title, m.subject)
    if "sensitive" not in raw:
        m.sensitive = any(lyr.sensitive for _, lyrs in ins for lyr in lyrs)
    lines = list(m.attribution or [])
    for _, lyrs in ins:
        for lyr in lyrs:
            lines += list((lyr.meta or {}).get("attribution") or [])
    m.attribution = list(dict.fromkeys([*lines, *policy.attribution]))
    m.fictional = m.fictional or policy.fictional
    m.disclosure = policy.rules.to_dict()
    spec = decl.output_for(step.name, out.name)
    if spec is not None:
        cols = [str(c) for c in getattr(out.data, "columns", [])]
        m.count_columns = list(dict.fromkeys([*_columns(spec.counts, cols), *m.count_columns]))
        if spec.rates and m.rate_columns is None:
            m.rate_columns = _columns(spec.rates, cols)
    from mapping.export.strands import strand_of

    m.strand = strand_of(decl, getattr(step, "strand", None))
    m.params = {k: v for k, v in {**params, **(m.params or {})}.items() if k != "name"}
    m.settings = _settings(decl, params, m.params)
    return m


_SETTING_TYPES = ("float", "int", "bool", "choice", "period", "date", "list")


def _settings(decl, params: dict, ran: dict) -> list[str]:
    """The declared parameters a reader needs, as "Label value unit" (values as run)."""
    from mapping.core.meta import literal_text

    out = []
    as_run = {"bandwidth": ran.get("bandwidth_m"), "cell_size": ran.get("cell_size_m")}
    for p in decl.params:
        v = as_run.get(p.name) if as_run.get(p.name) is not None else params.get(p.name)
        if p.type not in _SETTING_TYPES or v in (None, False, [], ()):
            continue
        if p.type == "bool":
            out.append(p.label)
            continue
        text = ", ".join(map(literal_text, v)) if isinstance(v, (list, tuple)) else literal_text(v)
        unit = "" if not p.unit else ("%" if p.unit == "%" else f" {p.unit}")
        out.append(f"{p.label.lower() if out else p.label} {text}{unit}")
    return out


def _columns(declared, present) -> list[str]:
    """Declared column names, ``*`` patterns (``*_sum``) matched against the columns present."""
    from fnmatch import fnmatchcase

    out = []
    for d in declared:
        out += [c for c in present if fnmatchcase(c, d)] if "*" in d else [d]
    return list(dict.fromkeys(out))


def _to_layer(out: StepOutput, meta: ResultMeta, step) -> Layer:
    d = meta.to_dict()
    hints = _normalise_hints(d.get("style") or {})
    d["style"] = hints  # renderers fill fields the user left at their defaults from these
    style = LayerStyle.from_dict(hints)
    if style.column is None and d.get("value_column"):
        style.column = d["value_column"]
    kind = out.kind if out.kind in ("areas", "points", "grid", "surface", "table", "figure") \
        else "table"
    if hasattr(out.data, "attrs") and isinstance(out.data.attrs, dict):
        out.data.attrs["meta"] = d  # the typed metadata replaces what the computation wrote
    return Layer(out.name, out.data, kind=kind, style=style,
                 source={"analysis": step.name, "kind": step.kind}, meta=d,
                 sensitive=bool(meta.sensitive))


def _place(ws, layers: list[Layer]) -> None:
    """Put result layers into the stack, each where an earlier run's layer of that name was."""
    for lyr in layers:
        ws.layers.replace(lyr)


def run_step(ws: Workspace, step: AnalysisStep, *, progress: Callable | None = None,
             cancelled: Callable[[], bool] | None = None, outdir=None,
             policy: Policy | None = None) -> list[Layer]:
    """Run one analysis on a workspace and add (or replace) its result layers.

    Charts an analysis draws are saved under ``outdir/charts`` (a temporary
    folder when ``outdir`` is None).

    Parameters
    ----------
    ws : Workspace
    step : AnalysisStep
        Kind, name and parameters (as the project file writes them).
    progress, cancelled : callable, optional
    outdir : path, optional
    policy : Policy, optional
        Default: the project's (:meth:`Policy.from_project`).

    Raises
    ------
    ProjectError
        Unknown analysis kind or bad parameters; :class:`Cancelled` when cancelled.
    """
    decl = get_analysis(step.kind)
    policy = policy or Policy.from_project(ws.project)
    where = f"analysis '{step.name}' ({step.kind})"
    params = resolve_params(decl, step.params, ws, where=where)
    params["name"] = params.get("name") or step.name
    ctx = _context(ws, policy, progress, cancelled, outdir)
    outputs = decl.compute(ctx, **params)
    if cancelled and cancelled():
        raise Cancelled("cancelled: no result was added")
    new = [_to_layer(o, _result_meta(o, decl, step, params, ws, policy), step)
           for o in outputs]
    _place(ws, new)
    return new


# ---------------------------------------------------------------- writers
def _output_folder(outdir) -> Path:
    """Create the output folder, or raise a clear InputError when that is impossible."""
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise InputError("the output folder is an existing file", path=outdir,
                         fix="give a folder name (it is created if needed)")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder ({exc.strerror})", path=outdir,
                         fix="choose a writable output folder") from exc
    return outdir


def write_layer_files(layers, out, policy: Policy, *, main: str | None = None,
                      folder: bool = False, formats=("png", "svg"),
                      base: str | None = None, workers: int | None = None) -> list[Path]:
    """Write result layers as files, with the policy's disclosure rules and a ``.meta.json``.

    This is how the command-line verbs write their results, with the same
    writers (:func:`mapping.export.data.export_layer`) and rules as
    ``hotmap run``'s ``tables/`` folder, so the same inputs give the same bytes.

    Parameters
    ----------
    layers : list of Layer
        The results of one analysis.
    out : path
        ``folder=False``: the file of the ``main`` layer (its suffix sets the
        format); the other layers go beside it as ``<stem>_<suffix><ext>``.
        ``folder=True``: a folder; every table as ``<layer>.csv``, layers with
        geometry also as ``<layer>.gpkg``, surfaces as ``<layer>.tif``, charts
        as ``<chart>.png``/``.svg``.
    policy : Policy
    main : str, optional
        The main layer's name (default: the first layer).
    base : str, optional
        The analysis's name: other layers are named after it (``<base>_sites``), and
        written as ``<stem>_sites<ext>``.
    formats : tuple
        Chart formats copied out.
    workers : int, optional
        Worker processes writing the files (1: in this process; the bytes are the
        same).  Default: as :func:`mapping.export.parallel.output_workers` says when the
        layers hold :data:`PARALLEL_ROWS` rows or more, else 1.
    """
    from mapping.export.parallel import JobRunner, output_workers

    rules = policy.rules
    layers = published_layers(layers, policy)
    written: list[Path] = []
    out = Path(out)
    if folder:
        out = _output_folder(out)
    if main is None and base is None:
        main = layers[0].name if layers else None
    base = base or (min((lyr.name for lyr in layers), key=len) if layers else "")

    def target(lyr) -> list[Path]:
        if folder:
            if lyr.kind == "figure":
                return []
            if lyr.kind == "surface":
                return [out / f"{_slug(lyr.name)}.tif"]
            paths = [out / f"{_slug(lyr.name)}.csv"]
            if lyr.kind in ("areas", "grid") and hasattr(lyr.data, "geometry"):
                paths.append(out / f"{_slug(lyr.name)}.gpkg")
            return paths
        if lyr.kind == "figure":
            return []
        if main is not None and lyr.name == main:
            return [out]
        suffix = lyr.name[len(base):] if lyr.name.startswith(base) else "_" + lyr.name
        if not suffix:
            suffix = "_" + lyr.kind
        ext = out.suffix
        raster = out.suffix.lower() in (".tif", ".tiff")
        if lyr.kind == "surface":
            ext = out.suffix if raster or out.suffix.lower() == ".gpkg" else ".tif"
        elif lyr.kind in ("table", "points") and ext.lower() not in (".csv", ".xlsx"):
            ext = ".csv"
        elif raster:  # areas or cells beside a GeoTIFF: a GeoPackage
            ext = ".gpkg"
        stem = out.name[:-len(".shp.zip")] if out.name.lower().endswith(".shp.zip") else out.stem
        return [out.with_name(f"{stem}_{_slug(suffix)}{ext}")]

    jobs = [(i, path) for i, lyr in enumerate(layers) for path in target(lyr)]
    state = (layers, rules, folder or len(layers) > 1, main)
    rows = sum(len(lyr.data) for lyr in layers if hasattr(lyr.data, "__len__")
               and not isinstance(lyr.data, str))
    n = output_workers(len(jobs), workers if workers is not None else
                       (None if rows >= PARALLEL_ROWS else 1))
    with JobRunner(state, n) as run:
        futures = [run.submit(_write_layer_job, job) for job in jobs]
        for fut in futures:
            written += fut.result()
    if folder:
        for lyr in layers:
            if lyr.kind == "figure":
                written += _copy_figure(lyr, out, formats)
    return written


#: From this many rows in all, :func:`write_layer_files` writes its files in worker
#: processes; below it, starting them costs more than the writing (a few tables).
PARALLEL_ROWS = 50_000


def _write_layer_job(state, job) -> list[Path]:
    """One file of :func:`write_layer_files` and its ``.meta.json`` (in a worker or here)."""
    from mapping.export.data import export_layer, export_meta

    layers, rules, may_skip, main = state
    i, path = job
    lyr = layers[i]
    try:
        out = [export_layer(lyr, path, rules=rules)]
    except InputError as exc:
        if "withheld by disclosure control" in str(exc) and (may_skip or lyr.name != main):
            return []  # e.g. sensitive points: the notes of the main output say so
        raise
    if lyr.kind != "surface":
        out.append(export_meta(lyr, path))
    return out


def _copy_figure(lyr, folder: Path, formats) -> list[Path]:
    import shutil

    from layers.common.atomic import atomic_write_path

    meta = lyr.meta or {}
    png = Path(lyr.data)
    srcs = {"png": png, "svg": meta.get("svg"), "pdf": meta.get("pdf")}
    out = []
    for fmt in formats:
        src = srcs.get(fmt)
        if not src or not Path(src).exists():
            continue
        dest = folder / f"{_slug(lyr.name)}.{fmt}"
        if Path(src).resolve() != dest.resolve():
            with atomic_write_path(dest) as tmp:
                shutil.copyfile(src, tmp)
        out.append(dest)
    return out


def _slug(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).strip("._") or "layer"


def write_project_outputs(ws: Workspace, outdir: str | Path, *, result_names=None,
                          policy: Policy | None = None, workers: int | None = None
                          ) -> list[Path]:
    """Write maps, data, tables, the HTML map and the audit pack for a workspace.

    The files are written by ``workers`` processes (default ``HOTMAP_WORKERS``, else
    the CPUs available; 1 writes them in this process), to the same bytes either
    way (:func:`mapping.export.outputs.write_planned`).
    """
    from mapping.render.compose import MapComposition
    from mapping.export.output_plan import plan_outputs, write_planned
    from mapping.export.outputs import default_composition

    outdir = _output_folder(outdir)
    proj = ws.project
    policy = policy or Policy.from_project(proj)
    maps = [MapComposition.from_dict(m) for m in proj.maps]
    drawn = {n for m in maps for n in getattr(m, "layers", [])}
    base = [lyr for lyr in ws.layers if lyr.source.get("boundaries")
            or (lyr.source.get("basemaps") and lyr.visible)]
    names = result_names if result_names is not None else \
        [lyr.name for lyr in ws.layers if lyr.source.get("analysis")]
    for name in names:
        lyr = ws.layers[name]
        if lyr.kind in ("areas", "grid", "surface") and name not in drawn:
            comp = default_composition(lyr, base, fictional=proj.fictional)
            if comp is not None:
                maps.append(comp)
    if not maps and base:  # a project with no analyses still gets a map of its layers
        maps.append(MapComposition(name="overview", title=proj.name,
                                   layers=[lyr.name for lyr in ws.layers if lyr.kind != "table"],
                                   fictional=proj.fictional))
    meta = {"name": proj.name, "fictional": proj.fictional, "description": proj.description,
            "loads": {name: {"read": res.rows_read, "accepted": len(res.accepted),
                             "rejected": len(res.rejected), "reasons": _reasons(res)}
                      for name, res in ws.results.items()}}
    # what will be published has passed the cross-table disclosure audit before the plan
    # decides any file, and the worker processes write only that
    published = published_layers(ws.layers, policy)
    plan = plan_outputs(published, maps, outdir, project_meta=meta, rules=policy.rules)
    written = write_planned(plan, workers=workers)
    for entry in getattr(proj, "atlases", []):
        if entry.get("enabled", True):
            from mapping.pipeline.atlas import atlas_from_workspace

            path = outdir / "atlases" / f"{_slug(entry['name'])}.pdf"
            path.parent.mkdir(parents=True, exist_ok=True)
            written += atlas_from_workspace(ws, entry["analysis"], entry["by"], path,
                                            policy=policy, layer=entry.get("layer", ""),
                                            docx=entry.get("docx", True))
    return written


def published_layers(layers, policy: Policy) -> list[Layer]:
    """The layers as they will be published: the attacker's linear program solved across
    every table of the run, and more counts suppressed where it could narrow a small one
    (:func:`mapping.disclosure.audit.audit_layers`)."""
    from mapping.disclosure.audit import audit_layers

    return audit_layers(list(layers), policy.rules)[0]


def _reasons(res) -> dict:
    """Rejected rows per reason (for the audit pack's data limitations)."""
    rej = getattr(res, "rejected", None)
    if rej is None or not len(rej) or "reason" not in getattr(rej, "columns", []):
        return {}
    return {str(k): int(v) for k, v in rej["reason"].value_counts().items()}


def run_project(project_path, outdir, *, progress: Callable | None = None,
                cancelled: Callable[[], bool] | None = None) -> RunReport:
    """Load a project, run every enabled analysis in order, and write all outputs."""
    t0 = time.perf_counter()
    ws = Workspace.open(project_path, progress=progress, cancelled=cancelled)
    if cancelled and cancelled():
        raise Cancelled("cancelled while loading; no outputs were written")
    policy = Policy.from_project(ws.project)
    report = RunReport(outdir=Path(outdir))
    _output_folder(outdir)
    for name, res in ws.results.items():
        report.loads[name] = (res.rows_read, len(res.accepted), len(res.rejected))
    results = []
    steps = [s for s in ws.project.analyses if s.enabled]
    for i, step in enumerate(steps):
        if cancelled and cancelled():
            raise Cancelled("cancelled before all analyses ran; no outputs were written")
        if progress:
            progress(i / max(len(steps), 1), f"Running {step.name}")
        results += [lyr.name for lyr in run_step(ws, step, progress=None, cancelled=cancelled,
                                                outdir=outdir, policy=policy)]
    report.layers = results
    if cancelled and cancelled():
        raise Cancelled("cancelled before the outputs were written; none were")
    report.written = write_project_outputs(ws, outdir, result_names=results, policy=policy)
    report.seconds = time.perf_counter() - t0
    return report
