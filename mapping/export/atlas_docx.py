"""The atlas as a Word document: one section per area (python-docx).

Each section has the area's name and code as its heading, the atlas page
(map, locator, legend, figures and trend) as a picture, and the same figures,
finer areas and monthly counts as tables, so they can be copied and read by
a screen reader.  Hidden cells carry the disclosure helper's labels.
"""

from __future__ import annotations

from pathlib import Path

from layers.common.atomic import atomic_write_path

__all__ = ["write_atlas_docx"]


def _table(doc, header, rows):
    from docx.shared import Pt

    t = doc.add_table(rows=1, cols=len(header))
    t.style = "Table Grid"
    for cell, h in zip(t.rows[0].cells, header):
        cell.text = str(h)
        for r in cell.paragraphs[0].runs:
            r.bold = True
    for row in rows:
        for cell, v in zip(t.add_row().cells, row):
            cell.text = str(v)
    for row in t.rows:
        for cell in row.cells:
            for p in cell.paragraphs:
                for r in p.runs:
                    r.font.size = Pt(8)
    return t


def write_atlas_docx(atlas, path, *, png_dir=None) -> Path:
    """Write the atlas as a DOCX, one section per area; ``png_dir`` holds the page images."""
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(10)
    sec = doc.sections[0]
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(1.5))
    doc.core_properties.title = f"Atlas: {atlas.title}"
    doc.add_heading(f"Atlas: {atlas.title}", level=0)
    doc.add_paragraph(f"One section per area of {atlas.by_title}"
                      + (f", {atlas.subtitle}" if atlas.subtitle else "") + ".")
    if atlas.fictional:
        run = doc.add_paragraph().add_run("FICTIONAL DATA: built from fictional demonstration "
                                          "data, not real events, people or places.")
        run.bold = True
        run.font.color.rgb = RGBColor(0xB2, 0x18, 0x2B)
    for line in list(atlas.notes) + list(atlas.rule_lines):
        doc.add_paragraph(line)
    if atlas.attribution:
        doc.add_paragraph(atlas.attribution)
    for k, area in enumerate(atlas.areas, 1):
        doc.add_section(WD_SECTION.NEW_PAGE)
        doc.add_heading(f"{area.name} ({area.code})", level=1)
        png = Path(png_dir) / f"page_{k:04d}.png" if png_dir else None
        if png is not None and png.exists():
            doc.add_picture(str(png), height=Cm(24.5))
        doc.add_heading("Figures", level=2)
        if area.figures:
            _table(doc, ["Figure", "Value"], area.figures)
        else:
            doc.add_paragraph("The result has no row for this area.")
        if area.subareas is not None and len(area.subareas):
            doc.add_heading("Finer areas inside it", level=2)
            _table(doc, list(area.subareas.columns), area.subareas.astype(str).values.tolist())
        if area.trend is not None and len(area.trend):
            doc.add_heading("Records per month", level=2)
            _table(doc, ["Month", "Records"],
                   [(f"{m:%b %Y}", s) for m, s in zip(area.trend["month"], area.trend["shown"])])
    path = Path(path)
    with atomic_write_path(path) as tmp:
        doc.save(str(tmp))
    return path
