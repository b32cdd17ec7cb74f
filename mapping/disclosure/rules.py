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

The module holds :func:`apply_rules` (what may leave hotmap) and the KDE floor;
the parts are :mod:`~mapping.disclosure.settings` (the settings),
:mod:`~mapping.disclosure.columns` (which columns are counts, rates, classes),
:mod:`~mapping.disclosure.suppression` (small counts in a table, honest labels) and
:mod:`~mapping.disclosure.classes` (hot/cold-spot classes), all importable from here.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from layers.model import Layer
from mapping.disclosure.classes import withhold_classes
from mapping.disclosure.columns import (CLASS_COLUMN_RE, count_columns, derived_columns,
                                        rate_columns, secondary_flag)
from mapping.disclosure.settings import DisclosureRules, describe_rules, is_sensitive
from mapping.disclosure.suppression import display_table, suppress_counts
from mapping.stats.kernels import KERNELS, kernel_density

__all__ = ["DisclosureRules", "apply_rules", "describe_rules", "suppress_counts",
           "display_table", "count_columns", "rate_columns", "enforce_bandwidth",
           "is_sensitive", "secondary_flag", "derived_columns",
           "withhold_classes", "kde_floor", "copy_layer", "CLASS_COLUMN_RE"]


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
    return copy_layer(layer, surf, {"kde_floor": floor, "kde_floor_cells": int(blank.sum()),
                                     "notes": new_notes}), line


def copy_layer(layer, data, meta_updates: dict):
    """A new layer like ``layer`` holding ``data``, its meta updated with ``meta_updates``;
    ``layer`` is not modified (:meth:`layers.model.Layer.copy`, the one way a layer is
    copied)."""
    return layer.copy(data=data, meta_updates=meta_updates)


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
        out = _safe_layer(lyr, rules, notes)
        if out is not None:
            safe.append(out)
    return safe, notes


def _safe_layer(lyr, rules: DisclosureRules, notes: list):
    """One layer as it may leave hotmap (None when withheld); notes are added to ``notes``."""
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
            return None
        notes.append(f"'{lyr.name}': raw locations of a sensitive layer ARE included "
                     "because the user allowed raw export for this layer.")
        return lyr
    if lyr.kind == "surface":
        return _safe_surface(lyr, rules, notes)
    if data is not None and hasattr(data, "columns"):
        meta = {**(lyr.meta or {}), "sensitive": is_sensitive(lyr)}
        counts = count_columns(data, meta)
        rates = rate_columns(data, meta)
        if counts:
            new = withhold_classes(suppress_counts(data, counts, rates, rules,
                                                   derived_columns(data, meta)), meta,
                                   rules, truth=data)
            if new.shape[1] != data.shape[1]:
                return copy_layer(lyr, new, meta_up)
    if len(meta_up) > 1:
        return copy_layer(lyr, data, meta_up)
    return lyr


def _safe_surface(lyr, rules: DisclosureRules, notes: list):
    """A surface as it may be published: withheld below the minimum bandwidth of sensitive
    data, floored (:func:`kde_floor`) when sensitive, else as it is."""
    bw = _bandwidth(lyr)
    if is_sensitive(lyr) and (bw is None or bw < rules.min_kde_bandwidth_m):
        got = "unknown" if bw is None else f"{bw:g} m"
        notes.append(f"'{lyr.name}': surface withheld; its bandwidth ({got}) is below "
                     f"the {rules.min_kde_bandwidth_m:g} m minimum for sensitive data.")
        return None
    if is_sensitive(lyr):
        floored, line = kde_floor(lyr, bw, rules)
        if line not in notes:
            notes.append(line)
        return floored
    return lyr
