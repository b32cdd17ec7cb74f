"""Disclosure control, on by default for every export.

Rules (:class:`DisclosureRules`):

* **Raw points of sensitive layers** (needle finds, crack houses, client
  residences, arrests...) are never written to an image, HTML or data export
  unless the layer's ``allow_raw_export`` is set; then the notes say so.
* **Small counts**: counts ``1 .. threshold-1`` (default 1-4) are suppressed:
  blank (null) with a ``<column>_suppressed`` flag in data files, ``"<5"`` in
  tables and labels, and a "Suppressed (<5)" class on choropleths.  Zero is
  not suppressed by default (a true zero reveals no one; set
  ``suppress_zero=True`` to change that).  **Secondary suppression**: a
  column's total (published as the base n) would give back its only
  suppressed cell, and so could a row total when a table has several count
  columns; so while any row or column of the count columns has exactly one
  suppressed cell, its next smallest count is suppressed too.
  Rates and their confidence limits built on a suppressed count are suppressed.
* **KDE**: surfaces of sensitive layers need a bandwidth of at least
  ``min_kde_bandwidth_m`` (default 200 m, about two residential streets, so
  no single address forms a peak); surfaces below it are not exported.
* Every export's notes state the rules applied (:func:`describe_rules`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields

import numpy as np

__all__ = ["DisclosureRules", "apply_rules", "describe_rules", "suppress_counts",
           "display_table", "count_columns", "rate_columns", "enforce_bandwidth",
           "is_sensitive"]

_COUNT_NAMES = {"count", "n", "events", "n_events", "n_points", "incidents", "crimes",
                "offences", "arrests", "finds", "records", "observed", "cases", "needles",
                "needle_finds", "crack_houses", "seizures", "clients", "residents_in_treatment"}
# Whole-number columns that are not counts of people or events.
_NOT_COUNT_RE = re.compile(r"(year|month|quarter|week|day|date|rank|decile|quintile|tercile|"
                           r"terc|class|bin|row|col|_id|^id|code|index|order|period|population|"
                           r"^pop|capacity|places|seed|lag|k$|^k_|neighbo|cluster|bivariate)",
                           re.IGNORECASE)
_RATE_RE = re.compile(r"(rate|per_1000|per_10k|per_100k|ci_low|ci_high|ci_lower|ci_upper|"
                      r"lcl|ucl|lower_ci|upper_ci|ratio|expected|share|pct|percent|change|diff)",
                      re.IGNORECASE)


@dataclass
class DisclosureRules:
    """Disclosure-control settings (stored in the project file).

    Attributes
    ----------
    enabled : bool
        Master switch (on by default).
    threshold : int
        Counts below this (and above zero) are suppressed.
    suppress_zero : bool
        Also suppress zero counts.
    secondary : bool
        Apply secondary suppression so totals cannot reveal a suppressed cell.
    min_kde_bandwidth_m : float
        Minimum KDE bandwidth for sensitive layers, metres.
    """

    enabled: bool = True
    threshold: int = 5
    suppress_zero: bool = False
    secondary: bool = True
    min_kde_bandwidth_m: float = 200.0

    def to_dict(self) -> dict:
        """TOML-safe dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "DisclosureRules":
        """Build from a project-file table, ignoring unknown keys."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})

    @property
    def small_label(self) -> str:
        """How a suppressed count is shown, e.g. ``"<5"``."""
        return f"<{self.threshold}"


def is_sensitive(layer) -> bool:
    """True if the layer (or its analysis meta) is marked sensitive."""
    return bool(getattr(layer, "sensitive", False) or (layer.meta or {}).get("sensitive"))


def describe_rules(rules: DisclosureRules) -> list[str]:
    """Plain-language lines stating the disclosure rules, for every export's notes."""
    if not rules.enabled:
        return ["Disclosure control was switched OFF for this export: small counts and "
                "sensitive locations may be shown. Do not publish."]
    zero = " and zero" if rules.suppress_zero else ""
    lines = [f"Disclosure control: counts of 1 to {rules.threshold - 1}{zero} are suppressed "
             f"(shown as {rules.small_label})"
             + (", with secondary suppression so totals cannot reveal them" if rules.secondary
                else "")
             + "; rates built on suppressed counts are suppressed; raw locations of sensitive "
             f"layers are not published; KDE of sensitive layers uses a bandwidth of at least "
             f"{rules.min_kde_bandwidth_m:g} m."]
    return lines


def _whole_non_negative(s) -> bool:
    v = s.to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    return bool(len(v)) and bool(np.all(v >= 0)) and bool(np.all(v == np.round(v)))


