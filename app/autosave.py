"""Autosave and crash recovery.

Every few minutes while a project has unsaved changes, its project file (the
sources, styles and analysis steps: everything needed to rebuild the session,
since results are reproducible from the steps) is written atomically to the
state directory (``$HOTMAP_STATE_DIR``, else the platformdirs state dir).  A
clean save or close removes it; a file left behind after a crash is offered
for recovery at the next start.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from layers.common.atomic import atomic_write_text

__all__ = ["state_dir", "autosave_path", "write_autosave", "clear_autosave",
           "find_recoverable", "Recoverable"]


def state_dir() -> Path:
    """The folder for autosaves (``$HOTMAP_STATE_DIR`` if set)."""
    env = os.environ.get("HOTMAP_STATE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_state_dir

    return Path(user_state_dir("hotmap", appauthor=False))


def _key(project_path) -> str:
    text = str(Path(project_path).resolve()) if project_path else "untitled"
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def autosave_path(project_path) -> Path:
    """The autosave file for a project (``None`` path: the untitled project)."""
    return state_dir() / "autosave" / f"{_key(project_path)}.hotmap.toml"


def write_autosave(workspace) -> Path:
    """Write the workspace's project (with current styles) to its autosave file."""
    proj = workspace.sync_project()
    path = autosave_path(proj.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, proj.to_toml(path.parent))
    atomic_write_text(path.with_suffix(".json"),
                      json.dumps({"original": str(proj.path) if proj.path else None,
                                  "name": proj.name}))
    return path


def clear_autosave(project_path) -> None:
    """Remove the autosave of a project after a clean save or close."""
    path = autosave_path(project_path)
    for p in (path, path.with_suffix(".json")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


@dataclass
class Recoverable:
    """An autosave left by a session that did not close cleanly."""

    path: Path
    original: str | None
    name: str
    mtime: float


def find_recoverable() -> list[Recoverable]:
    """Autosave files waiting for recovery, newest first."""
    folder = state_dir() / "autosave"
    found = []
    for p in folder.glob("*.hotmap.toml") if folder.exists() else []:
        meta = {}
        side = p.with_suffix(".json")
        if side.exists():
            try:
                meta = json.loads(side.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = {}
        found.append(Recoverable(p, meta.get("original"), meta.get("name", p.stem),
                                 p.stat().st_mtime))
    return sorted(found, key=lambda r: -r.mtime)
