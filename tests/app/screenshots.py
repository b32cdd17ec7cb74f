"""Screenshots of every wizard page, dialog and panel, on the demo and on real Bristol data.

Run under Xvfb (not collected by pytest):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tests/app/screenshots.py [OUTDIR]

Images go to /tmp/shots/ by default.  The real data comes from
``$HOTMAP_SHARED_DATA`` (Bristol LSOA boundaries, population, IMD and four
months of Avon and Somerset police.uk); without it only the demo is shot.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HOTMAP_CONFIG_DIR", tempfile.mkdtemp(prefix="hotmap_shots_cfg"))
os.environ.setdefault("HOTMAP_STATE_DIR", tempfile.mkdtemp(prefix="hotmap_shots_state"))
SHARED = Path(os.environ.get("HOTMAP_SHARED_DATA", ROOT.parent / "shared" / "data"))


def wait(app, cond, timeout=300.0):
    import time

    t0 = time.time()
    while not cond():
        app.processEvents()
        time.sleep(0.02)
        if time.time() - t0 > timeout:
            raise TimeoutError("timed out waiting")
    for _ in range(20):
        app.processEvents()


def settle(app, seconds=0.6):
    import time

    t0 = time.time()
    while time.time() - t0 < seconds:
        app.processEvents()
        time.sleep(0.02)


class Shots:
    """Saves numbered PNGs and prints what was saved."""

    def __init__(self, app, out: Path):
        self.app, self.out, self.n = app, out, 0

    def __call__(self, widget, name: str, wait_s: float = 0.5) -> Path:
        settle(self.app, wait_s)
        self.n += 1
        p = self.out / f"{self.n:02d}_{name}.png"
        widget.grab().save(str(p))
        print("shot:", p)
        return p


def open_demo(app, win):
    from resources.demo import DEMO_PROJECT

    done, loaded = [], []
    win.analyses_loaded.connect(done.append)
    win.project_loaded.connect(loaded.append)
    win.open_project(DEMO_PROJECT)
    wait(app, lambda: loaded)
    if win.ws.project.analyses:
        wait(app, lambda: done)


def wizard_pages(shot, app, wiz, prefix, before_result=None):
    """Shoot every page of a wizard up to and including the result."""
    got = []
    wiz.loaded.connect(got.append)
    i = 1
    while True:
        page = wiz.currentPage()
        if page is wiz.result_page:
            wait(app, lambda: got)
            shot(wiz, f"{prefix}_{i}_result")
            return got[0]
        if page is wiz.area_page and before_result is not None:
            before_result(wiz)
        shot(wiz, f"{prefix}_{i}_{page.title().split()[0].lower()}")
        wiz.next()
        i += 1


def shoot_demo(shot, app, win):
    from PySide6.QtWidgets import QApplication

    open_demo(app, win)
    ws = win.ws
    rates = ws.layers["arrest_rates"]
    rates.visible = True
    ws.layers["arrests"].visible = False
    ws.layers["needle_finds"].visible = False
    win.show_table(rates)
    win.layer_panel.select_layer(rates)
    win.edit_style(rates)
    win.canvas.render_now()
    x0, y0, x1, y1 = win.canvas.view_extent()
    win.canvas.cursor_moved.emit((x0 + x1) / 2, (y0 + y1) / 2)
    shot(win, "demo_main_window_groups", 1.0)

    # the analysis menu
    m = win.commands.analysis_menu
    win.commands.rebuild_analysis_menu()
    m.popup(win.mapToGlobal(win.rect().topLeft()) + win.menuBar().geometry().bottomLeft())
    shot(m, "demo_analysis_menu")
    m.hide()

    # style panel: manual breaks and the breaks editor
    win.style_editor.scheme.setCurrentIndex(win.style_editor.scheme.findData("manual"))
    win.canvas.render_now()
    shot(win, "demo_style_manual_breaks", 1.0)
    dlg = win.style_editor.edit_breaks()
    dlg.add_edge(float(dlg.breaks[0]) / 2)
    shot(dlg, "demo_breaks_editor")
    dlg.apply()
    dlg.close()
    shot(win.dock_style, "demo_style_panel_after_apply")

    # points: distinct colours per record layer
    for name in ("arrests", "needle_finds", "crack_houses", "services"):
        ws.layers[name].visible = True
    rates.visible = False
    win.layer_panel.select_layer(ws.layers["crack_houses"])
    win.canvas.render_now()
    shot(win, "demo_record_colours", 1.0)

    # live charts: funnel with a selection made on the chart, trend, breakdown
    for name in ("arrest_funnel_chart", "arrest_trend_chart", "arrest_breakdown_age_band_chart"):
        chart = ws.layers[name]
        win.layer_panel.select_layer(chart)
        win.dock_chart.show()
        win.dock_chart.raise_()
        win.resizeDocks([win.dock_chart], [620], __import__("PySide6.QtCore").QtCore.Qt
                        .Orientation.Horizontal)
        cv = win.chart_view
        if cv.link is not None:
            marks = [0, 1, 2] if cv.link.kind != "funnel" else \
                [i for i, r in enumerate(cv.link._mark_rows())][:6]
            cv.pick_marks(marks)
            win.canvas.render_now()
        shot(win, f"demo_chart_{chart.source['kind']}", 1.0)
    # map -> chart: one area selected lights its records' share of each month
    win.layer_panel.select_layer(ws.layers["arrest_trend_chart"])
    lsoa = ws.layers["lsoa"].data
    win.canvas.set_selection("lsoa", [lsoa.index[40]], emit=True)
    shot(win, "demo_chart_trend_from_area", 1.0)
    # map -> chart: select areas in the table, the funnel rings them
    win.layer_panel.select_layer(ws.layers["arrest_funnel_chart"])
    funnel = ws.layers["arrest_funnel"]
    win.show_table(funnel)
    win.table.view.selectRow(0)
    win.table.view.selectRow(5)
    shot(win, "demo_chart_funnel_from_table", 1.0)

    # analysis dialogs
    for kind in ("composite", "whatif", "gaps", "coverage", "concentration", "kde"):
        d = win.open_analysis(kind)
        if getattr(d, "more", None) is not None:
            d.more.setChecked(True)
        shot(d, f"demo_dialog_{kind}")
        d.reject()

    # records wizard with the demo open: real Bristol police.uk
    police = SHARED / "police_uk" / "2018-10-avon-and-somerset-street.csv"
    if police.exists():
        from app.import_wizard import ImportWizard

        wiz = ImportWizard(ws, what="records", settings=win.settings, parent=win)
        wiz.show()
        wiz.set_files([police])
        wizard_pages(shot, app, wiz, "demo_police_wizard")
        # and what happens if the analyst forces the demo boundary as the study area
        wiz.back()
        wiz.area_page.area.setCurrentIndex(wiz.area_page.area.findData("lsoa"))
        shot(wiz, "demo_police_wizard_forced_area")
        got = []
        wiz.loaded.connect(got.append)
        wiz.next()
        wait(app, lambda: got)
        shot(wiz, "demo_police_wizard_forced_result")
        wiz.reject()

    # layout and about
    lay = win.export_map()
    ready = []
    lay.preview_ready.connect(lambda: ready.append(1))
    lay.refresh_preview()
    wait(app, lambda: ready)
    shot(lay, "demo_layout_preview")
    lay.accept()
    from app.about import AboutDialog

    ab = AboutDialog(win)
    ab.show()
    shot(ab, "demo_about")
    ab.close()

    # New project: the style panel shows defaults, the start page returns
    ws.mark_dirty(False)
    win.new_project()
    win.dock_style.raise_()
    shot(win, "new_project_after_demo", 1.0)
    win.show_start_page()
    shot(win, "start_page_with_recent", 0.8)
    QApplication.processEvents()


def shoot_bristol(shot, app, win):
    """Import Bristol LSOAs (with population and IMD) and police.uk through the wizards."""
    from app.import_wizard import ImportWizard

    lsoa = SHARED / "boundaries" / "bristol_lsoa2011_E06000023.geojson"
    if not lsoa.exists():
        print("no shared data: Bristol screenshots skipped")
        return
    win.new_project()
    wiz = ImportWizard(win.ws, what="boundaries", settings=win.settings, parent=win)
    wiz.imported.connect(win.add_imported)
    wiz.show()
    wiz.set_files([lsoa])
    wiz.files_page.name.setText("lsoa")
    shot(wiz, "bristol_boundary_wizard_1_files")
    wiz.next()
    shot(wiz, "bristol_boundary_wizard_2_preview")
    wiz.next()
    wiz.mapping_page.tables.addItem(str(SHARED / "population" /
                                        "mysociety_lsoa_population_mid2019_uk.csv"))
    wiz.mapping_page.tables.addItem(str(SHARED / "imd" /
                                        "imd2019_england_lsoa11_deciles_ranks.csv"))
    shot(wiz, "bristol_boundary_wizard_3_fields")
    wiz.next()
    shot(wiz, "bristol_boundary_wizard_4_crs")
    got = []
    wiz.loaded.connect(got.append)
    wiz.next()
    wait(app, lambda: got)
    shot(wiz, "bristol_boundary_wizard_5_result")
    wiz.accept()
    files = sorted((SHARED / "police_uk").glob("*-avon-and-somerset-street.csv"))
    wiz = ImportWizard(win.ws, what="records", settings=win.settings, parent=win)
    wiz.imported.connect(win.add_imported)
    wiz.show()
    wiz.set_files(files)
    wiz.files_page.name.setText("crime")
    wizard_pages(shot, app, wiz, "bristol_police_wizard")
    wiz.accept()
    win.canvas.render_now()
    win.layer_panel.select_layer(win.ws.layers["crime"])
    shot(win, "bristol_main_window", 1.0)


def screenshot_app():
    """The application as a user sees it (the style sheet), errors printed instead of shown,
    and "save changes?" answered Discard, for an unattended run of screenshots."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication(sys.argv[:1])
    style = ROOT / "resources" / "style.qss"
    if style.exists():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    from app.errors import set_error_handler

    set_error_handler(lambda m, d: print("ERROR:", m))
    QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard)
    return app


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    app = screenshot_app()
    from app.main_window import MainWindow
    from app.settings import Settings

    shot = Shots(app, out)
    settings = Settings()
    settings.add_recent(ROOT / "resources" / "demo" / "hotmap_vale.hotmap.toml")
    settings.add_recent("/nowhere/old_audit_2023.hotmap.toml")
    win = MainWindow(settings=settings)
    win.resize(1560, 960)
    win.move(10, 10)
    win.show()
    shot(win, "start_page", 1.0)
    shoot_demo(shot, app, win)
    shoot_bristol(shot, app, win)
    win.ws.mark_dirty(False)
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/shots")))
