"""The whole analyst workflow in the GUI on real Bristol data, without the command line."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import shared_path

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


def _finish_wizard(wiz, qtbot):
    """Click Next until the result page has loaded; return the LoadResult."""
    with qtbot.waitSignal(wiz.loaded, timeout=180_000) as blocker:
        while wiz.currentPage() is not wiz.result_page:
            assert wiz.currentPage().isComplete()
            wiz.next()
    return blocker.args[0]


def _import_boundaries(win, qtbot):
    from app.import_wizard import ImportWizard

    wiz = ImportWizard(win.ws, what="boundaries", parent=win)
    qtbot.addWidget(wiz)
    wiz.imported.connect(win.add_imported)
    wiz.show()
    wiz.set_files([shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson")])
    wiz.files_page.name.setText("lsoa")
    wiz.next()  # preview
    assert "LSOA11CD" in list(wiz.preview.columns)
    wiz.next()  # fields
    assert wiz.mapping_page.choices() == {"code_field": "LSOA11CD", "name_field": "LSOA11NM"}
    wiz.mapping_page.tables.addItem(
        str(shared_path("population", "mysociety_lsoa_population_mid2019_uk.csv")))
    wiz.mapping_page.tables.addItem(
        str(shared_path("imd", "imd2019_england_lsoa11_deciles_ranks.csv")))
    result = _finish_wizard(wiz, qtbot)
    assert result is not None and len(result.accepted) == 263
    assert int(result.accepted["pop"].sum()) == 463_377  # published Bristol total
    wiz.accept()
    return result


def _import_police(win, qtbot, tmp_path):
    from app.import_wizard import ImportWizard

    files = [shared_path("police_uk", f"{m}-avon-and-somerset-street.csv")
             for m in ("2018-10", "2018-11", "2018-12", "2019-01")]
    wiz = ImportWizard(win.ws, what="records", parent=win)
    qtbot.addWidget(wiz)
    wiz.imported.connect(win.add_imported)
    wiz.show()
    wiz.set_files(files)
    wiz.files_page.name.setText("crime")
    wiz.next()
    wiz.next()
    assert wiz.mapping_page.kind.currentData() == "police_uk"
    assert wiz.mapping_page.choices()["lon"] == "Longitude"
    wiz.next()  # CRS (auto)
    wiz.next()  # study area
    assert wiz.area_page.area.currentData() == "lsoa"
    result = _finish_wizard(wiz, qtbot)
    rows = sum(len(pd.read_csv(f, usecols=[0])) for f in files)
    assert result.rows_read == rows
    assert len(result.accepted) + len(result.rejected) == rows
    reasons = set(wiz.result_page.reasons_model.frame["reason"])
    assert "outside study area" in reasons
    # independent reference: police.uk's own LSOA assignment says which rows are in Bristol
    raw = pd.concat(pd.read_csv(f) for f in files)
    in_bristol = raw["LSOA name"].fillna("").str.startswith("Bristol") & raw["Longitude"].notna()
    assert abs(len(result.accepted) - int(in_bristol.sum())) <= 0.01 * in_bristol.sum()
    assert wiz.result_page.rejected_model.rowCount() == len(result.rejected)
    out = wiz.save_rejected(tmp_path / "rejected.csv")
    saved = pd.read_csv(out)
    assert len(saved) == len(result.rejected)
    assert list(saved.columns[:4]) == ["source_file", "source_row", "reason", "detail"]
    wiz.accept()
    return result


def _run(win, qtbot, kind, **choices):
    from PySide6.QtWidgets import QComboBox

    dlg = win.open_analysis(kind)
    qtbot.addWidget(dlg)
    for key, value in choices.items():
        w = dlg.widgets[key]
        if isinstance(w, QComboBox):
            i = w.findData(value)
            if i < 0:
                w.setEditText(str(value))
            else:
                w.setCurrentIndex(i)
        else:
            w.setText(str(value))
    assert dlg.validate() == []
    with qtbot.waitSignal(dlg.finished_layers, timeout=300_000) as blocker:
        assert dlg.run() is not None
    return blocker.args[0]


def test_import_analyse_style_export_save_reopen(window, qtbot, tmp_path):
    from PIL import Image

    win = window
    _import_boundaries(win, qtbot)
    _import_police(win, qtbot, tmp_path)
    ws = win.ws
    assert ws.layers.names() == ["lsoa", "crime"]
    assert ws.project.records[0].options["study_area"] == "lsoa"

    drugs = "crime_type == 'Drugs'"
    (rates,) = _run(win, qtbot, "count", areas="lsoa", points="crime", population="pop",
                    filter=drugs, name="drug_rates")
    assert rates.style.column == "rate_per_10k"
    assert {"rate_per_10k", "count"} <= set(rates.data.columns)
    d = rates.data.dropna(subset=["rate_per_10k"])  # Byar confidence limits bracket each rate
    assert (d["rate_lcl"] <= d["rate_per_10k"]).all() and (d["rate_per_10k"] <= d["rate_ucl"]).all()
    police = ws.layers["crime"].data
    assert int(rates.data["count"].sum()) == int((police["crime_type"] == "Drugs").sum())

    (gi,) = _run(win, qtbot, "gistar", areas="lsoa", points="crime", filter=drugs,
                 name="drug_gistar")
    assert "gi_bin" in gi.data.columns and gi.data["gi_bin"].abs().max() >= 1

    # style the result through the style editor widgets
    win.edit_style(rates)
    ed = win.style_editor
    ed.palette.setCurrentIndex(ed.palette.findData("Blues"))
    ed.scheme.setCurrentIndex(ed.scheme.findData("equal_interval"))
    ed.k.setValue(4)
    assert (rates.style.palette, rates.style.scheme, rates.style.k) == ("Blues", "equal_interval", 4)
    from mapping.render.palettes import palette_colors

    assert [c for c, _ in ed.entries] == palette_colors("Blues", 4)  # live legend preview
    top = rates.data["rate_per_10k"].max()
    assert ed.entries[-1][1].endswith(f"{top:.1f}") or str(round(top)) in ed.entries[-1][1]
    win.canvas.render_now()
    assert "drug_rates" in [i.name for i in win.canvas.render_infos]

    # export a 300 dpi PNG and the audit pack
    dlg = win.export_map()
    qtbot.addWidget(dlg)
    dlg.title.setText("Drugs offences per 10,000 residents, Bristol")
    png = tmp_path / "rates.png"
    with qtbot.waitSignal(dlg.exported, timeout=300_000):
        dlg.export_map(png)
    with Image.open(png) as im:
        assert round(im.info["dpi"][0]) == 300
        assert im.size[0] > 2000
    with qtbot.waitSignal(dlg.exported, timeout=600_000) as blocker:
        dlg.export_audit(tmp_path / "audit")
    written = blocker.args[0]
    assert any(p.suffix == ".docx" for p in written)
    assert any(p.name == "layers.gpkg" for p in written)
    dlg.accept()

    # save, then reopen in a fresh window: sources, styles and analyses come back
    assert win.save_as(tmp_path / "bristol.hotmap.toml")
    assert not ws.dirty
    from app.main_window import MainWindow

    win2 = MainWindow()
    qtbot.addWidget(win2)
    with qtbot.waitSignal(win2.project_loaded, timeout=300_000):
        win2.open_project(tmp_path / "bristol.hotmap.toml")
    assert win2.ws.layers.names() == ["lsoa", "crime"]  # sources first, results follow
    with qtbot.waitSignal(win2.analyses_loaded, timeout=300_000) as blocker:
        pass
    assert blocker.args == [2]
    ws2 = win2.ws
    assert ws2.layers.names() == ["lsoa", "crime", "drug_rates", "drug_gistar"]
    assert [a.kind for a in ws2.project.analyses] == ["count", "gistar"]
    assert ws2.layers["drug_rates"].style.palette == "Blues"
    pd.testing.assert_series_equal(ws2.layers["drug_rates"].data["count"],
                                   rates.data["count"])
    assert len(ws2.project.maps) == 1
    ws2.mark_dirty(False)
