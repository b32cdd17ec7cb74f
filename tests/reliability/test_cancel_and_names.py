"""Cancelled work leaves nothing behind (issue 8 §3); unusual file names work or fail
clearly (§8): spaces, non-ASCII ("Ynys Môn ✓"), 200+ character names, read-only media.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from relhelp import run_cli

from layers.common.errors import HotmapError, InputError
from layers.project import Project, open_project

ROOT = Path(__file__).resolve().parents[2]
V1 = ROOT / "tests" / "data" / "projects" / "v1"
ODD = ["with spaces", "Ynys Môn ✓", "Ynys Môn ✓ " + "x" * 180, "it's (copy) & [v2] #1 %20"]


def _tree(folder: Path) -> set:
    return {p.relative_to(folder) for p in folder.rglob("*")}


def _copy_v1(dst: Path) -> Path:
    shutil.copytree(V1, dst)
    return dst / "project.hotmap.toml"


# --------------------------------------------------------------------------- cancelling
def test_cancelled_step_adds_no_layer_and_no_file(tmp_path):
    """run_step with the cancel flag set: Cancelled, no new layer, nothing written."""
    from boundaries.workspace import Workspace
    from mapping.pipeline.runner import Cancelled, run_step

    path = _copy_v1(tmp_path / "proj")
    ws = Workspace.open(path)
    before_layers = list(lyr.name for lyr in ws.layers)
    before_files = _tree(tmp_path)
    with pytest.raises(Cancelled):
        run_step(ws, ws.project.analyses[0], cancelled=lambda: True)
    assert [lyr.name for lyr in ws.layers] == before_layers
    assert _tree(tmp_path) == before_files
    # the same step not cancelled does add its layer (so the check above means something)
    run_step(ws, ws.project.analyses[0])
    assert len(list(ws.layers)) == len(before_layers) + 1


@pytest.mark.parametrize("cancel_at", ["loading", "loading, no analyses", "analysing"])
def test_cancelled_run_writes_no_output(tmp_path, cancel_at):
    """run_project cancelled while loading or between analyses: Cancelled, no output files."""
    from mapping.pipeline.runner import Cancelled, run_project

    path = _copy_v1(tmp_path / "proj")
    if cancel_at == "loading, no analyses":
        proj = open_project(path)
        proj.analyses, proj.maps = [], []
        proj.save(path)
    out = tmp_path / "out"
    state = {"cancel": cancel_at.startswith("loading")}

    def progress(frac, text):
        if text.startswith("Running"):
            state["cancel"] = True

    with pytest.raises(Cancelled):
        run_project(path, out, progress=progress, cancelled=lambda: state["cancel"])
    assert not out.exists() or _tree(out) == set(), f"left behind: {_tree(out)}"


def test_export_interrupted_leaves_no_partial_file(tmp_path, monkeypatch):
    """An export that fails half-way leaves only complete files, and no temporary file."""
    import mapping.export.report
    from boundaries.workspace import Workspace
    from mapping.pipeline.runner import run_step, write_project_outputs

    ws = Workspace.open(_copy_v1(tmp_path / "proj"))
    for step in ws.project.analyses:
        run_step(ws, step)
    real = mapping.export.report.atomic_write_path

    def interrupted(path):
        ctx = real(path)
        tmp = ctx.__enter__()
        Path(tmp).write_bytes(b"PK\x03\x04 half a docx")
        err = KeyboardInterrupt()
        ctx.__exit__(type(err), err, None)
        raise err

    monkeypatch.setattr(mapping.export.report, "atomic_write_path", interrupted)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        write_project_outputs(ws, out)
    left = [p for p in out.rglob("*") if p.is_file()]
    assert not [p for p in left if p.name.endswith(".tmp") or p.name.startswith(".")], left
    assert not [p for p in left if p.suffix == ".docx"]


# ------------------------------------------------------------------------- odd names
@pytest.mark.parametrize("name", ODD)
def test_odd_names_load_and_save(tmp_path, name):
    """Records, boundaries and project save/open in folders and files with odd names."""
    from boundaries.io import load_boundaries
    from layers.records import load_records

    folder = tmp_path / name
    folder.mkdir()
    csv = folder / f"{name[:60]} arrests.csv"
    shutil.copy(V1 / "data" / "arrests.csv", csv)
    geo = folder / f"{name[:60]} areas.geojson"
    shutil.copy(V1 / "data" / "areas.geojson", geo)
    res = load_records(csv, kind="arrests", columns={"x": "easting", "y": "northing"})
    assert res.rows_read == 6 and len(res.accepted) == 5
    assert set(res.rejected["source_file"]) == {str(csv)}
    areas = load_boundaries(geo)
    assert len(areas.accepted) == 2
    proj = open_project(V1 / "project.hotmap.toml")
    saved = proj.save(folder / f"{name}.hotmap.toml")
    again = open_project(saved)
    assert again.records[0].paths == proj.records[0].paths
    assert saved.name == f"{name}.hotmap.toml"


def test_longest_legal_file_name_saves(tmp_path):
    """A 250-byte file name (the limit is 255) saves atomically: temp names stay legal."""
    name = "p" * 245 + ".toml"
    path = Project(name="long").save(tmp_path / name)
    assert open_project(path).name == "long"
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_too_long_name_fails_clearly(tmp_path):
    """A name over the file system's limit is a clear InputError, not an OSError."""
    with pytest.raises(InputError, match="(too long|cannot write)"):
        Project(name="x").save(tmp_path / ("q" * 300 + ".toml"))


