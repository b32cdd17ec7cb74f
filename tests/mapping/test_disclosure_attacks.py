"""The attacks of issue 16, run against what hotmap publishes.

Each attacker uses only the published table (as :func:`display_table` prints it,
after the run's cross-table audit) plus what it would know in practice (the
weights, the formula, the totals), and tries to pin down a suppressed count.
The protection asked for: a small count's feasible interval stays at least
``min_interval`` (2) wide, i.e. the attacker cannot tell 1 from 3.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import linprog

from layers.model import Layer
from mapping.disclosure.rules import DisclosureRules, display_table
from mapping.disclosure.audit import audit_layers

RULES = DisclosureRules()
T = RULES.threshold
WIDTH = 2


def _publish(df, name="t", meta=None):
    safe, _ = audit_layers([Layer(name, df, kind="table", meta=meta or {})], RULES)
    return display_table(safe[0].data, RULES, safe[0].meta)


def _numbers(col) -> np.ndarray:
    return pd.to_numeric(pd.Series(col, dtype=object), errors="coerce").to_numpy(float)


def _widths(a_ub, b_ub, a_eq, b_eq, bounds) -> np.ndarray:
    out = []
    for k in range(len(bounds)):
        c = np.zeros(len(bounds))
        c[k] = 1
        kw = dict(A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
        lo, hi = linprog(c, **kw), linprog(-c, **kw)
        assert lo.status == 0 and hi.status in (0, 3)
        out.append((-hi.fun if hi.status == 0 else np.inf) - lo.fun)
    return np.array(out)


def _lattice(n):
    """Rook weights of an n x n lattice (binary, no self)."""
    idx = np.arange(n * n).reshape(n, n)
    i, j = [], []
    for a, b in ((idx[:, :-1], idx[:, 1:]), (idx[:-1], idx[1:])):
        i += [*a.ravel(), *b.ravel()]
        j += [*b.ravel(), *a.ravel()]
    return sparse.csr_matrix((np.ones(len(i)), (i, j)), shape=(n * n, n * n))


def _gistar_z(y, w):
    """Getis-Ord Gi* z (self included), written from the formula, independent of hotmap."""
    n = len(y)
    ws = (w + sparse.identity(n)).toarray()
    wi, s1 = ws.sum(1), (ws ** 2).sum(1)
    xbar, s = y.mean(), np.sqrt((y ** 2).mean() - y.mean() ** 2)
    return (ws @ y - xbar * wi) / (s * np.sqrt((n * s1 - wi ** 2) / (n - 1))), ws


@pytest.mark.parametrize("seed", range(3))
def test_gistar_inversion_fails(seed):
    """The issue's attack: least squares on the published z-scores with the weights gave
    back every suppressed count (residual 3e-13).  Published now: no z, no p; the
    hot/cold-spot class only.  The strongest attacker (knows the mean and the spread
    exactly, the weights, every published count and class) solves a linear program."""
    from mapping.stats.gistar import gi_bins, gistar

    rng = np.random.default_rng(seed)
    n = 9
    w = _lattice(n)
    y = rng.poisson(rng.gamma(2.0, 3.0, n * n)).astype(float)
    res = gistar(y, w)
    z_ref, ws = _gistar_z(y, w)
    assert np.allclose(res["z"], z_ref)  # the attacker's formula is the one hotmap used
    import geopandas as gpd
    import shapely

    from mapping.stats.weights import build_weights

    cells = [shapely.box(c * 100, -r * 100, c * 100 + 100, -r * 100 + 100)
             for r in range(n) for c in range(n)]
    df = gpd.GeoDataFrame({"code": [f"E{i:03d}" for i in range(n * n)], "value": y,
                           "gi_z": res["z"], "gi_p": res["p"],
                           "gi_bin": gi_bins(res["z"], res["p"])}, geometry=cells, crs=27700)
    assert (build_weights(df, "rook").matrix != w).nnz == 0  # the analysis's weights
    pub = _publish(df, "gistar", {"count_columns": ["value"], "params": {"weights": "rook"}})
    assert (pub["gi_z"] == "suppressed").all() and (pub["gi_p"] == "suppressed").all()
    published_bins = pd.to_numeric(pub["gi_bin"], errors="coerce")
    # classes are withheld only where they would narrow a count: most stay on the map
    assert published_bins.notna().mean() >= 0.8, published_bins.notna().mean()
    small = (y > 0) & (y < T)
    assert (pub["value"][small] == f"<{T}").all()
    # the attacker: z of each area lies in its published class's band
    hid = np.flatnonzero(_numbers(pub["value"]) != _numbers(pub["value"]))  # NaN: hidden
    known = np.where(np.isin(np.arange(n * n), hid), 0.0, y)
    xbar, s = y.mean(), np.sqrt((y ** 2).mean() - y.mean() ** 2)
    wi, s1 = ws.sum(1), (ws ** 2).sum(1)
    d = s * np.sqrt((n * n * s1 - wi ** 2) / (n * n - 1))
    edges = {-3: (-np.inf, -2.576), -2: (-2.576, -1.96), -1: (-1.96, -1.645),
             0: (-1.645, 1.645), 1: (1.645, 1.96), 2: (1.96, 2.576), 3: (2.576, np.inf)}
    def band_rows(bins):
        """z of each area with a published class lies in its band: two inequalities on
        the hidden counts (class 0 says nothing with FDR on; a str is a withheld class)."""
        a, b_ = [], []
        for i in range(n * n):
            if isinstance(bins[i], str):
                continue
            zl, zh = edges[int(bins[i])] if int(bins[i]) != 0 else (-np.inf, np.inf)
            row, base = ws[i, hid], ws[i] @ known - xbar * wi[i]
            if np.isfinite(zh):
                a.append(row)
                b_.append(d[i] * zh - base)
            if np.isfinite(zl):
                a.append(-row)
                b_.append(-(d[i] * zl - base))
        return a, b_

    a_ub, b_ub = band_rows(pub["gi_bin"])
    a_eq, b_eq = np.ones((1, len(hid))), [y[hid].sum()]
    lab = pub["value"].to_numpy()[hid]
    bounds = [(1, T - 1) if v == f"<{T}" else (T, None) for v in lab]
    widths = _widths(np.array(a_ub) if a_ub else None, b_ub or None, a_eq, b_eq, bounds)
    assert (widths[lab == f"<{T}"] >= WIDTH - 1e-6).all(), widths
    # positive control: with the z-scores to 16 digits the same attacker pins them down
    # positive control 1: with every class published, the same attacker narrows some
    a_ub1, b_ub1 = band_rows(df["gi_bin"])
    if a_ub1:
        w1 = _widths(np.array(a_ub1), b_ub1, a_eq, b_eq, bounds)
        assert w1.min() <= widths.min() + 1e-9
    # positive control 2: with the z-scores to 16 digits the same attacker pins them down
    a_eq2 = np.vstack([ws[:, hid], np.ones(len(hid))])
    b_eq2 = [*(d * z_ref + xbar * wi - ws @ known), y[hid].sum()]
    assert (_widths(None, None, a_eq2, b_eq2, bounds) < 1e-6).all()


def test_table_differencing_fails():
    """Two published tables differing by one filter (all arrests; arrests excluding one
    offence), by area: subtracting them gives the excluded offence's counts by area.
    With both tables in one run, the audit finds the equal cells and the column totals,
    and the attacker's interval for each small difference stays wide."""
    rng = np.random.default_rng(4)
    n = 12
    other = rng.poisson(9, n).astype(float)
    excluded = rng.poisson(1.5, n).astype(float)  # the offence filtered out: small counts
    codes = [f"E{i:03d}" for i in range(n)]
    all_ = pd.DataFrame({"code": codes, "count": other + excluded,
                         "count_excluded": excluded, "count_other": other})
    filt = pd.DataFrame({"code": codes, "count": other})
    safe, rep = audit_layers([Layer("all", all_, kind="table"),
                              Layer("filtered", filt, kind="table")], RULES)
    pub = {lyr.name: display_table(lyr.data, RULES, lyr.meta) for lyr in safe}
    cols = {"all": ["count", "count_excluded", "count_other"], "filtered": ["count"]}
    cells, pos = [], {}
    for t, cs in cols.items():
        for j, c in enumerate(cs):
            for i, v in enumerate(pub[t][c]):
                if isinstance(v, str):
                    pos[(t, i, j)] = len(cells)
                    cells.append((t, i, j, v))
    truth = {"all": all_[cols["all"]].to_numpy(float), "filtered": filt[["count"]].to_numpy(float)}

    def term(t, i, j):
        return (pos[(t, i, j)], 0.0) if (t, i, j) in pos else (None, truth[t][i, j])

    eqs = []  # the attacker: all = excluded + other = filtered + excluded, and totals
    for i in range(n):
        eqs.append([(("all", i, 0), 1), (("all", i, 1), -1), (("all", i, 2), -1)])
        eqs.append([(("all", i, 2), 1), (("filtered", i, 0), -1)])
    a_eq, b_eq = [], []
    for eq in eqs:
        row, b = np.zeros(len(cells)), 0.0
        for c, coef in eq:
            p, v = term(*c)
            if p is None:
                b -= coef * v
            else:
                row[p] += coef
        if row.any():
            a_eq.append(row)
            b_eq.append(b)
    for t, cs in cols.items():
        for j in range(len(cs)):
            total = truth[t][:, j].sum()
            if total < T:
                continue
            row, b = np.zeros(len(cells)), total
            for i in range(n):
                p, v = term(t, i, j)
                if p is None:
                    b -= v
                else:
                    row[p] = 1
            if row.any():
                a_eq.append(row)
                b_eq.append(b)
    bounds = [(1, T - 1) if v == f"<{T}" else (T, None) for *_, v in cells]
    widths = _widths(None, None, np.array(a_eq), b_eq, bounds)
    small = np.array([v == f"<{T}" for *_, v in cells])
    assert small.sum() >= 3
    warned = {(t, i) for t, i, *_ in rep.unprotected}
    ok = [w >= WIDTH - 1e-6 or (cells[k][0], cells[k][1]) in warned
          for k, w in enumerate(widths) if small[k]]
    assert all(ok), widths[small]


