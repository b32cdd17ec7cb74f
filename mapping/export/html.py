"""Offline interactive HTML map (folium/Leaflet) with the static map's classes and colours.

The page works with no network: Leaflet 1.9.4's JavaScript and CSS (vendored
in ``resources/vendor/leaflet-1.9.4``, BSD-2-Clause) are inlined, its images
become data URIs, and folium's CDN links (jQuery, Bootstrap, Font Awesome) are
dropped because nothing here needs them.  No tile layer is added unless the
caller opts in with ``tiles=``; then the page fetches tiles from that server.

Classes and colours come from :func:`mapping.render.draw.layer_render_info`, the
code path the static renderer uses, so the two maps agree.
"""

from __future__ import annotations

import base64
import html as _html
import io
import re
from pathlib import Path

import numpy as np

from layers.common.atomic import atomic_write_text
from mapping.disclosure.rules import DisclosureRules, apply_rules, count_columns, secondary_flag

__all__ = ["export_html", "build_html", "vendored_leaflet", "grid_cell_index"]

#: Grid layers with more cells than this are drawn as one image, not as paths.
GRID_AS_IMAGE = 5000

VENDOR = Path(__file__).resolve().parents[2] / "resources" / "vendor" / "leaflet-1.9.4"


def vendored_leaflet() -> tuple[str, str]:
    """Return Leaflet's (JavaScript, CSS) with the CSS images inlined as data URIs."""
    js = (VENDOR / "leaflet.js").read_text("utf-8")
    css = (VENDOR / "leaflet.css").read_text("utf-8")

    def inline(match):
        f = VENDOR / match.group(1)
        if not f.exists():
            return "url(data:,)"
        b64 = base64.b64encode(f.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{b64})"

    css = re.sub(r"url\((images/[^)]+\.png)\)", inline, css)
    return js, css


