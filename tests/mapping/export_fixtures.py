"""Tiny literal layers for the map-export tests (issue 6): areas, points, surfaces.

Coordinates are British National Grid metres near Bristol.  The sensitive
points sit at distinctive coordinates so tests can scan exported files for
them byte by byte.
"""

from __future__ import annotations

import numpy as np

import geopandas as gpd
from shapely.geometry import Point, box

from layers.model import Layer
from mapping.core.surface import Surface

X0, Y0 = 358000.0, 172000.0
#: Distinctive sensitive coordinates (must never leave hotmap).
SECRET_XY = [(358123.4567, 172987.6543), (359456.7891, 173210.9876)]
#: Counts per area; 1..4 are small and must be suppressed.
COUNTS = [0, 3, 12, 25, 7, 40, 18, 2, 9, 30, 15, 6]


def areas_gdf():
    """A 4 x 3 grid of 1 km squares with counts, a population and a rate."""
    polys = [box(X0 + i * 1000, Y0 + j * 1000, X0 + (i + 1) * 1000, Y0 + (j + 1) * 1000)
             for j in range(3) for i in range(4)]
    pop = np.array([1500 + 37 * k for k in range(12)])
    counts = np.array(COUNTS)
    return gpd.GeoDataFrame({"code": [f"E0100{k:04d}" for k in range(12)],
                             "name": [f"Area {k}" for k in range(12)],
                             "count": counts, "population": pop,
                             "rate": counts / pop * 1000},
                            geometry=polys, crs=27700)


def rates_layer(**kw):
    """Areas layer styled as a rates choropleth with analysis meta."""
    lyr = Layer("rates", areas_gdf(), kind="areas",
                meta={"title": "Offences per 1,000 residents", "units": "per 1,000",
                      "value_column": "rate", "method": "count / population",
                      "params": {"ci": "Byar"}, "period": "2019", "base_n": int(sum(COUNTS)),
                      "attribution": ["ons", "police_uk"]}, **kw)
    lyr.style.column = "rate"
    return lyr


def gistar_layer():
    """Areas with Gi* bins -3..3 (one of each, plus extras)."""
    g = areas_gdf()[["code", "geometry"]].copy()
    g["gi_bin"] = [-3, -2, -1, 0, 0, 0, 1, 2, 3, 0, 0, 3]
    lyr = Layer("gistar", g, kind="areas", meta={"title": "Gi* hot spots", "value_column":
                                                 "gi_bin"})
    lyr.style.column, lyr.style.scheme = "gi_bin", "gistar"
    return lyr


def secret_points_layer(allow=False):
    """Sensitive needle finds at :data:`SECRET_XY`."""
    g = gpd.GeoDataFrame({"quantity": [1, 2]}, geometry=[Point(x, y) for x, y in SECRET_XY],
                         crs=27700)
    return Layer("needles", g, kind="points", sensitive=True, allow_raw_export=allow,
                 meta={"title": "Needle finds"})


def services_layer():
    """Non-sensitive service points, categorical."""
    g = gpd.GeoDataFrame({"name": ["A", "B", "C"], "type": ["pharmacy", "hub", "pharmacy"]},
                         geometry=[Point(X0 + 500, Y0 + 500), Point(X0 + 2500, Y0 + 1500),
                                   Point(X0 + 3500, Y0 + 2500)], crs=27700)
    lyr = Layer("services", g, kind="points", meta={"title": "Services"})
    lyr.style.column, lyr.style.scheme = "type", "categorical"
    return lyr


def surface_layer(sensitive=True, bandwidth=400.0):
    """A 30 x 40 surface of 100 m cells with a peak, zeros at the edge."""
    ny, nx = 30, 40
    yy, xx = np.mgrid[0:ny, 0:nx]
    v = np.clip(1 - ((xx - 20) ** 2 + (yy - 15) ** 2) / 150.0, 0, None) * 50
    surf = Surface(v.astype(np.float32), X0, Y0, 100.0, units="per km²",
                   meta={"bandwidth": bandwidth, "kernel": "quartic"})
    lyr = Layer("kde", surf, kind="surface", sensitive=sensitive,
                meta={"title": "Needle finds KDE", "units": "finds per km²",
                      "method": "quartic KDE", "params": {"bandwidth": bandwidth}})
    lyr.style.transparent_low = True
    lyr.style.scheme = "equal_interval"
    return lyr
