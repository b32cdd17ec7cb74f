"""The bundled FICTIONAL demo project ("Hotmap Vale") and how to rebuild it.

The committed copy lives in ``resources/demo/``; :func:`write_demo_project`
regenerates the same files (same seed, same bytes) anywhere.
"""

from __future__ import annotations

from pathlib import Path

from layers.project import AnalysisStep, BoundarySource, Project, RecordSource, TableSource
from resources.demo_build import DEMO_SEED, FICTIONAL_NOTE, build_demo

__all__ = ["DEMO_DIR", "DEMO_PROJECT", "demo_project", "write_demo_project", "FICTIONAL_NOTE"]

DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_PROJECT = DEMO_DIR / "hotmap_vale.hotmap.toml"

_Y2023 = "date >= '2023-01-01' and date < '2024-01-01'"
_Y2024 = "date >= '2024-01-01' and date < '2025-01-01'"
_AREAS = {"areas": "lsoa", "area_id": "code"}

#: Analyses the demo runs (parameters as a project file states them).
DEMO_ANALYSES: list[dict] = [
    {"name": "arrest_rates", "kind": "count",
     "params": {**_AREAS, "points": ["arrests"], "population": "population"}},
    {"name": "arrest_density", "kind": "kde",
     "params": {"points": ["arrests"], "cell_size": 50, "bandwidth": 300, "boundary": "lsoa"}},
    {"name": "arrest_gistar", "kind": "gistar",
     "params": {**_AREAS, "points": ["arrests"], "weights": "queen"}},
    {"name": "arrest_lisa", "kind": "lisa",
     "params": {**_AREAS, "points": ["arrests"], "permutations": 999, "seed": 12345}},
    {"name": "arrest_change", "kind": "change",
     "params": {**_AREAS, "points": ["arrests"], "mode": "areas", "period": "year",
                "period_a": "2023", "period_b": "2024", "population": "population"}},
    {"name": "hotspot_classes", "kind": "change",
     "params": {"points": ["arrests"], "mode": "classes", "period": "quarter", "cell_size": 400,
                "boundary": "lsoa"}},
    {"name": "composite", "kind": "composite",
     "params": {"layers": {"arrests": 1.0, "needle_finds": 1.0}, "cell_size": 50,
                "bandwidth": 300, "boundary": "lsoa"}},
    {"name": "density_2023", "kind": "kde",
     "params": {"points": ["arrests"], "cell_size": 50, "bandwidth": 300, "boundary": "lsoa",
                "filter": _Y2023}},
    {"name": "pai_2024", "kind": "pai",
     "params": {"points": ["arrests"], "surface": "density_2023", "filter": _Y2024,
                "top_percent": 3.0}},
    {"name": "deprivation", "kind": "deprivation",
     "params": {**_AREAS, "points": ["arrests", "needle_finds"], "wards": "wards",
                "ward_id": "ward_code"}},
    {"name": "access", "kind": "coverage",
     "params": {**_AREAS, "services": "services", "capacity": "capacity", "method": "2sfca",
                "catchment": 1600.0, "need": "arrests", "population": "population"}},
    {"name": "whatif_east", "kind": "whatif",
     "params": {**_AREAS, "services": "services", "need": "arrests", "capacity": "capacity",
                "population": "population", "add": [[456500.0, 284000.0]],
                "add_capacity": 40.0}},
    {"name": "concentration", "kind": "concentration",
     "params": {**_AREAS, "layers": ["arrests", "needle_finds"]}},
    {"name": "arrest_trend", "kind": "trend", "params": {"records": "arrests", "units": "arrests"}},
    {"name": "crack_house_lifecycle", "kind": "crackhouses",
     "params": {"records": "crack_houses", "census_date": "2025-03-31"}},
    {"name": "needle_response", "kind": "needles",
     "params": {"records": "needle_finds", **_AREAS}},
    {"name": "activity_near_services", "kind": "venues",
     "params": {"events": "arrests", "venues": "services", "radius": 250.0,
                "study_area": "lsoa", "name_column": "name",
                "venue_kind": "treatment service"}},
    {"name": "arrest_funnel", "kind": "funnel",
     "params": {**_AREAS, "population": "population", "points": "arrests",
                "units": "arrests"}},
    {"name": "arrest_breakdown", "kind": "breakdown",
     "params": {"records": "arrests", "by": ["age_band", "gender", "ethnicity"],
                "units": "arrests"}},
    # issue 20: near repeats, time profiles, emerging hot spots, evaluation, repeats ...
    {"name": "arrest_near_repeats", "kind": "nearrepeat",
     "params": {"points": "arrests", "distance_bands": [0, 100, 200, 300, 400],
                "time_bands": [7, 14, 21, 28], "permutations": 999, "seed": 2024,
                "units": "arrests"}},
    {"name": "arrest_hours", "kind": "timeprofile",
     "params": {"records": "arrests", "start_column": "arrested_at", "units": "arrests"}},
    {"name": "needle_discard_hours", "kind": "timeprofile",
     "params": {"records": "needle_finds", "start_column": "discarded_after",
                "end_column": "reported_at", "units": "needle finds"}},
    {"name": "arrest_emerging", "kind": "emerging",
     "params": {"points": "arrests", "cell_size": 400, "boundary": "lsoa", "period": "quarter"}},
    {"name": "closure_evaluation", "kind": "evaluate",
     "params": {**_AREAS, "points": "arrests", "target": ["X01000087"],
                "control": ["X01000002"], "buffer": 400.0, "control_buffer": 400.0,
                "before": ["2022-09-01", "2023-08-31"], "after": ["2023-09-01", "2024-08-31"],
                "units": "arrests"}},
    {"name": "arrest_repeats", "kind": "repeats",
     "params": {"records": "arrests", "cell_size": 100.0, "units": "arrests",
                "location_kind": "100 m squares"}},
    {"name": "ward_index", "kind": "composite_index",
     "params": {"areas": "deprivation_wards", "area_id": "ward_code", "fields": ["imd_score"],
                "layers": ["arrests", "needle_finds"], "population": "population",
                "output_range": [0, 100]}},
    {"name": "arrests_per_resident", "kind": "dualkde",
     "params": {"points": "arrests", "areas": "lsoa", "population": "population",
                "cell_size": 50, "bandwidth": 400}},
    {"name": "arrest_hotspots", "kind": "hotspot_polygons",
     "params": {"points": "arrests", "areas": "lsoa", "min_points": 25}},
    {"name": "clients", "kind": "area_counts",
     "params": {**_AREAS, "table": "treatment_clients",
                "counts": ["adults_in_treatment", "young_people_in_treatment"]}},
    {"name": "clients_deprivation", "kind": "concentration",
     "params": {"areas": "clients", "area_id": "code",
                "counts": ["adults_in_treatment", "young_people_in_treatment"]}},
    {"name": "clients_funnel", "kind": "funnel",
     "params": {"areas": "clients", "area_id": "code", "count": "adults_in_treatment",
                "population": "population", "units": "adults in treatment"}},
    {"name": "young_people_waits", "kind": "waits",
     "params": {"episodes": "treatment_episodes",
                "filter": "age_group == 'Young people (under 18)'", "target_days": 10,
                "by": ["gender", "substance"], "census_date": "2025-03-31",
                "units": "young people", "title": "Young people's tier 3 treatment"}},
    {"name": "adult_waits", "kind": "waits",
     "params": {"episodes": "treatment_episodes", "filter": "age_group == 'Adults'",
                "target_days": 21, "by": ["gender", "ethnicity", "substance"],
                "census_date": "2025-03-31", "units": "adults",
                "title": "Adults' treatment"}},
    {"name": "treatment_retention", "kind": "retention",
     "params": {"episodes": "treatment_episodes", "by": ["age_group", "substance"],
                "census_date": "2025-03-31"}},
    {"name": "arrest_age_rates", "kind": "agerates",
     "params": {"records": "arrests", "population": "population_by_age",
                "units": "arrests"}},
    {"name": "crack_closure_speed", "kind": "closurespeed",
     "params": {"records": "crack_houses", "census_date": "2025-03-31"}},
]
#: Maps the demo draws besides the default map of each analysis.
DEMO_MAPS: list[dict] = []