def test_kaplan_meier_recovery_fails():
    """From a Kaplan-Meier table's survival column, every event can be recovered
    (S(t)/S(t-) = 1 - d/n with n the number at risk).  Published now: survival and its
    limits withheld once a count of the table is suppressed; numbers at risk, events and
    censored are checked by the audit, whose running-count relation (at risk falls by
    the events and the censored) is the attacker's too."""
    from mapping.audit.survival import kaplan_meier

    rng = np.random.default_rng(7)
    t = np.round(rng.exponential(200, 60))
    e = rng.random(60) < 0.6
    km = kaplan_meier(t, e)
    tab = km.table.copy()
    pub = _publish(tab, "km", {"count_columns": ["n_at_risk", "events", "censored"]})
    for c in ("survival", "ci_low", "ci_high", "cumulative"):
        if c in pub:
            assert (pub[c] == "suppressed").all(), c
    cols = ["n_at_risk", "events", "censored"]
    truth = tab[cols].to_numpy(float)
    lab = pub[cols].to_numpy(object)
    hidden = np.vectorize(lambda v: isinstance(v, str))(lab)
    assert hidden.any()
    cells = list(zip(*np.nonzero(hidden)))
    pos = {c: k for k, c in enumerate(cells)}
    a_eq, b_eq = [], []
    rows = len(tab)
    for i in range(rows):  # n_i - n_{i+1} = d_i + c_i ; and n_last = d_last + c_last
        eq = [((i, 0), 1.0), ((i, 1), -1.0), ((i, 2), -1.0)]
        if i + 1 < rows:
            eq.append(((i + 1, 0), -1.0))
        row, b = np.zeros(len(cells)), 0.0
        for (r, c), coef in eq:
            if (r, c) in pos:
                row[pos[(r, c)]] += coef
            else:
                b -= coef * truth[r, c]
        if row.any():
            a_eq.append(row)
            b_eq.append(b)
    for j in (1, 2):  # totals of events and censored
        total = truth[:, j].sum()
        row, b = np.zeros(len(cells)), total
        for i in range(rows):
            if (i, j) in pos:
                row[pos[(i, j)]] = 1
            else:
                b -= truth[i, j]
        if row.any() and total >= T:
            a_eq.append(row)
            b_eq.append(b)
    safe, rep = audit_layers([Layer("km", tab, kind="table",
                                    meta={"count_columns": cols})], RULES)
    gone = {cols.index(c) for _, c in rep.withheld}  # the notes say: any size
    bounds = [(1, T - 1) if lab[c] == f"<{T}" else ((0, None) if c[1] in gone else (T, None))
              for c in cells]
    widths = _widths(None, None, np.array(a_eq), b_eq, bounds)
    small = np.array([0 < truth[c] < T for c in cells])
    assert small.sum() >= 10
    assert (widths[small] >= WIDTH - 1e-6).all(), widths[small]
    # events per distinct time are nearly all 1: no suppression of other cells protects
    # them, so the audit withholds the column whole, and says so
    assert rep.withheld and any("withheld entirely" in n for n in rep.notes(RULES))


def test_rates_shares_and_differences_of_suppressed_counts_are_hidden():
    df = pd.DataFrame({"area": list("ABCD"), "count": [2, 30, 40, 8],
                       "rate": [0.2, 3.0, 4.0, 0.8], "share": [0.025, 0.375, 0.5, 0.1],
                       "change": [-1.0, 4.0, 2.0, 3.0]})
    pub = _publish(df)
    assert pub.loc[0, "rate"] == "suppressed" and pub.loc[0, "share"] == "suppressed"
    assert pub.loc[0, "change"] == "suppressed"
    assert pub.loc[0, "count"] == "<5" and pub.loc[3, "count"] == "suppressed"
