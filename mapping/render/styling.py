"""How hotmap draws a layer when the user has not said: one decision for every front.

The canvas, the exported maps and the HTML map all draw through
:func:`resolve_style`, which calls :func:`auto_style` for a
layer whose scheme is ``"auto"`` (the :class:`~layers.style.LayerStyle`
default).  So a layer looks the same on screen and on paper, and the choice
lives here only:

=====================================  ==========================================
layer                                  ``auto`` becomes
=====================================  ==========================================
surface (KDE)                          ``equal_interval`` on the cells above zero,
                                       lowest class not shaded: only real
                                       concentrations are coloured (natural
                                       breaks or quantiles of a KDE shade the
                                       blur around every single event)
value column named like Gi* bins       ``gistar`` (cold/hot spots at 90/95/99%)
two value columns ``"x,y"``            ``bivariate`` (3 x 3 tertiles)
text or category column                ``categorical``
any other number (counts, rates)       ``fisher_jenks``, zero as its own class
                                       when many areas are zero
=====================================  ==========================================

:func:`layer_title` gives a layer's human name for legends and titles
("LSOAs (2011)" rather than "lsoa").
"""

from __future__ import annotations

import copy
import re

from layers.style import LayerStyle

__all__ = ["auto_style", "layer_title", "is_gistar_column", "value_column", "resolve_style"]

_GISTAR_HINT = re.compile(r"(gi_?bin|gistar|gi\*|getis|hotspot_class|cluster_bin)", re.I)


def value_column(layer, style) -> str | None:
    """The column a layer is classified on: the style's, else the analysis's value column."""
    return style.column or (layer.meta or {}).get("value_column")


def is_gistar_column(layer, column) -> bool:
    """True when ``column`` (or the layer's method) holds Gi* confidence bins."""
    method = (layer.meta or {}).get("method")
    return bool(column) and bool(_GISTAR_HINT.search(str(column))
                                 or _GISTAR_HINT.search(str(method or "")))


def auto_style(layer, style) -> dict:
    """Style fields that settle ``scheme = "auto"`` for ``layer``.

    Parameters
    ----------
    layer : Layer
        The layer to draw (its kind, data and meta are read, not changed).
    style : LayerStyle
        Its style so far (user fields, analysis hints, map overrides).

    Returns
    -------
    dict
        ``scheme`` and, for surfaces, ``transparent_low``; empty when the
        style's scheme is not ``"auto"``.
    """
    if style.scheme != "auto":
        return {}
    if layer.kind == "surface":
        return {"scheme": "equal_interval", "transparent_low": True}
    col = value_column(layer, style)
    data = layer.data
    if col and ("," in str(col) or (layer.meta or {}).get("bivariate")):
        return {"scheme": "bivariate"}
    if is_gistar_column(layer, col):
        return {"scheme": "gistar"}
    if col and hasattr(data, "columns") and col in data.columns \
            and data[col].dtype.kind not in "fiub":
        return {"scheme": "categorical"}
    return {"scheme": "fisher_jenks"}


def layer_title(layer) -> str:
    """A layer's name for legends and titles.

    The analysis's ``title`` when it has one; for a boundary layer, the name of
    its geography from the ONS code field ("LSOAs (2011)", "Wards (2013)",
    "Local authority districts (2021)"), see :func:`boundaries.detect.level_title`,
    or from the role its project declares (``role = "lsoa"``: "LSOAs"); else the
    layer's own name.  A style's ``legend_title`` (set in the project
    file's ``[boundaries.style]`` or the style panel) overrides all of these
    in the legend.
    """
    meta = layer.meta or {}
    if meta.get("title"):
        return str(meta["title"])
    if layer.kind in ("areas", "grid") and (layer.source or {}).get("boundaries"):
        from boundaries.detect import level_title, role_title

        code = meta.get("code_field")
        data = layer.data
        codes = data[code] if code and hasattr(data, "columns") and code in data.columns \
            else None
        title = level_title(code, codes) or role_title(meta.get("role"))
        if title:
            return title
    return layer.name


def resolve_style(layer, overrides: dict | None = None) -> LayerStyle:
    """Return the layer's style with per-map ``overrides`` applied (a copy)."""
    style = copy.deepcopy(layer.style)
    hints = (layer.meta or {}).get("style") or {}
    if isinstance(hints, dict):  # analysis hints fill fields the user left at defaults
        default = LayerStyle()
        for key, value in hints.items():
            if hasattr(style, key) and getattr(style, key) == getattr(default, key):
                setattr(style, key, value)
    for key, value in (overrides or {}).items():
        if hasattr(style, key):
            setattr(style, key, value)
    for key, value in auto_style(layer, style).items():  # scheme "auto": hotmap's choice
        setattr(style, key, value)
    return style
