"""The Qt-free document model: :class:`Project` → :class:`LayerStack` → :class:`Layer`.

The GUI observes these objects through their psygnal signals and keeps no
copy of the state; the command line uses the same objects without Qt.
"""

from __future__ import annotations

import copy
from typing import Any

from psygnal import Signal

from layers.style import LayerStyle

__all__ = ["Layer", "LayerGroup", "LayerStack", "LAYER_KINDS", "SENSITIVE_KINDS"]

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
    group : str, optional
        Name of the :class:`LayerGroup` the layer belongs to.  Default: the
        analysis that made it (``source["analysis"]``), so the results of one
        analysis are grouped; boundary and record layers have no group; ``""``
        keeps a result layer out of any group.

    Signals
    -------
    changed(str)
        Emitted with the attribute name after ``style``, ``visible``,
        ``name``, ``data``, ``group`` or ``disabled_reason`` change.
    """

    changed = Signal(str)

    def __init__(self, name: str, data: Any = None, *, kind: str = "areas",
                 style: LayerStyle | None = None, visible: bool = True,
                 source: dict | None = None, meta: dict | None = None,
                 sensitive: bool = False, allow_raw_export: bool = False,
                 group: str | None = None):
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
        self._group = group if group is not None else self.source.get("analysis")

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
    group = property(lambda self: self._group or None,
                     lambda self, v: self._set("group", v or ""))

    def copy(self, *, meta_updates: dict | None = None, **changes) -> "Layer":
        """A detached copy: the same data (shared, read-only), a deep copy of the style,
        copies of ``source`` and ``meta``; keyword ``changes`` replace fields
        (``data``, ``name``, ``style``, ``visible`` ...).

        The one way a layer is copied (shadow workspaces of workers, disclosure
        copies, results handed from a worker to the GUI thread).

        Parameters
        ----------
        meta_updates : dict, optional
            Keys to set in the copy's ``meta`` (on top of the copied ``meta``, or of
            ``changes["meta"]`` when given): ``layer.copy(data=safe,
            meta_updates={"suppressed": n})`` is a disclosure-controlled copy.
        **changes
            Fields of the copy that differ from this layer.
        """
        kw = dict(name=self._name, data=self._data, kind=self.kind,
                  style=copy.deepcopy(self._style), visible=self._visible,
                  source=dict(self.source), meta=dict(self.meta), sensitive=self.sensitive,
                  allow_raw_export=self.allow_raw_export, group=self._group)
        unknown = set(changes) - set(kw)
        if unknown:
            raise TypeError(f"Layer.copy() got unknown field(s): {', '.join(sorted(unknown))}")
        kw.update(changes)
        if meta_updates:
            kw["meta"] = {**(kw["meta"] or {}), **meta_updates}
        new = Layer(kw.pop("name"), kw.pop("data"), **kw)
        new._disabled_reason = self._disabled_reason
        return new

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


class LayerGroup:
    """A named group of layers in the layer list: its own visibility and folding.

    A hidden group hides all its layers (each keeps its own tick, as in QGIS).
    ``title`` is what the layer list shows (default: the name).
    """

    __slots__ = ("name", "title", "visible", "expanded")

    def __init__(self, name: str, *, title: str = "", visible: bool = True,
                 expanded: bool = True):
        self.name, self.title = name, title
        self.visible, self.expanded = bool(visible), bool(expanded)

    def __repr__(self) -> str:
        return f"LayerGroup({self.name!r}, visible={self.visible}, expanded={self.expanded})"

    def to_dict(self) -> dict:
        """The ``[[groups]]`` entry of the project file."""
        d = {"name": self.name, "visible": self.visible, "expanded": self.expanded}
        if self.title:
            d["title"] = self.title
        return d


class LayerStack:
    """An ordered list of layers, drawn bottom (index 0) to top.

    Layers may belong to a :class:`LayerGroup` (``layer.group``); the stack
    keeps one group record per group name in :attr:`groups` (made when its
    first layer arrives, dropped with its last one).

    Signals
    -------
    inserted(int, Layer), removed(int, Layer), moved(int, int), layer_changed(Layer, str),
    group_changed(str, str)
        ``group_changed(name, attr)`` after a group's ``visible`` or
        ``expanded`` changed (``attr``), or it was added or dropped
        (``"added"``, ``"removed"``).
    """

    inserted = Signal(int, object)
    removed = Signal(int, object)
    moved = Signal(int, int)
    layer_changed = Signal(object, str)
    group_changed = Signal(str, str)

    def __init__(self, layers=()):
        self._layers: list[Layer] = []
        self.groups: dict[str, LayerGroup] = {}
        self._saved_groups: dict[str, dict] = {}
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
            if attr == "group":
                self._ensure_group(_layer.group)
                self._drop_empty_groups()
            self.layer_changed.emit(_layer, attr)
        return relay

    # ---------------------------------------------------------------- groups
    def _ensure_group(self, name) -> None:
        if name and name not in self.groups:
            state = self._saved_groups.get(name, {})
            self.groups[name] = LayerGroup(name, title=str(state.get("title", "")),
                                           visible=state.get("visible", True),
                                           expanded=state.get("expanded", True))
            self.group_changed.emit(name, "added")

    def _drop_empty_groups(self) -> None:
        used = {lyr.group for lyr in self._layers}
        for name in [g for g in self.groups if g not in used]:
            self._saved_groups[name] = self.groups.pop(name).to_dict()
            self.group_changed.emit(name, "removed")

    def restore_groups(self, entries) -> None:
        """Take group state (``[[groups]]`` entries: name, visible, expanded, title) for
        groups present now or arriving later (results re-run after a project opens)."""
        for e in entries or ():
            if not isinstance(e, dict) or not e.get("name"):
                continue
            self._saved_groups[str(e["name"])] = dict(e)
            g = self.groups.get(str(e["name"]))
            if g is not None:
                g.title = str(e.get("title", g.title))
                self.set_group(g.name, visible=e.get("visible", g.visible),
                               expanded=e.get("expanded", g.expanded))

    def group_state(self) -> list[dict]:
        """State of every group, present or seen before, for the project file."""
        state = dict(self._saved_groups)
        state.update({n: g.to_dict() for n, g in self.groups.items()})
        return [state[n] for n in sorted(state)]

    def set_group(self, name: str, *, visible: bool | None = None,
                  expanded: bool | None = None) -> None:
        """Show/hide or fold/unfold a group (emits ``group_changed``)."""
        g = self.groups[name]
        for attr, value in (("visible", visible), ("expanded", expanded)):
            if value is not None and bool(value) != getattr(g, attr):
                setattr(g, attr, bool(value))
                self.group_changed.emit(name, attr)

    def group_layers(self, name: str) -> list[Layer]:
        """The layers of a group, bottom to top."""
        return [lyr for lyr in self._layers if lyr.group == name]

    def shown(self, layer: Layer) -> bool:
        """True when the layer is ticked and its group (if any) is shown."""
        g = self.groups.get(layer.group) if layer.group else None
        return layer.visible and (g is None or g.visible)

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
        self._ensure_group(layer.group)
        self.inserted.emit(index, layer)

    def append(self, layer: Layer) -> None:
        """Add a layer on top."""
        self.insert(len(self._layers), layer)

    def remove(self, layer_or_name) -> Layer:
        """Remove a layer and return it."""
        i = self.index(layer_or_name)
        layer = self._pop(i)
        self.removed.emit(i, layer)
        self._drop_empty_groups()
        return layer

    def _pop(self, i: int) -> Layer:
        layer = self._layers.pop(i)
        cb = getattr(layer, "_relay_cb", None)
        if cb is not None:
            layer.changed.disconnect(cb)
        return layer

    def replace(self, old, layer: Layer | None = None) -> Layer | None:
        """Replace a layer in place, keeping its position in the stack.

        ``replace(layer)`` replaces the layer of the same name as ``layer``, or
        adds ``layer`` on top when there is none; ``replace(old, layer)`` puts
        ``layer`` where ``old`` (a layer or a name, which must be in the stack) is.

        A re-run analysis replaces its results in place, so they do not jump
        to the top of the list.  Emits ``removed`` then ``inserted`` at the
        same index; the group of the replaced layer keeps its state.

        Returns
        -------
        Layer or None
            The layer replaced (None when ``layer`` was added on top).
        """
        if layer is None:
            layer = old
            if layer.name not in self:
                self.append(layer)
                return None
            old = layer.name
        i = self.index(old)
        gone = self._pop(i)
        self.removed.emit(i, gone)
        self.insert(i, layer)
        self._drop_empty_groups()
        return gone

    def put(self, layer: Layer) -> None:
        """Same as :meth:`replace` with one layer (kept for older callers)."""
        self.replace(layer)

    def move(self, src: int, dest: int) -> None:
        """Move the layer at ``src`` to position ``dest``."""
        if src == dest:
            return
        layer = self._layers.pop(src)
        self._layers.insert(dest, layer)
        self.moved.emit(src, dest)

    def visible(self) -> list[Layer]:
        """Visible, drawable layers, bottom to top (a hidden group hides its layers)."""
        return [lyr for lyr in self._layers if self.shown(lyr) and lyr.enabled]

    @property
    def bounds(self):
        """Union of the layers' bounds, or None."""
        bs = [b for b in (lyr.bounds for lyr in self._layers) if b is not None]
        if not bs:
            return None
        return (min(b[0] for b in bs), min(b[1] for b in bs),
                max(b[2] for b in bs), max(b[3] for b in bs))
