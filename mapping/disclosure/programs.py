"""The least and greatest value of each unknown of one system of equations with box bounds.

The disclosure audit asks, for every hidden cell of a group of related tables, how
low and how high an attacker can push it (:mod:`mapping.disclosure.attacker`): two
linear programs per cell over the same constraints, only the objective changing.
:func:`scipy.optimize.linprog` builds and presolves the model afresh on each call
(about 1.4 ms of Python and setup per program on the demo, 2,142 programs a run), so
:class:`IntervalPrograms` passes the model to HiGHS once (:mod:`highspy`, the solver
``linprog`` itself calls) and re-solves it with a changed objective from the previous
optimal basis.  The optimal values are the same (``tests/mapping/test_disclosure_programs.py``
checks them against ``linprog``); only the optimal points may be other vertices of the
same face.
"""

from __future__ import annotations

import os
import threading

import numpy as np

__all__ = ["IntervalPrograms", "OPTIMAL", "UNBOUNDED", "INFEASIBLE"]

#: Outcome of one program, as :func:`scipy.optimize.linprog` numbers them.
OPTIMAL, INFEASIBLE, UNBOUNDED, FAILED = 0, 2, 3, 4

_banner_lock = threading.Lock()
_banner_shown = False


def _new_highs():
    """A silent :class:`highspy.Highs`.

    highspy prints its copyright banner on standard output when the first solver of a
    process is made, before any option can be set; a command's standard output is
    the user's (``hotmap count ... > counts.txt``), so that first construction runs
    with file descriptor 1 pointed at ``/dev/null``.
    """
    global _banner_shown
    import highspy

    with _banner_lock:
        if _banner_shown:
            h = highspy.Highs()
        else:
            saved = os.dup(1)
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                try:
                    os.dup2(devnull, 1)
                    h = highspy.Highs()
                finally:
                    os.dup2(saved, 1)
                    os.close(devnull)
            finally:
                os.close(saved)
            _banner_shown = True
    h.silent()
    return h


class IntervalPrograms:
    """``A x = b``, ``lo <= x <= hi``: minimise and maximise one unknown at a time.

    Parameters
    ----------
    a_eq : (m, n) array
    b_eq : (m,) array
    bounds : list of (lo, hi)
        ``hi`` None (or inf) for no upper bound.
    """

    def __init__(self, a_eq, b_eq, bounds):
        import highspy

        self._hs = highspy
        a = np.asarray(a_eq, float)
        m, n = a.shape
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, m
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.array([-inf if not np.isfinite(lo) else lo for lo, _ in bounds],
                                 float)
        lp.col_upper_ = np.array([inf if hi is None or not np.isfinite(hi) else hi
                                  for _, hi in bounds], float)
        b = np.asarray(b_eq, float)
        lp.row_lower_, lp.row_upper_ = b.copy(), b.copy()
        nz = a != 0
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.r_[0, np.cumsum(nz.sum(0))].astype(np.int32)
        rows, cols = np.nonzero(nz.T)  # column by column, rows ascending
        lp.a_matrix_.index_ = cols.astype(np.int32)
        lp.a_matrix_.value_ = a.T[rows, cols]
        self.n = n
        self._h = _new_highs()
        self._h.passModel(lp)
        self._cost_at: int | None = None

    def _solve(self, k: int, maximise: bool):
        hs, h = self._hs, self._h
        if self._cost_at != k:
            if self._cost_at is not None:
                h.changeColCost(self._cost_at, 0.0)
            h.changeColCost(k, 1.0)
            self._cost_at = k
        h.changeObjectiveSense(hs.ObjSense.kMaximize if maximise else hs.ObjSense.kMinimize)
        h.run()
        status = h.getModelStatus()
        if status == hs.HighsModelStatus.kOptimal:
            return OPTIMAL, float(h.getInfo().objective_function_value), \
                np.array(h.getSolution().col_value, float)
        if status in (hs.HighsModelStatus.kUnbounded,
                      hs.HighsModelStatus.kUnboundedOrInfeasible):
            return UNBOUNDED, None, None
        if status == hs.HighsModelStatus.kInfeasible:
            return INFEASIBLE, None, None
        return FAILED, None, None

    def extremes(self, k: int):
        """``((status, least, x), (status, greatest, x))`` of unknown ``k``; the value and
        point are None unless the status is :data:`OPTIMAL`."""
        return self._solve(k, False), self._solve(k, True)
