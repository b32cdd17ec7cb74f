"""Offline by construction, and no leaks of sensitive data (issue 8 §4, §6).

One ``hotmap run`` of the FICTIONAL demo project runs in-process with every
socket connection and DNS lookup blocked and recorded; then:

- zero connection attempts were made, and the run succeeded;
- the HTML exports load no remote script or style;
- the log file holds the run's start and end, and no coordinate, postcode or
  identifier from a sensitive layer (arrests, needle finds, crack houses);
- no output file (PNG metadata, SVG, PDF text, HTML, GeoPackage, DOCX, CSV,
  XLSX, JSON) contains a raw sensitive coordinate (BNG or WGS84) or a record id.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from relhelp import run_cli

from resources.demo import DEMO_DIR, DEMO_PROJECT

SENSITIVE = {"arrests.csv": "arrest_id", "needle_finds.csv": "find_id",
             "crack_houses.csv": "premises_id"}


def _sensitive_records() -> pd.DataFrame:
    parts = []
    for name, idcol in SENSITIVE.items():
        df = pd.read_csv(DEMO_DIR / "data" / name, dtype=str)
        parts.append(pd.DataFrame({"id": df[idcol], "x": df["easting"], "y": df["northing"],
                                   "layer": name}))
    out = pd.concat(parts, ignore_index=True).dropna(subset=["x", "y"])
    from pyproj import Transformer

    tr = Transformer.from_crs(27700, 4326, always_xy=True)
    lon, lat = tr.transform(out["x"].astype(float).to_numpy(), out["y"].astype(float).to_numpy())
    out["lon"], out["lat"] = lon, lat
    # a record exactly on a 5 m lattice point coincides with grid-cell corners of the
    # (legitimate) KDE/grid outputs, so its coordinates cannot tell a leak; leave it out
    xf, yf = out["x"].astype(float), out["y"].astype(float)
    return out[~((xf % 5 == 0) & (yf % 5 == 0))].reset_index(drop=True)


@pytest.fixture(scope="module")
def sensitive():
    return _sensitive_records()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Run ``hotmap run`` on the demo with the network blocked; record every attempt."""
    import socket

    root = tmp_path_factory.mktemp("offline demo")
    outdir, state = root / "out", root / "state"
    attempts = []

    def blocked(name):
        def fake(*args, **kwargs):
            if name in ("connect", "connect_ex") and \
                    getattr(args[0], "family", None) == getattr(socket, "AF_UNIX", None):
                return real[name](*args, **kwargs)
            attempts.append((name, repr(args[1:] or kwargs)))
            raise OSError(f"network blocked by test: {name}")
        return fake

    real = {"connect": socket.socket.connect, "connect_ex": socket.socket.connect_ex}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOTMAP_STATE_DIR", str(state))
        mp.setattr(socket.socket, "connect", blocked("connect"))
        mp.setattr(socket.socket, "connect_ex", blocked("connect_ex"))
        for fn in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
            mp.setattr(socket, fn, blocked(fn))
        code, out, err = run_cli(["run", DEMO_PROJECT, "--out", outdir])
    return {"code": code, "out": out, "err": err, "attempts": attempts, "outdir": outdir,
            "log": state / "hotmap.log"}


# ------------------------------------------------------------------------------ offline
def test_demo_run_makes_no_connection_attempt(demo_run):
    """`hotmap run` on the demo: succeeds, with zero connection or DNS attempts."""
    assert demo_run["code"] == 0, demo_run["err"]
    assert demo_run["attempts"] == [], f"connection attempts: {demo_run['attempts']}"
    print(f"\nconnection attempts during hotmap run: {len(demo_run['attempts'])}")


def test_network_blocker_really_blocks(no_network):
    """The fixture used above does catch a connection attempt (so 0 means 0)."""
    import socket
    import urllib.request

    with pytest.raises(OSError):
        urllib.request.urlopen("http://example.com", timeout=1)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", 9))
    assert len(no_network) == 2


_REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
_TAG = re.compile(r"<\s*(script|link|img|iframe)\b[^>]*>", re.IGNORECASE)


def _remote_refs(html: str) -> list[str]:
    bad = [t.group(0) for t in _TAG.finditer(html) if _REMOTE.search(t.group(0))]
    bad += re.findall(r"@import\s+url\(\s*['\"]?https?://[^)]*\)", html)
    return bad


def test_html_exports_load_nothing_remote(demo_run):
    """Every HTML output inlines its scripts and styles: no http(s) src/href in tags."""
    htmls = sorted(demo_run["outdir"].rglob("*.htm*"))
    assert htmls, "the demo run wrote no HTML map"
    for p in htmls:
        text = p.read_text(encoding="utf-8", errors="replace")
        assert "<script" in text.lower()
        assert _remote_refs(text) == [], f"{p.name} loads remote resources"


