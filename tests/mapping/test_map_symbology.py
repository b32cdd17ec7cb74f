"""Drawing order, legend swatches, boundary names, no-value classes, shared scales (issue 17)."""

import numpy as np
import pytest

import geopandas as gpd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from shapely.geometry import Point, box

from export_fixtures import X0, Y0, areas_gdf, surface_layer
from boundaries.detect import level_title
from layers.model import Layer, LayerStack
from layers.style import LayerStyle
from mapping.render.compose import MapComposition
from mapping.render.legend import legend_rows
from mapping.render.draw import draw_layers
from mapping.render.layout import render_composition
from mapping.render.styling import layer_title

pytestmark = pytest.mark.filterwarnings("ignore:Numba not installed")


def _axes(px=100):
    fig = Figure(figsize=(1, 1), dpi=px)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    return fig, ax


def _pixel(fig, ax, x, y):
    fig.canvas.draw()
    px = np.asarray(fig.canvas.buffer_rgba())
    dx, dy = ax.transData.transform((x, y))
    return tuple(int(v) for v in px[int(px.shape[0] - dy), int(dx)][:3])


def _square(color):
    g = gpd.GeoDataFrame({"code": ["E01000001"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)],
                         crs=27700)
    return Layer("square", g, kind="areas", style=LayerStyle(color=color, edgecolor="none"))


def _dot(color):
    g = gpd.GeoDataFrame({"id": [1]}, geometry=[Point(X0 + 500, Y0 + 500)], crs=27700)
    return Layer("dot", g, kind="points", style=LayerStyle(color=color, edgecolor="none",
                                                           marker_size=400))


@pytest.mark.parametrize("order", ["points_on_top", "polygon_on_top"])
def test_drawing_order_follows_the_layer_list(order):
    sq, dot = _square("#0000ff"), _dot("#ff0000")
    layers = [sq, dot] if order == "points_on_top" else [dot, sq]
    fig, ax = _axes()
    draw_layers(ax, layers)
    ax.set_xlim(X0, X0 + 1000)
    ax.set_ylim(Y0, Y0 + 1000)
    centre = _pixel(fig, ax, X0 + 500, Y0 + 500)
    assert centre == ((255, 0, 0) if order == "points_on_top" else (0, 0, 255))


def test_surface_can_be_drawn_over_areas_and_under_them():
    kde = surface_layer()
    sq = _square("#0000ff")
    sq.data = sq.data.set_geometry(sq.data.translate(1500, 1000))  # over the peak
    for layers, top_is_surface in (([sq, kde], True), ([kde, sq], False)):
        fig, ax = _axes()
        draw_layers(ax, layers)
        ax.set_xlim(X0 + 1500, X0 + 2500)
        ax.set_ylim(Y0 + 1000, Y0 + 2000)
        colour = _pixel(fig, ax, X0 + 2000, Y0 + 1500)
        assert (colour != (0, 0, 255)) == top_is_surface


def test_boundary_layers_get_human_names():
    assert level_title("LSOA11CD") == "LSOAs (2011)"
    assert level_title("WD14CD") == "Wards (2014)"
    assert level_title("msoa11cd") == "MSOAs (2011)"
    assert level_title("LAD21CD") == "Local authority districts (2021)"
    assert level_title("LSOA2021CD") == "LSOAs (2021)"
    assert level_title("code", ["E01014485", "E01014486"]) == "LSOAs"
    assert level_title("code", ["X1", "X2"]) is None
    gdf = areas_gdf().rename(columns={"code": "WD13CD"})
    wards = Layer("wards", gdf, kind="areas", source={"boundaries": "wards"},
                  meta={"code_field": "WD13CD"})
    assert layer_title(wards) == "Wards (2013)"
    plain = Layer("lsoa", areas_gdf(), kind="areas", source={"boundaries": "lsoa"},
                  meta={"code_field": "code"})
    assert layer_title(plain) == "LSOAs"  # E0100... codes
    odd = Layer("zones", gdf.assign(WD13CD="Z"), kind="areas", source={"boundaries": "z"},
                meta={"code_field": "beat"})
    assert layer_title(odd) == "zones"
    # codes that name no ONS level (a fictional or local geography): the declared role does
    local = Layer("lsoa", gdf.assign(WD13CD="VALE-01"), kind="areas",
                  source={"boundaries": "lsoa"}, meta={"code_field": "beat", "role": "lsoa"})
    assert layer_title(local) == "LSOAs"
    assert layer_title(Layer("d", gdf, kind="areas", source={"boundaries": "d"},
                             meta={"code_field": "x", "role": "District"})) == \
        "Local authority districts"
    assert layer_title(Layer("beats", gdf, kind="areas", source={"boundaries": "b"},
                             meta={"code_field": "x", "role": "beat"})) == "beats"


def _legend_texts_and_patches(fig):
    panel = [a for a in fig.axes if not a.get_visible() or a.get_xlim()[1] < 200][-1]
    texts = [t.get_text() for t in panel.texts]
    patches = [p for p in panel.patches if isinstance(p, Rectangle)]
    return texts, patches


