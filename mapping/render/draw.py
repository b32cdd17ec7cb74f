"""The one renderer: the GUI canvas and every export draw layers with it.

:func:`draw_layers` draws a list of :class:`layers.model.Layer` onto any
matplotlib ``Axes`` (the Qt canvas embeds one; exports use an Agg figure).
:func:`mapping.render.layout.render_composition` lays a whole page out (title, map,
legend, scale bar, north arrow, notes, attribution) with it and returns a ``Figure``
without touching pyplot state.

Drawing order follows the layer list: each layer is drawn above the ones
before it, whatever its kind (a basemap raster always stays underneath).

A style's ``shared_scale`` names a scale several layers share (the KDEs or
rates of 2023 and 2024): their class edges are found once on the pooled values
of every layer with that name in ``pool`` (the project's layers), using the
scheme, ``k`` and breaks of the first such layer, so a colour means the same
value on every map of the series.

Polygon geometry is converted to matplotlib paths once per layer and cached on
the layer (keyed by the data object), so redraws after a style change only
recompute colours (:mod:`mapping.render.feature_paths`); the class and colour of
each feature come from :mod:`mapping.render.feature_classes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from layers.style import LayerStyle
from mapping.disclosure.rules import secondary_flag
from mapping.render.basemap import draw_basemap
from mapping.render.classify import Classification, classify_categories
from mapping.render.feature_classes import (HATCH_COLOR, NO_VALUE_HATCH, area_colours,
                                            classify_frame, missing_label, surface_rgba,
                                            surface_scale)
from mapping.render.feature_paths import area_collection, cached_bounds, cached_paths, in_view
from mapping.render.palettes import CATEGORY_MARKERS, SUPPRESSED_COLOR, hex_to_rgba
from mapping.render.shared_scales import SharedScales
from mapping.render.styling import layer_title, resolve_style, value_column

__all__ = ["draw_layers", "RenderInfo", "render_view", "layer_render_info", "draw_labels",
           "RASTER_FEATURES"]

#: From this many features an area layer is drawn as an image inside SVG and PDF pages
#: (matplotlib's ``rasterized``, at the page's dpi): 47,000 grid cells as vector paths
#: took 16 s to write and gave files no editor opens comfortably; PNG and the screen are
#: raster anyway, so only the vector formats change.  Lines are thinned from the same size.
RASTER_FEATURES = 5000


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
    missing_rows: list = field(default_factory=list)  # {"label", "count", "color", "hatch"}
    shared_scale: str = ""  # the scale's name when its classes are shared with other layers
    shared_with: list = field(default_factory=list)  # names of the layers on that scale
    drawn: int | None = None  # features drawn when the draw was culled to a view, else None


def _units_said(title: str, units: str) -> bool:
    """True when the title already gives the units ("… per 10,000 residents")."""
    t = title.lower()
    u = units.lower()
    return u in t or (" " in u and u.split(" ", 1)[1] in t)


def _legend_title(layer, style, col):
    if style.legend_title:
        return style.legend_title
    meta = layer.meta or {}
    title = meta.get("legend_title") or layer_title(layer)
    units = meta.get("units") or getattr(layer.data, "units", "")
    if style.scheme in ("gistar", "categorical", "bivariate"):
        units = ""  # classes, not measurements
    return f"{title} ({units})" if units and not _units_said(title, units) else title


def _draw_areas(ax, layer, style, info, zorder=1.0, scales=None, view=None):
    from matplotlib.collections import PathCollection

    gdf = layer.data
    bounds = cached_bounds(layer, gdf)
    col = value_column(layer, style)
    cls, biv = classify_frame(layer, style, gdf, col, scales)  # on every feature, culled or not
    paths = cached_paths(layer, gdf)
    lw = style.linewidth if len(gdf) < RASTER_FEATURES else min(style.linewidth, 0.1)
    which = None
    if cls is None:
        fc = hex_to_rgba(style.color, style.opacity) if style.color != "none" else "none"
    else:
        fc, which = area_colours(layer, style, gdf, col, cls, info)
        fc[:, 3] *= style.opacity
    keep = in_view(layer, gdf, view)
    if keep is not None:  # only what is in view, with the colours of the whole layer
        paths = [paths[i] for i in keep]
        fc = fc[keep] if isinstance(fc, np.ndarray) and fc.ndim == 2 else fc
        which = which[keep] if which is not None else None
        gdf = gdf.iloc[keep]
        bounds = bounds[keep]
        info.drawn = len(keep)
    coll = area_collection(paths, bounds, facecolors=fc, edgecolors=style.edgecolor,
                           linewidths=lw, transform=ax.transData, zorder=zorder,
                           rasterized=len(gdf) >= RASTER_FEATURES)
    ax.add_collection(coll, autolim=True)
    if which is not None:  # hatch areas with no value (not suppressed) so none reads as a class
        hatched = [p for p, w in zip(paths, which)
                   if w >= 0 and info.missing_rows[w]["hatch"]]
        if hatched:
            ax.add_collection(PathCollection(
                hatched, facecolors="none", edgecolors="none", linewidths=0,
                hatch=NO_VALUE_HATCH, hatchcolor=HATCH_COLOR, transform=ax.transData,
                zorder=zorder, rasterized=len(hatched) >= RASTER_FEATURES), autolim=False)
    info.classification, info.bivariate = cls, biv
    if style.label_column and style.label_column in gdf.columns and len(layer.data) <= 400:
        draw_labels(ax, gdf, style.label_column,
                     (layer.meta or {}).get("disclosure_threshold"))


def draw_labels(ax, gdf, column, threshold=None):
    """Write each feature's ``column`` value at its representative point, honestly.

    A missing value reads ``"<threshold"`` only where it is a suppressed small count,
    ``"suppressed"`` where it is hidden to protect another (secondary suppression)
    and ``"no data"`` otherwise.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The map axes.
    gdf : GeoDataFrame
        The features (after disclosure control).
    column : str
        The column to write.
    threshold : int, optional
        The disclosure threshold (default 5).
    """
    import matplotlib.patheffects as pe

    thr = threshold or 5
    n = len(gdf)
    hidden = gdf[f"{column}_suppressed"].fillna(False).to_numpy(bool) \
        if f"{column}_suppressed" in gdf.columns else np.zeros(n, bool)
    second = gdf[secondary_flag(column)].fillna(False).to_numpy(bool) \
        if secondary_flag(column) in gdf.columns else np.zeros(n, bool)
    pts = gdf.geometry.representative_point()
    for p, v, h, s2 in zip(pts, gdf[column], hidden, second):
        if p is None or p.is_empty:
            continue
        if isinstance(v, str):
            text = v
        elif v != v:  # honest labels: "<5" only for a small count
            text = "suppressed" if s2 else (f"<{thr}" if h else "no data")
        else:
            text = f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
        ax.text(p.x, p.y, text, fontsize=5, ha="center", va="center", color="#202020",
                path_effects=[pe.withStroke(linewidth=1.2, foreground="white")], clip_on=True)


def _draw_points(ax, layer, style, info, zorder=3.0, view=None):
    gdf = layer.data
    geoms = gdf.geometry
    ok = ~(geoms.is_empty | geoms.isna())
    xs = np.where(ok, geoms.x.where(ok, np.nan), np.nan)
    ys = np.where(ok, geoms.y.where(ok, np.nan), np.nan)
    shown = np.ones(len(xs), bool)
    if view is not None:  # points outside the (widened) view are not drawn
        with np.errstate(invalid="ignore"):
            shown = (xs >= view[0]) & (xs <= view[2]) & (ys >= view[1]) & (ys <= view[3])
        info.drawn = int(shown.sum())
        xs, ys = np.where(shown, xs, np.nan), np.where(shown, ys, np.nan)
    col = value_column(layer, style)
    info.geom = "point"
    if col and col in gdf.columns and (style.scheme == "categorical"
                                       or gdf[col].dtype.kind not in "fiub"):
        cls = classify_categories(gdf[col].to_numpy(), style.categories)
        for i, color in enumerate(cls.colors):
            m = (cls.yb == i) & shown
            ax.scatter(xs[m], ys[m], s=style.marker_size, c=color,
                       marker=CATEGORY_MARKERS[i % len(CATEGORY_MARKERS)],
                       edgecolors="white", linewidths=0.3, alpha=style.opacity, zorder=zorder)
        info.classification = cls
    else:
        xs, ys = xs[shown], ys[shown]
        ax.scatter(xs, ys, s=style.marker_size, c=style.color, marker=style.marker,
                   edgecolors=style.edgecolor if style.edgecolor != "none" else "none",
                   linewidths=0.3, alpha=style.opacity, zorder=zorder)


def _draw_surface(ax, layer, style, info, zorder=1.0, scales=None):
    rgba, cls = surface_rgba(layer.data, style, surface_scale(style, scales))
    # as 8-bit colours (each palette colour exactly): matplotlib then resamples and
    # blends bytes instead of float RGBA at the page's resolution, 4x faster at 300 dpi,
    # with blended pixels at most one level in 255 from the float path's
    rgba = np.round(np.asarray(rgba, float) * 255.0).astype(np.uint8)
    ax.imshow(rgba, extent=layer.data.extent, origin="upper", interpolation="nearest",
              zorder=zorder)
    info.classification, info.geom = cls, "raster"


def layer_render_info(layer, overrides: dict | None = None, *, pool=None,
                      all_overrides: dict | None = None):
    """Return (RenderInfo, per-feature RGBA or None) without drawing: for the HTML map.

    ``pool`` (and the map's ``all_overrides``) find the other layers of a
    shared scale, as :func:`draw_layers` does.
    """
    style = resolve_style(layer, overrides)
    scales = SharedScales(pool if pool is not None else [layer],
                          all_overrides if all_overrides is not None
                          else {layer.name: overrides or {}})
    col = value_column(layer, style)
    info = RenderInfo(layer.name, layer.kind, _legend_title(layer, style, col), style,
                      units=(layer.meta or {}).get("units", ""))
    info.n = len(layer.data) if hasattr(layer.data, "__len__") else 0
    if layer.kind == "surface":
        _, info.classification = surface_rgba(layer.data, style, surface_scale(style, scales))
        info.geom = "raster"
        return info, None
    gdf = layer.data
    if layer.kind == "points":
        info.geom = "point"
        if col and col in gdf.columns and (style.scheme == "categorical"
                                           or gdf[col].dtype.kind not in "fiub"):
            info.classification = classify_categories(gdf[col].to_numpy(), style.categories)
    else:
        info.classification, info.bivariate = classify_frame(layer, style, gdf, col, scales)
        info.missing_label = missing_label(layer, col)
    if info.classification is None:
        rgba = np.tile(hex_to_rgba(style.color if style.color != "none" else "#ffffff",
                                   style.opacity if style.color != "none" else 0.0),
                       (len(gdf), 1))
    elif layer.kind == "points":
        rgba = info.classification.rgba(missing=hex_to_rgba(SUPPRESSED_COLOR))
    else:
        rgba, _ = area_colours(layer, style, gdf, col, info.classification, info)
    return info, rgba


def draw_layers(ax, layers, *, overrides: dict | None = None, pool=None,
                view=None) -> list[RenderInfo]:
    """Draw layers bottom to top on a matplotlib Axes; skip hidden or disabled ones.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Target axes (data coordinates are British National Grid metres).
    layers : iterable of Layer
        Bottom first: each is drawn above the ones before it, whatever its
        kind (areas, points, surfaces; a basemap always stays underneath).
        Tables are ignored.
    overrides : dict, optional
        Layer name -> dict of :class:`LayerStyle` fields for this map only.
    pool : iterable of Layer, optional
        All layers that may share a scale with the drawn ones (default: the
        drawn ones); the canvas passes the whole layer stack.
    view : (xmin, ymin, xmax, ymax), optional
        Draw only the area and point features that meet this box (found with a
        spatial index, :func:`in_view`); classes and colours still come from
        every feature, so the pixels inside the box are those of a full draw.
        Widen it by a few pixels for strokes.  Default: draw everything (exports).

    Returns
    -------
    list of RenderInfo
        One per drawn layer, bottom first, for the legend.
    """
    infos = []
    overrides = overrides or {}
    layers = list(layers)
    scales = SharedScales(layers if pool is None else pool, overrides)
    n = max(len(layers), 1)
    for i, layer in enumerate(layers):
        zorder = 1.0 + i / n  # the list order; labels (3) and map furniture (9+) stay above
        if not layer.visible or not layer.enabled or layer.data is None:
            continue
        if layer.kind == "table":
            continue
        if layer.kind == "basemap":  # no legend entry; its copyright goes in the attribution
            style = resolve_style(layer, overrides.get(layer.name))
            draw_basemap(ax, layer.data, opacity=style.opacity)
            continue
        style = resolve_style(layer, overrides.get(layer.name))
        col = value_column(layer, style)
        info = RenderInfo(layer.name, layer.kind, _legend_title(layer, style, col), style,
                          units=(layer.meta or {}).get("units", ""))
        try:
            if layer.kind == "surface":
                _draw_surface(ax, layer, style, info, zorder, scales)
            elif layer.kind == "points":
                _draw_points(ax, layer, style, info, zorder, view)
            else:
                _draw_areas(ax, layer, style, info, zorder, scales, view)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            layer.disable(f"cannot draw: {exc}")
            continue
        info.n = len(layer.data) if hasattr(layer.data, "__len__") else 0
        _note_shared(info, style, scales)
        infos.append(info)
    ax.set_aspect("equal")
    return infos


def render_view(layers, view, width: int, height: int, *, dpi: float = 100.0,
                facecolor="#f7f7f5", overrides: dict | None = None, pool=None,
                pad_px: float = 4.0) -> tuple[np.ndarray, list[RenderInfo]]:
    """Draw layers for one screen view into an RGBA image, only the features in view.

    What the map canvas draws after a pan or zoom, on a worker thread: its own
    Agg figure of the canvas's size (nothing shared with the GUI's figure), the
    layers drawn by :func:`draw_layers` with ``view`` widened by ``pad_px``
    pixels so strokes crossing the edge are kept.

    Parameters
    ----------
    layers : list of Layer
        Bottom first, as :func:`draw_layers` takes them.
    view : (xmin, ymin, xmax, ymax)
        The view in metres; the image maps it onto ``width`` x ``height`` pixels.
    width, height : int
        Pixels.
    dpi : float
        The canvas's dpi (sets line widths and text sizes in pixels).
    facecolor : colour
        Background.
    overrides, pool
        As :func:`draw_layers`.
    pad_px : float
        Pixels of margin around the view in which features are still drawn.

    Returns
    -------
    (ndarray, list of RenderInfo)
        The image (``height x width x 4`` uint8, top row first) and what was drawn
        (``RenderInfo.drawn`` counts the features of each layer drawn).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor=facecolor)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_axis_off()
    ax.set_facecolor(facecolor)
    x0, y0, x1, y1 = view
    pad = pad_px * max((x1 - x0) / max(width, 1), (y1 - y0) / max(height, 1))  # metres
    infos = draw_layers(ax, layers, overrides=overrides, pool=pool,
                        view=(x0 - pad, y0 - pad, x1 + pad, y1 + pad))
    ax.set_aspect("auto")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy(), infos


def _note_shared(info, style, scales) -> None:
    """Record on ``info`` that its classes come from a shared scale (for the legend)."""
    name = getattr(style, "shared_scale", "")
    cls = info.classification
    if name and cls is not None and cls.scale is not None and scales.get(name) == cls.scale:
        info.shared_scale = name
        info.shared_with = [lyr.name for lyr, _ in scales.members(name)]
