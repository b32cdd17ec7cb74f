"""hotmap analysis, rendering and export (Qt-free).

Public functions are re-exported here; each block is added by the module's owner.
"""

__all__: list[str] = []

# filters: safe filter expressions (issue 9)
from mapping.filters import apply_filter, filter_columns, filter_mask, parse_filter  # noqa: E402

__all__ += ["apply_filter", "filter_mask", "parse_filter", "filter_columns"]

# audit questions: trends, lifecycle, needles, venues, funnel, demographics, charts (issue 9)
from mapping.trends import (  # noqa: E402
    poisson_rate_test, trend_analysis, trend_events, trend_monthly, trend_quarterly,
    trend_seasonal)
from mapping.lifecycle import (  # noqa: E402
    kaplan_meier, lifecycle_closures, lifecycle_operating, lifecycle_reopening,
    lifecycle_status_at)
from mapping.needles import (  # noqa: E402
    needle_finds_by_area, needle_response, needle_response_summary, needle_slow_areas)
from mapping.venues import venue_activity, venue_counts  # noqa: E402
from mapping.funnel import (  # noqa: E402
    funnel_limits, funnel_overdispersion, funnel_table, poisson_ci)
from mapping.demographics import age_bands, breakdown, breakdown_display  # noqa: E402
from mapping.charts import (  # noqa: E402
    chart_save, trend_chart, trend_quarter_chart, trend_season_chart)
from mapping.lifecycle import lifecycle_analysis, lifecycle_chart  # noqa: E402
from mapping.needles import needle_response_chart  # noqa: E402
from mapping.venues import venue_chart  # noqa: E402
from mapping.funnel import funnel_chart  # noqa: E402
from mapping.demographics import breakdown_chart  # noqa: E402

__all__ += ["trend_monthly", "trend_quarterly", "trend_seasonal", "trend_events",
            "trend_analysis", "poisson_rate_test", "lifecycle_status_at", "lifecycle_operating",
            "lifecycle_closures", "lifecycle_reopening", "kaplan_meier", "needle_response",
            "needle_response_summary", "needle_slow_areas", "needle_finds_by_area",
            "venue_activity", "venue_counts", "funnel_limits", "funnel_table", "poisson_ci",
            "funnel_overdispersion",
            "age_bands", "breakdown", "breakdown_display", "chart_save", "trend_chart",
            "trend_quarter_chart", "trend_season_chart", "lifecycle_analysis", "lifecycle_chart",
            "needle_response_chart", "venue_chart", "funnel_chart", "breakdown_chart"]

# coverage, gaps, concentration, disproportion (issue 5)
from mapping.coverage import (  # noqa: E402
    coverage, decay_weights, nearest_service, service_pairs, services_in_flagged_areas,
    two_step_fca)
from mapping.gaps import (  # noqa: E402
    best_new_sites, bivariate_classes, bivariate_legend, gap_classes, terciles, whatif_coverage)
from mapping.concentration import (  # noqa: E402
    concentration, concentration_table, count_in_areas, share_ratio, wilson_interval)
from mapping.disproportion import disproportion  # noqa: E402
from mapping.network import build_network, network_nearest, network_pairs, read_network  # noqa: E402,E501

__all__ += ["coverage", "decay_weights", "nearest_service", "service_pairs",
            "services_in_flagged_areas", "two_step_fca", "best_new_sites", "bivariate_classes",
            "bivariate_legend", "gap_classes", "terciles", "whatif_coverage", "concentration",
            "concentration_table", "count_in_areas", "share_ratio", "wilson_interval",
            "disproportion", "build_network", "network_nearest", "network_pairs", "read_network"]

# map composition, rendering, disclosure control and export (issue 6)
from mapping.classify import classify, classify_categories, scheme_names  # noqa: E402
from mapping.compose import MapComposition  # noqa: E402
from mapping.disclosure import DisclosureRules, apply_rules, display_table  # noqa: E402
from mapping.export import export_all_maps, export_map  # noqa: E402
from mapping.render import draw_layers, render_composition  # noqa: E402

from mapping.data_export import (  # noqa: E402
    export_geojson, export_geopackage, export_geotiff, export_layer, export_shapefile_zip,
    export_table, export_tables_xlsx)
from mapping.html import export_html  # noqa: E402
from mapping.outputs import default_composition, write_outputs  # noqa: E402
from mapping.report import write_report  # noqa: E402

__all__ += ["export_geojson", "export_geopackage", "export_geotiff", "export_layer",
            "export_shapefile_zip", "export_table", "export_tables_xlsx", "export_html",
            "default_composition", "write_outputs", "write_report"]
__all__ += ["classify", "classify_categories", "scheme_names", "MapComposition",
            "DisclosureRules", "apply_rules", "display_table", "export_map", "export_all_maps",
            "draw_layers", "render_composition"]

# hotspot analytics: rates, KDE, Gi*, LISA, change, composite, PAI (issue 4)
from mapping.rates import (  # noqa: E402
    area_rates, assign_points, byar_ci, count_points, exact_poisson_ci, wilson_ci)
from mapping.periods import assign_periods, same_period_last_year  # noqa: E402
from mapping.kde import KERNELS, default_bandwidth, default_cell_size, hotspot_kde, kde_exact  # noqa: E402
from mapping.weights import SpatialWeights, build_weights, grid_weights  # noqa: E402
from mapping.gistar import fdr_bh, gi_bins, gistar, hotspot_gistar, hotspot_gistar_grid  # noqa: E402
from mapping.lisa import hotspot_lisa, local_moran  # noqa: E402
from mapping.change import (  # noqa: E402
    classify_hotspots, compare_periods, hotspot_classify, kde_difference, rate_ratio_test)
from mapping.composite import composite_layers, composite_surfaces  # noqa: E402
from mapping.pai import pai_areas, pai_surface  # noqa: E402
from mapping.surface_io import read_geotiff, surface_to_cells, write_geotiff, write_surface  # noqa: E402

__all__ += ["area_rates", "assign_points", "byar_ci", "count_points", "exact_poisson_ci",
            "wilson_ci", "assign_periods", "same_period_last_year", "KERNELS",
            "default_bandwidth", "default_cell_size", "hotspot_kde", "kde_exact",
            "SpatialWeights", "build_weights", "grid_weights", "fdr_bh", "gi_bins", "gistar",
            "hotspot_gistar", "hotspot_gistar_grid", "hotspot_lisa", "local_moran", "classify_hotspots",
            "compare_periods", "hotspot_classify", "kde_difference", "rate_ratio_test",
            "composite_layers", "composite_surfaces", "pai_areas", "pai_surface",
            "read_geotiff", "surface_to_cells", "write_geotiff", "write_surface"]
