"""The DOCX audit pack: structure, and a page rendered through LibreOffice (issue 6)."""

import shutil
import subprocess

import pandas as pd
import pytest

from docx import Document

from export_fixtures import rates_layer
from mapping.compose import MapComposition
from mapping.export import export_map
from mapping.report import ReportEntry, write_report


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
    assert h1 == ["Rates map", "Second map", "Methods", "Data sources and licences",
                  "Disclosure control"]
    assert len(doc.inline_shapes) == 2
    assert len(doc.tables) == 2
    assert [c.text for c in doc.tables[0].rows[0].cells] == ["Class", "Range", "Areas"]
    caps = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert "Figure 1. Rates 2019" in caps and "Figure 2. Second map" in caps
    assert any(c.startswith("Table 2. Second map: top areas") for c in caps)
    assert any("FICTIONAL DATA" in p.text for p in doc.paragraphs)
    # map at full usable width of its (landscape) section
    sec = doc.sections[1]
    usable = sec.page_width - sec.left_margin - sec.right_margin
    assert doc.inline_shapes[0].width <= usable
    assert doc.inline_shapes[0].width > 0.8 * usable
    assert doc.sections[1].page_width > doc.sections[1].page_height  # landscape map page
    assert doc.sections[2].page_width < doc.sections[2].page_height  # portrait map page


@pytest.mark.slow
def test_renders_through_libreoffice(pack, tmp_path):
    lo = shutil.which("libreoffice") or shutil.which("soffice")
    if lo is None or shutil.which("pdftoppm") is None:
        pytest.skip("libreoffice or pdftoppm not installed (apt-get install "
                    "libreoffice-writer-nogui poppler-utils)")
    subprocess.run([lo, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(pack)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "pack.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "2", "-l", "2", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    pngs = list(tmp_path.glob("page*.png"))
    assert len(pngs) == 1
    from PIL import Image

    im = Image.open(pngs[0]).convert("L")
    assert im.width > im.height  # the map page is landscape
    assert min(im.getdata()) < 50  # something dark (the map) is drawn
