"""What the screenshots on real Bristol data showed, fixed in the generators and panels.

Each test checks a fix against the widgets' real geometry or values: dialogs generated
from every declaration, the style panel, the attribute table, the import wizard on the
shared police.uk and ONS files, the status line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFileDialog, QLabel, QWidget

from tests.app.widget_checks import elided, layout_problems, outside_parent, overlapping
from tests.conftest import shared_path


def _kinds():
    from app.actions import analysis_menu_entries
    from mapping.pipeline import step_names

    return [k for k, _ in analysis_menu_entries(step_names())]


# ------------------------------------------------------------------ the checks themselves
def test_geometry_checks_find_what_they_are_for(qtbot):
    """The helpers must see a clipped label, an overlap, a cut-off button and combo."""
    root = QWidget()
    qtbot.addWidget(root)
    root.resize(300, 200)
    lab = QLabel("a rather long label text that cannot fit", root)
    lab.setGeometry(0, 0, 60, 20)
    combo = QComboBox(root)
    combo.addItem("Automatic (hotmap's choice)")
    combo.setGeometry(0, 150, 80, 24)
    from PySide6.QtWidgets import QPushButton

    b = QPushButton("Button with long text", root)
    b.setGeometry(10, 10, 50, 20)
    out = QPushButton("x", root)
    out.setGeometry(280, 190, 50, 30)
    root.show()
    found = elided(root)
    assert any("a rather long" in f for f in found)
    assert any("Button with long" in f for f in found)
    assert any("Automatic" in f for f in found)
    assert not any("'x'" in f for f in found)  # a short text in a narrow button is fine
    assert len(overlapping(root)) == 1
    assert len(outside_parent(root)) == 1


# ---------------------------------------------------------------------- form generator
@pytest.mark.parametrize("kind", _kinds())
def test_every_form_speaks_gui_words(kind):
    """No required field says what a blank does, no help names a command-line flag, and
    no two fields of a form share a label (whatif had two 'New sites')."""
    from app.analysis_forms import form_for

    spec = form_for(kind if kind != "gaps" else "coverage")
    labels = [p.label for p in spec.params]
    assert len(labels) == len(set(labels)), labels
    for p in spec.params:
        assert not re.search(r"--[a-z]", p.help or ""), (p.name, p.help)
        if not p.optional:
            assert "Blank" not in (p.help or ""), (p.name, p.help)


def test_whatif_candidates_help_names_the_field_it_works_with():
    from app.analysis_forms import form_for

    spec = form_for("whatif")
    by = {p.name: p for p in spec.params}
    assert by["suggest"].label in by["candidates"].help
    assert by["add_sites"].label != by["add"].label


@pytest.mark.parametrize("kind", _kinds())
def test_every_dialog_lays_out_cleanly_with_more_options(demo_window, qtbot, kind):
    """Each generated dialog, with "Show more options" ticked: nothing clipped, overlapping,
    stray or elided, and the advanced fields start where the others do."""
    from PySide6.QtWidgets import QFormLayout

    dlg = demo_window.open_analysis(kind)
    qtbot.addWidget(dlg)
    if getattr(dlg, "more", None) is not None:
        dlg.more.setChecked(True)
    qtbot.wait(30)
    assert layout_problems(dlg) == []
    form = dlg.form
    lefts = set()
    for r in range(form.rowCount()):
        item = form.itemAt(r, QFormLayout.ItemRole.FieldRole)
        if item is not None and item.widget() is not None and item.widget().isVisible() \
                and item.widget() is not getattr(dlg, "more", None):
            lefts.add(item.widget().geometry().x())
    assert len(lefts) == 1, lefts  # one column of fields, advanced or not
    dlg.reject()


def test_numbers_show_their_unit_beside_the_value(demo_window, qtbot):
    dlg = demo_window.open_analysis("whatif")
    qtbot.addWidget(dlg)
    w = dlg.widgets["catchment"]
    assert w.text() == "1600"  # a default value hides a placeholder: the unit must stay
    unit = dlg.units["catchment"]
    assert unit.isVisible() and unit.text() == "m"
    g_w, g_u = w.mapTo(dlg, w.rect().topRight()), unit.mapTo(dlg, unit.rect().topLeft())
    assert g_u.x() >= g_w.x() and abs(g_u.y() - g_w.y()) < w.height()  # right of the box
    dlg.reject()


def test_file_fields_have_a_browse_button_that_fills_them(demo_window, qtbot, tmp_path,
                                                          monkeypatch):
    """Every declared file parameter gets Browse…; the file chosen lands in the field and
    is what the step receives."""
    from mapping.pipeline import analyses

    win = demo_window
    seen = 0
    for decl in analyses():
        files = [p.name for p in decl.params if p.type == "file"]
        if not files:
            continue
        dlg = win.open_analysis(decl.kind)
        qtbot.addWidget(dlg)
        for name in files:
            assert name in dlg.extra_buttons, (decl.kind, name)
            assert dlg.extra_buttons[name].text() == "Browse…"
            seen += 1
        dlg.reject()
    assert seen >= 10
    pick = tmp_path / "imd 2019.csv"
    pick.write_text("lsoa,imd\nE01,1\n")
    dlg = win.open_analysis("concentration")
    qtbot.addWidget(dlg)
    asked = []

    def chooser(parent, caption, folder, *a, **k):  # the user picks the file
        asked.append(folder)
        return str(pick), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(chooser))
    dlg.extra_buttons["imd"].click()
    assert Path(asked[0]) == win.ws.project.path.parent  # starts in the project's folder
    assert Path(dlg.widgets["imd"].text()) == pick
    assert Path(dlg.values()["imd"]) == pick  # a path with a space is still one file
    dlg.reject()


def test_evaluate_takes_target_and_control_codes_from_the_map_selection(demo_window, qtbot):
    win = demo_window
    dlg = win.open_analysis("evaluate")
    qtbot.addWidget(dlg)
    lsoa = win.ws.layers["lsoa"].data
    dlg.widgets["areas"].setCurrentIndex(dlg.widgets["areas"].findData("lsoa"))
    # nothing selected yet: it says what to do
    assert dlg.use_selection("target") == []
    assert "Select areas of 'lsoa'" in dlg.problems.text()
    win.canvas.set_selection("lsoa", [lsoa.index[3], lsoa.index[7]])
    dlg.extra_buttons["target"].click()
    src = next(b for b in win.ws.project.boundaries if b.name == "lsoa")
    code = src.code_field or "code"
    want = [str(lsoa.loc[lsoa.index[i], code]) for i in (3, 7)]
    assert [c.strip() for c in dlg.widgets["target"].text().split(",")] == want
    # a selection of another layer is not taken for the areas'
    win.canvas.set_selection("arrests", [win.ws.layers["arrests"].data.index[0]])
    assert dlg.use_selection("control") == []
    win.canvas.set_selection("lsoa", [lsoa.index[20]])
    dlg.extra_buttons["control"].click()
    dlg.extra_buttons["target"].click()  # added to what is there, once each
    assert dlg.widgets["target"].text().split(", ") == \
        want + [str(lsoa.loc[lsoa.index[20], code])]
    assert dlg.values()["control"] == str(lsoa.loc[lsoa.index[20], code])
    dlg.reject()


def test_a_default_field_the_layer_lacks_becomes_the_one_meaning_the_same(demo_window, qtbot):
    """Bristol's joined population field is 'pop': the funnel's default 'population' must
    become it (it stood there as a name the layer lacked, and the run failed)."""
    from layers.model import Layer

    win = demo_window
    lsoa = win.ws.layers["lsoa"]
    areas = lsoa.data.rename(columns={"population": "pop"})
    win.ws.layers.append(Layer("bristol_like", kind="areas", data=areas,
                               source=dict(lsoa.source)))
    dlg = win.open_analysis("funnel")
    qtbot.addWidget(dlg)
    dlg.widgets["areas"].setCurrentIndex(dlg.widgets["areas"].findData("bristol_like"))
    assert dlg.widgets["population"].currentText() == "pop"
    assert not any("Population" in p for p in dlg.validate())
    dlg.reject()


def test_breakdown_does_not_tick_a_field_the_records_do_not_have(demo_window, qtbot):
    """police.uk records have no age: the default 'age' must not be ticked (the run
    failed with "the records have no 'age' column")."""
    from layers.model import Layer

    win = demo_window
    arrests = win.ws.layers["arrests"]
    no_age = arrests.data.drop(columns=[c for c in arrests.data.columns
                                        if c.startswith("age")])
    win.ws.layers.append(Layer("no_age", kind="points", data=no_age,
                               source=dict(arrests.source), meta=dict(arrests.meta or {})))
    dlg = win.open_analysis("breakdown")
    qtbot.addWidget(dlg)
    rec = dlg.widgets["records"]
    rec.setCurrentIndex(rec.findData("no_age"))
    by = dlg.widgets["by"]
    offered = [by.item(i).text() for i in range(by.count())]
    assert "age" not in offered
    assert "age" not in (dlg.values()["by"] or [])
    rec.setCurrentIndex(rec.findData("arrests"))  # records with age_band: 'age' is offered
    offered = [by.item(i).text() for i in range(by.count())]
    assert "age" in offered
    dlg.reject()


# ------------------------------------------------------------------------- style panel
def test_manual_breaks_start_from_the_classes_the_map_showed(demo_window, qtbot):
    """With 'Automatic' the map shows natural breaks; choosing Manual must keep those
    classes (it fell back to quantiles, and the map changed under the analyst)."""
    import mapclassify

    from app.style_fields import legend_entries

    win = demo_window
    lsoa = win.ws.layers["lsoa"]
    lsoa.update_style(column="imd_score", scheme="auto", k=5)
    win.layer_panel.select_layer(lsoa)
    win.edit_style(lsoa)
    before = [lab for _, lab in legend_entries(lsoa)]
    se = win.style_editor
    se.scheme.setCurrentIndex(se.scheme.findData("manual"))
    assert lsoa.style.scheme == "manual"
    assert [lab for _, lab in legend_entries(lsoa)] == before
    # independently: Fisher-Jenks upper bounds of the same values (the classes are rounded
    # at the precision they are shown, one decimal here)
    jenks = mapclassify.FisherJenks(lsoa.data["imd_score"].dropna().to_numpy(), k=5).bins
    assert lsoa.style.breaks == pytest.approx(list(jenks), abs=0.05)


def test_style_panel_offers_only_what_changes_the_layer(demo_window, qtbot):
    win = demo_window
    se = win.style_editor
    arrests, lsoa = win.ws.layers["arrests"], win.ws.layers["lsoa"]
    arrests.update_style(column=None)
    win.edit_style(arrests)  # points, one colour
    assert se.marker.isEnabled() and se.marker_size.isEnabled() and se.color.isEnabled()
    assert not se.scheme.isEnabled() and not se.k.isEnabled() and not se.palette.isEnabled()
    assert not se.label_column.isEnabled()
    lsoa.update_style(column="imd_score", scheme="quantiles")
    win.edit_style(lsoa)  # areas, classified
    assert not se.marker.isEnabled() and not se.marker_size.isEnabled()
    assert not se.color.isEnabled()
    assert se.scheme.isEnabled() and se.k.isEnabled() and se.palette.isEnabled()
    lsoa.update_style(scheme="auto")
    assert "Natural breaks" in se.scheme.toolTip()


def test_style_panel_texts_fit_the_docked_panel(demo_window, qtbot):
    win = demo_window
    win.resize(1100, 700)  # a laptop-sized window: the panel is at its narrowest
    lsoa = win.ws.layers["lsoa"]
    lsoa.update_style(column="imd_score", scheme="auto")
    win.layer_panel.select_layer(lsoa)
    win.edit_style(lsoa)
    win.dock_style.raise_()
    qtbot.wait(50)
    assert elided(win.style_editor) == []


# ---------------------------------------------------------------------- attribute table
def test_table_shows_file_names_and_fits_columns_to_each_layer(demo_window, qtbot):
    from app.attribute_table import MAX_COLUMN_WIDTH

    win = demo_window
    table = win.table
    lsoa = win.ws.layers["lsoa"]
    win.show_table(lsoa)
    m = table.model
    col = m._columns.index("source_file")
    cell = m.index(0, col)
    full = str(lsoa.data["source_file"].iloc[m.order[0]])
    assert "/" in full
    assert m.data(cell) == Path(full).name
    assert m.data(cell, Qt.ItemDataRole.ToolTipRole) == full
    header = table.view.horizontalHeader()
    # a layer with a very long text in its third column, then a short one: no width carries
    from layers.model import Layer

    wide = pd.DataFrame({"a": ["x"] * 3, "b": ["y"] * 3, "c": ["z" * 300] * 3, "d": [1] * 3})
    short = pd.DataFrame({"a": ["x"] * 3, "b": ["y"] * 3, "c": [1, 2, 3], "d": [1] * 3})
    win.ws.layers.append(Layer("wide", kind="table", data=wide))
    win.ws.layers.append(Layer("short", kind="table", data=short))
    win.show_table(win.ws.layers["wide"])
    assert header.sectionSize(2) == MAX_COLUMN_WIDTH
    win.show_table(win.ws.layers["short"])
    assert header.sectionSize(2) < 100


# ---------------------------------------------------------- the wizard on real data
def _walk_to_result(wiz, qtbot):
    got = []
    wiz.loaded.connect(got.append)
    while wiz.currentPage() is not wiz.result_page:
        wiz.next()
    qtbot.waitUntil(lambda: bool(got), timeout=180_000)
    return got[0]


def test_police_preview_and_rejected_rows_are_readable(window, qtbot):
    """A police.uk Crime ID is 64 characters: the preview must still show the other
    columns, and rejected rows name their file, one line each."""
    from app.attribute_table import MAX_COLUMN_WIDTH
    from app.import_wizard import ImportWizard

    police = shared_path("police_uk", "2018-10-avon-and-somerset-street.csv")
    wiz = ImportWizard(window.ws, what="records", parent=window)
    qtbot.addWidget(wiz)
    wiz.resize(900, 640)
    wiz.show()
    wiz.set_files([police])
    wiz.next()
    header = wiz.preview_page.table.horizontalHeader()
    widths = [header.sectionSize(c) for c in range(header.count())]
    assert max(widths) <= MAX_COLUMN_WIDTH
    assert sum(widths[:4]) < wiz.preview_page.table.viewport().width()  # 4 columns in view
    result = _walk_to_result(wiz, qtbot)
    assert len(result.rejected) > 0
    page = wiz.result_page
    m = page.rejected_model
    col = m._columns.index("source_file")
    assert m.data(m.index(0, col)) == police.name
    assert not page.rejected.wordWrap()
    assert page.rejected.isVisible() and page.save.isEnabled()
    assert layout_problems(page) == []
    wiz.reject()


def test_boundaries_without_rejections_show_no_empty_tables(window, qtbot):
    from app.import_wizard import ImportWizard

    lsoa = shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson")
    wiz = ImportWizard(window.ws, what="boundaries", parent=window)
    qtbot.addWidget(wiz)
    wiz.show()
    wiz.set_files([lsoa])
    result = _walk_to_result(wiz, qtbot)
    assert len(result.rejected) == 0 and len(result.accepted) == 263
    page = wiz.result_page
    for w in (page.reasons, page.rejected, page.reasons_title, page.rejected_title,
              page.save):
        assert not w.isVisible()
    assert "No rows were rejected" in page.summary.text()
    wiz.reject()


def test_status_line_for_real_police_uk_records_and_their_chart(window, qtbot):
    """The status line says what the records are and their months (read from the CSVs
    with pandas, independently), and a trend chart gets its analysis's period."""
    from app.analysis_run import run_analysis
    from app.import_wizard import ImportWizard
    from layers.project import AnalysisStep

    files = sorted(shared_path("police_uk").glob("*-avon-and-somerset-street.csv"))
    wiz = ImportWizard(window.ws, what="records", parent=window)
    qtbot.addWidget(wiz)
    wiz.imported.connect(window.add_imported)
    wiz.show()
    wiz.set_files(files)
    wiz.files_page.name.setText("crime")
    result = _walk_to_result(wiz, qtbot)
    wiz.accept()
    months = pd.concat([pd.read_csv(f, usecols=["Month"]) for f in files])["Month"]
    a, b = pd.Timestamp(months.min()), pd.Timestamp(months.max())
    n_months = (b.year - a.year) * 12 + b.month - a.month + 1
    span = f"{a:%b %Y} – {b:%b %Y} ({n_months} months)"
    crime = window.ws.layers["crime"]
    window.layer_panel.select_layer(crime)
    n = len(result.accepted)
    assert window.layer_label.text() == (
        f"crime: {n:,} records (street crimes and anti-social behaviour (police.uk)) · "
        f"{span} · base n = {n:,}")
    step = AnalysisStep(name="crime_trend", kind="trend", params={"records": "crime"})
    layers = run_analysis(window.ws, step)
    for lyr in layers:
        window.ws.layers.append(lyr)
    chart = next(lyr for lyr in layers if lyr.kind == "figure")
    window.layer_panel.select_layer(chart)
    assert span.split(" (")[0] in window.layer_label.text()


