"""Scale bar and north arrow, true to the output scale.

The map frame's width on paper (mm) and its extent in metres fix the scale;
the bar's length is a "nice" number of metres (1, 2 or 5 × 10^n) drawn in data
coordinates, so it stays true at any dpi and in vector output.
"""

from __future__ import annotations

import math

__all__ = ["nice_length", "scale_denominator", "draw_scale_bar", "draw_north_arrow",
           "format_distance"]


def nice_length(max_m: float) -> float:
    """Largest 1, 2 or 5 × 10^n metres not above ``max_m`` (at least 1 m)."""
    if max_m <= 1:
        return 1.0
    exp = math.floor(math.log10(max_m))
    for m in (5, 2, 1):
        v = m * 10 ** exp
        if v <= max_m:
            return float(v)
    return float(10 ** exp)


def format_distance(m: float) -> str:
    """``500 m``, ``1 km``, ``2.5 km``."""
    if m >= 1000:
        km = m / 1000
        return f"{km:g} km"
    return f"{m:g} m"


def scale_denominator(extent_width_m: float, frame_width_mm: float) -> float:
    """Return N of the representative fraction 1:N."""
    return extent_width_m / (frame_width_mm / 1000.0)


def draw_scale_bar(ax, frame_width_mm: float, *, fraction: float = 0.25, fontsize=7,
                   page_label: str = "") -> float:
    """Draw a segmented scale bar in the lower-left of a map axes.

    Parameters
    ----------
    ax : Axes
        Map axes with limits already set, in metres.
    frame_width_mm : float
        Printed width of the axes.
    fraction : float
        Longest bar as a fraction of the map width.

    Returns
    -------
    float
        The bar length in metres.
    """
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width_m = x1 - x0
    length = nice_length(width_m * fraction)
    mm = width_m / frame_width_mm  # metres per printed mm
    bx, by = x0 + 5 * mm, y0 + 6 * mm
    h = 1.4 * mm
    nseg = 4 if str(int(length / 10 ** math.floor(math.log10(length))))[0] in "24" else 5
    seg = length / nseg
    ax.add_patch(Rectangle((bx - 2 * mm, by - 4.5 * mm), length + 4 * mm + 12 * mm, 12.5 * mm,
                           facecolor="white", alpha=0.85, edgecolor="#999999", linewidth=0.4,
                           zorder=9))
    for i in range(nseg):
        ax.add_patch(Rectangle((bx + i * seg, by), seg, h, facecolor="black" if i % 2 == 0
                               else "white", edgecolor="black", linewidth=0.5, zorder=10))
    for pos, lab in ((0, "0"), (length, format_distance(length))):
        ax.text(bx + pos, by + h + 0.8 * mm, lab, ha="center", va="bottom", fontsize=fontsize,
                zorder=10)
    denom = scale_denominator(width_m, frame_width_mm)
    rf = f"Scale 1:{_round_sig(denom):,}" + (f" at {page_label}" if page_label else "")
    ax.text(bx, by - 0.8 * mm, rf, ha="left", va="top", fontsize=fontsize - 1, zorder=10)
    return length


def _round_sig(x: float, sig: int = 2) -> int:
    if x <= 0:
        return 0
    p = 10 ** (math.floor(math.log10(x)) - sig + 1)
    return int(round(x / p) * p)


def draw_north_arrow(ax, *, size_frac: float = 0.06, fontsize=9):
    """Draw a north arrow in the top-right corner of a map axes (grid north = up)."""
    from matplotlib.patches import Polygon

    tr = ax.transAxes
    w_in, h_in = ax.get_position().width, ax.get_position().height
    fw, fh = ax.figure.get_size_inches()
    aspect = (w_in * fw) / (h_in * fh)
    cx, top = 1 - 0.04 / aspect * 1.2, 0.96
    hgt = size_frac
    wid = hgt * 0.32 / aspect
    ax.add_patch(Polygon([(cx, top - hgt * 0.25), (cx - wid, top - hgt), (cx, top - hgt * 0.8)],
                         closed=True, transform=tr, facecolor="black", edgecolor="black",
                         linewidth=0.6, zorder=11))
    ax.add_patch(Polygon([(cx, top - hgt * 0.25), (cx + wid, top - hgt), (cx, top - hgt * 0.8)],
                         closed=True, transform=tr, facecolor="white", edgecolor="black",
                         linewidth=0.6, zorder=11))
    ax.text(cx, top - hgt * 0.16, "N", transform=tr, ha="center", va="bottom",
            fontsize=fontsize, fontweight="bold", zorder=11)
