"""The breaks editor: see the values, edit the class edges, apply them as manual breaks.

A histogram of the layer's values with the class edges drawn on it, and a
table of classes (from, to, count).  Edges can be typed, added (a click on
the histogram adds one there), removed, or started from a scheme; Apply
writes ``LayerStyle(scheme="manual", breaks=[...])`` to the layer, the
upper bound of each class, as :func:`mapping.render.classify.classify` reads them.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox,
                               QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from app.style_fields import SCHEME_LABELS

__all__ = ["BreaksEditorDialog", "layer_values", "seed_breaks"]


def layer_values(layer) -> np.ndarray:
    """The finite values a layer's classification uses (surfaces: cells above zero)."""
    from mapping.render.styling import resolve_style

    data = layer.data
    if layer.kind == "surface":
        v = np.asarray(data.values, dtype=float).ravel()
        return v[np.isfinite(v) & (v > 0)]
    col = resolve_style(layer).column or (layer.meta or {}).get("value_column")
    if not col or not hasattr(data, "columns") or col not in data.columns:
        return np.zeros(0)
    import pandas as pd

    v = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)
    return v[np.isfinite(v)]


def seed_breaks(values, scheme: str = "quantiles", k: int = 5) -> list[float]:
    """Upper class bounds from a scheme (the starting point of manual breaks)."""
    from mapping.render.class_breaks import CLASSIFIERS
    from mapping.render.classify import classify

    if not len(values):
        return []
    if scheme not in CLASSIFIERS or scheme == "manual":  # categories, Gi* bins, "auto" ...
        scheme = "quantiles"
    c = classify(values, scheme, k)
    return [float(b) for b in c.bins]


def shown_breaks(layer, values=None) -> list[float]:
    """The upper class edges the map shows for ``layer`` now: its manual breaks, else those
    of its scheme as the renderer settles it ("Automatic" is natural breaks for most area
    layers, not quantiles)."""
    from mapping.render.styling import resolve_style

    st = layer.style
    if st.scheme == "manual" and st.breaks:
        return [float(b) for b in st.breaks]
    shown = resolve_style(layer)
    return seed_breaks(layer_values(layer) if values is None else values, shown.scheme,
                       shown.k)


