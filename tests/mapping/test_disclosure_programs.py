"""The warm-started HiGHS programs of the disclosure audit against scipy's linprog."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

from mapping.disclosure.programs import OPTIMAL, UNBOUNDED, IntervalPrograms


def _table_system(rng, rows, cols, threshold=5):
    """A rows x cols table of small counts (many zeros) with its row and column totals,
    some cells hidden: ``(a_eq, b_eq, bounds, truth)`` over the hidden cells."""
    values = rng.choice([0, 0, 0, 1, 2, 3, 4, 7, 12, 30], size=(rows, cols))
    hidden = rng.random((rows, cols)) < 0.45
    cells = [tuple(c) for c in np.argwhere(hidden)]
    index = {c: n for n, c in enumerate(cells)}
    a, b = [], []
    lines = [[(i, j) for j in range(cols)] for i in range(rows)] + \
        [[(i, j) for i in range(rows)] for j in range(cols)]
    for line in lines:  # every row total and column total is published
        row = np.zeros(len(cells))
        rhs = sum(values[c] for c in line)
        for c in line:
            if c in index:
                row[index[c]] = 1
            else:
                rhs -= values[c]
        if row.any():
            a.append(row)
            b.append(rhs)
    # small cells are known to be 0..4; larger hidden ones only >= 5 (unbounded above)
    bounds = [(0.0, float(threshold - 1)) if values[c] < threshold else (float(threshold), None)
              for c in cells]
    truth = np.array([values[c] for c in cells], float)
    return np.array(a), np.array(b, float), bounds, truth


@pytest.mark.parametrize("seed", range(40))
def test_extremes_match_linprog(seed):
    rng = np.random.default_rng(seed)
    truth = a = ()
    while not len(truth) or not len(a):  # until a draw hides a cell under a total
        a, b, bounds, truth = _table_system(rng, int(rng.integers(2, 7)),
                                            int(rng.integers(2, 7)))
    # the truth is feasible, so every program has a solution or is unbounded
    programs = IntervalPrograms(a, b, bounds)
    for k in range(len(truth)):
        obj = np.zeros(len(truth))
        obj[k] = 1.0
        ref_lo = linprog(obj, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        ref_hi = linprog(-obj, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        (s_lo, lo, x_lo), (s_hi, hi, x_hi) = programs.extremes(k)
        assert ref_lo.status == 0 and s_lo == OPTIMAL
        assert lo == pytest.approx(ref_lo.fun, abs=1e-7)
        assert lo <= truth[k] + 1e-7
        if ref_hi.status == 3:
            assert s_hi == UNBOUNDED
        else:
            assert ref_hi.status == 0 and s_hi == OPTIMAL
            assert hi == pytest.approx(-ref_hi.fun, abs=1e-7)
            assert hi >= truth[k] - 1e-7
        for x in (x_lo, x_hi):  # every optimum found is a point the attacker cannot rule out
            if x is not None:
                assert np.allclose(a @ x, b, atol=1e-7)


def test_stacked_equal_cells_and_a_fixed_cell():
    # x0 + x1 = 4 and x0 - x1 = 0 fix both at 2; x2 is free in [0, 4]
    a = np.array([[1.0, 1.0, 0.0], [1.0, -1.0, 0.0]])
    programs = IntervalPrograms(a, [4.0, 0.0], [(0.0, 4.0)] * 3)
    (s0, lo0, _), (s1, hi0, _) = programs.extremes(0)
    assert (s0, s1) == (OPTIMAL, OPTIMAL) and lo0 == pytest.approx(2) == hi0
    (_, lo2, _), (_, hi2, _) = programs.extremes(2)
    assert (lo2, hi2) == (pytest.approx(0), pytest.approx(4))


def test_no_banner_on_standard_output():
    # a fresh process: highspy prints its banner on the first solver a process makes
    code = ("import numpy as np\n"
            "from mapping.disclosure.programs import IntervalPrograms\n"
            "p = IntervalPrograms(np.array([[1.0, 1.0]]), [3.0], [(0.0, 4.0)] * 2)\n"
            "print(p.extremes(0)[1][1])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], check=True)
    assert done.stdout.strip() == "3.0"
