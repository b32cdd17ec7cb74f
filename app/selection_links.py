"""One selection, three views: the map, the attribute table and the chart (as GeoDa links).

:class:`SelectionRelay` passes a selection made in one view to the other two,
without echoing it back to where it came from.
"""

from __future__ import annotations

__all__ = ["SelectionRelay"]


class SelectionRelay:
    """Relays row selections between the canvas, the table and the chart of a window."""

    def __init__(self, win):
        self.win = win

    def from_map(self, name, labels) -> None:
        """Rows picked on the map: select them in the table, light them in the chart."""
        win = self.win
        if name and (win.table.layer is None or win.table.layer.name != name) \
                and name in win.ws.layers and win.dock_table.isVisible():
            win.table.set_layer(win.ws.layers[name])
        win.table.select_labels(name, labels)
        win.chart_view.highlight(name, labels, win.ws.layers)

    def from_table(self, name, labels) -> None:
        """Rows picked in the table: outline them on the map, light them in the chart."""
        self.win.canvas.set_selection(name, labels)
        self.win.chart_view.highlight(name, labels, self.win.ws.layers)

    def from_chart(self, name, labels) -> None:
        """Rows picked on the chart: select them on the map and in the table."""
        win = self.win
        if name not in win.ws.layers:
            return
        win.canvas.set_selection(name, labels)
        if win.table.layer is None or win.table.layer.name != name:
            win.table.set_layer(win.ws.layers[name])
        win.table.select_labels(name, labels)
        win.status(f"{len(labels):,} rows of '{name}' selected from the chart", 8000)
