"""House style for hotmap's statistical charts (matplotlib, no pyplot).

Every chart in the audit pack is drawn on a :class:`matplotlib.figure.Figure`
created by :func:`chart_figure`, finished by :func:`chart_finish` and written
by :func:`chart_save`.  The house style is made to be read on an A4 page:

* 17 cm wide by default (the A4 text width), 9-10 pt text, no chart junk;
* a left-aligned bold title that states the measure, and a subtitle with the
  period and the **base n** (the number of records the chart is built from);
* a caption under the plot that states the method, and a grey **source line**
  with the data attribution;
* a colour-blind-safe palette (Okabe & Ito 2008) and light horizontal grid.

Matplotlib is imported inside the functions, so ``import mapping`` stays fast
and works where matplotlib is missing (a clear ImportError says what to do).
``pyplot`` is never used: figures are thread-safe and can be drawn in a
worker thread of the desktop app.

Public functions: :func:`chart_figure`, :func:`chart_finish`,
:func:`chart_save`, :func:`chart_events`, :func:`format_n`, :func:`legend_above`.
The charts themselves are drawn in sibling modules: :mod:`mapping.render.charts_trends`,
:mod:`mapping.render.charts_funnel`, :mod:`mapping.render.charts_audit`,
:mod:`mapping.render.charts_patterns` and :mod:`mapping.render.charts_treatment`.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from mapping.audit.events import trend_events
from mapping.render.png import figure_rgba, write_png

__all__ = ["chart_figure", "chart_finish", "chart_save", "chart_events", "format_n", "plural",
           "label_width_in", "legend_above", "PALETTE", "CHART_FORMATS"]

#: Okabe-Ito colour-blind-safe palette, by role.
PALETTE = {
    "main": "#0072B2",     # blue: the measure
    "second": "#E69F00",   # orange: rolling mean / comparison
    "third": "#009E73",    # green
    "alert": "#D55E00",    # vermillion: outliers, slow areas
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "grey": "#6E6E6E",
    "light": "#D9D9D9",
    "text": "#222222",
}
#: File formats :func:`chart_save` writes, keyed by suffix.
CHART_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}

_CM = 1 / 2.54
_RC = {
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.labelsize": 9.5,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#E5E5E5",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "svg.fonttype": "none",
    "svg.hashsalt": "hotmap",  # the same chart gives the same SVG bytes on every run
}


def _mpl():
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise ImportError("hotmap charts need matplotlib: pip install matplotlib") from exc
    return matplotlib, Figure


def format_n(n) -> str:
    """Format a count with thousands separators, e.g. ``'n = 1,234'``."""
    try:
        return f"n = {int(n):,}"
    except (TypeError, ValueError):
        return "n = ?"


def plural(word: str) -> str:
    """English plural of a venue kind: 'pharmacy' -> 'pharmacies', 'club' -> 'clubs'."""
    if word.endswith("y") and not word.endswith(("ay", "ey", "oy", "uy")):
        return word[:-1] + "ies"
    return word if word.endswith("s") else word + "s"


def label_width_in(labels, fontsize: float = 7.8) -> float:
    """Approximate width in inches of the longest label (for left margins)."""
    longest = max((len(str(v)) for v in labels), default=0)
    return 0.15 + longest * fontsize * 0.66 / 72


def chart_figure(*, width_cm: float = 17.0, height_cm: float = 10.0, nrows: int = 1,
                 ncols: int = 1, sharex: bool = False, height_ratios=None):
    """Create a house-style figure and its axes.

    Parameters
    ----------
    width_cm, height_cm : float
        Size in centimetres; 17 cm is the A4 text width.
    nrows, ncols : int
        Grid of axes.
    sharex : bool
        Share the x axis between rows.
    height_ratios : list of float, optional
        Relative row heights.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes or array of Axes
    """
    matplotlib, Figure = _mpl()
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width_cm * _CM, height_cm * _CM), dpi=100)
        kw = {"height_ratios": height_ratios} if height_ratios else None
        axes = fig.subplots(nrows, ncols, sharex=sharex, gridspec_kw=kw, squeeze=True)
    for ax in (axes.flat if hasattr(axes, "flat") else [axes]):
        _style_axes(ax)
    return fig, axes


def _style_axes(ax):
    for k, v in (("top", False), ("right", False)):
        ax.spines[k].set_visible(v)
    ax.spines["left"].set_color("#555555")
    ax.spines["bottom"].set_color("#555555")
    ax.grid(True, axis="y", color="#E5E5E5", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=8.5, colors=PALETTE["text"])
    ax.xaxis.label.set_size(9.5)
    ax.yaxis.label.set_size(9.5)


def chart_finish(fig, *, title: str, subtitle: str | None = None, caption: str | None = None,
                 source: str | None = None, wrap: int | None = None,
                 legend_row: bool | int = True, left_in: float | None = None):
    """Add the title, subtitle (period, base n), caption (method) and source line.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from :func:`chart_figure`.
    title : str
        What is measured, e.g. ``"Drugs offences per month, Bristol"``.
    subtitle : str, optional
        Period and base n, e.g. ``"Oct 2018 - Jan 2019 · n = 281 records"``.
    caption : str, optional
        Method notes; wrapped to the figure width.
    source : str, optional
        Data attribution, printed in grey at the bottom left.
    wrap : int, optional
        Characters per caption line (default: fitted to the figure width).
    legend_row : bool or int
        Reserve one (True) or ``n`` rows above the plot for a legend placed by
        :func:`legend_above`; False for none.
    left_in : float, optional
        Left margin in inches (e.g. for long bar labels); default 0.75.

    Returns
    -------
    matplotlib.figure.Figure
        The same figure, laid out.
    """
    w, h = fig.get_size_inches()
    if wrap is None:  # characters of 7.8 pt DejaVu Sans that fit the figure width
        wrap = int((w - 0.2) * 72 / (7.8 * 0.58))
    title_wrap = int((w - 0.2) * 72 / (11.5 * 0.62))
    title_lines = textwrap.wrap(title, title_wrap) or [""]
    title = "\n".join(title_lines)
    extra = 0.24 * (len(title_lines) - 1)
    top_lines = 1 + (1 if subtitle else 0)
    cap_lines = []
    if caption:
        cap_lines += textwrap.wrap(caption, wrap)
    if source:
        cap_lines += textwrap.wrap("Source: " + source if not source.lower().startswith(
            ("source", "contains")) else source, wrap)
    line_in = 0.17  # inches per caption line at 8 pt
    rows = int(legend_row)  # True = one legend row
    top_in = 0.25 + 0.3 * rows + 0.22 * top_lines + extra
    bottom_in = 0.25 + line_in * len(cap_lines)
    fig.text(0.012, 1 - 0.22 / h, title, ha="left", va="top", fontsize=11.5,
             fontweight="bold", color=PALETTE["text"])
    if subtitle:
        fig.text(0.012, 1 - (0.47 + extra) / h, subtitle, ha="left", va="top", fontsize=9,
                 color="#444444")
    y = 0.08 / h + line_in * (len(cap_lines) - 1) / h
    n_cap = len(textwrap.wrap(caption, wrap)) if caption else 0
    for i, line in enumerate(cap_lines):
        colour = "#444444" if i < n_cap else PALETTE["grey"]
        fig.text(0.012, y - i * line_in / h, line, ha="left", va="bottom",
                 fontsize=7.8, color=colour, style="normal" if i < n_cap else "italic")
    fig.subplots_adjust(top=1 - top_in / h, bottom=min(0.45, (bottom_in + 0.45) / h),
                        left=min(0.6, max(0.08, (left_in or 0.75) / w)), right=0.97)
    _fit_axis_labels(fig)
    return fig


def _fit_axis_labels(fig) -> None:
    """Wrap an axis label longer than its axis onto lines that fit ("Street crimes and
    anti-social behaviour (police.uk) per month" beside a 6 cm axis)."""
    for ax in fig.axes:
        pos = ax.get_position()
        w, h = fig.get_size_inches()
        for label, length_in in ((ax.yaxis.label, pos.height * h),
                                 (ax.xaxis.label, pos.width * w)):
            text = label.get_text()
            if not text:
                continue
            chars = max(8, int(length_in * 72 / (label.get_fontsize() * 0.58)))
            if len(text) > chars:
                label.set_text("\n".join(textwrap.wrap(text, chars)))


def chart_events(ax, events, *, colour: str | None = None, label_y: float = 0.98):
    """Mark user events (holidays, operations) on a time axis.

    Parameters
    ----------
    ax : matplotlib Axes
        An axis whose x values are dates.
    events : DataFrame or list of (date, label) or (start, end, label)
        A point event draws a dashed vertical line, a period a shaded span;
        each is labelled at the top of the axis.  Use
        :func:`mapping.audit.events.trend_events` to read them from a table.
    colour : str, optional
        Line colour (default purple).
    label_y : float
        Label height in axis fraction.
    """
    import pandas as pd

    ev = trend_events(events)
    colour = colour or PALETTE["purple"]
    trans = ax.get_xaxis_transform()
    for i, row in enumerate(ev.itertuples(index=False)):
        start = pd.Timestamp(row.start)
        end = pd.Timestamp(row.end) if pd.notna(row.end) else None
        if end is not None and end > start:
            ax.axvspan(start, end, color=colour, alpha=0.12, lw=0)
        else:
            ax.axvline(start, color=colour, lw=1.1, ls="--")
        ax.text(start, label_y - 0.07 * (i % 3), f" {row.label}", transform=trans, ha="left",
                va="top", fontsize=7.8, color=colour, clip_on=False)


def chart_save(fig, path, *, dpi: int = 200) -> Path:
    """Write a chart as PNG, SVG or PDF (chosen by the suffix), atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The chart.
    path : str or Path
        Output file; ``.png``, ``.svg`` or ``.pdf``.
    dpi : int
        Resolution of PNG output (200 dpi prints sharply on A4).

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InputError
        For an unsupported suffix.
    """
    from layers.common.atomic import atomic_write_path
    from layers.common.errors import InputError

    path = Path(path)
    fmt = CHART_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"cannot write a chart as '{path.suffix or 'no suffix'}'", path=path,
                         fix="use a .png, .svg or .pdf file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    matplotlib, _ = _mpl()
    with matplotlib.rc_context(_RC), atomic_write_path(path) as tmp:
        if fmt == "png":  # the text chunks matplotlib's PNG writer adds, same pixels
            write_png(tmp, figure_rgba(fig, dpi, "white"), dpi=dpi,
                      text={"Software": f"Matplotlib version{matplotlib.__version__}, "
                                        "https://matplotlib.org/", "Creator": "hotmap"})
        else:
            fig.savefig(tmp, format=fmt, dpi=dpi, facecolor="white",
                        metadata={"Creator": "hotmap"})
    return path


def legend_above(ax, ncols: int = 3):
    """Put the legend in one row just above the plot area, clear of the data."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=ncols,
                  frameon=False, fontsize=8.5, borderaxespad=0.2, handlelength=1.8)
