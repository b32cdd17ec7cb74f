"""The DOCX audit pack (python-docx): maps, captions, notes, tables, methods and sources.

Structure: a title and front matter; one section per map (page orientation
follows the map) with the map image at full usable width, a numbered caption,
the notes, and a summary table; then "Methods", "Data sources and licences"
and "Disclosure control" sections.  Tables carry the suppressed values
(``"<5"``) that :func:`mapping.disclosure.display_table` produces.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

from layers.atomic import atomic_write_path

__all__ = ["ReportEntry", "write_report"]


@dataclass
class ReportEntry:
    """One map in the audit pack.

    Attributes
    ----------
    title : str
        Map title (the heading).
    image : Path
        PNG of the map.
    caption : str
        Caption text (numbered automatically).
    notes : str
        Notes (period, base n, method and parameters, disclosure rules).
    table : DataFrame or None
        Summary table, already made safe for people to read.
    table_title : str
        Heading above the table.
    landscape : bool
        Page orientation for this map's section.
    """

    title: str
    image: Path
    caption: str = ""
    notes: str = ""
    table: object = None
    table_title: str = "Summary table"
    landscape: bool = True
    extra_tables: list = field(default_factory=list)
    aspect: float | None = None  # image width / height; default: the page orientation's


def _set_orientation(section, landscape: bool, margin_cm: float = 1.5):
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    w, h = Cm(21.0), Cm(29.7)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (h, w) if landscape else (w, h)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(margin_cm))


def _add_table(doc, df, max_rows: int = 40):
    from docx.shared import Pt

    df = df.head(max_rows)
    table = doc.add_table(rows=1, cols=len(df.columns))
    table.style = "Light Grid Accent 1" if "Light Grid Accent 1" in [
        s.name for s in doc.styles] else "Table Grid"
    for cell, name in zip(table.rows[0].cells, df.columns):
        cell.text = str(name)
    for row in df.itertuples(index=False):
        cells = table.add_row().cells
        for cell, v in zip(cells, row):
            cell.text = _cell(v)
    for row in table.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                for r in p.runs:
                    r.font.size = Pt(8)
    return table


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def write_report(path, entries, *, project_meta: dict | None = None,
                 methods: list[tuple[str, str]] | None = None,
                 sources: list[str] | None = None, rule_lines: list[str] | None = None,
                 fictional: bool = False) -> Path:
    """Write the audit pack.

    Parameters
    ----------
    path : str or Path
        ``.docx`` file to write (atomically).
    entries : list of ReportEntry
        The maps, in order.
    project_meta : dict, optional
        ``title``, ``area``, ``author``, ``period``, ``description``.
    methods : list of (str, str), optional
        (analysis name, plain description with parameters).
    sources : list of str, optional
        Attribution and licence lines.
    rule_lines : list of str, optional
        Disclosure rules applied.
    fictional : bool
        Add a prominent fictional-data warning.

    Returns
    -------
    Path
    """
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.shared import Cm, Pt, RGBColor

    meta = project_meta or {}
    doc = Document()
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(10)
    _set_orientation(doc.sections[0], False)
    doc.core_properties.title = meta.get("title") or "hotmap audit pack"
    doc.core_properties.author = meta.get("author") or "hotmap"
    doc.add_heading(meta.get("title") or "Audit pack", level=0)
    front = [f"Produced by hotmap on {_dt.date.today():%d %B %Y}."]
    if meta.get("area"):
        front.append(f"Area: {meta['area']}.")
    if meta.get("period"):
        front.append(f"Period: {meta['period']}.")
    doc.add_paragraph(" ".join(front))
    if meta.get("description"):
        doc.add_paragraph(str(meta["description"]))
    if fictional:
        p = doc.add_paragraph()
        run = p.add_run("FICTIONAL DATA: every map and table in this pack is built from "
                        "fictional demonstration data, not real events, people or places.")
        run.bold = True
        run.font.color.rgb = RGBColor(0xB2, 0x18, 0x2B)
    doc.add_paragraph(f"Contents: {len(entries)} maps and charts with notes and summary tables; "
                      "methods; data sources and licences; disclosure control.")
    for i, e in enumerate(entries, 1):
        doc.add_paragraph(f"Figure {i}. {e.title}")
    n_table = 0
    for i, e in enumerate(entries, 1):
        section = doc.add_section(WD_SECTION.NEW_PAGE)
        _set_orientation(section, e.landscape, margin_cm=1.0)
        usable_w = section.page_width - section.left_margin - section.right_margin
        usable_h = section.page_height - section.top_margin - section.bottom_margin
        doc.add_heading(e.title, level=1)
        aspect = e.aspect or (297 / 210 if e.landscape else 210 / 297)
        width = min(usable_w, int((usable_h - Cm(3.0)) * aspect))  # room for heading+caption
        doc.add_picture(str(e.image), width=width)
        cap = doc.add_paragraph(f"Figure {i}. {e.caption or e.title}", style="Caption")
        cap.paragraph_format.space_after = Pt(6)
        if e.notes:
            doc.add_heading("Notes", level=2)
            for line in e.notes.split("\n"):
                if line.strip():
                    doc.add_paragraph(line)
        for title, table in [(e.table_title, e.table)] + list(e.extra_tables):
            if table is None or len(table) == 0:
                continue
            n_table += 1
            doc.add_heading(title, level=2)
            _add_table(doc, table)
            doc.add_paragraph(f"Table {n_table}. {e.title}: {title.lower()}. Full tables are "
                              "in the tables folder.", style="Caption")
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _set_orientation(section, False)
    doc.add_heading("Methods", level=1)
    for name, text in methods or [("Maps", "See each map's notes.")]:
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(f"{name}: ").bold = True
        p.add_run(text)
    doc.add_heading("Data sources and licences", level=1)
    for line in sources or ["No source licences were recorded for these layers."]:
        doc.add_paragraph(line, style="List Bullet")
    doc.add_heading("Disclosure control", level=1)
    for line in rule_lines or []:
        doc.add_paragraph(line)
    path = Path(path)
    with atomic_write_path(path) as tmp:
        doc.save(str(tmp))
    return path
