"""Tables for people to read: human column headers, no internal columns, honest labels.

:func:`people_table` turns a published result table (after disclosure
control, :func:`mapping.disclosure.rules.display_table`) into what an audit reader
sees: internal columns left out (disclosure flags such as ``suppressed``,
``count_suppressed`` and ``display_count``, the ``small_number`` flag, a
``base_n`` that is the same on every row, grid row/column indices, method
strings), a rate's confidence limits joined into one "95% CI" column, and
headers in words ("Rate per 10,000", "Gi* class").  Suppressed cells keep
the disclosure helper's own labels (``"<5"`` for a small count,
``"suppressed"`` for a cell hidden to protect another): they are never
re-labelled here.

:func:`column_label` names one column in words (the atlas uses it too).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["people_table", "column_label", "INTERNAL_COLUMNS", "format_value", "is_hidden",
           "gistar_label"]

#: Columns that are bookkeeping, never shown to a reader.
INTERNAL_COLUMNS = {"suppressed", "display_count", "small_number", "geometry", "source_file",
                    "source_row", "row", "col", "origin_x", "origin_y", "origin_method",
                    "method", "level", "excludes_1", "gi_flat", "lisa_flat", "gi_sig",
                    "lisa_sig", "lisa_z_sim", "lisa_quadrant", "bivariate_class",
                    "population_complete", "assignment", "cell_id_internal"}
_INTERNAL_RE = re.compile(r"(_suppressed|_small|_flag)$")

#: Column -> header (exact names first; patterns below).
_LABELS = {
    "count": "Count", "n": "Records", "population": "Residents", "pop": "Residents",
    "rate_per_10k": "Rate per 10,000", "rate": "Rate per 10,000",
    "rate_eb_per_10k": "Smoothed rate per 10,000",
    "gi_z": "Gi* z-score", "gi_p": "p-value", "gi_p_fdr": "p-value (FDR-adjusted)",
    "gi_bin": "Gi* class", "lisa_i": "Local Moran's I", "lisa_p": "p-value",
    "lisa_p_fdr": "p-value (FDR-adjusted)", "lisa_cluster": "LISA cluster",
    "value": "Value", "code": "Area code", "name": "Area name", "label": "Area",
    "group": "Group", "pct": "%", "base_n": "Base n", "month": "Month", "quarter": "Quarter",
    "rolling_mean": "3-month rolling mean", "count_a": "Count (first period)",
    "count_b": "Count (second period)", "change": "Change", "rate_a": "Rate (first period)",
    "rate_b": "Rate (second period)", "rate_ratio": "Rate ratio", "p_exact": "p-value",
    "p_fdr": "p-value (FDR-adjusted)", "trend": "Change", "expected": "Expected",
    "outside": "Against the limits", "imd_score": "IMD score", "imd_decile": "IMD decile",
    "most_deprived_20": "In the 20% most deprived", "most_deprived_30": "In the 30% most deprived",
    "pop_share_most_deprived_20": "Residents in the 20% most deprived LSOAs",
    "pop_share_most_deprived_30": "Residents in the 30% most deprived LSOAs",
    "n_lsoas": "LSOAs", "nearest_service_m": "Distance to nearest service (m)",
    "nearest_service": "Nearest service", "services_within_catchment": "Services in reach",
    "access": "Access (2SFCA)", "access_per_1000": "Access per 1,000", "need": "Need",
    "need_tercile": "Need tercile", "access_tercile": "Access tercile", "gap_class": "Gap",
    "deprivation_tercile": "Deprivation tercile", "hotspot_class": "Hotspot class",
    "hot_periods": "Periods hot", "cell_id": "Cell", "layer": "Record layer",
    "flag": "Areas",
    "n_in": "In the deprived areas", "share": "Share", "population_in": "Residents in them",
    "population_share": "Share of residents", "ratio": "Ratio", "demand": "Demand",
    "pai": "PAI", "hit_rate": "Hit rate", "median_hours": "Median hours",
    "p90_hours": "90th percentile hours", "mean_hours": "Mean hours",
    "pct_within_target": "% within target", "reports": "Reports", "collected": "Collected",
    "needles": "Needles", "within_target": "Within target", "name_1": "Name",
}
_CI_PAIRS = (("rate_lcl", "rate_ucl"), ("rate_ci_low", "rate_ci_high"),
             ("pct_ci_low", "pct_ci_high"), ("rr_lcl", "rr_ucl"), ("ci_low", "ci_high"),
             ("hit_rate_lcl", "hit_rate_ucl"))
#: Share columns held as 0-1 fractions (shown as %).
_FRACTIONS = {"share", "population_share", "pop_share_most_deprived_20",
              "pop_share_most_deprived_30", "hit_rate"}


def is_hidden(v) -> bool:
    """True for a cell disclosure control hid (its label is text such as "<5")."""
    return isinstance(v, str) and (v.startswith("<") or v == "suppressed")


def column_label(col, meta: dict | None = None) -> str:
    """The header a reader sees for column ``col``."""
    meta = meta or {}
    c = str(col)
    code = meta.get("code_field") or (meta.get("params") or {}).get("area_id")
    if code and c == code:
        return "Area code"
    if c == "value" and ((meta.get("params") or {}).get("points") or "value" in
                         (meta.get("count_columns") or [])):
        return "Count"
    if c == "n" and "n_in" in (meta.get("count_columns") or []) or c == "n" and \
            meta.get("kind") == "concentration":
        return "Records (base n)"
    if c in _LABELS:
        return _LABELS[c]
    m = re.fullmatch(r"(count|gi_bin)_(\d{4}Q\d|\d{4}-\d{2}|\d{4})", c)
    if m:
        return f"{'Count' if m.group(1) == 'count' else 'Gi* class'} {m.group(2)}"
    if re.fullmatch(r"[A-Z]{2,5}\d{2}(CD|CDO)", c):
        return "Area code"
    if re.fullmatch(r"[A-Z]{2,5}\d{2}NM", c):
        return "Area name"
    if c.endswith("_sum"):
        return f"Sum of {c[:-4].replace('_', ' ')}"
    if c.endswith("_per_10k"):
        return f"{c[:-8].replace('_', ' ').capitalize()} per 10,000"
    text = c.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def gistar_label(v) -> str:
    """A Gi* bin (-3..3) in words ("Hot spot, 95% confidence")."""
    from mapping.render.palettes import GISTAR_CLASSES, GISTAR_LABELS

    try:
        return GISTAR_LABELS[GISTAR_CLASSES.index(int(float(v)))]
    except (TypeError, ValueError):
        return str(v)


def format_value(v, col: str = "") -> str:
    """One cell as text: whole numbers with separators, others to 1-3 decimals, "" for none."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if (col == "gi_bin" or col.startswith("gi_bin_")) and not isinstance(v, str):
        return gistar_label(v)
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if col in _FRACTIONS:
            return f"{100 * v:.1f}%"
        if col.startswith(("p_", "gi_p", "lisa_p")) or col in ("p_exact", "p_fdr"):
            return "<0.001" if v < 0.001 else f"{v:.3f}"
        if col.startswith("rate") and "ratio" not in col:
            return f"{v:,.1f}"
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        return f"{v:,.1f}" if abs(v) >= 10 else f"{v:,.2f}"
    if isinstance(v, str) and v.startswith("most_deprived_"):
        return f"{v.rsplit('_', 1)[-1]}% most deprived"
    if isinstance(v, pd.Timestamp):
        return f"{v:%b %Y}" if v.day == 1 else f"{v:%d %b %Y}"
    return str(v)


