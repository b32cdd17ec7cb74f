"""Opening, re-running, saving and autosaving the document (mixed into the main window).

Loading and the re-run of saved analyses happen on workers; their results
reach the document on the GUI thread.  Analysis result layers are rebuilt
from their steps when a project opens, so their styling is kept with the
project's main map (``style_overrides``), which is also what ``hotmap run``
draws.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.errors import report_error, report_exception
from app.settings import load_settings, save_settings
from app.workers import start_worker

__all__ = ["DocumentMixin", "store_result_styles", "apply_result_styles", "shown_results"]

PROJECT_FILTER = "hotmap projects (*.toml);;All files (*)"


class DocumentMixin:
    """Project file actions of :class:`app.main_window.MainWindow`."""

    def open_project(self, path, *, chooser=None, run_analyses: bool = True) -> object:
        """Open a project file; layers load on a worker. Returns the worker (or None).

        The boundary and record layers are shown as soon as they load; then the
        project's analyses re-run in the background and their result layers
        appear one by one (``analyses_loaded`` when all are done).
        """
        from layers.project import open_project

        from app.project_io import ask_for_missing, load_workspace

        if self.loading is not None and not self.loading.done:
            report_error("A project is still loading; wait for it or press Cancel.")
            return None
        try:
            project = open_project(path)
        except Exception as exc:  # noqa: BLE001 - reported
            report_exception(exc, self)
            return None
        from app.project_io import missing_files

        project._relocated = bool(missing_files(project))
        if not ask_for_missing(project, self, chooser=chooser):
            self.statusBar().showMessage("Opening cancelled: data files not found", 8000)
            return None
        self.statusBar().showMessage(f"Loading {project.name} …")
        self._busy(True)
        worker = start_worker(load_workspace, project, controls=True)
        worker.signals.progress.connect(self._on_progress)
        worker.signals.returned.connect(lambda ws: self._loaded(ws, project, run_analyses))
        worker.signals.finished.connect(lambda: self._busy(self._background_running()))
        self.loading = worker
        return worker

    def _busy(self, on: bool) -> None:
        if on and not self.progress.isVisible():
            self.progress.setValue(0)
        self.progress.setVisible(on)
        self.progress_cancel.setVisible(on)

    def _background_running(self) -> bool:
        return any(w is not None and not w.done for w in (self.loading, self.analysing))

    def cancel_background(self) -> None:
        """Stop the project load or the re-run of its analyses (nothing half-made is kept)."""
        for w in (self.loading, self.analysing):
            if w is not None and not w.done:
                w.cancel()
        self.statusBar().showMessage("Cancelled", 8000)

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        if text:
            self.statusBar().showMessage(text)

    def _loaded(self, ws, project, run_analyses: bool = True) -> None:
        if self.analysing is not None and not self.analysing.done:
            self.analysing.cancel()
        self.set_workspace(ws)
        if project.path:
            self.settings.add_recent(project.path)
            self._save_settings()
            if hasattr(self, "rebuild_recent"):
                self.rebuild_recent()
        counts = [f"{n}: {len(r.accepted):,} ({len(r.rejected):,} rejected)"
                  for n, r in ws.results.items()]
        self.statusBar().showMessage("Loaded " + "; ".join(counts), 15000)
        if getattr(project, "_relocated", False):
            ws.mark_dirty(True)  # the new file locations should be saved
        self.project_loaded.emit(ws)
        steps = [s for s in project.analyses if s.enabled] if run_analyses else []
        if steps:
            self.run_project_analyses(steps)

    def run_project_analyses(self, steps):
        """Re-run the project's analyses on a worker; results are added as they arrive."""
        from app.project_io import run_steps

        ws = self.ws
        self._busy(True)
        w = start_worker(run_steps, list(ws.layers), ws.project, steps, controls=True,
                         yields=True)
        w.signals.progress.connect(self._on_progress)
        w.signals.yielded.connect(lambda item, ws=ws: self._step_result(ws, item))
        w.signals.returned.connect(self.analyses_loaded.emit)
        w.signals.returned.connect(lambda n: self.statusBar().showMessage(
            f"{n} of {len(steps)} analyses ready", 10000))
        w.signals.finished.connect(lambda: self._busy(self._background_running()))
        self.analysing = w
        return w

    def _step_result(self, ws, item) -> None:
        if ws is not self.ws:
            return  # another project was opened meanwhile
        step, out = item
        if isinstance(out, BaseException):
            self.statusBar().showMessage(f"Analysis '{step.name}' failed: {out}", 15000)
            report_exception(out, self)
            return
        was_dirty = ws.dirty
        shown = shown_results(ws.project)
        for lyr in out:
            lyr._visible = lyr.name in shown  # results re-run on open show as saved
            if lyr.name in ws.layers:
                ws.layers.remove(lyr.name)
            ws.layers.append(lyr)
        apply_result_styles(ws, [lyr.name for lyr in out])
        ws.mark_dirty(was_dirty)

    def save(self) -> bool:
        """Save to the project's file (asks for one the first time)."""
        if self.ws.project.path is None:
            return self.save_as()
        return self._save_to(self.ws.project.path)

    def save_as(self, path=None) -> bool:
        """Save under a new name."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save project as",
                                                  str(Path.home() / "project.hotmap.toml"),
                                                  PROJECT_FILTER)
            if not path:
                return False
        return self._save_to(Path(path))

    def _save_to(self, path) -> bool:
        from app.autosave import clear_autosave

        old = self.ws.project.path
        try:
            store_result_styles(self.ws)
            saved = self.ws.save(path)
        except Exception as exc:  # noqa: BLE001
            report_exception(exc, self)
            return False
        clear_autosave(old)
        clear_autosave(saved)
        self.settings.add_recent(saved)
        self._save_settings()
        if hasattr(self, "rebuild_recent"):
            self.rebuild_recent()
        self._update_title()
        self.statusBar().showMessage(f"Saved {saved}", 8000)
        return True

    def autosave(self) -> None:
        """Write the recovery file if there are unsaved changes."""
        if not self.ws.dirty:
            return
        from app.autosave import write_autosave

        try:
            write_autosave(self.ws)
        except OSError as exc:
            self.statusBar().showMessage(f"Autosave failed: {exc}", 8000)

    def _save_settings(self) -> None:
        if not self._settings_loaded:
            self._load_settings()
        try:
            save_settings(self.settings)
        except OSError as exc:
            self.statusBar().showMessage(f"Settings not saved: {exc}", 8000)

    def maybe_discard(self) -> bool:
        """Ask about unsaved changes; True if it is fine to throw the current project away."""
        if not self.ws.dirty:
            return True
        ans = QMessageBox.question(
            self, "Unsaved changes",
            f"Save the changes to '{self.ws.project.name}' before closing it?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if ans == QMessageBox.StandardButton.Save:
            return self.save()
        return ans == QMessageBox.StandardButton.Discard


def _warm_up():
    """Import the core packages and read the settings (worker thread, at start-up)."""
    import layers.workspace  # noqa: F401
    import mapping.render  # noqa: F401

    return load_settings()


def store_result_styles(ws) -> None:
    """Keep analysis result styles in the project's main map (``style_overrides``).

    Result layers are rebuilt from their analysis steps when a project opens;
    their styling lives with the map that shows them, so ``hotmap run`` draws
    the exported map the same way.
    """
    styles = {lyr.name: lyr.style.to_dict() for lyr in ws.layers if lyr.source.get("analysis")}
    if not styles:
        return
    maps = ws.project.maps
    main = next((m for m in maps if m.get("name") == "map"), None)
    if main is None:
        main = {"name": "map", "title": ws.project.name, "fictional": ws.project.fictional,
                "layers": [lyr.name for lyr in ws.layers if lyr.visible
                           and lyr.kind not in ("table", "figure")]}
        maps.append(main)
    main["style_overrides"] = {**main.get("style_overrides", {}), **styles}
    main["layers"] = [lyr.name for lyr in ws.layers
                      if lyr.visible and lyr.kind not in ("table", "figure")]


def shown_results(project) -> set:
    """Result layers the project's main map shows (others re-open hidden)."""
    main = next((m for m in project.maps if m.get("name") == "map"), None)
    return set(main.get("layers", [])) if main else set()


def apply_result_styles(ws, names=None) -> None:
    """Restore result-layer styles stored by :func:`store_result_styles`."""
    from layers.style import LayerStyle

    for m in ws.project.maps:
        for name, st in (m.get("style_overrides") or {}).items():
            if names is not None and name not in names:
                continue
            if name in ws.layers and ws.layers[name].source.get("analysis"):
                ws.layers[name].style = LayerStyle.from_dict(st)
