"""How a layer is drawn: a plain, Qt-free, serialisable style record.

Renderers (``mapping/``) only read a :class:`LayerStyle`; the GUI's style
editor writes it; the project file stores it as a TOML table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

__all__ = ["LayerStyle"]


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
        Classification scheme key: ``quantiles``, ``fisher_jenks``,
        ``equal_interval``, ``std_mean``, ``manual``, ``categorical``.
    k : int
        Number of classes.
    palette : str
        ColorBrewer palette name (e.g. ``"YlOrRd"``, ``"RdBu_r"``).
    breaks : list of float
        Upper class bounds for ``scheme="manual"``.
    categories : dict
        Category value -> colour for ``scheme="categorical"`` (optional).
    label_column : str or None
        Field to label features with.
    transparent_low : bool
        Draw the lowest class transparent (KDE surfaces).
    legend_title : str
        Legend heading; defaults to the column name and units.
    """

    color: str = "#3182bd"
    edgecolor: str = "#404040"
    linewidth: float = 0.4
    opacity: float = 1.0
    marker: str = "o"
    marker_size: float = 12.0
    column: str | None = None
    scheme: str = "quantiles"
    k: int = 5
    palette: str = "YlOrRd"
    breaks: list = field(default_factory=list)
    categories: dict = field(default_factory=dict)
    label_column: str | None = None
    transparent_low: bool = False
    legend_title: str = ""

    def to_dict(self) -> dict:
        """Return a TOML-safe dict, leaving out ``None`` values."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict | None) -> "LayerStyle":
        """Build a style from a dict, ignoring unknown keys (reported by the project reader)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})