def test_remote_reference_scanner_finds_cdn_links():
    """The scanner used above flags the usual CDN tags (so an empty result means something)."""
    html = ('<script src="https://cdn.jsdelivr.net/npm/leaflet.js"></script>'
            "<link rel='stylesheet' href='//code.jquery.com/x.css'/><script>var a=1</script>"
            '<style>@import url("https://fonts.googleapis.com/css")</style>')
    assert len(_remote_refs(html)) == 3


# ------------------------------------------------------------------------------ log file
_LATLON_PAIR = re.compile(r"(-?\d{1,3}\.\d{4,})\s*,\s*(-?\d{1,3}\.\d{4,})")


def _leaks(text: str, sens: pd.DataFrame) -> list[str]:
    """Sensitive ids, BNG pairs and WGS84 pairs (5 decimals) found in ``text``."""
    found = []
    ids = set(sens["id"].dropna())
    for m in re.finditer(r"[A-Z]{2,3}-\d{3,6}", text):
        if m.group(0) in ids:
            found.append(f"id {m.group(0)}")
    xs: dict[str, set] = {}
    for x, y in zip(sens["x"], sens["y"]):
        xs.setdefault(str(x), set()).add(str(y))
    for m in re.finditer(r"(?<!\d)(\d{6})(?:\.\d+)?(?!\d)", text):
        after = text[m.end():m.end() + 60]
        for y in xs.get(m.group(1), ()):
            if re.match(rf"\D{{0,40}}?{y}(?!\d)", after):
                found.append(f"BNG {m.group(1)},{y}")
    pairs = _LATLON_PAIR.findall(text)
    if pairs:
        from scipy.spatial import cKDTree

        lat0 = np.cos(np.radians(52.0))
        ref = np.column_stack([sens["lon"].to_numpy() * lat0, sens["lat"].to_numpy()])
        got = []
        for a, b in pairs:
            a, b = float(a), float(b)
            if 49 < b < 61 and -9 < a < 3:
                got.append((a * lat0, b))
            elif 49 < a < 61 and -9 < b < 3:
                got.append((b * lat0, a))
        if got:
            d, i = cKDTree(ref).query(np.array(got))
            # < 0.3 m: printed 6-decimal coordinates of a raw point are within 0.07 m;
            # other features on the 1 m BNG lattice are at least 1 m away
            for dist, j, g in zip(d * 111_000, i, got):
                if dist < 0.3:
                    found.append(f"lat/lon {g[1]:.6f},{g[0] / lat0:.6f} = {sens['id'].iloc[j]}")
    return found


def test_leak_scanner_finds_planted_values(sensitive):
    """The scanner finds an id, a BNG pair and a lat/lon pair planted in text."""
    r = sensitive.iloc[7]
    text = (f"row {r['id']}: at {r['x']}, {r['y']} "
            f"[{r['lat']:.8f}, {r['lon']:.8f}] nothing else")
    assert len(_leaks(text, sensitive)) == 3
    assert _leaks("E01014485 263 areas, 2022-04-01, EPSG:27700", sensitive) == []


def test_log_has_no_sensitive_values(demo_run, sensitive):
    """The run's log file exists, records the run, and holds no sensitive value."""
    log = demo_run["log"]
    assert log.exists(), "hotmap run wrote no log file in $HOTMAP_STATE_DIR"
    text = log.read_text(encoding="utf-8")
    assert "hotmap run: start" in text and "hotmap run: end" in text
    assert _leaks(text, sensitive) == []


def test_error_reports_in_the_log_are_redacted(tmp_path, monkeypatch, sensitive):
    """An error whose text quotes a sensitive row is logged without its values."""
    import mapping.pipeline.runner

    r = sensitive.iloc[3]
    secret = (f"bad row {r['id']} at {r['x']},{r['y']} ({r['lat']:.7f}, {r['lon']:.7f}) "
              "postcode BS10 5AA")
    state = tmp_path / "state"
    monkeypatch.setenv("HOTMAP_STATE_DIR", str(state))

    def fail(*a, **k):
        raise RuntimeError(secret)

    monkeypatch.setattr(mapping.pipeline.runner, "run_project", fail)
    code, _, err = run_cli(["run", DEMO_PROJECT, "--out", tmp_path / "out"])
    assert code == 1 and "internal error" in err
    text = (state / "hotmap.log").read_text()
    assert "internal error" in text and "Traceback" in text  # the report is there ...
    assert _leaks(text, sensitive) == []                     # ... without the values
    assert "BS10 5AA" not in text and "[postcode]" in text