def _ci(lo, hi, col) -> str:
    if is_hidden(lo) or is_hidden(hi):
        return lo if is_hidden(lo) else hi
    a, b = format_value(lo, col), format_value(hi, col)
    return f"{a}–{b}" if a and b else ""


def people_table(df, meta: dict | None = None, *, level: float = 0.95):
    """A published table as a reader sees it (see the module docstring).

    Parameters
    ----------
    df : DataFrame
        A table already through :func:`mapping.disclosure.rules.display_table`
        (hidden cells are its labels).
    meta : dict, optional
        The result's metadata (for the area code field).
    level : float
        Confidence level named in the interval header.

    Returns
    -------
    (DataFrame, dict)
        The table with text cells and human headers, and what was taken out of
        it that a caption should still say (``{"base_n": 3200}`` when every row
        had the same base n).
    """
    out = pd.DataFrame(df).drop(columns="geometry", errors="ignore").copy()
    said: dict = {}
    if "base_n" in out.columns:
        vals = pd.Series(out["base_n"]).dropna().unique()
        if len(vals) == 1:
            said["base_n"] = vals[0]
            out = out.drop(columns="base_n")
    drop = [c for c in out.columns if str(c) in INTERNAL_COLUMNS or _INTERNAL_RE.search(str(c))]
    if "display_count" in out.columns and "count" in out.columns:
        out["count"] = out["display_count"]  # the disclosure helper's own labels
    out = out.drop(columns=drop)
    ci_cols = {}
    for lo, hi in _CI_PAIRS:
        if lo in out.columns and hi in out.columns:
            name = f"{int(round(level * 100))}% CI"
            if name in ci_cols.values():
                name = f"{column_label(lo.rsplit('_', 1)[0], meta)} {name}"
            ci_cols[lo] = name
            out[lo] = [_ci(a, b, lo) for a, b in zip(out[lo], out[hi])]
            out = out.drop(columns=hi)
    text = pd.DataFrame(index=out.index)
    for c in out.columns:
        if c in ci_cols:
            text[ci_cols[c]] = out[c]
        else:
            text[column_label(c, meta)] = [format_value(v, str(c)) for v in out[c]]
    text = text.loc[:, ~text.columns.duplicated()]
    if len(text):  # a column blank in every row (no names for grid cells) says nothing
        text = text.loc[:, [(text[c] != "").any() for c in text.columns]]
    return text.reset_index(drop=True), said
