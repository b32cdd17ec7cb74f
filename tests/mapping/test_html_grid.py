"""The HTML map's grid image: cell numbers per pixel by numpy, the same as rasterize's.

:func:`mapping.export.html.grid_cell_index` places one-pixel squares on the raster's
lattice itself and leaves every other layer to :func:`rasterio.features.rasterize`;
each case here is compared with rasterize run directly.
"""

import numpy as np
import pytest
import shapely
import shapely.affinity
from rasterio import features
from rasterio.transform import from_origin

from export_fixtures import rates_layer
from mapping.core.surface import Surface, surface_to_cells
from mapping.export.html import grid_cell_index


def _raster_frame(geoms):
    """The raster the HTML grid overlay builds for ``geoms`` (as ``_grid_overlay``)."""
    cell = float(np.sqrt(np.median(shapely.area(geoms))))
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    nx, ny = int(np.ceil((xmax - xmin) / cell)), int(np.ceil((ymax - ymin) / cell))
    return xmin, ymin + ny * cell, cell, (ny, nx)


def _rasterize(geoms, x0, top, cell, shape):
    return features.rasterize(((g, i + 1) for i, g in enumerate(geoms)), out_shape=shape,
                              transform=from_origin(x0, top, cell, cell), fill=0,
                              dtype="int32")


def _cells(x0=412_345.678, y0=187_654.321, cell=150.0, shape=(23, 31), seed=3):
    """A grid layer's cells as the analyses make them: NaN cells left out, rows shuffled."""
    rng = np.random.default_rng(seed)
    values = rng.random(shape).astype("float32")
    values[rng.random(shape) < 0.3] = np.nan
    gdf = surface_to_cells(Surface(values, x0, y0, cell))
    return gdf.geometry.values[rng.permutation(len(gdf))]


@pytest.mark.parametrize("cell", [150.0, 250.0, 100.0 / 3])
def test_square_cells_are_placed_without_rasterize(monkeypatch, cell):
    geoms = np.asarray(_cells(cell=cell), dtype=object)
    frame = _raster_frame(geoms)
    expected = _rasterize(geoms, *frame)

    def no_rasterize(*args, **kwargs):
        raise AssertionError("square cells on the lattice should not need rasterize")

    monkeypatch.setattr(features, "rasterize", no_rasterize)
    got = grid_cell_index(geoms, *frame)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    assert (got > 0).sum() == len(geoms)


def _moved(geoms, how):
    geoms = geoms.copy()
    if how == "rotated":  # one cell turned a little: not axis-aligned
        geoms[0] = shapely.affinity.rotate(geoms[0], 10)
    elif how == "off lattice":  # one cell half a cell east
        x0, _, x1, _ = shapely.bounds(geoms[0])
        geoms[0] = shapely.affinity.translate(geoms[0], xoff=(x1 - x0) / 2)
    elif how == "overlapping":  # two features on one cell: the later one wins
        geoms[1] = geoms[0]
    elif how == "larger":  # a 2 x 2 block among single cells
        geoms[0] = shapely.affinity.scale(geoms[0], 2, 2, origin=(0, 0, 0))
    elif how == "holed":
        g = geoms[0]
        geoms[0] = g.difference(g.centroid.buffer(1.0))
    return geoms


@pytest.mark.parametrize("how", ["rotated", "off lattice", "overlapping", "larger", "holed"])
def test_other_shapes_give_what_rasterize_gives(how):
    geoms = _moved(np.asarray(_cells(), dtype=object), how)
    frame = _raster_frame(geoms)
    assert np.array_equal(grid_cell_index(geoms, *frame), _rasterize(geoms, *frame))


def test_areas_give_what_rasterize_gives():
    geoms = np.asarray(rates_layer().data.geometry.values, dtype=object)
    frame = _raster_frame(geoms)
    got = grid_cell_index(geoms, *frame)
    assert (got > 0).any()
    assert np.array_equal(got, _rasterize(geoms, *frame))
