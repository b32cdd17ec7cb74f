"""Opening projects off the GUI thread, finding moved data files, and saving safely."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.file_dialogs import remember_folder, start_folder

__all__ = ["missing_files", "ask_for_missing", "load_workspace", "relocate"]


def missing_files(project) -> list[tuple[object, int, Path]]:
    """(source, path index, path) for every data file of the project that does not exist."""
    out = []
    for src in [*project.boundaries, *project.records, *project.tables]:
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
    for src in [*project.boundaries, *project.records, *project.tables]:
        for i, p in enumerate(src.paths):
            p = Path(p)
            if p == old:
                src.paths[i] = new
                n += 1
            elif not p.exists() and p.parent == old.parent and (new.parent / p.name).exists():
                src.paths[i] = new.parent / p.name
                n += 1
    return n


def ask_for_missing(project, parent=None, chooser=None, settings=None) -> bool:
    """Ask where each missing data file went; return False if the user gives up.

    Parameters
    ----------
    chooser : callable, optional
        ``chooser(source, path) -> str | None`` replaces the file dialog (tests).
    settings : app.settings.Settings, optional
        The dialog starts in the last folder used when the file's own is gone.
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
                                                     else start_folder(settings, project)),
                                                 f"{path.name} (*{path.suffix});;All files (*)")
            remember_folder(settings, new)
        else:
            new = chooser(src, path)
        if not new:
            return False
        relocate(project, path, Path(new))


def load_workspace(project, *, progress=None, cancelled=None):
    """Load a project's boundary and record layers into a new Workspace (worker thread)."""
    from boundaries.workspace import Workspace

    ws = Workspace(project)
    ws.load(progress=progress, cancelled=cancelled)
    import mapping.render.draw  # noqa: F401 - import here, not on the GUI thread at first draw

    return ws


def run_steps(layers, project, steps, *, progress=None, cancelled=None, emit=None):
    """Run analysis steps in order on a private copy of ``layers`` (worker thread).

    Each step's new layers are emitted as ``(step, [Layer, ...])`` (fresh,
    detached copies the GUI can add); a failing step emits ``(step, exc)`` and
    the others still run, since one bad analysis must not hide the rest.
    """
    import copy

    from boundaries.workspace import Workspace
    from mapping.pipeline.runner import run_step

    shadow = Workspace(copy.copy(project))
    for lyr in layers:
        shadow.layers.append(lyr.copy())
    done = 0
    for i, step in enumerate(steps):
        if cancelled and cancelled():
            break
        if progress:
            progress(i / max(len(steps), 1), f"Running analysis {i + 1}/{len(steps)}: {step.name}")
        try:
            new = run_step(shadow, step, cancelled=cancelled)
        except Exception as exc:  # noqa: BLE001 - reported by the window
            if emit:
                emit((step, exc))
            continue
        done += 1
        if emit:
            emit((step, [lyr.copy() for lyr in new]))
    return done
