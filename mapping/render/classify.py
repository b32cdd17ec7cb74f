"""Choropleth classification: a name-keyed registry over mapclassify.

Schemes (:data:`~mapping.render.class_breaks.CLASSIFIERS` keys): ``quantiles``,
``fisher_jenks`` (natural breaks), ``equal_interval``, ``std_mean`` (standard deviation), ``manual``
(user breaks); plus ``auto`` (hotmap's choice for the layer, see
:func:`mapping.render.styling.auto_style`), the fixed ``gistar`` bins (-3..+3) and
``categorical``.  The same :class:`Classification` drives the static map, the
HTML map and the legend, so all three agree on class ranges, colours and
counts per class.

Classification is two steps, so several maps can share one scale:
:func:`class_scale` finds the class edges (a :class:`ClassScale`) and
:func:`apply_scale` sorts values into them.  :func:`classify` does both.

Rules an analyst would apply, and this module applies for every scheme but
``manual``:

* **Zero is a class of its own** when at least :data:`ZERO_CLASS_SHARE` (10%)
  of the values are exactly zero and none is negative ("no recorded events"
  is not "a low rate"); the scheme's breaks are then found on the non-zero
  values, and ``k`` counts the zero class.
* **Rounding.** Whole-number data (counts) get whole-number bounds; other
  data get three significant figures of the largest value (1 decimal for
  rates up to 99.9, 2 up to 9.99, none from 100), more if two bounds would
  otherwise print alike.  Values are classified at that precision, so a value
  shown as 5.2 is never in the class labelled "5.3 – 10.4".
* **Labels never overlap or repeat**: a class runs from one step above the
  previous upper bound (``4 – 7`` after ``1 – 3``; ``5.3 – 10.4`` after
  ``0.1 – 5.2``); a class of one value reads ``0``, never ``0 – 0``.
* **No empty classes** (classes left empty by ties or rounding are merged).
  Manual breaks and shared scales keep their classes, empty or not, because
  they must mean the same on every map.

Fisher-Jenks is exact up to :data:`~mapping.render.class_breaks.JENKS_MAX_N` values; above
that it runs on that many evenly spaced order statistics of the values.  (mapclassify's
``FisherJenksSampled`` draws a random sample from NumPy's global generator, so
two renders of one layer could differ; the order statistics are
deterministic and keep the distribution's shape.)  Parity with the exact
method is tested.  The schemes, the rounding and the labels are in
:mod:`mapping.render.class_breaks`.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from layers.common.errors import InputError
from mapping.render.class_breaks import (CLASSIFIERS, bound_decimals, class_labels, rounded_bins,
                                         scheme_names)
from mapping.render.palettes import (CATEGORY_COLORS, GISTAR_CLASSES, GISTAR_COLORS, GISTAR_LABELS,
                              palette_colors)

__all__ = ["Classification", "ClassScale", "classify", "class_scale", "apply_scale",
           "classify_categories", "ZERO_CLASS_SHARE"]

#: Share of exact zeros from which zero gets a class of its own.
ZERO_CLASS_SHARE = 0.10


@dataclass(frozen=True)
class ClassScale:
    """The class edges of a numeric map, shareable between maps.

    Attributes
    ----------
    scheme : str
        Scheme the edges came from.
    bins : tuple of float
        Upper bound of each class, at ``decimals`` places; the zero class (when
        ``zero``) is not included.
    decimals : int
        Places of the bounds; values are rounded to it before classifying.
    zero : bool
        A class holding exact zeros comes first.
    lower : float
        Lowest value of the first non-zero class (its label's start).
    fixed : bool
        Keep every class, empty or not (manual breaks, shared scales).
    """

    scheme: str
    bins: tuple
    decimals: int = 0
    zero: bool = False
    lower: float = float("nan")
    fixed: bool = False

    @property
    def k(self) -> int:
        """Number of classes, the zero class included."""
        return len(self.bins) + int(self.zero)

    @property
    def edges(self) -> list[float]:
        """Upper bound of every class, the zero class's (0) first when present."""
        return ([0.0] if self.zero else []) + [float(b) for b in self.bins]

    def labels(self) -> list[str]:
        """Legend text per class: non-overlapping, never repeated."""
        if not self.bins:
            return ["0"] if self.zero else []
        step = 10.0 ** -self.decimals
        lows = [self.lower] + [b + step for b in self.bins[:-1]]
        out = class_labels(lows, self.bins, self.decimals)
        return (["0"] if self.zero else []) + out

    def with_fixed(self) -> "ClassScale":
        """The same edges, marked as fixed (for a scale shared between maps)."""
        return ClassScale(self.scheme, self.bins, self.decimals, self.zero, self.lower, True)


@dataclass
class Classification:
    """Class membership, ranges, colours and counts for one layer.

    Attributes
    ----------
    scheme : str
        Registry key used.
    bins : ndarray
        Upper bound of each class (numeric schemes; 0 for a zero class) or the
        category values.
    lower : float
        Lower bound of the first class.
    yb : ndarray of int
        Class index per feature; -1 for missing or suppressed values.
    counts : list of int
        Features per class.
    labels : list of str
        Legend text per class (ranges, or category names).
    colors : list of str
        Hex colour per class.
    n_missing : int
        Features with no value (drawn in the "suppressed / no data" style).
    scale : ClassScale or None
        The class edges (numeric schemes), shareable with other maps.
    """

    scheme: str
    bins: np.ndarray
    lower: float
    yb: np.ndarray
    counts: list
    labels: list
    colors: list
    n_missing: int = 0
    categorical: bool = False
    alphas: list = field(default_factory=list)
    scale: ClassScale | None = None

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.labels)

    def rgba(self, missing=(0.8, 0.8, 0.8, 1.0)) -> np.ndarray:
        """Return an (n, 4) RGBA array per feature; missing features get ``missing``."""
        from matplotlib.colors import to_rgba_array

        table = to_rgba_array(self.colors) if self.colors else np.zeros((0, 4))
        if self.alphas:
            table[:, 3] = self.alphas
        out = np.empty((len(self.yb), 4))
        out[:] = missing
        ok = self.yb >= 0
        out[ok] = table[self.yb[ok]]
        return out


