"""The hotmap command line: help, version, and one clear line for every failure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import build_parser, main

HOTMAP = [sys.executable, "-m", "app.cli"]


def _run(*args, env=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*HOTMAP, *args], capture_output=True, text=True, env=full_env,
                          cwd=Path(__file__).resolve().parents[2])


def test_version_and_help_list_the_verbs(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.startswith("hotmap ")
    help_text = build_parser().format_help()
    for verb in ("gui", "demo", "run"):
        assert verb in help_text


def test_every_verb_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "verb")
    for name, p in sub.choices.items():
        assert len(p.format_help()) > 80, f"hotmap {name} --help is too thin"
        assert p.description, f"hotmap {name} has no description"


def test_a_command_loads_only_its_own_verb():
    """``hotmap kde ...`` builds the parser of kde alone; a wrong verb still lists them all."""
    code = ("import sys, app.cli\n"
            "p = app.cli.build_parser(only=app.cli._verb_in(['--debug', 'kde', '--out', 'x']))\n"
            "sub = next(a for a in p._actions if a.dest == 'verb')\n"
            "mods = sorted(m for m in sys.modules if m.startswith('app.commands.'))\n"
            "print(','.join(sub.choices), '|', ','.join(mods))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], check=True).stdout.strip()
    verbs, mods = out.split("|")
    assert verbs.strip() == "kde" and mods.strip() == ""  # no hand-written verb was imported
    proc = _run("kdee", "--out", "x.tif")
    assert proc.returncode == 2 and "invalid choice: 'kdee'" in proc.stderr
    assert "'kde'" in proc.stderr and "'count'" in proc.stderr


def _one_line_error(proc, *fragments):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    for f in fragments:
        assert f in lines[0]


def test_missing_project_file_is_one_clear_line(tmp_path):
    proc = _run("run", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "o"))
    _one_line_error(proc, "missing.toml", "not found", "Fix:")


def test_project_syntax_error_is_one_clear_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[project\nname = 1\n")
    proc = _run("run", str(bad), "--out", str(tmp_path / "o"))
    _one_line_error(proc, "bad.toml", "TOML syntax error", "line 1")


def test_missing_layer_file_names_the_layer(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('[project]\nname = "x"\n[[boundaries]]\nname = "lsoa"\n'
                 'paths = ["gone/lsoa.gpkg"]\n')
    proc = _run("run", str(p), "--out", str(tmp_path / "o"))
    _one_line_error(proc, "layer 'lsoa'", "lsoa.gpkg", "not found")


def test_debug_shows_the_traceback(tmp_path):
    proc = _run("--debug", "run", str(tmp_path / "missing.toml"), "--out", str(tmp_path))
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_gui_without_a_display_says_so_and_points_to_make_demo(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([*HOTMAP, "gui"], capture_output=True, text=True, env=env)
    _one_line_error(proc, "no display", "make demo")


def test_bare_hotmap_without_display_prints_help():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run(HOTMAP, capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and "usage: hotmap" in proc.stdout


def test_unknown_verb_is_an_argparse_error():
    proc = _run("frobnicate")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


def test_installed_console_script_runs():
    exe = Path(sys.executable).with_name("hotmap")
    if not exe.exists():
        pytest.skip("the hotmap console script is not installed in this environment")
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "hotspot" in proc.stdout


def test_only_the_command_process_freezes_the_garbage_collector(tmp_path, monkeypatch):
    """``hotmap run`` may exempt what lives to the end from garbage collection only in the
    command's own process (``entry``); ``main`` called by a longer-lived process (the
    tests, the GUI) never does, and gc.freeze is then left untouched."""
    import gc

    import app.cli as cli
    import app.process
    from mapping.pipeline import runner

    seen = []

    def fake_run_project(project, out, **kw):
        seen.append(kw.get("freeze_gc"))
        return runner.RunReport(outdir=Path(out))

    monkeypatch.setattr(runner, "run_project", fake_run_project)
    frozen = gc.get_freeze_count()
    assert main(["run", str(tmp_path / "p.toml"), "--out", str(tmp_path / "o")]) == 0
    assert seen == [False] and not app.process.one_shot()
    monkeypatch.setattr(app.process, "_ONE_SHOT", False)  # restored after the test
    monkeypatch.setattr(sys, "argv", ["hotmap", "run", str(tmp_path / "p.toml"), "--out",
                                      str(tmp_path / "o")])
    monkeypatch.setattr(gc, "freeze", lambda: None)  # this test process must stay collectable
    assert cli.entry() == 0
    assert seen == [False, True] and app.process.one_shot()
    assert gc.get_freeze_count() == frozen
