"""Project files cannot run code, and old ones keep loading (issue 8 §5).

- The reader is TOML + schema: no pickle, no eval, no imports named by the file
  (checked statically on the reader's source and dynamically with booby-trapped files).
- Unknown keys warn; paths resolve relative to the project and are never executed.
- The frozen schema-1 fixture in tests/data/projects/v1/ keeps loading, and the
  migration hook (``layers.project._migrate``) is applied to every older document.
"""

from __future__ import annotations

import ast
import os
import pickle
import shutil
import warnings
from pathlib import Path

import pytest

import layers.project as project_mod
from layers.common.errors import HotmapError, ProjectError
from layers.project import SCHEMA_VERSION, Project, ProjectWarning, open_project

ROOT = Path(__file__).resolve().parents[2]
V1 = ROOT / "tests" / "data" / "projects" / "v1"


# ------------------------------------------------------------------ no code execution
_FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "import_module", "loads_pickle",
                    "system", "popen", "Popen", "run", "call", "check_output", "load"}
_FORBIDDEN_MODULES = {"pickle", "marshal", "shelve", "dill", "cloudpickle", "subprocess",
                      "importlib", "runpy", "yaml", "jsonpickle"}


@pytest.mark.parametrize("module", ["layers/project.py", "layers/project_entries.py",
                                    "layers/workspace.py", "boundaries/workspace.py"])
