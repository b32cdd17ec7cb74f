"""Turn one file's table into accepted points and rejected rows (vectorised).

Used by :func:`layers.records.iter_records` (and so by
:func:`layers.records.load_records`); one :class:`FrameLoader` handles every
file of a layer, so the files share the kind, CRS, postcode table, study area
and the record keys seen so far (duplicates are found across files).

Each file is checked in one pass: rows the reader could not split (malformed
quoting, a truncated Shapefile), then the location, dates and numbers, then
repeated ids, then the study area; the first reason found for a row is the one
reported, and the file is split into accepted and rejected rows once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from layers.ingest.checks import blank_ids, hash_candidates
from layers.ingest.coords import parse_numbers
from layers.ingest.dates import AmbiguousDates, parse_dates
from layers.ingest.parts import XY_COLUMNS, xy_names
from layers.ingest.places import table_points, vector_points
from layers.ingest.police import (is_police_uk, is_stop_search, police_uk_columns,
                                  stop_search_columns)
from layers.ingest.reasons import Reasons, why_undated
from layers.ingest.schemas import DATE_FIELDS, NUMERIC_FIELDS, RECORD_KINDS, map_columns
from layers.ingest.split import split_rows

__all__ = ["FrameLoader", "XY_COLUMNS", "xy_names"]

#: ``dates=`` values: an ambiguous date column is refused, or left without dates.
DATE_MODES = ("required", "optional")


_ORDER_OF_LABEL = {"UK day-first": "DMY", "US month-first": "MDY", "year-first YY-MM-DD": "YMD"}


@dataclass(eq=False)
class _File:
    """One file between :meth:`FrameLoader.prepare` and :meth:`FrameLoader.finish`."""

    read: object
    frame: pd.DataFrame
    vt: object
    path: Path
    mapping: dict
    police: bool
    reasons: Reasons
    rows: np.ndarray
    finfo: dict
    passthrough: dict
    ex: np.ndarray
    ny: np.ndarray
    canon: dict = None
    keys: tuple = None
    outside: tuple = None


class FrameLoader:
    """Shared settings and cross-file state for the files of one record layer."""

    def __init__(self, *, kind, crs, pc_table, coordinates, geometry=True, dates="required",
                 date_format=None, seen=None, area=None):
        if kind not in RECORD_KINDS:
            raise InputError(f"unknown record kind {kind!r}",
                             fix=f"use one of {', '.join(sorted(RECORD_KINDS))}")
        if coordinates not in ("auto", "bng", "lonlat", "xy", "postcode"):
            raise InputError(f"unknown coordinates option {coordinates!r}",
                             fix="use auto, bng, lonlat, xy or postcode")
        if dates not in DATE_MODES:
            raise InputError(f"unknown dates option {dates!r}",
                             fix="use 'required' (refuse ambiguous date columns) or 'optional'")
        self.kind = kind
        self.crs = crs
        self.pc_table = pc_table
        self.coordinates = coordinates
        self.geometry = geometry
        self.dates = dates
        self.date_format = date_format
        self.seen = seen  # layers.ingest.checks.SeenIds, or None for no dedupe
        self.area = area  # layers.ingest.checks.StudyArea, or None
        self.raw = False  # True: split_rows returns a Part, not a DataFrame
        #: With ``raw``: ``kept(names)``, the accepted columns the caller keeps (None: all)
        self.kept = None
        self._orders = set()  # day/month orders the layer's date columns were read in

    # ------------------------------------------------------------------ main
    def load(self, read, path: Path, overrides: dict):
        """Check one file; return ``(accepted, rejected, file_info)``."""
        return self.finish(self.prepare(read, path, overrides))

    def prepare(self, read, path: Path, overrides: dict) -> "_File":
        """Every check of one file that needs nothing from the files before it.

        Called for the files in order (it learns the layer's day/month order); it shares
        no state with :meth:`finish`, so a caller may run it for the next file (on
        another thread or process) while the previous one is finished.
        """
        frame = read.frame
        vt = getattr(read, "vector", None)
        n = len(frame)
        messages = []
        src = str(path)
        cols = list(frame.columns)
        police = vt is None and is_police_uk(cols)
        stops = vt is None and not police and is_stop_search(cols)
        kind = self.kind
        if kind == "generic" and (police or stops):
            kind = "police_uk" if police else "stop_search"
        mapping = map_columns(cols, kind, overrides, path=src, id_kind=self.kind)
        extra = {}
        passthrough = {}  # canonical text columns that are unchanged copies of a file column
        if police:
            pol = police_uk_columns(frame)
            pmap = pol.pop("_mapping")
            for k, v in pmap.items():
                mapping.setdefault(k, v)
            mapping.setdefault("id", pmap.get("crime_id"))
            extra.update(pol)
            del pol
            passthrough.update({k: pmap[k] for k in extra if k in pmap and k != "period"})
            passthrough["period"] = pmap["period"]
        if stops:
            st = stop_search_columns(frame)
            smap = st.pop("_mapping")
            for k, v in smap.items():
                mapping.setdefault(k, v)
            extra.update(st)
            del st
            passthrough.update({k: smap[k] for k in extra if k in smap})
        reasons = Reasons(n)
        rown = getattr(read, "row_numbers", None)
        rows = np.arange(1, n + 1) if rown is None else np.asarray(rown)
        for pos, reason, detail in getattr(read, "row_reasons", ()):
            mask = np.zeros(n, bool)
            mask[pos] = True
            det = np.full(n, "", dtype=object)
            det[pos] = detail
            reasons.add(mask, reason, det)
        finfo = {"police_uk": police, "stop_search": stops, "messages": messages,
                 "date_formats": [], "undated": {}, "duplicates": 0, "_pass": passthrough}
        withheld = ("police.uk publishes no location for this crime" if police else
                    "police.uk publishes no location for this search" if stops else None)
        if vt is not None:
            ex, ny, system, crs = vector_points(vt, path, self.crs, reasons, messages)
        else:
            ex, ny, system, crs = table_points(frame, path, mapping, reasons, withheld, messages,
                                               mode=self.coordinates, user_crs=self.crs,
                                               pc_table=self.pc_table)
        finfo["coordinates"] = system
        finfo["crs"] = crs
        f = _File(read=read, frame=frame, vt=vt, path=path, mapping=mapping, police=police,
                  reasons=reasons, rows=rows, finfo=finfo, passthrough=passthrough, ex=ex,
                  ny=ny)
        f.canon = self._canonical(frame, mapping, kind, reasons, extra, finfo, path, rows)
        extra.clear()
        if self.seen is not None:
            f.keys = self._keys(f)
        if self.area is not None:  # checked now, applied after the duplicates (first reason)
            f.outside = self.area.outside(ex, ny, reasons.ok)
        return f

    def finish(self, f: "_File"):
        """The checks that need the files before this one (duplicates), and the split."""
        if f.keys is not None:
            self._dedupe(f)
        if f.outside is not None:
            out, detail = f.outside
            f.reasons.add(out, "outside study area", detail)
        acc, rej = split_rows(f.read, f.frame, f.vt, f.path, f.reasons, f.canon,
                              f.passthrough, f.ex, f.ny, f.rows, raw=self.raw,
                              geometry=self.geometry, kept=self.kept if self.raw else None)
        f.finfo["mapping"] = {k: v for k, v in f.mapping.items() if v is not None}
        f.finfo.pop("_pass", None)
        return acc, rej, f.finfo

    # ------------------------------------------------------------ duplicates
    def _keys(self, f: "_File"):
        """The hashed record keys of the rows that could repeat an earlier record."""
        col = f.mapping.get("id")
        if col is None or col not in f.frame:
            return None
        ids = f.frame[col]
        cand = f.reasons.ok & ~blank_ids(ids)
        if not cand.any():
            return None
        if f.police:
            keys = {"id": ids, "month": f.canon.get("period"),
                    "type": f.canon.get("crime_type"), "x": f.ex, "y": f.ny}
            keys = {k: v for k, v in keys.items() if v is not None}
            label = f"{col}, month, crime type and location"
        else:
            keys = {"id": ids}
            label = col
        return cand, hash_candidates(keys, cand), label

    def _dedupe(self, f: "_File"):
        _, hashed, label = f.keys
        dup, detail = self.seen.check_hashed(hashed, str(f.path), f.rows, label)
        k = f.reasons.add(dup, "duplicate id", detail)
        if k:
            f.finfo["duplicates"] = k
            f.finfo["messages"].append(
                f"{f.path.name}: {k:,} duplicate record(s) rejected (same {label} as an "
                "earlier record; listed as 'duplicate id' in the rejected rows)")

    # ----------------------------------------------------------- attributes
    def _date_format(self, src, field):
        fmt = self.date_format
        if isinstance(fmt, dict):
            return fmt.get(src, fmt.get(field))
        return fmt

    def _dates(self, series, src, field, finfo, path, rows, learned=None):
        """Parse one date column; an ambiguous one raises unless ``learned`` settles it."""
        fmt = self._date_format(src, field)
        inferred = None
        try:
            parsed, bad, detail, fmts = parse_dates(series, date_format=fmt, column=src)
        except AmbiguousDates as exc:
            fits = [o for o in exc.orders if o in (learned or ())]
            if learned is None or len(fits) != 1:
                raise
            inferred = fits[0]
            parsed, bad, detail, fmts = parse_dates(series, date_format=inferred, column=src)
            finfo["messages"].append(
                f"{path.name}: the dates in {src!r} would read both {' and '.join(exc.orders)}; "
                f"read {inferred} like the layer's other dates (set date_format= to choose "
                "otherwise)")
        finfo["date_formats"].extend(fmts)
        for f in fmts:
            if f in _ORDER_OF_LABEL:
                self._orders.add(_ORDER_OF_LABEL[f])
        k = int(bad.sum())
        if k:
            first = rows[bad][:5].tolist()
            why = why_undated(detail[bad])
            finfo["undated"][src] = {"rows": k, "why": why, "first_rows": first,
                                     "all_rows": rows[bad].tolist()}
            finfo["messages"].append(
                f"{path.name}: {k:,} row(s) have a {src!r} value that is not a readable date "
                f"({why}; first at row {', '.join(map(str, first))}); they are kept without a "
                "date, and analyses by date (trend, change, needles, lifecycle) leave them out "
                "and say how many")
        return parsed

    def _all_dates(self, frame, jobs, finfo, path, rows):
        """Parse every date column of a file; settle ambiguous ones from the others.

        A column whose values read both day-first and month-first takes the order
        the layer's other date columns (this file's or earlier files') were read
        in, when they agree; otherwise it is refused (``dates='required'``) or
        left without dates with a message (``'optional'``).
        """
        out, waiting, done = {}, [], {}
        for f, src in jobs:
            if src in done:  # one file column feeding two fields (needles' date)
                out[f] = done[src]
                continue
            try:
                out[f] = done[src] = self._dates(frame[src], src, f, finfo, path, rows)
            except AmbiguousDates as exc:
                waiting.append((f, src, exc))
        for f, src, exc in waiting:
            if src in done:
                out[f] = done[src]
                continue
            try:
                out[f] = done[src] = self._dates(frame[src], src, f, finfo, path, rows,
                                                 learned=set(self._orders))
                continue
            except AmbiguousDates:
                pass
            if self.dates == "required":
                raise AmbiguousDates(exc.problem, path=path, column=src, fix=exc.fix,
                                     orders=exc.orders, examples=exc.examples) from None
            n = int(frame[src].notna().sum())
            finfo["undated"][src] = {"rows": n, "why": "ambiguous day/month order",
                                     "all_rows": None}  # every row of the file
            finfo["messages"].append(
                f"{path.name}: the dates in {src!r} are ambiguous (they read both "
                f"{' and '.join(exc.orders)}), so the {n:,} row(s) are kept without a date; "
                "this analysis does not need dates. Fix for analyses by date: "
                + (exc.fix or ""))
            out[f] = done[src] = pd.Series(np.full(len(frame), np.datetime64("NaT"),
                                                   "datetime64[ns]"))
        return out

    def _canonical(self, frame, mapping, kind, reasons, extra, finfo, path, rows):
        n = len(frame)
        out, jobs = {}, []
        fields = set(RECORD_KINDS[kind]) | {"date"}
        for f in sorted(fields):
            src = mapping.get(f)
            if f in DATE_FIELDS:
                if src is None:
                    out[f] = pd.Series(np.full(n, np.datetime64("NaT"), "datetime64[ns]"))
                    continue
                out[f] = None
                jobs.append((f, src))
            elif f in NUMERIC_FIELDS:
                if src is None:
                    out[f] = np.full(n, np.nan)
                    continue
                num, bad = parse_numbers(frame[src])
                reasons.add(bad, "unparseable number", f"column {src!r} is not a number")
                out[f] = num
            elif src is not None:
                out[f] = frame[src]
                finfo["_pass"][f] = src
            else:
                out[f] = pd.Series([None] * n, dtype=object)
        coord_keys = {"x", "y", "lon", "lat", "postcode", "id"}
        for f, src in mapping.items():
            if f in out or f in coord_keys or f in extra or src is None or src not in frame:
                continue
            if f in DATE_FIELDS or f.endswith(("_date", "_at")):
                out[f] = None
                jobs.append((f, src))
            else:
                out[f] = frame[src]
                finfo["_pass"][f] = src
        out.update(self._all_dates(frame, jobs, finfo, path, rows))
        out.update(extra)
        if "period" in extra and "date" in out:  # police.uk: the first day of the month
            d = np.asarray(out["date"], dtype="datetime64[ns]")
            out["date"] = pd.Series(d.astype("datetime64[M]").astype("datetime64[ns]"))
        return out
