"""Honest labels in every writer (issue 16): "<5" only for a count below 5.

A count hidden to protect another (secondary suppression, the cross-table
audit) reads "suppressed" - the issue found "<5" printed for 432 female
arrests.  The layers go through the run's audit and then every writer, as
``hotmap run`` does (:func:`mapping.pipeline.runner.write_project_outputs`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from export_fixtures import areas_gdf
from layers.model import Layer
from mapping.render.compose import MapComposition
from mapping.disclosure.rules import DisclosureRules
from mapping.disclosure.audit import audit_layers
from mapping.export.outputs import write_outputs

RULES = DisclosureRules()
#: One small count (1): the line rule hides the 5 too; x + 5 = 6 with "suppressed" meaning
#: at least 5 gives x = 1 back, so the audit hides the 6 (x + 11 = 12: x <= 2, still too
#: narrow) and the 9 (x + 20 = 21: x anywhere in 1..4).  Hidden: 1 "<5", 3 "suppressed".
COUNTS = [0, 1, 12, 25, 5, 40, 18, 22, 9, 30, 15, 6]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("labels")
    g = areas_gdf()
    g["count"] = COUNTS
    g["rate"] = g["count"] / g["population"] * 1000
    lyr = Layer("rates", g, kind="areas",
                meta={"title": "Arrests per 1,000", "value_column": "rate",
                      "base_n": int(sum(COUNTS))})
    lyr.style.column = "rate"
    safe, report = audit_layers([lyr], RULES)
    maps = [MapComposition(name="rates", title="Rates", layers=["rates"],
                           label_layer="rates", label_column="count")]
    write_outputs(safe, maps, out, project_meta={"title": "Labels"}, rules=RULES)
    return out, g


def _truth(g):
    return dict(zip(g["code"], g["count"]))


def _check(pairs, truth):
    """pairs: (code, shown) for every row a writer printed."""
    seen = {"small": 0, "suppressed": 0}
    for code, shown in pairs:
        v = truth[code]
        if shown == "<5":
            assert 0 < v < 5, f"{code}: '<5' printed for {v}"
            seen["small"] += 1
        elif shown == "suppressed":
            assert v >= 5, f"{code}: a small count labelled 'suppressed'"
            seen["suppressed"] += 1
        else:
            assert not 0 < v < 5, f"{code}: small count {v} published"
            assert float(str(shown).replace(",", "")) == v
    return seen


def test_csv_and_xlsx(written):
    from openpyxl import load_workbook

    out, g = written
    csv = pd.read_csv(out / "tables" / "rates.csv", dtype=str)
    seen = _check(zip(csv["code"], csv["count"]), _truth(g))
    assert seen == {"small": 1, "suppressed": 3}
    ws = load_workbook(out / "tables" / "tables.xlsx")["rates"]
    rows = list(ws.iter_rows(values_only=True))
    h = list(rows[0])
    seen = _check(((r[h.index("code")], r[h.index("count")]) for r in rows[1:]), _truth(g))
    assert seen == {"small": 1, "suppressed": 3}


def test_html_tooltips(written):
    out, g = written
    import html as html_lib

    html = html_lib.unescape((out / "map.html").read_text("utf-8").replace("\\u0026", "&")
                             .replace("\\u003c", "<"))
    codes = re.findall(r'"t_code": "([^"]*)"', html)
    counts = re.findall(r'"t_count": "([^"]*)"', html)
    assert len(codes) == len(counts) == len(g)
    assert _check(zip(codes, counts), _truth(g)) == {"small": 1, "suppressed": 3}


def test_docx_tables(written):
    from docx import Document

    out, g = written
    doc = Document(str(out / "audit_pack.docx"))
    checked = 0
    for table in doc.tables:
        header = [c.text.strip().lower() for c in table.rows[0].cells]
        if "count" not in header or "area code" not in header:
            continue
        i, k = header.index("count"), header.index("area code")
        pairs = [(r.cells[k].text.strip(), r.cells[i].text.strip()) for r in table.rows[1:]]
        _check(pairs, _truth(g))
        checked += len(pairs)
    assert checked


def test_map_legend(written):
    out, _ = written
    svg = (out / "maps" / "rates.svg").read_text("utf-8")
    assert "Suppressed (&lt;5 or protecting one)" in svg  # not all of them are "<5"


def test_map_labels():
    """Area labels: "<5" for the small count, "suppressed" for the others hidden."""
    from matplotlib.figure import Figure

    from mapping.render.draw import draw_labels

    g = areas_gdf()
    g["count"] = COUNTS
    safe, _ = audit_layers([Layer("rates", g, kind="areas")], RULES)
    ax = Figure().add_subplot()
    draw_labels(ax, safe[0].data, "count", RULES.threshold)
    shown = [t.get_text() for t in ax.texts]
    assert _check(zip(g["code"], shown), _truth(g)) == {"small": 1, "suppressed": 3}
