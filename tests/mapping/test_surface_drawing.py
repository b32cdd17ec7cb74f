"""A surface drawn from 8-bit RGBA matches matplotlib's float path (issue 18 speed-up)."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np
import pytest

from export_fixtures import surface_layer
from mapping.render.draw import _draw_surface
from mapping.render.feature_classes import surface_rgba
from mapping.render.styling import resolve_style


def _page(draw) -> np.ndarray:
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(11.69, 8.27))
    ax = fig.add_axes([0.05, 0.05, 0.7, 0.9])
    ax.fill([0, 1e6, 1e6, 0], [0, 0, 1e6, 1e6], color="#d9d9d9", zorder=0)  # blended over
    draw(ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="rgba", dpi=100)
    plt.close(fig)
    return np.frombuffer(buf.getvalue(), np.uint8).astype(int)


@pytest.mark.parametrize("opacity", [1.0, 0.85, 0.6])
def test_bytes_path_within_one_level_of_the_float_path(opacity):
    lyr = surface_layer()
    style = resolve_style(lyr)
    style.opacity = opacity
    x0, x1, y0, y1 = lyr.data.extent

    def ours(ax):
        _draw_surface(ax, lyr, style, SimpleNamespace())
        ax.set_xlim(x0 - 500, x1 + 500)
        ax.set_ylim(y0 - 500, y1 + 500)

    def reference(ax):  # the float RGBA straight to imshow, as before
        rgba, _ = surface_rgba(lyr.data, style)
        ax.imshow(rgba, extent=lyr.data.extent, origin="upper", interpolation="nearest",
                  zorder=1.0)
        ax.set_xlim(x0 - 500, x1 + 500)
        ax.set_ylim(y0 - 500, y1 + 500)

    a, b = _page(ours), _page(reference)
    assert a.shape == b.shape
    assert np.abs(a - b).max() <= 1
    assert (a != b).mean() < 0.05  # a rounding difference, not a different picture
    assert len(np.unique(a.reshape(-1, 4), axis=0)) > 3  # the surface was drawn
