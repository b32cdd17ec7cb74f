"""Result layers written as files: what the command-line verbs write, and the output folder.

:func:`write_layer_files` writes one analysis's results with the same writers
(:func:`mapping.export.data.export_layer`) and disclosure rules as ``hotmap run``'s
``tables/`` folder, after the cross-table audit (:func:`published_layers`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from layers.common.atomic import atomic_write_path
from layers.common.errors import InputError
from layers.model import Layer
from mapping.disclosure.audit import audit_layers
from mapping.export.data import export_layer, export_meta
from mapping.export.filenames import slug
from mapping.export.parallel import JobRunner, output_workers
from mapping.pipeline.policy import Policy

__all__ = ["write_layer_files", "published_layers", "output_folder", "PARALLEL_ROWS"]


def output_folder(outdir) -> Path:
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
    rules = policy.rules
    layers = published_layers(layers, policy)
    written: list[Path] = []
    out = Path(out)
    if folder:
        out = output_folder(out)
    if main is None and base is None:
        main = layers[0].name if layers else None
    base = base or (min((lyr.name for lyr in layers), key=len) if layers else "")
    jobs = [(i, path) for i, lyr in enumerate(layers)
            for path in _targets(lyr, out, folder=folder, main=main, base=base)]
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


def _targets(lyr, out: Path, *, folder: bool, main, base: str) -> list[Path]:
    """The files :func:`write_layer_files` writes for one layer (none for a chart: copied)."""
    if folder:
        if lyr.kind == "figure":
            return []
        if lyr.kind == "surface":
            return [out / f"{slug(lyr.name)}.tif"]
        paths = [out / f"{slug(lyr.name)}.csv"]
        if lyr.kind in ("areas", "grid") and hasattr(lyr.data, "geometry"):
            paths.append(out / f"{slug(lyr.name)}.gpkg")
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
    return [out.with_name(f"{stem}_{slug(suffix)}{ext}")]


#: From this many rows in all, :func:`write_layer_files` writes its files in worker
#: processes; below it, starting them costs more than the writing (a few tables).
PARALLEL_ROWS = 50_000


def _write_layer_job(state, job) -> list[Path]:
    """One file of :func:`write_layer_files` and its ``.meta.json`` (in a worker or here)."""
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
    """Copy a chart's files (PNG, SVG, PDF as asked) into ``folder``."""
    meta = lyr.meta or {}
    png = Path(lyr.data)
    srcs = {"png": png, "svg": meta.get("svg"), "pdf": meta.get("pdf")}
    out = []
    for fmt in formats:
        src = srcs.get(fmt)
        if not src or not Path(src).exists():
            continue
        dest = folder / f"{slug(lyr.name)}.{fmt}"
        if Path(src).resolve() != dest.resolve():
            with atomic_write_path(dest) as tmp:
                shutil.copyfile(src, tmp)
        out.append(dest)
    return out


def published_layers(layers, policy: Policy) -> list[Layer]:
    """The layers as they will be published: the attacker's linear program solved across
    every table of the run, and more counts suppressed where it could narrow a small one
    (:func:`mapping.disclosure.audit.audit_layers`)."""
    return audit_layers(list(layers), policy.rules)[0]
