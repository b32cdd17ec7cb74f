"""Everything a project run writes: maps, layers, tables, the HTML map and the audit pack.

:func:`write_outputs` is what ``hotmap run`` and ``hotmap demo`` call after the
analyses have run; :func:`default_composition` builds a sensible map for an
analysis result when the project file declares none.

Output folder layout::

    maps/<map>.png|.svg|.pdf   one page per map composition
    layers.gpkg                all layers, EPSG:27700 (surfaces as raster tables)
    tables/<layer>.csv         attribute tables ("<5" for suppressed counts)
    tables/tables.xlsx         the same tables as one workbook
    surfaces/<layer>.tif       KDE and other surfaces, EPSG:27700
    map.html                   offline interactive map
    audit_pack.docx            maps, notes, summary tables, methods, sources
"""

from __future__ import annotations

import re
from pathlib import Path

from layers.errors import InputError
from mapping.compose import MapComposition
from mapping.disclosure import DisclosureRules, apply_rules, display_table

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
    if layer.kind == "surface":
        over = {"transparent_low": True, "scheme": "equal_interval", "k": 5, "palette": "YlOrRd",
                "opacity": 0.9}
    elif meta.get("bivariate"):
        b = meta["bivariate"]
        over = {"column": f"{b.get('x')},{b.get('y')}", "scheme": "bivariate",
                "edgecolor": "#ffffff", "linewidth": 0.3}
    elif col and (_GISTAR_HINT.search(str(col)) or _GISTAR_HINT.search(str(meta.get("method")))):
        over = {"column": col, "scheme": "gistar", "edgecolor": "#ffffff", "linewidth": 0.3}
    elif layer.kind in ("areas", "grid") and col:
        over = {"column": col, "scheme": "quantiles", "k": 5, "palette": "YlOrRd",
                "edgecolor": "#ffffff", "linewidth": 0.3}
    over = {k: v for k, v in over.items() if k not in hints}
    overrides = {layer.name: over} if over else {}
    names = []
    bases = list(base_layers)
    for b in bases:
        if b.kind == "points" and b.name != layer.name:
            names.append(b.name)
    names_under = [b.name for b in bases if b.kind in ("areas", "grid") and layer.kind == "points"]
    names_over = [b.name for b in bases if b.kind in ("areas", "grid") and layer.kind != "points"]
    for n in names_over:
        overrides[n] = {"color": "none", "edgecolor": "#4d4d4d", "linewidth": 0.5}
    names_base = [b.name for b in bases if b.kind == "basemap"]
    layer_order = names_base + names_under + [layer.name] + names_over + names
    return MapComposition(name=layer.name, title=meta.get("title") or layer.name,
                          subtitle=str(meta.get("period") or meta.get("subtitle") or ""),
                          layers=layer_order, style_overrides=overrides, fictional=fictional)


def summary_tables(layer, info, rules: DisclosureRules):
    """Return (class table, top-areas table) for the audit pack, both safe to publish."""
    import pandas as pd

    cls = info.classification if info is not None else None
    class_table = None
    if cls is not None and cls.scheme != "bivariate":
        unit = {"raster": "Cells", "point": "Points"}.get(info.geom, "Areas")
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
        keep = [c for c in table.columns if table[c].dtype == object or
                str(c).lower() in {"count", "n"}][:7]
        if col in table.columns and col not in keep:
            keep = keep[:6] + [col]
        top = table[keep].head(15) if keep else table.head(15)
    return class_table, top


def _chart_files(layer, outdir: Path) -> list[Path]:
    """Copy a chart's PNG and SVG into ``outdir/charts`` (unless an analysis wrote them there)."""
    import shutil

    from layers.atomic import atomic_write_path

    out = []
    for src in {Path(layer.data), *(Path(p) for p in ((layer.meta or {}).get("svg"),) if p)}:
        dest = outdir / "charts" / src.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.exists() and src.resolve() != dest.resolve():
            with atomic_write_path(dest) as tmp:
                shutil.copyfile(src, tmp)
        out.append(dest)
    return out


def _chart_entry(layer, all_layers, outdir: Path, rules: DisclosureRules, used: set):
    """An audit-pack entry for a chart, with its analysis's tables (each table used once)."""
    from matplotlib.image import imread

    from mapping.report import ReportEntry

    meta = layer.meta or {}
    image = outdir / "charts" / Path(layer.data).name
    height, width = imread(str(image)).shape[:2]
    analysis = layer.source.get("analysis")
    tables = [t for t in all_layers if t.kind == "table" and t.name not in used
              and analysis and t.source.get("analysis") == analysis]
    used.update(t.name for t in tables)
    safe = [(t.meta.get("title") or t.name, display_table(t.data, rules, t.meta).head(40))
            for t in tables if hasattr(t.data, "columns")]
    first = safe[0] if safe else ("", None)
    return ReportEntry(title=meta.get("title") or layer.name, image=image,
                       caption=str(meta.get("caption") or meta.get("title") or layer.name),
                       notes=_method_text(meta), table=first[1], table_title=first[0],
                       landscape=width >= height, extra_tables=safe[1:],
                       aspect=width / height)


