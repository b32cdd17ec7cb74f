"""Gap classes, bivariate deprivation x access classes, what-if and new-site suggestions.

Tercile rule (used throughout): areas are ranked on the value, ties taking
the lowest rank (``method="min"``), and rank ``r`` of ``n`` falls in tercile
``1 + floor(3 (r - 1) / n)``.  So tercile 1 holds the lowest third; every
area with zero access shares the lowest access tercile.

Gap classes (``gap_class``):

* ``"gap"`` - high need (need tercile 3) and low access (access tercile 1);
* ``"watch"`` - high need and middle access, or middle need and low access;
* ``"covered"`` - every other area.

Bivariate classes: ``bivariate_class = 3 (deprivation_tercile - 1) +
access_tercile`` (1..9), deprivation tercile 3 = most deprived third,
access tercile 1 = lowest access.  :func:`bivariate_legend` gives the
class-to-terciles mapping and a 3x3 colour grid for the two-way legend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.common.errors import InputError
from mapping.core.bivariate import BIVARIATE_3X3  # [x = access][y = deprivation]

__all__ = ["terciles", "gap_classes", "bivariate_classes", "bivariate_legend",
           "whatif_coverage", "best_new_sites", "GAP_RULE"]

GAP_RULE = ("need and access terciles (ties take the lower tercile): gap = need tercile 3 and "
            "access tercile 1; watch = need 3 & access 2, or need 2 & access 1; else covered")


def _bivariate_colour(d: int, a: int) -> str:
    """Colour of deprivation tercile ``d`` and access tercile ``a`` (the renderer's grid)."""
    return BIVARIATE_3X3[a - 1][d - 1]


def terciles(values, reference=None) -> np.ndarray:
    """Terciles 1..3 by rank (1 = lowest third; ties take the lower tercile).

    A value ``v`` has rank ``r = 1 + #(reference < v)`` among the ``n``
    non-missing reference values and tercile ``1 + floor(3 (r - 1) / n)``;
    for the reference values themselves this is ``rank(method="min")``.

    Parameters
    ----------
    values : array-like
        Values to classify.
    reference : array-like, optional
        The distribution defining the terciles (default: ``values``).  The
        what-if uses the before-change values so classes stay comparable.

    Examples
    --------
    >>> terciles([5, 1, 3, 0, 9, 7]).tolist()
    [2.0, 1.0, 2.0, 1.0, 3.0, 3.0]
    """
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    ref = v if reference is None else pd.to_numeric(pd.Series(reference),
                                                     errors="coerce").to_numpy(dtype=float)
    ref = np.sort(ref[~np.isnan(ref)])
    n = max(len(ref), 1)
    r = 1 + np.searchsorted(ref, v, side="left")
    t = np.minimum(1 + np.floor(3 * (r - 1) / n), 3.0)
    return np.where(np.isnan(v), np.nan, t)


def gap_classes(need, access, *, access_reference=None) -> pd.DataFrame:
    """Classify areas by need and access terciles (see the module rule).

    Parameters
    ----------
    need, access : array-like
        Need (e.g. drug offences, estimated users) and access score per area.
    access_reference : array-like, optional
        Access values defining the access terciles (the what-if passes the
        before-change values); default ``access``.

    Returns
    -------
    DataFrame
        ``need_tercile``, ``access_tercile``, ``gap_class``.
    """
    nt, at = terciles(need), terciles(access, access_reference)
    cls = np.where((nt == 3) & (at == 1), "gap",
                   np.where(((nt == 3) & (at == 2)) | ((nt == 2) & (at == 1)), "watch", "covered"))
    cls = np.where(np.isnan(nt) | np.isnan(at), "", cls)
    return pd.DataFrame({"need_tercile": nt, "access_tercile": at, "gap_class": cls})


def bivariate_classes(deprivation, access, *, more_deprived: str = "higher") -> pd.DataFrame:
    """3x3 classes of deprivation against access.

    Parameters
    ----------
    deprivation : array-like
        IMD scores (``more_deprived="higher"``) or national ranks
        (``more_deprived="lower"``).
    access : array-like
        Access scores (higher = better access).

    Returns
    -------
    DataFrame
        ``deprivation_tercile`` (3 = most deprived), ``access_tercile``
        (1 = lowest access) and ``bivariate_class`` (1..9).
    """
    dep = pd.to_numeric(pd.Series(deprivation), errors="coerce")
    if more_deprived == "lower":
        dep = -dep
    elif more_deprived != "higher":
        raise InputError("more_deprived must be 'higher' or 'lower'")
    dt, at = terciles(dep), terciles(access)
    cls = 3 * (dt - 1) + at
    return pd.DataFrame({"deprivation_tercile": dt, "access_tercile": at,
                         "bivariate_class": pd.array(np.where(np.isnan(cls), pd.NA, cls),
                                                     dtype="Int64")})


def bivariate_legend() -> pd.DataFrame:
    """The class-to-terciles mapping, labels and colours for the two-way legend.

    Returns
    -------
    DataFrame
        Nine rows: ``bivariate_class``, ``deprivation_tercile``,
        ``access_tercile``, ``label``, ``colour``.  Draw it as a 3x3 grid
        with deprivation up the vertical axis and access along the horizontal;
        the colours are :data:`mapping.core.bivariate.BIVARIATE_3X3`, as the map uses.
    """
    names = {1: "low", 2: "mid", 3: "high"}
    rows = []
    for d in (1, 2, 3):
        for a in (1, 2, 3):
            rows.append({"bivariate_class": 3 * (d - 1) + a, "deprivation_tercile": d,
                         "access_tercile": a,
                         "label": f"{names[d]} deprivation, {names[a]} access",
                         "colour": _bivariate_colour(d, a)})
    return pd.DataFrame(rows)


def whatif_coverage(areas, services, *, area_id: str, need: str, add=None, remove=None,
                    service_id: str | None = None, **coverage_kw):
    """Recompute access and gap classes after adding and/or removing service sites.

    Parameters
    ----------
    areas : GeoDataFrame
        Areas with ``area_id``, demand and ``need`` columns.
    services : GeoDataFrame
        Current services.
    need : str
        Need column for the gap classes.
    add : GeoDataFrame, optional
        Candidate sites to add (same columns as ``services`` where available).
    remove : list, optional
        Values of ``service_id`` to remove.
    **coverage_kw
        Passed to :func:`mapping.stats.coverage.coverage` (``demand``, ``catchment``,
        ``method`` (default ``"2sfca"``), ``capacity``, ``origins``, ``network``).

    Returns
    -------
    changes : GeoDataFrame
        Per area: ``access_before``, ``access_after``, ``access_change``,
        ``nearest_before_m``, ``nearest_after_m``, ``gap_before``, ``gap_after``.
    summary : dict
        Gap areas before/after, areas changed, demand within catchment before/after.

    Notes
    -----
    The after-change access terciles use the before-change distribution as
    reference (:func:`terciles`), so a class changes only when an area's
    access crosses a before-change tercile boundary.
    """
    import geopandas as gpd

    from mapping.stats.coverage import coverage

    coverage_kw.setdefault("method", "2sfca")
    after = services
    if remove:
        if service_id is None or service_id not in services.columns:
            raise InputError("removing sites needs a service id column",
                             fix="pass service_id naming the services' id column")
        missing = set(map(str, remove)) - set(services[service_id].astype(str))
        if missing:
            raise InputError(f"no service with id {sorted(missing)[0]!r} to remove",
                             column=service_id, fix="check the ids")
        after = after[~after[service_id].astype(str).isin(set(map(str, remove)))]
    if add is not None and len(add):
        add = add.to_crs(services.crs) if add.crs != services.crs else add
        after = gpd.GeoDataFrame(pd.concat([after, add], ignore_index=True), crs=services.crs)
    before_cov = coverage(areas, area_id=area_id, services=services, service_id=service_id,
                          **coverage_kw)
    after_cov = coverage(areas, area_id=area_id, services=after, service_id=service_id,
                         **coverage_kw)
    col = "access" if "access" in before_cov else "services_within_catchment"
    gb = gap_classes(areas[need].to_numpy(), before_cov[col].to_numpy())
    ga = gap_classes(areas[need].to_numpy(), after_cov[col].to_numpy(),
                     access_reference=before_cov[col].to_numpy())
    out = areas[[area_id, "geometry"]].copy()
    out["access_before"] = before_cov[col].to_numpy()
    out["access_after"] = after_cov[col].to_numpy()
    out["access_change"] = out["access_after"] - out["access_before"]
    out["nearest_before_m"] = before_cov["nearest_service_m"].to_numpy()
    out["nearest_after_m"] = after_cov["nearest_service_m"].to_numpy()
    out["gap_before"] = gb["gap_class"].to_numpy()
    out["gap_after"] = ga["gap_class"].to_numpy()
    D = before_cov["demand"].to_numpy() if "demand" in before_cov else np.ones(len(out))
    summary = {
        "services_before": len(services), "services_after": len(after),
        "gap_areas_before": int((gb["gap_class"] == "gap").sum()),
        "gap_areas_after": int((ga["gap_class"] == "gap").sum()),
        "areas_changed": int((np.abs(out["access_change"]) > 1e-12).sum()),
        "demand_in_catchment_before": float(D[before_cov["services_within_catchment"] > 0].sum()),
        "demand_in_catchment_after": float(D[after_cov["services_within_catchment"] > 0].sum()),
    }
    out.attrs["meta"] = {"method": f"what-if: {before_cov.attrs['meta']['method']}; {GAP_RULE}",
                         "params": before_cov.attrs["meta"]["params"],
                         "references": before_cov.attrs["meta"]["references"]}
    return out, summary


def best_new_sites(origins, weights, candidates, k: int, catchment: float, *,
                   existing=None, method: str = "auto", max_cells: int = 20_000_000):
    """Suggest ``k`` new sites covering the most need within ``catchment``.

    The maximal covering location problem (MCLP; Church & ReVelle 1974)
    chooses ``k`` sites maximising the weight (need or population) of
    origins within ``catchment`` of a site; origins already within reach of
    an ``existing`` service count as covered.

    ``method``:

    * ``"mclp"`` - exact integer programme solved by PySAL ``spopt``
      (``MCLP.from_cost_matrix`` with the existing services as predefined
      facilities, CBC solver via PuLP);
    * ``"greedy"`` - **heuristic, not an exact optimum**: add, one at a
      time, the candidate covering the most still-uncovered weight;
      guaranteed at least ``1 - 1/e`` (about 63%) of the optimum;
    * ``"auto"`` (default) - ``mclp`` when spopt is installed and the cost
      matrix has at most ``max_cells`` cells, else ``greedy``.

    Parameters
    ----------
    origins : (n, 2) array
        Demand points (area origins), metres.
    weights : array-like
        Need or population per origin.
    candidates : (m, 2) array
        Candidate site coordinates.
    k : int
        Sites to choose.
    catchment : float
        Covering distance, metres.
    existing : (e, 2) array, optional
        Current services.
    method : {"auto", "mclp", "greedy"}
        See above.

    Returns
    -------
    DataFrame
        One row per chosen site (in order of marginal gain): ``candidate``
        (position), ``x``, ``y``, ``added_weight``, ``cumulative_weight``;
        ``attrs['meta']['method']`` says which method was used.
    """
    from mapping.stats.coverage import service_pairs

    if method not in ("auto", "mclp", "greedy"):
        raise InputError(f"unknown siting method '{method}'", fix="use auto, mclp or greedy")
    w = np.asarray(weights, float)
    oxy = np.asarray(origins, float)
    cxy = np.asarray(candidates, float)
    exy = np.zeros((0, 2)) if existing is None else np.asarray(existing, float).reshape(-1, 2)
    k = min(int(k), len(cxy))
    covered = np.zeros(len(oxy), bool)
    if len(exy):
        covered[service_pairs(oxy, exy, catchment)[0]] = True
    i, j, _ = service_pairs(oxy, cxy, catchment)
    if method == "auto":
        try:
            import spopt.locate  # noqa: F401

            method = "mclp" if len(oxy) * (len(cxy) + len(exy)) <= max_cells else "greedy"
        except ImportError:
            method = "greedy"
    chosen = (_mclp(oxy, w, cxy, exy, k, catchment) if method == "mclp" else None)
    rows, total, picked = [], float(w[covered].sum()), set()
    for _ in range(k):
        gain = np.bincount(j, weights=np.where(covered[i], 0.0, w[i]), minlength=len(cxy))
        pool = [c for c in (chosen if chosen is not None else range(len(cxy))) if c not in picked]
        if not pool:
            break
        best = max(pool, key=lambda c: (gain[c], -c))
        if chosen is None and gain[best] <= 0:
            break
        picked.add(best)
        covered[i[j == best]] = True
        total += gain[best]
        rows.append({"candidate": int(best), "x": cxy[best, 0], "y": cxy[best, 1],
                     "added_weight": float(gain[best]), "cumulative_weight": total})
    out = pd.DataFrame(rows, columns=["candidate", "x", "y", "added_weight", "cumulative_weight"])
    label = ("maximal covering location problem, exact (spopt MCLP, CBC)" if method == "mclp"
             else "greedy maximal covering heuristic (not exact; >= 63% of optimum)")
    out.attrs["meta"] = {"method": label,
                         "params": {"k": k, "catchment_m": catchment, "existing": len(exy)},
                         "references": ["Church R, ReVelle C (1974) The maximal covering "
                                        "location problem. Papers in Regional Science 32:101-118"]}
    return out


def _mclp(oxy, w, cxy, exy, k, catchment):
    """Exact MCLP with spopt; returns the chosen candidate positions."""
    import pulp
    from scipy.spatial.distance import cdist
    from spopt.locate import MCLP

    sites = np.vstack([exy, cxy])
    cost = cdist(oxy, sites)
    predefined = np.r_[np.ones(len(exy), bool), np.zeros(len(cxy), bool)]
    model = MCLP.from_cost_matrix(cost, w, service_radius=catchment,
                                  p_facilities=len(exy) + k,
                                  predefined_facilities_arr=predefined if len(exy) else None)
    model.solve(pulp.PULP_CBC_CMD(msg=False), results=False)
    on = np.array([v.value() > 0.5 for v in model.fac_vars])
    return [int(c) for c in np.flatnonzero(on[len(exy):])]
