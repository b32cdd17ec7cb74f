"""The one renderer: draw_layers and render_composition (issue 6)."""

import numpy as np
import pytest

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from shapely.geometry import MultiPolygon, Polygon, box

from export_fixtures import gistar_layer, rates_layer, services_layer, surface_layer
from layers.model import Layer
from mapping.render.classify import classify
from mapping.render.compose import MapComposition
from mapping.render.draw import draw_layers
from mapping.render.feature_paths import polygon_paths
from mapping.render.layout import render_composition
from mapping.render.scalebar import format_distance, nice_length, scale_denominator


def _axes():
    fig = Figure()
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def test_polygon_paths_keep_holes_and_multiparts():
    # the hole is given with the same winding as the shell: the renderer must still leave it
    donut = Polygon(box(0, 0, 10, 10).exterior.coords, [box(4, 4, 6, 6).exterior.coords])
    multi = MultiPolygon([box(20, 0, 21, 1), box(30, 0, 31, 1)])
    paths = polygon_paths(np.array([donut, multi, Polygon()], dtype=object))
    assert len(paths) == 3 and len(paths[2].vertices) == 0
    assert len(paths[1].to_polygons()) == 2
    fig = Figure(figsize=(1, 1), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.axis("off")
    ax.add_collection(PathCollection(paths[:1], facecolors="k", edgecolors="none",
                                     transform=ax.transData))
    fig.canvas.draw()
    px = np.asarray(fig.canvas.buffer_rgba())
    assert tuple(px[50, 50][:3]) == (255, 255, 255)  # centre of the hole: empty
    assert tuple(px[10, 10][:3]) == (0, 0, 0)  # inside the ring: filled


def test_choropleth_colours_follow_the_classification():
    fig, ax = _axes()
    lyr = rates_layer()
    lyr.style.scheme = "quantiles"
    infos = draw_layers(ax, [lyr])
    coll = [c for c in ax.collections if isinstance(c, PathCollection)][0]
    assert len(coll.get_paths()) == 12
    ref = classify(lyr.data["rate"], "quantiles", 5, palette="YlOrRd")
    expected = np.array([to_rgba(ref.colors[k]) for k in ref.yb])
    np.testing.assert_allclose(coll.get_facecolors(), expected)
    assert infos[0].classification.counts == ref.counts
    assert infos[0].title == "Offences per 1,000 residents"  # units already in the title
    assert draw_layers(ax, [gistar_layer()])[0].title == "Gi* hot spots"


def test_paths_are_built_once_and_cached_on_the_layer():
    lyr = rates_layer()
    fig, ax = _axes()
    draw_layers(ax, [lyr])
    first = lyr._hotmap_paths[2]
    lyr.update_style(palette="Blues")
    draw_layers(ax, [lyr])
    assert lyr._hotmap_paths[2] is first


def test_hidden_and_disabled_layers_are_skipped():
    a, b, c = rates_layer(), gistar_layer(), services_layer()
    b.visible = False
    c.disable("no geometry column")
    fig, ax = _axes()
    assert [i.name for i in draw_layers(ax, [a, b, c])] == ["rates"]


def test_broken_layer_is_disabled_not_crashed():
    lyr = rates_layer()
    lyr.style.scheme = "manual"  # no breaks -> cannot classify
    fig, ax = _axes()
    try:
        draw_layers(ax, [lyr])
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"renderer crashed: {exc}")


def test_gistar_grey_and_surface_transparent_low_end():
    fig, ax = _axes()
    infos = draw_layers(ax, [gistar_layer(), surface_layer()])
    coll = ax.collections[0]
    assert to_rgba("#d9d9d9") == tuple(coll.get_facecolors()[3])  # bin 0
    img = ax.images[0].get_array()
    surf = surface_layer().data.values
    assert np.all(img[surf <= 0][:, 3] == 0)  # zero cells transparent
    low = infos[1].classification
    assert low.alphas[0] == 0 and all(a > 0 for a in low.alphas[1:])
    peak = np.unravel_index(np.argmax(surf), surf.shape)
    assert img[peak][3] > 0


def test_points_categorical_draw_one_scatter_per_category():
    fig, ax = _axes()
    infos = draw_layers(ax, [services_layer()])
    assert len(ax.collections) == 2 and infos[0].classification.labels[0] == "pharmacy"


def _texts(fig):
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts]
    return out


