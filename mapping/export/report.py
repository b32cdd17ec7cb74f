"""The DOCX audit pack (python-docx): findings, maps, captions, tables, glossary, limitations.

Structure: a title page; a contents page; a summary of the key findings;
then one chapter per strand of the strategy (supply, communities, young
people, treatment; :mod:`mapping.export.strands`), each with one section per
analysis (:class:`mapping.export.report_sections.ReportSection`) that opens with
its key findings in plain English (and the cautions small numbers call for),
then its maps and charts (page orientation follows the figure; the image at
full usable width, a numbered caption, the notes) and its tables (human
headers, numbered captions; tables that would say nothing are left out with
a sentence saying why); then "Glossary of terms and methods", "Data
limitations", "Methods", "Data sources and licences" and "Disclosure
control".  Hidden cells carry the labels of
:func:`mapping.disclosure.rules.display_table` (``"<5"``, ``"suppressed"``).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

from layers.common.atomic import atomic_write_path
from mapping.export.glossary import GLOSSARY
from mapping.export.report_sections import ReportSection, ReportTable
from mapping.export.strands import STRANDS, strand_title

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
    analysis: str = ""  # the analysis that made it (its section)
    raw_tables: list = field(default_factory=list)  # [(title, df, meta, value col, source)]
    tables: list = field(default_factory=list)  # ReportTable, filled by build_sections


def _set_orientation(section, landscape: bool, margin_cm: float = 1.5):
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    w, h = Cm(21.0), Cm(29.7)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (h, w) if landscape else (w, h)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(margin_cm))


_MAX_COLS = 9  # columns that stay readable at 8 pt on a page


def _add_table(doc, df, max_rows: int = 40) -> str:
    """Add ``df`` as a Word table; return what the caption must say about what was left out.

    A wide, short table (hour of the day across, weekdays down) is turned on its side so
    that all of it fits; otherwise the first rows and columns are shown and the caption
    says how many of each.
    """
    from docx.shared import Pt

    said = []
    if df.shape[1] > _MAX_COLS and len(df) < _MAX_COLS and df.shape[1] <= max_rows + 1:
        first = df.columns[0]
        # its rows become the columns, headed by the first column's values (the weekdays)
        df = df.set_index(first).T.reset_index().rename(columns={"index": ""})
        df.columns = [str(c) for c in df.columns]
    if len(df) > max_rows:
        said.append(f"The first {max_rows} of {len(df):,} rows.")
    df = df.head(max_rows)
    if df.shape[1] > _MAX_COLS:  # keep a table readable on the page: the first columns
        said.append(f"The first {_MAX_COLS} of {df.shape[1]} columns.")
        df = df.iloc[:, :_MAX_COLS]
    # every row made at once, and the cells' XML written directly: python-docx's
    # add_row and cell proxies walk the whole table for each row (quadratic in the rows,
    # 85 ms for a 40 x 9 table against 9 ms); the XML is what cell.text writes
    table = doc.add_table(rows=len(df) + 1, cols=len(df.columns))
    table.style = _table_style(doc)
    size = Pt(8)
    texts = [[str(name) for name in df.columns],
             *([_cell(v) for v in row] for row in df.itertuples(index=False))]
    rows = table._tbl.tr_lst
    for tr, values in zip(rows, texts):
        for tc, text in zip(tr.tc_lst, values):
            _cell_text(tc, text, size)
    if len(rows) <= 16:  # a short table is not split across pages (nor its header)
        for tr in rows[:-1]:
            for tc in tr.tc_lst:
                for p in tc.p_lst:
                    p.get_or_add_pPr().keepNext_val = True
    return " ".join(said)


def _table_style(doc) -> str:
    """The table style: "Light Grid Accent 1" where the template has it (looked up once)."""
    style = getattr(doc, "_hotmap_table_style", None)
    if style is None:
        style = "Light Grid Accent 1" if "Light Grid Accent 1" in [
            s.name for s in doc.styles] else "Table Grid"
        try:
            doc._hotmap_table_style = style
        except AttributeError:
            pass
    return style


def _cell_text(tc, text: str, size) -> None:
    """The text of a new table cell (``<w:tc>``) in one run at ``size``: the XML that
    ``cell.text = text`` and ``run.font.size = size`` write (``w:p/w:r/w:t``, ``rPr/sz``)."""
    r = tc.p_lst[0].add_r()
    r.text = text
    r.get_or_add_rPr().sz_val = size


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _sections_of(entries):
    """Old-style entries (no sections): one section each, tables made people-readable."""
    out = []
    for e in entries:
        if not e.tables:
            e.tables = [ReportTable(t, df) for t, df in [(e.table_title, e.table)]
                        + list(e.extra_tables) if df is not None and len(df)]
        out.append(ReportSection(e.analysis, e.title, "", entries=[e]))
    return out


def _heading(doc, text, level):
    return doc.add_heading(text, level=level)


def _front(doc, meta, fictional):
    from docx.shared import RGBColor

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


def _contents(doc, sections, tail):
    _heading(doc, "Contents", 1)
    fig = 0
    last = None
    n = 0
    for sec in sections:
        if sec.strand != last:
            n += 1
            p = doc.add_paragraph()
            p.add_run(f"{n}. {strand_title(sec.strand) if sec.strand else 'Maps'}").bold = True
            last = sec.strand
        figs = len(sec.entries)
        span = (f"Figure {fig + 1}" if figs == 1 else f"Figures {fig + 1}–{fig + figs}") \
            if figs else ""
        fig += figs
        doc.add_paragraph(f"{sec.title}" + (f" ({span})" if span else ""), style="List Bullet")
    for name in tail:
        n += 1
        doc.add_paragraph().add_run(f"{n}. {name}").bold = True


# findings up to this many characters in all go on the page of the section's first figure
_FINDINGS_ON_FIGURE_PAGE = 400


def _findings(doc, sec):
    if not sec.findings:
        return
    p = doc.add_paragraph()
    p.add_run("Key findings").bold = True
    for f in sec.findings:
        b = doc.add_paragraph(style="List Bullet")
        if f.fragile:
            b.add_run("Caution: ").bold = True
        b.add_run(f.text)


def write_report(path, entries, *, project_meta: dict | None = None,
                 methods: list[tuple[str, str]] | None = None,
                 sources: list[str] | None = None, rule_lines: list[str] | None = None,
                 fictional: bool = False, sections=None, glossary=None,
                 limitations: list[str] | None = None) -> Path:
    """Write the audit pack.

    Parameters
    ----------
    path : str or Path
        ``.docx`` file to write (atomically).
    entries : list of ReportEntry
        The figures, in order (used when ``sections`` is not given: one section each).
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
    sections : list of ReportSection, optional
        The analyses in strand order (:func:`mapping.export.report_sections.build_sections`).
    glossary : list of (str, str), optional
        Terms and their plain-words meaning (default :data:`mapping.export.glossary.GLOSSARY`).
    limitations : list of str, optional
        Paragraphs of the data-limitations section.

    Returns
    -------
    Path
    """
    from docx import Document
    from docx.shared import Pt

    meta = project_meta or {}
    sections = list(sections) if sections is not None else _sections_of(entries)
    glossary = GLOSSARY if glossary is None else glossary
    doc = Document()
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(10)
    _set_orientation(doc.sections[0], False)
    doc.core_properties.title = meta.get("title") or "hotmap audit pack"
    doc.core_properties.author = meta.get("author") or "hotmap"
    _front(doc, meta, fictional)
    tail = ["Glossary of terms and methods", "Data limitations", "Methods",
            "Data sources and licences", "Disclosure control"]
    _contents(doc, sections, tail)
    _key_findings(doc, sections)
    numbers = {"figure": 0, "table": 0}
    last = None
    for sec in sections:
        _write_section(doc, sec, last, numbers)
        last = sec.strand
    _back_matter(doc, glossary, limitations, methods, sources, rule_lines)
    path = Path(path)
    with atomic_write_path(path) as tmp:
        doc.save(str(tmp))
    return path


def _key_findings(doc, sections) -> None:
    """The summary of key findings: each section's first finding that is not fragile."""
    summary = [(s, next((f for f in s.findings if not f.fragile), None)) for s in sections]
    if any(f for _, f in summary):
        _heading(doc, "Summary of key findings", 1)
        for s, f in summary:
            if f is not None:
                p = doc.add_paragraph(style="List Bullet")
                p.add_run(f"{s.title}: ").bold = True
                p.add_run(f.text)


