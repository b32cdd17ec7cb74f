"""Near repeats: the Knox test over distance bands × time bands (Ratcliffe's method).

Method
------
Every pair of events ``(i, j)`` has a distance ``d_ij`` (metres) and a time
gap ``|t_i − t_j|`` (days).  The pairs are counted in a table of distance
bands × time bands.  Bands are closed on the right, as the Near Repeat
Calculator (Ratcliffe 2009) labels them: with distance edges
``[0, 100, 200]`` the bands are *same location* (0 m), (0, 100] m and
(100, 200] m, and the last row holds every pair *beyond* 200 m; with time
edges ``[7, 14]`` the bands are 0-7 days, (7, 14] days and *beyond*.

Under "no space-time interaction" the time of an event is unrelated to its
place.  As in the Near Repeat Calculator, that null is simulated by
**permuting the event times across the locations** (Monte Carlo): each
permutation keeps every location and every time, so the row and column
totals of the table never change, and only the pairing does.  For each cell:

* ``observed``: pairs in the cell;
* ``expected``: the exact mean of the permutation distribution,
  ``row total × column total / number of pairs`` (each pair of locations
  receives a uniformly random pair of distinct times; the Monte Carlo mean
  converges to it, which the tests check);
* ``knox_ratio = observed / expected`` (> 1: more pairs close in space and
  time than chance; Ratcliffe's "observed over the mean expected");
* ``p_value = (1 + #{simulations ≥ observed}) / (permutations + 1)``, the
  one-sided Monte Carlo p-value of *more* pairs than chance (the smallest
  possible value is 1/(permutations + 1): 0.01 needs 99, 0.001 needs 999);
  ``p_lower`` is the same for *fewer* pairs; ``z`` is
  ``(observed − mean) / sd`` of the simulations.

Speed: only pairs within the largest distance band are enumerated (a
KD-tree ``query_pairs``); the beyond-distance row is the all-pairs time
histogram (from sorted times, O(n log n)) minus the close pairs.  Each
permutation is one gather, one subtraction and one ``bincount`` over the
close pairs.

Only records with a date are used (their number is in the meta).  Dates
that are whole months (police.uk publishes the month only) cannot measure
gaps in days, and are refused.

References
----------
Knox EG (1964) The detection of space-time interactions. *Appl Stat* 13:25-29.
Ratcliffe JH (2009) Near Repeat Calculator (version 1.3). Temple University,
Philadelphia, and the National Institute of Justice, Washington DC.
Johnson SD et al. (2007) Space-time patterns of risk: a cross national
assessment of residential burglary victimization. *J Quant Criminol* 23:201-219.

Public functions: :func:`near_repeat_knox`; result :class:`KnoxResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers.common.errors import AnalysisError, ResourceLimitError
from mapping.core.crs import projected_xy
from mapping.core.periods import describe_span

__all__ = ["near_repeat_knox", "KnoxResult", "MAX_CLOSE_PAIRS"]

#: Close pairs held in memory at most (about 16 bytes each, plus the per-permutation work).
MAX_CLOSE_PAIRS = 40_000_000
_NS_PER_DAY = 86_400e9


@dataclass
class KnoxResult:
    """Knox table of a near-repeat analysis.

    Attributes
    ----------
    table : DataFrame
        One row per (distance band, time band): ``distance_band``,
        ``time_band``, ``d_from_m``, ``d_to_m``, ``t_from_days``, ``t_to_days``
        (``inf`` for *beyond*), ``observed``, ``expected``, ``knox_ratio``,
        ``sim_mean``, ``sim_sd``, ``z``, ``p_value``, ``p_lower``, ``significant``.
    observed, expected, p_value : ndarray, shape (distance bands, time bands)
    distance_labels, time_labels : list of str
    meta : dict
        ``title``, ``units``, ``method``, ``params``, ``base_n``, ``period``,
        ``references``, ``count_columns``, ``notes``.
    """

    table: pd.DataFrame
    observed: np.ndarray
    expected: np.ndarray
    p_value: np.ndarray
    distance_labels: list
    time_labels: list
    meta: dict = field(default_factory=dict)

    def wide(self, value: str = "knox_ratio") -> pd.DataFrame:
        """The ``value`` column as distance bands (rows) × time bands (columns)."""
        t = self.table.pivot(index="distance_band", columns="time_band", values=value)
        return t.reindex(index=self.distance_labels, columns=self.time_labels)


def _edges(values, what: str, unit: str) -> np.ndarray:
    try:
        e = np.asarray([float(v) for v in values], float)
    except (TypeError, ValueError):
        raise AnalysisError(f"the {what} bands must be a list of numbers ({unit})",
                            fix=f"e.g. {what}_bands = [0, 100, 200, 300]") from None
    if len(e) == 0 or not np.isfinite(e).all() or (e < 0).any() or (np.diff(e) <= 0).any():
        raise AnalysisError(f"the {what} bands must be increasing, non-negative {unit}",
                            fix=f"e.g. {what}_bands = [0, 100, 200, 300]")
    return e


def _num(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _distance_labels(e) -> list:
    out, lo = [], None
    for hi in e:
        if hi == 0:
            out.append("same location")
        elif lo is None:
            out.append(f"0–{_num(hi)} m")
        else:
            out.append(f"{_num(lo)}–{_num(hi)} m")
        lo = hi
    return out + [f"beyond {_num(e[-1])} m"]


def _time_labels(e, whole_days: bool) -> list:
    out, lo = [], None
    for hi in e:
        if lo is None:
            out.append(f"0–{_num(hi)} days")
        elif whole_days and float(lo).is_integer() and float(hi).is_integer():
            out.append(f"{_num(lo + 1)}–{_num(hi)} days")
        else:
            out.append(f"{_num(lo)}–{_num(hi)} days")
        lo = hi
    return out + [f"beyond {_num(e[-1])} days"]


def _days(dates) -> np.ndarray:
    ts = pd.to_datetime(pd.Series(dates), errors="coerce")
    v = ts.to_numpy("datetime64[ns]").astype("int64").astype(float)
    v[ts.isna().to_numpy()] = np.nan
    return v / _NS_PER_DAY


def _all_pair_time_hist(t_sorted: np.ndarray, t_edges: np.ndarray) -> np.ndarray:
    """Pairs per time band among *all* pairs (exact), from sorted times."""
    n = len(t_sorted)
    idx = np.arange(n)
    cum = [int((np.searchsorted(t_sorted, t_sorted + e, side="right") - idx - 1).sum())
           for e in t_edges]
    total = n * (n - 1) // 2
    return np.diff(np.r_[0, cum, total])


def near_repeat_knox(points, *, distance_bands=(0, 100, 200, 300, 400),
                     time_bands=(7, 14, 21, 28), permutations: int = 999, seed=None,
                     date_column: str = "date", metric: str = "euclidean",
                     alpha: float = 0.05, progress=None) -> KnoxResult:
    """Knox table of event pairs by distance and time band, with Monte Carlo p-values.

    Parameters
    ----------
    points : GeoDataFrame or coordinate-only layer
        Events in a projected CRS (metres) with a date (or date-time) column.
    distance_bands : sequence of float
        Upper edges in metres, increasing; a first edge of 0 makes a *same
        location* band (events at exactly the same point, as police.uk's snapped
        locations).  A *beyond* band is always added.  Default 0, 100 ... 400.
    time_bands : sequence of float
        Upper edges in days, increasing (default 7, 14, 21, 28); a *beyond*
        band is added.
    permutations : int
        Monte Carlo permutations of the times across locations (default 999;
        at least 19).
    seed : int, optional
        Random seed (give one for reproducible p-values).
    date_column : str
        Date or date-time of each event.
    metric : {"euclidean", "manhattan"}
        Distance between events (the Near Repeat Calculator offers both).
    alpha : float
        Level of the ``significant`` flag: ``p_value ≤ alpha`` (one-sided, more
        pairs than chance; inclusive, as the Near Repeat Calculator, because a
        Monte Carlo p-value cannot be below 1/(permutations + 1)).
    progress : callable, optional
        ``progress(fraction, message)``.

    Returns
    -------
    KnoxResult

    Raises
    ------
    AnalysisError
        Bad bands, fewer than 3 dated events, month-only dates, geographic CRS.
    ResourceLimitError
        More close pairs than :data:`MAX_CLOSE_PAIRS` (use smaller distance bands).
    """
    d_edges = _edges(distance_bands, "distance", "metres")
    t_edges = _edges(time_bands, "time", "days")
    if metric not in ("euclidean", "manhattan"):
        raise AnalysisError(f"unknown distance metric '{metric}'", fix="use euclidean or manhattan")
    permutations = int(permutations)
    if permutations < 19:
        raise AnalysisError(f"{permutations} permutations are too few for a p-value",
                            fix="use 99 (p down to 0.01) or 999 (down to 0.001)")
    xy, t, dates, whole_days, n_no_location, n_no_date = _dated_events(points, date_column)
    n = len(t)
    t = t - t.min()
    table_for, n_close_pairs = _pair_counter(xy, d_edges, t_edges, metric)
    all_t = _all_pair_time_hist(np.sort(t), t_edges)
    obs_close = table_for(t)
    observed = np.vstack([obs_close, all_t - obs_close.sum(0)])
    n_pairs = n * (n - 1) // 2
    expected = observed.sum(1)[:, None] * observed.sum(0)[None, :] / n_pairs
    sim_mean, sim_sd, p_hi, p_lo = _permuted(table_for, t, all_t, observed, permutations, seed,
                                             progress)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, observed / expected, np.nan)
        z = np.where(sim_sd > 0, (observed - sim_mean) / sim_sd, np.nan)
    dl, tl = _distance_labels(d_edges), _time_labels(t_edges, whole_days)
    rows = _knox_rows(d_edges, t_edges, dl, tl, alpha, observed=observed, expected=expected,
                      knox_ratio=ratio, sim_mean=sim_mean, sim_sd=sim_sd, z=z, p_value=p_hi,
                      p_lower=p_lo)
    notes = []
    if n_no_date:
        notes.append(f"{n_no_date:,} events without a date left out")
    if n_no_location:
        notes.append(f"{n_no_location:,} events without a location left out")
    nd, nt = observed.shape
    meta = {
        "title": "Near repeats: Knox ratios of event pairs by distance and time",
        "units": "pairs of events; ratio = observed / expected",
        "method": (f"Knox test over {nd - 1} distance bands and {nt - 1} time bands (plus "
                   f"beyond), {metric} distance; expected = row × column total / pairs; "
                   f"one-sided Monte Carlo p-values from {permutations} permutations of the "
                   "event times across locations (Ratcliffe's Near Repeat Calculator method)"),
        "params": {"distance_bands_m": d_edges.tolist(), "time_bands_days": t_edges.tolist(),
                   "permutations": permutations, "seed": seed, "metric": metric,
                   "alpha": alpha, "date_column": date_column},
        "base_n": int(n), "pairs": int(n_pairs), "close_pairs": int(n_close_pairs),
        "period": describe_span(dates),
        "references": ["Knox EG (1964) Appl Stat 13:25-29",
                       "Ratcliffe JH (2009) Near Repeat Calculator v1.3, Temple University",
                       "Johnson SD et al. (2007) J Quant Criminol 23:201-219"],
        "count_columns": ["observed"],
        "rate_columns": ["expected", "knox_ratio", "sim_mean", "sim_sd", "z"],
        "notes": notes,
    }
    return KnoxResult(table=pd.DataFrame(rows), observed=observed, expected=expected,
                      p_value=p_hi, distance_labels=dl, time_labels=tl, meta=meta)


def _dated_events(points, date_column):
    """Coordinates, days and dates of the events with a location and a date, whether the
    dates are whole days, and how many events lack a location or a date.

    Raises
    ------
    AnalysisError
        No date column, fewer than 3 dated events, or month-only dates.
    """
    if date_column not in points.columns:
        raise AnalysisError(f"the records have no '{date_column}' column", column=date_column,
                            fix="map the date column when loading, or set date_column")
    xy, keep = projected_xy(points, "the events")
    t_all = _days(points[date_column])[keep]
    dated = np.isfinite(t_all)
    n_no_location = int((~keep).sum())
    n_no_date = int((~dated).sum())
    xy, t = xy[dated], t_all[dated]
    n = len(t)
    if n < 3:
        raise AnalysisError(f"only {n} events have a location and a date; the Knox test "
                            "needs at least 3", fix="check the date column and the filter")
    dates = pd.to_datetime(points[date_column], errors="coerce")[keep][dated]
    whole_days = bool((dates == dates.dt.normalize()).all())
    if n >= 10 and whole_days and bool((dates.dt.day == 1).all()):
        raise AnalysisError("every date is the first of a month: these are months, not days "
                            "(police.uk publishes only the month), so gaps in days cannot "
                            "be measured", column=date_column,
                            fix="use records with full dates, e.g. the force's own extract")
    return xy, t, dates, whole_days, n_no_location, n_no_date


def _pair_counter(xy, d_edges, t_edges, metric):
    """The pairs of events closer than the largest distance band, and a function counting
    them per (distance band, time band) for one assignment of times to the events.

    Returns
    -------
    (callable, int)
        ``table_for(times)`` -> (distance bands, time bands + beyond) counts, and the number
        of close pairs.

    Raises
    ------
    ResourceLimitError
        More close pairs than :data:`MAX_CLOSE_PAIRS`.
    """
    from scipy.spatial import cKDTree

    n = len(xy)
    p_norm = 2.0 if metric == "euclidean" else 1.0
    tree = cKDTree(xy)
    r = float(d_edges[-1])
    n_close = tree.count_neighbors(tree, r, p=p_norm)
    n_close = (int(n_close) - n) // 2
    if n_close > MAX_CLOSE_PAIRS:
        raise ResourceLimitError(f"{n_close:,} pairs of events lie within {r:g} m of each other",
                                 fix="use a smaller largest distance band, or fewer events")
    pairs = tree.query_pairs(r, p=p_norm, output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    diff = xy[i] - xy[j]
    dist = np.hypot(diff[:, 0], diff[:, 1]) if metric == "euclidean" else np.abs(diff).sum(1)
    nd, nt = len(d_edges) + 1, len(t_edges) + 1
    dband = np.minimum(np.searchsorted(d_edges, dist, side="left"), nd - 2)  # never beyond
    order = np.argsort(dband, kind="stable")  # pairs grouped by distance band
    i, j = i[order].astype(np.intp), j[order].astype(np.intp)
    cuts = np.searchsorted(dband[order], np.arange(nd))
    g1, g2 = np.empty(len(i)), np.empty(len(i))

    def table_for(times):
        """Close pairs per (distance band, time band) for one assignment of times."""
        np.take(times, i, out=g1)
        np.take(times, j, out=g2)
        np.subtract(g1, g2, out=g1)
        np.abs(g1, out=g1)
        cum = np.empty((nd - 1, nt), np.int64)  # pairs with gap <= each edge, then all
        for a in range(nd - 1):
            seg = g1[cuts[a]:cuts[a + 1]]
            for b, e in enumerate(t_edges):
                cum[a, b] = np.count_nonzero(seg <= e)
            cum[a, -1] = len(seg)
        return np.diff(cum, axis=1, prepend=0)

    return table_for, len(i)


def _permuted(table_for, t, all_t, observed, permutations, seed, progress):
    """Monte Carlo: the Knox table under random permutations of the times across locations.

    Returns
    -------
    (ndarray, ndarray, ndarray, ndarray)
        Mean and standard deviation of the simulated tables, and the one-sided p-values
        (more pairs than chance, fewer pairs than chance).
    """
    n = len(t)
    nd, nt = observed.shape
    rng = np.random.default_rng(seed)
    ge = np.zeros((nd, nt), np.int64)
    le = np.zeros((nd, nt), np.int64)
    s1 = np.zeros((nd, nt))
    s2 = np.zeros((nd, nt))
    for k in range(permutations):
        sim_close = table_for(t[rng.permutation(n)])
        sim = np.vstack([sim_close, all_t - sim_close.sum(0)])
        ge += sim >= observed
        le += sim <= observed
        s1 += sim
        s2 += sim.astype(float) ** 2
        if progress is not None and k % 50 == 0:
            progress(k / permutations, f"permutation {k} of {permutations}")
    sim_mean = s1 / permutations
    sim_sd = np.sqrt(np.maximum(s2 / permutations - sim_mean ** 2, 0.0))
    p_hi = (ge + 1.0) / (permutations + 1.0)
    p_lo = (le + 1.0) / (permutations + 1.0)
    return sim_mean, sim_sd, p_hi, p_lo


def _knox_rows(d_edges, t_edges, dl, tl, alpha, **cells):
    """One row per (distance band, time band) with its bounds and every cell statistic."""
    d_lo = np.r_[0.0, d_edges]
    d_hi = np.r_[d_edges, np.inf]
    t_lo = np.r_[0.0, t_edges]
    t_hi = np.r_[t_edges, np.inf]
    rows = []
    for a in range(len(dl)):
        for b in range(len(tl)):
            c = {k: v[a, b] for k, v in cells.items()}
            rows.append({"distance_band": dl[a], "time_band": tl[b], "d_from_m": d_lo[a],
                         "d_to_m": d_hi[a], "t_from_days": t_lo[b], "t_to_days": t_hi[b],
                         "observed": int(c["observed"]), "expected": float(c["expected"]),
                         "knox_ratio": float(c["knox_ratio"]), "sim_mean": float(c["sim_mean"]),
                         "sim_sd": float(c["sim_sd"]), "z": float(c["z"]),
                         "p_value": float(c["p_value"]), "p_lower": float(c["p_lower"]),
                         "significant": bool(c["p_value"] <= alpha)})
    return rows
