"""The bivariate 3x3 colour grid, shared by the gap analysis and the renderer.

:func:`mapping.stats.gaps.bivariate_legend` names each of the nine deprivation x
access classes with its colour, and the renderer (:mod:`mapping.render.palettes`,
which re-exports :data:`BIVARIATE_3X3`) paints the map and its legend with the same
grid, so the legend table and the map always agree.
"""

from __future__ import annotations

__all__ = ["BIVARIATE_3X3"]

#: Bivariate 3x3 palette (Stevens' blue-pink, colour-blind tolerant):
#: ``BIVARIATE_3X3[i][j]`` is x class i (low→high), y class j (low→high).
BIVARIATE_3X3 = (("#e8e8e8", "#ace4e4", "#5ac8c8"),
                 ("#dfb0d6", "#a5add3", "#5698b9"),
                 ("#be64ac", "#8c62aa", "#3b4994"))