def test_hotmap_run_in_odd_folder(tmp_path):
    """`hotmap run` on a project in a non-ASCII folder with spaces, output beside it."""
    path = _copy_v1(tmp_path / "Ynys Môn ✓ partnership")
    out = tmp_path / "Ynys Môn ✓ partnership" / "allbwn (output) 2022"
    code, stdout, err = run_cli(["run", path, "--out", out])
    assert code == 0, err
    assert "arrests: 6 read, 4 accepted, 2 rejected" in stdout
    written = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".png" for p in written) and any(p.suffix == ".gpkg" for p in written)


def test_hotmap_inspect_subprocess_non_ascii_path(tmp_path):
    """The console script handles a non-ASCII, spaced path end to end (real argv encoding)."""
    folder = tmp_path / "Ynys Môn ✓"
    folder.mkdir()
    csv = folder / "arestiadau 2022 (copi).csv"
    shutil.copy(V1 / "data" / "arrests.csv", csv)
    exe = Path(sys.executable).with_name("hotmap")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "app.cli"]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(cmd + ["inspect", str(csv), "--kind", "arrests"], capture_output=True,
                          text=True, env=env, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "6" in proc.stdout and "arestiadau" in proc.stdout
    missing = folder / "dim ffeil ✗.csv"
    proc = subprocess.run(cmd + ["inspect", str(missing)], capture_output=True, text=True,
                          env=env, timeout=300, cwd=ROOT)
    assert proc.returncode == 2 and "dim ffeil ✗.csv" in proc.stderr


# --------------------------------------------------------------------- read-only media
def _running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def test_read_only_project_folder_opens_and_runs_elsewhere(tmp_path):
    """A project on read-only media opens, loads and runs with output elsewhere; saving
    back there fails clearly and leaves the file intact."""
    from boundaries.workspace import Workspace

    path = _copy_v1(tmp_path / "cdrom")
    before = path.read_bytes()
    for p in [*path.parent.rglob("*"), path.parent]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        ws = Workspace.open(path)
        assert ws.results["arrests"].rows_read == 6
        code, _, err = run_cli(["run", path, "--out", tmp_path / "out"])
        assert code == 0, err
        if not _running_as_root():  # root ignores permission bits
            with pytest.raises(InputError, match="cannot write"):
                ws.save()
            assert path.read_bytes() == before
    finally:
        for p in [path.parent, *path.parent.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)


@pytest.mark.parametrize("where", ["under a file", "proc"])
def test_unwritable_output_folder_is_a_clear_error(tmp_path, where):
    """`hotmap run --out` an unwritable place: exit 2 with a message naming it."""
    path = _copy_v1(tmp_path / "proj")
    if where == "under a file":
        blocker = tmp_path / "blocker"
        blocker.write_text("x")
        out = blocker / "out"
    else:
        out = Path("/proc/self/hotmap-out")
    code, _, err = run_cli(["run", path, "--out", out])
    assert code == 2, err
    assert "hotmap: error:" in err and str(out.name) in err
    assert open_project(path).name.startswith("Fixture")
    _ = HotmapError