def count_columns(df, meta: dict | None = None) -> list[str]:
    """Columns holding counts of records.

    Declared ones (``meta["count_columns"]``) come first.  Any other column is a
    count if its name says so (``count``, ``n_*``, ``*_count``, a record kind
    such as ``needles`` or ``arrests``), if it is the ``value`` column of an
    analysis whose ``params["value"]`` is a count, or - for a *sensitive*
    layer - if it holds whole non-negative numbers and is not a key, rank,
    class or calendar field.
    """
    meta = meta or {}
    declared = [c for c in (meta.get("count_columns") or []) if c in df.columns]
    value_is_count = "count" in str((meta.get("params") or {}).get("value", "")).lower()
    sensitive = bool(meta.get("sensitive"))
    out = []
    for c in df.columns:
        lc = str(c).lower()
        if c == "geometry" or df[c].dtype.kind not in "iuf" or df[c].dtype.kind == "b":
            continue
        if _RATE_RE.search(lc):
            continue
        if c in declared:
            continue
        named = (lc in _COUNT_NAMES or lc.endswith("_count") or lc.startswith("count_")
                 or lc.startswith("n_"))
        if named or (lc == "value" and value_is_count):
            out.append(c)
        elif sensitive and not _NOT_COUNT_RE.search(lc) and _whole_non_negative(df[c]):
            out.append(c)
    return declared + out


def rate_columns(df, meta: dict | None = None) -> list[str]:
    """Columns derived from counts (rates, ratios, confidence limits)."""
    meta = meta or {}
    if meta.get("rate_columns") is not None:
        return [c for c in meta["rate_columns"] if c in df.columns]
    return [c for c in df.columns if c != "geometry" and df[c].dtype.kind in "iuf"
            and _RATE_RE.search(str(c))]


def _secondary(small, v, eligible):
    """Grow ``small`` until no row or column of the count table has exactly one
    suppressed cell (while a candidate is left), always taking the smallest
    eligible count, so no published total, row or column, gives a cell back."""
    n, m = small.shape
    while True:
        before = int(small.sum())
        if n > 1:  # each column's total (the base n) is published
            for j in np.flatnonzero(small.sum(axis=0) == 1):
                cand = np.where(eligible[:, j] & ~small[:, j], v[:, j], np.inf)
                if np.isfinite(cand).any():
                    small[int(np.argmin(cand)), j] = True
        if m > 1:  # a row's counts may add up to another published count
            rows = np.flatnonzero(small.sum(axis=1) == 1)
            if len(rows):
                cand = np.where(eligible[rows] & ~small[rows], v[rows], np.inf)
                k = np.argmin(cand, axis=1)
                ok = np.isfinite(cand[np.arange(len(rows)), k])
                small[rows[ok], k[ok]] = True
        if int(small.sum()) == before:
            return small


def suppress_counts(df, counts: list[str], rates: list[str], rules: DisclosureRules):
    """Return a copy of ``df`` with small counts and dependent rates set to NaN.

    Adds a boolean ``<column>_suppressed`` column for each count and rate
    column that had anything suppressed.  Secondary suppression treats the
    count columns as one table: until no row and no column has exactly one
    suppressed cell, the smallest other count of that line is suppressed too
    (the usual rule for tables whose row and column totals are published).
    """
    out = df.copy()
    counts = [c for c in counts if c in out.columns]
    if not counts:
        return out
    v = np.column_stack([out[c].to_numpy(dtype=float) for c in counts])
    live = np.isfinite(v) & ((v > 0) | rules.suppress_zero)
    small = (v < rules.threshold) & live
    if rules.secondary and small.any():
        small = _secondary(small, v, live)
    row_mask = small.any(axis=1)
    for j, c in enumerate(counts):
        if small[:, j].any():
            out[c] = out[c].astype(float).where(~small[:, j])
            out[f"{c}_suppressed"] = small[:, j]
    if row_mask.any():
        for c in rates:
            out[c] = out[c].astype(float).where(~row_mask)
            out[f"{c}_suppressed"] = row_mask
    return out


