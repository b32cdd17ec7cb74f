"""Import wizard: an easting/northing spreadsheet and a postcode file import in a few clicks."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import shared_path


def _to_result(wiz, qtbot):
    with qtbot.waitSignal(wiz.loaded, timeout=120_000) as blocker:
        while wiz.currentPage() is not wiz.result_page:
            assert wiz.currentPage().isComplete(), wiz.currentPage().title()
            wiz.next()
    return blocker.args[0]


def test_easting_northing_spreadsheet_with_bad_rows(demo_window, qtbot, tmp_path):
    from resources.demo import DEMO_DIR

    from app.import_wizard import ImportWizard

    df = pd.read_csv(DEMO_DIR / "data" / "arrests.csv").head(200)
    df.loc[3, "easting"] = None  # no coordinates
    df.loc[7, ["easting", "northing"]] = 0  # zero coordinates
    df.loc[11, "easting"] = 380_000  # in GB, far outside the study area
    xlsx = tmp_path / "arrests.xlsx"
    df.rename(columns={"easting": "East", "northing": "North"}).to_excel(xlsx, index=False)

    win = demo_window
    wiz = ImportWizard(win.ws, what="records", parent=win)
    qtbot.addWidget(wiz)
    wiz.imported.connect(win.add_imported)
    wiz.show()
    wiz.set_files([xlsx])
    assert wiz.files_page.name.text() == "arrests_2"  # unique, from the file name
    wiz.next()
    assert wiz.preview_page.model.rowCount() == 50
    wiz.next()
    assert wiz.mapping_page.kind.currentData() == "arrests"
    ch = wiz.mapping_page.choices()
    assert (ch["x"], ch["y"], ch["date"]) == ("East", "North", "date")
    result = _to_result(wiz, qtbot)
    assert result.rows_read == 200
    assert len(result.accepted) + len(result.rejected) == 200
    by_row = dict(zip(result.rejected["source_row"].astype(int), result.rejected["reason"]))
    assert by_row[4] == "no coordinates" and by_row[8] == "zero coordinates"
    assert by_row[12] == "outside study area"
    counts = wiz.result_page.reasons_model.frame
    assert int(counts["count"].sum()) == len(result.rejected)
    n_before = len(win.ws.layers)
    wiz.accept()
    assert len(win.ws.layers) == n_before + 1
    layer = win.ws.layers["arrests_2"]
    assert layer.kind == "points" and len(layer.data) == len(result.accepted)
    src = win.ws.project.source("arrests_2")
    assert src.kind == "arrests" and src.options["study_area"] == "lsoa"
    assert win.ws.dirty


@pytest.mark.shared_data
def test_postcode_file_placed_through_code_point_open(window, qtbot, tmp_path):
    from app.import_wizard import ImportWizard

    cp = shared_path("postcodes", "codepoint_open_2018-08_bs.csv")
    table = pd.read_csv(cp, header=None, nrows=400)
    sample = table.iloc[::20, :4]
    recs = pd.DataFrame({"ref": [f"R{i}" for i in range(len(sample))] + ["R999"],
                         "Postcode": list(sample[0].str.replace(" ", "")) + ["ZZ99 9ZZ"],
                         "date": "2019-01-15"})
    path = tmp_path / "clients.csv"
    recs.to_csv(path, index=False)
    wiz = ImportWizard(window.ws, what="records", parent=window)
    qtbot.addWidget(wiz)
    wiz.show()
    wiz.set_files([path])
    wiz.next()
    wiz.next()
    assert wiz.mapping_page.choices()["postcode"] == "Postcode"
    wiz.next()
    wiz.crs_page.postcodes.setText(str(cp))
    result = _to_result(wiz, qtbot)
    assert len(result.accepted) == len(sample)
    assert list(result.rejected["reason"]) == ["postcode not found"]
    # placed exactly on Code-Point Open's coordinates
    got = result.accepted.sort_values("source_row")
    assert list(got.geometry.x.round()) == list(sample[2].astype(float))
    assert list(got.geometry.y.round()) == list(sample[3].astype(float))
