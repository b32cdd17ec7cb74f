"""hotmap analysis, rendering and export (Qt-free).

Public functions are importable from here (``from mapping import hotspot_kde``) and
load their module on first use (PEP 562), so ``import mapping`` and every ``hotmap``
verb start fast.  Add a function by adding it to :data:`_EXPORTS`.  A name that is also
a submodule's (``gistar``, ``classify``, ...) cannot be exported: importing the submodule
rebinds it, so use the module's own function (``mapping.gistar.gistar``).
"""

from __future__ import annotations

from layers.lazy import lazy_exports

#: module -> public names it provides
_EXPORTS: dict[str, list[str]] = {
    "mapping.limits": [
        "available_memory", "check_grid_size", "check_memory", "suggest_cell_size",
    ],
    "mapping.filters": [
        "apply_filter", "filter_columns", "filter_mask", "parse_filter",
    ],
    "mapping.trends": [
        "poisson_rate_test", "trend_analysis", "trend_events", "trend_monthly",
        "trend_quarterly", "trend_seasonal",
    ],
    "mapping.lifecycle": [
        "kaplan_meier", "lifecycle_closures", "lifecycle_operating", "lifecycle_reopening",
        "lifecycle_status_at", "lifecycle_analysis", "lifecycle_chart",
    ],
    "mapping.needles": [
        "needle_finds_by_area", "needle_response", "needle_response_summary",
        "needle_slow_areas", "needle_response_chart",
    ],
    "mapping.venues": [
        "venue_activity", "venue_counts", "venue_chart",
    ],
    "mapping.funnel": [
        "funnel_limits", "funnel_overdispersion", "funnel_table", "poisson_ci", "funnel_chart",
    ],
    "mapping.demographics": [
        "age_bands", "breakdown", "breakdown_display", "breakdown_chart",
    ],
    "mapping.charts": [
        "chart_save", "trend_chart", "trend_quarter_chart", "trend_season_chart",
    ],
    "mapping.coverage": [
        "decay_weights", "nearest_service", "service_pairs",
        "services_in_flagged_areas", "two_step_fca",
    ],
    "mapping.gaps": [
        "best_new_sites", "bivariate_classes", "bivariate_legend", "gap_classes", "terciles",
        "whatif_coverage",
    ],
    "mapping.concentration": [
        "concentration_table", "count_in_areas", "share_ratio",
        "wilson_interval",
    ],
    "mapping.network": [
        "build_network", "network_nearest", "network_pairs", "read_network",
    ],
    "mapping.classify": [
        "classify_categories", "scheme_names",
    ],
    "mapping.compose": [
        "MapComposition",
    ],
    "mapping.disclosure": [
        "DisclosureRules", "apply_rules", "display_table",
    ],
    "mapping.export": [
        "export_all_maps", "export_map",
    ],
    "mapping.render": [
        "draw_layers", "render_composition",
    ],
    "mapping.data_export": [
        "export_geojson", "export_geopackage", "export_geotiff", "export_layer",
        "export_shapefile_zip", "export_table", "export_tables_xlsx",
    ],
    "mapping.html": [
        "export_html",
    ],
    "mapping.outputs": [
        "default_composition", "write_outputs",
    ],
    "mapping.report": [
        "write_report",
    ],
    "mapping.rates": [
        "area_rates", "assign_points", "byar_ci", "count_points", "exact_poisson_ci",
        "wilson_ci",
    ],
    "mapping.periods": [
        "assign_periods", "same_period_last_year",
    ],
    "mapping.kde": [
        "KERNELS", "default_bandwidth", "default_cell_size", "edge_mass", "hotspot_kde",
        "kde_exact",
    ],
    "mapping.weights": [
        "SpatialWeights", "build_weights", "grid_weights",
    ],
    "mapping.gistar": [
        "fdr_bh", "gi_bins", "hotspot_gistar", "hotspot_gistar_grid",
    ],
    "mapping.lisa": [
        "hotspot_lisa", "hotspot_lisa_grid", "local_moran",
    ],
    "mapping.change": [
        "classify_hotspots", "compare_periods", "hotspot_classify", "kde_difference",
        "rate_ratio_test",
    ],
    "mapping.composite": [
        "composite_layers", "composite_surfaces",
    ],
    "mapping.pai": [
        "pai_areas", "pai_surface",
    ],
    "mapping.surface_io": [
        "read_geotiff", "surface_to_cells", "write_geotiff", "write_surface",
    ],
}

__getattr__, __dir__, __all__ = lazy_exports("mapping", globals(), _EXPORTS)