def test_outline_layer_has_a_swatch_drawn_as_its_line_and_a_human_name():
    gdf = areas_gdf().rename(columns={"code": "WD13CD"})
    wards = Layer("wards", gdf, kind="areas", source={"boundaries": "wards"},
                  meta={"code_field": "WD13CD"},
                  style=LayerStyle(color="none", edgecolor="#252525", linewidth=0.9))
    comp = MapComposition(name="m", title="t", layers=["wards"], show_notes=False)
    fig = render_composition(comp, [wards])
    texts, patches = _legend_texts_and_patches(fig)
    assert "Wards (2013)" in texts and "wards" not in texts
    sw = [p for p in patches if to_rgba(p.get_edgecolor())[:3] == to_rgba("#252525")[:3]]
    assert sw, "no swatch in the outline colour"
    assert sw[0].get_facecolor()[3] == 0 and sw[0].get_linewidth() == pytest.approx(0.9)
    declared = Layer("wards", gdf, kind="areas", source={"boundaries": "wards"},
                     meta={"code_field": "WD13CD"},
                     style=LayerStyle(color="none", legend_title="Wards (May 2016)"))
    texts, _ = _legend_texts_and_patches(render_composition(comp, [declared]))
    assert "Wards (May 2016)" in texts


def test_areas_with_no_population_have_their_own_hatched_class():
    g = areas_gdf()
    g["population"] = g["population"].astype(float)
    g.loc[[2, 5], "population"] = np.nan  # e.g. Census 2021 codes missing on 2011 LSOAs
    g["rate"] = g["count"] / g["population"] * 1000
    g["rate_suppressed"] = g["count"].between(1, 4)
    g.loc[g["rate_suppressed"], "rate"] = np.nan
    lyr = Layer("rates", g, kind="areas", meta={"title": "Rate", "disclosure_threshold": 5},
                style=LayerStyle(column="rate"))
    fig, ax = _axes()
    info = draw_layers(ax, [lyr])[0]
    rows = {r["label"]: r for r in legend_rows(info)}
    assert rows["No population: rate not computed"]["count"] == 2
    assert rows["No population: rate not computed"]["hatch"]
    assert rows["Suppressed (<5)"]["count"] == int(g["rate_suppressed"].sum())
    colls = ax.collections
    assert len(colls) == 2 and colls[1].get_hatch()  # the hatched no-value areas
    fc = colls[0].get_facecolors()
    assert tuple(fc[2][:3]) == (1.0, 1.0, 1.0) and tuple(fc[5][:3]) == (1.0, 1.0, 1.0)
    assert sum(r["count"] for r in legend_rows(info)) == len(g)


def _rates(name, scale_up, shared="yoy"):
    g = areas_gdf()
    g["rate"] = g["count"] * scale_up
    return Layer(name, g, kind="areas", meta={"title": name, "value_column": "rate"},
                 style=LayerStyle(column="rate", scheme="quantiles", k=4, shared_scale=shared))


def test_shared_scale_gives_two_years_the_same_classes_and_colours():
    y23, y24 = _rates("y2023", 1.0), _rates("y2024", 2.5)
    stack = LayerStack([y23, y24])
    infos = {}
    for lyr in (y23, y24):  # one map each, as hotmap run draws them
        comp = MapComposition(name=lyr.name, layers=[lyr.name], show_notes=False)
        fig = render_composition(comp, stack)
        infos[lyr.name] = fig._hotmap_infos[0].classification
    a, b = infos["y2023"], infos["y2024"]
    assert a.labels == b.labels and a.colors == b.colors and a.scale == b.scale
    # the pooled scale: 2023's top values sit in low classes, 2024's in high ones
    assert np.mean(a.yb[a.yb >= 0]) < np.mean(b.yb[b.yb >= 0])
    # without the shared scale each map has its own edges
    alone = [render_composition(MapComposition(name=n, layers=[n], show_notes=False),
                                [_rates(n, s, shared="")])._hotmap_infos[0].classification
             for n, s in (("y2023", 1.0), ("y2024", 2.5))]
    assert alone[0].labels != alone[1].labels


def test_shared_scale_edges_never_come_from_suppressed_values():
    y23, y24 = _rates("y2023", 1.0), _rates("y2024", 1.0)
    g = y24.data.copy()
    g.loc[1, "rate"] = 9999.0  # count 3: suppressed on every exported map
    y24.data = g
    comp = MapComposition(name="y2023", layers=["y2023"], show_notes=False)
    cls = render_composition(comp, LayerStack([y23, y24]))._hotmap_infos[0].classification
    assert max(cls.scale.bins) < 9999.0
    assert not any("9,999" in lab for lab in cls.labels)


