"""The start page, the selected-layer status line, where file dialogs open, and the window
built by composition."""

from __future__ import annotations

from pathlib import Path

import pytest

from layers.model import Layer


def test_start_page_lists_recent_projects_and_opens_one(qtbot, tmp_path):
    import shutil

    from resources.demo import DEMO_DIR

    from app.main_window import MainWindow
    from app.settings import Settings

    proj = tmp_path / "demo"
    shutil.copytree(DEMO_DIR, proj)
    good = proj / "hotmap_vale.hotmap.toml"
    s = Settings()
    s.add_recent(tmp_path / "gone.hotmap.toml")
    s.add_recent(good)
    win = MainWindow(settings=s)
    qtbot.addWidget(win)
    win.show()
    assert win.central.currentWidget() is win.start_page
    lst = win.start_page.recent
    assert lst.count() == 2
    assert "hotmap_vale" in lst.item(0).text() and "saved today" in lst.item(0).text()
    assert "file not found" in lst.item(1).text()
    from PySide6.QtCore import Qt

    assert not lst.item(1).flags() & Qt.ItemFlag.ItemIsEnabled
    with qtbot.waitSignal(win.project_loaded, timeout=60_000):
        win.start_page._activated(lst.item(0))
    assert win.central.currentWidget() is win.canvas
    assert win.ws.project.path == good.resolve()
    win.ws.mark_dirty(False)
    win.new_project()
    assert win.central.currentWidget() is win.canvas  # an empty map, ready for imports
    win.show_start_page()
    assert win.central.currentWidget() is win.start_page


def test_status_line_says_what_the_selected_layer_is(demo_window):
    from app.layer_summary import layer_summary

    win = demo_window
    win.layer_panel.select_layer(win.ws.layers["arrests"])
    data = win.ws.layers["arrests"].data
    n = len(data)
    # the period from the records' own dates (independently: first and last month, counted)
    a, b = data["date"].min(), data["date"].max()
    months = (b.year - a.year) * 12 + b.month - a.month + 1
    assert win.layer_label.text() == (f"arrests: {n:,} records (arrests) · "
                                      f"{a:%b %Y} – {b:%b %Y} ({months} months) · base n = {n:,}")
    layer = Layer("drug_rates", kind="areas", source={"analysis": "drug_rates"},
                  meta={"title": "Drugs offences per 10,000", "period": "2018-10 to 2019-01",
                        "base_n": 281, "params": {"filter": "crime_type == 'Drugs'"}})
    assert layer_summary(layer) == ("drug_rates: Drugs offences per 10,000 · only "
                                    "crime_type == 'Drugs' · Oct 2018 – Jan 2019 "
                                    "(4 months) · base n = 281")
    win.ws.layers.append(layer)
    win.layer_panel.select_layer(layer)
    assert win.layer_label.text() == layer_summary(layer)


def test_status_line_reads_a_typed_result_metadata_too():
    from dataclasses import dataclass, field

    from app.layer_summary import layer_summary

    @dataclass
    class ResultMeta:  # the shape of the typed metadata: subject and filter attributes
        subject: str = "Needle finds"
        filter: str | None = "found_in == 'park'"
        period: str = "2024"
        base_n: dict = field(default_factory=lambda: {"needles": 40, "arrests": 12})

    layer = Layer("comp", kind="surface", source={"analysis": "comp"}, meta={})
    layer.meta = ResultMeta()
    assert layer_summary(layer) == ("comp: Needle finds · only found_in == 'park' · 2024 · "
                                    "base n: needles 40, arrests 12")
    plain = Layer("comp", kind="surface", source={"analysis": "comp"})
    assert layer_summary(plain) == "comp: density surface · all records"


def test_file_dialogs_open_in_the_project_folder_then_the_last_one(demo_window, monkeypatch,
                                                                   tmp_path):
    from PySide6.QtWidgets import QFileDialog

    from app.file_dialogs import start_folder
    from app.import_wizard import ImportWizard

    win = demo_window
    asked = []

    def fake(parent, caption, folder, *a, **k):
        asked.append(folder)
        return ([str(tmp_path / "pick.csv")], "") if "Names" in fake.kind else ("", "")

    fake.kind = "Names"
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(fake))
    wiz = ImportWizard(win.ws, what="records", settings=win.settings, parent=win)
    (tmp_path / "pick.csv").write_text("x,y\n1,2\n")
    wiz.files_page._add()
    assert Path(asked[0]) == win.ws.project.path.parent != Path.home()
    assert win.settings.last_folder == str(tmp_path.resolve())
    wiz.files_page._add()
    assert Path(asked[1]) == tmp_path.resolve()  # the folder chosen last time
    assert start_folder(None, None) == Path.home()
    wiz.reject()


def test_project_open_dialog_starts_in_the_last_folder(window, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(
        lambda parent, caption, folder, *a, **k: asked.append(folder) or ("", "")))
    window.settings.last_folder = str(tmp_path)
    window.commands.open_dialog()
    assert asked == [str(tmp_path)]


def test_main_window_is_composed_not_mixed():
    from app.actions import WindowActions
    from app.document import DocumentController
    from app.main_window import MainWindow

    bases = {c.__name__ for c in MainWindow.__mro__}
    assert not {n for n in bases if n.endswith("Mixin")}
    import inspect

    src = inspect.getsource(MainWindow.__init__)
    assert "DocumentController(self)" in src and "WindowActions(self)" in src
    assert DocumentController.__init__ and WindowActions.__init__


@pytest.mark.parametrize("what", ["records", "boundaries"])
def test_wizard_buttons_and_pages_do_not_overlap_in_a_small_window(window, qtbot, what):
    """Every page of an empty wizard lays out without a stray widget at a small size."""
    from app.import_wizard import ImportWizard
    from tests.app.widget_checks import stray_widgets

    wiz = ImportWizard(window.ws, what=what, parent=window)
    qtbot.addWidget(wiz)
    wiz.resize(640, 480)
    wiz.show()
    for pid in wiz.pageIds():
        page = wiz.page(pid)
        page.show()
        assert stray_widgets(page) == [], page.title()
