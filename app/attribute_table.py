"""The attribute table: a lazy ``QAbstractTableModel`` over a layer's DataFrame.

Nothing is copied into Qt: ``data()`` reads one cell from the frame's column
arrays on demand, so 1,000,000 rows scroll as smoothly as 100.  Sorting and
filtering build an integer *row order* array (numpy ``argsort`` / the shared
``mapping.core.filters`` expression parser) rather than a new frame.  Selection is
linked to the map through row labels.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QItemSelection, QItemSelectionModel, \
    QModelIndex, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QTableView, QVBoxLayout, QWidget)

from app.errors import report_exception

__all__ = ["DataFrameModel", "AttributeTableWidget", "fit_columns", "PATH_COLUMNS"]

#: Columns holding the path of the file a row came from: shown as the file's name.
PATH_COLUMNS = {"source_file"}
#: Widest a column is made to fit its contents, in pixels (a 64-character id or a long
#: address would push every other column out of sight).
MAX_COLUMN_WIDTH = 280


def _file_name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def fit_columns(view, rows: int = 200, cap: int = MAX_COLUMN_WIDTH) -> None:
    """Fit every column of a table view to its header and first ``rows`` rows, at most
    ``cap`` pixels wide (longer texts are elided; the whole text is in the cell)."""
    header = view.horizontalHeader()
    header.setResizeContentsPrecision(rows)
    view.resizeColumnsToContents()
    for c in range(header.count()):
        if header.sectionSize(c) > cap:
            header.resizeSection(c, cap)


def _fmt(v) -> str:
    if v is None:
        return ""
    import pandas as pd  # imported lazily: the window shows before pandas loads

    if isinstance(v, float):
        if v != v:
            return ""
        return f"{v:,.0f}" if v.is_integer() and abs(v) < 1e15 else f"{v:,.4g}"
    if isinstance(v, (np.floating,)):
        return _fmt(float(v))
    if isinstance(v, pd.Timestamp):
        return "" if pd.isna(v) else v.strftime("%Y-%m-%d %H:%M").removesuffix(" 00:00")
    if v is pd.NaT:
        return ""
    return str(v)


class DataFrameModel(QAbstractTableModel):
    """A read-only, lazily read, sortable and filterable view of a DataFrame.

    The geometry column is left out.  ``order`` maps view rows to frame
    positions; sorting and filtering only replace it.
    """

    def __init__(self, frame=None, parent=None):
        super().__init__(parent)
        self._frame = None
        self._columns: list[str] = []
        self._arrays: list = []
        self.order = np.zeros(0, dtype=np.int64)
        self.filter_text = ""
        if frame is not None:
            self.set_frame(frame)

    def set_frame(self, frame) -> None:
        """Show another frame (all rows, unsorted)."""
        self.beginResetModel()
        self._frame = frame
        if frame is None:
            self._columns, self._arrays = [], []
            self.order = np.zeros(0, dtype=np.int64)
        else:
            geom = getattr(frame, "_geometry_column_name", None)
            self._columns = [c for c in frame.columns if c != geom]
            self._arrays = [frame[c].to_numpy() if frame[c].dtype.kind != "M"
                            else frame[c].array for c in self._columns]
            self.order = np.arange(len(frame), dtype=np.int64)
        self.filter_text = ""
        self.endResetModel()

    @property
    def frame(self):
        """The DataFrame shown."""
        return self._frame

    # ------------------------------------------------------------- Qt model
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.order)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            v = self._arrays[index.column()][self.order[index.row()]]
            if self._columns[index.column()] in PATH_COLUMNS and isinstance(v, str):
                return _file_name(v)  # the file, not the folders (in the tooltip)
            return _fmt(v)
        if role == Qt.ItemDataRole.ToolTipRole:
            if self._columns[index.column()] in PATH_COLUMNS:
                return _fmt(self._arrays[index.column()][self.order[index.row()]])
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            arr = self._arrays[index.column()]
            if getattr(arr, "dtype", None) is not None and arr.dtype.kind in "iuf":
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._columns[section] if section < len(self._columns) else None
        return str(self._frame.index[self.order[section]]) if self._frame is not None else None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        """Sort the current rows by a column (missing values last)."""
        if self._frame is None or column < 0 or column >= len(self._columns):
            return
        self.layoutAboutToBeChanged.emit()
        col = self._frame[self._columns[column]].iloc[self.order]
        ascending = order == Qt.SortOrder.AscendingOrder
        try:
            pos = np.argsort(col.to_numpy(), kind="stable") if col.dtype.kind in "iufb" \
                else None
        except TypeError:
            pos = None
        if pos is None or col.isna().any():
            import pandas as pd  # noqa: F401 - loaded by now (a frame is shown)

            s = col.reset_index(drop=True)
            if s.dtype == object:
                s = s.astype(str).where(s.notna(), None)
            pos = s.sort_values(ascending=True, na_position="last", kind="stable").index
            pos = np.asarray(pos)
            if not ascending:
                nn = s.iloc[pos].notna().to_numpy()
                pos = np.concatenate([pos[nn][::-1], pos[~nn]])
        elif not ascending:
            pos = pos[::-1]
        self.order = self.order[pos]
        self.layoutChanged.emit()

    def set_filter(self, expression: str) -> None:
        """Keep rows matching a filter expression (``crime_type == 'Drugs'``); '' shows all.

        Raises
        ------
        layers.common.errors.InputError
            If the expression is not valid (the message says why).
        """
        if self._frame is None:
            return
        expression = expression.strip()
        if expression:
            from mapping.core.filters import filter_mask

            mask = np.asarray(filter_mask(self._frame, expression), dtype=bool)
            order = np.flatnonzero(mask)
        else:
            order = np.arange(len(self._frame), dtype=np.int64)
        self.beginResetModel()
        self.order = order.astype(np.int64)
        self.filter_text = expression
        self.endResetModel()

    # ----------------------------------------------------------- selection
    def labels_for_rows(self, rows) -> list:
        """Frame index labels of view rows."""
        return list(self._frame.index[self.order[np.asarray(list(rows), dtype=np.int64)]])

    def rows_for_labels(self, labels) -> list[int]:
        """View rows showing the given index labels (those filtered out are skipped)."""
        if self._frame is None or not len(labels):
            return []
        pos = self._frame.index.get_indexer(list(labels))
        pos = pos[pos >= 0]
        inv = np.full(len(self._frame), -1, dtype=np.int64)
        inv[self.order] = np.arange(len(self.order))
        rows = inv[pos]
        return sorted(int(r) for r in rows[rows >= 0])


class AttributeTableWidget(QWidget):
    """The "Attributes" dock: filter box, row count and the table.

    Signals
    -------
    selection_changed(str, list)
        Layer name and selected row labels, when the user selects rows.
    """

    selection_changed = Signal(str, list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.layer = None
        self.model = DataFrameModel(parent=self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.selectionModel().selectionChanged.connect(self._on_select)
        self.title = QLabel("No layer", self)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter, e.g.  crime_type == 'Drugs' and month >= '2018-11'")
        self.filter.setToolTip("A filter expression over the columns; press Enter to apply, "
                               "clear it to show every row")
        self.filter.returnPressed.connect(self.apply_filter)
        clear = QPushButton("Show all", self)
        clear.clicked.connect(lambda: (self.filter.clear(), self.apply_filter()))
        self.count = QLabel("", self)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.filter, 1)
        top.addWidget(clear)
        top.addWidget(self.count)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.view)
        self._syncing = False

    def set_layer(self, layer) -> None:
        """Show a layer's attributes (None clears)."""
        self.layer = layer
        data = getattr(layer, "data", None)
        frame = data if hasattr(data, "columns") and hasattr(data, "iloc") else None
        self.model.set_frame(frame)
        self.filter.clear()
        self.title.setText(f"<b>{layer.name}</b>" if layer is not None else "No layer")
        self._update_count()
        if frame is not None and len(frame.columns) < 200:
            fit_columns(self.view)  # new widths: a column never keeps the last layer's

    def _update_count(self) -> None:
        m = self.model
        total = 0 if m.frame is None else len(m.frame)
        shown = m.rowCount()
        self.count.setText(f"{shown:,} of {total:,} rows" if shown != total else f"{total:,} rows")

    def apply_filter(self) -> None:
        """Apply the filter box's expression (errors go to the error dialog)."""
        try:
            self.model.set_filter(self.filter.text())
        except Exception as exc:  # noqa: BLE001 - shown to the user
            report_exception(exc)
        self._update_count()

    def _on_select(self, *_):
        if self._syncing or self.layer is None:
            return
        rows = sorted({ix.row() for ix in self.view.selectionModel().selectedRows()})
        self.selection_changed.emit(self.layer.name, self.model.labels_for_rows(rows))

    def select_labels(self, layer_name: str, labels) -> None:
        """Select rows by label (from the map) without echoing the selection back."""
        if self.layer is None or self.layer.name != layer_name:
            return
        rows = self.model.rows_for_labels(labels)
        sm = self.view.selectionModel()
        self._syncing = True
        try:
            sel = QItemSelection()
            last = self.model.columnCount() - 1
            for r in rows:
                sel.select(self.model.index(r, 0), self.model.index(r, last))
            sm.select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            if rows:
                self.view.scrollTo(self.model.index(rows[0], 0))
        finally:
            self._syncing = False

    def selected_labels(self) -> list:
        """Labels of the selected rows."""
        rows = sorted({ix.row() for ix in self.view.selectionModel().selectedRows()})
        return self.model.labels_for_rows(rows) if self.layer is not None else []
