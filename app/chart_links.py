"""Live charts linked to the map: which rows a chart mark stands for, and back.

A chart layer (kind ``figure``) of a funnel, trend or breakdown analysis is
redrawn on screen with the same chart function its export uses
(:func:`mapping.audit.funnel.funnel_chart`, :func:`mapping.render.charts.trend_chart`,
:func:`mapping.audit.demographics.breakdown_chart`), from the result table the
analysis put beside it, so the screen and the exported PNG match.  A
:class:`ChartLink` also knows which layer's rows each mark stands for:

* funnel: a dot is an area (rows of the funnel's area layer);
* trend: a bar is a month (the records of that month, after the analysis's
  filter);
* breakdown: a bar is a group (the records in that group).

:meth:`ChartLink.pick` turns a click (or a dragged box) into row labels to
select; :meth:`ChartLink.marks_for` turns a selection (on the map or in the
table, of the target layer or of another layer sharing its area codes) into
the marks to highlight.  Qt-free: matplotlib figures and pandas only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ChartLink", "chart_link", "LINKS"]

HIGHLIGHT = "#00c8ff"  # the map's selection colour


def _get(meta, key, default=None):
    """Read a metadata field from a dict or a typed metadata object."""
    if meta is None:
        return default
    if isinstance(meta, dict):
        return meta.get(key, default)
    return getattr(meta, key, default)


def _step_params(project, layer) -> dict:
    name = layer.source.get("analysis")
    for step in getattr(project, "analyses", []) or []:
        if step.name == name:
            return dict(step.params)
    return {}


def _source_line(project) -> str | None:
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
        self.params = _step_params(project, chart)
        self.figure = None
        self.ax = None
        self._highlight = []
        self.selected: set = set()

    def _units(self) -> str:
        """What is counted, as the saved chart says it: the step's units, else the
        subject the runner wrote ("Drugs offences"), not a bare "records"."""
        for v in (self.params.get("units"), _get(self.chart.meta, "subject"),
                  _get(self.data.meta, "subject")):
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
        for code in (_get(other.meta, "code_field"), _get(self.target.meta, "code_field"),
                     "code"):
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


class FunnelLink(ChartLink):
    """Funnel plot: one dot per area of the funnel's area layer."""

    kind = "funnel"

    def _table(self):
        t = self.data.data.copy()
        if "group" not in t.columns:
            t["group"] = "area"
        t.attrs["meta"] = dict(self.data.meta) if isinstance(self.data.meta, dict) else {}
        return t

    def _draw(self):
        from mapping.render.charts_funnel import funnel_chart

        return funnel_chart(self._table(), units=self._units(),
                            title=self.params.get("title"),
                            source=_source_line(self.project))

    def _areas(self):
        t = self.data.data
        return t[t["group"] == "area"] if "group" in t.columns else t

    def _mark_rows(self):
        return [[lab] for lab in self._areas().index]

    def draw(self):
        """Draw; off-scale areas sit on the top edge: the highest dot drawn is that cap."""
        fig = super().draw()
        tops = [c.get_offsets()[:, 1].max() for c in self.ax.collections
                if len(c.get_offsets())]
        self._cap = max(tops) if tops else np.inf
        return fig

    def _mark_xy(self):
        a = self._areas()
        rates = a["rate"].to_numpy(float)
        cap = getattr(self, "_cap", np.inf)
        return np.column_stack([a["population"].to_numpy(float), np.minimum(rates, cap)])


class TrendLink(ChartLink):
    """Monthly trend: one bar per month, standing for that month's records."""

    kind = "trend"

    def _draw(self):
        from mapping.render.charts_trends import trend_chart

        t = self.data.data.copy()
        t.attrs["meta"] = dict(self.data.meta) if isinstance(self.data.meta, dict) else {}
        ev = self.params.get("events")
        if isinstance(ev, str):
            ev = None  # a CSV of events: the saved chart has them; the live one omits them
        return trend_chart(t, units=self._units(),
                           place=self.params.get("place"), events=ev or None,
                           source=_source_line(self.project))

    def _months(self):
        return pd.to_datetime(self.data.data["month"])

    def _record_months(self):
        from mapping.core.filters import apply_filter

        if getattr(self, "_cache", None) is not None:
            return self._cache
        recs = apply_filter(self.target.data, self.params.get("filter"))
        col = self.params.get("date_column", "date")
        d = pd.to_datetime(recs[col], errors="coerce") if col in recs.columns else \
            pd.Series(pd.NaT, index=recs.index)
        if getattr(d.dt, "tz", None) is not None:
            d = d.dt.tz_localize(None)
        self._cache = d.dt.to_period("M")
        return self._cache

    def _mark_rows(self):
        per = self._record_months()
        groups = {p: list(idx) for p, idx in per.groupby(per).groups.items()}
        return [groups.get(m.to_period("M"), []) for m in self._months()]

    def _mark_xy(self):
        x = self._months() + pd.Timedelta(days=15)
        from matplotlib.dates import date2num

        y = self.data.data["count"].to_numpy(float) / 2  # the middle of the bar
        return np.column_stack([date2num(x.to_numpy()), y])

    def mark_at(self, px, py, tolerance_px: float = 8.0):
        """The bar whose month contains the click (anywhere in the bar's column)."""
        xy = self._mark_xy()
        if not len(xy):
            return None
        x, _ = self.ax.transData.inverted().transform((px, py))
        i = int(np.argmin(np.abs(xy[:, 0] - x)))
        return i if abs(xy[i, 0] - x) <= 16 else None

    def _draw_highlight(self, marks):
        from matplotlib.patches import Rectangle

        xy = self._mark_xy()
        out = []
        for i in marks:  # lit up to the number of selected records in the month
            r = Rectangle((xy[i, 0] - 12.5, 0), 25, self._selected_in(i),
                          facecolor=HIGHLIGHT + "99", edgecolor=HIGHLIGHT, linewidth=2.0,
                          zorder=10)
            self.ax.add_patch(r)
            out.append(r)
        return out


