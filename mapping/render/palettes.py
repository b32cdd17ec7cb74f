"""Colour-blind-safe ColorBrewer palettes and the default map colours.

The ColorBrewer schemes below are the published 9-class (sequential) and
11-class (diverging) colour lists of Cynthia Brewer's ColorBrewer 2.0
(Apache-2.0 licence), restricted to the schemes ColorBrewer marks as
colour-blind safe.  :func:`palette_colors` picks ``k`` evenly spread colours.

Public names
------------
palette_colors, palette_names, GISTAR_CLASSES, GISTAR_COLORS, GISTAR_LABELS,
BIVARIATE_3X3, CATEGORY_COLORS, CATEGORY_MARKERS, NO_DATA_COLOR, SUPPRESSED_COLOR
"""

from __future__ import annotations

import numpy as np

from mapping.core.bivariate import BIVARIATE_3X3  # the grid the gap legend names (re-exported)

__all__ = ["palette_colors", "palette_names", "GISTAR_CLASSES", "GISTAR_COLORS",
           "GISTAR_LABELS", "BIVARIATE_3X3", "CATEGORY_COLORS", "CATEGORY_MARKERS",
           "NO_DATA_COLOR", "SUPPRESSED_COLOR", "DEFAULT_PALETTES"]

#: ColorBrewer colour-blind-safe schemes (sequential: 9 classes; diverging: 11).
_BREWER: dict[str, list[str]] = {
    "YlOrRd": ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c",
               "#bd0026", "#800026"],
    "YlOrBr": ["#ffffe5", "#fff7bc", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02",
               "#993404", "#662506"],
    "OrRd": ["#fff7ec", "#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f",
             "#b30000", "#7f0000"],
    "YlGnBu": ["#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8",
               "#253494", "#081d58"],
    "PuBu": ["#fff7fb", "#ece7f2", "#d0d1e6", "#a6bddb", "#74a9cf", "#3690c0", "#0570b0",
             "#045a8d", "#023858"],
    "Blues": ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5",
              "#08519c", "#08306b"],
    "Greens": ["#f7fcf5", "#e5f5e0", "#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45",
               "#006d2c", "#00441b"],
    "Purples": ["#fcfbfd", "#efedf5", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3",
                "#54278f", "#3f007d"],
    "Oranges": ["#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801",
                "#a63603", "#7f2704"],
    "Greys": ["#ffffff", "#f0f0f0", "#d9d9d9", "#bdbdbd", "#969696", "#737373", "#525252",
              "#252525", "#000000"],
    "Reds": ["#fff5f0", "#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d",
             "#a50f15", "#67000d"],
    "RdPu": ["#fff7f3", "#fde0dd", "#fcc5c0", "#fa9fb5", "#f768a1", "#dd3497", "#ae017e",
             "#7a0177", "#49006a"],
    "BuPu": ["#f7fcfd", "#e0ecf4", "#bfd3e6", "#9ebcda", "#8c96c6", "#8c6bb1", "#88419d",
             "#810f7c", "#4d004b"],
    "GnBu": ["#f7fcf0", "#e0f3db", "#ccebc5", "#a8ddb5", "#7bccc4", "#4eb3d3", "#2b8cbe",
             "#0868ac", "#084081"],
    "YlGn": ["#ffffe5", "#f7fcb9", "#d9f0a3", "#addd8e", "#78c679", "#41ab5d", "#238443",
             "#006837", "#004529"],
    "RdBu": ["#67001f", "#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7", "#d1e5f0",
             "#92c5de", "#4393c3", "#2166ac", "#053061"],
    "RdYlBu": ["#a50026", "#d73027", "#f46d43", "#fdae61", "#fee090", "#ffffbf", "#e0f3f8",
               "#abd9e9", "#74add1", "#4575b4", "#313695"],
    "PuOr": ["#7f3b08", "#b35806", "#e08214", "#fdb863", "#fee0b6", "#f7f7f7", "#d8daeb",
             "#b2abd2", "#8073ac", "#542788", "#2d004b"],
    "BrBG": ["#543005", "#8c510a", "#bf812d", "#dfc27d", "#f6e8c3", "#f5f5f5", "#c7eae5",
             "#80cdc1", "#35978f", "#01665e", "#003c30"],
    "PRGn": ["#40004b", "#762a83", "#9970ab", "#c2a5cf", "#e7d4e8", "#f7f7f7", "#d9f0d3",
             "#a6dba0", "#5aae61", "#1b7837", "#00441b"],
}

