"""The KDE bump attack of issue 16: an isolated sensitive record located from the surface.

From a density GeoTIFF, the density-weighted centroid of each isolated bump gave
the true location of an isolated arrest within 1 m.  Sensitive densities are now
blank wherever fewer than ``threshold`` events lie within one bandwidth
(:func:`mapping.disclosure.rules.kde_floor`), as the file's notes state; the attack is
run on what ``hotmap kde`` writes.  The protection stated: no located bump
is closer to an isolated record than one bandwidth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT

DEMO = ROOT / "resources" / "demo" / "data"
BANDWIDTH = 300.0
LONE = (452_000.0, 281_000.0)


def _points(tmp_path):
    rows = pd.read_csv(DEMO / "arrests.csv").head(41).copy()
    rng = np.random.default_rng(3)
    rows["easting"] = 455_000 + rng.normal(0, 120, len(rows)).round()
    rows["northing"] = 284_000 + rng.normal(0, 120, len(rows)).round()
    rows.loc[rows.index[0], ["easting", "northing"]] = LONE  # one isolated arrest
    rows.loc[rows.index[1], ["easting", "northing"]] = (LONE[0] + 2500, LONE[1] - 2000)
    path = tmp_path / "arrests.csv"
    rows.to_csv(path, index=False)
    return path


def _bumps(tif):
    """Centroid of each connected patch of non-zero density, weighted by density."""
    import rasterio
    from scipy import ndimage

    with rasterio.open(tif) as src:
        v = src.read(1).astype(float)
        tags = src.tags()
        tr = src.transform
    v[~np.isfinite(v)] = 0
    lab, n = ndimage.label(v > 0)
    out = []
    for k in range(1, n + 1):
        rr, cc = np.nonzero(lab == k)
        w = v[rr, cc]
        x = tr.c + (cc + 0.5) * tr.a
        y = tr.f + (rr + 0.5) * tr.e
        out.append((float((x * w).sum() / w.sum()), float((y * w).sum() / w.sum())))
    return out, tags


def _nearest(bumps, xy):
    return min((np.hypot(bx - xy[0], by - xy[1]) for bx, by in bumps), default=np.inf)


@pytest.mark.parametrize("flags", [[], ["--min-bandwidth", "300"]])
def test_isolated_record_cannot_be_located_from_the_kde(tmp_path, flags):
    from app.cli import main

    pts = _points(tmp_path)
    out = tmp_path / "k.tif"
    assert main(["kde", "--points", str(pts), "--kind", "arrests", "--cell-size", "50",
                 "--bandwidth", str(BANDWIDTH), *flags, "--out", str(out)]) == 0
    bumps, tags = _bumps(out)
    assert bumps, "the cluster of 40 arrests is still on the map"
    for lone in (LONE, (LONE[0] + 2500, LONE[1] - 2000)):
        assert _nearest(bumps, lone) > BANDWIDTH
    assert "no single event forms a peak" in tags.get("notes", "")


def test_positive_control_without_the_floor_the_attack_works(tmp_path):
    """The same attack on the unprotected surface (disclosure off) finds the lone arrest
    within a few metres, so the test above can fail."""
    from app.cli import main

    pts = _points(tmp_path)
    out = tmp_path / "raw.tif"
    assert main(["kde", "--points", str(pts), "--kind", "arrests", "--cell-size", "50",
                 "--bandwidth", str(BANDWIDTH), "--suppress-below", "0",
                 "--out", str(out)]) == 0
    bumps, _ = _bumps(out)
    assert _nearest(bumps, LONE) < 30