class BreakdownLink(ChartLink):
    """Breakdown bars: one bar per group, standing for the records in that group."""

    kind = "breakdown"

    def _groups_table(self):
        from mapping.audit.demographics import NOT_RECORDED

        t = self.data.data
        return t[(t["group"] != "Total") & (t["group"] != NOT_RECORDED)]

    def _draw(self):
        from mapping.render.charts_audit import breakdown_chart

        t = self.data.data.copy()
        t.attrs["meta"] = dict(self.data.meta) if isinstance(self.data.meta, dict) else {}
        return breakdown_chart(t, units=self._units(),
                               source=_source_line(self.project))

    def _record_groups(self):
        from mapping.audit.demographics import age_bands
        from mapping.core.filters import apply_filter

        if getattr(self, "_cache", None) is not None:
            return self._cache
        p = _get(self.data.meta, "params", {}) or {}
        col, by = p.get("column"), p.get("by")
        recs = apply_filter(self.target.data, self.params.get("filter"))
        if not col or col not in recs.columns:
            self._cache = pd.Series("", index=recs.index)
            return self._cache
        s = recs[col]
        if col == "age" or (by == "age" and pd.api.types.is_numeric_dtype(s)):
            s = age_bands(s)  # the breakdown bands numeric ages the same way
        self._cache = s.astype(object).where(s.notna(), "").astype(str).str.strip()
        return self._cache

    def _mark_rows(self):
        g = self._record_groups()
        groups = {k: list(v) for k, v in g.groupby(g).groups.items()}
        return [groups.get(str(k), []) for k in self._groups_table()["group"]]

    def _mark_xy(self):
        t = self._groups_table()
        y = np.arange(len(t))[::-1].astype(float)
        return np.column_stack([t["pct"].fillna(0).to_numpy(float) / 2, y])

    def mark_at(self, px, py, tolerance_px: float = 8.0):
        """The bar on the row of the click."""
        xy = self._mark_xy()
        if not len(xy):
            return None
        _, y = self.ax.transData.inverted().transform((px, py))
        i = int(np.argmin(np.abs(xy[:, 1] - y)))
        return i if abs(xy[i, 1] - y) <= 0.45 else None

    def _draw_highlight(self, marks):
        from matplotlib.patches import Rectangle

        xy, t = self._mark_xy(), self._groups_table()
        base = t["base_n"].to_numpy(float) if "base_n" in t else np.full(len(t), np.nan)
        out = []
        for i in marks:  # lit up to the selected records' share of the group's base n
            n = self._selected_in(i)
            width = n / base[i] * 100 if base[i] > 0 else xy[i, 0] * 2
            r = Rectangle((0, xy[i, 1] - 0.325), width, 0.65, facecolor=HIGHLIGHT + "99",
                          edgecolor=HIGHLIGHT, linewidth=2.0, zorder=10)
            self.ax.add_patch(r)
            out.append(r)
        return out


#: Step kind -> (chart layer name suffix -> table layer suffix, link class, target param).
LINKS = {
    "funnel": ("_chart", "", FunnelLink, None),
    "trend": ("_chart", "_monthly", TrendLink, "records"),
    "breakdown": ("_chart", "", BreakdownLink, "records"),
}


def chart_link(chart, stack, project=None) -> ChartLink | None:
    """The live link for a chart layer, or None (the saved image is shown instead).

    Parameters
    ----------
    chart : Layer
        A ``figure`` layer made by an analysis.
    stack : LayerStack
        Where its result table and the target layer are found.
    project : Project, optional
        For the analysis's parameters (units, filter, events).
    """
    kind = chart.source.get("kind")
    if kind not in LINKS or chart.kind != "figure":
        return None
    suffix, table_suffix, cls, target_param = LINKS[kind]
    if not chart.name.endswith(suffix):
        return None
    stem = chart.name[: -len(suffix)]
    if kind == "trend" and stem != chart.source.get("analysis"):
        return None  # the quarter and season charts stay images
    table_name = stem + table_suffix
    if table_name not in stack:
        return None
    data = stack[table_name]
    if not hasattr(data.data, "columns"):
        return None
    if target_param is None:
        target = data
    else:
        params = _get(data.meta, "params", {}) or {}
        tname = params.get(target_param) or _step_params(project, chart).get(target_param)
        if isinstance(tname, (list, tuple)):  # record inputs are lists of layer names
            tname = tname[0] if len(tname) == 1 else None
        if not tname or tname not in stack:
            return None
        target = stack[tname]
    return cls(chart, data, target, project)
