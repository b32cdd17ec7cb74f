"""Every analysis verb, run on the demo's sensitive records, publishes no count from 1 to 4.

The demo's arrests, needle finds and crack houses are sensitive kinds.  Each verb
is run from the command line as a user would (``--kind arrests`` ...), and every
table it writes (CSV and GeoPackage) is read back: no column the analysis
declares as a count of people or events (its ``.meta.json`` ``count_columns``),
nor any column named like a count, holds a value from 1 to the threshold minus
one.  KDE surfaces of sensitive records never use a bandwidth below the
minimum, whatever was asked for.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from tests.conftest import ROOT

DEMO = ROOT / "resources" / "demo" / "data"
A, ARR, NEED = str(DEMO / "areas.geojson"), str(DEMO / "arrests.csv"), str(DEMO / "needle_finds.csv")
AREAS = ["--areas", A, "--area-id", "code"]
ARRESTS = ["--points", ARR, "--kind", "arrests"]
#: Verbs whose outputs hold no count of records (access before and after, by area).
NO_COUNTS = {"whatif"}
# n_years, n_lsoas ... number periods or places, not people or events
COUNT_NAME = re.compile(r"(^count|_count$|^n_(?!(year|month|quarter|period|lsoa|msoa|area|cell|"
                        r"ward|district)s?$)|^value$|^events$|^reports$|^collected$|"
                        r"^needles$|^finds$|^active$|^closed$|^reopened$|^closures$)")

VERBS = {
    "count": [*AREAS, *ARRESTS, "--population-field", "population"],
    "gistar": [*AREAS, *ARRESTS],
    "lisa": [*AREAS, *ARRESTS, "--permutations", "99"],
    "change": [*AREAS, *ARRESTS, "--period", "year", "--period-a", "2023", "--period-b",
               "2024"],
    "trend": [*ARRESTS],
    "crackhouses": ["--points", str(DEMO / "crack_houses.csv")],
    "needles": ["--points", NEED, "--areas", str(DEMO / "wards.geojson"), "--area-id",
                "ward_code"],
    "venues": [*ARRESTS, "--venues", str(DEMO / "treatment_services.csv"), "--areas", A],
    "funnel": [*AREAS, *ARRESTS],
    "breakdown": [*ARRESTS, "--by", "age_band,gender,ethnicity"],
    "deprivation": [*AREAS, *ARRESTS, "--population-field", "population"],
    "concentration": [*AREAS, *ARRESTS, "--population-field", "population"],
    "coverage": [*AREAS, "--services", str(DEMO / "treatment_services.csv"), "--need", ARR,
                 "--population-field", "population", "--method", "2sfca"],
    "whatif": [*AREAS, "--services", str(DEMO / "treatment_services.csv"), "--need", ARR,
               "--population-field", "population", "--add", "456500,284000"],
    "disproportion": ["--records", ARR, "--kind", "arrests", "--category", "ethnicity",
                      "--population-table", str(DEMO / "population_by_ethnicity.csv")],
    # issue 20
    "nearrepeat": [*ARRESTS, "--permutations", "19", "--seed", "1"],
    "timeprofile": [*ARRESTS, "--start-column", "arrested_at"],
    "repeats": [*ARRESTS],
    "evaluate": [*AREAS, *ARRESTS, "--target", "X01000169", "--control", "X01000160",
                 "--before", "2022-09-01,2023-08-31", "--after", "2023-09-01,2024-08-31"],
    "composite_index": [*AREAS, "--fields", "imd_score", "--layer", f"arrests={ARR}",
                        "--layer", f"needles={NEED}"],
    "emerging": [*ARRESTS, "--cell-size", "400", "--boundary", A, "--weights", "knn:8"],
    "hotspot_polygons": [*ARRESTS, "--areas", A, "--min-points", "2"],
    "area_counts": [*AREAS, "--table", str(DEMO / "treatment_clients.csv"), "--table-id",
                    "lsoa_code", "--counts", "adults_in_treatment,young_people_in_treatment"],
    "waits": ["--episodes", str(DEMO / "treatment_episodes.csv"), "--by",
              "gender,ethnicity,substance", "--filter", "age_group == 'Young people (under 18)'"],
    "retention": ["--episodes", str(DEMO / "treatment_episodes.csv"), "--by",
                  "age_group,ethnicity,substance"],
    "agerates": [*ARRESTS, "--population", str(DEMO / "population_by_age.csv")],
    "closurespeed": ["--points", str(DEMO / "crack_houses.csv"), "--kind", "crack_houses"],
}


def _tables(out: Path):
    files = [out] if out.is_file() else sorted(out.rglob("*"))
    for f in files:
        if f.suffix == ".csv":
            yield f, pd.read_csv(f, dtype=str)
        elif f.suffix == ".gpkg":
            for layer, _ in pyogrio.list_layers(f):
                if layer != "hotmap_notes":
                    yield f, pd.DataFrame(pyogrio.read_dataframe(f, layer=layer,
                                                                 read_geometry=False))


def _declared(f: Path) -> list[str]:
    side = f.with_name(f.name + ".meta.json")
    return json.loads(side.read_text()).get("count_columns", []) if side.exists() else []


def test_every_analysis_verb_is_swept():
    from app.cli_verbs import verb_names

    untested = set(verb_names()) - set(VERBS) - {"kde", "composite", "pai", "dualkde"}
    assert not untested, f"verbs not swept for small counts: {sorted(untested)}"


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_no_small_count_leaves_any_verb(verb, tmp_path):
    from app.cli import main
    from mapping.pipeline import get_analysis

    folder = get_analysis(verb).out == "folder"
    out = tmp_path / ("out" if folder else "out.csv")
    assert main([verb, *VERBS[verb], "--out", str(out)]) == 0
    checked = 0
    for f, t in _tables(out):
        cols = set(_declared(f)) | {c for c in t.columns if COUNT_NAME.search(str(c))
                                    and not str(c).endswith("_suppressed")}
        for c in cols & set(t.columns):
            v = pd.to_numeric(t[c], errors="coerce")
            small = t[c][(v >= 1) & (v < 5)]
            assert small.empty, f"{verb}: {f.name} column {c} shows {small.tolist()[:5]}"
            checked += 1
    if verb not in NO_COUNTS:
        assert checked, f"{verb}: no count column was checked"


def test_sensitive_kde_is_never_smoother_than_the_minimum(tmp_path):
    import rasterio

    from app.cli import main

    for flag, expect in ((["--bandwidth", "100"], 200.0),
                         (["--bandwidth", "100", "--min-bandwidth", "400"], 400.0)):
        out = tmp_path / f"k{expect:g}.tif"
        assert main(["kde", *ARRESTS, "--cell-size", "50", *flag, "--out", str(out)]) == 0
        with rasterio.open(out) as src:
            tags = src.tags()
        assert float(tags["bandwidth_m"]) == expect
        assert "raised from 100 m" in tags["notes"]


def test_a_sensitive_dual_kde_is_never_smoother_than_the_minimum(tmp_path):
    import rasterio

    from app.cli import main

    out = tmp_path / "dual.tif"
    assert main(["dualkde", *ARRESTS, *AREAS, "--population-field", "population",
                 "--cell-size", "50", "--bandwidth", "100", "--out", str(out)]) == 0
    with rasterio.open(out) as src:
        tags = src.tags()
    assert float(tags["bandwidth_m"]) == 200.0 and "raised from 100 m" in tags["notes"]


def test_a_higher_threshold_hides_more_and_flags_at_the_same_threshold(tmp_path):
    """--suppress-below 10: counts 1-9 hidden, and small_number flags exactly those."""
    from app.cli import main

    out = tmp_path / "c.csv"
    assert main(["count", *AREAS, *ARRESTS, "--suppress-below", "10", "--out", str(out)]) == 0
    t = pd.read_csv(out, dtype=str)
    v = pd.to_numeric(t["count"], errors="coerce")
    assert not ((v >= 1) & (v < 10)).any()
    hidden = t["count"] == "<10"
    assert hidden.any()
    flagged = t["small_number"] == "True"
    assert (flagged == (hidden | (t["count"] == "0"))).all()
