"""The audit pack on Bristol data (issue 17): strands, contents, findings that equal the
result tables, people-facing tables, glossary, limitations, and the project's atlas."""

import re

import numpy as np
import pandas as pd
import pytest

from bristol_project import write_bristol_project

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

ATLAS = '''
[[atlases]]
name = "ward_atlas"
analysis = "drugs_wards"
by = "wards"
docx = false
'''


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from docx import Document

    from mapping.pipeline.runner import run_project

    folder = tmp_path_factory.mktemp("pack")
    report = run_project(write_bristol_project(folder, extra=ATLAS), folder / "out")
    return folder / "out", Document(str(folder / "out" / "audit_pack.docx")), report


def _paras(doc, style):
    return [p.text for p in doc.paragraphs if p.style.name == style]


def test_strands_in_order_with_contents_glossary_and_limitations(run):
    from mapping.export.strands import STRANDS

    _, doc, _ = run
    h1 = _paras(doc, "Heading 1")
    titles = [t for t, _ in STRANDS.values()]
    assert h1[:2] == ["Contents", "Summary of key findings"]
    strands = [h for h in h1 if h in titles]
    assert strands == sorted(strands, key=titles.index) == ["Breaking drug supply",
                                                            "Safer communities"]
    assert h1[-5:] == ["Glossary of terms and methods", "Data limitations", "Methods",
                       "Data sources and licences", "Disclosure control"]
    text = [p.text for p in doc.paragraphs]
    # the project's override put the ward counts under "Safer communities"
    i_comm = text.index("Safer communities", text.index("Summary of key findings"))
    assert text.index("Drugs offences per area", i_comm) > i_comm
    contents = text[text.index("Contents"):text.index("Summary of key findings")]
    assert any(t.startswith("Drugs offences per 10,000 residents (Figure") for t in contents)
    assert any("Concentration in the most deprived areas" in t for t in contents)
    gloss = " ".join(text[text.index("Glossary of terms and methods"):])
    for term in ("Rate per 10,000", "Confidence interval", "Gi*", "LISA", "KDE", "FDR",
                 "Funnel plot", "PAI", "2SFCA", "EB smoothing", "IMD deciles"):
        assert term in gloss, term
    limits = " ".join(text[text.index("Data limitations"):text.index("Methods",
                                                                     text.index("Data limitations"))])
    assert "snap points" in limits and "Wards (2013)" in limits and "LSOAs (2011)" in limits
    assert "rejected" in limits or "without a usable location" in limits
    assert "Disclosure control was applied" in limits and "Small numbers" in limits


def test_tables_are_for_people_and_captions_are_numbered(run):
    _, doc, _ = run
    internal = re.compile(r"^(suppressed|display_count|base_n|small_number|.*_suppressed|"
                          r"[a-z]+(_[a-z0-9]+)+)$")
    for t in doc.tables:
        for cell in t.rows[0].cells:
            assert not internal.match(cell.text), cell.text
    caps = [c for c in _paras(doc, "Caption") if c.startswith("Table ")]
    nums = [int(re.match(r"Table (\d+)\.", c).group(1)) for c in caps]
    assert nums == list(range(1, len(nums) + 1))
    assert "Table 1. Map classes: Drugs offences per 10,000 residents." in caps or \
        any(c.startswith("Table 1. Map classes: ") for c in caps)
    # counts: never a small number, hidden ones carry the disclosure helper's labels
    seen = set()
    for t in doc.tables:
        head = [c.text for c in t.rows[0].cells]
        if "Count" in head:
            j = head.index("Count")
            for row in t.rows[1:]:
                v = row.cells[j].text
                seen.add(v)
                assert v not in ("1", "2", "3", "4")
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert "Suppressed (<5)" in cells


