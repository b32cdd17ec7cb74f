"""The base of a live chart linked to the map (:class:`ChartLink`) and its helpers.

A :class:`ChartLink` draws a chart layer's figure on screen and knows which
rows of its target layer each mark stands for; the links of each chart kind
(funnel, trend, breakdown) are in :mod:`app.chart_links`.  Qt-free: matplotlib
figures and pandas only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["HIGHLIGHT", "ChartLink", "meta_value", "step_params", "source_line"]

HIGHLIGHT = "#00c8ff"  # the map's selection colour


def meta_value(meta, key, default=None):
    """Read a metadata field from a dict or a typed metadata object."""
    if meta is None:
        return default
    if isinstance(meta, dict):
        return meta.get(key, default)
    return getattr(meta, key, default)


def step_params(project, layer) -> dict:
    """The parameters of the analysis step that made ``layer`` (empty if none)."""
    name = layer.source.get("analysis")
    for step in getattr(project, "analyses", []) or []:
        if step.name == name:
            return dict(step.params)
    return {}


def source_line(project) -> str | None:
    """The source line a chart of ``project`` carries (the fictional-data warning)."""
    return "FICTIONAL demo data" if getattr(project, "fictional", False) else None


class ChartLink:
    """A chart on screen and the rows of :attr:`target` its marks stand for.

    Subclasses set :attr:`kind` and implement :meth:`_draw`, :meth:`_mark_rows`
    (labels of the target per mark) and :meth:`_mark_xy` (where each mark is,
    in data coordinates of :attr:`ax`).
    """

    kind = ""

    def __init__(self, chart, data, target, project=None):
        self.chart, self.data, self.target, self.project = chart, data, target, project
        self.params = step_params(project, chart)
        self.figure = None
        self.ax = None
        self._highlight = []
        self.selected: set = set()

    def _units(self) -> str:
        """What is counted, as the saved chart says it: the step's units, else the
        subject the runner wrote ("Drugs offences"), not a bare "records"."""
        for v in (self.params.get("units"), meta_value(self.chart.meta, "subject"),
                  meta_value(self.data.meta, "subject")):
            if isinstance(v, str) and v.strip():
                return v.strip()
        return "records"

    # ---------------------------------------------------------------- drawing
    def draw(self):
        """Draw the chart (a new matplotlib Figure) and return it."""
        self.figure = self._draw()
        self.ax = self.figure.axes[0]
        self._highlight = []
        return self.figure

    def _draw(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _mark_rows(self) -> list[list]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _mark_xy(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # ---------------------------------------------------------------- picking
    def mark_at(self, px: float, py: float, tolerance_px: float = 8.0):
        """Index of the mark under display pixel (px, py), or None."""
        xy = self._mark_xy()
        if not len(xy):
            return None
        pix = self.ax.transData.transform(xy)
        d = np.hypot(pix[:, 0] - px, pix[:, 1] - py)
        i = int(np.argmin(d))
        return i if d[i] <= tolerance_px else None

    def marks_in(self, x0, y0, x1, y1) -> list[int]:
        """Indices of marks inside a box in data coordinates."""
        xy = self._mark_xy()
        if not len(xy):
            return []
        (xa, xb), (ya, yb) = sorted((x0, x1)), sorted((y0, y1))
        inside = (xy[:, 0] >= xa) & (xy[:, 0] <= xb) & (xy[:, 1] >= ya) & (xy[:, 1] <= yb)
        return [int(i) for i in np.flatnonzero(inside)]

    def pick(self, marks) -> list:
        """Target row labels for mark indices (the whole of each mark is selected)."""
        rows = self._mark_rows()
        out = []
        for i in marks:
            out.extend(rows[i])
        self.selected = set(out)
        return list(dict.fromkeys(out))

    def marks_for(self, layer_name: str, labels, stack=None) -> list[int]:
        """Marks standing for the selected rows ``labels`` of ``layer_name``.

        The selected target rows are kept in :attr:`selected`: a bar is lit
        only as far as its share of them (GeoDa's partial highlight).
        """
        labels = self._as_target(layer_name, labels, stack)
        self.selected = set(labels)
        if not labels:
            return []
        return [i for i, rows in enumerate(self._mark_rows()) if self.selected.intersection(rows)]

    def _selected_in(self, i: int) -> int:
        """How many selected target rows mark ``i`` stands for."""
        return len(self.selected.intersection(self._mark_rows()[i]))

    def _as_target(self, layer_name, labels, stack) -> list:
        """Selected labels as labels of the target layer: the same layer, another layer
        sharing its area code, or areas holding its records (records inside them)."""
        if layer_name == self.target.name:
            return list(labels)
        if stack is None or layer_name not in stack:
            return []
        other = stack[layer_name]
        a, b = other.data, self.target.data
        if not (hasattr(a, "columns") and hasattr(b, "columns")):
            return []
        if self.target.kind == "points" and other.kind in ("areas", "grid") \
                and hasattr(a, "geometry") and hasattr(b, "geometry"):
            sel = a.loc[[lab for lab in labels if lab in a.index]]
            if sel.empty:
                return []
            hit, _ = sel.sindex.query(b.geometry.values, predicate="intersects")
            return list(b.index[sorted(set(hit))])
        for code in (meta_value(other.meta, "code_field"),
                     meta_value(self.target.meta, "code_field"), "code"):
            if code and code in a.columns and code in b.columns:
                codes = set(a.loc[[lab for lab in labels if lab in a.index], code].astype(str))
                return list(b.index[b[code].astype(str).isin(codes)])
        return []

    # ------------------------------------------------------------- highlight
    def highlight(self, marks) -> None:
        """Ring (dots) or outline (bars) the given marks; earlier highlights go."""
        for art in self._highlight:
            try:
                art.remove()
            except (ValueError, NotImplementedError):
                pass
        self._highlight = []
        if not marks or self.ax is None:
            return
        self._highlight = self._draw_highlight(list(marks))

    def _draw_highlight(self, marks):
        xy = self._mark_xy()[marks]
        return [self.ax.scatter(xy[:, 0], xy[:, 1], s=110, facecolors="none",
                                edgecolors=HIGHLIGHT, linewidths=2.2, zorder=10,
                                clip_on=False)]
