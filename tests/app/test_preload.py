"""A project named on the command line is read while the window is built (app.preload)."""

from __future__ import annotations

import shutil


def test_open_takes_the_preloaded_workspace(window, qtbot):
    from app import preload
    from resources.demo import DEMO_PROJECT

    pre = preload.start(DEMO_PROJECT)
    assert pre is not None
    with qtbot.waitSignal(window.project_loaded, timeout=60_000) as got:
        window.open_project(DEMO_PROJECT, run_analyses=False)
    ws = got.args[0]
    assert ws is pre.ws  # the preloaded workspace, not a second load of the same files
    assert preload.take(DEMO_PROJECT) is None  # used once
    assert [lyr.name for lyr in ws.layers][:2] == ["wards", "lsoa"]
    assert len(ws.layers["arrests"].data) == ws.results["arrests"].rows_read - len(
        ws.results["arrests"].rejected)


def test_a_project_with_moved_files_is_not_preloaded(tmp_path):
    from app import preload
    from resources.demo import DEMO_DIR

    proj = tmp_path / "proj"
    shutil.copytree(DEMO_DIR, proj)
    (proj / "data" / "wards.geojson").unlink()
    pre = preload.start(proj / "hotmap_vale.hotmap.toml")
    assert pre.wait() is None and pre.error is None  # the usual open asks where it is
    preload.take(proj / "hotmap_vale.hotmap.toml")
