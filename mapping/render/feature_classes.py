"""The class and colour of every feature, and why a feature has none.

:func:`classify_frame` classifies an area layer by its style, :func:`area_colours` gives
each area its RGBA with the no-value rows of the legend (:func:`missing_rows`:
suppressed, no population, no data), and :func:`surface_rgba` colours a surface's
cells.  The canvas, every export and the HTML map colour features through these.
"""

from __future__ import annotations

import numpy as np

from mapping.render.classify import Classification, ClassScale, classify, classify_categories
from mapping.render.palettes import BIVARIATE_3X3, NO_DATA_COLOR, SUPPRESSED_COLOR, hex_to_rgba
from mapping.stats.local_classes import is_class_column

__all__ = ["classify_frame", "area_colours", "missing_rows", "missing_label", "surface_rgba",
           "surface_scale", "NO_VALUE_HATCH", "HATCH_COLOR"]

#: Hatching of areas with no value that were not suppressed (no population, no data).
NO_VALUE_HATCH = "////"
#: Colour of that hatching.
HATCH_COLOR = "#969696"


def missing_label(layer, col) -> str:
    """The legend label of features without a value: why they have none."""
    data = layer.data
    flag = f"{col}_suppressed" if col else None
    if flag and hasattr(data, "columns") and flag in data.columns and data[flag].any():
        return _suppressed_label(layer, data, col)
    return "No data"


def _suppressed_label(layer, data, col) -> str:
    """"Suppressed (<5)" when every hidden value is a small count (or a rate of one);
    otherwise (a count hidden to protect another, a class withheld around a small
    count) "Suppressed (<5 or protecting one)"."""
    thr = (layer.meta or {}).get("disclosure_threshold", 5)
    protecting = is_class_column(col) or any(
        str(c).endswith("_secondary_suppressed") and data[c].fillna(False).astype(bool).any()
        for c in data.columns)
    return f"Suppressed (<{thr} or protecting one)" if protecting else f"Suppressed (<{thr})"


def missing_rows(layer, gdf, col, cls) -> tuple[list, np.ndarray | None]:
    """Why features have no class: suppressed, no population (a rate), or no data.

    Returns the legend rows and a per-feature row index (-1 = has a class).
    """
    import pandas as pd

    if cls is None or cls.categorical and cls.scheme != "gistar" or not cls.n_missing:
        return [], None
    miss = np.asarray(cls.yb) < 0
    sup = np.zeros(len(gdf), bool)
    flag = f"{col}_suppressed" if col else None
    if flag and flag in gdf.columns:
        sup = gdf[flag].fillna(False).to_numpy(bool) & miss
    nopop = np.zeros(len(gdf), bool)
    if col and col != "population" and "population" in gdf.columns and "count" in gdf.columns:
        pop = pd.to_numeric(gdf["population"], errors="coerce").to_numpy(float)
        with np.errstate(invalid="ignore"):
            nopop = miss & ~sup & ~(pop > 0)
    other = miss & ~sup & ~nopop
    rows, which = [], np.full(len(gdf), -1)
    for mask, label, color, hatch in (
            (sup, _suppressed_label(layer, gdf, col) if sup.any() else "",
             SUPPRESSED_COLOR, ""),
            (nopop, "No population: rate not computed", NO_DATA_COLOR, NO_VALUE_HATCH),
            (other, "No data", NO_DATA_COLOR, NO_VALUE_HATCH)):
        if mask.any():
            which[mask] = len(rows)
            rows.append({"label": label, "count": int(mask.sum()), "color": color,
                         "hatch": hatch})
    return rows, which


