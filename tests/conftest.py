"""Shared fixtures: the real public data folder and isolation of user state."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HOTMAP_SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared_path(*parts: str) -> Path:
    """Return a path in the shared data folder, skipping the test if it is absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"real data not found at {p}: set HOTMAP_SHARED_DATA to ../shared/data")
    return p


def bristol_drug_counts():
    """Bristol LSOAs (EPSG:27700) with ``drugs``: police.uk Drugs crimes per LSOA over the
    shared months, counted from police.uk's own ``LSOA code`` (independent of hotmap)."""
    import glob

    import geopandas as gpd
    import pandas as pd

    lsoa = gpd.read_file(shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson")) \
        .to_crs("EPSG:27700")
    files = sorted(glob.glob(str(shared_path("police_uk") / "*-street.csv")))
    df = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    counts = df[df["Crime type"] == "Drugs"]["LSOA code"].value_counts()
    lsoa["drugs"] = counts.reindex(lsoa["LSOA11CD"]).fillna(0).to_numpy()
    return lsoa


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real public data folder (``$HOTMAP_SHARED_DATA``, default ``../shared/data``)."""
    if not SHARED.exists():
        pytest.skip(f"real data not found at {SHARED}: set HOTMAP_SHARED_DATA to ../shared/data")
    return SHARED


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Keep settings, logs, autosaves and the area cache out of the real user's folders
    (the cache is one folder for the session, so later tests read what earlier ones kept)."""
    home = tmp_path_factory.mktemp("userhome")
    monkeypatch.setenv("HOTMAP_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("HOTMAP_STATE_DIR", str(home / "state"))
    monkeypatch.setenv("HOTMAP_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
