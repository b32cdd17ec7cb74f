"""Charts made by analyses reach the audit pack, each with its (suppressed) tables."""

import pandas as pd

from docx import Document
from matplotlib.figure import Figure

from layers.model import Layer
from mapping.disclosure.rules import DisclosureRules
from mapping.export.outputs import write_outputs


def _chart(path):
    fig = Figure(figsize=(8, 4))
    fig.add_subplot().bar([1, 2, 3], [10, 3, 12])
    fig.savefig(path, dpi=60)
    return path


def test_chart_and_its_tables_go_into_the_pack(tmp_path):
    png = _chart(tmp_path / "trend_chart.png")
    src = {"analysis": "trend", "kind": "trend"}
    chart = Layer("trend_chart", str(png), kind="figure", source=src,
                  meta={"title": "Arrests per month", "method": "monthly counts", "base_n": 25})
    table = Layer("trend_monthly", pd.DataFrame({"month": ["2024-01", "2024-02", "2024-03"],
                                                 "count": [10, 3, 12]}),
                  kind="table", source=src, meta={"title": "Arrests per month (table)"})
    other = Layer("unrelated", pd.DataFrame({"count": [50]}), kind="table",
                  source={"analysis": "other"})
    out = tmp_path / "out"
    written = write_outputs([chart, table, other], [], out, rules=DisclosureRules(threshold=5),
                            html=False)
    assert out / "charts" / "trend_chart.png" in written
    assert (out / "charts" / "trend_chart.png").read_bytes() == png.read_bytes()
    doc = Document(out / "audit_pack.docx")
    heads = [p.text for p in doc.paragraphs if p.style.name in ("Heading 1", "Heading 2")]
    assert "Arrests per month" in heads  # its section (under its strand's chapter)
    assert len(doc.inline_shapes) == 1
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "<5" in cells and "3" not in cells, "the count of 3 must be suppressed in the pack"
    first = [c.text for row in doc.tables[0].rows for c in row.cells]
    assert "50" not in first, "a table from another analysis is not attached to this chart"
    assert "other" in heads  # ... its analysis has a section of its own
