"""Exceptions raised by the Qt-free core.

Model code raises; only ``app/`` shows errors.  Every error a user can cause
is an :class:`InputError` whose message says *what* is wrong, *where* (file,
row, column) and *how to fix it*, so the command line can print it on one line
and the GUI can show it in a dialog.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["HotmapError", "InputError", "ProjectError", "AnalysisError", "ResourceLimitError",
           "term", "render_terms"]

#: A parameter named in a message, rendered in the words of the front the user is on.
_TERM = re.compile("\u27e6([A-Za-z_][A-Za-z0-9_]*)\u27e7")


def term(name: str) -> str:
    """Mark a parameter name in a message: ``term("area_id")``.

    The command line shows it as its flag (``--area-id``), the project front
    as its key (``area_id``) and the GUI as its field label ("Area code field").
    """
    return f"\u27e6{name}\u27e7"


def render_terms(text: str, words=None) -> str:
    """Replace :func:`term` marks with ``words(name)`` (default: the name itself)."""
    if not text or "\u27e6" not in text:
        return text
    fn = words if callable(words) else (lambda n: (words or {}).get(n, n))
    return _TERM.sub(lambda m: fn(m.group(1)) or m.group(1), text)


class HotmapError(Exception):
    """Base class of every error hotmap raises on purpose."""


class InputError(HotmapError, ValueError):
    """Unusable user input: a file, a column, a parameter.

    Parameters
    ----------
    problem : str
        What is wrong, in plain words.
    path : str or Path, optional
        The file concerned.
    row : int, optional
        1-based data row number in the file (header excluded), if known.
    column : str, optional
        The column or field concerned.
    fix : str, optional
        What the user should do about it.

    Examples
    --------
    >>> str(InputError("no 'Easting' column", path="a.csv", fix="map the x column"))
    "a.csv: no 'Easting' column. Fix: map the x column"
    """

    def __init__(self, problem, *, path=None, row=None, column=None, fix=None):
        self.problem = problem
        self.path = None if path is None else str(path)
        self.row = row
        self.column = column
        self.fix = fix
        super().__init__(render_terms(self._format()))

    def render(self, words=None) -> str:
        """The message with parameter names in a front's words (see :func:`term`)."""
        return render_terms(self._format(), words)

    def localise(self, words) -> "InputError":
        """Put the message in a front's words for good (its ``str`` too); returns self."""
        self.problem = render_terms(str(self.problem), words)
        self.fix = render_terms(self.fix, words) if self.fix else self.fix
        self.args = (self._format(),)
        return self

    def _format(self) -> str:
        where = []
        if self.path is not None:
            where.append(Path(self.path).name if len(self.path) > 80 else self.path)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = (", ".join(where) + ": " if where else "") + self.problem
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


class ProjectError(InputError):
    """A project file that cannot be read, or that refers to missing data."""


class AnalysisError(InputError):
    """Parameters or data that an analysis cannot work with (e.g. geographic CRS)."""


class ResourceLimitError(InputError):
    """A job that would need more memory or time than the machine has."""
