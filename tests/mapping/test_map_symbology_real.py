"""Bristol maps have no empty, overlapping or repeated legend class (issue 17, real data)."""

import re

import numpy as np
import pytest

from tests.conftest import shared_path

pytestmark = [pytest.mark.shared_data, pytest.mark.filterwarnings("ignore:Numba not installed")]

MONTHS = ("2018-10", "2018-11", "2018-12", "2019-01")


def bristol_project(folder, analyses: str = "") -> "Path":
    """A project on the shared Bristol data: LSOAs with mid-2019 population, wards, police.uk."""
    lsoa = shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson")
    wards = shared_path("boundaries", "bristol_wards2014_E06000023.geojson")
    pop = shared_path("population", "mysociety_lsoa_population_mid2019_uk.csv")
    crimes = [str(shared_path("police_uk", f"{m}-avon-and-somerset-street.csv")) for m in MONTHS]
    text = f"""schema_version = 1
[project]
name = "Bristol (test)"
suppression_threshold = 5

[[boundaries]]
name = "lsoa"
paths = ["{lsoa}"]
code_field = "LSOA11CD"
name_field = "LSOA11NM"

[[boundaries.tables]]
path = "{pop}"
key = "lsoa"

[[boundaries]]
name = "wards"
paths = ["{wards}"]
code_field = "WD13CD"
name_field = "WD13NM"

[[records]]
name = "crimes"
kind = "police_uk"
paths = {crimes!r}

[records.options]
study_area = "lsoa"
""".replace("'", '"') + analyses
    path = folder / "bristol.hotmap.toml"
    path.write_text(text)
    return path


ANALYSES = """
[[analyses]]
name = "drugs_rate"
kind = "count"
[analyses.params]
areas = "lsoa"
points = "crimes"
population = "pop"
filter = "crime_type == 'Drugs'"

[[analyses]]
name = "drugs_kde"
kind = "kde"
[analyses.params]
points = "crimes"
filter = "crime_type == 'Drugs'"
boundary = "lsoa"
cell_size = 50
bandwidth = 400

[[analyses]]
name = "ward_drugs"
kind = "count"
[analyses.params]
areas = "wards"
points = "crimes"
filter = "crime_type == 'Drugs'"

[[analyses]]
name = "all_crime_rate"
kind = "count"
[analyses.params]
areas = "lsoa"
points = "crimes"
population = "pop"
"""


@pytest.fixture(scope="module")
def bristol(tmp_path_factory):
    from boundaries.workspace import Workspace
    from mapping.pipeline.runner import run_step

    ws = Workspace.open(bristol_project(tmp_path_factory.mktemp("bristol"), ANALYSES))
    for step in ws.project.analyses:
        run_step(ws, step)
    return ws


def _bounds(label):
    nums = [float(t.replace(",", "").replace("−", "-"))
            for t in re.findall(r"−?[\d,]+(?:\.\d+)?", label)]
    return (nums[0], nums[0]) if len(nums) == 1 else (nums[0], nums[1])


def _export_info(ws, name):
    from mapping.disclosure.rules import DisclosureRules
    from mapping.export.outputs import default_composition
    from mapping.render.layout import render_composition

    base = [lyr for lyr in ws.layers if lyr.source.get("boundaries")]
    comp = default_composition(ws.layers[name], base)
    fig = render_composition(comp, ws.layers, rules=DisclosureRules(threshold=5))
    return next(i for i in fig._hotmap_infos if i.name == name), fig


@pytest.mark.parametrize("name", ["drugs_rate", "drugs_kde", "ward_drugs", "all_crime_rate"])
def test_bristol_legends_have_no_empty_overlapping_or_repeated_class(bristol, name):
    info, _ = _export_info(bristol, name)
    cls = info.classification
    assert cls.k >= 3, cls.labels  # a real map, not two collapsed classes
    assert all(n > 0 for n in cls.counts), list(zip(cls.labels, cls.counts))
    assert len(set(cls.labels)) == len(cls.labels)
    spans = [_bounds(lab) for lab in cls.labels]
    assert all(lo <= hi for lo, hi in spans)
    assert all(b[0] > a[1] for a, b in zip(spans, spans[1:])), cls.labels
    assert not any(re.fullmatch(r"(.+) – \1", lab) for lab in cls.labels)


def test_bristol_drugs_rate_has_a_zero_class_and_rate_decimals(bristol):
    info, _ = _export_info(bristol, "drugs_rate")
    cls = info.classification
    data = bristol.layers["drugs_rate"].data
    assert cls.labels[0] == "0" and cls.counts[0] == int((data["count"] == 0).sum())
    assert all(re.fullmatch(r"\d+\.\d – \d+\.\d", lab) for lab in cls.labels[1:]), cls.labels
    rows = {r["label"]: r["count"] for r in __import__("mapping.render.legend").render.legend.legend_rows(info)}
    assert rows["Suppressed (<5)"] == int(data["count"].between(1, 4).sum())


def test_bristol_ward_counts_are_whole_numbers_and_wards_named(bristol):
    info, fig = _export_info(bristol, "ward_drugs")
    assert all(re.fullmatch(r"[\d,]+( – [\d,]+)?", lab) for lab in info.classification.labels)
    kde_info, kde_fig = _export_info(bristol, "drugs_kde")
    names = [i.title for i in kde_fig._hotmap_infos]
    assert "Wards (2013)" in names and "LSOAs (2011)" in names and "lsoa" not in names


def test_bristol_kde_lowest_class_is_not_shaded_and_starts_at_zero(bristol):
    info, _ = _export_info(bristol, "drugs_kde")
    cls = info.classification
    assert cls.labels[0].startswith("0.0 – ") and cls.alphas[0] == 0
    v = np.asarray(bristol.layers["drugs_kde"].data.values, float)
    assert cls.scale.bins[-1] == pytest.approx(np.nanmax(v), abs=0.05)