_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 64


def class_scale(values, scheme: str = "fisher_jenks", k: int = 5, *, breaks=None,
                zero_class: bool | None = None, start: float | None = None) -> ClassScale:
    """Find the class edges for ``values`` (NaN ignored).

    Parameters
    ----------
    values : array-like of float
        Values to classify; pooled values of several layers for a shared scale.
    scheme : str
        A key of :data:`CLASSIFIERS`; ``"auto"`` means ``fisher_jenks``.
    k : int
        Number of classes, a zero class included (ignored by ``std_mean`` and
        ``manual``).
    breaks : list of float, optional
        Upper bounds for ``manual`` (values above the last one get a class up
        to the maximum).
    zero_class : bool, optional
        Force (True) or refuse (False) a zero class; None decides by
        :data:`ZERO_CLASS_SHARE`.  Never applied to ``manual``.
    start : float, optional
        Lower bound of the first class (density surfaces start at 0).

    Returns
    -------
    ClassScale

    Raises
    ------
    InputError
        For an unknown scheme or missing manual breaks.
    """
    if scheme == "auto":
        scheme = "fisher_jenks"
    if scheme not in CLASSIFIERS:
        raise InputError(f"unknown classification scheme '{scheme}'", column="scheme",
                         fix=f"use one of: {', '.join(scheme_names())}")
    y = np.asarray(values, dtype=float)
    y = y[np.isfinite(y)]
    key = (hashlib.blake2b(y.tobytes(), digest_size=16).hexdigest(), scheme, int(k),
           breaks if isinstance(breaks, str) else tuple(breaks or ()), zero_class, start)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    scale = _class_scale(y, scheme, int(k), breaks, zero_class, start)
    _CACHE[key] = scale
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return scale


def _class_scale(y, scheme, k, breaks, zero_class, start) -> ClassScale:
    if scheme == "manual":
        b = CLASSIFIERS["manual"](y, k, breaks)
        integer = bool(len(y)) and bool(np.all(y == np.round(y))) and \
            bool(np.all(b == np.round(b)))
        d = bound_decimals(y, b, integer) if len(y) else 0
        d = max(d, max((len(f"{v:g}".partition(".")[2]) for v in b), default=0))
        low = start if start is not None else (float(np.min(y)) if len(y) else float(b[0]))
        return ClassScale("manual", tuple(float(v) for v in np.round(b, d)), d, False,
                          float(np.floor(low * 10 ** d) / 10 ** d), True)
    if len(y) == 0:
        return ClassScale(scheme, (), 0, False, float("nan"))
    integer = bool(np.all(y == np.round(y)))
    if zero_class is None:
        zero = bool(y.min() >= 0 and np.mean(y == 0) >= ZERO_CLASS_SHARE)
    else:
        zero = bool(zero_class) and bool(np.any(y == 0)) and bool(y.min() >= 0)
    nz = y[y > 0] if zero else y
    if len(nz) == 0:
        return ClassScale(scheme, (), 0, True, 0.0)
    kk = max(1, min(k - int(zero), len(np.unique(nz))))
    if len(np.unique(nz)) == 1:
        raw = np.array([nz[0]])
    else:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = np.asarray(CLASSIFIERS[scheme](nz, kk, breaks), dtype=float)
    d = bound_decimals(nz, raw, integer, after_zero=zero)
    bins = rounded_bins(raw, nz, d, integer)
    yr = np.round(nz, d)
    counts = np.bincount(np.searchsorted(bins, yr, side="left").clip(max=len(bins) - 1),
                         minlength=len(bins))
    bins = np.r_[bins[:-1][counts[:-1] > 0], bins[-1]]  # merge classes left empty
    if start is not None:
        low = float(start)
    else:
        low = float(np.round(nz.min(), d)) if not integer else float(nz.min())
        if zero:  # the first class after "0" starts above it
            low = max(low, 10.0 ** -d)
    return ClassScale(scheme, tuple(float(v) for v in bins), d, zero, low)


