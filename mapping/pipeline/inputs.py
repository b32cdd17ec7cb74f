"""What the computations share: reading their input layers and saving their charts."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from layers.common.errors import ProjectError, term
from mapping.core.meta import meta_of
from mapping.pipeline import StepOutput

__all__ = ["chart_threshold", "layer_names", "table_output",
           "records", "areas", "period_of", "save_figure", "progress",
           "chart_source", "threshold", "project_path", "units_word", "in_sentence"]


def layer_names(x) -> list:
    """A layer name or a list of names as a list."""
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


def records(ctx, names, filt=None, *, param: str = "points"):
    """The named record layers as one layer (concatenated), filtered; and its label.

    Returns
    -------
    (GeoDataFrame or DataFrame, str)
        The records and ``"a + b"`` naming the layers.
    """
    import geopandas as gpd

    names = layer_names(names)
    if not names:
        raise ProjectError(f"the analysis needs {term(param)} (a record layer)",
                           fix=f"name the record layer(s) in {term(param)}")
    frames = [ctx.data(n) for n in names]
    if len(frames) == 1:
        gdf = frames[0]
    elif all(isinstance(f, gpd.GeoDataFrame) for f in frames):
        gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    else:
        gdf = pd.concat(frames, ignore_index=True)
        gdf.attrs = dict(frames[0].attrs)
    if filt:
        from mapping.core.filters import apply_filter

        gdf = apply_filter(gdf, filt)
    return gdf, " + ".join(names)


def drop_undated(ctx, names, frame, fields, what: str = "records"):
    """Leave out the records whose ``fields`` held a value that is not a readable date.

    The loader keeps such records (without the date) and says so; an analysis by
    date must not read the missing date as "has not happened".  Returns the kept
    records and a note (``""`` when none was left out).
    """
    import numpy as np

    bad = np.zeros(len(frame), bool)
    if "source_file" not in frame.columns or "source_row" not in frame.columns:
        return frame, ""
    files = frame["source_file"].astype(str).to_numpy()
    rows = frame["source_row"].to_numpy()
    for n in layer_names(names):
        undated = (ctx.meta.get(n, {}) or {}).get("undated_rows") or {}
        for f in fields:
            for path, which in (undated.get(f) or {}).items():
                here = files == str(path)
                bad |= here if which is None else here & np.isin(rows, which)
    if not bad.any():
        return frame, ""
    return frame[~bad], (f"{int(bad.sum()):,} {what} left out: their "
                         f"{' or '.join(fields)} date could not be read")


def areas(ctx, name: str, area_id=None, *, param: str = "areas", id_param: str = "area_id"):
    """The named area layer and its code field (the given one, else the detected one)."""
    gdf = ctx.data(name)
    aid = area_id or ctx.meta.get(name, {}).get("code_field") or "code"
    if aid not in gdf.columns:
        cols = ", ".join(str(c) for c in gdf.columns if c != "geometry")[:300]
        raise ProjectError(f"layer '{name}' has no code field '{aid}'", column=aid,
                           fix=f"set {term(id_param)} to one of: {cols}")
    return gdf, aid


def period_of(frame, column: str = "date") -> str:
    """The records' time span in words ("Oct 2018 – Jan 2019"), or ""."""
    from mapping.core.periods import describe_span

    return describe_span(frame[column]) if column in getattr(frame, "columns", ()) else ""


def units_word(ctx, units, names, filt) -> str:
    """The word charts use for what is counted: the user's ``units``, else the records'
    subject from their kind and filter ("Drugs offences", "Arrests")."""
    if units:
        return units
    from mapping.core.meta import record_subject

    kinds = [ctx.meta.get(n, {}).get("record_kind") or "generic" for n in layer_names(names)]
    return record_subject(kinds, filt).replace(" (selected)", "")


def in_sentence(text: str) -> str:
    """``"Drugs offences"`` as it reads inside a sentence (``"drugs offences"``); acronyms
    such as ``"LSOAs"`` are kept."""
    word = text.split(" ", 1)[0]
    return text if word.isupper() or word[1:2].isupper() else text[:1].lower() + text[1:]


def project_path(ctx, p):
    """A path given in the project file, relative to the project file's folder."""
    p = Path(p)
    base = getattr(ctx.project, "path", None)
    return p if p.is_absolute() or base is None else Path(base).parent / p


def threshold(ctx) -> int:
    """The disclosure threshold of the run (small counts are below it)."""
    pol = getattr(ctx, "policy", None)
    return int(pol.rules.threshold) if pol is not None else 5


def chart_threshold(ctx, names) -> int:
    """The threshold a chart of the named layers hides small counts below: the run's when
    any of them is sensitive, else 0 (nothing hidden)."""
    return threshold(ctx) if ctx.sensitive(layer_names(names)) else 0


def progress(ctx, fraction: float, message: str) -> None:
    """Report progress if the front listens."""
    if getattr(ctx, "progress", None):
        ctx.progress(fraction, message)


def chart_source(ctx, *names) -> str | None:
    """The attribution line printed under a chart made from the named layers."""
    from mapping.core.attribution import LICENCES

    bits = []
    flat = [n for x in names for n in layer_names(x)]
    for n in flat:
        for key in ctx.meta.get(n, {}).get("attribution") or []:
            line = LICENCES.get(key, key)
            short = {"police_uk": "data.police.uk (OGL v3.0)", "ons": "ONS (OGL v3.0)",
                     "codepoint": "OS Code-Point Open", "imd": "IMD 2019 (MHCLG)",
                     "nhs_ods": "NHS ODS", "population": "ONS population"}.get(key, line)
            if short not in bits:
                bits.append(short)
    pol = getattr(ctx, "policy", None)
    for extra in (getattr(pol, "attribution", None) or []):
        if extra not in bits:
            bits.append(extra)
    if pol is not None and pol.fictional or getattr(ctx.project, "fictional", False):
        bits.insert(0, "FICTIONAL demo data")
    return "Source: " + "; ".join(bits) if bits else None


def _chart_dir(ctx) -> Path:
    d = getattr(ctx, "outdir", None)
    if d is None:
        d = getattr(ctx, "_chart_dir", None) or tempfile.mkdtemp(prefix="hotmap-charts-")
        ctx._chart_dir = d
    d = Path(d) / "charts"
    d.mkdir(parents=True, exist_ok=True)
    return d


def save_figure(ctx, fig, name: str, meta: dict) -> StepOutput:
    """Save a chart as PNG and SVG (file names made safe) and wrap it as a ``figure``.

    With a chart writer on the context (``ctx.charts``) the files are written by its
    process and exist once it is closed (:mod:`mapping.export.chart_writer`)."""
    import re

    from mapping.render.charts import chart_save

    d = _chart_dir(ctx)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).strip("._") or "chart"
    png, svg = d / f"{stem}.png", d / f"{stem}.svg"
    writer = getattr(ctx, "charts", None)
    # ``hotmap run``: saved in the chart writer's process (if the figure can be pickled)
    if writer is None or not writer.save(fig, [png, svg]):
        chart_save(fig, png)
        chart_save(fig, svg)
    fig.clear()
    return StepOutput(name, str(png), "figure", {**meta, "svg": str(svg), "png": str(png)})


def table_output(name: str, frame, meta: dict | None = None) -> StepOutput:
    """A table output: ``frame`` as a DataFrame, its own metadata updated with ``meta``."""
    return StepOutput(name, pd.DataFrame(frame), "table", {**meta_of(frame), **(meta or {})})
