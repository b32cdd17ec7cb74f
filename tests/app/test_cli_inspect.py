"""``hotmap inspect``: in-process and through the installed console script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from app.cli import main

ROOT = Path(__file__).resolve().parents[2]
BROKEN = ROOT / "tests" / "data" / "broken"


def test_inspect_police_small(capsys, tmp_path):
    out_csv = tmp_path / "rej.csv"
    code = main(["inspect", str(BROKEN / "police_small.csv"), "--rejected", str(out_csv)])
    out = capsys.readouterr().out
    assert code == 0
    assert "police.uk street CSV recognised" in out
    assert "locations: lonlat; CRS: EPSG:4326" in out
    assert "column mapping: lon=Longitude, lat=Latitude" in out
    assert "total: read 4, accepted 2, rejected 2" in out
    assert "rejected, no location published: 1" in out
    assert "rejected, duplicate id: 1" in out
    assert "time span: 2019-01 to 2019-01 (months: fewer than 5 records)" in out
    rej = pd.read_csv(out_csv)
    assert rej["reason"].tolist() == ["no location published", "duplicate id"]
    assert rej["source_row"].tolist() == [3, 4]


def test_inspect_columns_and_kind(capsys, tmp_path):
    p = tmp_path / "finds.csv"
    p.write_text("EAST,NORTH,Found,Count\n358000,173000,31/01/2019,2\n1,2,3,4\n")
    code = main(["inspect", str(p), "--kind", "needles", "--columns",
                 "x=EAST,y=NORTH,reported_at=Found,quantity=4"])
    out = capsys.readouterr().out
    assert code == 0
    assert "x=EAST, y=NORTH, reported_at=Found, quantity=Count" in out
    assert "rejected, outside GB: 1" in out or "rejected, in the sea: 1" in out
    assert "time span: 2019-01 to 2019-01 (months" in out  # one record: no day shown


def test_inspect_boundaries(capsys, tmp_path):
    code = main(["inspect", str(BROKEN / "mixed_geometry.geojson"), "--kind", "boundaries"])
    out = capsys.readouterr().out
    assert code == 0
    assert "code field: LSOA11CD" in out
    assert "rejected, not a polygon: 2" in out


def test_inspect_bad_file_is_one_line_exit_2(capsys):
    code = main(["inspect", str(BROKEN / "binary_junk.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("hotmap: error: ") and "binary_junk.csv" in err and "Fix:" in err
    assert len(err.strip().splitlines()) == 1


def test_inspect_subprocess():
    exe = Path(sys.executable).with_name("hotmap")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "app.cli"]
    r = subprocess.run(cmd + ["inspect", str(BROKEN / "swapped_latlon.csv")],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "rejected, swapped axes: 2" in r.stdout
    assert "total: read 3, accepted 1, rejected 2" in r.stdout