#: Default palette per purpose.
DEFAULT_PALETTES = {"rate": "YlOrRd", "count": "YlOrRd", "surface": "YlOrRd",
                    "diverging": "RdBu_r", "access": "PuBu", "deprivation": "Purples"}

#: Gi* confidence-bin classes, cold to hot; 0 is "not significant".
GISTAR_CLASSES = (-3, -2, -1, 0, 1, 2, 3)
#: Cold-to-hot ColorBrewer RdBu with neutral grey for "not significant".
GISTAR_COLORS = ("#2166ac", "#67a9cf", "#d1e5f0", "#d9d9d9", "#fddbc7", "#ef8a62", "#b2182b")
GISTAR_LABELS = ("Cold spot, 99% confidence", "Cold spot, 95% confidence",
                 "Cold spot, 90% confidence", "Not significant",
                 "Hot spot, 90% confidence", "Hot spot, 95% confidence",
                 "Hot spot, 99% confidence")

#: Categorical point colours (ColorBrewer Dark2, colour-blind safe for up to 3,
#: shape-coded beyond that) and marker shapes cycled alongside.
CATEGORY_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
                   "#a6761d", "#666666")
CATEGORY_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

NO_DATA_COLOR = "#ffffff"
SUPPRESSED_COLOR = "#cccccc"


def palette_names() -> list[str]:
    """Names accepted by :func:`palette_colors` (append ``_r`` to reverse)."""
    return sorted(_BREWER) + ["gistar", "bivariate"]


def palette_colors(name: str, k: int) -> list[str]:
    """Return ``k`` hex colours from a ColorBrewer scheme, light to dark.

    Parameters
    ----------
    name : str
        Scheme name, e.g. ``"YlOrRd"``; ``"RdBu_r"`` reverses ``"RdBu"``.
    k : int
        Number of classes (1 or more).

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        If the palette is unknown.

    Examples
    --------
    >>> palette_colors("Blues", 3)
    ['#deebf7', '#4292c6', '#08306b']
    """
    reverse = name.endswith("_r")
    base = name[:-2] if reverse else name
    if reverse:
        return palette_colors(base, k)[::-1]
    if base == "gistar":
        cols = list(GISTAR_COLORS)
    elif base not in _BREWER:
        return _matplotlib_palette(name, base, k)
    else:
        cols = list(_BREWER[base])
    k = max(1, int(k))
    if k == 1:
        return [cols[len(cols) // 2]]
    if base in _BREWER and len(cols) == 9 and k <= 7:
        cols = cols[1:]  # skip the near-white first colour so class 1 shows on white paper
    idx = np.round(np.linspace(0, len(cols) - 1, k)).astype(int)
    return [cols[i] for i in idx]


def _matplotlib_palette(name: str, base: str, k: int) -> list[str]:
    """Sample a matplotlib colormap (it has every ColorBrewer name) for other palettes."""
    import matplotlib
    from matplotlib.colors import to_hex

    try:
        cmap = matplotlib.colormaps[base]
    except KeyError:
        raise ValueError(f"unknown palette {name!r}; use one of "
                         f"{', '.join(palette_names())}") from None
    k = max(1, int(k))
    pos = [0.5] if k == 1 else list(np.linspace(0.12, 1.0, k))
    return [to_hex(cmap(p)) for p in pos]


def hex_to_rgba(color: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """Convert ``#rrggbb`` to an RGBA tuple of floats in 0..1."""
    c = color.lstrip("#")
    return (int(c[0:2], 16) / 255, int(c[2:4], 16) / 255, int(c[4:6], 16) / 255, float(alpha))
