"""Where file dialogs start, and remembering the folder the user last chose.

Every ``QFileDialog`` of the app asks :func:`start_folder`: the folder the
user last opened a file from or saved one to (kept in the settings as
``last_folder``), else the open project's folder, else the home folder.
:func:`remember_folder` records a choice.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["start_folder", "start_path", "remember_folder"]


def start_folder(settings=None, project=None) -> Path:
    """The folder a file dialog opens in.

    Parameters
    ----------
    settings : app.settings.Settings, optional
        Its ``last_folder`` wins when it still exists.
    project : layers.project.Project, optional
        Its folder is next (only once the project has a file).
    """
    last = getattr(settings, "last_folder", "") if settings is not None else ""
    if last and Path(last).is_dir():
        return Path(last)
    path = getattr(project, "path", None)
    if path is not None and Path(path).parent.is_dir():
        return Path(path).parent
    return Path.home()


def start_path(settings=None, project=None, filename: str = "") -> str:
    """:func:`start_folder` joined with a suggested file name (for save dialogs)."""
    folder = start_folder(settings, project)
    return str(folder / filename) if filename else str(folder)


def remember_folder(settings, path) -> None:
    """Remember the folder of ``path`` (a file or folder the user chose) in the settings."""
    if settings is None or not path:
        return
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    try:
        settings.last_folder = str(folder.resolve())
    except (ValueError, OSError):  # pydantic validation or an odd path: just do not remember
        pass