def demo_project(folder: Path) -> Project:
    """Return the demo :class:`Project` for data files in ``folder / 'data'``."""
    d = Path(folder).resolve() / "data"
    en = {"x": "easting", "y": "northing"}
    return Project(
        name="Hotmap Vale community safety partnership (FICTIONAL)",
        description=FICTIONAL_NOTE,
        fictional=True,
        boundaries=[
            BoundarySource(name="wards", paths=[d / "wards.geojson"], code_field="ward_code",
                           name_field="ward_name", role="ward",
                           style={"color": "#ffffff", "opacity": 0.0, "edgecolor": "#252525",
                                  "linewidth": 1.2}),
            BoundarySource(name="lsoa", paths=[d / "areas.geojson"], code_field="code",
                           name_field="name", role="lsoa"),
        ],
        records=[
            RecordSource(name="arrests", kind="arrests", paths=[d / "arrests.csv"],
                         columns={**en, "date": "date", "id": "arrest_id"},
                         options={"study_area": "lsoa"}),
            RecordSource(name="needle_finds", kind="needles", paths=[d / "needle_finds.csv"],
                         columns={**en, "id": "find_id"}, options={"study_area": "lsoa"}),
            RecordSource(name="crack_houses", kind="crack_houses",
                         paths=[d / "crack_houses.csv"], columns={**en, "id": "premises_id"},
                         options={"study_area": "lsoa"}),
            RecordSource(name="services", kind="services",
                         paths=[d / "treatment_services.csv"], columns={**en, "id": "service_id"},
                         sensitive=False, options={"study_area": "lsoa"},
                         style={"color": "#1a9850", "marker": "^", "marker_size": 40.0,
                                "edgecolor": "#000000"}),
        ],
        tables=[
            TableSource(name="treatment_clients", paths=[d / "treatment_clients.csv"],
                        key="lsoa_code", kind="clients"),
            TableSource(name="treatment_episodes", paths=[d / "treatment_episodes.csv"],
                        kind="episodes"),
            TableSource(name="population_by_age", paths=[d / "population_by_age.csv"],
                        kind="population"),
        ],
        analyses=[AnalysisStep.from_dict(a) for a in DEMO_ANALYSES],
        maps=[dict(m) for m in DEMO_MAPS],
    )


def write_demo_project(folder: str | Path, seed: int = DEMO_SEED) -> Path:
    """Generate the demo data and project file into ``folder``; return the project path."""
    folder = Path(folder)
    build_demo(folder, seed=seed)
    return demo_project(folder).save(folder / DEMO_PROJECT.name)
