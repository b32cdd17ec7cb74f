"""Choropleth classification: a name-keyed registry over mapclassify.

Schemes (``CLASSIFIERS`` keys): ``quantiles``, ``fisher_jenks`` (natural
breaks), ``equal_interval``, ``std_mean`` (standard deviation), ``manual``
(user breaks); plus the fixed ``gistar`` bins (-3..+3) and ``categorical``.
The same :class:`Classification` drives the static map, the HTML map and the
legend, so all three agree on class ranges, colours and counts per class.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from layers.errors import InputError
from mapping.palettes import (CATEGORY_COLORS, GISTAR_CLASSES, GISTAR_COLORS, GISTAR_LABELS,
                              palette_colors)

__all__ = ["Classification", "classify", "classify_categories", "CLASSIFIERS", "scheme_names",
           "format_number", "class_labels"]


def _quantiles(y, k, breaks):
    import mapclassify
    return mapclassify.Quantiles(y, k=k).bins


def _fisher_jenks(y, k, breaks):
    import mapclassify
    if len(y) > 3000:  # exact Fisher-Jenks is O(k n^2); sample as mapclassify recommends
        return mapclassify.FisherJenksSampled(y, k=k, pct=min(1.0, 3000 / len(y))).bins
    return mapclassify.FisherJenks(y, k=k).bins


def _equal_interval(y, k, breaks):
    import mapclassify
    return mapclassify.EqualInterval(y, k=k).bins


def _std_mean(y, k, breaks):
    import mapclassify
    return mapclassify.StdMean(y).bins


def _manual(y, k, breaks):
    if not breaks:
        raise InputError("manual classification needs breaks", column="breaks",
                         fix="give the upper bound of each class, e.g. breaks = [5, 10, 20]")
    b = np.asarray(sorted(float(v) for v in breaks))
    if len(y) and b[-1] < np.max(y):
        b = np.append(b, np.max(y))
    return b


#: Scheme name -> function(values, k, breaks) returning upper bounds.
CLASSIFIERS = {"quantiles": _quantiles, "fisher_jenks": _fisher_jenks,
               "equal_interval": _equal_interval, "std_mean": _std_mean, "manual": _manual}


def scheme_names() -> list[str]:
    """All classification scheme keys (for the GUI's combo box)."""
    return list(CLASSIFIERS) + ["gistar", "categorical"]


def format_number(x: float, step: float | None = None) -> str:
    """Format a class bound compactly: integers plainly, others with 1-2 decimals."""
    if x is None or not np.isfinite(x):
        return "–"
    if float(x).is_integer() and (step is None or step >= 1):
        return f"{x:,.0f}"
    ax = abs(x)
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:,.1f}"
    if ax >= 0.1 or ax == 0:
        return f"{x:.2f}"
    return f"{x:.2g}"


def class_labels(lows, highs) -> list[str]:
    """Range labels with one precision for the whole legend, from the narrowest class.

    Examples
    --------
    >>> class_labels([0, 8], [8, 16])
    ['0 – 8', '8 – 16']
    """
    bounds = np.r_[np.asarray(lows, float)[:1], np.asarray(highs, float)]
    steps = np.diff(bounds)
    steps = steps[steps > 0]
    step = float(steps.min()) if len(steps) else float(abs(bounds[-1]) or 1.0)
    dec = int(min(4, max(0, 1 - np.floor(np.log10(step))))) if step > 0 else 2
    if np.all(np.mod(bounds, 1) == 0):
        dec = 0
    elif dec == 1 and step >= 10:
        dec = 0
    return [f"{lo:,.{dec}f} – {hi:,.{dec}f}" for lo, hi in zip(lows, highs)]


@dataclass
class Classification:
    """Class membership, ranges, colours and counts for one layer.

    Attributes
    ----------
    scheme : str
        Registry key used.
    bins : ndarray
        Upper bound of each class (numeric schemes) or the category values.
    lower : float
        Lower bound of the first class (the minimum value).
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


def classify(values, scheme: str = "quantiles", k: int = 5, *, breaks=None,
             palette: str = "YlOrRd", decimals_hint: float | None = None) -> Classification:
    """Classify numeric values with a registered scheme.

    Parameters
    ----------
    values : array-like of float
        One value per feature; NaN = missing or suppressed.
    scheme : str
        A key of :data:`CLASSIFIERS`, or ``"gistar"`` for Gi* bins -3..3.
    k : int
        Number of classes (ignored by ``std_mean``, ``manual`` and ``gistar``).
    breaks : list of float, optional
        Upper bounds for ``manual``.
    palette : str
        ColorBrewer name for the class colours.

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
    ([3, 3], ['1.0 – 3.5', '3.5 – 6.0'])
    """
    y = np.asarray(values, dtype=float)
    ok = np.isfinite(y)
    if scheme == "gistar":
        return _classify_gistar(y, ok)
    if scheme not in CLASSIFIERS:
        raise InputError(f"unknown classification scheme '{scheme}'", column="scheme",
                         fix=f"use one of: {', '.join(scheme_names())}")
    yy = y[ok]
    yb = np.full(len(y), -1, dtype=int)
    if len(yy) == 0:
        return Classification(scheme, np.array([]), np.nan, yb, [], [], [], int((~ok).sum()))
    n_unique = len(np.unique(yy))
    kk = max(1, min(int(k), n_unique))
    if n_unique == 1:
        bins = np.array([yy[0]])
    else:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bins = np.asarray(CLASSIFIERS[scheme](yy, kk, breaks), dtype=float)
    bins = np.unique(bins)  # drop duplicate bounds (ties in quantiles)
    bins[-1] = max(bins[-1], yy.max())
    cls = np.searchsorted(bins, yy, side="left")
    yb[ok] = np.minimum(cls, len(bins) - 1)
    counts = np.bincount(yb[ok], minlength=len(bins)).tolist()
    lower = float(yy.min())
    lows = [lower] + bins[:-1].tolist()
    labels = class_labels(lows, bins)
    colors = palette_colors(palette, len(bins))
    return Classification(scheme, bins, lower, yb, counts, labels, colors,
                          int((~ok).sum()))


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
