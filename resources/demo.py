"""The bundled FICTIONAL demo project ("Hotmap Vale") and how to rebuild it.

The committed copy lives in ``resources/demo/``; :func:`write_demo_project`
regenerates the same files (same seed, same bytes) anywhere.
"""

from __future__ import annotations

from pathlib import Path

from layers.project import AnalysisStep, BoundarySource, Project, RecordSource
from resources.demo_build import DEMO_SEED, FICTIONAL_NOTE, build_demo

__all__ = ["DEMO_DIR", "DEMO_PROJECT", "demo_project", "write_demo_project", "FICTIONAL_NOTE"]

DEMO_DIR = Path(__file__).resolve().parent / "demo"
DEMO_PROJECT = DEMO_DIR / "hotmap_vale.hotmap.toml"

#: Analyses the demo runs (parameters as a project file states them).
DEMO_ANALYSES: list[dict] = []
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
        analyses=[AnalysisStep.from_dict(a) for a in DEMO_ANALYSES],
        maps=[dict(m) for m in DEMO_MAPS],
    )


def write_demo_project(folder: str | Path, seed: int = DEMO_SEED) -> Path:
    """Generate the demo data and project file into ``folder``; return the project path."""
    folder = Path(folder)
    build_demo(folder, seed=seed)
    return demo_project(folder).save(folder / DEMO_PROJECT.name)
