"""Project steps: ``count``, ``kde``, ``gistar``, ``lisa``, ``change``, ``composite``, ``pai``.

Example project entries::

    [[analyses]]
    name = "arrest_rates"
    kind = "count"
    [analyses.params]
    areas = "lsoa"                 # boundary layer
    points = "arrests"             # record layer(s): a name or a list
    population = "population"      # optional: an area column -> rates per 10,000

    [[analyses]]
    name = "arrests_kde"
    kind = "kde"
    [analyses.params]
    points = "arrests"
    cell_size = 50
    bandwidth = 300
    boundary = "lsoa"              # optional: mask cells outside

    [[analyses]]
    name = "arrests_gi"
    kind = "gistar"
    [analyses.params]
    areas = "lsoa"
    points = "arrests"             # or value = "rate_per_10k" (a column of the areas layer)
    weights = "queen"

Outputs are named after the analysis (``name`` in ``[[analyses]]``; a ``name`` in
the params overrides it).  Every step takes an optional ``filter`` (a :mod:`mapping.filters` expression
applied to the record layer(s)).  KDE of a *sensitive* layer (arrests, needle
finds, crack houses...) uses at least ``min_bandwidth`` metres (default the
disclosure rules' minimum, 200 m); when the requested bandwidth is raised the
metadata says so.
"""

from __future__ import annotations

import pandas as pd

from layers.errors import ProjectError
from mapping.pipeline import StepOutput
from mapping.pipeline import register_step


def _names(x):
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


