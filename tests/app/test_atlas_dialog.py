"""File > Export atlas… (issue 17): the dialog lists area results and boundary layers and
writes the same atlas as ``hotmap atlas``, on the worker pool."""

import subprocess
import shutil

import pytest


@pytest.fixture
def ws():
    from layers.model import Layer
    from boundaries.workspace import Workspace
    from tests.mapping.export_fixtures import areas_gdf, rates_layer

    w = Workspace()
    res = rates_layer(source={"analysis": "rates", "kind": "count"})
    wards = Layer("wards", areas_gdf()[["code", "name", "geometry"]]
                  if "name" in areas_gdf().columns else areas_gdf()[["code", "geometry"]],
                  kind="areas", source={"boundaries": "wards"}, meta={"code_field": "code"})
    for lyr in (wards, res):
        w.layers.append(lyr)
    return w


def test_dialog_writes_one_page_per_area(qtbot, ws, tmp_path):
    from app.atlas_dialog import AtlasDialog

    dlg = AtlasDialog(ws)
    qtbot.addWidget(dlg)
    assert dlg.result.currentData() == "rates" and dlg.by.currentData() == "wards"
    assert dlg.b_write.isEnabled()
    with qtbot.waitSignal(dlg.written, timeout=60000) as sig:
        dlg.write(tmp_path / "atlas.pdf")
    files = sig.args[0]
    assert [p.suffix for p in files] == [".pdf", ".docx"]
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(files[0])], capture_output=True, text=True)
        assert f"Pages:           {len(ws.layers['wards'].data)}" in info.stdout


def test_dialog_without_results_says_what_to_do(qtbot):
    from app.atlas_dialog import AtlasDialog
    from boundaries.workspace import Workspace

    dlg = AtlasDialog(Workspace())
    qtbot.addWidget(dlg)
    assert not dlg.b_write.isEnabled()
    assert "Run an analysis" in dlg.status.text()
