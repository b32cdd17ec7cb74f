"""Audit of published hot/cold-spot classes against a table's suppressed counts (issue 16).

A Gi* class (``gi_bin``) is a band of a z-score built on the counts of an area
and its neighbours; a LISA quadrant says on which side of the mean an area's
count and its neighbours' average lie.  Each published class is therefore a
pair of linear inequalities on the counts, and together with the weights, the
published counts and the total they can narrow a suppressed count.

Classes are published by default.  For each table with classes and
suppressed counts, :func:`audit_classes` builds the linear program of the
strongest attacker we model and, with :func:`scipy.optimize.linprog` (HiGHS),
finds the least and greatest value of each small suppressed count.  The
attacker knows:

* the analysis's weights (rebuilt from the geometry with the analysis's own
  weights specification), the mean and the spread of the counts (so the
  constant of every z-score), every published count;
* each hidden count's label: ``<5`` means 1..threshold-1 (0.. when zeros are
  suppressed), ``suppressed`` means at least the threshold;
* the sum of the hidden counts (number of areas times the mean, less the
  published counts);
* **Gi***: for each published ``gi_bin`` the band of z it implies (edges at
  1.645, 1.96 and 2.576, sign of z).  With the FDR adjustment (the default)
  the bin is set by the q-value, and q >= p, so only the inner edge is implied;
  the outer edge is used too where the true z lies inside it (a stronger
  attacker, never a weaker one).  Class 0 ("not significant") gives no
  constraint with FDR; without it, ``|z| < 1.645`` (not for flat
  neighbourhoods, whose p is set to 1).  With permutations the bin comes from
  a permutation p-value, which is no function of z: only the sign of z is used.
* **LISA**: the quadrant (``lisa_quadrant``, or ``lisa_cluster`` where it is
  significant) gives the sign of ``x_i - mean`` and of the spatial lag
  ``sum_j w_ij x_j - mean`` (row-standardised weights): linear.

Approximations (the attacker modelled is weaker than a perfect one in these
two ways only, stated here and in the code): the spread ``S`` gives
``sum x^2``, a quadratic equation, not used; a LISA significance flag
comes from a permutation test, which is not a linear (nor any closed-form)
function of the counts, so it gives no constraint.  Scope: one table at a time;
a Gi* and a LISA table of the same counts are audited separately, not jointly,
and the classes' inequalities are not added to the cross-table program of
:mod:`mapping.disclosure.audit`.  Strict inequalities
(``z > 0``) are taken as ``>=`` (the interval's closure, the same width).

While a small count's interval is narrower than
:func:`mapping.disclosure.settings.protection`, the class whose inequality binds
hardest (largest dual value of the minimising or maximising program) is
withheld and the programs solved again.  All classes of an area go together.
Every solution found is kept: it stays feasible when a class is withheld, so
a count already seen to vary by the protection width needs no program.
"""

from __future__ import annotations

import numpy as np

from mapping.disclosure.columns import CLASS_COLUMN_RE, class_kind, count_columns, secondary_flag
from mapping.disclosure.settings import DisclosureRules, protection

__all__ = ["audit_classes", "withhold_classes", "GI_EDGES"]

#: Two-sided normal critical values of the 90, 95 and 99% bins (``gi_bins``).
GI_EDGES = {1: 1.6448536269514722, 2: 1.959963984540054, 3: 2.5758293035489004}
_LISA_X_HIGH = {"HH": True, "HL": True, "LH": False, "LL": False}
_LISA_LAG_HIGH = {"HH": True, "LH": True, "HL": False, "LL": False}


def _fdr_on(params: dict) -> bool:
    v = params.get("fdr", True)
    if isinstance(v, str):
        return v.strip().lower() not in ("off", "false", "no", "none", "0", "")
    return bool(v)


