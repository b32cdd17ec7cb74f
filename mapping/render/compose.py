"""Map composition: the page, map frame and furniture of one exported map.

A :class:`MapComposition` is plain data saved in the project file (a TOML
table per map, via :meth:`MapComposition.to_dict` / :meth:`from_dict`).
:func:`mapping.render.layout.render_composition` draws it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields

from layers.common.errors import InputError

__all__ = ["MapComposition", "PAGE_SIZES_MM", "PNG_COMPRESS_LEVEL", "page_size_mm"]

#: Paper sizes, portrait (width, height) in millimetres.
PAGE_SIZES_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0), "A5": (148.0, 210.0)}

#: zlib level of the PNG maps and charts (:func:`mapping.render.png.write_png`).  Level 1
#: compresses a 300 dpi A4 map in about 0.05 s, a fraction of level 6's time, for a file
#: about 5-15% larger (flat map colours compress well at any level); the pixels are the same.
PNG_COMPRESS_LEVEL = 1


def page_size_mm(page: str, orientation: str = "landscape",
                 width_mm: float | None = None, height_mm: float | None = None):
    """Return the page (width, height) in mm for a named or custom page.

    Raises
    ------
    InputError
        For an unknown page name, orientation, or a custom page without a size.
    """
    if page == "custom":
        if not width_mm or not height_mm or width_mm <= 20 or height_mm <= 20:
            raise InputError("a custom page needs width_mm and height_mm above 20",
                             column="page", fix="set width_mm and height_mm, e.g. 250 and 180")
        return float(width_mm), float(height_mm)
    if page not in PAGE_SIZES_MM:
        raise InputError(f"unknown page size '{page}'", column="page",
                         fix=f"use one of {', '.join(PAGE_SIZES_MM)} or 'custom'")
    w, h = PAGE_SIZES_MM[page]
    if orientation == "landscape":
        return h, w
    if orientation == "portrait":
        return w, h
    raise InputError(f"unknown orientation '{orientation}'", column="orientation",
                     fix="use 'portrait' or 'landscape'")


@dataclass
class MapComposition:
    """One map page.

    Attributes
    ----------
    name : str
        Unique map name; also the exported file stem.
    title, subtitle : str
        Heading lines.
    page : str
        ``"A4"``, ``"A3"``, ``"A5"`` or ``"custom"`` (then ``width_mm``/``height_mm``).
    orientation : str
        ``"landscape"`` or ``"portrait"``.
    extent : list of float or None
        ``[xmin, ymin, xmax, ymax]`` in metres; None = the layers' extent.
    layers : list of str
        Layer names, bottom first; empty = every visible layer.
    style_overrides : dict
        Layer name -> LayerStyle fields for this map only.
    legend_layers : list of str or None
        Layers shown in the legend (None = all drawn layers with a value column).
    legend, scale_bar, north_arrow, show_notes : bool
        Furniture switches.
    attribution : str or None
        None = built automatically from the layers' sources and licences.
    notes : str or None
        None = built from the layers' meta (period, base n, method, parameters,
        data vintage) plus the disclosure rules applied.
    extra_notes : str
        Text appended to the automatic notes.
    label_layer, label_column : str or None
        Optional area labels.
    locator_layer : str or None
        Draw a locator inset showing this layer's full extent.
    dpi : int
        Raster resolution (PNG); stored in the file.
    fictional : bool
        Adds a prominent "FICTIONAL DATA" note.
    """

    name: str = "map"
    title: str = ""
    subtitle: str = ""
    page: str = "A4"
    orientation: str = "landscape"
    width_mm: float | None = None
    height_mm: float | None = None
    extent: list | None = None
    layers: list = field(default_factory=list)
    style_overrides: dict = field(default_factory=dict)
    legend_layers: list | None = None
    legend: bool = True
    scale_bar: bool = True
    north_arrow: bool = True
    show_notes: bool = True
    attribution: str | None = None
    notes: str | None = None
    extra_notes: str = ""
    label_layer: str | None = None
    label_column: str | None = None
    locator_layer: str | None = None
    dpi: int = 300
    fictional: bool = False

    def __post_init__(self):
        page_size_mm(self.page, self.orientation, self.width_mm, self.height_mm)
        if self.extent is not None:
            ext = [float(v) for v in self.extent]
            if len(ext) != 4 or ext[2] <= ext[0] or ext[3] <= ext[1]:
                raise InputError(f"map '{self.name}' has an invalid extent {self.extent}",
                                 column="extent", fix="give [xmin, ymin, xmax, ymax] in metres")
            self.extent = ext
        if int(self.dpi) < 50 or int(self.dpi) > 1200:
            raise InputError(f"dpi {self.dpi} is out of range", column="dpi",
                             fix="use a dpi between 50 and 1200 (300 for print)")
        self.dpi = int(self.dpi)

    @property
    def size_mm(self) -> tuple[float, float]:
        """Page (width, height) in millimetres."""
        return page_size_mm(self.page, self.orientation, self.width_mm, self.height_mm)

    @property
    def slug(self) -> str:
        """A file-name-safe version of :attr:`name`."""
        s = re.sub(r"[^A-Za-z0-9._-]+", "_", self.name).strip("_")
        return s or "map"

    def to_dict(self) -> dict:
        """Return a TOML-safe dict (``None`` values left out)."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict) -> "MapComposition":
        """Build a composition from a project-file table, ignoring unknown keys."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})
