"""The hand-written PNG writer (mapping/render/png.py) against Pillow's and matplotlib's.

Same pixels (decoded by Pillow), same mode, and every chunk but the image data the
same bytes as Pillow writes for the same image, text and dpi.
"""

import io
import struct

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from export_fixtures import rates_layer
from mapping.export.maps import export_map
from mapping.render.compose import PNG_COMPRESS_LEVEL, MapComposition
from mapping.render.png import figure_rgba, write_png


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    out, i = [], 8
    while i < len(data):
        n, kind = struct.unpack(">I4s", data[i:i + 8])
        out.append((kind, data[i + 8:i + 8 + n]))
        i += 12 + n
    return out


def _page(opaque: bool) -> np.ndarray:
    """A page-like image: flat fills, a white margin, gradients, noise, odd width."""
    rng = np.random.default_rng(7)
    h, w = 97, 131
    img = np.full((h, w, 4), 255, np.uint8)
    img[10:60, 20:90, :3] = (200, 30, 40)
    img[:, :, 0] = np.where(np.arange(w) > 100, np.arange(w, dtype=np.uint8) * 2, img[:, :, 0])
    img[70:, :, :3] = rng.integers(0, 256, (h - 70, w, 3), dtype=np.uint8)
    if not opaque:
        img[:40, :50, 3] = rng.integers(0, 256, (40, 50), dtype=np.uint8)
    return img


def _pillow_png(img: np.ndarray, dpi, text) -> bytes:
    info = PngImagePlugin.PngInfo()
    for k, v in text.items():
        info.add_text(k, v)
    mode = "RGB" if (img[:, :, 3] == 255).all() else "RGBA"
    buf = io.BytesIO()
    Image.fromarray(img[:, :, :len(mode)], mode).save(
        buf, format="png", pnginfo=info, dpi=(dpi, dpi), compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


@pytest.mark.parametrize("opaque", [True, False])
@pytest.mark.parametrize("text", [{"Title": "Offences per 1,000", "Software": "hotmap"},
                                  {"Title": "Rates – ‘east’ wards", "Creator": "hotmap"}])
@pytest.mark.parametrize("dpi", [300, 200, 72.5])
def test_same_pixels_and_chunks_as_pillow(tmp_path, opaque, text, dpi):
    img = _page(opaque)
    ours = write_png(tmp_path / "a.png", img, dpi=dpi, text=text).read_bytes()
    theirs = _pillow_png(img, dpi, text)
    with Image.open(io.BytesIO(ours)) as a, Image.open(io.BytesIO(theirs)) as b:
        assert a.mode == b.mode == ("RGB" if opaque else "RGBA")
        assert np.array_equal(np.asarray(a), np.asarray(b))
        assert a.info == b.info  # dpi and text, as Pillow reads them back
    assert ours[:8] == theirs[:8]
    assert ([c for c in _chunks(ours) if c[0] != b"IDAT"]
            == [c for c in _chunks(theirs) if c[0] != b"IDAT"])


def test_rejects_what_is_not_rgba_bytes(tmp_path):
    with pytest.raises(ValueError):
        write_png(tmp_path / "a.png", np.zeros((4, 4, 3), np.uint8), dpi=300)
    with pytest.raises(ValueError):
        write_png(tmp_path / "a.png", np.zeros((4, 4, 4), np.float32), dpi=300)


def test_figure_rgba_is_what_savefig_draws():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2.1, 1.3), dpi=80)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot([0, 1, 3], [2, 0, 1])
    ax.set_title("a title")
    buf = io.BytesIO()
    fig.savefig(buf, format="rgba", dpi=150, facecolor="white")
    px = figure_rgba(fig, 150, "white")
    assert px.shape == (int(1.3 * 150), int(2.1 * 150), 4)
    assert np.array_equal(px.ravel(), np.frombuffer(buf.getvalue(), np.uint8))


def test_map_png_has_matplotlibs_pixels(tmp_path):
    comp = MapComposition(name="rates", title="Rates", layers=["rates"], dpi=100)
    from mapping.render.layout import render_composition

    fig = render_composition(comp, [rates_layer()])
    p = export_map(comp, [rates_layer()], tmp_path / "m.png", figure=fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, facecolor=fig.get_facecolor())
    with Image.open(p) as a, Image.open(buf) as b:
        assert a.mode == "RGB"
        assert np.array_equal(np.asarray(a.convert("RGBA")), np.asarray(b.convert("RGBA")))
        assert a.info["Title"] == "Rates" and a.info["dpi"] == b.info["dpi"]


def test_chart_png_has_matplotlibs_pixels_and_text(tmp_path, monkeypatch):
    from mapping.render import charts

    fig, ax = charts.chart_figure()
    ax.bar(["a", "b", "c"], [3, 1, 2])
    ax.set_title("Arrests – by month")
    p = charts.chart_save(fig, tmp_path / "c.png")
    buf = io.BytesIO()

    def matplotlib_png(tmp, rgba, *, dpi, text):  # matplotlib's own, under chart_save's rc
        fig.savefig(buf, format="png", dpi=dpi, facecolor="white",
                    metadata={"Creator": "hotmap"})
        tmp.write_bytes(buf.getvalue())

    monkeypatch.setattr(charts, "write_png", matplotlib_png)
    charts.chart_save(fig, tmp_path / "ignored.png")
    with Image.open(p) as a, Image.open(buf) as b:
        assert a.mode == "RGB" and b.mode == "RGBA"  # opaque: the alpha byte is dropped
        assert np.array_equal(np.asarray(a.convert("RGBA")), np.asarray(b))
        assert a.info == b.info
