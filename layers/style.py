"""How a layer is drawn: a plain, Qt-free, serialisable style record.

Renderers (``mapping/``) only read a :class:`LayerStyle`; the GUI's style
editor writes it; the project file stores it as a TOML table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

__all__ = ["LayerStyle", "RECORD_COLOURS", "next_record_colour"]

#: Default colours of record (point) layers, one per layer in turn: ColorBrewer Set1/Dark2
#: hues that stay apart on a pale boundary map and from each other.
RECORD_COLOURS = ("#d7301f", "#2171b5", "#238b45", "#6a51a3", "#cc4c02", "#1d91c0",
                  "#ae017e", "#525252")


def _rgb(hex_colour: str):
    h = str(hex_colour).lstrip("#")
    try:
        return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4)) if len(h) == 6 else None
    except ValueError:
        return None


def next_record_colour(used) -> str:
    """The first of :data:`RECORD_COLOURS` not close to a colour in ``used``.

    "Close" is within 80 of 441 in RGB space (e.g. two greens a reader would
    take for one layer); when every colour is taken the cycle repeats.
    """
    used_rgb = [c for c in (_rgb(u) for u in used) if c is not None]
    for c in RECORD_COLOURS:
        rgb = _rgb(c)
        if all(sum((a - b) ** 2 for a, b in zip(rgb, u)) ** 0.5 >= 80 for u in used_rgb):
            return c
    return RECORD_COLOURS[len(list(used)) % len(RECORD_COLOURS)]


@dataclass
class LayerStyle:
    """Symbology of one layer.

    Attributes
    ----------
    color : str
        Fill colour for single-symbol polygons and points (hex).
    edgecolor : str
        Outline colour (hex), or ``"none"``.
    linewidth : float
        Outline width in points.
    opacity : float
        0 (transparent) to 1 (opaque).
    marker : str
        Point symbol: ``"o"`` circle, ``"s"`` square, ``"^"`` triangle, ``"D"`` diamond.
    marker_size : float
        Point symbol size in points.
    column : str or None
        Field to classify (choropleth, graduated or categorical symbols).
    scheme : str
        Classification scheme key: ``auto`` (default: hotmap's choice for the
        layer, the same on screen and in every export; see
        :mod:`mapping.render.styling`), ``quantiles``, ``fisher_jenks``,
        ``equal_interval``, ``std_mean``, ``manual``, ``categorical``, ``gistar``.
    k : int
        Number of classes (a class of zeros, when there is one, included).
    palette : str
        ColorBrewer palette name (e.g. ``"YlOrRd"``, ``"RdBu_r"``).
    breaks : list of float
        Upper class bounds for ``scheme="manual"``, ascending; values above the
        last bound get one more class up to the maximum.
    categories : dict
        Category value -> colour for ``scheme="categorical"`` (optional).
    label_column : str or None
        Field to label features with.
    transparent_low : bool
        Draw the lowest class transparent (KDE surfaces).
    legend_title : str
        Legend heading; defaults to the column name and units.
    shared_scale : str
        Name of a shared scale: layers with the same non-empty name (e.g. the
        maps of a series, one per year) are classified on one scale, so a
        colour means the same value on every map.  ``""``: the layer's own scale.
    """

    color: str = "#3182bd"
    edgecolor: str = "#404040"
    linewidth: float = 0.4
    opacity: float = 1.0
    marker: str = "o"
    marker_size: float = 12.0
    column: str | None = None
    scheme: str = "auto"
    k: int = 5
    palette: str = "YlOrRd"
    breaks: list = field(default_factory=list)
    categories: dict = field(default_factory=dict)
    label_column: str | None = None
    transparent_low: bool = False
    legend_title: str = ""
    shared_scale: str = ""

    def to_dict(self) -> dict:
        """Return a TOML-safe dict, leaving out ``None`` values."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict | None) -> "LayerStyle":
        """Build a style from a dict, ignoring unknown keys (reported by the project reader)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})
