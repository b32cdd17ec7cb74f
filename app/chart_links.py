"""Live charts linked to the map: which rows a chart mark stands for, and back.

A chart layer (kind ``figure``) of a funnel, trend or breakdown analysis is
redrawn on screen with the same chart function its export uses
(:func:`mapping.render.charts_funnel.funnel_chart`,
:func:`mapping.render.charts_trends.trend_chart`,
:func:`mapping.render.charts_audit.breakdown_chart`), from the result table the
analysis put beside it, so the screen and the exported PNG match.  A
:class:`ChartLink` also knows which layer's rows each mark stands for:

* funnel: a dot is an area (rows of the funnel's area layer);
* trend: a bar is a month (the records of that month, after the analysis's
  filter);
* breakdown: a bar is a group (the records in that group).

:meth:`ChartLink.pick` turns a click (or a dragged box) into row labels to
select; :meth:`ChartLink.marks_for` turns a selection (on the map or in the
table, of the target layer or of another layer sharing its area codes) into
the marks to highlight.  The base class is in :mod:`app.chart_link_base`.
Qt-free: matplotlib figures and pandas only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.dates import date2num
from matplotlib.patches import Rectangle

# the chart functions are looked up on their modules when a chart is drawn (the same
# functions the export calls, and patchable there)
from mapping.audit import demographics
from mapping.core.filters import apply_filter
from mapping.render import charts_audit, charts_funnel, charts_trends

from app.chart_link_base import HIGHLIGHT, ChartLink, meta_value, source_line, step_params

__all__ = ["ChartLink", "chart_link", "LINKS"]

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
        return charts_funnel.funnel_chart(self._table(), units=self._units(),
                            title=self.params.get("title"),
                            source=source_line(self.project))

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
        t = self.data.data.copy()
        t.attrs["meta"] = dict(self.data.meta) if isinstance(self.data.meta, dict) else {}
        ev = self.params.get("events")
        if isinstance(ev, str):
            ev = None  # a CSV of events: the saved chart has them; the live one omits them
        return charts_trends.trend_chart(t, units=self._units(),
                           place=self.params.get("place"), events=ev or None,
                           source=source_line(self.project))

    def _months(self):
        return pd.to_datetime(self.data.data["month"])

    def _record_months(self):
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
        t = self.data.data
        return t[(t["group"] != "Total") & (t["group"] != demographics.NOT_RECORDED)]

    def _draw(self):
        t = self.data.data.copy()
        t.attrs["meta"] = dict(self.data.meta) if isinstance(self.data.meta, dict) else {}
        return charts_audit.breakdown_chart(t, units=self._units(),
                               source=source_line(self.project))

    def _record_groups(self):
        if getattr(self, "_cache", None) is not None:
            return self._cache
        p = meta_value(self.data.meta, "params", {}) or {}
        col, by = p.get("column"), p.get("by")
        recs = apply_filter(self.target.data, self.params.get("filter"))
        if not col or col not in recs.columns:
            self._cache = pd.Series("", index=recs.index)
            return self._cache
        s = recs[col]
        if col == "age" or (by == "age" and pd.api.types.is_numeric_dtype(s)):
            s = demographics.age_bands(s)  # the breakdown bands numeric ages the same way
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
        params = meta_value(data.meta, "params", {}) or {}
        tname = params.get(target_param) or step_params(project, chart).get(target_param)
        if isinstance(tname, (list, tuple)):  # record inputs are lists of layer names
            tname = tname[0] if len(tname) == 1 else None
        if not tname or tname not in stack:
            return None
        target = stack[tname]
    return cls(chart, data, target, project)
