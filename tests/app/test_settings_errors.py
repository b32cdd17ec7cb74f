"""Settings round trip and validation; every error path reaches report_error."""

from __future__ import annotations

import sys
import threading

import pytest


def test_settings_round_trip_in_the_isolated_config_dir(tmp_path):
    import os

    from app.settings import Settings, load_settings, save_settings, settings_path

    assert str(settings_path()).startswith(os.environ["HOTMAP_CONFIG_DIR"])
    assert load_settings() == Settings()  # no file yet: defaults
    s = Settings(suppression_threshold=10, default_palette="Blues", basemap=False)
    s.add_recent(tmp_path / "a.toml")
    s.add_recent(tmp_path / "b.toml")
    s.add_recent(tmp_path / "a.toml")
    path = save_settings(s)
    assert path.exists() and "suppression_threshold = 10" in path.read_text()
    back = load_settings()
    assert back == s
    assert back.recent_files == [str((tmp_path / "a.toml").resolve()),
                                 str((tmp_path / "b.toml").resolve())]
    assert back.schema_version == 1 and back.basemap is False


def test_settings_refuse_bad_values_with_reasons():
    from pydantic import ValidationError

    from app.settings import Settings

    with pytest.raises(ValidationError, match="geographic"):
        Settings(default_crs="EPSG:4326")
    with pytest.raises(ValidationError, match="unknown palette"):
        Settings(default_palette="Rainbow")
    with pytest.raises(ValidationError):
        Settings(suppression_threshold=-1)
    s = Settings()
    s.recent_files = [f"/p/{i}.toml" for i in range(15)]
    assert len(s.recent_files) == 10


def test_broken_settings_file_warns_and_gives_defaults():
    from app.settings import Settings, load_settings, settings_path

    p = settings_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("suppression_threshold = [", encoding="utf-8")
    with pytest.warns(UserWarning, match="settings could not be read"):
        assert load_settings() == Settings()


def test_excepthooks_route_to_report_error(qtbot, errors_captured):
    from layers.common.errors import ProjectError

    from app.errors import install_hooks, uninstall_hooks

    install_hooks()
    try:
        try:
            raise ProjectError("project file not found", path="x.toml", fix="check the path")
        except ProjectError:
            sys.excepthook(*sys.exc_info())
        assert errors_captured[-1][0] == "x.toml: project file not found. Fix: check the path"

        def boom():
            raise RuntimeError("kaboom in a thread")

        t = threading.Thread(target=boom)
        t.start()
        t.join()
        qtbot.waitUntil(lambda: any("kaboom" in m for m, _ in errors_captured), timeout=5000)
        msg, detail = [e for e in errors_captured if "kaboom" in e[0]][0]
        assert msg.startswith("Something went wrong: RuntimeError: kaboom in a thread")
        assert "Traceback" in detail
    finally:
        uninstall_hooks()


def test_report_error_shows_message_with_details(monkeypatch):
    from app import errors

    shown = []
    monkeypatch.setattr(errors, "_handler", None)
    monkeypatch.setattr(errors, "_show_dialog", lambda m, d, parent=None: shown.append((m, d)))
    errors.report_error("Short message", "Traceback: details")
    assert shown == [("Short message", "Traceback: details")]


def test_autosave_written_and_found_for_recovery(demo_window):
    from app.autosave import autosave_path, clear_autosave, find_recoverable

    ws = demo_window.ws
    ws.layers["arrests"].update_style(color="#ff0000")
    assert ws.dirty
    demo_window.autosave()
    path = autosave_path(ws.project.path)
    assert path.exists()
    found = find_recoverable()
    assert found and found[0].original == str(ws.project.path)
    from layers.project import open_project

    rec = open_project(path)  # the recovery file is a valid project with the new style
    assert rec.source("arrests").style["color"] == "#ff0000"
    assert rec.source("arrests").paths == ws.project.source("arrests").paths
    clear_autosave(ws.project.path)
    assert not path.exists()