def test_findings_equal_the_result_tables(run):
    out, doc, _ = run
    text = " ".join(p.text for p in doc.paragraphs)
    # concentration: recomputed from the published CSV
    c = pd.read_csv(out / "tables" / "drugs_concentration.csv")
    r = c[c["flag"] == "most_deprived_20"].iloc[0]
    want = (f"{100 * r['n_in'] / r['n']:.1f}% of street crimes and anti-social behaviour "
            f"(police.uk) ({int(r['n_in'])} of {int(r['n'])}) were in the 20% most deprived "
            f"LSOAs, which hold {100 * r['population_in'] / r['population']:.1f}% of residents: "
            f"{r['ratio']:.1f} times their share, 95% CI {r['ci_low']:.1f}–{r['ci_high']:.1f}.")
    assert want in text
    # ... and against an independent reference: police.uk's own LSOA codes, the IMD file
    from tests.conftest import shared_path

    imd = pd.read_csv(shared_path("imd", "imd2019_england_lsoa11_deciles_ranks.csv"))
    code_col = next(col for col in imd.columns if "code" in col.lower())
    dec_col = next(col for col in imd.columns if "decile" in col.lower()
                   and "multiple" in col.lower() or col.lower().startswith("imd_decile"))
    deprived = set(imd.loc[imd[dec_col] <= 2, code_col])
    drugs = pd.read_csv(out.parent / "drugs.csv")
    drugs = drugs[drugs["LSOA name"].astype(str).str.startswith("Bristol")]
    share = drugs["LSOA code"].isin(deprived).mean()
    assert abs(share - r["n_in"] / r["n"]) < 0.02  # police.uk's coding vs point-in-polygon
    # counts on LSOAs: the zero areas and the highest rate, from the CSV
    t = pd.read_csv(out / "tables" / "drugs_lsoa.csv")
    cnt = pd.to_numeric(t["count"], errors="coerce")
    zero = int((cnt == 0).sum())
    assert f"{zero} of the LSOAs ({100 * zero / len(t):.1f}%) had none" in text
    rate = pd.to_numeric(t["rate_per_10k"], errors="coerce")
    top = t.loc[rate.idxmax()]
    assert (f"({top['LSOA11CD']}): {float(top['rate_per_10k']):,.1f} per 10,000 residents "
            f"(95% CI {float(top['rate_lcl']):.1f}–{float(top['rate_ucl']):.1f}") in text
    small = int(((cnt < 5) | cnt.isna()).sum())
    assert f"Small numbers: {small} of {len(t)} LSOAs" in text  # fragile, and said so
    assert "Caution: " in text


def test_project_atlas_written_by_run(run):
    out, _, report = run
    pdf = out / "atlases" / "ward_atlas.pdf"
    assert pdf in report.written and pdf.read_bytes().startswith(b"%PDF")
    assert not (out / "atlases" / "ward_atlas.docx").exists()  # docx = false


def test_empty_and_all_zero_tables_left_out_with_a_sentence(tmp_path):
    from docx import Document

    from export_fixtures import rates_layer
    from mapping.render.compose import MapComposition
    from mapping.disclosure.rules import DisclosureRules
    from mapping.export.maps import export_map
    from mapping.export.report import ReportEntry, write_report
    from mapping.export.report_sections import build_sections

    lyr = rates_layer()
    png = export_map(MapComposition(name="m", title="Rates", layers=["rates"]), [lyr],
                     tmp_path / "m.png", dpi=60)
    empty = pd.DataFrame({"code": [], "count": []})
    zeros = pd.DataFrame({"code": ["a", "b"], "count": [0, 0]})
    e = ReportEntry("Rates", png, raw_tables=[("Nothing here", empty, {}, None, ""),
                                             ("Top areas", zeros, {}, "count", "")])
    secs = build_sections([e], [lyr], DisclosureRules())
    assert secs[0].left_out == ['The table "Nothing here" is left out: it has no rows.',
                                'The table "Top areas" is left out: every area in it has a '
                                'value of zero.']
    path = write_report(tmp_path / "p.docx", [e], sections=secs)
    doc = Document(str(path))
    assert len(doc.tables) == 0
    assert any("is left out: it has no rows" in p.text for p in doc.paragraphs)


