"""Adding, removing and renaming layers in the document (a part of the main window).

:class:`LayerActions` keeps the project entries in step with the layer list:
an imported layer gets its ``[[boundaries]]`` / ``[[records]]`` entry (and a
colour of its own), a removed layer takes its entry and, with its last
result, its analysis; a rename follows into the analyses that name it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from app.errors import report_exception
from app.workers import active_workers

__all__ = ["LayerActions"]


class LayerActions:
    """Layer-list changes of :class:`app.main_window.MainWindow` that touch the project."""

    def __init__(self, win):
        self.win = win

    @property
    def ws(self):
        """The window's workspace."""
        return self.win.ws

    def add_imported(self, source, result) -> None:
        """Add a layer from the import wizard to the project and the map."""
        from layers.project import BoundarySource
        from boundaries.workspace import load_source
        from layers.workspace import given_colour

        ws, proj = self.ws, self.ws.project
        if isinstance(source, BoundarySource):
            proj.boundaries.append(source)
        else:  # a colour of its own, not one another record layer already has
            given_colour([source], used=[lyr.style.color for lyr in ws.layers
                                         if lyr.kind == "points"])
            proj.records.append(source)
        try:
            layer, res = load_source(source, project_path=proj.path,
                                     study_areas={b.name: ws.layers[b.name].data
                                                  for b in proj.boundaries
                                                  if b.name in ws.layers},
                                     ) if result is None else (None, result)
        except Exception as exc:  # noqa: BLE001
            report_exception(exc, self.win)
            return
        if layer is None:
            layer = self.layer_from_result(source, result)
            res = result
        ws.results[source.name] = res
        if isinstance(source, BoundarySource):
            # boundaries go under the record layers
            n_b = sum(1 for lyr in ws.layers if lyr.source.get("boundaries"))
            ws.layers.insert(n_b, layer)
        else:
            ws.layers.append(layer)
        ws.mark_dirty(True)
        self.win.canvas.zoom_to_layer(layer) if len(ws.layers) == 1 else None
        self.win.layer_panel.select_layer(layer)

    def layer_from_result(self, source, result):
        """The layer of a source the wizard has already loaded."""
        from layers.model import Layer
        from layers.project import BoundarySource
        from layers.style import LayerStyle

        if isinstance(source, BoundarySource):
            style = LayerStyle.from_dict({"color": "#f0f0f0", "edgecolor": "#636363",
                                          "linewidth": 0.4, **source.style})
            return Layer(source.name, result.accepted, kind="areas", style=style,
                         source={"boundaries": source.name},
                         meta={"code_field": result.info.get("code_field") or source.code_field,
                               "name_field": result.info.get("name_field") or source.name_field})
        style = LayerStyle.from_dict({"marker_size": 8.0, "edgecolor": "none", **source.style})
        return Layer(source.name, result.accepted, kind="points", style=style,
                     source={"records": source.name},
                     meta={"record_kind": source.kind, "base_n": len(result.accepted)},
                     sensitive=source.is_sensitive, allow_raw_export=source.allow_raw_export)

    def renamed(self, layer, old, new) -> None:
        """Follow a rename in the project: its source entry and the analyses naming it."""
        proj = self.win.ws.project
        for src in [*proj.boundaries, *proj.records, *proj.tables]:
            if src.name == old:
                src.name = new
                key = ("boundaries" if src in proj.boundaries
                       else "records" if src in proj.records else "tables")
                layer.source[key] = new
        for step in proj.analyses:
            for k, v in step.params.items():
                if v == old:
                    step.params[k] = new
                elif isinstance(v, list) and old in v:
                    step.params[k] = [new if x == old else x for x in v]
                elif isinstance(v, dict) and old in v:
                    step.params[k] = {(new if x == old else x): w for x, w in v.items()}

    def remove_layer(self, layer, confirm: bool = True) -> None:
        """Remove a layer (and its project entry); cancels analyses that read it."""
        win = self.win
        if confirm and QMessageBox.question(
                win, "Remove layer", f"Remove the layer '{layer.name}' from the project?"
        ) != QMessageBox.StandardButton.Yes:
            return
        for w in active_workers():
            if layer.name in getattr(w, "inputs", ()):
                w.cancel()
        proj = win.ws.project
        proj.boundaries = [s for s in proj.boundaries if s.name != layer.name]
        proj.records = [s for s in proj.records if s.name != layer.name]
        proj.tables = [s for s in proj.tables if s.name != layer.name]
        step = layer.source.get("analysis")
        if step and not any(lyr.source.get("analysis") == step for lyr in win.ws.layers
                            if lyr is not layer):
            proj.analyses = [a for a in proj.analyses if a.name != step]
        if win.style_editor.layer is layer:
            win.style_editor.set_layer(None)
        if win.table.layer is layer:
            win.table.set_layer(None)
        if win.chart_view.layer is layer or (win.chart_view.link is not None and layer in (
                win.chart_view.link.data, win.chart_view.link.target)):
            win.chart_view.set_layer(None)
        win.ws.layers.remove(layer)

    def remove_group(self, name: str, confirm: bool = True) -> None:
        """Remove every layer of a group (an analysis's results) and its analysis step."""
        win = self.win
        layers = win.ws.layers.group_layers(name)
        if not layers:
            return
        if confirm and QMessageBox.question(
                win, "Remove analysis results",
                f"Remove the {len(layers)} layers of '{name}' (and the analysis) from the "
                "project?") != QMessageBox.StandardButton.Yes:
            return
        for layer in layers:
            self.remove_layer(layer, confirm=False)