def apply_scale(values, scale: ClassScale, palette: str = "YlOrRd") -> Classification:
    """Sort values into the classes of ``scale`` (NaN = missing, class -1).

    Values are rounded to ``scale.decimals`` first; exact zeros go to the zero
    class when the scale has one.  Values beyond the last bound (a shared scale
    applied to new data) go to the top class.
    """
    y = np.asarray(values, dtype=float)
    ok = np.isfinite(y)
    yb = np.full(len(y), -1, dtype=int)
    bins = np.asarray(scale.bins, float)
    k = scale.k
    if k == 0:
        return Classification(scale.scheme, np.array([]), scale.lower, yb, [], [], [],
                              int((~ok).sum()), scale=scale)
    zero = ok & (y == 0) if scale.zero else np.zeros(len(y), bool)
    rest = ok & ~zero
    if len(bins):
        yr = np.round(y[rest], scale.decimals)
        yb[rest] = np.searchsorted(bins, yr, side="left").clip(max=len(bins) - 1) \
            + int(scale.zero)
    else:  # only zeros were seen; anything else is beyond the scale
        yb[rest] = 0
    yb[zero] = 0
    counts = np.bincount(yb[ok], minlength=k).tolist()
    colors = palette_colors(palette, k)
    return Classification(scale.scheme, np.asarray(scale.edges), scale.lower, yb, counts,
                          scale.labels(), colors, int((~ok).sum()), scale=scale)


def classify(values, scheme: str = "quantiles", k: int = 5, *, breaks=None,
             palette: str = "YlOrRd", zero_class: bool | None = None,
             start: float | None = None, scale: ClassScale | None = None) -> Classification:
    """Classify numeric values with a registered scheme (or a given scale).

    Parameters
    ----------
    values : array-like of float
        One value per feature; NaN = missing or suppressed.
    scheme : str
        A key of :data:`CLASSIFIERS`, ``"auto"``, or ``"gistar"`` for Gi* bins -3..3.
    k : int
        Number of classes, a zero class included (ignored by ``std_mean``,
        ``manual`` and ``gistar``).
    breaks : list of float, optional
        Upper bounds for ``manual``.
    palette : str
        ColorBrewer name for the class colours.
    zero_class, start
        See :func:`class_scale`.
    scale : ClassScale, optional
        Use these edges (a shared scale) instead of finding them.

    Returns
    -------
    Classification

    Raises
    ------
    InputError
        For an unknown scheme or missing manual breaks.

    Examples
    --------
    >>> c = classify([1, 2, 3, 4, 5, 6], "equal_interval", k=2, palette="Blues")
    >>> c.counts, c.labels
    ([3, 3], ['1 – 3', '4 – 6'])
    >>> classify([0, 0, 0, 1, 2, 9], "quantiles", k=3).labels
    ['0', '1 – 2', '3 – 9']
    """
    y = np.asarray(values, dtype=float)
    if scheme == "gistar" and scale is None:
        return _classify_gistar(y, np.isfinite(y))
    if scale is None:
        scale = class_scale(y, scheme, k, breaks=breaks, zero_class=zero_class, start=start)
    return apply_scale(y, scale, palette)


def _classify_gistar(y, ok) -> Classification:
    yb = np.full(len(y), -1, dtype=int)
    v = np.clip(np.round(y[ok]).astype(int), -3, 3)
    yb[ok] = v + 3
    counts = np.bincount(yb[ok], minlength=7).tolist()
    return Classification("gistar", np.array(GISTAR_CLASSES, dtype=float), -3.0, yb, counts,
                          list(GISTAR_LABELS), list(GISTAR_COLORS), int((~ok).sum()),
                          categorical=True)


def classify_categories(values, categories: dict | None = None) -> Classification:
    """Classify category values (e.g. crime type) into colours.

    Parameters
    ----------
    values : array-like
        One category per feature; None/NaN = missing.
    categories : dict, optional
        Category -> hex colour; others get the :data:`CATEGORY_COLORS` cycle.

    Returns
    -------
    Classification
        ``bins`` holds the categories in legend order (most frequent first).
    """
    import pandas as pd

    s = pd.Series(values, dtype="object")
    missing = s.isna().to_numpy()
    order = list(s[~missing].value_counts().index)
    categories = dict(categories or {})
    if categories:
        order = [c for c in categories if c in set(order)] + [c for c in order
                                                              if c not in categories]
    codes = {c: i for i, c in enumerate(order)}
    yb = np.array([-1 if m else codes[v] for v, m in zip(s, missing)], dtype=int)
    colors = []
    cycle = iter(CATEGORY_COLORS * (len(order) // len(CATEGORY_COLORS) + 1))
    for c in order:
        colors.append(categories.get(c) or categories.get(str(c)) or next(cycle))
    counts = np.bincount(yb[yb >= 0], minlength=len(order)).tolist()
    return Classification("categorical", np.array(order, dtype=object), np.nan, yb, counts,
                          [str(c) for c in order], colors, int(missing.sum()), categorical=True)
