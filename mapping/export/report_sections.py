"""The audit pack's sections: one per analysis, in the order of the strategy's strands.

:func:`build_sections` groups the pack's figures (maps and charts,
:class:`mapping.export.report.ReportEntry`) by the analysis that made them, gives
each section its strand (the result's ``ResultMeta.strand``), its key
findings (:func:`mapping.export.findings.analysis_findings`, read from the
published tables) and its tables as people read them
(:func:`mapping.export.people_tables.people_table`: human headers, no internal
columns, the disclosure helper's labels).  A table that would say nothing
(no rows, or nothing above zero) is left out and a sentence says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mapping.disclosure.rules import apply_rules, display_table
from mapping.export.area_codes import area_code_field
from mapping.export.findings import analysis_findings
from mapping.export.people_tables import is_hidden, people_table
from mapping.export.strands import STRANDS

__all__ = ["ReportSection", "ReportTable", "build_sections"]


@dataclass
class ReportTable:
    """A table as printed: title, people table, caption extras, source file."""

    title: str
    table: object
    note: str = ""  # e.g. "Base n 3,200."
    source: str = ""  # the full table's file in the tables folder


@dataclass
class ReportSection:
    """One analysis in the pack."""

    analysis: str
    title: str
    strand: str
    findings: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    left_out: list = field(default_factory=list)  # sentences: tables not shown, and why
    tables: list = field(default_factory=list)  # ReportTable of an analysis with no figure

    @property
    def fragile(self) -> bool:
        return any(f.fragile for f in self.findings)


def _with_names(df, meta, pool):
    """Insert the area's name after its code, from the result's boundary layer."""
    class _L:
        pass

    probe = _L()
    probe.meta, probe.data = meta, df
    code = area_code_field(probe, pool)
    if code is None or code not in df.columns:
        return df
    for inp in (meta or {}).get("inputs") or []:
        src = next((lyr for lyr in pool if lyr.name == inp.get("layer")), None)
        if inp.get("kind") != "areas" or src is None:
            continue
        m = src.meta or {}
        cf, nf = m.get("code_field"), m.get("name_field")
        d = src.data
        if cf in getattr(d, "columns", []) and nf in d.columns and nf not in df.columns:
            names = dict(zip(d[cf].astype(str), d[nf].astype(str)))
            out = df.copy()
            out.insert(list(out.columns).index(code) + 1, "name",
                       [names.get(str(c), "") for c in out[code]])
            return out
    return df


def _says_nothing(df, value_col) -> str:
    """Why a table is not worth printing ("" when it is)."""
    if df is None or len(df) == 0:
        return "it has no rows"
    if value_col and value_col in df.columns:
        vals = [v for v in df[value_col] if not is_hidden(v)]
        num = pd.to_numeric(pd.Series(vals, dtype=object), errors="coerce")
        if len(vals) and num.notna().all() and (num.fillna(0) == 0).all():
            return "every area in it has a value of zero"
    return ""


def _people(title, df, meta, pool, *, source="", value_col=None, left_out=None):
    if df is None:
        return None
    why = _says_nothing(df, value_col)
    if why:
        if left_out is not None:
            left_out.append(f"The table \"{title}\" is left out: {why}.")
        return None
    t, said = people_table(_with_names(df, meta, pool), meta)
    if t.shape[1] == 0:
        if left_out is not None:
            left_out.append(f"The table \"{title}\" is left out: it has no columns a reader "
                            "needs.")
        return None
    note = f"Base n {int(said['base_n']):,}." if isinstance(said.get("base_n"),
                                                            (int, float, np.integer)) else ""
    return ReportTable(title, t, note, source)


def build_sections(entries, layers, rules) -> list:
    """Group entries into sections by analysis, in strand order; findings and tables added.

    Parameters
    ----------
    entries : list of ReportEntry
        The figures, each with ``analysis`` (may be empty for an overview map),
        ``raw_tables`` ``[(title, display table, meta, value column, source)]``.
    layers : list of Layer
        Every layer of the run (raw; disclosure control is applied here).
    rules : DisclosureRules

    Returns
    -------
    list of ReportSection
        Ordered by :data:`mapping.export.strands.STRANDS`, then by the project's order.
    """
    layers = list(layers)
    sections: dict[str, ReportSection] = {}
    for e in entries:
        key = e.analysis or f"_map_{e.title}"
        sec = sections.get(key)
        if sec is None:
            res = [lyr for lyr in layers if (lyr.source or {}).get("analysis") == e.analysis]
            main = next((lyr for lyr in res if lyr.name == e.analysis), res[0] if res else None)
            meta = (main.meta or {}) if main is not None else {}
            strand = meta.get("strand") or "communities"
            sec = ReportSection(e.analysis, meta.get("title") or e.title,
                                strand if strand in STRANDS else "communities")
            if res:
                safe, _ = apply_rules(res, rules, purpose="report")
                sec.findings = analysis_findings(e.analysis, safe, layers,
                                                 threshold=rules.threshold if rules.enabled
                                                 else 5)
            sections[key] = sec
        tables = []
        for title, df, meta, value_col, source in getattr(e, "raw_tables", []):
            t = _people(title, df, meta, layers, source=source, value_col=value_col,
                        left_out=sec.left_out)
            if t is not None:
                tables.append(t)
        e.tables = tables
        sec.entries.append(e)
    seen = {s.analysis for s in sections.values()}
    for name in dict.fromkeys((lyr.source or {}).get("analysis") for lyr in layers):
        if not name or name in seen:
            continue
        res = [lyr for lyr in layers if (lyr.source or {}).get("analysis") == name]
        safe, _ = apply_rules(res, rules, purpose="report")
        main = next((lyr for lyr in safe if lyr.name == name), safe[0] if safe else None)
        if main is None:
            continue
        meta = main.meta or {}
        strand = meta.get("strand") if meta.get("strand") in STRANDS else "communities"
        sec = ReportSection(name, meta.get("title") or name, strand)
        sec.findings = analysis_findings(name, safe, layers, threshold=rules.threshold
                                         if rules.enabled else 5)
        for lyr in safe:
            if not hasattr(lyr.data, "columns") or lyr.kind not in ("table", "areas", "grid"):
                continue
            title = (lyr.meta or {}).get("title") or lyr.name
            t = _people(title, display_table(lyr.data, rules, lyr.meta).head(40), lyr.meta or {},
                        layers, source=f"tables/{lyr.name}.csv", left_out=sec.left_out)
            if t is not None:
                sec.tables.append(t)
        sections[name] = sec
    order = {k: i for i, k in enumerate(STRANDS)}
    return sorted(sections.values(), key=lambda s: order.get(s.strand, len(order)))