def _points(ctx, points, filt=None):
    """Concatenate record layers (several names = one layer), apply the filter."""
    import geopandas as gpd

    names = _names(points)
    if not names:
        raise ProjectError("the analysis needs 'points' (a record layer name)",
                           fix="add points = \"<record layer>\" to [analyses.params]")
    frames = [ctx.data(n) for n in names]
    gdf = frames[0] if len(frames) == 1 else gpd.GeoDataFrame(
        pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    if filt:
        from mapping.filters import apply_filter

        gdf = apply_filter(gdf, filt)
    sensitive = any(ctx.meta.get(n, {}).get("sensitive") for n in names)
    return gdf, sensitive, " + ".join(names)


def _areas(ctx, areas, area_id):
    gdf = ctx.data(areas)
    aid = area_id or ctx.meta.get(areas, {}).get("code_field") or "code"
    if aid not in gdf.columns:
        raise ProjectError(f"layer '{areas}' has no id column '{aid}'",
                           fix="set area_id in [analyses.params]")
    return gdf, aid


def _period(gdf) -> str:
    from mapping.periods import describe_span

    return describe_span(gdf["date"]) if "date" in gdf.columns else ""


def _meta(attrs_meta, **extra):
    m = dict(attrs_meta or {})
    m.update({k: v for k, v in extra.items() if v is not None})
    return m


@register_step("count")
def count_step(ctx, *, areas: str, points, area_id=None, population=None, filter=None,
               small_number: int = 5, confidence: float = 0.95, name: str = "count"):
    """Counts per area; with a population column, rates per 10,000 with Byar limits."""
    from mapping.rates import area_rates

    gdf, aid = _areas(ctx, areas, area_id)
    pts, sensitive, label = _points(ctx, points, filter)
    if population is not None and population not in gdf.columns:
        raise ProjectError(f"layer '{areas}' has no population column '{population}'",
                           fix="join a population table to the boundary layer")
    out = area_rates(gdf, pts, aid, population=population, small_number=small_number,
                     confidence=confidence)
    col = "rate_per_10k" if population else "count"
    meta = _meta(out.attrs["hotmap_meta"], title=f"{label} per area" if not population
                 else f"{label} per 10,000 residents", period=_period(pts), sensitive=sensitive,
                 style={"column": col, "scheme": "quantiles", "k": 5, "cmap": "YlOrRd"})
    return [StepOutput(name, out, "areas", meta)]


@register_step("kde")
def kde_step(ctx, *, points, cell_size=None, bandwidth=None, kernel: str = "quartic",
             weight=None, boundary=None, filter=None, min_bandwidth=None,
             edge_correction: bool = False, name: str = "kde"):
    """Kernel density surface in events per km² (minimum bandwidth for sensitive layers)."""
    from mapping.kde import hotspot_kde

    pts, sensitive, label = _points(ctx, points, filter)
    notes = []
    if sensitive and min_bandwidth is None:
        try:
            from mapping.disclosure import DisclosureRules

            min_bandwidth = DisclosureRules().min_kde_bandwidth_m
        except ImportError:  # pragma: no cover
            min_bandwidth = 200.0
    if sensitive and bandwidth is not None and bandwidth < min_bandwidth:
        notes.append(f"bandwidth raised from {bandwidth:g} m to {min_bandwidth:g} m "
                     "(sensitive layer, disclosure control)")
        bandwidth = float(min_bandwidth)
    bnd = ctx.data(boundary) if boundary else None
    surf = hotspot_kde(pts, cell_size=cell_size, bandwidth=bandwidth, kernel=kernel,
                       weight=weight, boundary=bnd,
                       min_bandwidth=min_bandwidth if sensitive else None,
                       edge_correction=edge_correction)
    surf.meta["notes"] = notes + surf.meta.get("notes", [])
    corrected = surf.meta["edge_correction"] != "none"
    meta = {"title": f"{label}: kernel density" + (", edge-corrected" if corrected else ""),
            "units": surf.units, "value_column": "density",
            "method": surf.meta["method"],
            "params": {"kernel": surf.meta["kernel"], "bandwidth_m": surf.meta["bandwidth_m"],
                       "cell_size_m": surf.meta["cell_size_m"], "weight": weight,
                       "edge_correction": surf.meta["edge_correction"].split(":")[0]},
            "base_n": surf.meta["base_n"], "period": _period(pts),
            "notes": surf.meta["notes"], "sensitive": sensitive,
            "style": {"cmap": "YlOrRd"}}
    return [StepOutput(name, surf, "surface", meta)]


def _area_values(ctx, areas, area_id, points, value, filt):
    gdf, aid = _areas(ctx, areas, area_id)
    if (points is None) == (value is None):
        raise ProjectError("give either 'points' (counted per area) or 'value' (an area column)",
                           fix="set exactly one of points / value in [analyses.params]")
    if value is not None:
        if value not in gdf.columns:
            raise ProjectError(f"layer '{areas}' has no column '{value}'")
        return gdf, aid, value, False, value, ""
    from mapping.rates import count_points

    pts, sensitive, label = _points(ctx, points, filt)
    gdf = gdf.copy()
    gdf["count"] = count_points(gdf, pts, aid)[0]["count"].to_numpy()
    return gdf, aid, "count", sensitive, f"{label} count", _period(pts)


def _events_base(out, points):
    """When the value is a count of records, the base n is the number of events counted."""
    if points is not None:
        m = out.attrs["hotmap_meta"]
        m["notes"] = list(m.get("notes", [])) + [f"{m['base_n']} areas or cells"]
        m["base_n"] = int(out["value"].sum())


def _cells_or_areas(ctx, on_areas, on_cells, *, areas, points, value, area_id, cell_size,
                    boundary, filter, **kw):
    """Run a local statistic on grid cells (``cell_size``) or on areas; returns
    (result, layer kind, label, period, sensitive)."""
    if cell_size is not None:
        pts, sensitive, label = _points(ctx, points, filter)
        out = on_cells(pts, cell_size=cell_size,
                       boundary=ctx.data(boundary) if boundary else None, **kw)
        return out, "grid", f"{label} count", _period(pts), sensitive
    if areas is None:
        raise ProjectError("give areas, or cell_size for grid cells",
                           fix='add areas = "lsoa", or cell_size = 250')
    gdf, aid, col, sensitive, label, period = _area_values(ctx, areas, area_id, points, value,
                                                           filter)
    return on_areas(gdf, col, id_column=aid, **kw), "areas", label, period, sensitive


@register_step("gistar")
def gistar_step(ctx, *, areas=None, points=None, value=None, area_id=None, weights="queen",
                alpha: float = 0.05, fdr: bool = True, permutations: int = 0, seed=None,
                cell_size=None, boundary=None, filter=None, name: str = "gistar"):
    """Gi* hot/cold spots of areas, or of grid cells when ``cell_size`` is given."""
    from mapping.gistar import hotspot_gistar, hotspot_gistar_grid

    out, kind, label, period, sensitive = _cells_or_areas(
        ctx, hotspot_gistar, hotspot_gistar_grid, areas=areas, points=points, value=value,
        area_id=area_id, cell_size=cell_size, boundary=boundary, filter=filter,
        weights=weights, alpha=alpha, fdr=fdr, permutations=permutations, seed=seed)
    _events_base(out, points)
    meta = _meta(out.attrs["hotmap_meta"], title=f"Gi* hot and cold spots: {label}",
                 period=period, sensitive=sensitive,
                 style={"column": "gi_bin", "scheme": "gistar"})
    return [StepOutput(name, out, kind, meta)]


@register_step("lisa")
def lisa_step(ctx, *, areas=None, points=None, value=None, area_id=None, weights="queen",
              alpha: float = 0.05, fdr: bool = True, permutations: int = 999, seed=12345,
              cell_size=None, boundary=None, filter=None, name: str = "lisa"):
    """Local Moran's I clusters (HH, LL, HL, LH) of areas, or of grid cells when
    ``cell_size`` is given."""
    from mapping.lisa import hotspot_lisa, hotspot_lisa_grid

    out, kind, label, period, sensitive = _cells_or_areas(
        ctx, hotspot_lisa, hotspot_lisa_grid, areas=areas, points=points, value=value,
        area_id=area_id, cell_size=cell_size, boundary=boundary, filter=filter,
        weights=weights, alpha=alpha, fdr=fdr, permutations=permutations, seed=seed)
    _events_base(out, points)
    meta = _meta(out.attrs["hotmap_meta"], title=f"LISA clusters: {label}", period=period,
                 sensitive=sensitive,
                 style={"column": "lisa_cluster", "scheme": "categorical",
                        "categories": {"HH": "#d7191c", "LL": "#2c7bb6", "HL": "#fdae61",
                                       "LH": "#abd9e9", "Not significant": "#d9d9d9"}})
    return [StepOutput(name, out, kind, meta)]


@register_step("change")
def change_step(ctx, *, points, period_a=None, period_b=None, kind: str = "quarter",
                mode: str = "areas", areas=None, area_id=None, population=None,
                alpha: float = 0.05, fdr: bool = True, cell_size=None, bandwidth=None,
                kernel: str = "quartic", boundary=None, weights="queen", filter=None,
                name: str = "change"):
    """Two-period comparison per area (``mode="areas"``), KDE difference (``"kde"``) or
    hotspot classes across periods (``"classes"``)."""
    from mapping import change as ch

    pts, sensitive, label = _points(ctx, points, filter)
    bnd = ctx.data(boundary) if boundary else None
    if mode == "areas":
        gdf, aid = _areas(ctx, areas, area_id)
        out = ch.compare_periods(gdf, pts, aid, period_a=period_a, period_b=period_b, kind=kind,
                                 population=population, alpha=alpha, fdr=fdr)
        meta = _meta(out.attrs["hotmap_meta"], title=f"Change in {label}: {period_a} to "
                     f"{period_b}", sensitive=sensitive,
                     style={"column": "trend", "scheme": "categorical",
                           "categories": {"up": "#d7191c", "down": "#2c7bb6",
                                          "no significant change": "#d9d9d9"}})
        return [StepOutput(name, out, "areas", meta)]
    if mode == "kde":
        from mapping.kde import hotspot_kde, kde_grid
        from mapping.periods import assign_periods, period_label

        if bandwidth is None or cell_size is None:
            raise ProjectError("change mode 'kde' needs cell_size and bandwidth")
        labels = assign_periods(pts["date"], kind)
        bbox = bnd.total_bounds if bnd is not None else pts.total_bounds
        grid = kde_grid(bbox, cell_size, pad=0 if bnd is not None else bandwidth)
        surf = [hotspot_kde(pts[(labels == period_label(p, kind)).fillna(False).to_numpy(bool)],
                            bandwidth=bandwidth, kernel=kernel, boundary=bnd, grid=grid)
                for p in (period_a, period_b)]
        diff = ch.kde_difference(*surf)
        meta = {"title": f"Change in {label} density: {period_a} to {period_b}",
                "units": diff.units, "method": diff.meta["method"], "value_column": "change",
                "params": {"kernel": kernel, "bandwidth_m": bandwidth, "cell_size_m": cell_size},
                "base_n": diff.meta["base_n"], "period": f"{period_a} vs {period_b}",
                "sensitive": sensitive, "style": {"cmap": "RdBu_r"}}
        return [StepOutput(name, diff, "surface", meta)]
    if mode == "classes":
        if cell_size is None and areas is None:
            raise ProjectError("change mode 'classes' needs cell_size (grid cells) or areas",
                               fix="add cell_size = 250, or areas = \"lsoa\"")
        if cell_size is None:
            gdf, aid = _areas(ctx, areas, area_id)
            cells = ch.hotspot_classify(pts, areas=gdf, area_id=aid, kind=kind,
                                        weights=weights, alpha=alpha, fdr=fdr)
        else:
            cells = ch.hotspot_classify(pts, cell_size=cell_size, kind=kind, boundary=bnd,
                                        weights=weights, alpha=alpha, fdr=fdr)
        meta = _meta(cells.attrs["hotmap_meta"], title=f"Hotspot classes: {label}",
                     sensitive=sensitive,
                     style={"column": "hotspot_class", "scheme": "categorical",
                            "categories": {"persistent hotspot": "#b2182b",
                                           "emerging hotspot": "#ef8a62",
                                           "intermittent hotspot": "#fddbc7",
                                           "former hotspot": "#67a9cf",
                                           "no pattern": "#f0f0f0"}})
        return [StepOutput(name, cells, "grid" if cell_size is not None else "areas", meta)]
    raise ProjectError(f"unknown change mode '{mode}'", fix="use areas, kde or classes")


@register_step("composite")
def composite_step(ctx, *, layers, cell_size, bandwidth, kernel: str = "quartic",
                   boundary=None, normalise: str = "max", filters=None,
                   name: str = "composite"):
    """Composite hotspot map: ``layers`` is a list of record layer names or a
    table ``{name = weight}``; ``filters`` an optional table ``{name = expr}``."""
    from mapping.composite import composite_layers

    weights = dict(layers) if isinstance(layers, dict) else None
    names = list(layers)
    data, sens = {}, False
    for n in names:
        data[n], s, _ = _points(ctx, n, (filters or {}).get(n))
        sens = sens or s
    res = composite_layers(data, cell_size=cell_size, bandwidth=bandwidth, kernel=kernel,
                           boundary=ctx.data(boundary) if boundary else None,
                           weights=weights, normalise=normalise)
    m = res.surface.meta
    meta = {"title": "Composite hotspots: " + ", ".join(names), "units": res.surface.units,
            "method": m["method"], "value_column": "composite",
            "params": {"normalise": normalise, "weights": m["weights"], "kernel": kernel,
                       "bandwidth_m": bandwidth, "cell_size_m": cell_size},
            "base_n": m["base_n"], "sensitive": sens, "style": {"cmap": "YlOrRd"}}
    return [StepOutput(name, res.surface, "surface", meta),
            StepOutput(f"{name}_cells", res.to_cells(), "grid",
                       {**meta, "title": meta["title"] + " (layer shares per cell)"})]


@register_step("pai")
def pai_step(ctx, *, points, surface=None, areas=None, hot=None, earlier=None,
             top_percent: float = 3.0, filter=None, earlier_filter=None, name: str = "pai"):
    """Hit rate, PAI and RRI of a hotspot ``surface`` (or ``areas`` flagged by ``hot``)."""
    from mapping.pai import pai_areas, pai_surface

    later, _, label = _points(ctx, points, filter)
    early = _points(ctx, earlier, earlier_filter or filter)[0] if earlier else None
    if surface is not None:
        res = pai_surface(ctx.data(surface), later, top_percent=top_percent, earlier=early)
    elif areas is not None and hot is not None:
        gdf = ctx.data(areas)
        res = pai_areas(gdf, gdf[hot].astype(bool).to_numpy(), later, earlier=early)
    else:
        raise ProjectError("pai needs 'surface' (a KDE result) or 'areas' and 'hot'")
    meta = {"title": f"Predictive accuracy: {surface or areas} vs {label}",
            "units": "", "method": res["method"],
            "params": {"top_percent": top_percent}, "base_n": res["n_total"],
            "period": _period(later)}
    return [StepOutput(name, pd.DataFrame([res]), "table", meta)]
