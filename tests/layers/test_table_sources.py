"""``[[tables]]``: tables without coordinates (clients per area, treatment episodes,
population by age band) as table layers, with the loader contract and clear errors."""

import pandas as pd
import pytest

from layers.common.errors import InputError, ProjectError
from layers.project import Project, TableSource, open_project
from boundaries.workspace import Workspace, load_source

KEYED = """lsoa,clients,young_people
E01000001,"1,204",3
E01000002,*,0
,3,1
E01000003,7,c
Grand Total,"1,214",4
"""


@pytest.fixture
def keyed(tmp_path):
    p = tmp_path / "clients.csv"
    p.write_text(KEYED, "utf-8")
    return p


def test_a_keyed_table_accounts_for_every_row(keyed):
    layer, res = load_source(TableSource(name="clients", paths=[keyed], key="lsoa",
                                         kind="clients"))
    assert layer.kind == "table" and layer.sensitive
    t = layer.data
    assert t["lsoa"].tolist() == ["E01000001", "E01000002", "E01000003"]
    # accepted + rejected = rows read, each rejected row with its reason and its fields
    assert res.rows_read == 5 and len(res.rejected) == 2
    assert res.rejected["reason"].tolist() == ["no area code", "summary row"]
    assert res.rejected["source_row"].tolist() == [3, 5]
    assert res.rejected["clients"].tolist() == ["3", "1,214"]
    assert any("Grand Total" in m for m in res.messages)
    # a column with a suppression marker stays text for the analysis to read
    # (mapping.audit.area_counts reads "1,204" as 1204 and flags '*' and 'c')
    assert t["clients"].tolist() == ["1,204", "*", "7"]
    assert t["young_people"].tolist() == ["3", "0", "c"]
    assert layer.meta["code_field"] == "lsoa" and layer.meta["rows_read"] == 5


def test_an_unkeyed_table_keeps_every_row_and_reads_numbers(tmp_path):
    p = tmp_path / "population_by_age.csv"
    p.write_text("age_band,population\n0-17,\"12,500\"\n18-24,4100\n25+,30000\n", "utf-8")
    layer, res = load_source(TableSource(name="pop", paths=[p], kind="population"))
    assert res.rows_read == 3 and res.rejected.empty and len(layer.data) == 3
    assert layer.data["population"].tolist() == [12500, 4100, 30000]
    assert not layer.sensitive  # a population table counts no one in particular
    assert "population" in layer.meta["attribution"]  # detected from the file name


def test_tables_are_sensitive_unless_the_project_says_otherwise(tmp_path):
    assert TableSource(name="a", paths=[tmp_path]).is_sensitive
    assert TableSource(name="a", paths=[tmp_path], kind="episodes").is_sensitive
    assert not TableSource(name="a", paths=[tmp_path], kind="population").is_sensitive
    assert not TableSource(name="a", paths=[tmp_path], sensitive=False).is_sensitive
    assert TableSource(name="a", paths=[tmp_path], kind="population", sensitive=True).is_sensitive


def test_a_duplicate_code_is_refused_with_the_code(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("lsoa,n\nE01000001,3\nE01000001,4\n", "utf-8")
    with pytest.raises(InputError, match="E01000001"):
        load_source(TableSource(name="dup", paths=[p], key="lsoa"))


def test_the_project_file_round_trips_tables_with_relative_paths(tmp_path, keyed):
    proj = Project(name="t", tables=[TableSource(name="clients", paths=[keyed], key="lsoa",
                                                 kind="clients", sheet=None)])
    path = proj.save(tmp_path / "p.hotmap.toml")
    text = path.read_text()
    assert "[[tables]]" in text and 'paths = [\n    "clients.csv",\n]' in text
    back = open_project(path)
    assert back.tables == proj.tables
    ws = Workspace.open(path)
    assert ws.layers["clients"].kind == "table" and "clients" in ws.results
    assert back.source("clients").key == "lsoa"


@pytest.mark.parametrize("entry, match", [
    ({"name": "t", "paths": ["a.csv", "b.csv"], "key": "lsoa"}, "exactly one file"),
    ({"name": "t", "paths": ["a.csv"], "key": 3}, "key must be text"),
    ({"name": "t", "paths": ["a.csv"], "sheet": True}, "sheet must be a sheet name"),
    ({"name": "t", "paths": ["a.csv"], "sensitive": "yes"}, "sensitive must be true or false"),
    ({"paths": ["a.csv"]}, "needs a 'name'"),
])
def test_bad_table_entries_are_refused_clearly(tmp_path, entry, match):
    with pytest.raises(ProjectError, match=match):
        Project.from_dict({"tables": [entry]}, tmp_path / "p.toml")


def test_a_table_name_must_differ_from_the_other_layers(tmp_path):
    doc = {"records": [{"name": "x", "paths": ["a.csv"]}],
           "tables": [{"name": "x", "paths": ["b.csv"]}]}
    with pytest.raises(ProjectError, match="duplicate layer"):
        Project.from_dict(doc, tmp_path / "p.toml")


def test_a_missing_table_file_names_the_layer(tmp_path):
    proj = Project(name="t", tables=[TableSource(name="ep", paths=[tmp_path / "no.csv"])])
    with pytest.raises(ProjectError, match="layer 'ep': data file not found"):
        Workspace(proj).load()


def test_an_xlsx_table_reads_the_named_sheet(tmp_path):
    p = tmp_path / "extract.xlsx"
    with pd.ExcelWriter(p) as xl:
        pd.DataFrame({"note": ["cover"]}).to_excel(xl, sheet_name="Notes", index=False)
        pd.DataFrame({"lsoa": ["E01000001", "E01000002"], "n": [5, 9]}).to_excel(
            xl, sheet_name="Table 1", index=False)
    layer, res = load_source(TableSource(name="x", paths=[p], key="lsoa", sheet="Table 1"))
    assert layer.data["n"].tolist() == [5, 9] and res.rows_read == 2


def test_several_files_of_rows_are_one_table_with_their_file_named(tmp_path):
    """Monthly extracts of episodes: read one after another, every row kept, a column one
    file lacks is blank in its rows (and said)."""
    a, b = tmp_path / "2024-01.csv", tmp_path / "2024-02.csv"
    a.write_text("ethnicity,gender\nWhite,Female\nAsian,Male\n")
    b.write_text("ethnicity\nBlack\nWhite\nMixed\n")
    proj = Project(name="t", tables=[TableSource(name="ep", paths=[a, b], kind="clients")])
    ws = Workspace(proj)
    ws.load()
    lyr = ws.layers["ep"]
    assert len(lyr.data) == 5 and lyr.meta["rows_read"] == 5 and lyr.meta["files"] == 2
    assert list(lyr.data["source_file"]) == ["2024-01.csv"] * 2 + ["2024-02.csv"] * 3
    assert lyr.data["gender"].isna().sum() == 3
    res = ws.results["ep"]
    assert any("2024-02.csv has no gender column" in m for m in res.messages)
    assert lyr.sensitive
