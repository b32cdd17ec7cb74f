"""The DOCX audit pack: structure, and a page rendered through LibreOffice (issue 6)."""

import shutil
import subprocess

import pandas as pd
import pytest

from docx import Document

from export_fixtures import rates_layer
from mapping.render.compose import MapComposition
from mapping.export.maps import export_map
from mapping.export.report import ReportEntry, write_report


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    png = export_map(MapComposition(name="m", title="Rates", layers=["rates"]), [rates_layer()],
                     d / "m.png", dpi=100)
    table = pd.DataFrame({"Class": [1, 2], "Range": ["0 – 5", "5 – 9"], "Areas": [3, 4]})
    entries = [ReportEntry("Rates map", png, caption="Rates 2019", notes="Method: x\nRule: y",
                           table=table, table_title="Classes"),
               ReportEntry("Second map", png, landscape=False,
                           extra_tables=[("Top areas", table)])]
    path = write_report(d / "pack.docx", entries, project_meta={"title": "Audit 2019",
                                                                 "area": "Demo"},
                        methods=[("Rates", "count / population")],
                        sources=["Source: Office for National Statistics ..."],
                        rule_lines=["Disclosure control: counts of 1 to 4 are suppressed"],
                        fictional=True)
    return path


def test_structure_headings_pictures_tables(pack):
    doc = Document(str(pack))
    heads = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith(
        ("Heading", "Title"))]
    assert heads[0] == ("Title", "Audit 2019")
    h1 = [t for s, t in heads if s == "Heading 1"]
    assert h1 == ["Contents", "Rates map", "Second map", "Glossary of terms and methods",
                  "Data limitations", "Methods", "Data sources and licences",
                  "Disclosure control"]
    assert len(doc.inline_shapes) == 2
    assert len(doc.tables) == 2
    assert [c.text for c in doc.tables[0].rows[0].cells] == ["Class", "Range", "Areas"]
    caps = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert "Figure 1. Rates 2019" in caps and "Figure 2. Second map" in caps
    assert "Table 1. Classes." in caps and "Table 2. Top areas." in caps
    assert any("FICTIONAL DATA" in p.text for p in doc.paragraphs)
    # map at full usable width of its (landscape) section
    sec = doc.sections[1]
    usable = sec.page_width - sec.left_margin - sec.right_margin
    assert doc.inline_shapes[0].width <= usable
    assert doc.inline_shapes[0].width > 0.8 * usable
    assert doc.sections[1].page_width > doc.sections[1].page_height  # landscape map page
    assert doc.sections[2].page_width < doc.sections[2].page_height  # portrait map page


def _to_pdf(docx, tmp_path, tool: str):
    """The DOCX rendered by LibreOffice (skips when it or the poppler ``tool`` is missing)."""
    lo = shutil.which("libreoffice") or shutil.which("soffice")
    if lo is None or shutil.which(tool) is None:
        pytest.skip(f"libreoffice or {tool} not installed (apt-get install "
                    "libreoffice-writer-nogui poppler-utils)")
    subprocess.run([lo, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / docx.with_suffix(".pdf").name
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    return pdf


@pytest.mark.slow
def test_renders_through_libreoffice(pack, tmp_path):
    pdf = _to_pdf(pack, tmp_path, "pdftoppm")
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "2", "-l", "2", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    pngs = list(tmp_path.glob("page*.png"))
    assert len(pngs) == 1
    from PIL import Image

    im = Image.open(pngs[0]).convert("L")
    assert im.width > im.height  # the map page is landscape
    assert min(im.getdata()) < 50  # something dark (the map) is drawn


def _pdf_pages(docx, tmp_path) -> list[str]:
    pdf = _to_pdf(docx, tmp_path, "pdftotext")
    subprocess.run(["pdftotext", "-layout", pdf.name], cwd=tmp_path, check=True,
                   capture_output=True, timeout=60)
    return (tmp_path / docx.with_suffix(".txt").name).read_text().split("\f")


def test_a_short_sections_findings_share_its_figures_page_and_wide_tables_fit(tmp_path):
    """No page holds only a heading and two bullet points; a 7 x 24 hour table is printed
    whole (on its side), and a long table's caption says how much of it is shown."""
    from mapping.export.findings import Finding
    from mapping.export.report_sections import ReportSection, ReportTable

    png = export_map(MapComposition(name="m", title="Rates", layers=["rates"]), [rates_layer()],
                     tmp_path / "m.png", dpi=80)
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    hours = pd.DataFrame({"Weekday": days, **{f"{h:02d}": [h * 10 + d for d in range(7)]
                                              for h in range(24)}})
    long = pd.DataFrame({"Area": [f"A{i:03d}" for i in range(60)], "Count": range(60)})
    secs = [ReportSection("a", "Short section", "", findings=[Finding("Alpha finding one."),
                                                              Finding("Beta finding two.")],
                          entries=[ReportEntry("Short section", png, caption="Map A")]),
            ReportSection("b", "Tables", "", tables=[ReportTable("Hours", hours),
                                                     ReportTable("Long", long)])]
    docx = write_report(tmp_path / "pk.docx", [], sections=secs)
    pages = _pdf_pages(docx, tmp_path)
    with_alpha = [p for p in pages if "Alpha finding one" in p and "Contents" not in p
                  and "Summary of key findings" not in p]
    assert len(with_alpha) == 1 and "Figure 1. Map A" in with_alpha[0]
    doc = Document(str(docx))
    grid = next(t for t in doc.tables if t.rows[0].cells[1].text == "Mon")
    assert len(grid.rows) == 25 and len(grid.columns) == 8  # every hour, every day
    assert grid.rows[24].cells[7].text == str(23 * 10 + 6)
    caps = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert any(c.startswith("Table 2. Long. The first 40 of 60 rows.") for c in caps)


def test_cell_text_writes_what_python_docx_text_and_font_size_write():
    from docx import Document
    from docx.shared import Pt

    from mapping.export.report import _cell_text

    doc = Document()
    ours, theirs = doc.add_table(rows=1, cols=3), doc.add_table(rows=1, cols=3)
    for text, a, b in zip(["Area", "1,234", ""], ours.rows[0].cells, theirs.rows[0].cells):
        _cell_text(a._tc, text, Pt(8))
        b.text = text
        for r in b.paragraphs[0].runs:
            r.font.size = Pt(8)
    assert ours._tbl.xml == theirs._tbl.xml
    assert ours.rows[0].cells[1].paragraphs[0].runs[0].font.size == Pt(8)
