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
  Statistics that give the counts back exactly (z-scores, p-values, local I,
  survival; :func:`derived_columns`) are withheld in every row of a table with
  a suppressed count; their classes (hot/cold spot bins) are published unless
  the attacker's linear program shows a class narrows a suppressed count
  (:func:`withhold_classes`, :mod:`mapping.disclosure.classes`).
  Across tables, :mod:`mapping.disclosure.audit` solves the attacker's linear
  program over every table of a run and suppresses more where needed.
* **Labels**: a small count reads "<5"; a count hidden to protect another, a
  rate and a withheld statistic read "suppressed".
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
           "is_sensitive", "secondary_flag", "derived_columns",
           "withhold_classes", "kde_floor"]

_COUNT_NAMES = {"count", "n", "events", "n_events", "n_points", "incidents", "crimes",
                "offences", "arrests", "finds", "records", "observed", "cases", "needles",
                "needle_finds", "crack_houses", "seizures", "clients", "residents_in_treatment"}
# Whole-number columns that are not counts of people or events.
_NOT_COUNT_RE = re.compile(r"(year|month|quarter|week|day|date|rank|decile|quintile|tercile|"
                           r"terc|class|bin|row|col|_id|^id|code|index|order|period|population|"
                           r"^pop|capacity|places|seed|lag|k$|^k_|neighbo|cluster|bivariate|"
                           r"^time$)",
                           re.IGNORECASE)
# numbers of areas, cells or periods (n_lsoas, n_years): not people or events
_N_OF_PLACES_OR_TIMES = re.compile(r"n_(lsoa|msoa|oa|area|cell|ward|district|year|month|quarter|"
                                   r"period|week|day|neighbour|neighbor)s?")
#: Statistics computed from the counts that give them back exactly (issue 16): a Gi* or
#: LISA z-score, its p-values, local Moran's I, the G ratio, a survival curve and its
#: cumulative share.  Their classes (``gi_bin``, LISA quadrants) are bands and stay.
_DERIVED_RE = re.compile(r"(^gi_z$|^gi_p|^gi_g$|^g_star|^z$|_z$|z_?score|^lisa_i$|^lisa_p|"
                         r"^lisa_z|^local_i$|^moran|^p_value$|^p_sim$|^p_fdr$|^survival$|"
                         r"^cumulative$|^km_)", re.IGNORECASE)
