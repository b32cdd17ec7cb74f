"""The map a result gets when the project file declares none.

:func:`default_composition` builds it from the result's metadata: the class
scheme named for Gi* bins and bivariate pairs, coarser boundaries drawn over
it as outlines, basemaps under it, its geography in the subtitle.
"""

from __future__ import annotations

import re

from mapping.render.compose import MapComposition
from mapping.render.styling import layer_title

__all__ = ["default_composition"]

_GISTAR_HINT = re.compile(r"(gi_?bin|gistar|gi\*|getis|hotspot_class|cluster_bin)", re.I)


def default_composition(layer, base_layers=(), fictional: bool = False) -> MapComposition:
    """Build a map for an analysis result layer: title, legend units and notes from its meta.

    Parameters
    ----------
    layer : Layer
        The result (areas, grid, points or surface).
    base_layers : iterable of Layer
        Context layers; area layers are drawn on top as outlines, basemaps at the bottom.
    fictional : bool
        Mark the map "FICTIONAL DATA".

    Returns
    -------
    MapComposition
    """
    meta = layer.meta or {}
    hints = meta.get("style") or {}
    col = hints.get("column") or layer.style.column or meta.get("value_column")
    over: dict = {}
    # The class scheme is not decided here: resolve_style (mapping/render/styling.py) decides it for
    # the canvas and every export alike.  Only Gi* bins and bivariate pairs are named.
    if meta.get("bivariate"):
        b = meta["bivariate"]
        over = {"column": f"{b.get('x')},{b.get('y')}", "scheme": "bivariate",
                "edgecolor": "#ffffff", "linewidth": 0.3}
    elif col and (_GISTAR_HINT.search(str(col)) or _GISTAR_HINT.search(str(meta.get("method")))):
        over = {"column": col, "scheme": "gistar", "edgecolor": "#ffffff", "linewidth": 0.3}
    elif layer.kind in ("areas", "grid") and col:
        over = {"column": col, "edgecolor": "#ffffff", "linewidth": 0.3}
    over = {k: v for k, v in over.items() if k not in hints}
    overrides = {layer.name: over} if over else {}
    names = []
    bases = list(base_layers)
    for b in bases:
        if b.kind == "points" and b.name != layer.name:
            names.append(b.name)
    names_under = [b.name for b in bases if b.kind in ("areas", "grid") and layer.kind == "points"]
    # Outlines over the result: for areas only coarser geographies (LSOA lines inside a ward
    # choropleth would read as LSOA values); over a surface, every boundary layer.
    n_res = _n_features(layer) if layer.kind in ("areas", "grid") else float("inf")
    outlines = sorted((b for b in bases if b.kind in ("areas", "grid") and layer.kind != "points"
                       and not _same_areas(b, layer) and _n_features(b) < n_res),
                      key=lambda b: -_n_features(b))
    names_over = [b.name for b in outlines]  # finest first; coarser outlines drawn on top
    for i, b in enumerate(outlines):  # finer geographies thinner and lighter
        coarse = i == len(outlines) - 1
        overrides[b.name] = {"color": "none", "edgecolor": "#252525" if coarse else "#969696",
                             "linewidth": 0.9 if coarse else 0.3}
    names_base = [b.name for b in bases if b.kind == "basemap"]
    layer_order = names_base + names_under + [layer.name] + names_over + names
    title = meta.get("title") or layer.name
    subtitle = str(meta.get("period") or meta.get("subtitle") or "")
    own = next((b for b in bases if b.kind in ("areas", "grid") and _same_areas(b, layer)), None)
    if own is not None:  # say which geography the values are for: "LSOAs (2011)"
        level = layer_title(own)
        if level != own.name and level not in title and level not in subtitle:
            subtitle = f"{subtitle} · {level}" if subtitle else level
    return MapComposition(name=layer.name, title=title, subtitle=subtitle,
                          layers=layer_order, style_overrides=overrides, fictional=fictional)


def _n_features(layer) -> int:
    return len(layer.data) if hasattr(layer.data, "__len__") else 0


def _same_areas(base, layer) -> bool:
    """True when a boundary layer is the result's own geography (not worth outlining again)."""
    if base.kind != layer.kind or _n_features(base) != _n_features(layer):
        return False
    a, b = base.bounds, layer.bounds
    return a is not None and b is not None and max(abs(x - y) for x, y in zip(a, b)) < 1.0
