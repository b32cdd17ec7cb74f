"""The one renderer: the GUI canvas and every export draw layers with it.

:func:`draw_layers` draws a list of :class:`layers.model.Layer` onto any
matplotlib ``Axes`` (the Qt canvas embeds one; exports use an Agg figure).
:func:`render_composition` lays a whole page out (title, map, legend, scale
bar, north arrow, notes, attribution) and returns a ``Figure`` without
touching pyplot state.

Polygon geometry is converted to matplotlib paths once per layer and cached on
the layer (keyed by the data object), so redraws after a style change only
recompute colours.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from layers.style import LayerStyle
from mapping.classify import Classification, classify, classify_categories
from mapping.palettes import BIVARIATE_3X3, SUPPRESSED_COLOR, hex_to_rgba

__all__ = ["draw_layers", "render_composition", "RenderInfo", "resolve_style",
           "polygon_paths", "surface_rgba", "layer_render_info"]


@dataclass
class RenderInfo:
    """What was drawn for one layer: enough to build its legend."""

    name: str
    kind: str
    title: str
    style: LayerStyle
    classification: Classification | None = None
    n: int = 0
    geom: str = "polygon"  # polygon | point | raster
    bivariate: dict = field(default_factory=dict)
    missing_label: str = "No data"
    units: str = ""


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
    return style


def polygon_paths(geoms) -> list:
    """Convert polygons/multipolygons to one matplotlib ``Path`` per feature (holes kept).

    Vectorised with shapely: rings and coordinates are extracted in bulk, then
    split per feature; empty geometries give an empty path.
    """
    import shapely
    from matplotlib.path import Path

    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    parts, part_idx = shapely.get_parts(geoms, return_index=True)
    # matplotlib fills by the non-zero winding rule: holes must wind against the shell
    parts = shapely.orient_polygons(parts, exterior_cw=False)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_idx = shapely.get_coordinates(rings, return_index=True)
    if len(coords) == 0:
        return [Path(np.zeros((0, 2))) for _ in range(n)]
    codes = np.full(len(coords), Path.LINETO, dtype=np.uint8)
    starts = np.r_[0, np.flatnonzero(np.diff(ring_idx)) + 1]
    ends = np.r_[starts[1:] - 1, len(coords) - 1]
    codes[starts] = Path.MOVETO
    codes[ends] = Path.CLOSEPOLY
    feat_of_coord = part_idx[ring_part[ring_idx]]
    bounds = np.searchsorted(feat_of_coord, np.arange(n + 1))
    return [Path(coords[a:b], codes[a:b]) if b > a else Path(np.zeros((0, 2)))
            for a, b in zip(bounds[:-1], bounds[1:])]


def _cached_paths(layer, gdf):
    cache = getattr(layer, "_hotmap_paths", None)
    if cache is not None and cache[0] is gdf and cache[1] == len(gdf):
        return cache[2]
    paths = polygon_paths(gdf.geometry.values)
    try:
        layer._hotmap_paths = (gdf, len(gdf), paths)
    except AttributeError:
        pass
    return paths


def _value_column(layer, style):
    return style.column or (layer.meta or {}).get("value_column")


def _legend_title(layer, style, col):
    if style.legend_title:
        return style.legend_title
    meta = layer.meta or {}
    title = meta.get("legend_title") or meta.get("title") or layer.name
    units = meta.get("units") or getattr(layer.data, "units", "")
    if style.scheme in ("gistar", "categorical", "bivariate"):
        units = ""  # classes, not measurements
    return f"{title} ({units})" if units and units not in title else title


def _missing_label(layer, col) -> str:
    data = layer.data
    flag = f"{col}_suppressed" if col else None
    if flag and hasattr(data, "columns") and flag in data.columns and data[flag].any():
        thr = (layer.meta or {}).get("disclosure_threshold", 5)
        return f"Suppressed (<{thr})"
    return "No data"


def _classify_frame(layer, style, gdf, col) -> tuple[Classification | None, dict]:
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
    return classify(vals, style.scheme, style.k, breaks=style.breaks,
                    palette=style.palette), {}


def _draw_areas(ax, layer, style, info):
    from matplotlib.collections import PathCollection

    gdf = layer.data
    col = _value_column(layer, style)
    cls, biv = _classify_frame(layer, style, gdf, col)
    paths = _cached_paths(layer, gdf)
    lw = style.linewidth if len(gdf) < 5000 else min(style.linewidth, 0.1)
    if cls is None:
        fc = hex_to_rgba(style.color, style.opacity) if style.color != "none" else "none"
    else:
        fc = cls.rgba(missing=hex_to_rgba(SUPPRESSED_COLOR))
        fc[:, 3] *= style.opacity
    coll = PathCollection(paths, facecolors=fc, edgecolors=style.edgecolor, linewidths=lw,
                          transform=ax.transData)
    ax.add_collection(coll, autolim=True)
    info.classification, info.bivariate = cls, biv
    info.missing_label = _missing_label(layer, col)
    if style.label_column and style.label_column in gdf.columns and len(gdf) <= 400:
        _draw_labels(ax, gdf, style.label_column)


def _draw_labels(ax, gdf, column):
    import matplotlib.patheffects as pe

    pts = gdf.geometry.representative_point()
    for p, v in zip(pts, gdf[column]):
        if p is None or p.is_empty:
            continue
        text = v if isinstance(v, str) else ("<5" if v != v else f"{v:,.0f}"
                                              if float(v).is_integer() else f"{v:,.1f}")
        ax.text(p.x, p.y, text, fontsize=5, ha="center", va="center", color="#202020",
                path_effects=[pe.withStroke(linewidth=1.2, foreground="white")], clip_on=True)


def _draw_points(ax, layer, style, info):
    gdf = layer.data
    geoms = gdf.geometry
    ok = ~(geoms.is_empty | geoms.isna())
    xs = np.where(ok, geoms.x.where(ok, np.nan), np.nan)
    ys = np.where(ok, geoms.y.where(ok, np.nan), np.nan)
    col = _value_column(layer, style)
    info.geom = "point"
    if col and col in gdf.columns and (style.scheme == "categorical"
                                       or gdf[col].dtype.kind not in "fiub"):
        from mapping.palettes import CATEGORY_MARKERS
        cls = classify_categories(gdf[col].to_numpy(), style.categories)
        for i, color in enumerate(cls.colors):
            m = cls.yb == i
            ax.scatter(xs[m], ys[m], s=style.marker_size, c=color,
                       marker=CATEGORY_MARKERS[i % len(CATEGORY_MARKERS)],
                       edgecolors="white", linewidths=0.3, alpha=style.opacity, zorder=3)
        info.classification = cls
    else:
        ax.scatter(xs, ys, s=style.marker_size, c=style.color, marker=style.marker,
                   edgecolors=style.edgecolor if style.edgecolor != "none" else "none",
                   linewidths=0.3, alpha=style.opacity, zorder=3)


def surface_rgba(surf, style) -> tuple[np.ndarray, Classification]:
    """Classify a surface's positive cells and return (RGBA image, classification).

    Cells that are NaN or not above zero are transparent; with
    ``style.transparent_low`` the lowest class is transparent too.  The HTML
    map uses the same image, so both maps agree.
    """
    v = np.asarray(surf.values, dtype=float)
    pos = np.isfinite(v) & (v > 0)
    scheme = style.scheme if style.scheme in ("quantiles", "fisher_jenks", "equal_interval",
                                              "std_mean", "manual") else "quantiles"
    cls = classify(v[pos], scheme, style.k, breaks=style.breaks, palette=style.palette)
    if cls.k and cls.scheme != "manual":  # density surfaces start at zero
        cls.lower = 0.0
        from mapping.classify import class_labels
        cls.labels = class_labels([0.0] + cls.bins[:-1].tolist(), cls.bins)
    if style.transparent_low and cls.k:
        cls.alphas = [0.0] + [style.opacity] * (cls.k - 1)
    else:
        cls.alphas = [style.opacity] * cls.k
    full = np.full(v.size, -1)
    full[pos.ravel()] = cls.yb
    cls_all = Classification(cls.scheme, cls.bins, cls.lower, full, cls.counts, cls.labels,
                             cls.colors, 0, alphas=cls.alphas)
    rgba = cls_all.rgba(missing=(0, 0, 0, 0)).reshape(v.shape + (4,))
    return rgba, cls


def _draw_surface(ax, layer, style, info):
    rgba, cls = surface_rgba(layer.data, style)
    ax.imshow(rgba, extent=layer.data.extent, origin="upper", interpolation="nearest",
              zorder=1)
    info.classification, info.geom = cls, "raster"


def layer_render_info(layer, overrides: dict | None = None):
    """Return (RenderInfo, per-feature RGBA or None) without drawing: for the HTML map."""
    style = resolve_style(layer, overrides)
    col = _value_column(layer, style)
    info = RenderInfo(layer.name, layer.kind, _legend_title(layer, style, col), style,
                      units=(layer.meta or {}).get("units", ""))
    info.n = len(layer.data) if hasattr(layer.data, "__len__") else 0
    if layer.kind == "surface":
        _, info.classification = surface_rgba(layer.data, style)
        info.geom = "raster"
        return info, None
    gdf = layer.data
    if layer.kind == "points":
        info.geom = "point"
        if col and col in gdf.columns and (style.scheme == "categorical"
                                           or gdf[col].dtype.kind not in "fiub"):
            info.classification = classify_categories(gdf[col].to_numpy(), style.categories)
    else:
        info.classification, info.bivariate = _classify_frame(layer, style, gdf, col)
        info.missing_label = _missing_label(layer, col)
    if info.classification is None:
        rgba = np.tile(hex_to_rgba(style.color if style.color != "none" else "#ffffff",
                                   style.opacity if style.color != "none" else 0.0),
                       (len(gdf), 1))
    else:
        rgba = info.classification.rgba(missing=hex_to_rgba(SUPPRESSED_COLOR))
    return info, rgba


def draw_layers(ax, layers, *, overrides: dict | None = None) -> list[RenderInfo]:
    """Draw layers bottom to top on a matplotlib Axes; skip hidden or disabled ones.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Target axes (data coordinates are British National Grid metres).
    layers : iterable of Layer
        Bottom first.  Tables are ignored.
    overrides : dict, optional
        Layer name -> dict of :class:`LayerStyle` fields for this map only.

    Returns
    -------
    list of RenderInfo
        One per drawn layer, bottom first, for the legend.
    """
    infos = []
    overrides = overrides or {}
    for layer in layers:
        if not layer.visible or not layer.enabled or layer.data is None:
            continue
        if layer.kind == "table":
            continue
        if layer.kind == "basemap":  # no legend entry; its copyright goes in the attribution
            from mapping.basemap import draw_basemap

            style = resolve_style(layer, overrides.get(layer.name))
            draw_basemap(ax, layer.data, opacity=style.opacity)
            continue
        style = resolve_style(layer, overrides.get(layer.name))
        col = _value_column(layer, style)
        info = RenderInfo(layer.name, layer.kind, _legend_title(layer, style, col), style,
                          units=(layer.meta or {}).get("units", ""))
        try:
            if layer.kind == "surface":
                _draw_surface(ax, layer, style, info)
            elif layer.kind == "points":
                _draw_points(ax, layer, style, info)
            else:
                _draw_areas(ax, layer, style, info)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            layer.disable(f"cannot draw: {exc}")
            continue
        info.n = len(layer.data) if hasattr(layer.data, "__len__") else 0
        infos.append(info)
    ax.set_aspect("equal")
    return infos


def render_composition(comp, layers, *, rules=None) -> Any:
    """Render a :class:`mapping.compose.MapComposition` to a page ``Figure``.

    Parameters
    ----------
    comp : MapComposition
        Page, extent, layer names, title, legend and furniture options.
    layers : LayerStack, list of Layer or dict
        Where to look up ``comp.layers`` by name.
    rules : DisclosureRules, optional
        Disclosure control applied to the layers before drawing (on by
        default; pass ``DisclosureRules(enabled=False)`` only for the analyst's
        own screen).

    Returns
    -------
    matplotlib.figure.Figure
        With an Agg canvas attached; call ``fig.savefig``.
    """
    from mapping.layout import render_page

    return render_page(comp, layers, rules=rules)
