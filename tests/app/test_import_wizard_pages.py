"""Import wizard pages: no stray widgets, boundary wording, a study area only where the
records are, and a warning before Finish when (nearly) every row was rejected."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.app.widget_checks import stray_widgets
from tests.conftest import shared_path

POLICE = ("police_uk", "2018-10-avon-and-somerset-street.csv")
LSOA = ("boundaries", "bristol_lsoa2011_E06000023.geojson")


def _pages(wiz):
    return [wiz.page(i) for i in wiz.pageIds()]


def _no_floating_pages(wiz):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QWizardPage

    added = set(map(id, _pages(wiz)))
    loose = [p for p in wiz.findChildren(QWizardPage,
                                         options=Qt.FindChildOption.FindDirectChildrenOnly)
             if id(p) not in added and p.isVisibleTo(wiz)]
    return loose


def _walk(wiz, qtbot, check):
    """Visit every page up to the result, calling ``check(page)`` on each."""
    got = []
    wiz.loaded.connect(got.append)
    while True:
        check(wiz.currentPage())
        if wiz.currentPage() is wiz.result_page:
            qtbot.waitUntil(lambda: bool(got), timeout=120_000)
            check(wiz.currentPage())
            return got[0]
        wiz.next()


@pytest.mark.shared_data
def test_boundary_wizard_pages_have_no_stray_widget_or_records_wording(window, qtbot):
    from app.import_wizard import ImportWizard

    wiz = ImportWizard(window.ws, what="boundaries", parent=window)
    qtbot.addWidget(wiz)
    wiz.show()
    assert wiz.area_page is None and wiz.mapping_page.kind is None
    assert _no_floating_pages(wiz) == []
    wiz.set_files([shared_path(*LSOA)])
    texts = []

    def check(page):
        assert stray_widgets(page) == [], page.title()
        texts.append(page.title() + " " + page.subTitle())

    result = _walk(wiz, qtbot, check)
    assert len(result.accepted) == 263
    words = " ".join(texts).lower()
    assert "police.uk" not in words and "kind of records" not in words
    assert "area code" in words and "boundary" in words
    # the area code field sits in the form, not under a stray combo box
    form = wiz.mapping_page.form
    assert form.rowCount() == 2 and form.itemAt(0, form.ItemRole.LabelRole).widget().text() \
        == "Area code field"


@pytest.mark.shared_data
def test_bristol_police_with_the_demo_open_gets_no_study_area(demo_window, qtbot):
    """The bug: the demo's boundary was pre-selected and all rows were rejected."""
    from app.import_wizard import ImportWizard

    wiz = ImportWizard(demo_window.ws, what="records", parent=demo_window)
    qtbot.addWidget(wiz)
    wiz.show()
    wiz.set_files([shared_path(*POLICE)])

    def check(page):
        assert stray_widgets(page) == [], page.title()
        if page is wiz.area_page:
            # independent reference: police.uk's own LSOA names place no row in Hotmap Vale
            assert all(v == 0 for v in page.shares.values()), page.shares
            assert page.area.currentData() is None

    result = _walk(wiz, qtbot, check)
    assert "outside study area" not in set(result.rejected["reason"])
    assert len(result.accepted) > 0.8 * result.rows_read
    assert wiz.result_page.warning.text() == ""
    asked = []
    wiz.confirm = lambda text: asked.append(text) or False
    assert wiz.result_page.validatePage() and asked == []  # nothing to warn about


@pytest.mark.shared_data
def test_finish_warns_when_nearly_every_row_is_rejected(demo_window, qtbot):
    from app.import_wizard import ImportWizard

    wiz = ImportWizard(demo_window.ws, what="records", parent=demo_window)
    qtbot.addWidget(wiz)
    wiz.show()
    wiz.set_files([shared_path(*POLICE)])
    while wiz.currentPage() is not wiz.area_page:
        wiz.next()
    wiz.area_page.area.setCurrentIndex(wiz.area_page.area.findData("lsoa"))
    assert "would be rejected" in wiz.area_page.warning.text()
    with qtbot.waitSignal(wiz.loaded, timeout=120_000) as blocker:
        wiz.next()
    result = blocker.args[0]
    assert len(result.accepted) == 0 and len(result.rejected) == result.rows_read
    shown = wiz.result_page.warning.text()
    assert "All rows were rejected" in shown and "outside study area" in shown
    asked = []
    wiz.confirm = lambda text: asked.append(text) or False
    assert not wiz.result_page.validatePage()  # Finish is refused unless confirmed
    assert asked and "Import this layer anyway?" in asked[0]
    wiz.confirm = lambda text: True
    assert wiz.result_page.validatePage()


@pytest.mark.shared_data
def test_bristol_boundaries_are_proposed_for_force_wide_police_records(window, qtbot):
    from layers.project import BoundarySource
    from boundaries.workspace import load_source

    from app.import_wizard import ImportWizard

    src = BoundarySource(name="lsoa", paths=[shared_path(*LSOA)], code_field="LSOA11CD")
    layer, res = load_source(src)
    window.add_imported(src, res)
    wiz = ImportWizard(window.ws, what="records", parent=window)
    qtbot.addWidget(wiz)
    wiz.show()
    wiz.set_files([shared_path(*POLICE)])
    while wiz.currentPage() is not wiz.area_page:
        wiz.next()
    share = wiz.area_page.shares["lsoa"]
    # independent reference: police.uk's own LSOA assignment of the located rows
    raw = pd.read_csv(shared_path(*POLICE))
    located = raw[raw["Longitude"].notna()]
    expected = located["LSOA name"].fillna("").str.startswith("Bristol").mean()
    assert share == pytest.approx(expected, abs=0.03)
    assert wiz.area_page.area.currentData() == "lsoa"  # most of a district's records: kept
    assert "would be rejected" in wiz.area_page.warning.text()


def test_rejection_warning_words():
    from layers.result import LoadResult

    from app.import_checks import rejection_warning

    rej = pd.DataFrame({"source_file": ["f"] * 10, "source_row": range(10),
                        "reason": ["no coordinates"] * 9 + ["duplicate id"], "detail": ""})
    r = LoadResult(accepted=pd.DataFrame({"x": [1]}), rejected=rej, rows_read=11)
    text = rejection_warning(r)
    assert text.startswith("Nearly all rows were rejected (10 of 11), 9 of them as "
                           "'no coordinates'") and "coordinates" in text.split(".")[1]
    ok = LoadResult(accepted=pd.DataFrame({"x": range(10)}), rejected=rej.head(1),
                    rows_read=11)
    assert rejection_warning(ok) is None
    assert "no data rows" in rejection_warning(LoadResult(accepted=pd.DataFrame()))
