"""hotmap analysis, rendering and export (Qt-free).

The subpackages, from the bottom up (each imports only those below it; the
contracts are in ``pyproject.toml`` under ``[tool.importlinter]``):

``core``        result metadata, record filters, periods, CRS checks, memory limits, surfaces
``stats``       the statistics: counts and rates, KDE, Gi*, LISA, change, composites, coverage
``disclosure``  suppression rules, the cross-table audit, the class-band audit
``audit``       the audit questions: trends, lifecycles, needles, venues, funnel, breakdowns
``render``      the one renderer (screen and export), layout, legend, scale bar, palettes, charts
``export``      files: map images, GeoPackage/GeoTIFF/tables, the HTML map, the audit pack
``pipeline``    the declarations of the analyses, their steps, the policy and the runner

Public functions are importable from here (``from mapping import hotspot_kde``) and
load their module on first use (PEP 562), so ``import mapping`` and every ``hotmap``
verb start fast.  Add a function by adding it to :data:`_EXPORTS`.  A name that is
also a subpackage's (``stats``, ``render``, ...) cannot be exported.
"""

from __future__ import annotations

from layers.common.lazy import lazy_exports

#: module -> public names it provides
_EXPORTS: dict[str, list[str]] = {
    "mapping.core.limits": [
        "available_memory", "check_grid_size", "check_memory", "suggest_cell_size",
    ],
    "mapping.core.filters": [
        "apply_filter", "filter_columns", "filter_mask", "parse_filter",
    ],
    "mapping.audit.trends": [
        "poisson_rate_test", "trend_analysis", "trend_monthly", "trend_quarterly",
        "trend_seasonal",
    ],
    "mapping.audit.events": ["trend_events"],
    "mapping.audit.lifecycle": [
        "lifecycle_closures", "lifecycle_operating", "lifecycle_reopening",
        "lifecycle_status_at", "lifecycle_analysis",
    ],
    "mapping.audit.survival": ["kaplan_meier"],
    "mapping.audit.needles": [
        "needle_finds_by_area", "needle_response", "needle_response_summary",
        "needle_slow_areas",
    ],
    "mapping.audit.venues": [
        "venue_activity", "venue_counts",
    ],
    "mapping.audit.funnel": [
        "funnel_limits", "funnel_overdispersion", "funnel_table",
    ],
    "mapping.audit.demographics": [
        "age_bands", "breakdown", "breakdown_display",
    ],
    "mapping.render.charts": ["chart_save"],
    "mapping.render.charts_trends": ["trend_chart", "trend_quarter_chart", "trend_season_chart"],
    "mapping.render.charts_funnel": ["funnel_chart"],
    "mapping.render.charts_audit": [
        "breakdown_chart", "lifecycle_chart", "needle_response_chart", "venue_chart",
    ],
    "mapping.stats.coverage": [
        "decay_weights", "nearest_service", "service_pairs",
        "services_in_flagged_areas", "two_step_fca",
    ],
    "mapping.stats.gaps": [
        "best_new_sites", "bivariate_classes", "bivariate_legend", "gap_classes", "terciles",
        "whatif_coverage",
    ],
    "mapping.stats.concentration": [
        "concentration_table", "count_in_areas", "share_ratio",
    ],
    "mapping.stats.network": [
        "build_network", "network_nearest", "network_pairs", "read_network",
    ],
    "mapping.render.classify": ["classify_categories"],
    "mapping.render.class_breaks": ["scheme_names"],
    "mapping.render.compose": [
        "MapComposition",
    ],
    "mapping.disclosure.rules": [
        "DisclosureRules", "apply_rules", "display_table",
    ],
    "mapping.export.maps": [
        "export_all_maps", "export_map",
    ],
    "mapping.render.draw": [
        "draw_layers", "render_view",
    ],
    "mapping.render.layout": ["render_composition"],
    "mapping.export.data": [
        "export_geojson", "export_geopackage", "export_geotiff", "export_layer",
        "export_shapefile_zip", "export_table", "export_tables_xlsx",
    ],
    "mapping.export.html": [
        "export_html",
    ],
    "mapping.export.outputs": [
        "default_composition", "write_outputs",
    ],
    "mapping.export.output_plan": [
        "plan_outputs", "write_planned",
    ],
    "mapping.export.report": [
        "write_report",
    ],
    "mapping.stats.rates": [
        "area_rates", "assign_points", "count_points",
    ],
    "mapping.stats.intervals": [
        "byar_ci", "exact_poisson_ci", "poisson_ci", "wilson_ci",
    ],
    "mapping.stats.smoothing": [
        "smooth_rates",
    ],
    "mapping.stats.permutation": [
        "conditional_test", "flat_neighbourhoods", "pseudo_p",
    ],
    "mapping.core.periods": [
        "assign_periods", "same_period_last_year",
    ],
    "mapping.stats.kde": [
        "KERNELS", "default_bandwidth", "default_cell_size", "edge_mass", "hotspot_kde",
        "kde_exact",
    ],
    "mapping.stats.weights": [
        "SpatialWeights", "build_weights", "grid_weights",
    ],
    "mapping.stats.gistar": [
        "fdr_bh", "gi_bins", "hotspot_gistar", "hotspot_gistar_grid",
    ],
    "mapping.stats.lisa": [
        "hotspot_lisa", "hotspot_lisa_grid", "local_moran",
    ],
    "mapping.stats.change": [
        "classify_hotspots", "compare_periods", "hotspot_classify", "kde_difference",
        "rate_ratio_test",
    ],
    "mapping.stats.composite": [
        "composite_layers", "composite_surfaces",
    ],
    "mapping.stats.pai": [
        "pai_areas", "pai_surface",
    ],
    "mapping.export.surface_io": [
        "read_geotiff", "surface_to_cells", "write_geotiff", "write_surface",
    ],
    # issue 20 (``area_counts`` and ``composite_index`` share their module's name: import
    # them from mapping.audit.area_counts and mapping.stats.composite_index)
    "mapping.stats.nearrepeat": ["near_repeat_knox"],
    "mapping.stats.timeprofile": ["aoristic_week", "time_profile"],
    "mapping.stats.emerging": ["emerging_hotspots"],
    "mapping.stats.emerging_classes": ["emerging_classify", "mann_kendall"],
    "mapping.stats.evaluate": ["evaluate_intervention", "wdd", "wdq"],
    "mapping.stats.repeats": ["repeat_locations"],
    "mapping.stats.dualkde": ["dual_kde", "population_surface"],
    "mapping.stats.clusters": ["cluster_points", "hotspot_clusters", "nnh_threshold", "std_ellipse"],
    "mapping.audit.treatment": ["treatment_retention", "treatment_waits"],
    "mapping.audit.agerates": ["age_specific_rates", "parse_age_band"],
    "mapping.audit.closurespeed": ["closure_speed"],
    "mapping.render.charts_patterns": [
        "emerging_chart", "evaluation_chart", "knox_chart", "repeats_chart", "timeprofile_chart",
    ],
    "mapping.render.charts_treatment": [
        "agerates_chart", "closure_chart", "retention_chart", "waits_chart",
    ],
}

__getattr__, __dir__, __all__ = lazy_exports("mapping", globals(), _EXPORTS)
