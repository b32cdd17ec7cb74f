"""Every error reaches the user as one dialog: a short message, details below.

:func:`report_error` is the single place the GUI shows an error.  Worker
``errored`` signals, ``sys.excepthook`` and ``threading.excepthook`` all route
to it (errors raised on other threads are relayed to the GUI thread first).
Tests replace the dialog with :func:`set_error_handler` so nothing blocks.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from typing import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

__all__ = ["report_error", "report_exception", "install_hooks", "uninstall_hooks",
           "set_error_handler", "describe_exception"]

log = logging.getLogger("hotmap")
_handler: Callable[[str, str], None] | None = None
_relay = None
_saved_hooks: tuple | None = None


def set_error_handler(handler: Callable[[str, str], None] | None):
    """Replace the dialog by ``handler(message, detail)`` (tests); None restores it.

    Returns the previous handler.
    """
    global _handler
    old, _handler = _handler, handler
    return old


def describe_exception(exc: BaseException) -> tuple[str, str]:
    """Return (short message, detail with traceback) for an exception."""
    from layers.common.errors import HotmapError

    if isinstance(exc, HotmapError):
        message = str(exc)
    elif isinstance(exc, MemoryError):
        message = ("Not enough memory for this job. Try a smaller area, a coarser grid "
                   "or fewer records.")
    else:
        message = (f"Something went wrong: {type(exc).__name__}: {exc}. Your project is "
                   "safe; the details below help the developers fix it.")
    detail = getattr(exc, "__traceback_text__", None) or "".join(
        traceback.format_exception(type(exc), exc, exc.__traceback__))
    return message, detail


def _show_dialog(message: str, detail: str, parent=None) -> None:
    box = QMessageBox(parent or QApplication.activeWindow())
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("hotmap")
    box.setText(message)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if detail:
        box.setDetailedText(detail)
    box.exec()


def report_error(message: str, detail: str = "", parent=None) -> None:
    """Show an error to the user: ``message`` in plain words, ``detail`` under "Show Details".

    Logs it too.  On a non-GUI thread the call is relayed to the GUI thread.
    """
    log.error("%s\n%s", message, detail)
    app = QApplication.instance()
    if app is not None and threading.current_thread() is not threading.main_thread():
        if _relay is not None:
            _relay.error.emit(message, detail)
        return
    if _handler is not None:
        _handler(message, detail)
        return
    if app is None:
        print(f"hotmap: error: {message}", file=sys.stderr)
        return
    _show_dialog(message, detail, parent)


def report_exception(exc: BaseException, parent=None) -> None:
    """Show an exception through :func:`report_error`."""
    message, detail = describe_exception(exc)
    report_error(message, detail, parent)


class _Relay(QObject):
    """Carries errors from other threads to the GUI thread (queued signal)."""

    error = Signal(str, str)


def _excepthook(exc_type, exc, tb):
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    exc.__traceback_text__ = "".join(traceback.format_exception(exc_type, exc, tb))
    report_exception(exc)


def _threading_hook(args):
    if args.exc_type is SystemExit:
        return
    exc = args.exc_value or args.exc_type()
    exc.__traceback_text__ = "".join(
        traceback.format_exception(args.exc_type, exc, args.exc_traceback))
    message, detail = describe_exception(exc)
    if _relay is not None:
        _relay.error.emit(message, detail)
    else:
        log.error("%s\n%s", message, detail)


def install_hooks() -> None:
    """Route uncaught exceptions (GUI thread and other threads) to :func:`report_error`."""
    global _relay, _saved_hooks
    if _relay is None:
        _relay = _Relay()
        _relay.error.connect(lambda m, d: report_error(m, d),
                             Qt.ConnectionType.QueuedConnection)
    if _saved_hooks is None:
        _saved_hooks = (sys.excepthook, threading.excepthook)
    sys.excepthook = _excepthook
    threading.excepthook = _threading_hook


def uninstall_hooks() -> None:
    """Restore the hooks :func:`install_hooks` replaced."""
    global _saved_hooks
    if _saved_hooks is not None:
        sys.excepthook, threading.excepthook = _saved_hooks
        _saved_hooks = None