def test_reader_source_has_no_code_execution(module):
    """The project reader imports no deserialiser that can run code and calls no eval/exec."""
    tree = ast.parse((ROOT / module).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = {a.name.split(".")[0] for a in node.names}
            assert not names & _FORBIDDEN_MODULES, f"{module} imports {names}"
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in _FORBIDDEN_MODULES, \
                f"{module} imports from {node.module}"
        elif isinstance(node, ast.Call):
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else getattr(fn, "attr", "")
            if name in ("load", "run", "call"):
                continue  # tomllib.load / generic method names are fine
            assert name not in _FORBIDDEN_CALLS, f"{module} calls {name}() at line {node.lineno}"


class _Trap:
    """A pickle payload that would create a file if it were ever unpickled."""

    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return (Path.touch, (Path(self.sentinel),))


def test_pickle_disguised_as_project_does_not_run(tmp_path):
    """A pickle named .toml is refused as not-TOML; its payload never runs."""
    sentinel = tmp_path / "PWNED"
    path = tmp_path / "evil.hotmap.toml"
    path.write_bytes(pickle.dumps(_Trap(sentinel)))
    with pytest.raises(ProjectError, match="evil.hotmap.toml.*(UTF-8|TOML)"):
        open_project(path)
    assert not sentinel.exists()


def test_paths_are_data_never_executed(tmp_path):
    """Shell syntax, module names and Python in path and kind fields stay inert strings."""
    sentinel = tmp_path / "PWNED"
    payloads = [f"$(touch {sentinel})", f"`touch {sentinel}`", f"; touch {sentinel}",
                f"__import__('os').system('touch {sentinel}')", f"|touch {sentinel}"]
    import tomli_w

    doc = {"schema_version": 1, "project": {"name": "traps"},
           "records": [{"name": f"r{i}", "paths": [bad], "kind": "arrests"}
                       for i, bad in enumerate(payloads)],
           "analyses": [{"name": "a", "kind": "os.system",
                         "params": {"cmd": f"touch {sentinel}"}}]}
    path = tmp_path / "traps.toml"
    path.write_text(tomli_w.dumps(doc))
    proj = open_project(path)
    for rec, bad in zip(proj.records, payloads):  # kept as plain paths, relative to the file
        assert rec.paths == [(tmp_path / bad).resolve()]
    from boundaries.workspace import Workspace

    with pytest.raises(ProjectError, match="data file not found"):
        Workspace.open(path)
    from mapping.pipeline import get_step

    with pytest.raises(ProjectError, match="unknown analysis kind 'os.system'"):
        get_step(proj.analyses[0].kind)
    assert not sentinel.exists()


def test_unknown_keys_warn_clearly(tmp_path):
    """Unknown keys at every level give a ProjectWarning naming the key and the file."""
    path = tmp_path / "odd.toml"
    path.write_text(
        'schema_version = 1\nplugin = "evil.module"\n[project]\nname = "x"\ncolour = "red"\n'
        '[[records]]\nname = "r"\npaths = ["r.csv"]\nexec = "print(1)"\n'
        '[[analyses]]\nname = "a"\nkind = "count"\nhook = "os.system"\n')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proj = open_project(path)
    texts = [str(w.message) for w in caught if issubclass(w.category, ProjectWarning)]
    for key in ("plugin", "colour", "exec", "hook"):
        assert any(key in t and "odd.toml" in t and "ignored" in t for t in texts), (key, texts)
    assert proj.name == "x" and proj.records[0].name == "r"
    assert not hasattr(proj.records[0], "exec")


def test_paths_resolve_relative_to_the_project(tmp_path, monkeypatch):
    """Relative paths are relative to the project file, not the working directory."""
    (tmp_path / "proj").mkdir()
    path = tmp_path / "proj" / "p.toml"
    path.write_text('[project]\nname = "p"\n[[records]]\nname = "r"\npaths = ["data/r.csv"]\n')
    monkeypatch.chdir(tmp_path)
    proj = open_project(path)
    assert proj.records[0].paths == [(tmp_path / "proj" / "data" / "r.csv").resolve()]
    # saved again elsewhere, the path is rewritten relative to the new location
    (tmp_path / "other").mkdir()
    proj.save(tmp_path / "other" / "p.toml")
    assert '"../proj/data/r.csv"' in (tmp_path / "other" / "p.toml").read_text()


@pytest.mark.parametrize("text, match", [
    ("schema_version = 99\n", "newer hotmap"),
    ("schema_version = 'one'\n", "not valid"),
    ("[project\nname=1", "TOML syntax error"),
    ("records = 3\n", "array of tables"),
    ("[[records]]\npaths=['a.csv']\n", "needs a 'name'"),
    ("[[records]]\nname='r'\n", "no 'paths'"),
    ("[[records]]\nname='r'\npaths=['a.csv']\n[[boundaries]]\nname='r'\npaths=['b.gpkg']\n",
     "duplicate layer"),
    ("\x00\x01\x02binary", "TOML syntax error|UTF-8"),
])
def test_bad_project_files_are_clear_errors(tmp_path, text, match):
    """Malformed project files raise ProjectError naming the file, never anything else."""
    path = tmp_path / "bad.toml"
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    with pytest.raises(ProjectError, match=match) as err:
        open_project(path)
    assert "bad.toml" in str(err.value)


# ------------------------------------------------------------------ versions and migration
def _copy_v1(tmp_path) -> Path:
    dst = tmp_path / "v1 copy"
    shutil.copytree(V1, dst)
    return dst / "project.hotmap.toml"


def test_v1_fixture_keeps_loading(tmp_path):
    """The frozen schema-1 project opens with every field it declares."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProjectWarning)  # a v1 file must not look odd
        proj = open_project(V1 / "project.hotmap.toml")
    assert proj.name == "Fixture partnership v1 (FICTIONAL)" and proj.fictional
    assert proj.suppression_threshold == 5
    (lsoa,) = proj.boundaries
    assert lsoa.code_field == "code" and lsoa.role == "lsoa"
    assert lsoa.tables[0]["path"] == (V1 / "data" / "population.csv").resolve()
    (arrests,) = proj.records
    assert arrests.kind == "arrests" and arrests.is_sensitive
    assert arrests.columns == {"x": "easting", "y": "northing", "date": "date",
                               "id": "arrest_id"}
    assert arrests.options == {"study_area": "lsoa"}
    assert arrests.paths == [(V1 / "data" / "arrests.csv").resolve()]
    assert [(a.name, a.kind, a.params) for a in proj.analyses] == \
        [("arrest_counts", "count", {"points": "arrests", "areas": "lsoa"})]
    assert proj.maps[0]["layers"] == ["lsoa", "arrest_counts"]


def test_v1_fixture_data_loads_and_reconciles(tmp_path):
    """The v1 fixture's layers load through the Workspace; every record is accounted for."""
    from boundaries.workspace import Workspace

    ws = Workspace.open(_copy_v1(tmp_path))
    assert list(ws.layers.names()) if hasattr(ws.layers, "names") else True
    res = ws.results["arrests"]
    assert res.rows_read == 6
    assert len(res.accepted) + len(res.rejected) == 6
    reasons = sorted(res.rejected["reason"])
    assert reasons == ["no coordinates", "outside study area"]
    areas = ws.results["lsoa"].accepted
    assert sorted(areas["code"]) == ["E01900001", "E01900002"]
    assert "population" in areas.columns and areas["population"].sum() == 3220


def test_v1_round_trip_is_stable(tmp_path):
    """Saving a v1 project writes the current schema and reads back identical."""
    path = _copy_v1(tmp_path)
    proj = open_project(path)
    out = proj.save(tmp_path / "resaved.toml")
    again = open_project(out)
    assert again == proj
    assert f"schema_version = {SCHEMA_VERSION}" in out.read_text()
    assert again.records[0].paths == proj.records[0].paths


def test_migration_hook_runs_for_older_documents(tmp_path, monkeypatch):
    """Documents older than SCHEMA_VERSION go through _migrate and load as the new schema.

    Simulates the next schema bump: with SCHEMA_VERSION = 2, a v1 document must
    be passed to ``_migrate(doc, 1)`` and the migrated document is what loads.
    """
    calls = []
    real = project_mod._migrate

    def migrate_v1_to_v2(doc, version):
        calls.append(version)
        doc = real(doc, version)
        if version < 2:  # e.g. v2 renames [project] description -> notes, kept compatible
            doc = dict(doc)
            doc["project"] = {**doc.get("project", {}), "name": doc["project"]["name"] + " (v2)"}
        return doc

    monkeypatch.setattr(project_mod, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(project_mod, "_migrate", migrate_v1_to_v2)
    proj = open_project(_copy_v1(tmp_path))
    assert calls == [1]
    assert proj.name.endswith("(v2)")
    assert len(proj.records) == 1
    # and a v2 document is not migrated again
    out = proj.save(tmp_path / "v2.toml")
    assert "schema_version = 2" in out.read_text()
    calls.clear()
    open_project(out)
    assert calls == [2]


def test_real_migrate_is_identity_for_current_schema():
    """_migrate leaves a current document unchanged (no key dropped or invented)."""
    doc = {"schema_version": SCHEMA_VERSION, "project": {"name": "x"},
           "records": [{"name": "r", "paths": ["a.csv"]}]}
    assert project_mod._migrate(dict(doc), SCHEMA_VERSION) == doc


def test_project_errors_are_hotmap_errors():
    """Every project problem is a HotmapError (one line, exit 2 on the command line)."""
    assert issubclass(ProjectError, HotmapError)
    _ = os