def classify_frame(layer, style, gdf, col, scales=None) -> tuple[Classification | None, dict]:
    """Classify an area layer on ``col`` by its style (bivariate, Gi*, categorical or a
    scheme, on a shared scale from ``scales`` when the style names one).

    Returns
    -------
    (Classification or None, dict)
        The classes (None without a value column) and, for a bivariate map, its axes.
    """
    if not col:
        return None, {}
    if "," in col or style.scheme == "bivariate":
        xcol, ycol = [c.strip() for c in col.split(",")][:2]
        cx = classify(gdf[xcol].to_numpy(float), "quantiles", 3)
        cy = classify(gdf[ycol].to_numpy(float), "quantiles", 3)
        yb = np.where((cx.yb >= 0) & (cy.yb >= 0), cx.yb * 3 + cy.yb, -1)
        colors = [BIVARIATE_3X3[i][j] for i in range(3) for j in range(3)]
        counts = np.bincount(yb[yb >= 0], minlength=9).tolist()
        c = Classification("bivariate", np.arange(9), np.nan, yb, counts,
                           [f"{i},{j}" for i in range(3) for j in range(3)], colors,
                           int((yb < 0).sum()), categorical=True)
        meta = layer.meta.get("bivariate", {}) if layer.meta else {}
        return c, {"x": xcol, "y": ycol, "x_label": meta.get("x_label", xcol),
                   "y_label": meta.get("y_label", ycol), "x_classes": cx, "y_classes": cy}
    if col not in gdf.columns:
        return None, {}
    s = gdf[col]
    if style.scheme == "gistar":
        import pandas as pd
        return classify(pd.to_numeric(s, errors="coerce").to_numpy(float), "gistar"), {}
    if style.scheme == "categorical" or not (s.dtype.kind in "fiub"):
        return classify_categories(s.to_numpy(), style.categories), {}
    vals = s.to_numpy(dtype=float)
    scale = scales.get(style.shared_scale) if scales is not None and \
        getattr(style, "shared_scale", "") else None
    return classify(vals, style.scheme, style.k, breaks=style.breaks,
                    palette=style.palette, scale=scale), {}


def area_colours(layer, style, gdf, col, cls, info):
    """Per-feature RGBA and the no-value rows of the legend (kept on ``info``)."""
    rows, which = missing_rows(layer, gdf, col, cls)
    info.missing_rows = rows
    info.missing_label = " / ".join(r["label"] for r in rows) if rows else \
        missing_label(layer, col)
    fc = cls.rgba(missing=hex_to_rgba(SUPPRESSED_COLOR))
    if which is not None:
        for i, r in enumerate(rows):
            fc[which == i] = hex_to_rgba(r["color"])
    return fc, which


def surface_rgba(surf, style, scale: ClassScale | None = None
                 ) -> tuple[np.ndarray, Classification]:
    """Classify a surface's positive cells and return (RGBA image, classification).

    Cells that are NaN or not above zero are transparent; with
    ``style.transparent_low`` the lowest class is transparent too.  The first
    class starts at zero (a density).  ``scale`` gives shared class edges.  The
    HTML map uses the same image, so both maps agree.
    """
    v = np.asarray(surf.values, dtype=float)
    pos = np.isfinite(v) & (v > 0)
    scheme = style.scheme if style.scheme in ("quantiles", "fisher_jenks", "equal_interval",
                                              "std_mean", "manual") else "fisher_jenks"
    cls = classify(v[pos], scheme, style.k, breaks=style.breaks, palette=style.palette,
                   zero_class=False, start=0.0, scale=scale)
    if style.transparent_low and cls.k:
        cls.alphas = [0.0] + [style.opacity] * (cls.k - 1)
    else:
        cls.alphas = [style.opacity] * cls.k
    full = np.full(v.size, -1)
    full[pos.ravel()] = cls.yb
    cls_all = Classification(cls.scheme, cls.bins, cls.lower, full, cls.counts, cls.labels,
                             cls.colors, 0, alphas=cls.alphas, scale=cls.scale)
    rgba = cls_all.rgba(missing=(0, 0, 0, 0)).reshape(v.shape + (4,))
    return rgba, cls


def surface_scale(style, scales):
    """The shared class edges a surface's style names, or None."""
    if scales is None or not getattr(style, "shared_scale", ""):
        return None
    return scales.get(style.shared_scale)