def test_chart_tables_matched_by_name():
    from layers.model import Layer
    from mapping.export.audit_pack import _chart_tables

    src = {"analysis": "arrest_breakdown"}
    tables = [Layer(f"arrest_breakdown_{f}{s}", pd.DataFrame({"a": [1]}), kind="table",
                    source=src) for f in ("age_band", "gender") for s in ("", "_display")]
    charts = [Layer(f"arrest_breakdown_{f}_chart", "x.png", kind="figure", source=src)
              for f in ("age_band", "gender")]
    pool = tables + charts
    used: set = set()
    assert [t.name for t in _chart_tables(charts[0], pool, used)] == \
        ["arrest_breakdown_age_band_display"]
    assert [t.name for t in _chart_tables(charts[1], pool, used)] == \
        ["arrest_breakdown_gender_display"]
    trend = [Layer(n, pd.DataFrame({"a": [1]}), kind="table", source={"analysis": "t"})
             for n in ("t_monthly", "t_quarterly")]
    tc = [Layer(n, "x.png", kind="figure", source={"analysis": "t"})
          for n in ("t_chart", "t_quarter_chart")]
    used = set()
    assert [t.name for t in _chart_tables(tc[0], trend + tc, used)] == ["t_monthly"]
    assert [t.name for t in _chart_tables(tc[1], trend + tc, used)] == ["t_quarterly"]


def test_strand_and_atlas_keys_are_validated(tmp_path):
    from layers.common.errors import ProjectError
    from layers.project import Project

    base = {"boundaries": [{"name": "wards", "paths": ["w.geojson"]}],
            "analyses": [{"name": "a", "kind": "count", "strand": "Young people"}]}
    p = Project.from_dict(base, tmp_path / "p.toml")
    assert p.analyses[0].strand == "young_people"
    assert "strand = \"young_people\"" in p.to_toml()
    with pytest.raises(ProjectError, match="strand 'enforcement' is not one of"):
        Project.from_dict({**base, "analyses": [{"name": "a", "kind": "count",
                                                 "strand": "enforcement"}]})
    with pytest.raises(ProjectError, match="analysis 'b' is not an"):
        Project.from_dict({**base, "atlases": [{"analysis": "b", "by": "wards"}]})
    with pytest.raises(ProjectError, match="by 'lsoa' is not a"):
        Project.from_dict({**base, "atlases": [{"analysis": "a", "by": "lsoa"}]})
    ok = Project.from_dict({**base, "atlases": [{"analysis": "a", "by": "wards"}]})
    assert ok.atlases == [{"name": "atlas_a_wards", "analysis": "a", "by": "wards",
                           "docx": True, "enabled": True}]
    assert np.isfinite(1.0)



def test_methods_hold_one_entry_per_analysis():
    """A breakdown's table, display copy and chart used to give three Methods entries each."""
    from layers.model import Layer
    from mapping.export.audit_pack import _methods

    meta = {"title": "Arrests by age band", "method": "counts by group; Wilson intervals",
            "period": "Apr 2022 – Mar 2025", "base_n": 3200}
    src = {"analysis": "arrest_breakdown", "kind": "breakdown"}
    layers = [Layer(n, pd.DataFrame({"a": [1]}), kind="table", source=src, meta=dict(meta))
              for n in ("arrest_breakdown_age_band", "arrest_breakdown_age_band_display")]
    layers.append(Layer("arrest_breakdown_gender", pd.DataFrame({"a": [1]}), kind="table",
                        source=src, meta={**meta, "title": "Arrests by gender"}))
    layers.append(Layer("rates", pd.DataFrame({"a": [1]}), kind="table",
                        source={"analysis": "rates", "kind": "count"},
                        meta={"title": "Rates", "method": "point in polygon"}))
    got = _methods(layers)
    assert [t for t, _ in got] == ["Arrests by age band", "Rates"]
    text = dict(got)["Arrests by age band"]
    assert text.count("Counts by group") == 1  # the same text once, not per copy