def _hex(rgba) -> str:
    r, g, b = (int(round(float(v) * 255)) for v in rgba[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _tooltip_frame(layer, gdf, info, rules):
    """String columns for tooltips: id/name fields plus the value, '<5' where suppressed."""
    value_col = info.style.column or (layer.meta or {}).get("value_column")
    fields = [c for c in gdf.columns if str(c).lower() in ("code", "name", "area_code",
                                                           "area_name", "lsoa11cd", "lsoa11nm",
                                                           "label")][:2]
    if value_col and value_col in gdf.columns and value_col not in fields:
        fields.append(value_col)
    counts = count_columns(gdf, layer.meta)
    for c in counts:
        if c not in fields and len(fields) < 5:
            fields.append(c)
    out = {}
    for c in fields:
        flag = f"{c}_suppressed"
        vals = gdf[c].tolist()
        hidden = gdf[flag].fillna(False).to_numpy(bool) if flag in gdf.columns \
            else np.zeros(len(gdf), bool)
        second = gdf[secondary_flag(c)].fillna(False).to_numpy(bool) \
            if secondary_flag(c) in gdf.columns else np.zeros(len(gdf), bool)
        is_count = c in counts
        # honest labels: "<5" only for a small count, "suppressed" for the rest
        out[f"t_{c}"] = [(rules.small_label if is_count and not s2 else "suppressed") if h
                         else _fmt(v) for v, h, s2 in zip(vals, hidden, second)]
    return out, fields


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "no data"
    if isinstance(v, (float, np.floating)):
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"
    if isinstance(v, (int, np.integer)):
        return f"{v:,}"
    return str(v)


def _surface_overlay(layer, info, fmap, group):
    """Add a surface as an ImageOverlay coloured exactly as on the static map."""
    from mapping.render.feature_classes import surface_rgba

    surf = layer.data
    rgba, _ = surface_rgba(surf, info.style)
    _rgba_overlay(rgba, surf.x0, surf.y0, surf.cell_size, surf.crs, group)


def _grid_overlay(layer, rgba_per_cell, group) -> None:
    """Rasterise a large grid-cell layer to one image (a page of 40,000 paths is too slow)."""
    gdf = layer.data
    cell = float(np.sqrt(np.median(gdf.geometry.area)))
    xmin, ymin, xmax, ymax = gdf.total_bounds
    nx, ny = int(np.ceil((xmax - xmin) / cell)), int(np.ceil((ymax - ymin) / cell))
    idx = grid_cell_index(gdf.geometry, xmin, ymin + ny * cell, cell, (ny, nx))
    table = np.vstack([np.zeros((1, 4)), np.asarray(rgba_per_cell, float)])
    _rgba_overlay(table[idx], xmin, ymin, cell, "EPSG:27700", group)


def grid_cell_index(geoms, x0: float, top: float, cell: float, shape) -> np.ndarray:
    """Which feature (1-based; 0 for none) covers each pixel of a north-up raster.

    The raster's top-left corner is (``x0``, ``top``), its pixels ``cell`` square and
    ``shape`` (rows, columns): what :func:`rasterio.features.rasterize` burns for
    ``(geometry, i + 1)`` pairs (a pixel is burned when its centre is inside; later
    features over earlier ones).

    Why by hand: rasterize reads every polygon through Python (``__geo_interface__``),
    2.3 s for the demo's 47,000 cells.  When every feature is an axis-aligned square of
    side ``cell`` on the raster's own lattice and no two share a pixel, each covers
    exactly the one pixel whose centre it holds, found from its bounds in one numpy
    step; any other layer (hexagons, areas, a cell off the lattice) goes to rasterize.
    ``tests/mapping/test_html_grid.py`` compares the two.
    """
    idx = _lattice_index(np.asarray(geoms, dtype=object), x0, top, cell, shape)
    if idx is not None:
        return idx
    from rasterio.features import rasterize
    from rasterio.transform import from_origin

    return rasterize(((g, i + 1) for i, g in enumerate(geoms)), out_shape=shape,
                     transform=from_origin(x0, top, cell, cell), fill=0, dtype="int32")


def _lattice_index(geoms, x0, top, cell, shape):
    """:func:`grid_cell_index` for one-pixel squares on the lattice; None for other shapes."""
    import shapely

    if not len(geoms) or (shapely.get_type_id(geoms) != 3).any():  # 3: Polygon (not None)
        return None
    if ((shapely.get_num_interior_rings(geoms) != 0).any()
            or (shapely.get_num_coordinates(geoms) != 5).any()):
        return None
    b = shapely.bounds(geoms)
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    tol = 1e-6 * cell
    # four corners filling a cell-sized bounding box: the axis-aligned square itself
    if (np.abs(w - cell) > tol).any() or (np.abs(h - cell) > tol).any() or \
            not np.allclose(shapely.area(geoms), w * h, rtol=1e-9, atol=0):
        return None
    col, row = (b[:, 0] - x0) / cell, (top - b[:, 3]) / cell
    ci, ri = np.rint(col), np.rint(row)
    if (np.abs(col - ci) > 1e-6).any() or (np.abs(row - ri) > 1e-6).any():
        return None
    ci, ri = ci.astype(np.int64), ri.astype(np.int64)
    ny, nx = shape
    if ci.min() < 0 or ri.min() < 0 or ci.max() >= nx or ri.max() >= ny:
        return None
    flat = ri * nx + ci
    if len(np.unique(flat)) != len(flat):  # overlapping cells: leave the order to rasterize
        return None
    idx = np.zeros(shape, np.int32)
    idx.flat[flat] = np.arange(1, len(flat) + 1, dtype=np.int32)
    return idx


def _rgba_overlay(rgba, x0, y0, cell, crs, group) -> None:
    """Warp a north-up RGBA image (BNG cells) to Web Mercator; add it as an ImageOverlay."""
    import folium
    import rasterio.warp
    from matplotlib.image import imsave
    from pyproj import Transformer
    from rasterio.transform import from_origin

    ny, nx = rgba.shape[:2]
    src_tr = from_origin(x0, y0 + ny * cell, cell, cell)
    dst_tr, w, h = rasterio.warp.calculate_default_transform(
        crs, "EPSG:3857", nx, ny, x0, y0, x0 + nx * cell, y0 + ny * cell)
    dst = np.zeros((4, h, w), dtype=np.uint8)
    src = np.moveaxis((rgba * 255).round().astype(np.uint8), -1, 0)
    for band in range(4):
        rasterio.warp.reproject(src[band], dst[band], src_transform=src_tr, src_crs=crs,
                                dst_transform=dst_tr, dst_crs="EPSG:3857",
                                resampling=rasterio.warp.Resampling.nearest)
    buf = io.BytesIO()
    imsave(buf, np.moveaxis(dst, 0, -1), format="png")
    t = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    west, north = t.transform(dst_tr.c, dst_tr.f)
    east, south = t.transform(dst_tr.c + w * dst_tr.a, dst_tr.f + h * dst_tr.e)
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    folium.raster_layers.ImageOverlay(uri, bounds=[[south, west], [north, east]],
                                      opacity=1.0, interactive=False).add_to(group)


def _vector_layer(lyr, info, rgba, outline, rules, group):
    """Add a polygon or point layer (GeoJSON in EPSG:4326) with tooltips to ``group``."""
    import folium

    gdf = lyr.data
    tips, fields = _tooltip_frame(lyr, gdf, info, rules)
    web = gdf[[gdf.geometry.name]].copy()
    for k, v in tips.items():
        web[k] = v
    web["_fill"] = [_hex(c) for c in rgba]
    web["_op"] = [float(c[3]) for c in rgba]
    web = web.to_crs(4326)
    web = web.set_geometry(web.geometry.set_precision(1e-6))
    # Leaflet's tooltip sets innerHTML: every value and field name goes in as escaped text
    for k in list(web.columns):
        if k in tips:
            web[k] = [_html.escape(str(v), quote=True) for v in web[k]]
    fields = [_html.escape(str(f), quote=True) for f in fields]
    tooltip = (folium.GeoJsonTooltip(fields=list(tips), aliases=fields, sticky=True)
               if tips and not outline else None)
    if lyr.kind == "points":
        folium.GeoJson(web, marker=folium.CircleMarker(radius=4, weight=0.5),
                       style_function=lambda f: {
                           "fillColor": f["properties"]["_fill"], "color": "#ffffff",
                           "weight": 0.5, "fill": True, "fillOpacity": 0.9},
                       tooltip=tooltip).add_to(group)
    else:
        edge = info.style.edgecolor if info.style.edgecolor != "none" else None
        lw = max(0.3, float(info.style.linewidth)) * (2 if outline else 1)
        folium.GeoJson(web, interactive=not outline,
                       style_function=lambda f, e=edge, w=lw, o=outline: {
                           "fillColor": f["properties"]["_fill"],
                           "fillOpacity": 0 if o else f["properties"]["_op"], "fill": not o,
                           "color": e or "#404040", "weight": w if e else 0},
                       tooltip=tooltip).add_to(group)
    return tuple(gdf.total_bounds)


def _bivariate_html(info) -> str:
    from mapping.render.palettes import BIVARIATE_3X3

    b = info.bivariate
    rows = []
    for j in (2, 1, 0):  # y high at the top
        cells = "".join(f"<td style='width:16px;height:16px;background:{BIVARIATE_3X3[i][j]}'>"
                        "</td>" for i in range(3))
        rows.append(f"<tr>{cells}</tr>")
    return (f"<div>↑ {_html.escape(str(b.get('y_label', 'y')))} (higher up)</div>"
            f"<table style='border-collapse:collapse;margin:2px 0 2px 4px'>{''.join(rows)}"
            f"</table><div>{_html.escape(str(b.get('x_label', 'x')))} (higher right) →"
            "<br><span style='color:#666'>classes are tertiles</span></div>")


def _legend_toggle_script(fmap, infos) -> None:
    """Show a layer's legend block only while the layer is switched on in the layer control."""
    import json

    from branca.element import Element

    names = json.dumps({_html.escape(i.title): k for k, i in enumerate(infos)})
    # runs on window load: folium renders the map's own script after this element
    js = ("window.addEventListener('load',function(){var idx=" + names +
          ";function set(n,on){var k=idx[n];"
          "if(k===undefined)return;document.querySelectorAll('.hm-leg').forEach(function(d){"
          "if(d.dataset.idx==String(k)){d.style.display=on?'':'none';}});}"
          f"{fmap.get_name()}.on('overlayadd',function(e){{set(e.name,true);}});"
          f"{fmap.get_name()}.on('overlayremove',function(e){{set(e.name,false);}});}});")
    fmap.get_root().script.add_child(Element(js), name="hotmap_legend_toggle")


def _legend_html(infos, notes, attribution, title, shown=None) -> str:
    """The legend box; each layer's block is tagged so the page can hide switched-off layers."""
    from mapping.render.legend import legend_rows

    parts = [f"<div style='font-weight:bold;font-size:14px;margin-bottom:4px'>"
             f"{_html.escape(title)}</div>"]
    for k, info in enumerate(infos):
        rows = legend_rows(info)
        hide = "" if shown is None or info.name in shown else "display:none;"
        if k:
            parts.append("</div>")
        parts.append(f"<div class='hm-leg' data-idx='{k}' style='{hide}'>")
        parts.append(f"<div style='font-weight:bold;margin-top:6px'>{_html.escape(info.title)}"
                     "</div>")
        if info.classification is not None and info.classification.scheme == "bivariate":
            parts.append(_bivariate_html(info))
            continue
        if not rows:
            parts.append(f"<div><span style='display:inline-block;width:14px;height:10px;"
                         f"border:1px solid #666;background:{info.style.color}'></span> "
                         f"{_html.escape(info.name)}</div>")
        for r in rows:
            fill = "transparent" if r["alpha"] == 0 else r["color"]
            extra = " (not shaded)" if r["alpha"] == 0 else ""
            parts.append(f"<div><span style='display:inline-block;width:14px;height:10px;"
                         f"border:1px solid #666;background:{fill};margin-right:4px'></span>"
                         f"{_html.escape(r['label'] + extra)}"
                         + ("" if info.geom == "raster" else
                            f" <span style='color:#666'>({r['count']:,})</span>") + "</div>")
    if infos:
        parts.append("</div>")
    note_html = "<br>".join(_html.escape(n) for n in notes)
    parts.append(f"<div style='margin-top:6px;font-size:10px;color:#333'>{note_html}</div>")
    parts.append(f"<div style='margin-top:4px;font-size:9px;color:#555'>"
                 f"{_html.escape(attribution)}</div>")
    return ("<div id='hotmap-legend' style='position:absolute;bottom:12px;right:12px;"
            "z-index:1000;background:white;padding:8px;border:1px solid #999;max-width:320px;"
            "max-height:70%;overflow:auto;font:12px sans-serif'>" + "".join(parts) + "</div>")


def build_html(layers, *, rules: DisclosureRules | None = None, title: str = "hotmap map",
               tiles: str | None = None, overrides: dict | None = None,
               fictional: bool = False) -> str:
    """Build the self-contained HTML page and return it as text.

    Parameters
    ----------
    layers : iterable of Layer
        Bottom first; hidden, disabled and table layers are skipped.
    rules : DisclosureRules, optional
        Applied before anything is written (on by default).
    tiles : str, optional
        A folium tile name or URL template; None (default) = no basemap and no
        network requests.
    overrides : dict, optional
        Layer name -> style overrides, as in a map composition.
    """
    try:
        import folium
        from branca.element import Element
    except ImportError as exc:  # pragma: no cover
        raise ImportError("the interactive map needs folium: pip install folium") from exc

    from mapping.core.attribution import attribution_text

    rules = rules or DisclosureRules()
    chosen = [lyr for lyr in layers if lyr.visible and lyr.enabled and lyr.data is not None
              and lyr.kind != "table" and (hasattr(lyr.data, "geometry")
                                           or lyr.kind == "surface")]
    safe, notes = apply_rules(chosen, rules, purpose="html")
    if fictional:
        notes = ["FICTIONAL DATA – not real events, people or places."] + notes
    fmap = folium.Map(location=[52.0, -1.5], zoom_start=7, tiles=None, control_scale=True)
    fmap.default_js, fmap.default_css = [], []
    if tiles:
        folium.TileLayer(tiles, name="Basemap").add_to(fmap)
    rendered = _rendered(safe, overrides or {}, notes)
    infos, bounds, shown = _add_layers(fmap, rendered, rules, notes)
    if bounds:
        _fit_bounds(fmap, bounds)
    folium.LayerControl(collapsed=len(infos) > 6).add_to(fmap)
    js, css = vendored_leaflet()
    root = fmap.get_root()
    root.header.add_child(Element(f"<style>{css}</style>\n<script>{js}</script>"),
                          name="leaflet_inline", index=0)
    root.title = title
    legend_infos = list(reversed(infos))
    _legend_toggle_script(fmap, legend_infos)
    legend = _legend_html(legend_infos, notes,
                          attribution_text(chosen, fictional=fictional), title,
                          shown=shown)
    root.html.add_child(Element(legend), name="hotmap_legend")
    page = root.render()
    if not tiles:
        ext = re.findall(r"<(?:script|link)[^>]+(?:src|href)=[\"']https?://[^\"']+", page)
        if ext:  # pragma: no cover - guards against a folium upgrade adding CDN links
            raise RuntimeError(f"offline map would fetch from the network: {ext[:2]}")
    return page


def _rendered(safe, overrides: dict, notes: list) -> list:
    """``[(layer, info, rgba, outline)]``: how each layer is drawn (as the static map),
    filled layers first; a layer that cannot be drawn gets a note instead."""
    from mapping.render.draw import layer_render_info

    rendered = []
    for lyr in safe:
        try:
            info, rgba = layer_render_info(lyr, overrides.get(lyr.name))
        except (KeyError, ValueError, TypeError, AttributeError) as exc:  # as the static map
            notes.append(f"'{lyr.name}' not drawn: {exc}")
            continue
        outline = (info.classification is None and lyr.kind != "points"
                   and (info.style.color == "none" or info.style.opacity == 0))
        rendered.append((lyr, info, rgba, outline))
    # filled layers first, then outlines and points on top
    rendered.sort(key=lambda r: (r[3] or r[0].kind == "points"))
    return rendered


def _add_layers(fmap, rendered, rules, notes):
    """Add each layer to the map as a feature group; return ``(infos, bounds, shown)``.

    Only the first filled layer is switched on, so the page opens on one readable map
    (the others are in the layer control).
    """
    import folium

    infos, bounds, shown = [], [], set()
    first_filled = True
    for lyr, info, rgba, outline in rendered:
        show = outline or lyr.kind == "points" or first_filled
        if not (outline or lyr.kind == "points"):
            first_filled = False
        group = folium.FeatureGroup(name=_html.escape(info.title), show=show)
        if show:
            shown.add(lyr.name)
        if lyr.kind == "surface":
            _surface_overlay(lyr, info, fmap, group)
            xmin, ymin, xmax, ymax = lyr.bounds
        elif lyr.kind == "grid" and len(lyr.data) > GRID_AS_IMAGE:
            _grid_overlay(lyr, rgba, group)
            xmin, ymin, xmax, ymax = lyr.bounds
            notes.append(f"'{lyr.name}': {len(lyr.data):,} grid cells shown as an image "
                         "(no tooltips); the GeoPackage has the values.")
        else:
            xmin, ymin, xmax, ymax = _vector_layer(lyr, info, rgba, outline, rules, group)
        bounds.append((xmin, ymin, xmax, ymax))
        group.add_to(fmap)
        infos.append(info)
    return infos, bounds, shown


def _fit_bounds(fmap, bounds) -> None:
    """Zoom the map to the layers' extent (EPSG:27700 bounds)."""
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    x0, y0 = min(b[0] for b in bounds), min(b[1] for b in bounds)
    x1, y1 = max(b[2] for b in bounds), max(b[3] for b in bounds)
    lon0, lat0 = t.transform(x0, y0)
    lon1, lat1 = t.transform(x1, y1)
    fmap.fit_bounds([[lat0, lon0], [lat1, lon1]])


def export_html(layers, path, *, rules: DisclosureRules | None = None,
                title: str = "hotmap map", tiles: str | None = None,
                overrides: dict | None = None, fictional: bool = False) -> Path:
    """Write the offline interactive map to ``path`` (atomically) and return the path."""
    page = build_html(layers, rules=rules, title=title, tiles=tiles, overrides=overrides,
                      fictional=fictional)
    return atomic_write_text(path, page)