def test_render_composition_has_all_furniture():
    comp = MapComposition(name="m", title="Offences", subtitle="2019", fictional=True,
                          layers=["rates"])
    fig = render_composition(comp, [rates_layer()])
    texts = " ".join(_texts(fig)).replace("\n", " ")
    for needle in ("Offences", "2019", "FICTIONAL DATA", "N", "Scale 1:", "km",
                   "Office for National Statistics", "data.police.uk", "n areas", "Notes",
                   "Disclosure control", "Based on 167", "(base n)"):
        assert needle in texts, needle
    assert tuple(fig.get_size_inches().round(3)) == (round(297 / 25.4, 3), round(210 / 25.4, 3))


def test_scale_bar_is_true_to_the_printed_scale():
    comp = MapComposition(name="m", extent=[358000, 172000, 362000, 175000], layers=["rates"])
    fig = render_composition(comp, [rates_layer()])
    ax = fig.axes[0]
    fig.canvas.draw()
    from matplotlib.patches import Rectangle
    bar = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_zorder() == 10]
    assert len(bar) in (4, 5)  # alternating black and white segments
    x0 = min(p.get_x() for p in bar)
    x1 = max(p.get_x() + p.get_width() for p in bar)
    length_m = x1 - x0
    (dx0, _), (dx1, _) = ax.transData.transform([(x0, 0), (x1, 0)])
    printed_mm = (dx1 - dx0) / fig.dpi * 25.4
    xlim = ax.get_xlim()
    frame_mm = ax.get_position().width * 297
    denom = scale_denominator(xlim[1] - xlim[0], frame_mm)
    assert printed_mm == pytest.approx(length_m / denom * 1000, rel=1e-3)
    assert length_m in (1000, 2000, 500)


def test_nice_lengths():
    assert [nice_length(v) for v in (0.5, 7, 130, 2600, 49000)] == [1, 5, 100, 2000, 20000]
    assert format_distance(500) == "500 m" and format_distance(2500) == "2.5 km"


def test_locator_inset_and_labels_and_portrait():
    comp = MapComposition(name="m", orientation="portrait", layers=["rates"],
                          extent=[358000, 172000, 359500, 173500], locator_layer="rates",
                          label_layer="rates", label_column="count")
    fig = render_composition(comp, [rates_layer()])
    assert len(fig.axes) == 3  # map, inset, panel
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert "<5" in labels and not {"1", "2", "3", "4"} & set(labels)


def test_rendering_touches_neither_pyplot_nor_qt():
    """The GUI embeds our Figures/Axes; export must not use pyplot's figure state or Qt."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys; sys.path[:0] = [%r, %r]\n"
        "from export_fixtures import rates_layer\n"
        "from mapping.render.compose import MapComposition\n"
        "from mapping.render.layout import render_composition\n"
        "fig = render_composition(MapComposition(layers=['rates']), [rates_layer()])\n"
        "fig.savefig(__import__('io').BytesIO(), format='png', dpi=50)\n"
        "bad = [m for m in sys.modules if m.startswith('PySide6')]\n"
        "plt = sys.modules.get('matplotlib.pyplot')  # mapclassify imports it, unused\n"
        "bad += ['pyplot figures'] if plt is not None and plt.get_fignums() else []\n"
        "print(bad)\n") % (str(root), str(Path(__file__).parent))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={"MPLBACKEND": "Agg", "PATH": ""})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_fast_paths_are_the_constructor_s_paths():
    """polygon_paths skips Path.__init__'s checks (issue 18): every path it makes must be
    the one the constructor makes from the same arrays, settings included."""
    from matplotlib.path import Path

    import shapely

    rng = np.random.default_rng(3)
    shells = [shapely.buffer(shapely.Point(rng.uniform(0, 1e4, 2)), rng.uniform(10, 500),
                             quad_segs=int(rng.integers(2, 80))) for _ in range(40)]
    donut = Polygon(box(0, 0, 10, 10).exterior.coords, [box(4, 4, 6, 6).exterior.coords])
    clockwise = Polygon(list(box(0, 0, 3, 3).exterior.coords)[::-1])
    geoms = np.array([*shells, donut, clockwise, MultiPolygon([box(20, 0, 21, 1),
                                                                box(30, 0, 31, 1)])],
                     dtype=object)
    for p in polygon_paths(geoms):
        ref = Path(p.vertices, p.codes)
        assert np.array_equal(p.vertices, ref.vertices)
        assert np.array_equal(p.codes, ref.codes)
        assert p.should_simplify == ref.should_simplify
        assert p.simplify_threshold == ref.simplify_threshold
        assert p._interpolation_steps == ref._interpolation_steps
