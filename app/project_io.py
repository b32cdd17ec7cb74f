"""Opening projects off the GUI thread, finding moved data files, and saving safely."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

__all__ = ["missing_files", "ask_for_missing", "load_workspace", "relocate"]


def missing_files(project) -> list[tuple[object, int, Path]]:
    """(source, path index, path) for every data file of the project that does not exist."""
    out = []
    for src in [*project.boundaries, *project.records]:
        for i, p in enumerate(src.paths):
            if not Path(p).exists():
                out.append((src, i, Path(p)))
    return out


def relocate(project, old: Path, new: Path) -> int:
    """Point every source using ``old`` at ``new``; files next to ``old`` follow too.

    Returns how many paths were updated.  When several files moved together
    (the usual case: a folder was renamed), the other missing files are looked
    for in the new folder.
    """
    n = 0
    for src in [*project.boundaries, *project.records]:
        for i, p in enumerate(src.paths):
            p = Path(p)
            if p == old:
                src.paths[i] = new
                n += 1
            elif not p.exists() and p.parent == old.parent and (new.parent / p.name).exists():
                src.paths[i] = new.parent / p.name
                n += 1
    return n


def ask_for_missing(project, parent=None, chooser=None) -> bool:
    """Ask where each missing data file went; return False if the user gives up.

    Parameters
    ----------
    chooser : callable, optional
        ``chooser(source, path) -> str | None`` replaces the file dialog (tests).
    """
    while True:
        missing = missing_files(project)
        if not missing:
            return True
        src, _, path = missing[0]
        if chooser is None:
            QMessageBox.information(
                parent, "Data file moved",
                f"The project's layer '{src.name}' uses\n{path}\nwhich is not there any more. "
                "Please show hotmap where the file is now.")
            new, _ = QFileDialog.getOpenFileName(parent, f"Where is {path.name}?",
                                                 str(path.parent if path.parent.exists()
                                                     else Path.home()),
                                                 f"{path.name} (*{path.suffix});;All files (*)")
        else:
            new = chooser(src, path)
        if not new:
            return False
        relocate(project, path, Path(new))


def load_workspace(project, *, progress=None, cancelled=None, run_analyses: bool = True):
    """Load a project's layers, then re-run its analyses, into a new Workspace.

    Runs on a worker thread; the workspace is not shown yet, so it may be
    changed freely.  An analysis that fails does not stop the load: its error
    is kept in ``ws.analysis_errors`` for the window to report.
    """
    from layers.workspace import Workspace
    from mapping.run import run_step

    ws = Workspace(project)
    ws.load(progress=(lambda f, t: progress(f * 0.7, t)) if progress else None,
            cancelled=cancelled)
    ws.analysis_errors = []
    steps = [s for s in project.analyses if s.enabled] if run_analyses else []
    for i, step in enumerate(steps):
        if cancelled and cancelled():
            break
        if progress:
            progress(0.7 + 0.3 * i / len(steps), f"Running {step.name}")
        try:
            run_step(ws, step, cancelled=cancelled)
        except Exception as exc:  # noqa: BLE001 - reported after loading
            ws.analysis_errors.append((step.name, exc))
    ws.mark_dirty(False)
    return ws
