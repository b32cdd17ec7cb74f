"""Everything a project run writes: maps, layers, tables, the HTML map and the audit pack.

:func:`write_outputs` is what ``hotmap run`` and ``hotmap demo`` call after the
analyses have run; :func:`default_composition` builds a sensible map for an
analysis result when the project file declares none.

Output folder layout::

    maps/<map>.png|.svg|.pdf   one page per map composition
    layers.gpkg                all layers, EPSG:27700 (surfaces as raster tables)
    tables/<layer>.csv         attribute tables ("<5" for suppressed counts)
    tables/tables.xlsx         the same tables as one workbook (grid-cell tables only in
                               layers.gpkg and tables/<layer>.csv)
    surfaces/<layer>.tif       KDE and other surfaces, EPSG:27700
    map.html                   offline interactive map
    audit_pack.docx            maps, notes, summary tables, methods, sources
"""

from __future__ import annotations

import re
from pathlib import Path

from mapping.render.compose import MapComposition
from mapping.disclosure.rules import DisclosureRules, display_table

__all__ = ["write_outputs", "default_composition", "summary_tables"]

_GISTAR_HINT = re.compile(r"(gi_?bin|gistar|gi\*|getis|hotspot_class|cluster_bin)", re.I)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).strip("_") or "layer"


def default_composition(layer, base_layers=(), fictional: bool = False) -> MapComposition:
    """Build a map for an analysis result layer: title, legend units and notes from its meta.

    Parameters
    ----------
    layer : Layer
        The result (areas, grid, points or surface).
    base_layers : iterable of Layer
        Context layers; area layers are drawn on top as outlines, basemaps at the bottom.
    fictional : bool
        Mark the map "FICTIONAL DATA".

    Returns
    -------
    MapComposition
    """
    meta = layer.meta or {}
    hints = meta.get("style") or {}
    col = hints.get("column") or layer.style.column or meta.get("value_column")
    over: dict = {}
    # The class scheme is not decided here: resolve_style (mapping/render/styling.py) decides it for
    # the canvas and every export alike.  Only Gi* bins and bivariate pairs are named.
    if meta.get("bivariate"):
        b = meta["bivariate"]
        over = {"column": f"{b.get('x')},{b.get('y')}", "scheme": "bivariate",
                "edgecolor": "#ffffff", "linewidth": 0.3}
    elif col and (_GISTAR_HINT.search(str(col)) or _GISTAR_HINT.search(str(meta.get("method")))):
        over = {"column": col, "scheme": "gistar", "edgecolor": "#ffffff", "linewidth": 0.3}
    elif layer.kind in ("areas", "grid") and col:
        over = {"column": col, "edgecolor": "#ffffff", "linewidth": 0.3}
    over = {k: v for k, v in over.items() if k not in hints}
    overrides = {layer.name: over} if over else {}
    names = []
    bases = list(base_layers)
    for b in bases:
        if b.kind == "points" and b.name != layer.name:
            names.append(b.name)
    names_under = [b.name for b in bases if b.kind in ("areas", "grid") and layer.kind == "points"]
    # Outlines over the result: for areas only coarser geographies (LSOA lines inside a ward
    # choropleth would read as LSOA values); over a surface, every boundary layer.
    n_res = _n_features(layer) if layer.kind in ("areas", "grid") else float("inf")
    outlines = sorted((b for b in bases if b.kind in ("areas", "grid") and layer.kind != "points"
                       and not _same_areas(b, layer) and _n_features(b) < n_res),
                      key=lambda b: -_n_features(b))
    names_over = [b.name for b in outlines]  # finest first; coarser outlines drawn on top
    for i, b in enumerate(outlines):  # finer geographies thinner and lighter
        coarse = i == len(outlines) - 1
        overrides[b.name] = {"color": "none", "edgecolor": "#252525" if coarse else "#969696",
                             "linewidth": 0.9 if coarse else 0.3}
    names_base = [b.name for b in bases if b.kind == "basemap"]
    layer_order = names_base + names_under + [layer.name] + names_over + names
    title = meta.get("title") or layer.name
    subtitle = str(meta.get("period") or meta.get("subtitle") or "")
    own = next((b for b in bases if b.kind in ("areas", "grid") and _same_areas(b, layer)), None)
    if own is not None:  # say which geography the values are for: "LSOAs (2011)"
        from mapping.render.styling import layer_title

        level = layer_title(own)
        if level != own.name and level not in title and level not in subtitle:
            subtitle = f"{subtitle} · {level}" if subtitle else level
    return MapComposition(name=layer.name, title=title, subtitle=subtitle,
                          layers=layer_order, style_overrides=overrides, fictional=fictional)


