"""The land check of :func:`layers.ingest.coords.check_points` against a scalar reference:
each point is land when the land mask covers the centre of its 1 km cell, the cell found
by Python's float floor division one point at a time.  Points on cell edges, on the
grid's outer edges, NaN, zero and outside the grid are included, in one call and split
over calls (the per-cell memo must give the same answers)."""

from __future__ import annotations

import numpy as np
import pytest

import shapely

from layers.ingest import coords


def _reference(x, y):
    x0, y0, x1, y1 = coords.GB_BOUNDS
    rows = int((y1 - y0) // 1000.0) + 1
    cols = int((x1 - x0) // 1000.0) + 1
    mask = coords.land_mask()
    out = []
    for a, b in zip(x.tolist(), y.tolist()):
        if not (np.isfinite(a) and np.isfinite(b)) or a == b == 0 or \
                not (x0 <= a <= x1 and y0 <= b <= y1):
            out.append(False)
            continue
        i = min(int((b - y0) // 1000.0), rows - 1)
        j = min(int((a - x0) // 1000.0), cols - 1)
        out.append(bool(shapely.contains_xy(mask, x0 + (j + 0.5) * 1000.0,
                                            y0 + (i + 0.5) * 1000.0)))
    return np.array(out)


def _points(seed):
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = coords.GB_BOUNDS
    n = 6000
    x = rng.uniform(x0 - 5e4, x1 + 5e4, n)
    y = rng.uniform(y0 - 5e4, y1 + 5e4, n)
    edge = rng.integers(0, n, 800)  # exactly on 1 km cell edges, and a hair either side
    x[edge] = x0 + rng.integers(0, 750, 800) * 1000.0
    y[edge[:400]] = y0 + rng.integers(0, 1270, 400) * 1000.0
    x[edge[:200]] = np.nextafter(x[edge[:200]], -np.inf)
    y[edge[200:300]] = np.nextafter(y[edge[200:300]], np.inf)
    x[:3], y[:3] = [x1, x0, np.nan], [y1, y0, 5e5]  # the grid's corners, a NaN
    x[3:5] = y[3:5] = 0.0
    return x, y


@pytest.mark.parametrize("split", [1, 7])
def test_land_check_matches_a_scalar_reference(split, monkeypatch):
    monkeypatch.setattr(coords, "_land_state", None)  # a fresh memo of tested cells
    x, y = _points(split)
    want = _reference(x, y)
    got = []
    for a, b in zip(np.array_split(x, split), np.array_split(y, split)):
        ex, ny, reason, _ = coords.check_points(a, b, system="bng")
        accepted = np.isfinite(ex) & np.isfinite(ny)
        assert (reason[accepted] == None).all()  # noqa: E711
        assert (reason[~accepted & np.isfinite(a) & np.isfinite(b)] != None).all()  # noqa: E711
        got.append(accepted)
    got = np.concatenate(got)
    np.testing.assert_array_equal(got, want)
    assert 0.2 < want.mean() < 0.8  # both land and sea are exercised
