"""Take screenshots of the main window, import wizard, an analysis dialog and the layout preview.

Run under Xvfb (not collected by pytest):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python tests/app/screenshots.py [OUTDIR]

Images go to /tmp/shots/ by default.
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


def main(out: Path) -> int:
    from PySide6.QtWidgets import QApplication

    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    style = ROOT / "resources" / "style.qss"
    if style.exists():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    from app.errors import set_error_handler

    set_error_handler(lambda m, d: print("ERROR:", m))
    from app.main_window import MainWindow
    from resources.demo import DEMO_DIR, DEMO_PROJECT

    win = MainWindow()
    win.resize(1560, 960)
    win.move(10, 10)
    win.show()
    done = []
    win.analyses_loaded.connect(done.append)
    loaded = []
    win.project_loaded.connect(loaded.append)
    win.open_project(DEMO_PROJECT)
    wait(app, lambda: loaded)
    if win.ws.project.analyses:
        wait(app, lambda: done)
    lsoa = win.ws.layers["lsoa"]
    shown = lsoa
    if "arrest_gistar" in win.ws.layers:  # show one result, styled by default
        shown = win.ws.layers["arrest_gistar"]
        shown.visible = True
        win.ws.layers["arrests"].visible = False
        win.ws.layers["needle_finds"].visible = False
    win.show_table(shown)
    win.layer_panel.select_layer(shown)
    win.layer_panel.view.scrollTo(win.layer_panel.view.currentIndex())
    win.edit_style(shown)
    win.canvas.render_now()
    settle(app, 1.0)
    win.canvas.mouseMoveEvent  # noqa: B018
    x0, y0, x1, y1 = win.canvas.view_extent()
    win.canvas.cursor_moved.emit((x0 + x1) / 2, (y0 + y1) / 2)
    settle(app)
    win.grab().save(str(out / "1_main_window.png"))
    print("main window:", out / "1_main_window.png")

    from app.import_wizard import ImportWizard

    wiz = ImportWizard(win.ws, what="records", parent=win)
    wiz.show()
    wiz.set_files([DEMO_DIR / "data" / "needle_finds.csv"])
    wiz.files_page.name.setText("needles_2")
    wiz.next()
    wiz.next()
    settle(app)
    wiz.grab().save(str(out / "2_import_wizard_columns.png"))
    got = []
    wiz.loaded.connect(got.append)
    while wiz.currentPage() is not wiz.result_page:
        wiz.next()
    wait(app, lambda: got)
    settle(app)
    wiz.grab().save(str(out / "3_import_wizard_result.png"))
    wiz.reject()
    print("import wizard:", out / "2_import_wizard_columns.png")

    dlg = win.open_analysis("kde")
    dlg.widgets["points"].setCurrentIndex(dlg.widgets["points"].findData("arrests"))
    settle(app)
    dlg.grab().save(str(out / "4_analysis_kde.png"))
    dlg.reject()
    dlg = win.open_analysis("count")
    settle(app)
    dlg.grab().save(str(out / "5_analysis_count.png"))
    dlg.reject()

    lay = win.export_map()
    lay.subtitle.setText("Drug arrests, lower-layer areas and treatment services")
    ready = []
    lay.preview_ready.connect(lambda: ready.append(1))
    lay.refresh_preview()
    wait(app, lambda: ready)
    settle(app)
    lay.grab().save(str(out / "6_layout_preview.png"))
    lay.accept()
    print("layout:", out / "6_layout_preview.png")

    from app.about import AboutDialog

    ab = AboutDialog(win)
    ab.show()
    settle(app)
    ab.grab().save(str(out / "7_about.png"))
    ab.close()
    win.ws.mark_dirty(False)
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/shots")))
