"""The attacker's linear program across the tables of a run (issue 16).

The attacker here is written independently of :mod:`mapping.disclosure.audit`:
it reads only the *published* tables (what :func:`display_table` prints, the
labels included), knows how the tables were built (margins, the Total row,
the same areas in a second table), and asks :func:`scipy.optimize.linprog`
for the least and greatest value of every hidden cell.  A small count is
safe when the attacker can rule out none of the values its "<5" label allows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from layers.model import Layer
from mapping.disclosure.rules import DisclosureRules, display_table
from mapping.disclosure.audit import audit_layers

RULES = DisclosureRules()
T = RULES.threshold
WIDTH = 2  # min_interval: at least three of the values 1..4 stay possible


def _published(frame: pd.DataFrame, cols) -> tuple[np.ndarray, np.ndarray]:
    """(value or NaN, label kind) of each cell as a reader sees it: 0 shown, 1 "<5",
    2 "suppressed"."""
    vals = np.full((len(frame), len(cols)), np.nan)
    kind = np.zeros((len(frame), len(cols)), int)
    for j, c in enumerate(cols):
        for i, v in enumerate(frame[c].tolist()):
            if v == f"<{T}":
                kind[i, j] = 1
            elif v == "suppressed":
                kind[i, j] = 2
            else:
                vals[i, j] = float(v)
    return vals, kind


def _attack(tables: dict, equations, withheld=()) -> dict:
    """Intervals of every hidden cell.  ``tables``: name -> (values, kinds);
    ``equations``: lists of (name, row, col, coef) whose sum is 0 on the truth;
    ``withheld``: (name, col) of columns the notes say are withheld whole, where
    "suppressed" says nothing about the size (0 or more)."""
    cells = [(n, i, j) for n, (v, k) in tables.items() for i, j in zip(*np.nonzero(k))]
    pos = {c: p for p, c in enumerate(cells)}
    a_eq, b_eq = [], []
    for eq in equations:
        row, b = np.zeros(len(cells)), 0.0
        for n, i, j, coef in eq:
            if (n, i, j) in pos:
                row[pos[(n, i, j)]] += coef
            else:
                b -= coef * tables[n][0][i, j]
        if row.any():
            a_eq.append(row)
            b_eq.append(b)
    bounds = [(1, T - 1) if tables[n][1][i, j] == 1 else
              ((0, None) if (n, j) in withheld else (T, None)) for n, i, j in cells]
    out = {}
    for c in cells:
        obj = np.zeros(len(cells))
        obj[pos[c]] = 1
        kw = dict(A_eq=np.array(a_eq) if a_eq else None, b_eq=b_eq or None, bounds=bounds)
        lo, hi = linprog(obj, **kw), linprog(-obj, **kw)
        assert lo.status == 0, "the truth satisfies every equation"
        out[c] = (lo.fun, -hi.fun if hi.status == 0 else np.inf)
    return out


def _margins_tables(body: np.ndarray):
    """A table by area (rows) x category with a total column and a Total row, plus a
    second table of the totals by area (the same areas counted twice)."""
    n, m = body.shape
    cats = [f"n_{c}" for c in range(m)]
    full = np.vstack([body, body.sum(0)])
    a = pd.DataFrame(full, columns=cats)
    a["total_count"] = full.sum(1)
    a.insert(0, "area", [f"E0{i:04d}" for i in range(n)] + ["Total"])
    b = pd.DataFrame({"area": a["area"], "count": a["total_count"]})
    eqs = []
    cols_a = [*cats, "total_count"]
    for i in range(n + 1):  # the total column
        eqs.append([("a", i, m, 1.0), *[("a", i, j, -1.0) for j in range(m)]])
    for j in range(m + 1):  # the Total row and each column's total (the base n)
        eqs.append([("a", n, j, 1.0), *[("a", i, j, -1.0) for i in range(n)]])
    for i in range(n + 1):  # the second table repeats the totals
        eqs.append([("a", i, m, 1.0), ("b", i, 0, -1.0)])
    eqs.append([("b", n, 0, 1.0), *[("b", i, 0, -1.0) for i in range(n)]])
    return a, b, cols_a, eqs


def _check(frames: dict, cols: dict, truth: dict, eqs):
    layers = [Layer(name, df, kind="table") for name, df in frames.items()]
    safe, report = audit_layers(layers, RULES)
    pub = {lyr.name: _published(display_table(lyr.data, RULES, lyr.meta), cols[lyr.name])
           for lyr in safe}
    gone = {(t, cols[t].index(c)) for t, c in report.withheld}
    for name, (vals, kind) in pub.items():
        t = truth[name]
        small = (t > 0) & (t < T)
        whole = np.array([(name, j) in gone for j in range(t.shape[1])])
        assert (kind[:, whole] == 2).all(), f"{name}: a withheld column shows a value"
        assert (kind[small & ~whole] == 1).all(), f"{name}: a small count is published"
        assert not (small & ~whole & (kind == 0)).any()
        assert not ((kind == 1) & ~small).any(), f"{name}: '<{T}' printed for a larger count"
        shown = kind == 0
        assert np.array_equal(vals[shown], t[shown]), f"{name}: a published count changed"
    spans = _attack(pub, eqs, gone)
    for (n, i, j), (lo, hi) in spans.items():
        if (truth[n][i, j] > 0 and truth[n][i, j] < T):  # every small count, withheld or not
            assert hi - lo >= WIDTH - 1e-6, (
                f"{n} row {i} col {j} = {truth[n][i, j]:g} narrowed to [{lo:.3g}, {hi:.3g}]")
    if report.withheld:  # the run says so
        assert any("withheld entirely" in line for line in report.notes(RULES))
    return report


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 6), st.integers(1, 4), st.sampled_from([1.5, 4.0, 9.0]),
       st.integers(0, 2**31 - 1))
def test_no_small_count_is_recoverable_from_margins_and_a_second_table(n, m, lam, seed):
    rng = np.random.default_rng(seed)
    body = rng.poisson(lam, (n, m)).astype(float)
    a, b, cols_a, eqs = _margins_tables(body)
    truth = {"a": a[cols_a].to_numpy(float), "b": b[["count"]].to_numpy(float)}
    _check({"a": a, "b": b}, {"a": cols_a, "b": ["count"]}, truth, eqs)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=2, max_size=8), st.integers(0, 2**31 - 1))
def test_identity_columns_cannot_give_a_hidden_cell_back(reports, seed):
    """reports = collected + other, row by row (the needle table of issue 16)."""
    rng = np.random.default_rng(seed)
    rep = np.array(reports, float)
    col = np.floor(rep * rng.uniform(0, 1, len(rep)))
    df = pd.DataFrame({"ward": [f"W{i}" for i in range(len(rep))], "reports": rep,
                       "collected": col, "other": rep - col})
    cols = ["reports", "collected", "other"]
    n = len(rep)
    eqs = [[("t", i, 0, 1.0), ("t", i, 1, -1.0), ("t", i, 2, -1.0)] for i in range(n)]
    for j in range(3):  # each column's total is the base n; a small one reads "<5"
        total = float(df[cols[j]].sum())
        if total < T:
            continue
        eqs.append([*[("t", i, j, 1.0) for i in range(n)]])
        eqs[-1] = [*eqs[-1], ("const", 0, 0, -total)]
    const = {"const": (np.array([[1.0]]), np.zeros((1, 1), int))}

    layers = [Layer("t", df, kind="table", meta={"count_columns": cols})]
    safe, report = audit_layers(layers, RULES)
    pub = {"t": _published(display_table(safe[0].data, RULES, safe[0].meta), cols), **const}
    truth = df[cols].to_numpy(float)
    kind = pub["t"][1]
    gone = {("t", cols.index(c)) for _, c in report.withheld}
    whole = np.array([("t", j) in gone for j in range(3)])
    small = (truth > 0) & (truth < T)
    assert ((kind == 1) == (small & ~whole)).all() and (kind[:, whole] == 2).all()
    spans = _attack(pub, eqs, gone)
    if gone:  # every count withheld: nothing is left to learn but what the totals say
        blank = {"t": (np.full_like(truth, np.nan), np.full(truth.shape, 2)), **const}
        base = _attack(blank, eqs, {("t", j) for j in range(3)})
        for cell, span in spans.items():
            assert span == pytest.approx(base[cell], abs=1e-6)
        return
    for (name, i, j), (lo, hi) in spans.items():
        if name == "t" and small[i, j]:
            assert hi - lo >= WIDTH - 1e-6, (i, j, truth[i, j], lo, hi)


def test_hand_worked_one_and_five():
    """[0, 1, 12, 25, 5] with the total published: the line rule hides 1 and 5, but with
    honest labels ("suppressed" means at least 5) x + z = 6 and z >= 5 give x = 1.  The
    audit hides the 12 as well: x + z + w = 18 leaves x anywhere in 1..4."""
    df = pd.DataFrame({"area": list("ABCDE"), "count": [0, 1, 12, 25, 5]})
    safe, report = audit_layers([Layer("t", df, kind="table")], RULES)
    shown = display_table(safe[0].data, RULES)["count"].tolist()
    assert shown == [0, "<5", "suppressed", 25, "suppressed"]
    assert report.added == [("t", 2, "count")]


def test_rates_of_a_newly_hidden_row_are_hidden_and_notes_say_so():
    df = pd.DataFrame({"area": list("ABCDE"), "count": [0, 1, 12, 25, 5],
                       "rate": [0.0, 0.5, 6.0, 12.5, 2.5]})
    safe, _ = audit_layers([Layer("t", df, kind="table")], RULES)
    out = display_table(safe[0].data, RULES)
    assert out["rate"].tolist() == [0.0, "suppressed", "suppressed", 12.5, "suppressed"]
    from mapping.disclosure.rules import apply_rules

    _, notes = apply_rules(safe, RULES)
    assert any("Cross-table disclosure check" in n for n in notes)
    assert df["count"].tolist() == [0, 1, 12, 25, 5]  # the input is not modified


def test_the_writers_keep_the_audits_cells(tmp_path):
    """write_layer_files (every CLI verb) applies the audit; the CSV shows its cells."""
    from mapping.pipeline.policy import Policy
    from mapping.pipeline.runner import write_layer_files

    df = pd.DataFrame({"area": list("ABCDE"), "count": [0, 1, 12, 25, 5]})
    files = write_layer_files([Layer("t", df, kind="table")], tmp_path / "t.csv", Policy())
    got = pd.read_csv(files[0], dtype=str)["count"].tolist()
    assert got == ["0", "<5", "suppressed", "25", "suppressed"]


@pytest.mark.parametrize("off", [DisclosureRules(enabled=False)])
def test_rules_off_audit_passes_through(off):
    df = pd.DataFrame({"count": [1, 2, 30]})
    lyr = Layer("t", df, kind="table")
    safe, report = audit_layers([lyr], off)
    assert safe[0] is lyr and not report.added


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1.0, -1.0, 2.0]), st.booleans(),
                          st.integers(0, 20)), min_size=2, max_size=6))
def test_single_equation_interval_matches_linprog(terms):
    """The closed form used for one-equation groups equals HiGHS's answer."""
    from mapping.disclosure.attacker import _single_equation

    coefs = {k: a for k, (a, _, _) in enumerate(terms)}
    bounds = {k: ((1.0, 4.0) if small else (5.0, None)) for k, (_, small, _) in
              enumerate(terms)}
    truth = [(1 + v % 4) if small else 5 + v for _, small, v in terms]
    b = float(sum(a * x for a, x in zip(coefs.values(), truth)))
    a_eq = [list(coefs.values())]
    for k in coefs:
        c = np.zeros(len(coefs))
        c[k] = 1
        bnds = [bounds[i] for i in range(len(coefs))]
        lo = linprog(c, A_eq=a_eq, b_eq=[b], bounds=bnds)
        hi = linprog(-c, A_eq=a_eq, b_eq=[b], bounds=bnds)
        got = _single_equation(coefs, b, bounds, k)
        assert got[0] == pytest.approx(lo.fun, abs=1e-7)
        assert got[1] == pytest.approx(-hi.fun if hi.status == 0 else np.inf, abs=1e-7)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1.0, -1.0, 2.0, 0.5]), st.booleans(),
                          st.integers(0, 20)), min_size=1, max_size=40))