def _n_features(layer) -> int:
    return len(layer.data) if hasattr(layer.data, "__len__") else 0


def _same_areas(base, layer) -> bool:
    """True when a boundary layer is the result's own geography (not worth outlining again)."""
    if base.kind != layer.kind or _n_features(base) != _n_features(layer):
        return False
    a, b = base.bounds, layer.bounds
    return a is not None and b is not None and max(abs(x - y) for x, y in zip(a, b)) < 1.0


def _share_scales(maps) -> list:
    """A ``shared_scale`` given to a layer in any map's ``style_overrides`` holds in every map
    of the run, so one ``[maps.style_overrides.<layer>]`` entry puts a series on one scale."""
    import copy

    shared = {}
    for comp in maps:
        for name, ov in (comp.style_overrides or {}).items():
            if isinstance(ov, dict) and ov.get("shared_scale"):
                shared.setdefault(name, ov["shared_scale"])
    if not shared:
        return list(maps)
    out = []
    for comp in maps:
        comp = copy.copy(comp)  # never write into the project's own tables
        comp.style_overrides = {k: dict(v) for k, v in (comp.style_overrides or {}).items()}
        for name, scale in shared.items():
            comp.style_overrides.setdefault(name, {}).setdefault("shared_scale", scale)
        out.append(comp)
    return out


def summary_tables(layer, info, rules: DisclosureRules):
    """Return (class table, top-areas table) for the audit pack, both safe to publish.

    The top table holds the 15 areas with the highest values of a numeric map, or of a
    class map the areas of its legend's first classes."""
    import numpy as np
    import pandas as pd

    cls = info.classification if info is not None else None
    class_table = None
    if cls is not None and cls.scheme != "bivariate":
        unit = "Cells" if layer.kind == "grid" else \
            {"raster": "Cells", "point": "Points"}.get(info.geom, "Areas")
        rows = [{"Class": i + 1, "Range / category": lab, unit: int(n)}
                for i, (lab, n) in enumerate(zip(cls.labels, cls.counts))]
        if cls.n_missing:
            rows.append({"Class": "–", "Range / category": info.missing_label,
                         unit: int(cls.n_missing)})
        class_table = pd.DataFrame(rows)
    top = None
    data = layer.data
    if hasattr(data, "columns") and layer.kind in ("areas", "grid", "table"):
        table = display_table(data, rules, layer.meta)
        col = info.style.column if info is not None else None
        col = col or (layer.meta or {}).get("value_column")
        if col and "," not in col and col in data.columns and data[col].dtype.kind in "fiu":
            order = data[col].astype(float).fillna(-float("inf")).sort_values(ascending=False)
            table = table.loc[order.index]
        elif cls is not None and cls.categorical and len(cls.yb) == len(table):
            # a class map (persistent, emerging... hotspot): the legend's first classes first
            rank = np.where(np.asarray(cls.yb) < 0, np.iinfo(np.int64).max, cls.yb)
            table = table.iloc[np.argsort(rank, kind="stable")]
        top = table.head(15)  # people_table (mapping.export.people_tables) picks the columns
    return class_table, top


def _chart_files(layer, outdir: Path) -> list[Path]:
    """Copy a chart's PNG and SVG into ``outdir/charts`` (unless an analysis wrote them there)."""
    import shutil

    from layers.common.atomic import atomic_write_path

    out = []
    for src in {Path(layer.data), *(Path(p) for p in ((layer.meta or {}).get("svg"),) if p)}:
        dest = outdir / "charts" / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.exists() and src.resolve() != dest.resolve():
            with atomic_write_path(dest) as tmp:
                shutil.copyfile(src, tmp)
        out.append(dest)
    return out


def _chart_tables(layer, all_layers, used: set) -> list:
    """The tables a chart shows: its analysis's tables named after it (``x_age_band`` for
    ``x_age_band_chart``; a ``_display`` version in place of the raw one), not those of a
    more specific chart of the same analysis, each used once."""
    analysis = layer.source.get("analysis")
    if not analysis:
        return []
    stem = layer.name[:-len("_chart")] if layer.name.endswith("_chart") else layer.name
    mine = [t for t in all_layers if t.kind == "table" and t.source.get("analysis") == analysis
            and t.name not in used]
    charts = [c.name[:-len("_chart")] for c in all_layers if c.kind == "figure"
              and c.source.get("analysis") == analysis and c.name.endswith("_chart")]
    longer = [c for c in charts if c != stem and c.startswith(stem)]
    hits = [t for t in mine if t.name.startswith(stem)
            and not any(t.name.startswith(c) for c in longer)]
    names = {t.name for t in hits}
    hits = [t for t in hits if t.name + "_display" not in names]  # the people's version
    used.update(t.name for t in hits)
    return hits