def display_table(df, rules: DisclosureRules, meta: dict | None = None):
    """Return a table for people to read: suppressed counts as ``"<5"``, rates as ``"suppressed"``.

    ``df`` should already have passed :func:`suppress_counts` (via :func:`apply_rules`);
    flag columns are dropped and geometry removed.
    """
    import pandas as pd

    out = pd.DataFrame(df.drop(columns="geometry", errors="ignore")).copy()
    if not rules.enabled:
        return out
    if not any(str(c).endswith("_suppressed") for c in out.columns):
        out = suppress_counts(out, count_columns(out, meta), rate_columns(out, meta), rules)
    rates = set(rate_columns(out, meta))
    for c in list(out.columns):
        flag = f"{c}_suppressed"
        if flag in out.columns:
            is_count = c not in rates
            hide = out[flag].to_numpy(bool)
            label = rules.small_label if is_count else "suppressed"
            vals = []
            for v, h in zip(out[c].tolist(), hide):
                if h:
                    vals.append(label)
                elif is_count and isinstance(v, float) and v == v and v.is_integer():
                    vals.append(int(v))
                else:
                    vals.append(v)
            out[c] = pd.Series(vals, index=out.index, dtype=object)
    return out.drop(columns=[c for c in out.columns if str(c).endswith("_suppressed")])


def enforce_bandwidth(bandwidth_m: float, sensitive: bool, rules: DisclosureRules) -> float:
    """Return the bandwidth to use: at least the minimum for sensitive layers."""
    if sensitive and rules.enabled:
        return max(float(bandwidth_m), float(rules.min_kde_bandwidth_m))
    return float(bandwidth_m)


def _bandwidth(layer):
    for src in ((getattr(layer.data, "meta", None) or {}), (layer.meta or {}),
                (layer.meta or {}).get("params") or {}):
        for key in ("bandwidth", "bandwidth_m"):
            if src.get(key) is not None:
                try:
                    return float(src[key])
                except (TypeError, ValueError):
                    pass
    return None


def _copy_layer(layer, data, meta_updates: dict):
    from layers.model import Layer

    new = Layer(layer.name, data, kind=layer.kind, style=layer.style, visible=layer.visible,
                source=layer.source, meta={**(layer.meta or {}), **meta_updates},
                sensitive=layer.sensitive, allow_raw_export=layer.allow_raw_export)
    return new


def apply_rules(layers, rules: DisclosureRules | None = None, *, purpose: str = "export"):
    """Return ``(safe_layers, note_lines)``: the layers as they may leave hotmap.

    Parameters
    ----------
    layers : iterable of Layer
        Layers about to be exported (not modified).
    rules : DisclosureRules, optional
        Defaults to ``DisclosureRules()`` (on).
    purpose : str
        ``"image"``, ``"html"``, ``"data"`` or ``"report"``; used in the notes.

    Returns
    -------
    (list of Layer, list of str)
        Sensitive raw-point layers are left out (or kept with a note when
        ``allow_raw_export``); tables and areas have small counts suppressed.
    """
    rules = rules or DisclosureRules()
    layers = list(layers)
    notes = describe_rules(rules)
    if not rules.enabled:
        return layers, notes
    safe = []
    for lyr in layers:
        data = lyr.data
        meta_up = {"disclosure_threshold": rules.threshold}
        bn = (lyr.meta or {}).get("base_n")
        if isinstance(bn, (int, float, np.integer)) and 0 < bn < rules.threshold:
            meta_up["base_n"] = rules.small_label
        elif isinstance(bn, dict):
            meta_up["base_n"] = {k: rules.small_label if isinstance(v, (int, float, np.integer))
                                 and 0 < v < rules.threshold else v for k, v in bn.items()}
        if lyr.kind == "points" and is_sensitive(lyr):
            if not lyr.allow_raw_export:
                notes.append(f"'{lyr.name}': sensitive point locations withheld "
                             "(not drawn or exported).")
                continue
            notes.append(f"'{lyr.name}': raw locations of a sensitive layer ARE included "
                         "because the user allowed raw export for this layer.")
            safe.append(lyr)
            continue
        if lyr.kind == "surface":
            bw = _bandwidth(lyr)
            if is_sensitive(lyr) and (bw is None or bw < rules.min_kde_bandwidth_m):
                got = "unknown" if bw is None else f"{bw:g} m"
                notes.append(f"'{lyr.name}': surface withheld; its bandwidth ({got}) is below "
                             f"the {rules.min_kde_bandwidth_m:g} m minimum for sensitive data.")
                continue
            safe.append(lyr)
            continue
        if data is not None and hasattr(data, "columns"):
            meta = {**(lyr.meta or {}), "sensitive": is_sensitive(lyr)}
            counts = count_columns(data, meta)
            rates = rate_columns(data, meta)
            if counts:
                new = suppress_counts(data, counts, rates, rules)
                if new.shape[1] != data.shape[1]:
                    safe.append(_copy_layer(lyr, new, meta_up))
                    continue
        if len(meta_up) > 1:
            safe.append(_copy_layer(lyr, data, meta_up))
        else:
            safe.append(lyr)
    return safe, notes