#: Classes of local statistics (hot/cold spot bins, LISA quadrants): bands, published
#: except where they would narrow a suppressed count (:func:`withhold_classes`).
_CLASS_RE = re.compile(r"^(gi_bin|gi_sig|lisa_quadrant|lisa_cluster|lisa_sig|lisa_q)$",
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
    min_interval : int
        Protection of a small count against an attacker holding every table of
        the run (:mod:`mapping.disclosure.audit`): the least and greatest value
        the published tables allow must stay at least this far apart (at most
        the label's own band, ``threshold - 2``).  Default 2: at least three
        values stay possible for a "<5".
    """

    enabled: bool = True
    threshold: int = 5
    suppress_zero: bool = False
    secondary: bool = True
    min_kde_bandwidth_m: float = 200.0
    min_interval: int = 2

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
             f"{rules.min_kde_bandwidth_m:g} m and leaves blank every cell with fewer than "
             f"{rules.threshold} events within one bandwidth."]
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
        if _RATE_RE.search(lc) or _CLASS_RE.match(lc) or _DERIVED_RE.search(lc):
            continue  # rates, classes and statistics are not counts (even once withheld)
        if c in declared:
            continue
        named = (lc in _COUNT_NAMES or lc.endswith("_count") or lc.startswith("count_")
                 or lc.startswith("n_") and not _N_OF_PLACES_OR_TIMES.fullmatch(lc))
        if named or (lc == "value" and value_is_count):
            out.append(c)
        elif sensitive and not _NOT_COUNT_RE.search(lc) and not \
                _N_OF_PLACES_OR_TIMES.fullmatch(lc) and _whole_non_negative(df[c]):
            out.append(c)
    return declared + out


def rate_columns(df, meta: dict | None = None) -> list[str]:
    """Columns derived from counts (rates, ratios, confidence limits)."""
    meta = meta or {}
    if meta.get("rate_columns") is not None:
        return [c for c in meta["rate_columns"] if c in df.columns]
    return [c for c in df.columns if c != "geometry" and df[c].dtype.kind in "iuf"
            and _RATE_RE.search(str(c))]


def derived_columns(df, meta: dict | None = None) -> list[str]:
    """Columns of statistics computed from the counts that would give them back exactly
    (z-scores, p-values, local I, survival); declared ones (``meta["derived_columns"]``)
    first.  When any count of the table is suppressed they are withheld
    (:func:`suppress_counts`), so the counts cannot be solved for."""
    meta = meta or {}
    declared = [c for c in (meta.get("derived_columns") or []) if c in df.columns]
    return declared + [c for c in df.columns if c not in declared and c != "geometry"
                       and df[c].dtype.kind in "fc" and _DERIVED_RE.search(str(c))]


def _class_kind(cls) -> str | None:
    names = {str(c).lower() for c in cls}
    if names & {"gi_bin", "gi_sig"}:
        return "gistar"
    if names & {"lisa_quadrant", "lisa_cluster", "lisa_sig", "lisa_q"}:
        return "lisa"
    return None


def withhold_classes(df, meta: dict | None = None, rules: "DisclosureRules | None" = None, *,
                     truth=None):
    """Withhold the local-statistic classes (Gi* bins, LISA quadrants) that would let a
    suppressed count be solved for; publish the rest.

    Classes are bands, published by default.  For a table with a suppressed count,
    :func:`mapping.disclosure.classes.audit_classes` solves the attacker's linear
    program (the analysis's own weights rebuilt from the geometry, the mean and spread,
    every published count and class, each hidden count's label, the total) and
    withholds, most binding first, the classes that narrow a small count to less than
    ``min_interval``.  All classes of an area go together (``<class>_suppressed``).
    When the program cannot be set up (no geometry, weights not rebuildable, the true
    counts not at hand, a class column it does not model) the old rule applies: every
    class of an area whose neighbourhood holds a suppressed count is withheld, or every
    class of the table without weights.

    ``truth``: the frame before suppression (the true counts), when ``df`` has them
    blanked.  A frame whose classes already carry flags was audited: returned as is.
    Returns a copy (or ``df`` when nothing is hidden); ``attrs["classes_withheld"]``
    holds how many areas lost their classes.
    """
    meta = meta or {}
    rules = rules or DisclosureRules()
    cls = [c for c in df.columns if _CLASS_RE.match(str(c))
           or c in (meta.get("class_columns") or [])]
    if not cls or any(f"{c}_suppressed" in df.columns for c in cls):
        return df
    hidden = np.zeros(len(df), bool)
    secondary = np.zeros(len(df), bool)
    counts = count_columns(df, meta)
    for c in counts:
        flag = f"{c}_suppressed"
        if flag in df.columns:
            h = df[flag].fillna(False).to_numpy(bool)
            hidden |= h
            if secondary_flag(c) in df.columns:
                secondary |= h & df[secondary_flag(c)].fillna(False).to_numpy(bool)
    if not hidden.any():
        return df
    params = meta.get("params") or {}
    near = np.ones(len(df), bool)
    if hasattr(df, "geometry") and getattr(df, "crs", None) is not None:
        try:
            from mapping.stats.weights import build_weights

            spec = str(params.get("weights") or "queen")
            snap = params.get("snap_m")
            w = build_weights(df, spec, **({"snap": float(snap)} if snap is not None else {})
                              ).matrix.tocsr()
            near = hidden | (np.asarray(w[:, np.flatnonzero(hidden)].sum(axis=1)).ravel() > 0)
            kind = _class_kind(cls)
            src = truth if truth is not None else df
            value = str(params.get("value") or "")
            col = "value" if "value" in src.columns else (value if value in src.columns
                                                         else (counts[0] if counts else None))
            y = src[col].to_numpy(float) if col is not None and len(src) == len(df) else None
            flag = f"{col}_suppressed"
            if kind and y is not None and np.isfinite(y).all() and flag in df.columns:
                # the statistic's own count column: its hidden cells are the unknowns
                h = df[flag].fillna(False).to_numpy(bool)
                sec = h & (df[secondary_flag(col)].fillna(False).to_numpy(bool)
                           if secondary_flag(col) in df.columns else False)
                classes = {str(c).lower(): df[c].to_numpy() for c in cls}
                from mapping.disclosure.classes import audit_classes

                got = audit_classes(kind, df, y, h, sec, w, params, classes, rules)
                if got is not None and not (hidden & ~h).any():
                    near = got[0]
        except Exception:  # noqa: BLE001 - weights not rebuildable: withhold every class
            near = np.ones(len(df), bool)
    out = df.copy()
    for c in cls:
        if out[c].dtype.kind in "biuf":
            out[c] = out[c].astype(float).where(~near)
        else:  # a class label (LISA "HH", "LL" ...)
            out[c] = out[c].astype(object).where(~near, None)
        out[f"{c}_suppressed"] = near
    out.attrs["classes_withheld"] = int(near.sum())
    return out


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


def secondary_flag(column: str) -> str:
    """Name of the flag marking a column's *secondary* suppressions (``count_secondary_suppressed``).

    It ends with ``_suppressed`` so every reader that drops flag columns drops it too.
    """
    return f"{column}_secondary_suppressed"


def suppress_counts(df, counts: list[str], rates: list[str], rules: DisclosureRules,
                    derived: list[str] | None = None):
    """Return a copy of ``df`` with small counts and dependent rates set to NaN.

    Adds a boolean ``<column>_suppressed`` column for each count and rate
    column that had anything suppressed, and ``<column>_secondary_suppressed``
    marking the count cells hidden only to protect others (shown as
    "suppressed", not as "<5").  Secondary suppression treats the
    count columns as one table: until no row and no column has exactly one
    suppressed cell, the smallest other count of that line is suppressed too
    (the usual rule for tables whose row and column totals are published).

    ``derived`` columns (:func:`derived_columns`: z-scores, p-values, survival)
    are withheld in every row once any count is suppressed: a Gi* z-score to 16
    digits, with the weights, gives back every suppressed count by least
    squares, and rounding it is not enough (an attacker who knows the mean and
    spread solves a linear program).

    Idempotent: flags already present (from an earlier pass, or from the
    cross-table audit :mod:`mapping.disclosure.audit`) are kept and counted as
    suppressed cells.
    """
    attrs = getattr(df, "attrs", {})
    out = df.copy()
    out.attrs = {}  # pandas deep-copies attrs on every column operation: put them back at the end
    counts = [c for c in counts if c in out.columns]
    if not counts:
        out.attrs = attrs
        return out

    def flags(name):
        return np.column_stack([out[name(c)].fillna(False).to_numpy(bool) if name(c) in out
                                else np.zeros(len(out), bool) for c in counts])

    pre = flags(lambda c: f"{c}_suppressed")
    pre_sec = flags(secondary_flag) & pre
    v = np.column_stack([out[c].to_numpy(dtype=float) for c in counts])
    v[pre] = np.nan
    live = np.isfinite(v) & ((v > 0) | rules.suppress_zero)
    primary = ((v < rules.threshold) & live) | (pre & ~pre_sec)
    small = primary | pre
    if rules.secondary and small.any():
        small = _secondary(small, v, live)
    second = small & ~primary
    row_mask = small.any(axis=1)
    for j, c in enumerate(counts):
        if small[:, j].any():
            out[c] = out[c].astype(float).where(~small[:, j])
            out[f"{c}_suppressed"] = small[:, j]
        if second[:, j].any():
            out[secondary_flag(c)] = second[:, j]
        elif secondary_flag(c) in out:
            out = out.drop(columns=secondary_flag(c))
    if row_mask.any():
        for c in derived or []:
            if c in out.columns and c not in counts:
                out[c] = np.nan
                out[f"{c}_suppressed"] = True
        for c in [r for r in rates if r not in (derived or [])]:
            prev = out[f"{c}_suppressed"].fillna(False).to_numpy(bool) \
                if f"{c}_suppressed" in out else False
            out[c] = out[c].astype(float).where(~row_mask)
            out[f"{c}_suppressed"] = row_mask | prev
    out.attrs = attrs
    return out


def display_table(df, rules: DisclosureRules, meta: dict | None = None):
    """Return a table for people to read: small counts as ``"<5"``, the rest hidden as ``"suppressed"``.

    Honest labels: a count hidden because it is small (primary suppression) reads
    ``"<5"`` (the threshold as set); a count hidden to protect another
    (secondary suppression, cross-table audit) and a rate read ``"suppressed"``,
    so no large number is ever labelled ``"<5"``.

    ``df`` should already have passed :func:`suppress_counts` (via :func:`apply_rules`);
    flag columns are dropped and geometry removed.
    """
    import pandas as pd

    out = pd.DataFrame(df.drop(columns="geometry", errors="ignore")).copy()
    if not rules.enabled:
        return out
    if not any(str(c).endswith("_suppressed") for c in out.columns):
        out = withhold_classes(suppress_counts(out, count_columns(out, meta),
                                               rate_columns(out, meta), rules,
                                               derived_columns(out, meta)), meta, rules,
                               truth=out)
    rates = set(rate_columns(out, meta)) | set(derived_columns(out, meta))
    for c in list(out.columns):
        flag = f"{c}_suppressed"
        if flag in out.columns and not str(c).endswith("_suppressed"):
            # a flagged column that is not a rate, a withheld statistic or a class is a count
            is_count = c not in rates and not _CLASS_RE.match(str(c)) and \
                c not in ((meta or {}).get("class_columns") or [])
            hide = out[flag].fillna(False).to_numpy(bool)
            second = out[secondary_flag(c)].fillna(False).to_numpy(bool) \
                if secondary_flag(c) in out.columns else np.zeros(len(out), bool)
            vals = []
            for v, h, s2 in zip(out[c].tolist(), hide, second):
                if h:  # honest labels: "<5" only for a count that is below 5
                    vals.append(rules.small_label if is_count and not s2 else "suppressed")
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


def kde_floor(layer, bandwidth_m: float, rules: DisclosureRules):
    """``(layer, note)``: a sensitive density surface with every cell below the floor blank.

    The floor is ``threshold`` times the peak of one event's kernel.  Kernels are
    bounded (zero beyond one bandwidth), so a cell at or above it has at least
    ``threshold`` events within one bandwidth of its centre: an isolated event
    never forms a bump, and no published peak is fewer than that many events.
    Safe by construction, whatever the data; the note states it on the map and in
    the file's metadata.  A surface that is not a density of events (a ratio
    such as a dual KDE, a difference of two densities, weighted events) is
    published as before, with only the minimum bandwidth, and the note says so.
    """
    import dataclasses

    from mapping.stats.kernels import KERNELS, kernel_density

    meta = layer.meta or {}
    params = meta.get("params") or {}
    kernel = str(params.get("kernel") or "quartic")
    units = str(meta.get("units") or getattr(layer.data, "units", ""))
    if kernel not in KERNELS or "events per km" not in units or params.get("weight") \
            or (meta.get("value_column") not in (None, "density")):
        return layer, (f"'{layer.name}': not a density of unweighted events (a ratio, a "
                       "difference or weighted), so only the minimum bandwidth protects it; "
                       "cells with few events are not blanked.")
    floor = float(rules.threshold) * float(kernel_density(0.0, bandwidth_m, kernel)) * 1e6
    v = np.asarray(layer.data.values, dtype=float)
    blank = np.isfinite(v) & (v > 0) & (v < floor)
    line = (f"'{layer.name}': disclosure control: cells where fewer than {rules.threshold} "
            f"events lie within the {bandwidth_m:g} m bandwidth are blank (density below "
            f"{floor:.3g} {units}), so no single event forms a peak that can be located.")
    out = v.astype(layer.data.values.dtype, copy=True)
    out[blank] = 0
    surf = dataclasses.replace(layer.data, values=out)
    if hasattr(layer.data, "meta") and isinstance(layer.data.meta, dict):
        surf.meta = {**layer.data.meta, "notes": [*layer.data.meta.get("notes", []), line]}
    new_notes = list(dict.fromkeys([*(meta.get("notes") or []), line]))
    return _copy_layer(layer, surf, {"kde_floor": floor, "kde_floor_cells": int(blank.sum()),
                                     "notes": new_notes}), line


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
    for lyr in layers:  # what the cross-table audit (mapping.disclosure.audit) found
        for line in (lyr.meta or {}).get("disclosure_audit") or []:
            if line not in notes:
                notes.append(line)
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
        if lyr.kind == "points" and is_sensitive(lyr) and not (lyr.meta or {}).get("aggregate"):
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
            if is_sensitive(lyr):
                floored, line = kde_floor(lyr, bw, rules)
                if line not in notes:
                    notes.append(line)
                safe.append(floored)
                continue
            safe.append(lyr)
            continue
        if data is not None and hasattr(data, "columns"):
            meta = {**(lyr.meta or {}), "sensitive": is_sensitive(lyr)}
            counts = count_columns(data, meta)
            rates = rate_columns(data, meta)
            if counts:
                new = withhold_classes(suppress_counts(data, counts, rates, rules,
                                                       derived_columns(data, meta)), meta,
                                       rules, truth=data)
                if new.shape[1] != data.shape[1]:
                    safe.append(_copy_layer(lyr, new, meta_up))
                    continue
        if len(meta_up) > 1:
            safe.append(_copy_layer(lyr, data, meta_up))
        else:
            safe.append(lyr)
    return safe, notes