def _chart_entry(layer, all_layers, outdir: Path, rules: DisclosureRules, used: set):
    """An audit-pack entry for a chart, with the tables it shows."""
    from PIL import Image

    from mapping.export.report import ReportEntry

    meta = layer.meta or {}
    image = outdir / "charts" / Path(layer.data).name
    with Image.open(image) as im:  # the size from the header; no need to decode the pixels
        width, height = im.size
    raw = [(_table_title(t), display_table(t.data, rules, t.meta), t.meta or {}, None,
            f"tables/{_slug(t.name)}.csv")
           for t in _chart_tables(layer, all_layers, used) if hasattr(t.data, "columns")]
    return ReportEntry(title=meta.get("title") or layer.name, image=image,
                       caption=str(meta.get("caption") or meta.get("title") or layer.name),
                       notes=_method_text(meta), landscape=width >= height,
                       aspect=width / height, analysis=layer.source.get("analysis") or "",
                       raw_tables=raw)


def _table_title(t) -> str:
    """A table's title in words: its own, else its name after the analysis's."""
    title = (t.meta or {}).get("title")
    if title:
        return str(title)
    name = t.name.replace("_display", "").replace("_", " ")
    return name[:1].upper() + name[1:]


def _method_text(meta) -> str:
    """The method, selection, period, base n and parameters of a result, as sentences."""
    from mapping.core.meta import notes_sentences

    return " ".join(notes_sentences(meta or {}))


def write_outputs(layers, maps, outdir, *, project_meta: dict | None = None,
                  rules: DisclosureRules | None = None, formats=("png", "svg", "pdf"),
                  html: bool = True, report: bool = True,
                  workers: int | None = None) -> list[Path]:
    """Write all maps, the GeoPackage, tables, surfaces, HTML map and DOCX audit pack.

    :func:`mapping.export.output_plan.plan_outputs` then :func:`~mapping.export.output_plan.write_planned`: the outputs are written in
    worker processes (one map, table or file each), the audit pack once the
    maps are; with ``workers=1`` everything is written in this process, to the
    same bytes.

    Parameters
    ----------
    layers : LayerStack or list of Layer
        Everything the project loaded and computed.
    maps : list of MapComposition
        The maps to draw (see :func:`default_composition`).
    outdir : str or Path
        Output folder (created if needed).
    project_meta : dict, optional
        ``title``, ``area``, ``period``, ``fictional``...
    rules : DisclosureRules, optional
        Disclosure control (on by default).
    workers : int, optional
        Worker processes (default: ``HOTMAP_WORKERS``, else the CPUs available).

    Returns
    -------
    list of Path
        Every file written.
    """
    from mapping.export.output_plan import plan_outputs, write_planned

    plan = plan_outputs(layers, maps, outdir, project_meta=project_meta, rules=rules,
                        formats=formats, html=html, report=report)
    return write_planned(plan, workers=workers)


def _methods(all_layers) -> list[tuple[str, str]]:
    """One Methods entry per analysis (not one per table, display copy and chart of it):
    its main result's title and each distinct method text of its layers, once."""
    groups: dict = {}
    for lyr in all_layers:
        m = lyr.meta or {}
        if not m.get("method"):
            continue
        key = (lyr.source or {}).get("analysis") or lyr.name
        groups.setdefault(key, []).append(lyr)
    out = []
    for key, lyrs in groups.items():
        main = next((x for x in lyrs if x.name == key), lyrs[0])
        texts = list(dict.fromkeys(_method_text(x.meta or {}) for x in lyrs))
        out.append(((main.meta or {}).get("title") or main.name, " ".join(texts)))
    return out


def _write_pack(path, entries, all_layers, meta, rules, fictional) -> Path:
    """The audit pack: sections by strand with findings, glossary and data limitations."""
    from mapping.core.attribution import attribution_lines
    from mapping.disclosure.rules import describe_rules
    from mapping.export.glossary import data_limitations
    from mapping.export.people_tables import is_hidden
    from mapping.export.report import write_report
    from mapping.export.report_sections import build_sections

    sections = build_sections(entries, all_layers, rules)
    hidden = sum(int(t.table.map(is_hidden).to_numpy().sum()) for s in sections
                 for e in s.entries for t in e.tables)
    rule_lines = describe_rules(rules)
    limits = data_limitations(all_layers, meta, rule_lines=rule_lines, hidden_cells=hidden,
                              fragile_sections=[s.title for s in sections if s.fragile])
    methods = _methods(all_layers)
    return write_report(path, entries, project_meta=meta, methods=methods,
                        sources=attribution_lines(all_layers, fictional=fictional),
                        rule_lines=rule_lines, fictional=fictional, sections=sections,
                        limitations=limits)