def _constraints(kind, df, truth, w, params, classes):
    """``[(M, lower, upper)]``: sparse matrices over the areas and bounds per row,
    ``lower <= M x <= upper`` (``nan`` where a row gives no bound; row i belongs to
    area i).  Only bounds that hold at the true counts are kept, so the true counts
    are always a feasible point."""
    from scipy import sparse

    x = np.asarray(truth, float)
    xbar = float(x.mean())
    m = sparse.csr_matrix(w, dtype=float).copy()
    m.setdiag(0)
    m.eliminate_zeros()
    if kind == "gistar":
        return _gistar_constraints(df, x, xbar, m, params, classes)
    return _lisa_constraints(x, xbar, m, classes)


def _gistar_constraints(df, x, xbar, m, params, classes):
    """The bands of z each published ``gi_bin`` implies, as bounds on ``ws x`` (see
    :func:`_constraints`); None when the counts do not vary."""
    from scipy import sparse

    n = len(x)
    ws = (m + sparse.identity(n, format="csr")).tocsr()
    wi = np.asarray(ws.sum(axis=1)).ravel()
    s1 = np.asarray(ws.multiply(ws).sum(axis=1)).ravel()
    s = float(np.sqrt(max((x ** 2).mean() - xbar ** 2, 0.0)))
    if not s > 0:
        return None
    d = s * np.sqrt(np.maximum(n * s1 - wi ** 2, 0) / (n - 1))
    bins = np.asarray(classes["gi_bin"], float)
    lo = np.full(n, np.nan)
    hi = np.full(n, np.nan)
    pub = np.isfinite(bins) & (d > 0)
    b = np.where(pub, bins, 0).astype(int)
    if int(params.get("permutations") or 0) > 0:
        # a permutation p-value is no function of z: the bin gives the sign of z only
        lo[pub & (b > 0)] = 0.0
        hi[pub & (b < 0)] = 0.0
    else:
        edges = np.array([0.0, *GI_EDGES.values(), np.inf])
        k = np.minimum(np.abs(b), 3)
        inner, outer = edges[k], edges[k + 1]
        pos, neg = pub & (b > 0), pub & (b < 0)
        lo[pos], hi[pos] = inner[pos], outer[pos]
        lo[neg], hi[neg] = -outer[neg], -inner[neg]
        flat = df["gi_flat"].fillna(False).to_numpy(bool) if "gi_flat" in df.columns \
            else np.zeros(n, bool)
        if not _fdr_on(params):  # without FDR "not significant" is |z| < 1.645
            zero = pub & (b == 0) & ~flat
            lo[zero], hi[zero] = -GI_EDGES[1], GI_EDGES[1]
        # with FDR (q >= p) class 0 says nothing and a bin only its inner edge for
        # sure; the outer edge is kept where the true z is inside it (stronger attacker)
    # z = (ws x - xbar W) / d, so  lo <= z  <=>  ws x >= d lo + xbar W
    with np.errstate(invalid="ignore"):
        lower = np.where(np.isfinite(lo), d * lo + xbar * wi, np.nan)
        upper = np.where(np.isfinite(hi), d * hi + xbar * wi, np.nan)
    return [(ws, lower, upper)]


def _lisa_constraints(x, xbar, m, classes):
    """The signs each published LISA quadrant implies (``x_i`` and the spatial lag against
    the mean), as bounds (see :func:`_constraints`)."""
    from scipy import sparse

    n = len(x)
    rs = np.asarray(m.sum(axis=1)).ravel()
    inv = np.divide(1.0, rs, out=np.zeros_like(rs), where=rs > 0)
    wr = (sparse.diags(inv) @ m).tocsr()
    quad = classes.get("lisa_quadrant")
    clus = classes.get("lisa_cluster")
    qs = []
    for i in range(n):
        q = quad[i] if quad is not None else None
        if not isinstance(q, str) or q not in _LISA_X_HIGH:
            q = clus[i] if clus is not None else None  # "Not significant": no quadrant
        qs.append(q if isinstance(q, str) and q in _LISA_X_HIGH else None)
    out = []
    # the quadrant: sign of x_i - mean and of the lag (sum_j w_ij x_j - mean); strict
    # inequalities as non-strict.  lisa_sig and the significance in lisa_cluster come from
    # a permutation test, not linear in the counts: no constraint (see the docstring).
    for mat, table, ok in ((sparse.identity(n, format="csr"), _LISA_X_HIGH, np.ones(n, bool)),
                           (wr, _LISA_LAG_HIGH, rs > 0)):
        lower = np.full(n, np.nan)
        upper = np.full(n, np.nan)
        for i, q in enumerate(qs):
            if q is None or not ok[i]:
                continue
            if table[q]:
                lower[i] = xbar
            else:
                upper[i] = xbar
        out.append((mat, lower, upper))
    return out


