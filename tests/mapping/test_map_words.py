"""Maps exported from real data say what they show and whose data it is.

A project on Bristol's LSOAs and police.uk street crimes maps Drugs offences
(``crime_type == 'Drugs'``) as rates and as a density surface.  Every map PDF
(read back with ``pdftotext``), the DOCX audit pack, the HTML map and the
GeoTIFF's tags must state the subject ("Drugs offences", never "crime" or the
layer's internal name), the filter in words, and carry the police.uk and ONS
licence lines.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import SHARED

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

MONTHS = ("2018-10", "2018-11", "2018-12", "2019-01")
POLICE_LINE = "Contains public sector information licensed under the Open Government Licence v3.0"
ONS_LINES = ("Source: Office for National Statistics licensed under the Open Government",
             "Contains National Statistics data © Crown copyright and database right")


@pytest.fixture(scope="module")
def bristol_run(tmp_path_factory):
    import tomli_w

    if not SHARED.exists():
        pytest.skip(f"real data not found at {SHARED}: set HOTMAP_SHARED_DATA")
    from mapping.pipeline.runner import run_project

    d = tmp_path_factory.mktemp("bristol")
    doc = {"schema_version": 1, "project": {"name": "Bristol drugs audit (test)"},
           "boundaries": [{"name": "lsoa", "code_field": "LSOA11CD", "paths": [
               str(SHARED / "boundaries" / "bristol_lsoa2011_E06000023.geojson")],
               "tables": [{"path": str(SHARED / "population" /
                                       "mysociety_lsoa_population_mid2019_uk.csv"),
                           "key": "lsoa", "columns": ["pop"]}]}],
           "records": [{"name": "street", "paths": [
               str(SHARED / "police_uk" / f"{m}-avon-and-somerset-street.csv") for m in MONTHS]}],
           "analyses": [
               {"name": "drugs_rates", "kind": "count",
                "params": {"areas": "lsoa", "points": "street", "population": "pop",
                           "filter": "crime_type == 'Drugs'"}},
               {"name": "drugs_density", "kind": "kde",
                "params": {"points": "street", "boundary": "lsoa", "cell_size": 50,
                           "bandwidth": 300, "filter": "crime_type == 'Drugs'"}}]}
    proj = d / "bristol.hotmap.toml"
    proj.write_text(tomli_w.dumps(doc), "utf-8")
    out = d / "out"
    run_project(proj, out)
    return out


def _flat(text: str) -> str:
    return " ".join(text.replace("ﬀ", "ff").split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) "
                    "is not installed: apt-get install poppler-utils")
@pytest.mark.parametrize("name,title", [("drugs_rates", "Drugs offences per 10,000 residents"),
                                        ("drugs_density", "Density of Drugs offences")])
def test_map_pdf_states_subject_filter_and_licences(bristol_run, name, title):
    pdf = bristol_run / "maps" / f"{name}.pdf"
    text = _flat(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                text=True, check=True).stdout)
    assert title in text
    assert "Records selected: crime type is Drugs" in text
    assert "Oct 2018 – Jan 2019" in text
    assert POLICE_LINE in text and all(line in text for line in ONS_LINES)
    assert "street per" not in text and "crime per" not in text.lower()


def test_audit_pack_html_and_geotiff_say_the_same(bristol_run):
    import rasterio
    from docx import Document

    doc = Document(str(bristol_run / "audit_pack.docx"))
    text = _flat("\n".join(p.text for p in doc.paragraphs))
    assert "Drugs offences per 10,000 residents" in text
    assert "Records selected: crime type is Drugs" in text
    assert POLICE_LINE in text and ONS_LINES[1] in text
    html = (bristol_run / "map.html").read_text("utf-8")
    assert "data.police.uk" in html and "National Statistics data" in html
    with rasterio.open(bristol_run / "surfaces" / "drugs_density.tif") as src:
        tags = src.tags()
    assert tags["subject"] == "Drugs offences" and tags["filter"] == "crime_type == 'Drugs'"
    assert "police_uk" in tags["attribution"] and "ons" in tags["attribution"]
    assert float(tags["bandwidth_m"]) == 300
