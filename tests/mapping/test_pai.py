"""PAI, hit rate and RRI on a hand-worked case."""

from __future__ import annotations

import numpy as np
import pytest

import geopandas as gpd
from shapely.geometry import box

from layers.common.errors import AnalysisError
from mapping.stats.pai import pai_areas, pai_surface
from mapping.core.surface import Surface

CRS = "EPSG:27700"


@pytest.fixture
def surface():
    # 10 x 10 cells of 100 m (1 km²); values rise to the north-east; one cell outside (NaN)
    vals = np.arange(100, dtype=np.float32).reshape(10, 10)[::-1].copy()
    vals[9, 0] = np.nan  # the south-west cell is outside the study area
    return Surface(values=vals, x0=0, y0=0, cell_size=100)


def _pts(xy):
    xy = np.asarray(xy, float)
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)


def test_pai_hand_worked(surface):
    # 99 cells with data; top 3% -> ceil(2.97) = 3 cells: values 99, 98, 97, the three most
    # north-eastern cells of the top row: x 700-1000, y 900-1000.
    later = _pts([(950, 950), (850, 950), (750, 950), (750, 960),   # 4 in the hotspot
                  (50, 850), (450, 450), (550, 150), (150, 250),     # 4 elsewhere inside
                  (50, 50),                                           # NaN cell: outside
                  (5000, 5000)])                                      # off the grid
    res = pai_surface(surface, later)
    assert res["hot_cells"] == 3 and res["cells"] == 99
    assert res["n_hot"] == 4 and res["n_total"] == 8 and res["outside"] == 2
    assert res["hit_rate"] == pytest.approx(0.5)
    # Wilson limits for 4/8 by hand: (2r + z² ± z sqrt(z² + 4r(1 - p))) / (2(n + z²))
    z = 1.959963984540054
    half = z * np.sqrt(z * z + 4 * 4 * 0.5)
    assert res["hit_rate_lcl"] == pytest.approx((8 + z * z - half) / (2 * (8 + z * z)))
    assert res["hit_rate_ucl"] == pytest.approx((8 + z * z + half) / (2 * (8 + z * z)))
    # a = 3 cells * 0.01 km² = 0.03 km²; A = 99 * 0.01 = 0.99 km²
    assert res["hot_km2"] == pytest.approx(0.03) and res["study_km2"] == pytest.approx(0.99)
    assert res["pai"] == pytest.approx(0.5 / (3 / 99))
    assert res["threshold"] == 97
    earlier = _pts([(950, 950)] * 6 + [(450, 450)] * 6)  # n1 = 6, N1 = 12
    res = pai_surface(surface, later, earlier=earlier)
    assert res["rri"] == pytest.approx((4 / 6) / (8 / 12))


def test_pai_top_percent_and_errors(surface):
    later = _pts([(950, 950), (50, 850)])
    res = pai_surface(surface, later, top_percent=10)
    assert res["hot_cells"] == 10 and res["pai"] == pytest.approx(0.5 / (10 / 99))
    with pytest.raises(AnalysisError):
        pai_surface(surface, later, top_percent=0)


def test_pai_areas_hand_worked():
    areas = gpd.GeoDataFrame({"hot": [True, False, False, False]},
                             geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100),
                                       box(0, 100, 100, 200), box(100, 100, 200, 200)], crs=CRS)
    later = _pts([(50, 50), (60, 60), (150, 50), (150, 150)])
    res = pai_areas(areas, "hot", later)
    assert (res["n_hot"], res["n_total"]) == (2, 4)
    assert res["pai"] == pytest.approx(0.5 / 0.25)
    with pytest.raises(AnalysisError, match="no area is marked"):
        pai_areas(areas, [False] * 4, later)


def test_study_area_from_a_boundary_or_a_warning():
    """An unmasked surface (a KDE without a boundary) and no boundary: A is the whole grid
    rectangle, said in the result and warned about.  With a boundary (the west half), A is
    its 50 cells, by hand: a = 2 cells (top 3% of 50), and the later events outside drop out."""
    vals = np.arange(100, dtype=np.float32).reshape(10, 10)[::-1].copy()
    s = Surface(values=vals, x0=0, y0=0, cell_size=100)
    later = _pts([(450, 950), (350, 950), (950, 950), (50, 50)])
    with pytest.warns(UserWarning, match="whole grid rectangle"):
        whole = pai_surface(s, later)
    assert whole["study_area"].startswith("the whole grid rectangle")
    assert whole["study_km2"] == pytest.approx(1.0)
    west = gpd.GeoDataFrame(geometry=[box(0, 0, 500, 1000)], crs=CRS)
    res = pai_surface(s, later, boundary=west)
    assert res["study_area"].startswith("the boundary") and res["cells"] == 50
    # west half: values of the top row x 0-500 are 90..94; top ceil(1.5) = 2 cells: 94, 93
    assert res["hot_cells"] == 2 and res["threshold"] == 93
    assert res["n_total"] == 3 and res["outside"] == 1 and res["n_hot"] == 2
    assert res["pai"] == pytest.approx((2 / 3) / (2 / 50))