def audit_classes(kind: str, df, truth: np.ndarray, hidden: np.ndarray,
                  secondary: np.ndarray, w, params: dict, classes: dict, rules):
    """Return ``(withheld, unprotected)``: boolean arrays over the areas.

    ``withheld``: areas whose classes must not be published; ``unprotected``:
    small counts the classes do not narrow but that are narrower than the
    protection anyway (their width is set by the counts alone: the count-level
    audit's business, not the classes').  ``None`` when the program cannot be
    set up (the caller then withholds every class near a hidden count).
    """
    truth = np.asarray(truth, float)
    n = len(truth)
    need = protection(rules)
    withheld = np.zeros(n, bool)
    unprotected = np.zeros(n, bool)
    hid = np.flatnonzero(hidden)
    if not len(hid) or need <= 0:
        return withheld, unprotected
    cons = _constraints(kind, df, truth, w, params, classes)
    if cons is None:
        return None
    prog = _ClassProgram(cons, truth, hidden, secondary, rules)
    if prog.a_all is None:
        return withheld, unprotected
    for v in [v for v in hid if not secondary[v]]:
        k = prog.pos[v]
        if prog.seen_hi[k] - prog.seen_lo[k] >= need - 1e-9:
            continue  # already seen to vary enough: protected whatever else is published
        width, marg = prog.solve(k, withheld)
        if width is not None and width < need - 1e-6 and prog.narrow_without_classes(k, need):
            unprotected[v] = True  # narrow without any class: not the classes' doing
            continue
        while width is not None and width < need - 1e-6:
            area = prog.most_binding(k, v, marg, withheld)
            if area is None:
                break  # no class left: the counts alone narrow it
            withheld[area] = True
            width, marg = prog.solve(k, withheld)
        if width is None:
            return None
        if width < need - 1e-6:
            unprotected[v] = True
    return withheld, unprotected


