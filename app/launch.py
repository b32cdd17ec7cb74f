"""Start the desktop app, with plain-words checks for the display and Qt's xcb libraries."""

from __future__ import annotations

import ctypes.util
import os
import sys

from layers.common.errors import HotmapError

__all__ = ["launch_gui", "display_problem"]

#: Debian packages Qt 6's xcb platform plugin needs beyond a minimal system.
XCB_PACKAGES = {
    "xcb-cursor": "libxcb-cursor0", "xkbcommon-x11": "libxkbcommon-x11-0",
    "xcb-icccm": "libxcb-icccm4", "xcb-keysyms": "libxcb-keysyms1",
    "xcb-image": "libxcb-image0", "xcb-render-util": "libxcb-render-util0",
    "xcb-shape": "libxcb-shape0", "EGL": "libegl1", "fontconfig": "libfontconfig1",
}


def display_problem() -> str | None:
    """Return why the GUI cannot start here (with the fix), or None if it can."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform.startswith(("offscreen", "minimal", "vnc")):
        return None
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        return ("no display found (DISPLAY is not set). Run 'make demo' (or "
                "'hotmap demo --out out/') to make the demo's maps headless, or start "
                "the app under a desktop session or 'xvfb-run make run'")
    if sys.platform.startswith("linux") and not platform.startswith("wayland"):
        missing = [pkg for lib, pkg in XCB_PACKAGES.items() if ctypes.util.find_library(lib) is None]
        if missing:
            return ("Qt's xcb platform needs Debian packages that are missing. Install them "
                    f"with: sudo apt-get install {' '.join(missing)}")
    return None


def launch_gui(project: str | None = None) -> int:
    """Open the main window (on ``project`` if given) and run the event loop."""
    problem = display_problem()
    if problem:
        raise HotmapError(problem)
    if project:  # read its layers while Qt and the window's modules load
        from app import preload

        preload.start(project)
    from app.main_window import run_app

    return run_app(project)
