"""Did the intervention work? Before/after counts in target, buffer and control areas.

Areas
-----
* **target** (T): where the intervention happened (a closed crack house's
  street, an operation's patrol area);
* **buffer** (D): the surrounding area where crime could be displaced to (or
  benefits diffuse to); given as a polygon, or as a ring ``buffer_m`` metres
  wide around the target;
* **control** (C): a comparable area without the intervention, showing the
  background trend;
* **control buffer** (Cd, optional): a ring around the control, the buffer's
  comparison in the WDD.

Measures
--------
Counts before (``0``) and after (``1``) in each area, their change and
percentage change, and:

**Weighted Displacement Quotient** (Bowers & Johnson 2003)::

    success measure   = T1/T0 − C1/C0          (< 0: the target fell relative to control)
    buffer measure    = D1/D0 − C1/C0          (> 0: displacement; < 0: diffusion)
    WDQ               = buffer measure / success measure

with Bowers & Johnson's reading (when the success measure is negative):
WDQ > 1 diffusion of benefit greater than the direct effect; 0 < WDQ ≤ 1
diffusion of benefit; 0 no displacement or diffusion; −1 ≤ WDQ < 0
displacement smaller than the direct effect (a net benefit); WDQ < −1
displacement greater than the direct effect (backfire).

**Weighted Displacement Difference** (Wheeler & Ratcliffe 2018)::

    WDD = (T1 − T0) − (C1 − C0) + (D1 − D0) − (Cd1 − Cd0)
    Var(WDD) = T1 + T0 + C1 + C0 + D1 + D0 + Cd1 + Cd0     (Poisson counts)
    z = WDD / sqrt(Var),   CI = WDD ± z_(1−α/2) · sqrt(Var)

A negative WDD is the estimated number of events prevented.  With periods of
different lengths, each count is divided by its period's length relative to
the after period (``time_weights``), and with areas of different sizes by
its area's weight (``area_weights``), as in Wheeler's ``ptools::wdd``:
``WDD = Σ ± count / w`` and ``Var = Σ count / w²``.

References
----------
Bowers KJ, Johnson SD (2003) Measuring the geographical displacement and
diffusion of benefit effects of crime prevention activity. *J Quant Criminol*
19:275-301.  Wheeler AP, Ratcliffe JH (2018) A simple weighted displacement
difference test to evaluate place based crime interventions. *Crime Science* 7:11.

Public functions: :func:`wdd`, :func:`wdq`, :func:`evaluate_intervention`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from layers.common.errors import AnalysisError

__all__ = ["wdd", "wdq", "evaluate_intervention", "EvaluationResult", "AREA_ROLES"]

AREA_ROLES = ("target", "buffer", "control", "control buffer")


def wdd(treated, control, disp_treated=(0, 0), disp_control=(0, 0), *,
        time_weights=(1.0, 1.0), area_weights=(1.0, 1.0, 1.0, 1.0), alpha: float = 0.05) -> dict:
    """Weighted Displacement Difference and its normal test (Wheeler & Ratcliffe 2018).

    Parameters
    ----------
    treated, control, disp_treated, disp_control : (before, after) counts
        Target, control, buffer (displacement) and control-buffer areas.
    time_weights : (before, after)
        Relative lengths of the periods (e.g. ``(2, 1)``: two years before,
        one after); counts are divided by them.
    area_weights : (control, treated, disp_control, disp_treated)
        Relative sizes of the areas (the order of ``ptools::wdd``).
    alpha : float
        The confidence interval is ``1 − alpha``.

    Returns
    -------
    dict
        ``est_local``, ``se_local``, ``est_displace``, ``se_displace``,
        ``wdd``, ``se``, ``z``, ``p`` (two-sided), ``ci_low``, ``ci_high``.

    Examples
    --------
    The paper's example (Wheeler & Ratcliffe 2018, Table 1):

    >>> r = wdd((207, 110), (308, 318), (178, 157), (150, 140))
    >>> r["wdd"], r["se"] ** 2, round(r["z"], 2)
    (-118.0, 1568.0, -2.98)
    """
    from scipy.stats import norm

    tw0, tw1 = (float(v) for v in time_weights)
    aw = [float(v) for v in area_weights]
    if min(tw0, tw1, *aw) <= 0:
        raise AnalysisError("time and area weights must be positive")
    c, t, dc, dt = (np.asarray(v, float) for v in (control, treated, disp_control, disp_treated))
    for v in (c, t, dc, dt):
        if v.shape != (2,) or (v < 0).any() or not np.isfinite(v).all():
            raise AnalysisError("each area needs two non-negative counts: before and after")

    def part(a, wa, b, wb):
        est = (a[1] / (tw1 * wa) - a[0] / (tw0 * wa)) - (b[1] / (tw1 * wb) - b[0] / (tw0 * wb))
        var = (a[1] / (tw1 * wa) ** 2 + a[0] / (tw0 * wa) ** 2 + b[1] / (tw1 * wb) ** 2
               + b[0] / (tw0 * wb) ** 2)
        return float(est), float(var)

    el, vl = part(t, aw[1], c, aw[0])
    ed, vd = part(dt, aw[3], dc, aw[2])
    est, var = el + ed, vl + vd
    q = norm.ppf(1 - alpha / 2)
    se = float(np.sqrt(var))
    z = est / se if se > 0 else float("nan")
    return {"est_local": el, "se_local": float(np.sqrt(vl)), "est_displace": ed,
            "se_displace": float(np.sqrt(vd)), "wdd": est, "se": se, "z": z,
            "p": float(2 * norm.sf(abs(z))) if se > 0 else float("nan"),
            "ci_low": float(est - q * se), "ci_high": float(est + q * se)}


def wdq(treated, buffer, control) -> dict:
    """Weighted Displacement Quotient (Bowers & Johnson 2003) and its reading.

    Parameters
    ----------
    treated, buffer, control : (before, after) counts

    Returns
    -------
    dict
        ``success_measure``, ``buffer_measure``, ``wdq`` (NaN when a ratio is
        undefined: a zero count before) and ``reading`` (plain words).

    Examples
    --------
    >>> r = wdq((100, 60), (80, 88), (200, 190))
    >>> round(r["success_measure"], 2), round(r["buffer_measure"], 2), round(r["wdq"], 2)
    (-0.35, 0.15, -0.43)
    """
    (t0, t1), (d0, d1), (c0, c1) = (tuple(float(x) for x in v) for v in
                                    (treated, buffer, control))
    with np.errstate(divide="ignore", invalid="ignore"):
        cr = c1 / c0 if c0 > 0 else np.nan
        sm = t1 / t0 - cr if t0 > 0 else np.nan
        bm = d1 / d0 - cr if d0 > 0 else np.nan
        q = bm / sm if np.isfinite(sm) and sm != 0 else np.nan
    if not np.isfinite(sm):
        reading = "undefined: no events before in the target or control area"
    elif sm >= 0:
        reading = "no success: the target did not fall relative to the control area"
    elif not np.isfinite(q):
        reading = "success; displacement undefined (no events before in the buffer)"
    elif q > 1:
        reading = "success, with diffusion of benefit greater than the direct effect"
    elif q > 0:
        reading = "success, with some diffusion of benefit to the buffer"
    elif q == 0:
        reading = "success, with no displacement or diffusion"
    elif q >= -1:
        reading = "success, with some displacement, smaller than the direct effect"
    else:
        reading = "displacement greater than the direct effect (the scheme backfired)"
    return {"success_measure": float(sm), "buffer_measure": float(bm), "wdq": float(q),
            "reading": reading}


@dataclass
class EvaluationResult:
    """Before/after counts per area, WDQ and WDD.

    Attributes
    ----------
    table : DataFrame
        One row per area: ``area``, ``before``, ``after``, ``change``,
        ``pct_change``, ``area_km2``.
    wdd : dict
        :func:`wdd` output.
    wdq : dict
        :func:`wdq` output (when there is a buffer).
    areas : GeoDataFrame
        The polygons used, with their counts (``role``, ``before``, ``after``).
    meta : dict
    """

    table: pd.DataFrame
    wdd: dict
    wdq: dict
    areas: object
    meta: dict = field(default_factory=dict)


def _geom(g, what):
    if g is None:
        return None
    geom = g.union_all() if hasattr(g, "union_all") else g
    if geom is None or geom.is_empty:
        raise AnalysisError(f"the {what} area is empty", fix=f"choose a {what} polygon")
    return geom


def _window(period, what):
    try:
        a, b = (pd.Timestamp(v) for v in period)
    except (TypeError, ValueError):
        raise AnalysisError(f"the {what} period must be a start and an end date",
                            fix=f'e.g. {what} = ["2023-01-01", "2023-12-31"]') from None
    if b < a:
        raise AnalysisError(f"the {what} period ends before it starts")
    return a, b + pd.Timedelta(days=1) if b == b.normalize() else b


def evaluate_intervention(points, *, target, control, before, after, buffer=None,
                          buffer_m: float | None = None, control_buffer=None,
                          control_buffer_m: float | None = None, date_column: str = "date",
                          weight_by_time: bool = True, weight_by_area: bool = False,
                          alpha: float = 0.05) -> EvaluationResult:
    """Counts in target, buffer and control areas before and after, with WDQ and WDD.

    Parameters
    ----------
    points : GeoDataFrame or coordinate-only layer
        Dated events (projected CRS).
    target, control : GeoDataFrame or shapely geometry
        Target and control areas (several polygons are merged).
    before, after : (start, end) dates
        The two periods, inclusive (a date end includes that whole day).
    buffer : GeoDataFrame or geometry, optional
        Displacement area; or ``buffer_m`` for a ring of that width around the
        target (the target itself excluded).
    control_buffer, control_buffer_m : optional
        The control's own buffer (for the WDD's displacement comparison).
    date_column : str
        Event date.
    weight_by_time : bool
        Divide counts by the periods' relative lengths when they differ by more
        than 2% (so a leap day does not count).
    weight_by_area : bool
        Divide counts by the areas' relative sizes (per unit area, as
        Wheeler's area weights); off by default.
    alpha : float
        1 − confidence level of the WDD interval.

    Returns
    -------
    EvaluationResult
    """
    import geopandas as gpd

    from mapping.core.crs import projected_xy
    from mapping.stats.rates import assign_points

    tg, cg = _geom(target, "target"), _geom(control, "control")
    dg = _geom(buffer, "buffer") if buffer is not None else (
        tg.buffer(buffer_m).difference(tg) if buffer_m else None)
    cdg = _geom(control_buffer, "control buffer") if control_buffer is not None else (
        cg.buffer(control_buffer_m).difference(cg) if control_buffer_m else None)
    if tg.intersects(cg) and tg.intersection(cg).area > 0:
        raise AnalysisError("the target and control areas overlap",
                            fix="choose a control area apart from the target")
    if dg is not None and dg.intersection(cg).area > 0:
        raise AnalysisError("the buffer overlaps the control area",
                            fix="choose a control further away, or a narrower buffer")
    b0, b1 = _window(before, "before")
    a0, a1 = _window(after, "after")
    if a0 < b1:
        raise AnalysisError("the after period starts before the before period ends")
    roles = {"target": tg, "buffer": dg, "control": cg, "control buffer": cdg}
    roles = {k: v for k, v in roles.items() if v is not None}
    crs = getattr(target, "crs", None) or getattr(points, "crs", None) or "EPSG:27700"
    polys = gpd.GeoDataFrame({"role": list(roles)}, geometry=list(roles.values()), crs=crs)
    xy, keep = projected_xy(points, "the events")
    dates = pd.to_datetime(points[date_column], errors="coerce")[keep].to_numpy()
    counts = {}
    for k, (role, geom) in enumerate(roles.items()):
        inside = assign_points(polys.iloc[[k]], xy) == 0
        counts[role] = (int((inside & (dates >= b0) & (dates < b1)).sum()),
                        int((inside & (dates >= a0) & (dates < a1)).sum()))
    len_b, len_a = (b1 - b0) / pd.Timedelta(days=1), (a1 - a0) / pd.Timedelta(days=1)
    # weight only real differences (a leap day, 0.3%, is not one): Wheeler's time weights are
    # meant for periods such as two years before and one after
    tw = (len_b / len_a, 1.0) if weight_by_time and abs(len_b / len_a - 1) > 0.02 else (1.0, 1.0)
    km2 = {r: g.area / 1e6 for r, g in roles.items()}
    aw = {r: (km2[r] / km2["target"] if weight_by_area else 1.0) for r in roles}
    zero = (0, 0)
    w = wdd(counts["target"], counts["control"], counts.get("buffer", zero),
            counts.get("control buffer", zero), time_weights=tw,
            area_weights=(aw["control"], aw["target"], aw.get("control buffer", 1.0),
                          aw.get("buffer", 1.0)), alpha=alpha)
    q = wdq(counts["target"], counts["buffer"], counts["control"]) if "buffer" in counts else {}
    rows = []
    for role, (n0, n1) in counts.items():
        rows.append({"area": role, "before": n0, "after": n1, "change": n1 - n0,
                     "pct_change": (n1 - n0) / n0 * 100 if n0 else np.nan,
                     "area_km2": km2[role]})
    table = pd.DataFrame(rows)
    polys["before"] = [counts[r][0] for r in roles]
    polys["after"] = [counts[r][1] for r in roles]
    fmt = lambda a, b: f"{a:%d %b %Y} – {(b - pd.Timedelta(seconds=1)):%d %b %Y}"  # noqa: E731
    notes = []
    if tw[0] != 1.0:
        notes.append(f"the periods differ in length ({len_b:.0f} and {len_a:.0f} days): "
                     "counts weighted to the after period's length")
    if min(min(v) for v in counts.values()) < 10:
        notes.append("some counts are below 10: the normal approximation of the WDD test "
                     "is rough")
    meta = {
        "title": "Intervention evaluation: before and after in target, buffer and control",
        "units": "events",
        "method": ("Weighted Displacement Difference with its Poisson variance and normal test "
                   "(Wheeler & Ratcliffe 2018); Weighted Displacement Quotient "
                   "(Bowers & Johnson 2003)"),
        "params": {"before": fmt(b0, b1), "after": fmt(a0, a1), "buffer_m": buffer_m,
                   "control_buffer_m": control_buffer_m, "time_weights": list(tw),
                   "area_weights": aw if weight_by_area else None, "alpha": alpha},
        "base_n": int(sum(sum(v) for v in counts.values())),
        "period": f"{fmt(b0, b1)} vs {fmt(a0, a1)}",
        "references": ["Bowers KJ, Johnson SD (2003) J Quant Criminol 19:275-301",
                       "Wheeler AP, Ratcliffe JH (2018) Crime Science 7:11"],
        "count_columns": ["before", "after"],
        "rate_columns": ["change", "pct_change"],
        "notes": notes,
    }
    return EvaluationResult(table=table, wdd=w, wdq=q, areas=polys, meta=meta)