class _ClassProgram:
    """The attacker's linear program over a table's hidden counts (:func:`audit_classes`).

    The unknowns are the hidden counts, bounded by their labels; the equation is the
    published total; the inequalities are the classes' bands (:func:`_constraints`),
    each row owned by an area (``owner``) so that withholding an area's classes drops
    its rows.  Every solution found widens ``seen_lo`` .. ``seen_hi``.
    """

    def __init__(self, cons, truth, hidden, secondary, rules):
        from scipy import sparse

        n = len(truth)
        hid = np.flatnonzero(hidden)
        self.pos = {v: k for k, v in enumerate(hid)}
        lo0 = 0.0 if rules.suppress_zero else 1.0
        self.bnds = [(float(rules.threshold), None) if secondary[v]
                     else (lo0, float(rules.threshold - 1)) for v in hid]
        # the total is published (n times the mean): the hidden counts sum to the rest
        self.a_eq = np.ones((1, len(hid)))
        self.b_eq = [float(truth[hid].sum())]
        kn = np.flatnonzero(~hidden)
        blocks, rhs, owner = [], [], []
        for mat, lower, upper in cons:
            mat = sparse.csr_matrix(mat)
            at_truth = mat @ truth
            base = mat[:, kn] @ truth[kn] if len(kn) else np.zeros(n)
            mh = mat[:, hid].tocsr()
            touches = np.diff(mh.indptr) > 0  # the row involves a hidden count
            for bound, sign in ((upper, 1.0), (lower, -1.0)):
                sel = np.isfinite(bound) & touches
                # keep only what holds at the truth (FDR: an outer edge may not)
                sel &= sign * (at_truth - np.where(sel, bound, 0.0)) <= \
                    1e-9 * (1 + np.abs(at_truth))
                rows = np.flatnonzero(sel)
                if not len(rows):
                    continue
                blocks.append(sign * mh[rows])
                # slack: a true z on a band's edge stays feasible in floating point
                rhs.append(sign * (bound[rows] - base[rows]) + 1e-7 * (1 + np.abs(bound[rows])))
                owner.append(rows)
        self.a_all = sparse.vstack(blocks).tocsr() if blocks else None
        self.b_all = np.concatenate(rhs) if blocks else None
        self.owner = np.concatenate(owner) if blocks else None
        self.seen_lo = truth[hid].astype(float).copy()
        self.seen_hi = self.seen_lo.copy()

    def solve(self, k, withheld):
        """``(width of unknown k's interval or None when infeasible, the rows' duals)``
        with the classes of the ``withheld`` areas left out."""
        from scipy.optimize import linprog

        keep = ~withheld[self.owner]
        kw = dict(A_ub=self.a_all[keep] if keep.any() else None,
                  b_ub=self.b_all[keep] if keep.any() else None,
                  A_eq=self.a_eq, b_eq=self.b_eq, bounds=self.bnds, method="highs")
        c = np.zeros(len(self.bnds))
        c[k] = 1.0
        res = [linprog(c, **kw), linprog(-c, **kw)]
        marg = np.zeros(len(self.owner))
        for r in res:
            if r.status == 0:
                np.minimum(self.seen_lo, r.x, out=self.seen_lo)
                np.maximum(self.seen_hi, r.x, out=self.seen_hi)
                if keep.any() and getattr(r, "ineqlin", None) is not None:
                    marg[keep] += np.abs(r.ineqlin.marginals)
        if res[0].status != 0 or res[1].status not in (0, 3):
            return None, marg
        hi = np.inf if res[1].status == 3 else -res[1].fun
        return hi - res[0].fun, marg

    def narrow_without_classes(self, k, need) -> bool:
        """True when unknown k is narrower than ``need`` with no class published at all."""
        from scipy.optimize import linprog

        c = np.zeros(len(self.bnds))
        c[k] = 1.0
        free = [linprog(sg * c, A_eq=self.a_eq, b_eq=self.b_eq, bounds=self.bnds,
                        method="highs") for sg in (1.0, -1.0)]
        return free[0].status == 0 and free[1].status == 0 and \
            -free[1].fun - free[0].fun < need - 1e-6

    def most_binding(self, k, v, marg, withheld):
        """The area whose classes bind hardest on unknown k (of area ``v``), or None."""
        by_area: dict = {}
        for r in np.flatnonzero(marg > 1e-9):
            by_area[self.owner[r]] = by_area.get(self.owner[r], 0.0) + marg[r]
        if not by_area:  # degenerate duals: the nearest class whose rows hold this count
            near = [int(self.owner[r]) for r in self.a_all[:, k].nonzero()[0]
                    if not withheld[self.owner[r]]]
            if not near:
                near = [int(i) for i in self.owner if not withheld[i]]
            if not near:
                return None
            by_area = {i: -abs(i - v) for i in near}
        return max(by_area, key=lambda i: (by_area[i], -i))


