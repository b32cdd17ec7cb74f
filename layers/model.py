"""The Qt-free document model: :class:`Project` → :class:`LayerStack` → :class:`Layer`.

The GUI observes these objects through their psygnal signals and keeps no
copy of the state; the command line uses the same objects without Qt.
"""

from __future__ import annotations

from typing import Any

from psygnal import Signal

from layers.style import LayerStyle

__all__ = ["Layer", "LayerStack", "LAYER_KINDS", "SENSITIVE_KINDS"]

#: What a layer's ``data`` holds.
LAYER_KINDS = ("areas", "points", "grid", "surface", "table", "figure", "basemap")

#: Record kinds that are sensitive by default (disclosure control).
SENSITIVE_KINDS = frozenset({"arrests", "offences", "needles", "crack_houses", "clients",
                             "police_uk", "stop_search", "seizures"})


class Layer:
    """One layer: data, style, visibility and source, kept separate.

    Parameters
    ----------
    name : str
        Unique name in the project.
    data : GeoDataFrame, DataFrame or Surface
        The features (EPSG:27700) or the raster surface.
    kind : str
        One of :data:`LAYER_KINDS`.
    style : LayerStyle, optional
        Symbology; renderers only read it.
    visible : bool
        Drawn or not.
    source : dict, optional
        Where the layer came from: a boundary/record entry of the project
        file, or ``{"analysis": name}`` for results.
    meta : dict, optional
        ``title``, ``units``, ``value_column``, ``method``, ``params``,
        ``base_n``, ``period``, ``notes``, ``attribution``, ``fictional``.
    sensitive : bool
        Raw points of a sensitive layer never leave hotmap unless allowed.

    Signals
    -------
    changed(str)
        Emitted with the attribute name after ``style``, ``visible``,
        ``name``, ``data`` or ``disabled_reason`` change.
    """

    changed = Signal(str)

    def __init__(self, name: str, data: Any = None, *, kind: str = "areas",
                 style: LayerStyle | None = None, visible: bool = True,
                 source: dict | None = None, meta: dict | None = None,
                 sensitive: bool = False, allow_raw_export: bool = False):
        if kind not in LAYER_KINDS:
            raise ValueError(f"unknown layer kind {kind!r}; use one of {LAYER_KINDS}")
        self._name = name
        self._data = data
        self.kind = kind
        self._style = style or LayerStyle()
        self._visible = visible
        self.source = dict(source or {})
        self.meta = dict(meta or {})
        self.sensitive = sensitive
        self.allow_raw_export = allow_raw_export
        self._disabled_reason: str | None = None

    def __repr__(self) -> str:
        n = "" if self._data is None or not hasattr(self._data, "__len__") else f", n={len(self._data)}"
        return f"Layer({self._name!r}, kind={self.kind!r}{n})"

    def _set(self, attr: str, value):
        setattr(self, f"_{attr}", value)
        self.changed.emit(attr)

    name = property(lambda self: self._name, lambda self, v: self._set("name", v))
    data = property(lambda self: self._data, lambda self, v: self._set("data", v))
    style = property(lambda self: self._style, lambda self, v: self._set("style", v))
    visible = property(lambda self: self._visible, lambda self, v: self._set("visible", bool(v)))
    disabled_reason = property(lambda self: self._disabled_reason,
                               lambda self, v: self._set("disabled_reason", v))

    @property
    def enabled(self) -> bool:
        """False when the layer cannot be drawn; :attr:`disabled_reason` says why."""
        return self._disabled_reason is None

    def disable(self, reason: str) -> None:
        """Mark the layer as not drawable, with a reason the user can read."""
        self.disabled_reason = reason

    def update_style(self, **changes) -> None:
        """Change style fields by name and emit one ``changed('style')``."""
        for key, value in changes.items():
            if not hasattr(self._style, key):
                raise AttributeError(f"LayerStyle has no field {key!r}")
            setattr(self._style, key, value)
        self.changed.emit("style")

    @property
    def bounds(self):
        """(xmin, ymin, xmax, ymax) of the data in metres, or None if empty."""
        d = self._data
        if d is None or self.kind == "basemap":  # a basemap never sets the map's extent
            return None
        if hasattr(d, "bounds") and not hasattr(d, "total_bounds"):
            return tuple(d.bounds)  # Surface
        if hasattr(d, "total_bounds") and len(d):
            b = d.total_bounds
            return tuple(float(v) for v in b) if all(map(lambda v: v == v, b)) else None
        return None


class LayerStack:
    """An ordered list of layers, drawn bottom (index 0) to top.

    Signals
    -------
    inserted(int, Layer), removed(int, Layer), moved(int, int), layer_changed(Layer, str)
    """

    inserted = Signal(int, object)
    removed = Signal(int, object)
    moved = Signal(int, int)
    layer_changed = Signal(object, str)

    def __init__(self, layers=()):
        self._layers: list[Layer] = []
        for layer in layers:
            self.append(layer)

    def __len__(self):
        return len(self._layers)

    def __iter__(self):
        return iter(list(self._layers))

    def __getitem__(self, key) -> Layer:
        if isinstance(key, str):
            for layer in self._layers:
                if layer.name == key:
                    return layer
            raise KeyError(f"no layer called {key!r}")
        return self._layers[key]

    def __contains__(self, name) -> bool:
        return any(layer.name == name for layer in self._layers)

    def names(self) -> list[str]:
        """Layer names, bottom to top."""
        return [layer.name for layer in self._layers]

    def index(self, layer_or_name) -> int:
        """Position of a layer (or layer name) in the stack."""
        name = layer_or_name if isinstance(layer_or_name, str) else layer_or_name.name
        return self.names().index(name)

    def _relay(self, layer):
        def relay(attr, _layer=layer):
            self.layer_changed.emit(_layer, attr)
        return relay

    def insert(self, index: int, layer: Layer) -> None:
        """Insert a layer; a name already in the stack gets a numeric suffix."""
        base, i = layer.name, 2
        while layer.name in self:
            layer._name = f"{base} ({i})"
            i += 1
        index = max(0, min(index, len(self._layers)))
        self._layers.insert(index, layer)
        layer._relay_cb = self._relay(layer)
        layer.changed.connect(layer._relay_cb)
        self.inserted.emit(index, layer)

    def append(self, layer: Layer) -> None:
        """Add a layer on top."""
        self.insert(len(self._layers), layer)

    def remove(self, layer_or_name) -> Layer:
        """Remove a layer and return it."""
        i = self.index(layer_or_name)
        layer = self._layers.pop(i)
        cb = getattr(layer, "_relay_cb", None)
        if cb is not None:
            layer.changed.disconnect(cb)
        self.removed.emit(i, layer)
        return layer

    def move(self, src: int, dest: int) -> None:
        """Move the layer at ``src`` to position ``dest``."""
        if src == dest:
            return
        layer = self._layers.pop(src)
        self._layers.insert(dest, layer)
        self.moved.emit(src, dest)

    def visible(self) -> list[Layer]:
        """Visible, drawable layers, bottom to top."""
        return [lyr for lyr in self._layers if lyr.visible and lyr.enabled]

    @property
    def bounds(self):
        """Union of the layers' bounds, or None."""
        bs = [b for b in (lyr.bounds for lyr in self._layers) if b is not None]
        if not bs:
            return None
        return (min(b[0] for b in bs), min(b[1] for b in bs),
                max(b[2] for b in bs), max(b[3] for b in bs))
