"""The project file: round trip, relative paths, atomic save and clear errors."""

import os
import warnings
from pathlib import Path

import pytest

from layers.common.errors import InputError, ProjectError
from layers.project import (AnalysisStep, BoundarySource, Project, ProjectWarning,
                            RecordSource, open_project)


@pytest.fixture
def project(tmp_path):
    d = tmp_path / "data"
    return Project(
        name="Test partnership", fictional=False, disclosure={"threshold": 10},
        boundaries=[BoundarySource(name="lsoa", paths=[d / "lsoa.gpkg"], code_field="LSOA11CD",
                                   options={"layer": "lsoa"},
                                   tables=[{"path": d / "pop.csv", "key": "code"}],
                                   style={"color": "#ffffff"})],
        records=[RecordSource(name="drugs", kind="police_uk",
                              paths=[d / "2019-01.csv", d / "2019-02.csv"],
                              columns={"lon": "Longitude", "lat": "Latitude"},
                              options={"study_area": "lsoa", "postcode_table": d / "cp.csv"})],
        analyses=[AnalysisStep(name="rates", kind="count",
                               params={"areas": "lsoa", "points": ["drugs"], "k": 5})],
        maps=[{"name": "m1", "title": "Rates", "layers": ["rates"], "dpi": 300}],
    )


def test_round_trip_gives_an_equal_project(project, tmp_path):
    path = project.save(tmp_path / "p.toml")
    again = open_project(path)
    assert again == project
    assert again.records[0].paths[1] == tmp_path / "data" / "2019-02.csv"


def test_paths_are_written_relative_and_rebased_on_save_as(project, tmp_path):
    path = project.save(tmp_path / "p.toml")
    text = path.read_text()
    assert '"data/lsoa.gpkg"' in text and str(tmp_path) not in text
    other = tmp_path / "elsewhere" / "deeper"
    other.mkdir(parents=True)
    moved = open_project(project.save(other / "copy.toml"))
    assert moved.boundaries[0].paths == project.boundaries[0].paths
    assert '"../../data/lsoa.gpkg"' in (other / "copy.toml").read_text()


def test_save_is_atomic_and_leaves_no_temporary_files(project, tmp_path):
    path = project.save(tmp_path / "p.toml")
    project.name = "Renamed"
    project.save()
    assert open_project(path).name == "Renamed"
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["p.toml"]


def test_failed_save_keeps_the_old_file(project, tmp_path, monkeypatch):
    path = project.save(tmp_path / "p.toml")
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    project.name = "Will not land"
    with pytest.raises(InputError, match="No space left"):
        project.save()
    assert path.read_bytes() == before
    assert len(list(tmp_path.glob("*.tmp"))) == 0


def test_missing_project_file_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(ProjectError, match=r"nope\.toml: project file not found\. Fix:"):
        open_project(tmp_path / "nope.toml")


def test_toml_syntax_error_names_the_line(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('schema_version = 1\n[project]\nname = "unterminated\n')
    with pytest.raises(ProjectError, match=r"TOML syntax error.*line 3"):
        open_project(p)


def test_unknown_keys_warn_but_load(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('schema_version = 1\ncolour = "red"\n[project]\nname = "x"\n')
    with pytest.warns(ProjectWarning, match="unknown key.*colour"):
        proj = open_project(p)
    assert proj.name == "x"


@pytest.mark.parametrize("text, match", [
    ('schema_version = 99\n', "newer hotmap"),
    ('[[records]]\nname = "a"\n', "has no 'paths'"),
    ('[[analyses]]\nname = "a"\n', "needs 'kind'"),
    ('[[records]]\nname = "a"\npaths = ["x.csv"]\n[[analyses]]\nname = "a"\nkind = "kde"\n',
     "duplicate layer or analysis name"),
    ('records = "oops"\n', "array of tables"),
])
def test_schema_errors_are_clear(tmp_path, text, match):
    p = tmp_path / "p.toml"
    p.write_text(text)
    with pytest.raises(ProjectError, match=match):
        open_project(p)


def test_project_file_is_data_only(tmp_path):
    """A project file that tries to name code is just text: nothing is imported or run."""
    p = tmp_path / "p.toml"
    p.write_text('[project]\nname = "__import__(\'os\').system(\'touch pwned\')"\n'
                 '[[analyses]]\nname = "a"\nkind = "os.system"\n')
    proj = open_project(p)
    assert proj.name.startswith("__import__")
    assert not (tmp_path / "pwned").exists()
    from mapping.pipeline import get_step
    with pytest.raises(ProjectError, match="unknown analysis kind 'os.system'"):
        get_step(proj.analyses[0].kind)


def test_sensitivity_defaults_by_kind():
    assert RecordSource(name="a", kind="needles", paths=[Path("x")]).is_sensitive
    assert not RecordSource(name="s", kind="services", paths=[Path("x")]).is_sensitive
    assert not RecordSource(name="n", kind="needles", paths=[Path("x")],
                            sensitive=False).is_sensitive