def withhold_classes(df, meta: dict | None = None, rules: DisclosureRules | None = None, *,
                     truth=None):
    """Withhold the local-statistic classes (Gi* bins, LISA quadrants) that would let a
    suppressed count be solved for; publish the rest.

    Classes are bands, published by default.  For a table with a suppressed count,
    :func:`audit_classes` solves the attacker's linear
    program (the analysis's own weights rebuilt from the geometry, the mean and spread,
    every published count and class, each hidden count's label, the total) and
    withholds, most binding first, the classes that narrow a small count to less than
    ``min_interval``.  All classes of an area go together (``<class>_suppressed``).
    When the program cannot be set up (no geometry, weights not rebuildable, the true
    counts not at hand, a class column it does not model) the old rule applies: every
    class of an area whose neighbourhood holds a suppressed count is withheld, or every
    class of the table without weights.

    ``truth``: the frame before suppression (the true counts), when ``df`` has them
    blanked.  A frame whose classes already carry flags was audited: returned as is.
    Returns a copy (or ``df`` when nothing is hidden); ``attrs["classes_withheld"]``
    holds how many areas lost their classes.
    """
    meta = meta or {}
    rules = rules or DisclosureRules()
    cls = [c for c in df.columns if CLASS_COLUMN_RE.match(str(c))
           or c in (meta.get("class_columns") or [])]
    if not cls or any(f"{c}_suppressed" in df.columns for c in cls):
        return df
    counts = count_columns(df, meta)
    hidden = _hidden_counts(df, counts)
    if not hidden.any():
        return df
    near = _areas_to_withhold(df, meta, rules, cls, counts, hidden, truth)
    return _withheld(df, cls, near)


def _hidden_counts(df, counts) -> np.ndarray:
    """Boolean over the areas: those with a suppressed count in any count column."""
    hidden = np.zeros(len(df), bool)
    for c in counts:
        flag = f"{c}_suppressed"
        if flag in df.columns:
            hidden |= df[flag].fillna(False).to_numpy(bool)
    return hidden


def _areas_to_withhold(df, meta, rules, cls, counts, hidden, truth) -> np.ndarray:
    """Boolean over the areas: those whose classes go (:func:`withhold_classes`).

    The attacker's program (:func:`audit_classes`) when it can be set up; else every
    area whose neighbourhood holds a suppressed count; without weights, every area.
    """
    params = meta.get("params") or {}
    near = np.ones(len(df), bool)
    if not (hasattr(df, "geometry") and getattr(df, "crs", None) is not None):
        return near
    try:
        # imported here: mapping.stats.weights loads scipy and shapely (2 s at start-up),
        # and most tables have no class column
        from mapping.stats.weights import build_weights

        spec = str(params.get("weights") or "queen")
        snap = params.get("snap_m")
        w = build_weights(df, spec, **({"snap": float(snap)} if snap is not None else {})
                          ).matrix.tocsr()
        near = hidden | (np.asarray(w[:, np.flatnonzero(hidden)].sum(axis=1)).ravel() > 0)
        kind = class_kind(cls)
        src = truth if truth is not None else df
        value = str(params.get("value") or "")
        col = "value" if "value" in src.columns else (value if value in src.columns
                                                     else (counts[0] if counts else None))
        y = src[col].to_numpy(float) if col is not None and len(src) == len(df) else None
        flag = f"{col}_suppressed"
        if kind and y is not None and np.isfinite(y).all() and flag in df.columns:
            # the statistic's own count column: its hidden cells are the unknowns
            h = df[flag].fillna(False).to_numpy(bool)
            sec = h & (df[secondary_flag(col)].fillna(False).to_numpy(bool)
                       if secondary_flag(col) in df.columns else False)
            classes = {str(c).lower(): df[c].to_numpy() for c in cls}
            got = audit_classes(kind, df, y, h, sec, w, params, classes, rules)
            if got is not None and not (hidden & ~h).any():
                near = got[0]
    except Exception:  # noqa: BLE001 - weights not rebuildable: withhold every class
        near = np.ones(len(df), bool)
    return near


def _withheld(df, cls, near):
    """A copy of ``df`` with the classes of the ``near`` areas blank and flagged."""
    out = df.copy()
    for c in cls:
        if out[c].dtype.kind in "biuf":
            out[c] = out[c].astype(float).where(~near)
        else:  # a class label (LISA "HH", "LL" ...)
            out[c] = out[c].astype(object).where(~near, None)
        out[f"{c}_suppressed"] = near
    out.attrs["classes_withheld"] = int(near.sum())
    return out
