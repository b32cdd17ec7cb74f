"""The style editor: widgets bound to :class:`layers.style.LayerStyle` fields by name.

Each widget is bound with :func:`app.style_fields.bind_field`, which writes edits
to the layer with ``layer.update_style(field=value)`` and refreshes the widget
when the layer announces ``changed('style')``.  The editor keeps no copy of the
style: with no layer (a new project) every widget shows the defaults.  A live
legend preview (:func:`app.style_fields.legend_entries`) is computed with the
same classifier the renderer uses.

Choosing "Manual breaks" starts from the breaks of the scheme shown before
(so the map never goes blank) and "Breaks…" opens the breaks editor
(:mod:`app.breaks_editor`).  "Shared scale" puts the layer on a scale shared
with other layers of the same name (``LayerStyle.shared_scale``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from app.breaks_editor import BreaksEditorDialog, shown_breaks
from app.style_fields import MARKERS, NONE_ITEM, SCHEME_LABELS, ColorButton, bind_field, \
    legend_entries

__all__ = ["StyleEditorWidget"]


class StyleEditorWidget(QWidget):
    """Edit the style of one layer; every change is live on the map."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.layer = None
        self.heading = QLabel("Select a layer to style it.", self)
        self.heading.setWordWrap(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        scheme_row = self._make_widgets()
        for label, w, tip in self._rows(scheme_row):
            w.setToolTip(tip)
            form.addRow(label, w)
        self._bind()
        self._lay_out(form)

    def _make_widgets(self) -> QWidget:
        """One widget per style field; returns the scheme row (scheme and "Breaks…")."""
        self.color = ColorButton(self)
        self.edgecolor = ColorButton(self)
        self.linewidth = QDoubleSpinBox(self, minimum=0.0, maximum=10.0, singleStep=0.1,
                                        suffix=" pt")
        self.opacity = QDoubleSpinBox(self, minimum=0.0, maximum=1.0, singleStep=0.05)
        self.marker = QComboBox(self)
        for key, text in MARKERS.items():
            self.marker.addItem(text, key)
        self.marker_size = QDoubleSpinBox(self, minimum=1.0, maximum=400.0, singleStep=2.0,
                                          suffix=" pt²")
        self.column = QComboBox(self)
        self.scheme = QComboBox(self)
        self.breaks_button = QPushButton("Breaks…", self)
        self.breaks_button.setToolTip("See the values and edit the class edges (manual breaks)")
        self.breaks_button.clicked.connect(self.edit_breaks)
        scheme_row = QWidget(self)
        sr = QHBoxLayout(scheme_row)
        sr.setContentsMargins(0, 0, 0, 0)
        sr.addWidget(self.scheme, 1)
        sr.addWidget(self.breaks_button)
        self.k = QSpinBox(self, minimum=2, maximum=9)
        self.shared_scale = QComboBox(self)
        self.breaks_dialog = None
        self.palette = QComboBox(self)
        self._registries_loaded = False
        self.label_column = QComboBox(self)
        self.transparent_low = QCheckBox("Lowest class transparent", self)
        self.legend_title = QLineEdit(self)
        self.legend_title.setPlaceholderText("default: the layer title and units")
        return scheme_row

    def _rows(self, scheme_row) -> list:
        """(label, widget, tooltip) of each row of the form."""
        return [("Fill colour", self.color, "Colour of single-symbol areas and points"),
                ("Outline", self.edgecolor, "Colour of area outlines and point edges"),
                ("Outline width", self.linewidth, "Outline width in points (1/72 inch)"),
                ("Opacity", self.opacity, "0 = invisible, 1 = solid"),
                ("Point symbol", self.marker, "Shape of point symbols"),
                ("Point size", self.marker_size, "Symbol area in square points"),
                ("Classify by", self.column, "The field whose values colour the features; "
                                             "(none) draws one colour"),
                ("Scheme", scheme_row, "How values are split into classes"),
                ("Classes", self.k, "Number of classes (2-9)"),
                ("Shared scale", self.shared_scale, "Give the maps of a series (e.g. one per "
                 "year) the same scale name, so a colour means the same value on each"),
                ("Palette", self.palette, "ColorBrewer colours, light to dark"),
                ("Labels", self.label_column, "Field to write on each area (up to 400 areas)"),
                ("", self.transparent_low, "For hotspot surfaces: hide the lowest class"),
                ("Legend title", self.legend_title, "Heading of this layer in the legend")]

    def _bind(self) -> None:
        """Bind each widget to its style field (the scheme has its own writer)."""
        self.refreshers = []
        for name in ("color", "edgecolor", "linewidth", "opacity", "marker", "marker_size",
                     "column", "k", "palette", "label_column", "transparent_low",
                     "legend_title", "shared_scale"):
            self.refreshers.append(bind_field(getattr(self, name), name, lambda: self.layer))
        # the scheme has its own writer: "manual" starts from the breaks shown before
        self.refreshers.append(bind_field(self.scheme, "scheme", lambda: self.layer,
                                          writes=False))
        self.scheme.currentIndexChanged.connect(self._scheme_chosen)

    def _lay_out(self, form) -> None:
        """The heading, the form and the legend preview."""
        self.legend = QLabel(self)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setAccessibleName("Legend preview")
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addLayout(form)
        lay.addWidget(QLabel("<b>Legend preview</b>", self))
        lay.addWidget(self.legend)
        lay.addStretch(1)
        self.setEnabled(False)

    def _load_registries(self) -> None:
        """Fill the scheme and palette lists from the renderer's registries (on first use)."""
        if self._registries_loaded:
            return
        from mapping.render.classify import scheme_names
        from mapping.render.palettes import palette_names

        self.scheme.blockSignals(True)
        self.palette.blockSignals(True)
        for key in [*scheme_names(), "categorical", "gistar"]:
            i = self.scheme.findData(key)
            if i < 0:
                self.scheme.addItem(SCHEME_LABELS.get(key, key), key)
            else:  # shown before the registry loaded (a default): give it its label
                self.scheme.setItemText(i, SCHEME_LABELS.get(key, key))
        for name in palette_names():
            for text, key in ((name, name), (f"{name} (reversed)", f"{name}_r")):
                i = self.palette.findData(key)
                if i < 0:
                    self.palette.addItem(text, key)
                else:
                    self.palette.setItemText(i, text)
        self.scheme.blockSignals(False)
        self.palette.blockSignals(False)
        self._registries_loaded = True

    def set_layer(self, layer) -> None:
        """Edit ``layer`` (None: nothing; the widgets go back to the defaults)."""
        if self.layer is not None:
            try:
                self.layer.changed.disconnect(self._on_changed)
            except (TypeError, ValueError, RuntimeError):
                pass
        if self.breaks_dialog is not None:
            self.breaks_dialog.close()
            self.breaks_dialog = None
        self.layer = layer
        self.setEnabled(layer is not None and layer.kind not in ("table", "figure"))
        cols = []
        if layer is not None and hasattr(layer.data, "columns"):
            geom = getattr(layer.data, "_geometry_column_name", None)
            cols = [c for c in layer.data.columns if c != geom]
        for combo in (self.column, self.label_column):
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(NONE_ITEM, NONE_ITEM)
            for c in cols:
                combo.addItem(str(c), c)
            combo.blockSignals(False)
        self._fill_shared_scales()
        if layer is None:
            self.heading.setText("Select a layer to style it.")
            self.legend.clear()
            self.entries = []
            self._show_defaults()
            return
        self._load_registries()
        layer.changed.connect(self._on_changed)
        self.heading.setText(f"<b>{layer.name}</b> ({layer.kind})")
        self.refresh()

    def _show_defaults(self) -> None:
        """Show a default style in every widget (nothing is written: there is no layer)."""
        from layers.style import LayerStyle

        class _Blank:
            style = LayerStyle()

        real, self.layer = self.layer, _Blank()
        try:
            for r in self.refreshers:
                r()
        finally:
            self.layer = real

    def _fill_shared_scales(self) -> None:
        """Scale names used in the document, plus a new one and "this layer only"."""
        combo = self.shared_scale
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("(this layer only)", "")
        ws = getattr(self.window(), "current_workspace", None)  # the window's document, if any
        stack = getattr(ws, "layers", None)
        names = sorted({lyr.style.shared_scale for lyr in (stack or [])
                        if lyr.style.shared_scale})
        for n in names:
            k = sum(1 for lyr in stack if lyr.style.shared_scale == n)
            combo.addItem(f"{n} (used by {k} layer{'s' if k != 1 else ''})", n)
        if self.layer is not None:
            base = (self.layer.source.get("kind") or self.layer.kind).replace("_", " ")
            new, i = f"{base} scale", 2
            while new in names:
                new, i = f"{base} scale {i}", i + 1
            combo.addItem(f"New shared scale: {new}", new)
        combo.blockSignals(False)

    def _scheme_chosen(self, *_) -> None:
        layer = self.layer
        scheme = self.scheme.currentData()
        if layer is None or scheme is None or scheme == layer.style.scheme:
            return
        if scheme == "manual" and not layer.style.breaks:
            try:  # start from the classes the map shows now, so it never goes blank
                breaks = shown_breaks(layer)
            except Exception:  # noqa: BLE001 - no usable values: the editor will say so
                breaks = []
            layer.update_style(scheme="manual", breaks=breaks)
        else:
            layer.update_style(scheme=scheme)

    def edit_breaks(self):
        """Open the breaks editor on the layer; returns the dialog."""
        if self.layer is None:
            return None
        if self.breaks_dialog is not None:
            self.breaks_dialog.close()
        self.breaks_dialog = BreaksEditorDialog(self.layer, self)
        self.breaks_dialog.show()
        return self.breaks_dialog

    def _on_changed(self, attr: str) -> None:
        if attr in ("style", "data"):
            self.refresh()

    def refresh(self) -> None:
        """Copy the layer's style into the widgets and redraw the legend preview."""
        if self.layer is not None and self.shared_scale.findData(
                self.layer.style.shared_scale) < 0:
            self._fill_shared_scales()
        for r in self.refreshers:
            r()
        st = self.layer.style if self.layer is not None else None
        numeric = st is not None and st.scheme not in ("categorical", "gistar", "bivariate") \
            and (st.column or self.layer.kind == "surface"
                 or (self.layer.meta or {}).get("value_column"))
        self.breaks_button.setEnabled(bool(numeric))
        self.k.setEnabled(st is None or st.scheme not in ("manual", "categorical", "gistar"))
        self._enable_for_layer()
        self._update_legend()

    def _enable_for_layer(self) -> None:
        """Only the settings that change how this layer is drawn can be edited: point
        symbols for points, a fill colour when one colour is drawn, the scheme, classes,
        palette and shared scale when the layer is classified."""
        layer = self.layer
        if layer is None:
            return
        from mapping.render.draw import resolve_style

        st = layer.style
        surface = layer.kind == "surface"
        classified = surface or bool(st.column) or bool((layer.meta or {}).get("value_column"))
        points = layer.kind == "points"
        self.color.setEnabled(not classified)
        self.marker.setEnabled(points)
        self.marker_size.setEnabled(points)
        self.column.setEnabled(not surface)
        for w in (self.scheme, self.palette, self.shared_scale):
            w.setEnabled(classified)
        if not classified:
            self.k.setEnabled(False)
            self.breaks_button.setEnabled(False)
        self.transparent_low.setEnabled(classified)
        self.label_column.setEnabled(layer.kind in ("areas", "grid"))
        tip = "How values are split into classes"
        if classified and st.scheme == "auto":
            try:
                chosen = resolve_style(layer).scheme
                tip += f"; Automatic chooses {SCHEME_LABELS.get(chosen, chosen)} for this layer"
            except Exception:  # noqa: BLE001 - the tooltip is only a hint
                pass
        self.scheme.setToolTip(tip)

    def _update_legend(self) -> None:
        if self.layer is None:
            return
        try:
            entries = legend_entries(self.layer)
        except Exception as exc:  # noqa: BLE001 - shown in the preview, not a crash
            self.legend.setText(f"<i>Cannot classify: {exc}</i>")
            return
        rows = "".join(
            f"<tr><td width='28' bgcolor='{c}' style='border:1px solid #555'>&nbsp;&nbsp;&nbsp;"
            f"&nbsp;&nbsp;</td><td>&nbsp;{lab}</td></tr>" for c, lab in entries)
        self.legend.setText(f"<table cellspacing='3' cellpadding='2'>{rows}</table>")
        self.entries = entries
