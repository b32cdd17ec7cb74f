"""The audit pack's entries beyond the maps, and the pack itself.

:func:`chart_files` copies an analysis's charts into ``charts/``;
:func:`chart_entry` makes a chart's entry with the tables it shows;
:func:`summary_tables` gives a map's class and top-areas tables; :func:`write_pack`
writes ``audit_pack.docx`` (sections by strand, findings, glossary, data
limitations) through :func:`mapping.export.report.write_report`.  The plan that
calls them is :mod:`mapping.export.output_plan`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from layers.common.atomic import atomic_write_path
from mapping.core.attribution import attribution_lines
from mapping.core.meta import notes_sentences
from mapping.disclosure.rules import DisclosureRules, describe_rules, display_table
from mapping.export.filenames import slug
from mapping.export.glossary import data_limitations
from mapping.export.people_tables import is_hidden
from mapping.export.report import ReportEntry, write_report
from mapping.export.report_sections import build_sections

__all__ = ["chart_files", "chart_entry", "summary_tables", "write_pack", "method_text",
           "table_title"]


def summary_tables(layer, info, rules: DisclosureRules):
    """Return (class table, top-areas table) for the audit pack, both safe to publish.

    The top table holds the 15 areas with the highest values of a numeric map, or of a
    class map the areas of its legend's first classes."""
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


def chart_files(layer, outdir: Path) -> list[Path]:
    """Copy a chart's PNG and SVG into ``outdir/charts`` (unless an analysis wrote them there)."""
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


def chart_entry(layer, all_layers, outdir: Path, rules: DisclosureRules, used: set):
    """An audit-pack entry for a chart, with the tables it shows."""
    from PIL import Image  # imported here: only a run with charts needs Pillow

    meta = layer.meta or {}
    image = outdir / "charts" / Path(layer.data).name
    with Image.open(image) as im:  # the size from the header; no need to decode the pixels
        width, height = im.size
    raw = [(table_title(t), display_table(t.data, rules, t.meta), t.meta or {}, None,
            f"tables/{slug(t.name)}.csv")
           for t in _chart_tables(layer, all_layers, used) if hasattr(t.data, "columns")]
    return ReportEntry(title=meta.get("title") or layer.name, image=image,
                       caption=str(meta.get("caption") or meta.get("title") or layer.name),
                       notes=method_text(meta), landscape=width >= height,
                       aspect=width / height, analysis=layer.source.get("analysis") or "",
                       raw_tables=raw)


def table_title(t) -> str:
    """A table's title in words: its own, else its name after the analysis's."""
    title = (t.meta or {}).get("title")
    if title:
        return str(title)
    name = t.name.replace("_display", "").replace("_", " ")
    return name[:1].upper() + name[1:]


def method_text(meta) -> str:
    """The method, selection, period, base n and parameters of a result, as sentences."""
    return " ".join(notes_sentences(meta or {}))



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
        texts = list(dict.fromkeys(method_text(x.meta or {}) for x in lyrs))
        out.append(((main.meta or {}).get("title") or main.name, " ".join(texts)))
    return out


def write_pack(path, entries, all_layers, meta, rules, fictional) -> Path:
    """The audit pack: sections by strand with findings, glossary and data limitations."""
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
