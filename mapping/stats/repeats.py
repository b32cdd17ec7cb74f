"""Repeat locations: how concentrated events are on a few places (the 80-20 rule).

Events are grouped by **location**: the records' location text (police.uk's
``Location``, a premises or street name; compared without case and extra
spaces), or their coordinates, exact (police.uk snaps events onto shared
points) or **snapped** to a grid of ``snap_m`` metres.  Locations are ranked
from the most events to the fewest; for each the table gives its events,
its share, and the cumulative shares of events and of locations.

The concentration curve joins (0, 0) and ``(k / L, events at the top k / n)``
for k = 1 … L locations, linearly between them.  From it:

* the share of **events at the top 20%** of locations (its height at 0.2);
* the share of **locations holding 80%** of the events (where it reaches 0.8);

and the same at other cut points (:data:`LOCATION_CUTS`, :data:`EVENT_CUTS`);
at a whole number of locations these are the plain cumulative counts.  The
Gini coefficient of the events per location is also given (0 = every
location has the same number; near 1 = all on one).  Only locations with at
least one event are known, so these shares describe the places where events
happened, not every address.

References: Eck JE, Clarke RV, Guerette RT (2007) Risky facilities: crime
concentration in homogeneous sets of establishments and facilities. *Crime
Prevention Studies* 21:225-264.  Weisburd D (2015) The law of crime
concentration and the criminology of place. *Criminology* 53:133-157.

Public functions: :func:`repeat_locations`; result :class:`RepeatResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers.common.errors import AnalysisError

__all__ = ["repeat_locations", "RepeatResult", "LOCATION_CUTS", "EVENT_CUTS"]

#: Shares of locations (the top ones) at which the share of events is reported.
LOCATION_CUTS = (0.01, 0.05, 0.10, 0.20, 0.50)
#: Shares of events for which the share of locations holding them is reported.
EVENT_CUTS = (0.50, 0.80, 0.90)


@dataclass
class RepeatResult:
    """Ranked locations and the concentration summary.

    Attributes
    ----------
    table : DataFrame
        ``rank``, ``location``, ``events``, ``share``, ``cum_events``,
        ``cum_share``, ``cum_locations_share``, (``x``, ``y`` when grouped by
        coordinates).
    concentration : DataFrame
        The 80-20 table: ``measure``, ``locations_pct``, ``events_pct``.
    summary : dict
        ``n_events``, ``n_locations``, ``n_repeat_locations``,
        ``events_at_repeats_pct``, ``top20_events_pct``, ``locations_for_80_pct``,
        ``gini``, ``max_events``.
    meta : dict
    """

    table: pd.DataFrame
    concentration: pd.DataFrame
    summary: dict
    meta: dict = field(default_factory=dict)

    def curve(self):
        """Concentration curve points (x = share of locations, y = share of events), from 0."""
        return (np.r_[0.0, self.table["cum_locations_share"].to_numpy()],
                np.r_[0.0, self.table["cum_share"].to_numpy()])


def _groups(records, location, snap_m):
    """(key per record, label per key, x, y per key or None, n without a location)."""
    if location is not None:
        if location not in records.columns:
            raise AnalysisError(f"the records have no '{location}' column", column=location,
                                fix="name the column with the location text, or group by "
                                    "coordinates (no location column)")
        text = records[location].astype("string").str.strip()
        text = text.str.replace(r"\s+", " ", regex=True)
        missing = text.isna() | (text == "")
        key = text.str.lower().where(~missing)
        first = pd.DataFrame({"k": key[~missing], "t": text[~missing]}).drop_duplicates("k")
        labels = dict(zip(first["k"], first["t"]))
        return key[~missing].to_numpy(object), labels, None, int(missing.sum())
    from mapping.core.crs import projected_xy

    xy, keep = projected_xy(records, "the records")
    if snap_m:
        if snap_m <= 0:
            raise AnalysisError("the snapping distance must be positive metres")
        xy = (np.floor(xy / snap_m) + 0.5) * snap_m  # centre of the snap cell
    xy = np.round(xy, 1)
    keys = np.array([f"{x:.1f} {y:.1f}" for x, y in xy], dtype=object)
    return keys, None, xy, int((~keep).sum())


def repeat_locations(records, *, location: str | None = None, snap_m: float | None = None,
                     weight: str | None = None) -> RepeatResult:
    """Rank locations by events and measure how concentrated the events are.

    Parameters
    ----------
    records : DataFrame or GeoDataFrame
        Events.
    location : str, optional
        Column of location text; without it, events are grouped by coordinates.
    snap_m : float, optional
        With coordinates: snap to a grid of this many metres (e.g. 25 for an
        address, 100 for a street block); default exact coordinates.
    weight : str, optional
        Numeric column counted instead of 1 per record (e.g. needle quantity).

    Returns
    -------
    RepeatResult

    Raises
    ------
    AnalysisError
        No column, no event with a location.
    """
    keys, labels, xy, n_missing = _groups(records, location, snap_m)
    if len(keys) == 0:
        raise AnalysisError("no event has a location", fix="check the location column")
    if weight is not None:
        if weight not in records.columns:
            raise AnalysisError(f"no weight column '{weight}'", column=weight)
        wv = pd.to_numeric(records[weight], errors="coerce").fillna(0).to_numpy(float)
        if location is not None:
            text = records[location].astype("string").str.strip()
            wv = wv[~(text.isna() | (text == "")).to_numpy()]
    else:
        wv = np.ones(len(keys))
    counts = pd.Series(wv).groupby(pd.Series(keys)).sum()
    order = sorted(counts.index, key=lambda k: (-counts[k], str(k)))
    ev = counts.reindex(order).to_numpy(float)
    n, big_l = float(ev.sum()), len(ev)
    if n <= 0:
        raise AnalysisError("the events add up to zero", fix="check the weight column")
    cum = np.cumsum(ev)
    table = pd.DataFrame({"rank": np.arange(1, big_l + 1),
                          "location": [labels[k] if labels else k for k in order],
                          "events": ev if weight else ev.astype(int), "share": ev / n,
                          "cum_events": cum if weight else cum.astype(int),
                          "cum_share": cum / n,
                          "cum_locations_share": np.arange(1, big_l + 1) / big_l})
    if xy is not None:
        xs = dict(zip(keys, xy[:, 0]))
        ys = dict(zip(keys, xy[:, 1]))
        table["x"] = [xs[k] for k in order]
        table["y"] = [ys[k] for k in order]
        table["location"] = [f"E {xs[k]:,.0f}, N {ys[k]:,.0f}" for k in order]
    cx = np.r_[0.0, table["cum_locations_share"].to_numpy()]
    cy = np.r_[0.0, table["cum_share"].to_numpy()]
    rows = [{"measure": f"events at the top {c:.0%} of locations", "locations_pct": 100 * c,
             "events_pct": 100 * float(np.interp(c, cx, cy))} for c in LOCATION_CUTS]
    for c in EVENT_CUTS:
        x = float(np.interp(c, cy, cx))
        rows.append({"measure": f"locations holding {c:.0%} of events",
                     "locations_pct": 100 * x, "events_pct": 100 * c})
    conc = pd.DataFrame(rows)
    asc = np.sort(ev)
    gini = float((2 * np.arange(1, big_l + 1) - big_l - 1) @ asc / (big_l * asc.sum())) \
        if big_l > 1 else 0.0
    rep = ev > 1
    k80 = int(np.searchsorted(cum / n, 0.8 - 1e-12) + 1)
    summary = {"n_events": n if weight else int(n), "n_locations": big_l,
               "n_repeat_locations": int(rep.sum()),
               "events_at_repeats_pct": float(100 * ev[rep].sum() / n),
               "top20_events_pct": float(conc.loc[3, "events_pct"]),
               "locations_for_80_pct": float(conc.loc[len(LOCATION_CUTS) + 1, "locations_pct"]),
               "locations_for_80": k80, "gini": gini, "max_events": float(ev[0])}
    by = f"'{location}'" if location else (f"coordinates snapped to {snap_m:g} m" if snap_m
                                           else "exact coordinates")
    notes = [f"{n_missing:,} events without a location left out"] if n_missing else []
    meta = {
        "title": "Repeat locations: concentration of events",
        "units": "events; percentages",
        "method": (f"events grouped by {by}, ranked; shares read from the concentration curve "
                   "(linear between locations); Gini coefficient of events per location"),
        "params": {"location": location, "snap_m": snap_m, "weight": weight},
        "base_n": summary["n_events"], "summary": summary,
        "references": ["Eck JE, Clarke RV, Guerette RT (2007) Crime Prev Stud 21:225-264",
                       "Weisburd D (2015) Criminology 53:133-157"],
        "count_columns": ["events"],
        "rate_columns": ["share", "cum_share", "cum_events"],
        "notes": notes,
    }
    return RepeatResult(table=table, concentration=conc, summary=summary, meta=meta)
