"""Opening, re-running, saving and autosaving the document (a part of the main window).

Loading and the re-run of saved analyses happen on workers; their results
reach the document on the GUI thread.  Analysis result layers are rebuilt
from their steps when a project opens, so their styling is kept with the
project's main map (``style_overrides``), which is also what ``hotmap run``
draws.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.autosave import clear_autosave, write_autosave
from app.errors import report_error, report_exception
from app.file_dialogs import remember_folder, start_path
from app.project_io import ask_for_missing, load_workspace, missing_files, run_steps
from app.settings import load_settings, save_settings
from app.workers import start_worker

__all__ = ["DocumentController", "store_result_styles", "apply_result_styles", "shown_results",
           "warm_up"]

PROJECT_FILTER = "hotmap projects (*.toml);;All files (*)"


class DocumentController:
    """Opening, re-running, saving and autosaving the main window's document.

    Owns the background work on the document (:attr:`loading`,
    :attr:`analysing`) and the settings file; reaches the window only
    through its public methods (``set_workspace``, ``status``, ``busy`` ...).
    """

    def __init__(self, win):
        self.win = win
        self.loading = None
        self.analysing = None
        # False until the settings file is read (the window may be up before that)
        self.settings_loaded = False

    # --------------------------------------------------------------- opening
    def open_project(self, path, *, chooser=None, run_analyses: bool = True) -> object:
        """Open a project file; layers load on a worker. Returns the worker (or None).

        The boundary and record layers are shown as soon as they load; then the
        project's analyses re-run in the background and their result layers
        appear one by one (``analyses_loaded`` when all are done).
        """
        from layers.project import open_project

        win = self.win
        if self.loading is not None and not self.loading.done:
            report_error("A project is still loading; wait for it or press Cancel.")
            return None
        try:
            project = open_project(path)
        except Exception as exc:  # noqa: BLE001 - reported
            report_exception(exc, win)
            return None
        project._relocated = bool(missing_files(project))
        if not ask_for_missing(project, win, chooser=chooser, settings=win.settings):
            win.status("Opening cancelled: data files not found", 8000)
            return None
        win.status(f"Loading {project.name} …")
        self.busy(True)
        from app import preload

        pre = None if project._relocated else preload.take(path)
        if pre is not None:  # loading since start-up (app.preload): wait for it instead
            worker = start_worker(_preloaded, pre, project, controls=True)
        else:
            worker = start_worker(load_workspace, project, controls=True)
        worker.signals.progress.connect(self._on_progress)
        worker.signals.returned.connect(lambda ws: self._loaded(
            ws, ws.project if pre is not None else project, run_analyses))
        worker.signals.finished.connect(lambda: self.busy(self.background_running()))
        self.loading = worker
        return worker

    def busy(self, on: bool) -> None:
        """Show or hide the progress bar and its Cancel button."""
        win = self.win
        if on and not win.progress.isVisible():
            win.progress.setValue(0)
        win.progress.setVisible(on)
        win.progress_cancel.setVisible(on)

    def background_running(self) -> bool:
        """True while the project loads or its analyses re-run."""
        return any(w is not None and not w.done for w in (self.loading, self.analysing))

    def cancel_background(self) -> None:
        """Stop the project load or the re-run of its analyses (nothing half-made is kept)."""
        for w in (self.loading, self.analysing):
            if w is not None and not w.done:
                w.cancel()
        self.win.status("Cancelled", 8000)

    def _on_progress(self, fraction: float, text: str) -> None:
        self.win.progress.setValue(int(fraction * 1000))
        if text:
            self.win.status(text)

    def _loaded(self, ws, project, run_analyses: bool = True) -> None:
        win = self.win
        if self.analysing is not None and not self.analysing.done:
            self.analysing.cancel()
        win.set_workspace(ws)
        if project.path:
            self.add_recent(project.path)
        counts = [f"{n}: {len(r.accepted):,} ({len(r.rejected):,} rejected)"
                  for n, r in ws.results.items()]
        win.status("Loaded " + "; ".join(counts), 15000)
        if getattr(project, "_relocated", False):
            ws.mark_dirty(True)  # the new file locations should be saved
        win.project_loaded.emit(ws)
        steps = [s for s in project.analyses if s.enabled] if run_analyses else []
        if steps:
            self.run_project_analyses(steps)

    def run_project_analyses(self, steps):
        """Re-run the project's analyses on a worker; results are added as they arrive."""
        win = self.win
        ws = win.ws
        self.busy(True)
        w = start_worker(run_steps, list(ws.layers), ws.project, steps, controls=True,
                         yields=True)
        w.signals.progress.connect(self._on_progress)
        w.signals.yielded.connect(lambda item, ws=ws: self._step_result(ws, item))
        w.signals.returned.connect(win.analyses_loaded.emit)
        w.signals.returned.connect(lambda n: win.status(
            f"{n} of {len(steps)} analyses ready", 10000))
        w.signals.finished.connect(lambda: self.busy(self.background_running()))
        self.analysing = w
        return w

    def _step_result(self, ws, item) -> None:
        win = self.win
        if ws is not win.ws:
            return  # another project was opened meanwhile
        step, out = item
        if isinstance(out, BaseException):
            win.status(f"Analysis '{step.name}' failed: {out}", 15000)
            report_exception(out, win)
            return
        was_dirty = ws.dirty
        shown = shown_results(ws.project)
        saved = {g.get("name") for g in ws.project.groups}
        for lyr in out:
            lyr._visible = lyr.name in shown  # results re-run on open show as saved
            ws.layers.replace(lyr)
        for g in {lyr.group for lyr in out if lyr.group}:  # re-opened results start folded
            if g not in saved and g in ws.layers.groups:
                ws.layers.set_group(g, expanded=False)
        apply_result_styles(ws, [lyr.name for lyr in out])
        ws.mark_dirty(was_dirty)

    # ---------------------------------------------------------------- saving
    def save(self) -> bool:
        """Save to the project's file (asks for one the first time)."""
        if self.win.ws.project.path is None:
            return self.save_as()
        return self._save_to(self.win.ws.project.path)

    def save_as(self, path=None) -> bool:
        """Save under a new name."""
        win = self.win
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                win, "Save project as", start_path(win.settings, win.ws.project,
                                                   "project.hotmap.toml"), PROJECT_FILTER)
            if not path:
                return False
            remember_folder(win.settings, path)
        return self._save_to(Path(path))

    def _save_to(self, path) -> bool:
        win = self.win
        old = win.ws.project.path
        try:
            store_result_styles(win.ws)
            saved = win.ws.save(path)
        except Exception as exc:  # noqa: BLE001
            report_exception(exc, win)
            return False
        clear_autosave(old)
        clear_autosave(saved)
        self.add_recent(saved)
        win.update_title()
        win.status(f"Saved {saved}", 8000)
        return True

    def autosave(self) -> None:
        """Write the recovery file if there are unsaved changes."""
        if not self.win.ws.dirty:
            return
        try:
            write_autosave(self.win.ws)
        except OSError as exc:
            self.win.status(f"Autosave failed: {exc}", 8000)

    def maybe_discard(self) -> bool:
        """Ask about unsaved changes; True if it is fine to throw the current project away."""
        ws = self.win.ws
        if not ws.dirty:
            return True
        ans = QMessageBox.question(
            self.win, "Unsaved changes",
            f"Save the changes to '{ws.project.name}' before closing it?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if ans == QMessageBox.StandardButton.Save:
            return self.save()
        return ans == QMessageBox.StandardButton.Discard

    # -------------------------------------------------------------- settings
    def load_settings(self, loaded=None) -> None:
        """Take the settings read at start-up (keeping files opened before they arrived)."""
        win = self.win
        if self.settings_loaded:
            return
        recent = list(win.settings.recent_files)
        last = win.settings.last_folder
        win.settings = loaded if loaded is not None else load_settings()
        for p in reversed(recent):  # anything opened before the settings arrived
            win.settings.add_recent(p)
        if last:
            win.settings.last_folder = last
        self.settings_loaded = True
        win.recent_changed()

    def add_recent(self, path) -> None:
        """Put a project at the top of the recent files (and save the settings)."""
        self.win.settings.add_recent(path)
        self.save_settings()
        self.win.recent_changed()

    def save_settings(self) -> None:
        """Write the settings file (a failure is a status message, not an error)."""
        if not self.settings_loaded:
            self.load_settings()
        try:
            save_settings(self.win.settings)
        except OSError as exc:
            self.win.status(f"Settings not saved: {exc}", 8000)


def _preloaded(pre, project, *, progress=None, cancelled=None):
    """The workspace :mod:`app.preload` loaded; loaded here when it did not (worker thread)."""
    ws = pre.wait(cancelled=cancelled)
    return ws if ws is not None else load_workspace(project, progress=progress,
                                                    cancelled=cancelled)


def warm_up():
    """Import the core packages and read the settings (worker thread, at start-up).

    The imports are inside on purpose: the window shows first and the heavy
    modules load on a worker thread while the user looks at the start page.
    """
    import boundaries.workspace  # noqa: F401
    import mapping.render.draw  # noqa: F401

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
    # the ticks of the layers (a hidden group keeps its layers' ticks; [[groups]] has its state)
    shown = [lyr.name for lyr in ws.layers if lyr.visible and lyr.kind not in ("table", "figure")]
    main = next((m for m in maps if m.get("name") == "map"), None)
    if main is None:
        main = {"name": "map", "title": ws.project.name, "fictional": ws.project.fictional,
                "layers": shown}
        maps.append(main)
    main["style_overrides"] = {**main.get("style_overrides", {}), **styles}
    main["layers"] = shown


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