def test_shared_scale_of_two_surfaces():
    a, b = surface_layer(), surface_layer()
    b.name = "kde2"
    b.data = type(a.data)(a.data.values * 2, a.data.x0, a.data.y0, a.data.cell_size,
                          units=a.data.units, meta=a.data.meta)
    for lyr in (a, b):
        lyr.style.shared_scale = "kde"
    fig, ax = _axes()
    ia, ib = draw_layers(ax, [a, b])
    assert ia.classification.scale == ib.classification.scale
    assert ia.classification.labels[0].startswith("0 – ")  # a density starts at 0
    # the weaker surface has no cell in the top class of the shared scale; the class stays
    assert ia.classification.counts[-1] == 0 and ib.classification.counts[-1] > 0


def test_one_shared_scale_entry_holds_for_every_map_of_the_run():
    from mapping.export.output_plan import share_scales as _share_scales

    y23, y24 = _rates("y2023", 1.0, shared=""), _rates("y2024", 2.5, shared="")
    declared = {"y2023": {"shared_scale": "yoy"}, "y2024": {"shared_scale": "yoy"}}
    maps = [MapComposition(name="a", layers=["y2023"], style_overrides=declared,
                           show_notes=False),
            MapComposition(name="b", layers=["y2024"], show_notes=False)]
    shared = _share_scales(maps)
    assert maps[1].style_overrides == {} and declared["y2023"] == {"shared_scale": "yoy"}
    figs = [render_composition(c, [y23, y24]) for c in shared]
    a, b = (f._hotmap_infos[0] for f in figs)
    assert a.classification.scale == b.classification.scale
    assert b.shared_scale == "yoy" and b.shared_with == ["y2023", "y2024"]
    legend_text = [t.get_text() for ax in figs[1].axes for t in ax.texts]
    assert "Same classes as the other map of the series ‘yoy’" in legend_text


def test_default_map_outlines_only_coarser_geographies_over_areas():
    from mapping.export.outputs import default_composition

    lsoa = Layer("lsoa", areas_gdf(), kind="areas", source={"boundaries": "lsoa"},
                 meta={"code_field": "code"})
    wards_gdf = areas_gdf().iloc[:2].copy()
    wards_gdf["geometry"] = [box(X0, Y0, X0 + 2000, Y0 + 3000),
                             box(X0 + 2000, Y0, X0 + 4000, Y0 + 3000)]
    wards = Layer("wards", wards_gdf, kind="areas", source={"boundaries": "wards"})
    ward_rates = Layer("ward_rates", wards_gdf.assign(rate=[1.0, 2.0]), kind="areas",
                       meta={"value_column": "rate"})
    comp = default_composition(ward_rates, [lsoa, wards])
    assert comp.layers == ["ward_rates"]  # its own geography and finer LSOAs not outlined
    lsoa_rates = Layer("lsoa_rates", areas_gdf(), kind="areas",
                       meta={"value_column": "rate", "period": "2019"})
    comp = default_composition(lsoa_rates, [lsoa, wards])
    assert comp.layers == ["lsoa_rates", "wards"]
    assert comp.subtitle == "2019 · LSOAs"  # the geography of the values, named
    assert comp.style_overrides["wards"]["linewidth"] == 0.9
    comp = default_composition(surface_layer(), [lsoa, wards])
    assert comp.layers == ["kde", "lsoa", "wards"]  # finest first: coarser lines on top
    assert comp.style_overrides["lsoa"]["linewidth"] < comp.style_overrides["wards"]["linewidth"]


def test_legend_entries_for_the_style_panel_match_the_drawn_legend():
    from mapping.render.legend import legend_entries

    kde = surface_layer()
    kde.style.scheme = "auto"
    fig, ax = _axes()
    info = draw_layers(ax, [kde])[0]
    drawn = [(r["color"], r["label"] + (" (not shaded)" if r["alpha"] == 0 else ""))
             for r in legend_rows(info)]
    assert legend_entries(kde) == drawn and drawn[0][1].endswith("(not shaded)")
    y23, y24 = _rates("y2023", 1.0), _rates("y2024", 2.5)
    assert legend_entries(y23, pool=[y23, y24]) == legend_entries(y24, pool=[y23, y24])


def test_manual_breaks_from_the_style_are_drawn_and_in_the_legend():
    lyr = _rates("r", 1.0, shared="")
    lyr.style.scheme, lyr.style.breaks = "manual", [10, 20, 30]
    fig, ax = _axes()
    info = draw_layers(ax, [lyr])[0]
    rates = lyr.data["rate"].to_numpy()
    # hand count: COUNTS = 0 3 12 25 7 40 18 2 9 30 15 6 -> <=10: 6, <=20: 3, <=30: 2, >30: 1
    assert info.classification.counts == [6, 3, 2, 1]
    assert info.classification.labels == ["0 – 10", "11 – 20", "21 – 30", "31 – 40"]
    assert len(rates) == 12
    lyr.style.breaks = "10, 20; 30"  # as typed in a form
    assert draw_layers(ax, [lyr])[0].classification.counts == [6, 3, 2, 1]
