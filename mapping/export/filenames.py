"""File names made from layer and map names."""

from __future__ import annotations

import re

__all__ = ["slug"]


def slug(name: str) -> str:
    """A file-name-safe version of ``name``: runs of other characters as ``_``, no leading or
    trailing ``.`` or ``_`` (no hidden files), ``"layer"`` when nothing is left."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).strip("._") or "layer"