def test_single_equation_in_one_pass_is_the_closed_form_per_cell(terms):
    """One pass over a column total gives every cell's interval exactly as the closed
    form per cell does, with unbounded (secondary) cells among them."""
    from mapping.disclosure.attacker import _single_equation, _single_equation_each

    coefs = {k: a for k, (a, _, _) in enumerate(terms)}
    bounds = {k: ((0.0, 4.0) if small else (5.0, None)) for k, (_, small, _) in
              enumerate(terms)}
    truth = [(v % 5) if small else 5 + v for _, small, v in terms]
    b = float(sum(a * x for a, x in zip(coefs.values(), truth)))
    each = _single_equation_each(coefs, b, bounds, list(coefs))
    for k in coefs:
        assert each[k] == _single_equation(coefs, b, bounds, k)
        assert each[k][0] <= truth[k] <= each[k][1]


def test_writers_add_nothing_to_an_audited_gistar_table():
    """The writers' own pass (apply_rules) keeps the audit's cells: withheld classes
    (gi_sig, gi_bin turned to numbers with gaps) are not read as counts."""
    import geopandas as gpd
    import shapely

    from mapping.disclosure.rules import apply_rules

    n = 6
    cells = [shapely.box(c * 100, r * 100, c * 100 + 100, r * 100 + 100)
             for r in range(n) for c in range(n)]
    rng = np.random.default_rng(2)
    v = rng.poisson(8, n * n).astype(float)
    v[[0, 7, 20]] = [1, 3, 2]
    g = gpd.GeoDataFrame({"code": [f"E{i}" for i in range(n * n)], "value": v,
                          "gi_z": rng.normal(size=n * n), "gi_bin": rng.integers(-1, 2, n * n),
                          "gi_sig": rng.random(n * n) < 0.3}, geometry=cells, crs=27700)
    lyr = Layer("gistar", g, kind="areas", meta={"params": {"value": "count",
                                                            "weights": "queen"},
                                                 "sensitive": True}, sensitive=True)
    safe, _ = audit_layers([lyr], RULES)
    again, _ = apply_rules(safe, RULES)
    a, b = safe[0].data, again[0].data
    assert a["value_suppressed"].tolist() == b["value_suppressed"].tolist()
    assert int(a["value_suppressed"].sum()) == int(((v > 0) & (v < 5)).sum())
    assert a["gi_bin_suppressed"].sum() < n * n  # classes away from them stay