# ----------------------------------------------------------------- disclosure: outputs
def _png_text(raw: bytes) -> str:
    """Text of a PNG's tEXt/zTXt/iTXt chunks."""
    out, pos = [], 8
    while pos + 8 <= len(raw):
        n, kind = struct.unpack(">I4s", raw[pos:pos + 8])
        body = raw[pos + 8:pos + 8 + n]
        if kind == b"tEXt":
            out.append(body.decode("latin-1"))
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\0")
            out.append(key.decode("latin-1") + " " + zlib.decompress(rest[1:]).decode("latin-1"))
        elif kind == b"iTXt":
            out.append(body.decode("utf-8", "replace"))
        pos += 12 + n
    return "\n".join(out)


def _pdf_text(raw: bytes) -> str:
    out = [raw.decode("latin-1")]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", raw, re.S):
        try:
            out.append(zlib.decompress(m.group(1)).decode("latin-1"))
        except zlib.error:
            pass
    return "\n".join(out)


def _file_texts(p: Path):
    """Yield (part name, text) for everything readable inside an output file."""
    raw = p.read_bytes()
    ext = p.suffix.lower()
    if ext == ".png":
        yield "metadata", _png_text(raw)
    elif ext == ".pdf":
        yield "pdf", _pdf_text(raw)
    elif ext in (".docx", ".xlsx", ".zip", ".kmz"):
        with zipfile.ZipFile(p) as z:
            for name in z.namelist():
                data = z.read(name)
                if name.lower().endswith(".png"):
                    yield name, _png_text(data)
                else:
                    yield name, data.decode("utf-8", "replace")
    elif ext in (".tif", ".tiff", ".gpkg"):
        yield "bytes", raw.decode("latin-1")
    else:
        yield "text", raw.decode("utf-8", "replace")


def test_no_output_file_leaks_sensitive_values(demo_run, sensitive):
    """No output file contains a sensitive record's id, BNG pair or WGS84 pair as text."""
    files = [p for p in demo_run["outdir"].rglob("*") if p.is_file()]
    assert len(files) >= 5, f"only {len(files)} output files"
    kinds = {p.suffix.lower() for p in files}
    assert {".png", ".html", ".gpkg", ".docx"} <= kinds, kinds
    leaks = {}
    for p in files:
        for part, text in _file_texts(p):
            found = _leaks(text, sensitive)
            if found:
                leaks[f"{p.relative_to(demo_run['outdir'])}:{part}"] = found[:3]
    assert leaks == {}, f"sensitive values in outputs: {leaks}"


def _wkb_point_bytes(x: float, y: float) -> list[bytes]:
    return [struct.pack("<dd", x, y), struct.pack(">dd", x, y)]


def _gpkg_leaks(g: Path, sensitive) -> list[str]:
    """Layers of GeoPackage ``g`` holding a sensitive point (raw WKB bytes, or a point
    within 1 m of a sensitive record once reprojected to BNG)."""
    import pyogrio
    from scipy.spatial import cKDTree

    import geopandas as gpd

    sxy = sensitive[["x", "y"]].astype(float).to_numpy()
    tree = cKDTree(sxy)
    found = []
    raw = g.read_bytes()
    for x, y in sxy[:300]:
        if any(b in raw for b in _wkb_point_bytes(x, y)):
            found.append(f"raw WKB point {x},{y}")
            break
    for name, gtype in pyogrio.list_layers(g):
        if gtype is None or "Point" not in str(gtype) and str(gtype) != "Unknown":
            continue  # polygons and tables cannot hold raw points
        gdf = gpd.read_file(g, layer=name)
        if "geometry" not in gdf or gdf.geometry.isna().all() or gdf.crs is None:
            continue
        pts = gdf[gdf.geom_type.isin(["Point", "MultiPoint"])]
        if pts.empty:
            continue
        d, _ = tree.query(pts.to_crs(27700).get_coordinates().to_numpy())
        if np.any(d < 0.5):
            found.append(f"{name}: {int((d < 0.5).sum())} sensitive points")
    return found


def test_geopackage_has_no_sensitive_points(demo_run, sensitive):
    """No GeoPackage layer holds a point within 1 m of a sensitive record, in any CRS."""
    gpkgs = sorted(demo_run["outdir"].rglob("*.gpkg"))
    assert gpkgs
    for g in gpkgs:
        assert _gpkg_leaks(g, sensitive) == [], g.name