def _write_section(doc, sec, last, numbers: dict) -> None:
    """One analysis's section: its heading and findings, tables, then a page per figure.

    ``last`` is the previous section's strand; ``numbers`` counts figures and tables.
    """
    from docx.enum.section import WD_SECTION

    # a section opens on a page of its own when it opens a strand's chapter, has tables
    # or notes of its own, or more findings than fit above its first figure; otherwise
    # its heading and findings go on that figure's page (no near-empty pages)
    short = sum(len(f.text) for f in sec.findings) <= _FINDINGS_ON_FIGURE_PAGE
    intro = bool(sec.left_out or sec.tables or (sec.strand and sec.strand != last)
                 or (sec.findings and not (short and sec.entries)))
    pending = None
    if intro:  # the section opens on a page of its own with its findings
        section = doc.add_section(WD_SECTION.NEW_PAGE)
        _set_orientation(section, False)
        if sec.strand and sec.strand != last:  # a strand's chapter opens with its purpose
            _heading(doc, strand_title(sec.strand), 1)
            if sec.strand in STRANDS:
                doc.add_paragraph(STRANDS[sec.strand][1])
        _heading(doc, sec.title, 2 if sec.strand else 1)
        _findings(doc, sec)
    else:  # nothing to say first: the heading goes on its first figure's page
        pending = sec.title
    for line in sec.left_out:
        doc.add_paragraph(line).runs[0].italic = True
    for t in sec.tables:  # an analysis with tables and no figure
        _numbered_table(doc, t, numbers)
    for e in sec.entries:
        _figure_page(doc, sec, e, pending, numbers)
        pending = None


