"""The audit pack's tables are the XML python-docx's own table API writes (issue 18).

:func:`mapping.export.report._add_table` writes the cells' XML directly, for speed; the
reference here builds the same table through python-docx's proxies (``add_row``,
``cell.text``, ``run.font.size``, ``paragraph_format.keep_with_next``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mapping.export.report import _MAX_COLS, _add_table, _cell

docx = pytest.importorskip("docx")


def _reference(doc, df):
    from docx.shared import Pt

    table = doc.add_table(rows=1, cols=len(df.columns))
    table.style = "Light Grid Accent 1"
    for cell, name in zip(table.rows[0].cells, df.columns):
        cell.text = str(name)
        cell.paragraphs[0].runs[0].font.size = Pt(8)
    for row in df.itertuples(index=False):
        for cell, v in zip(table.add_row().cells, row):
            cell.text = _cell(v)
            cell.paragraphs[0].runs[0].font.size = Pt(8)
    if len(table.rows) <= 16:
        for row in table.rows[:-1]:
            for cell in row.cells:
                for p in cell.paragraphs:
                    p.paragraph_format.keep_with_next = True
    return table


@pytest.mark.parametrize("rows,cols", [(3, 2), (15, 4), (16, 5), (40, _MAX_COLS), (0, 3)])
def test_table_xml_is_python_docx_s(rows, cols):
    rng = np.random.default_rng(rows * 31 + cols)
    df = pd.DataFrame(rng.choice([0, 0, 1, 2, 3, 17, 1234], size=(rows, cols)).astype(object),
                      columns=[f"col {i}" for i in range(cols)])
    if rows:
        df.iloc[0, 0] = None  # blank (suppressed) cell
        df.iloc[-1, -1] = "tab\there"  # text python-docx writes as a <w:tab/>
        df.iloc[rows // 2, 0] = 2.5
    ours, ref = docx.Document(), docx.Document()
    _add_table(ours, df)
    _reference(ref, df)
    assert ours.tables[0]._tbl.xml == ref.tables[0]._tbl.xml