def test_geopackage_scanner_finds_raw_points(tmp_path, sensitive):
    """Positive control: a GeoPackage of raw arrests (in WGS84 too) is flagged."""
    import geopandas as gpd

    pts = gpd.GeoDataFrame(sensitive.head(20)[["id"]],
                           geometry=gpd.points_from_xy(sensitive.head(20)["x"].astype(float),
                                                       sensitive.head(20)["y"].astype(float)),
                           crs="EPSG:27700")
    g = tmp_path / "raw.gpkg"
    pts.to_crs(4326).to_file(g, layer="raw_wgs84")
    found = _gpkg_leaks(g, sensitive)
    assert any("raw_wgs84: 20 sensitive points" in f for f in found), found
    csv = tmp_path / "raw.csv"
    pts.assign(x=pts.geometry.x, y=pts.geometry.y).drop(columns="geometry").to_csv(csv)
    assert len(_leaks(csv.read_text(), sensitive)) >= 20


_SITECUSTOMIZE = '''
import os, socket
_LOG = os.environ["HOTMAP_NET_LOG"]
with open(_LOG, "a") as fh:
    fh.write("blocker active\\n")
_real = {"connect": socket.socket.connect, "connect_ex": socket.socket.connect_ex}

def _blocked(name):
    def fake(*args, **kwargs):
        if name in _real and getattr(args[0], "family", None) == getattr(socket, "AF_UNIX", None):
            return _real[name](*args, **kwargs)
        with open(_LOG, "a") as fh:
            fh.write(f"ATTEMPT {name} {args[1:]!r}\\n")
        raise OSError("network blocked by test")
    return fake

socket.socket.connect = _blocked("connect")
socket.socket.connect_ex = _blocked("connect_ex")
for _fn in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
    setattr(socket, _fn, _blocked(_fn))
'''


def test_console_script_run_is_offline(tmp_path):
    """The real `hotmap` console script (a fresh process, sockets blocked from interpreter
    start by a sitecustomize) runs a project with zero connection attempts."""
    import os
    import shutil
    import subprocess
    import sys

    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    netlog = tmp_path / "net.log"
    proj = tmp_path / "proj"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "projects" / "v1", proj)
    exe = Path(sys.executable).with_name("hotmap")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "app.cli"]
    env = {**os.environ, "PYTHONPATH": str(site), "HOTMAP_NET_LOG": str(netlog),
           "HOTMAP_STATE_DIR": str(tmp_path / "state"), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(cmd + ["run", str(proj / "project.hotmap.toml"), "--out",
                                 str(tmp_path / "out")], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = netlog.read_text().splitlines()
    assert "blocker active" in lines, "the socket blocker did not load"
    attempts = [ln for ln in lines if ln.startswith("ATTEMPT")]
    assert attempts == [], attempts
    assert any((tmp_path / "out").rglob("*.html"))


_COUNT_COL = re.compile(r"^(count|n|records|display_count)$|^count_|_count$", re.IGNORECASE)


def _small_counts(frame: pd.DataFrame, threshold: int) -> dict:
    out = {}
    for c in frame.columns:
        if _COUNT_COL.search(str(c).strip()):
            v = pd.to_numeric(frame[c].astype(str).str.replace(",", ""), errors="coerce")
            n = int(((v > 0) & (v < threshold)).sum())
            if n:
                out[str(c)] = n
    return out


def test_no_table_shows_a_count_below_the_threshold(demo_run):
    """CSV, XLSX and the audit pack's DOCX tables show no count of 1 to threshold-1."""
    from docx import Document

    from layers.project import open_project

    threshold = open_project(DEMO_PROJECT).suppression_threshold
    outdir = demo_run["outdir"]
    bad, seen = {}, 0
    for p in sorted(outdir.rglob("*.csv")):
        seen += 1
        if small := _small_counts(pd.read_csv(p, dtype=str), threshold):
            bad[p.name] = small
    for p in sorted(outdir.rglob("*.xlsx")):
        for sheet, frame in pd.read_excel(p, sheet_name=None, dtype=str).items():
            seen += 1
            if small := _small_counts(frame, threshold):
                bad[f"{p.name}:{sheet}"] = small
    for p in sorted(outdir.rglob("*.docx")):
        for i, table in enumerate(Document(p).tables):
            rows = [[c.text for c in r.cells] for r in table.rows]
            if len(rows) < 2:
                continue
            seen += 1
            frame = pd.DataFrame(rows[1:], columns=[f"{h}" if h else f"c{j}"
                                                    for j, h in enumerate(rows[0])])
            frame = frame.loc[:, ~frame.columns.duplicated()]
            if small := _small_counts(frame, threshold):
                bad[f"{p.name}:table {i + 1}"] = small
    assert seen >= 3, "too few tables found to check"
    assert bad == {}, f"counts below {threshold} shown: {bad}"


def test_small_count_scanner_flags_small_values():
    """Positive control: a table with a 3 in a count column is flagged, '<5' is not."""
    frame = pd.DataFrame({"area": ["a", "b", "c"], "count": ["12", "<5", "3"],
                          "count_2022Q1": ["0", "7", "<5"]})
    assert _small_counts(frame, 5) == {"count": 1}
