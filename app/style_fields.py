"""Style fields: the two-way widget binding, the colour button, the scheme labels and the
legend preview entries shared by the style editor (:mod:`app.style_editor`) and the
breaks editor (:mod:`app.breaks_editor`).

:func:`bind_field` is the one two-way binding helper: it knows how to read
and write each widget type, writes edits to the layer with
``layer.update_style(field=value)`` and refreshes the widget when the layer
announces ``changed('style')``.  :func:`legend_entries` computes the legend
preview with the same classifier the renderer uses.
"""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QColorDialog, QComboBox, QDoubleSpinBox, QLineEdit, \
    QPushButton, QSpinBox

__all__ = ["MARKERS", "NONE_ITEM", "SCHEME_LABELS", "ColorButton", "bind_field",
           "legend_entries"]

# the combo-box item meaning "no field"
NONE_ITEM = "(none)"
# short enough for the docked panel (the tooltip says what "Automatic" chose for the layer)
SCHEME_LABELS = {"auto": "Automatic", "quantiles": "Quantiles (equal counts)",
                 "fisher_jenks": "Natural breaks (Jenks)", "equal_interval": "Equal intervals",
                 "std_mean": "Standard deviations", "manual": "Manual breaks",
                 "categorical": "Categories", "gistar": "Gi* confidence bins",
                 "bivariate": "Bivariate 3 × 3"}
MARKERS = {"o": "Circle", "s": "Square", "^": "Triangle", "D": "Diamond"}


class ColorButton(QPushButton):
    """A push button showing a colour; clicking opens a colour chooser."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._color = "#000000"
        self.clicked.connect(self._choose)
        self.setMinimumWidth(90)
        self.callback = None

    def color(self) -> str:
        """The colour as ``#rrggbb``."""
        return self._color

    def set_color(self, value: str) -> None:
        """Show a colour (``none`` shows as a blank swatch)."""
        self._color = value
        text = "#000000" if value in ("none", "") else value
        fg = "#000000" if QColor(text).lightness() > 128 else "#ffffff"
        self.setText(value)
        # disabled (a classified layer has no single fill): greyed like the other fields
        self.setStyleSheet(f"QPushButton {{ background-color: {text}; color: {fg}; }} "
                           "QPushButton:disabled { background-color: #e4e4e4; "
                           "color: #a0a0a0; }")

    def _choose(self) -> None:
        start = QColor(self._color) if self._color.startswith("#") else QColor("#000000")
        c = QColorDialog.getColor(start, self, "Choose a colour")
        if c.isValid():
            self.set_color(c.name())
            if self.callback:
                self.callback(c.name())


def _reader_writer(widget):
    """Return (get, set, change-signal) for a widget type."""
    if isinstance(widget, ColorButton):
        return widget.color, widget.set_color, None
    if isinstance(widget, QCheckBox):
        return widget.isChecked, widget.setChecked, widget.toggled
    if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        return widget.value, widget.setValue, widget.valueChanged
    if isinstance(widget, QComboBox):
        def get():
            v = widget.currentData()
            return None if v == NONE_ITEM else v

        def put(value):
            i = widget.findData(NONE_ITEM if value is None else value)
            if i < 0 and value is not None:
                widget.addItem(str(value), value)
                i = widget.count() - 1
            widget.setCurrentIndex(max(i, 0))
        return get, put, widget.currentIndexChanged
    if isinstance(widget, QLineEdit):
        return widget.text, lambda v: widget.setText("" if v is None else str(v)), \
            widget.editingFinished
    raise TypeError(f"cannot bind a {type(widget).__name__}")


def bind_field(widget, field: str, get_layer, *, to_model=None, from_model=None,
               writes: bool = True):
    """Bind ``widget`` two ways to the style field ``field`` of ``get_layer()``.

    Parameters
    ----------
    widget : QWidget
        A combo box (item data = value), spin box, check box, line edit or
        :class:`ColorButton`.
    field : str
        A :class:`~layers.style.LayerStyle` attribute name.
    get_layer : callable
        Returns the layer currently edited (or None).
    to_model, from_model : callable, optional
        Convert widget value to model value and back.
    writes : bool
        False: only refresh the widget (the caller writes edits itself).

    Returns
    -------
    callable
        ``refresh()``: copy the model's value into the widget (signals blocked).
    """
    get, put, signal = _reader_writer(widget)

    def write(*_):
        layer = get_layer()
        if layer is None:
            return
        value = get()
        value = to_model(value) if to_model else value
        if getattr(layer.style, field) != value:
            layer.update_style(**{field: value})

    def refresh():
        layer = get_layer()
        if layer is None:
            return
        value = getattr(layer.style, field)
        widget.blockSignals(True)
        try:
            put(from_model(value) if from_model else value)
        finally:
            widget.blockSignals(False)

    if not writes:
        return refresh
    if signal is not None:
        signal.connect(write)
    else:
        widget.callback = write
    return refresh


def legend_entries(layer) -> list[tuple[str, str]]:
    """(colour, label) pairs the map legend will show for a layer's current style."""
    from mapping.render.classify import classify, classify_categories
    from mapping.render.draw import resolve_style

    style = resolve_style(layer)
    data = layer.data
    col = style.column or (layer.meta or {}).get("value_column")
    if layer.kind == "surface":
        import numpy as np

        v = np.asarray(data.values, dtype=float).ravel()
        c = classify(v[np.isfinite(v) & (v > 0)], style.scheme if style.scheme != "categorical"
                     else "quantiles", style.k, breaks=style.breaks, palette=style.palette)
        return list(zip(c.colors, c.labels))
    if not col or not hasattr(data, "columns") or col not in data.columns:
        return [(style.color, layer.name)]
    s = data[col]
    if style.scheme == "categorical" or s.dtype.kind not in "fiub":
        c = classify_categories(s.to_numpy(), style.categories)
        return list(zip(c.colors, c.labels))[:12]
    c = classify(s.to_numpy(dtype=float), style.scheme, style.k, breaks=style.breaks,
                 palette=style.palette)
    return list(zip(c.colors, c.labels))
