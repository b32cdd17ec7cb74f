"""Screenshots of every analysis dialog and panel on real Bristol data, with geometry checks.

Run under Xvfb (not collected by pytest):

    HOTMAP_SHARED_DATA=/work/shared/data xvfb-run -a -s "-screen 0 1600x1000x24" \
        .venv/bin/python tests/app/screenshots_real.py [OUTDIR]

Imports Bristol LSOAs (with mid-2019 population and IMD 2019) and wards and
four months of Avon and Somerset police.uk through the wizards, opens every
analysis dialog of the Analysis menu (with "Show more options" ticked), runs
rates, a funnel, a trend and a breakdown on the real records, and shoots the
main window, the charts, the style panel and breaks editor, the attribute
table, the layout and atlas dialogs.  For each window it prints the problems
:func:`tests.app.widget_checks.layout_problems` finds (stray, clipped,
overlapping or elided widgets).
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

from tests.app.screenshots import Shots, screenshot_app, settle, wait  # noqa: E402
from tests.app.widget_checks import layout_problems  # noqa: E402

PROBLEMS: dict[str, list[str]] = {}


def check(shot, widget, name, wait_s=0.5):
    from PySide6.QtWidgets import QDockWidget, QMainWindow

    p = shot(widget, name, wait_s)
    if isinstance(widget, QMainWindow):  # its panels (the window lays out docks itself)
        parts = [widget.centralWidget(), *[d.widget() for d in widget.findChildren(QDockWidget)
                                           if d.isVisible() and not d.visibleRegion().isEmpty()]]
        found = [f for part in parts for f in layout_problems(part)]
    else:
        found = layout_problems(widget)
    PROBLEMS[p.name] = found
    for f in found:
        print("   problem:", f)
    return p


def import_boundary(app, win, path, name, tables=()):
    from app.import_wizard import ImportWizard

    wiz = ImportWizard(win.ws, what="boundaries", settings=win.settings, parent=win)
    wiz.imported.connect(win.add_imported)
    wiz.show()
    wiz.set_files([path])
    wiz.files_page.name.setText(name)
    wiz.next()
    wiz.next()
    for t in tables:
        wiz.mapping_page.tables.addItem(str(t))
    wiz.next()
    got = []
    wiz.loaded.connect(got.append)
    wiz.next()
    wait(app, lambda: got)
    wiz.accept()


def run_dialog(app, win, kind, values, more=False):
    from PySide6.QtWidgets import QComboBox

    dlg = win.open_analysis(kind)
    for k, v in values.items():
        w = dlg.widgets[k]
        if isinstance(w, QComboBox):
            i = w.findData(v)
            if i < 0:
                w.setEditText(str(v))
            else:
                w.setCurrentIndex(i)
        elif hasattr(w, "tick_order"):
            from PySide6.QtCore import Qt

            for i in range(w.count()):
                if w.item(i).text() in v:
                    w.item(i).setCheckState(Qt.CheckState.Checked)
        else:
            w.setText(str(v))
    problems = dlg.validate()
    if problems:
        print("   cannot run", kind, problems)
        dlg.reject()
        return []
    got = []
    dlg.finished_layers.connect(got.append)
    dlg.run()
    wait(app, lambda: got or (dlg.worker is not None and dlg.worker.done and
                              not dlg.progress.isVisible()))
    settle(app, 0.5)
    dlg.close()
    return got[0] if got else []


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    app = screenshot_app()
    from app.actions import analysis_menu_entries
    from app.import_wizard import ImportWizard
    from app.main_window import MainWindow
    from app.settings import Settings
    from mapping.pipeline import step_names

    shot = Shots(app, out)
    win = MainWindow(settings=Settings())
    win.resize(1560, 960)
    win.move(10, 10)
    win.show()
    win.new_project()
    b = SHARED / "boundaries"
    import_boundary(app, win, b / "bristol_lsoa2011_E06000023.geojson", "lsoa",
                    [SHARED / "population" / "mysociety_lsoa_population_mid2019_uk.csv",
                     SHARED / "imd" / "imd2019_england_lsoa11_deciles_ranks.csv"])
    import_boundary(app, win, b / "bristol_wards2014_E06000023.geojson", "wards")
    wiz = ImportWizard(win.ws, what="records", settings=win.settings, parent=win)
    wiz.imported.connect(win.add_imported)
    wiz.show()
    wiz.set_files(sorted((SHARED / "police_uk").glob("*-avon-and-somerset-street.csv")))
    wiz.files_page.name.setText("crime")
    got = []
    wiz.loaded.connect(got.append)
    while wiz.currentPage() is not wiz.result_page:
        check(shot, wiz, f"police_wizard_{wiz.currentId()}")
        wiz.next()
    wait(app, lambda: got)
    check(shot, wiz, "police_wizard_result")
    wiz.accept()
    win.canvas.render_now()
    win.layer_panel.select_layer(win.ws.layers["crime"])
    win.show_table(win.ws.layers["lsoa"])
    check(shot, win, "main_window_after_import", 1.0)

    # every analysis dialog of the menu
    for kind, text in analysis_menu_entries(step_names()):
        dlg = win.open_analysis(kind)
        if getattr(dlg, "more", None) is not None:
            dlg.more.setChecked(True)
        settle(app, 0.3)
        check(shot, dlg, f"dialog_{kind}")
        # the lower part too, when the form scrolls
        sc = dlg.findChild(__import__("PySide6.QtWidgets").QtWidgets.QScrollArea)
        if sc is not None and sc.verticalScrollBar().maximum() > 0:
            sc.verticalScrollBar().setValue(sc.verticalScrollBar().maximum())
            shot(dlg, f"dialog_{kind}_end", 0.2)
        dlg.reject()

    # analyses on the real records
    run_dialog(app, win, "count", {"areas": "lsoa", "points": "crime",
                                   "filter": "crime_type == 'Drugs'", "name": "drugs_rates"})
    run_dialog(app, win, "funnel", {"areas": "lsoa", "points": "crime",
                                    "filter": "crime_type == 'Drugs'", "name": "drugs_funnel"})
    run_dialog(app, win, "trend", {"records": "crime", "name": "crime_trend"})
    run_dialog(app, win, "breakdown", {"records": "crime", "by": ["crime_type"],
                                       "name": "crime_by_type"})
    ws = win.ws
    print("layers:", ws.layers.names())
    win.canvas.render_now()
    rates = next((lyr for lyr in ws.layers if lyr.name.startswith("drugs_rates")
                  and lyr.kind == "areas"), None)
    if rates is not None:
        ws.layers["crime"].visible = False
        rates.visible = True
        win.layer_panel.select_layer(rates)
        win.edit_style(rates)
        win.show_table(rates)
        win.canvas.render_now()
        check(shot, win, "rates_main_window", 1.0)
        check(shot, win.dock_style, "rates_style_panel")
        dlg = win.style_editor.edit_breaks()
        check(shot, dlg, "rates_breaks_editor")
        dlg.close()
        se = win.style_editor
        se.shared_scale.setCurrentIndex(se.shared_scale.count() - 1)
        check(shot, win.dock_style, "rates_style_shared_scale")
    for chart in [lyr for lyr in ws.layers if lyr.kind == "figure"][:6]:
        win.layer_panel.select_layer(chart)
        win.dock_chart.show()
        win.dock_chart.raise_()
        cv = win.chart_view
        if cv.link is not None:
            cv.pick_marks([0, 1])
            win.canvas.render_now()
        check(shot, win, f"chart_{chart.name}", 1.0)
    win.show_table(ws.layers["crime"])
    check(shot, win.dock_table, "table_crime")
    win.dock_identify.show()
    win.dock_identify.raise_()
    check(shot, win.dock_identify, "identify_panel")

    lay = win.export_map()
    ready = []
    lay.preview_ready.connect(lambda: ready.append(1))
    lay.refresh_preview()
    wait(app, lambda: ready, 120)
    check(shot, lay, "layout_dialog")
    lay.accept()
    atl = win.commands.export_atlas()
    check(shot, atl, "atlas_dialog")
    atl.reject()
    win.show_start_page()
    check(shot, win, "start_page", 0.8)
    ws.mark_dirty(False)
    win.close()
    print("\nsummary:")
    for k, v in PROBLEMS.items():
        print(f"{k}: {len(v)} problem(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/shots_real")))
