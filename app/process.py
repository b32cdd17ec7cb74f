"""What kind of process hotmap runs in: the ``hotmap`` command's own (which ends when its
verb returns) or a longer-lived one that calls :func:`app.cli.main` (the tests, the GUI).

:func:`app.cli.entry` marks the command's process; verbs ask :func:`one_shot` before doing
what only a process about to end may do (``hotmap run`` exempting what lives to the end
from garbage collection).
"""

from __future__ import annotations

__all__ = ["one_shot", "mark_one_shot"]

_ONE_SHOT = False


def mark_one_shot() -> None:
    """Mark this process as the ``hotmap`` command's own: it ends when the verb returns."""
    global _ONE_SHOT
    _ONE_SHOT = True


def one_shot() -> bool:
    """True in the ``hotmap`` command's own process (see :func:`mark_one_shot`)."""
    return _ONE_SHOT