class BreaksEditorDialog(QDialog):
    """Edit the class edges of one layer (modeless; Apply writes them to the layer).

    Signals
    -------
    applied(list)
        The breaks written to the layer.
    """

    applied = Signal(list)

    def __init__(self, layer, parent=None):
        super().__init__(parent)
        self.layer = layer
        self.values = layer_values(layer)
        st = layer.style
        self.breaks = shown_breaks(layer, self.values)
        self.setWindowTitle(f"Class breaks: {layer.name} — hotmap")
        self.resize(720, 620)
        col = (st.column or (layer.meta or {}).get("value_column") or "values")
        head = QLabel(f"<b>{layer.name}</b>: {len(self.values):,} values of "
                      f"<i>{col}</i>, from {self._fmt(self._lo())} to {self._fmt(self._hi())}. "
                      "Each class runs up to its upper edge (included). Click the histogram "
                      "to add an edge there.", self)
        head.setWordWrap(True)
        self._make_histogram()
        self._make_table()
        row = self._make_edit_row()
        self._make_buttons()
        lay = QVBoxLayout(self)
        lay.addWidget(head)
        lay.addWidget(self.canvas, 1)
        lay.addLayout(row)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.problem)
        lay.addWidget(self.buttons)
        self._refresh()

    def _make_histogram(self) -> None:
        """The histogram of the values with the edges; a click adds an edge."""
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(6.4, 2.6), dpi=100)
        self.ax = self.figure.add_subplot(111)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setParent(self)
        self.canvas.setMinimumHeight(220)
        self.canvas.mpl_connect("button_press_event", self._on_click)

    def _make_table(self) -> None:
        """The classes (from, to, count); an edited edge is applied to the classes."""
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["From", "To (upper edge)", "Areas / cells"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.itemChanged.connect(self._edited)

    def _make_edit_row(self) -> QHBoxLayout:
        """Start from a scheme, add, remove and round classes."""
        self.start = QComboBox(self)
        for key in ("quantiles", "fisher_jenks", "equal_interval", "std_mean"):
            self.start.addItem(SCHEME_LABELS.get(key, key), key)
        self.seed_button = QPushButton("Start from", self)
        self.seed_button.setToolTip("Replace the edges by those of a scheme (same number of "
                                    "classes), then adjust them")
        self.seed_button.clicked.connect(self._seed)
        add = QPushButton("Add class", self)
        add.setToolTip("Split the class with the most values at its middle")
        add.clicked.connect(self.add_class)
        rnd = QPushButton("Round", self)
        rnd.setToolTip("Round the edges to two significant figures (easier to read in the "
                       "legend)")
        rnd.clicked.connect(self.round_edges)
        rem = QPushButton("Remove class", self)
        rem.setToolTip("Merge the selected class with the next one")
        rem.clicked.connect(self.remove_class)
        row = QHBoxLayout()
        for w in (self.seed_button, self.start, add, rem, rnd):
            row.addWidget(w)
        row.addStretch(1)
        return row

    def _make_buttons(self) -> None:
        """The problem line and Apply, OK, Close."""
        self.problem = QLabel("", self)
        self.problem.setStyleSheet("color: #b2182b;")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(self)
        self.apply_button = self.buttons.addButton("Apply",
                                                   QDialogButtonBox.ButtonRole.ApplyRole)
        self.apply_button.clicked.connect(self.apply)
        ok = self.buttons.addButton(QDialogButtonBox.StandardButton.Ok)
        ok.clicked.connect(lambda: self.apply() and self.accept())
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(
            self.reject)

    # ----------------------------------------------------------------- values
    def _lo(self) -> float:
        return float(self.values.min()) if len(self.values) else 0.0

    def _hi(self) -> float:
        return float(self.values.max()) if len(self.values) else 0.0

    @staticmethod
    def _fmt(x) -> str:
        from mapping.render.class_breaks import format_number

        return format_number(float(x))

    def counts(self) -> list[int]:
        """Values per class for the current edges (as the classifier counts them)."""
        if not self.breaks:
            return []
        b = np.asarray(self.breaks, float)
        cls = np.minimum(np.searchsorted(b, self.values, side="left"), len(b) - 1)
        return np.bincount(cls, minlength=len(b)).tolist()

    def problems(self) -> list[str]:
        """What is wrong with the edges (empty: they can be applied)."""
        out = []
        if not self.breaks:
            out.append("Give at least one class edge.")
        if any(b2 <= b1 for b1, b2 in zip(self.breaks, self.breaks[1:])):
            out.append("Each edge must be higher than the one above it in the table.")
        if self.breaks and len(self.values) and self.breaks[-1] < self._hi():
            out.append(f"The top class ends at {self.breaks[-1]:g}, below the highest "
                       f"value ({self._hi():g}): it will be raised to that value.")
        return out

    # --------------------------------------------------------------- editing
    def set_breaks(self, breaks) -> None:
        """Show new edges (sorted is not forced: the problems say what is wrong)."""
        self.breaks = [float(b) for b in breaks]
        self._refresh()

    def add_edge(self, x: float) -> None:
        """Add an edge at ``x`` (a click on the histogram)."""
        if any(abs(x - b) < 1e-12 for b in self.breaks):
            return
        self.set_breaks(sorted([*self.breaks, float(x)]))

    def add_class(self) -> None:
        """Split the fullest class at its middle value."""
        counts = self.counts()
        if not counts:
            self.set_breaks(seed_breaks(self.values, "quantiles", 2))
            return
        i = int(np.argmax(counts))
        lo = self._lo() if i == 0 else self.breaks[i - 1]
        self.add_edge((lo + self.breaks[i]) / 2)

    def remove_class(self) -> None:
        """Merge the selected class (default: the last but one) with the next."""
        if len(self.breaks) < 2:
            return
        rows = sorted({ix.row() for ix in self.table.selectedIndexes()})
        i = rows[0] if rows and rows[0] < len(self.breaks) - 1 else len(self.breaks) - 2
        self.set_breaks(self.breaks[:i] + self.breaks[i + 1:])

    def round_edges(self) -> None:
        """Round each edge to two significant figures (the top edge up, to keep every value)."""
        import math

        out = []
        for i, b in enumerate(self.breaks):
            if b == 0:
                out.append(0.0)
                continue
            step = 10 ** (math.floor(math.log10(abs(b))) - 1)
            r = (math.ceil(b / step) if i == len(self.breaks) - 1 else round(b / step)) * step
            out.append(float(f"{r:.12g}"))
        self.set_breaks(list(dict.fromkeys(out)))

    def _seed(self) -> None:
        self.set_breaks(seed_breaks(self.values, self.start.currentData(),
                                    max(2, len(self.breaks) or self.layer.style.k)))

    def _edited(self, item) -> None:
        if item.column() != 1:
            return
        try:
            v = float(item.text().replace(",", ""))
        except ValueError:
            self.problem.setText(f"'{item.text()}' is not a number.")
            return
        b = list(self.breaks)
        b[item.row()] = v
        self.set_breaks(b)

    def _on_click(self, event) -> None:
        if event.inaxes is self.ax and event.xdata is not None and event.button == 1:
            self.add_edge(float(event.xdata))

    def apply(self) -> bool:
        """Write the edges to the layer as manual breaks; False if they are not valid."""
        hard = [p for p in self.problems() if "raised" not in p]
        if hard:
            self.problem.setText(" ".join(hard))
            return False
        self.layer.update_style(scheme="manual", breaks=list(self.breaks))
        self.applied.emit(list(self.breaks))
        return True

    # --------------------------------------------------------------- drawing
    def _refresh(self) -> None:
        from mapping.render.palettes import palette_colors

        counts = self.counts()
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.breaks))
        lo = self._lo()
        for i, b in enumerate(self.breaks):
            # the edge below, written as the "To" column writes it (the legend's rounding
            # made 5.9 read "6" beside a "To" of 5.9)
            frm = QTableWidgetItem(f"{(lo if i == 0 else self.breaks[i - 1]):g}")
            frm.setFlags(frm.flags() & ~Qt.ItemFlag.ItemIsEditable)
            to = QTableWidgetItem(f"{b:g}")
            n = QTableWidgetItem(f"{counts[i]:,}" if i < len(counts) else "")
            n.setFlags(n.flags() & ~Qt.ItemFlag.ItemIsEditable)
            for c, it in enumerate((frm, to, n)):
                self.table.setItem(i, c, it)
        self.table.blockSignals(False)
        self.problem.setText(" ".join(self.problems()))
        ax = self.ax
        ax.clear()
        self.hidden_above = 0
        if len(self.values):
            v = self.values
            # a few extreme values (rates of tiny areas) would squash the rest: show up to
            # the 95th percentile and every edge but the top one; say how many lie beyond
            top = float(np.percentile(v, 95))
            if len(self.breaks) > 1:
                top = max(top, self.breaks[-2] * 1.25)
            top = min(max(top, lo + 1e-9), self._hi())
            shown = v[v <= top]
            self.hidden_above = int((v > top).sum())
            counts_h, edges_h = np.histogram(shown, range=(lo, top),
                                             bins=min(60, max(15, int(2 * np.sqrt(len(v))))))
            try:
                colours = palette_colors(self.layer.style.palette, max(len(self.breaks), 1))
            except Exception:  # noqa: BLE001 - an unknown palette draws grey bars
                colours = ["#969696"] * max(len(self.breaks), 1)
            mids = (edges_h[:-1] + edges_h[1:]) / 2
            b = np.asarray(self.breaks or [self._hi()], float)
            cls = np.minimum(np.searchsorted(b, mids, side="left"), len(b) - 1)
            ax.bar(edges_h[:-1], counts_h, width=np.diff(edges_h), align="edge",
                   color=[colours[c % len(colours)] for c in cls], edgecolor="white", lw=0.4)
            for e in self.breaks:
                if e <= top:
                    ax.axvline(e, color="#252525", lw=1.2)
            ax.set_xlim(lo, top)
            if self.hidden_above:
                ax.text(0.99, 0.97, f"{self.hidden_above:,} value(s) above "
                        f"{self._fmt(top)} not shown (up to {self._fmt(self._hi())})",
                        transform=ax.transAxes, ha="right", va="top", fontsize=8,
                        color="#444444")
        ax.set_ylabel("count", fontsize=8)
        ax.tick_params(labelsize=8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        self.figure.tight_layout()
        self.canvas.draw_idle()