def _numbered_table(doc, t, numbers: dict) -> None:
    """A table and its numbered caption (with its note and where the full table is)."""
    numbers["table"] += 1
    more = _add_table(doc, t.table)
    extra = " ".join(x for x in (more, t.note, f"Full table: {t.source}." if t.source
                                 else "") if x)
    doc.add_paragraph(f"Table {numbers['table']}. {t.title}. {extra}".strip(), style="Caption")


def _figure_page(doc, sec, e, pending, numbers: dict) -> None:
    """A page for one figure: the section's heading and findings first when ``pending``,
    the figure sized to what is left of the page, its caption, notes and tables."""
    from docx.enum.section import WD_SECTION
    from docx.shared import Cm, Pt

    numbers["figure"] += 1
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _set_orientation(section, e.landscape, margin_cm=1.0)
    usable_w = section.page_width - section.left_margin - section.right_margin
    usable_h = section.page_height - section.top_margin - section.bottom_margin
    above = Cm(3.0)  # heading + caption
    if pending:
        _heading(doc, pending, 2 if sec.strand else 1)
        if sec.findings:  # the findings of a short section sit above its figure
            _findings(doc, sec)
            chars = usable_w / Cm(1) * 5.5  # about 5.5 characters per cm at 10 pt
            lines = 1 + sum(-(-len(f.text) // int(chars)) for f in sec.findings)
            above += Cm(0.55) * lines
    if e.title != sec.title or len(sec.entries) > 1:
        _heading(doc, e.title, 3 if sec.strand else 2)
    aspect = e.aspect or (297 / 210 if e.landscape else 210 / 297)
    width = min(usable_w, int((usable_h - above) * aspect))
    doc.add_picture(str(e.image), width=width)
    cap = doc.add_paragraph(f"Figure {numbers['figure']}. {e.caption or e.title}",
                            style="Caption")
    cap.paragraph_format.space_after = Pt(6)
    if e.notes:
        p = doc.add_paragraph()
        p.add_run("Notes").bold = True
        p.paragraph_format.keep_with_next = True  # never alone at a page's foot
        for line in e.notes.split("\n"):
            if line.strip():
                doc.add_paragraph(line)
    for t in e.tables:
        _numbered_table(doc, t, numbers)


def _back_matter(doc, glossary, limitations, methods, sources, rule_lines) -> None:
    """Glossary, data limitations, methods, sources and licences, disclosure control."""
    from docx.enum.section import WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _set_orientation(section, False)
    _heading(doc, "Glossary of terms and methods", 1)
    for term, text in glossary:
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(f"{term}: ").bold = True
        p.add_run(text)
    _heading(doc, "Data limitations", 1)
    for line in limitations or ["No limitations were recorded for this run."]:
        doc.add_paragraph(line)
    _heading(doc, "Methods", 1)
    for name, text in methods or [("Maps", "See each map's notes.")]:
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(f"{name}: ").bold = True
        p.add_run(text)
    _heading(doc, "Data sources and licences", 1)
    for line in sources or ["No source licences were recorded for these layers."]:
        doc.add_paragraph(line, style="List Bullet")
    _heading(doc, "Disclosure control", 1)
    for line in rule_lines or []:
        doc.add_paragraph(line)
