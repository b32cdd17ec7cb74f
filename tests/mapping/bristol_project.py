"""A Bristol project on the real shared data (wards, LSOAs, police.uk Drugs offences), for the
atlas and audit-pack tests."""

from __future__ import annotations

import glob

from tests.conftest import shared_path


def write_bristol_project(folder, *, extra: str = "") -> "Path":  # noqa: F821
    """Write the project file into ``folder`` and return its path."""
    import pandas as pd

    wards = shared_path("boundaries", "bristol_wards2014_E06000023.geojson")
    lsoa = shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson")
    pop = shared_path("population", "mysociety_lsoa_population_mid2019_uk.csv")
    imd = [shared_path("imd", "imd2019_england_lsoa11_deciles_ranks.csv"),
           shared_path("imd", "mysociety_UK_IMD_E_2019scores_all_uk.csv")]
    files = sorted(glob.glob(str(shared_path("police_uk") / "*-street.csv")))
    df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    drugs = folder / "drugs.csv"
    df[df["Crime type"] == "Drugs"].to_csv(drugs, index=False)
    paths = ", ".join(f'"{f}"' for f in files)
    text = f'''schema_version = 1
[project]
name = "Bristol drugs audit (test)"

[[boundaries]]
name = "wards"
paths = ["{wards}"]
code_field = "WD13CD"
name_field = "WD13NM"

[[boundaries]]
name = "lsoa"
paths = ["{lsoa}"]
code_field = "LSOA11CD"
name_field = "LSOA11NM"
[[boundaries.tables]]
path = "{pop}"
key = "lsoa"
columns = ["pop"]

[[records]]
name = "crime"
kind = "police_uk"
paths = [{paths}]
[records.options]
study_area = "lsoa"

[[records]]
name = "drugs"
kind = "police_uk"
paths = ["{drugs}"]
[records.options]
study_area = "lsoa"

[[analyses]]
name = "drugs_wards"
kind = "count"
strand = "communities"
[analyses.params]
areas = "wards"
points = ["crime"]
filter = "crime_type == 'Drugs'"

[[analyses]]
name = "drugs_lsoa"
kind = "count"
[analyses.params]
areas = "lsoa"
points = ["crime"]
filter = "crime_type == 'Drugs'"
population = "pop"

[[analyses]]
name = "drugs_concentration"
kind = "concentration"
[analyses.params]
areas = "lsoa"
layers = ["drugs"]
imd = ["{imd[0]}", "{imd[1]}"]
population = "pop"
{extra}'''
    path = folder / "bristol.hotmap.toml"
    path.write_text(text, encoding="utf-8")
    return path
