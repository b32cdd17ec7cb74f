"""Form widgets the analysis dialogs build from a ``Param`` kind, beyond Qt's own.

``weighted_layers``: :class:`WeightedLayersWidget`, a list of layers to tick,
each with a weight; its value is ``{layer name: weight}`` (the composite
index's ``layers`` table, e.g. ``{arrests = 2, needle_finds = 1}``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QDoubleSpinBox, QHeaderView, QTableWidget,
                               QTableWidgetItem)

__all__ = ["WeightedLayersWidget"]


class WeightedLayersWidget(QTableWidget):
    """Tick layers and give each a weight (0-100, default 1)."""

    def __init__(self, names, chosen=None, parent=None):
        super().__init__(len(names), 2, parent)
        self.setHorizontalHeaderLabels(["Layer", "Weight"])
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.spins: dict[str, QDoubleSpinBox] = {}
        for r, name in enumerate(names):
            it = QTableWidgetItem(name)
            it.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Unchecked)
            self.setItem(r, 0, it)
            spin = QDoubleSpinBox(self, minimum=0.0, maximum=100.0, singleStep=0.5, decimals=2)
            spin.setValue(1.0)
            spin.setToolTip(f"How much '{name}' counts in the index")
            self.setCellWidget(r, 1, spin)
            self.spins[name] = spin
        self.set_value(chosen)
        self.setMaximumHeight(40 + 26 * min(max(len(names), 2), 5))

    def names(self) -> list[str]:
        """The layers offered, in order."""
        return [self.item(r, 0).text() for r in range(self.rowCount())]

    def set_value(self, value) -> None:
        """Tick the layers of ``value`` (a list, or a ``{name: weight}`` table)."""
        value = value or []
        weights = dict(value) if isinstance(value, dict) else {n: 1.0 for n in value}
        for r, name in enumerate(self.names()):
            on = name in weights
            self.item(r, 0).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            if on:
                self.spins[name].setValue(float(weights[name]))

    def value(self) -> dict:
        """``{name: weight}`` of the ticked layers (empty when none is ticked)."""
        return {name: float(self.spins[name].value()) for r, name in enumerate(self.names())
                if self.item(r, 0).checkState() == Qt.CheckState.Checked}

    def setEnabled(self, on: bool) -> None:  # noqa: N802 - Qt API
        super().setEnabled(on)
        for s in self.spins.values():
            s.setEnabled(on)
