"""Class edges shared by a series of maps (the KDEs or rates of 2023 and 2024).

A layer style's ``shared_scale`` names a scale.  :class:`SharedScales` finds
the edges of each named scale once, on the pooled values of every layer of a
pool (the project's layers) whose resolved style names it, with the scheme,
``k`` and breaks of the first such layer in the pool's order; the renderer
then classifies each of them with those edges
(:func:`mapping.render.classify.apply_scale`), so a colour means the same value on
every map of the series.  Empty classes are kept: they are part of the scale.
"""

from __future__ import annotations

import numpy as np

from mapping.render.classify import ClassScale, class_scale
from mapping.render.styling import resolve_style, value_column

__all__ = ["SharedScales"]


class SharedScales:
    """Class edges shared by every layer of ``pool`` whose style names the same scale.

    Parameters
    ----------
    pool : iterable of Layer
        Where to look for the members of a scale (all the project's layers,
        hidden ones too; disclosure-safe copies for exported maps).
    overrides : dict, optional
        Layer name -> style overrides of the map being drawn.
    """

    def __init__(self, pool=(), overrides: dict | None = None):
        self.pool = [lyr for lyr in pool if getattr(lyr, "data", None) is not None]
        self.overrides = overrides or {}
        self._cache: dict = {}

    def members(self, name: str) -> list:
        """(layer, resolved style) of every layer on the scale, in pool order."""
        out = []
        for lyr in self.pool:
            if lyr.kind not in ("areas", "grid", "surface"):
                continue
            st = resolve_style(lyr, self.overrides.get(lyr.name))
            if getattr(st, "shared_scale", "") == name:
                out.append((lyr, st))
        return out

    def get(self, name: str) -> ClassScale | None:
        """The shared edges for scale ``name`` (None when it cannot be shared)."""
        if not name:
            return None
        if name not in self._cache:
            self._cache[name] = self._compute(name)
        return self._cache[name]

    def _compute(self, name):
        import pandas as pd

        members = self.members(name)
        if not members:
            return None
        first = members[0][1]
        if first.scheme in ("gistar", "categorical", "bivariate"):
            return None  # fixed or categorical classes mean the same on every map already
        values, surface = [], False
        for lyr, st in members:
            if lyr.kind == "surface":
                v = np.asarray(lyr.data.values, float).ravel()
                values.append(v[np.isfinite(v) & (v > 0)])
                surface = True
                continue
            col = value_column(lyr, st)
            if col and hasattr(lyr.data, "columns") and col in lyr.data.columns:
                values.append(pd.to_numeric(lyr.data[col], errors="coerce").to_numpy(float))
        if not values:
            return None
        return class_scale(np.concatenate(values), first.scheme, first.k, breaks=first.breaks,
                           zero_class=False if surface else None,
                           start=0.0 if surface else None).with_fixed()