def _method_text(meta) -> str:
    bits = [str(meta.get("method") or "")]
    params = meta.get("params") or {}
    if params:
        bits.append("Parameters: " + ", ".join(f"{k} = {v}" for k, v in params.items()) + ".")
    for key, label in (("period", "Period"), ("base_n", "Base n"), ("vintage", "Data vintage")):
        if meta.get(key) is not None:
            bits.append(f"{label}: {meta[key]}.")
    return " ".join(b for b in bits if b)


def write_outputs(layers, maps, outdir, *, project_meta: dict | None = None,
                  rules: DisclosureRules | None = None, formats=("png", "svg", "pdf"),
                  html: bool = True, report: bool = True) -> list[Path]:
    """Write all maps, the GeoPackage, tables, surfaces, HTML map and DOCX audit pack.

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

    Returns
    -------
    list of Path
        Every file written.
    """
    from mapping.attribution import attribution_lines
    from mapping.data_export import (export_geopackage, export_geotiff, export_table,
                                     export_tables_xlsx)
    from mapping.disclosure import describe_rules
    from mapping.export import export_map
    from mapping.layout import composition_notes, select_layers
    from mapping.render import render_composition

    meta = dict(project_meta or {})
    if not meta.get("title") and meta.get("name"):
        meta["title"] = f"{meta['name']}: audit pack"
    rules = rules or DisclosureRules()
    all_layers = list(layers)
    outdir = Path(outdir)
    for sub in ("maps", "tables", "surfaces"):
        (outdir / sub).mkdir(parents=True, exist_ok=True)
    fictional = bool(meta.get("fictional")) or any(m.fictional for m in maps)
    written: list[Path] = []
    entries = []
    from mapping.report import ReportEntry

    for comp in maps:
        fig = render_composition(comp, all_layers, rules=rules)
        for fmt in formats:
            written.append(export_map(comp, all_layers, outdir / "maps" / f"{comp.slug}.{fmt}",
                                      figure=fig))
        png = outdir / "maps" / f"{comp.slug}.png"
        if "png" not in formats:
            written.append(export_map(comp, all_layers, png, figure=fig))
        chosen = select_layers(comp, all_layers)
        notes = composition_notes(comp, chosen, fig._hotmap_rule_lines)
        infos = {i.name: i for i in fig._hotmap_infos}
        safe, _ = apply_rules(chosen, rules, purpose="report")
        main = next((lyr for lyr in reversed(safe) if lyr.name in infos and
                     infos[lyr.name].classification is not None), None)
        cls_t, top_t = (summary_tables(main, infos[main.name], rules) if main is not None
                        else (None, None))
        extra = [("Areas with the highest values", top_t)] if top_t is not None else []
        entries.append(ReportEntry(title=comp.title or comp.name, image=png,
                                   caption=" – ".join(t for t in (comp.title, comp.subtitle)
                                                      if t),
                                   notes=notes, table=cls_t, table_title="Classes",
                                   landscape=comp.size_mm[0] >= comp.size_mm[1],
                                   extra_tables=extra))
        fig.clear()

    used: set = set()
    for lyr in all_layers:
        if lyr.kind == "figure":
            written += _chart_files(lyr, outdir)
            entries.append(_chart_entry(lyr, all_layers, outdir, rules, used))
    exportable = [lyr for lyr in all_layers if lyr.data is not None
                  and (hasattr(lyr.data, "columns") or lyr.kind == "surface")]
    written.append(export_geopackage(exportable, outdir / "layers.gpkg", rules=rules))
    for lyr in exportable:
        try:
            if lyr.kind == "surface":
                written.append(export_geotiff(lyr, outdir / "surfaces" / f"{_slug(lyr.name)}.tif",
                                              rules=rules))
            elif hasattr(lyr.data, "columns"):
                written.append(export_table(lyr, outdir / "tables" / f"{_slug(lyr.name)}.csv",
                                            rules=rules))
        except InputError:
            continue  # withheld by disclosure control; the notes say so
    written.append(export_tables_xlsx(exportable, outdir / "tables" / "tables.xlsx",
                                      rules=rules))
    if html:
        from mapping.html import export_html

        names = []
        for comp in maps:
            for n in (comp.layers or [lyr.name for lyr in all_layers]):
                if n not in names:
                    names.append(n)
        order = [lyr for lyr in all_layers if lyr.name in names] or all_layers
        overrides = {}
        for comp in maps:
            for k, v in comp.style_overrides.items():
                overrides.setdefault(k, v)
        written.append(export_html(order, outdir / "map.html", rules=rules,
                                   title=meta.get("title") or "hotmap map",
                                   overrides=overrides, fictional=fictional))
    if report:
        from mapping.report import write_report

        methods = [((lyr.meta or {}).get("title") or lyr.name, _method_text(lyr.meta or {}))
                   for lyr in all_layers if (lyr.meta or {}).get("method")]
        written.append(write_report(outdir / "audit_pack.docx", entries, project_meta=meta,
                                    methods=methods,
                                    sources=attribution_lines(all_layers, fictional=fictional),
                                    rule_lines=describe_rules(rules), fictional=fictional))
    return written