def test_a_chart_gets_a_panel_wide_enough_to_read(demo_window, qtbot):
    """The funnel in a 350 px panel had 5 px text: showing a chart widens its panel."""
    from app.analysis_run import run_analysis
    from layers.project import AnalysisStep

    win = demo_window
    win.resize(1560, 960)
    qtbot.wait(50)
    step = AnalysisStep(name="arrest_trend_t", kind="trend", params={"records": "arrests"})
    layers = run_analysis(win.ws, step)
    for lyr in layers:
        win.ws.layers.append(lyr)
    win.ws.project.analyses.append(step)
    chart = next(lyr for lyr in layers if lyr.kind == "figure")
    assert win.dock_chart.width() < 480 or not win.dock_chart.isVisible()
    win.layer_panel.select_layer(chart)
    qtbot.waitUntil(lambda: win.dock_chart.width() >= 480, timeout=3000)
    assert win.chart_view.link is not None
    assert win.chart_view.canvas.width() >= 440
    assert win.centralWidget().width() >= 600  # the map keeps its room


def test_breaks_editor_opens_on_the_classes_the_map_shows(demo_window, qtbot):
    """On an 'Automatic' layer the editor started from quantiles, not the map's classes;
    its From column rounded 5.9 to "6" beside a To of 5.9."""
    import mapclassify

    win = demo_window
    lsoa = win.ws.layers["lsoa"]
    lsoa.update_style(column="imd_score", scheme="auto", k=5)
    win.edit_style(lsoa)
    dlg = win.style_editor.edit_breaks()
    qtbot.addWidget(dlg)
    jenks = mapclassify.FisherJenks(lsoa.data["imd_score"].dropna().to_numpy(), k=5).bins
    assert dlg.breaks == pytest.approx(list(jenks), abs=0.05)
    for i in range(1, dlg.table.rowCount()):  # each From is the To of the row above
        assert dlg.table.item(i, 0).text() == dlg.table.item(i - 1, 1).text()
    dlg.close()
