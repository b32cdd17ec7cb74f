"""Shared helpers for the reliability tests: hypothesis settings, input strategies, checks.

The number of examples per fuzz test is ``$HOTMAP_FUZZ_EXAMPLES`` (default 500,
``make fuzz`` sets 20000).  CI runs are derandomised (the same inputs every run,
so a failure is reproducible and never flaky); a campaign with more examples
than the default draws fresh random inputs each time.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import itertools
import json
import os
import shutil
import signal
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ_EXAMPLES = int(os.environ.get("HOTMAP_FUZZ_EXAMPLES", "500"))
#: Seconds one input may take before it counts as a hang.
HANG_SECONDS = float(os.environ.get("HOTMAP_FUZZ_HANG_SECONDS", "30"))

FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,  # timing varies on shared CI machines; hangs are caught by _alarm
    derandomize=FUZZ_EXAMPLES <= 500,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture,
                           HealthCheck.large_base_example],
)

#: Tally of inputs tried per fuzz target (printed at the end of the session).
TRIED: dict[str, int] = {}

_counter = itertools.count()
_TMP = Path(tempfile.mkdtemp(prefix="hotmap-fuzz-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)


class Hang(Exception):
    """An input took longer than HANG_SECONDS."""


@contextlib.contextmanager
def alarm(seconds: float = HANG_SECONDS):
    """Raise :class:`Hang` if the block runs longer than ``seconds`` (main thread only)."""

    def _ring(signum, frame):
        raise Hang(f"no result after {seconds:g} s")

    old = signal.signal(signal.SIGALRM, _ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def fresh_dir() -> Path:
    """A new empty folder for one example's files."""
    d = _TMP / f"ex{next(_counter)}"
    d.mkdir(parents=True)
    return d


def count(target: str) -> None:
    """Count one input tried for ``target``."""
    TRIED[target] = TRIED.get(target, 0) + 1


def check_outcome(func, path, *, target: str, **kwargs):
    """Call ``func(path, **kwargs)``: it must return a reconciled LoadResult or raise an
    InputError naming the file.  Anything else (another exception, a hang) fails.

    Returns the LoadResult, or None when an InputError was raised.
    """
    from layers.common.errors import InputError
    from layers.result import LoadResult

    count(target)
    path = Path(path)
    try:
        with alarm():
            result = func(path, **kwargs)
    except InputError as exc:
        msg = str(exc)
        assert msg.strip(), "an InputError with no message"
        assert path.name in msg, f"InputError does not name the file {path.name!r}: {msg}"
        return None
    assert isinstance(result, LoadResult), f"{func.__name__} returned {type(result)}"
    check_reconciled(result, path)
    return result


def check_reconciled(result, path=None) -> None:
    """Accepted + rejected == rows read; every rejected row has file, row and reason."""
    n_acc, n_rej = len(result.accepted), len(result.rejected)
    assert n_acc + n_rej == result.rows_read, \
        f"{n_acc} accepted + {n_rej} rejected != {result.rows_read} read"
    for col in ("source_file", "source_row", "reason", "detail"):
        assert col in result.rejected.columns, f"rejected table has no {col!r} column"
    if n_rej:
        rej = result.rejected
        assert rej["source_file"].notna().all(), "a rejected row lost its source file"
        assert rej["source_row"].notna().all(), "a rejected row lost its row number"
        reasons = rej["reason"].astype(str).str.strip()
        assert (reasons != "").all() and rej["reason"].notna().all(), \
            "a rejected row has no reason"
        if path is not None:
            assert set(rej["source_file"].map(lambda s: Path(str(s)).name)) <= {Path(path).name}
    if n_acc and "source_row" in result.accepted.columns:
        rows = list(result.accepted["source_row"]) + list(result.rejected["source_row"])
        assert len(set(map(int, rows))) == len(rows), "a row is both accepted and rejected"


def run_cli(argv) -> tuple[int, str, str]:
    """Run ``hotmap ARGV`` in-process; return (exit code, stdout, stderr)."""
    from app.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------------- strategies
COLUMN_NAMES = ["easting", "northing", "Easting", "NORTHING", "x", "y", "X", "Y", "lat", "lon",
                "Latitude", "Longitude", "lng", "date", "Date", "Month", "Crime ID", "Crime type",
                "Location", "LSOA code", "LSOA name", "Last outcome category", "Reported by",
                "Falls within", "Context", "postcode", "Postcode", "id", "arrest_id", "find_id",
                "quantity", "reported_at", "collected_at", "opened", "status", "name", "type",
                "capacity", "offence", "drug_class", "age", "gender", "ethnicity", "code",
                "LSOA11CD", "LSOA11NM", "population", "geometry", "", " "]

_coord_floats = st.one_of(
    st.floats(-10, 10), st.floats(49, 61), st.floats(-1e3, 8e5), st.floats(0, 1.3e6),
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10 ** 12, 10 ** 12))


@st.composite
def coordinate_text(draw):
    """A coordinate as an analyst's file might write it, or garbage."""
    v = draw(_coord_floats)
    style = draw(st.sampled_from(["plain", "comma", "space", "unit", "exp", "quote", "junk"]))
    s = repr(v) if isinstance(v, float) else str(v)
    if style == "comma" and isinstance(v, (int, float)) and v == v and abs(v) < 1e15:
        s = f"{v:,.2f}"
    elif style == "space":
        s = f"  {s} "
    elif style == "unit":
        s = s + draw(st.sampled_from(["m", " E", "°", "N", "W"]))
    elif style == "exp":
        s = draw(st.sampled_from(["1e308", "-1e308", "1e-320", "NaN", "inf", "-0", "٣٤٥٦٧٨",
                                  "0x1F", "1_000", "4.5.6", "--1", "+", ".", ""]))
    elif style == "quote":
        s = f'"{s}"'
    elif style == "junk":
        s = draw(st.text(max_size=6))
    return s


date_text = st.one_of(
    st.sampled_from(["2022-04-01", "31/01/2019", "01/13/2019", "2019-13", "2020-02-30",
                     "45000", "0", "-1", "99999999", "2022-04", "31/02/2020", "1900-01-01",
                     "9999-12-31", "2022-04-01 25:61", "", "N/A", "yesterday", "2022/04/01",
                     "1/2/3", "2022-04-01T03:35:00Z"]),
    st.text(max_size=10))

postcode_text = st.one_of(
    st.sampled_from(["BS10 5AA", "bs105aa", "BS1 ", "ZZ99 9ZZ", "SW1A 1AA", "", "GIR 0AA"]),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ", max_size=9))

cell_text = st.one_of(coordinate_text(), date_text, postcode_text, st.text(max_size=8))


@st.composite
def csv_bytes(draw):
    """A small, probably malformed, delimited text file as bytes."""
    ncol = draw(st.integers(1, 6))
    header = draw(st.lists(st.one_of(st.sampled_from(COLUMN_NAMES), st.text(max_size=6)),
                           min_size=ncol, max_size=ncol))
    nrows = draw(st.integers(0, 8))
    rows = []
    for _ in range(nrows):
        n = draw(st.one_of(st.just(ncol), st.integers(0, ncol + 2)))  # ragged rows
        rows.append(draw(st.lists(cell_text, min_size=n, max_size=n)))
    delim = draw(st.sampled_from([",", ",", ";", "\t", "|", " ", ":"]))
    quote = draw(st.sampled_from(["", "", '"', "'"]))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [delim.join(quote + c + quote for c in r) for r in [header, *rows]]
    if draw(st.booleans()):
        header_first = draw(st.booleans())
        if not header_first:
            lines = lines[1:] + lines[:1]
    text = eol.join(lines) + draw(st.sampled_from(["", eol, eol * 3]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "cp1252", "latin-1",
                                     "utf-16"]))
    data = text.encode(encoding, errors="replace")
    cut = draw(st.one_of(st.none(), st.integers(0, max(len(data), 1))))  # truncated file
    if cut is not None:
        data = data[:cut]
    if draw(st.integers(0, 9)) == 0:  # splice in random bytes
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(st.binary(max_size=12)) + data[pos:]
    return data


def json_values(max_leaves: int = 12):
    """Any JSON value (small)."""
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 7, 10 ** 7),
                        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=6))
    return st.recursive(scalars, lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=6), kids, max_size=4)),
        max_leaves=max_leaves)


def _position(lo_x, hi_x, lo_y, hi_y):
    return st.lists(st.one_of(st.floats(lo_x, hi_x), st.floats(lo_y, hi_y),
                              st.floats(allow_nan=False, allow_infinity=False),
                              st.integers(-10 ** 9, 10 ** 9), st.text(max_size=3), st.none()),
                    min_size=0, max_size=4)


@st.composite
def geometry_json(draw):
    """A GeoJSON geometry that may be broken: wrong nesting, unclosed rings, junk."""
    bng = draw(st.booleans())
    pos = _position(*((400000, 470000, 150000, 300000) if bng else (-3, -2, 51, 52)))
    gtype = draw(st.sampled_from(["Point", "MultiPoint", "LineString", "Polygon",
                                  "MultiPolygon", "GeometryCollection", "Polygon", "Feature",
                                  "Nonsense", None]))
    depth = {"Point": 0, "MultiPoint": 1, "LineString": 1, "Polygon": 2,
             "MultiPolygon": 3}.get(gtype, draw(st.integers(0, 3)))
    depth = draw(st.sampled_from([depth, depth, max(depth - 1, 0), depth + 1]))
    coords = pos
    for _ in range(depth):
        coords = st.lists(coords, max_size=5)
    geom = {"type": gtype, "coordinates": draw(coords)}
    if gtype == "Polygon" and draw(st.booleans()):
        ring = [[x, y] for x, y in draw(st.lists(
            st.tuples(st.floats(450000, 460000), st.floats(280000, 290000)),
            min_size=3, max_size=6))]
        geom["coordinates"] = [ring + ring[:1]] if draw(st.booleans()) else [ring]
    if gtype == "GeometryCollection":
        geom = {"type": gtype, "geometries": draw(st.lists(json_values(4), max_size=2))}
    if draw(st.integers(0, 5)) == 0:
        geom = draw(json_values(6))
    return geom


@st.composite
def geojson_bytes(draw):
    """A small GeoJSON-ish document, from valid to nonsense."""
    mode = draw(st.sampled_from(["fc", "fc", "fc", "random", "feature", "truncated"]))
    if mode == "random":
        doc = draw(json_values())
        if isinstance(doc, dict) and draw(st.booleans()):
            doc["type"] = draw(st.sampled_from(["FeatureCollection", "Feature", "Topology"]))
    else:
        feats = []
        for _ in range(draw(st.integers(0, 5))):
            props = draw(st.dictionaries(st.sampled_from(COLUMN_NAMES + ["LSOA11CD", "name"]),
                                         st.one_of(st.text(max_size=6), st.integers(-5, 10 ** 6),
                                                   st.floats(allow_nan=False), st.none(),
                                                   st.lists(st.integers(), max_size=2)),
                                         max_size=4))
            feats.append({"type": draw(st.sampled_from(["Feature", "Feature", "Thing"])),
                          "properties": props if draw(st.integers(0, 6)) else None,
                          "geometry": draw(st.one_of(geometry_json(), st.none()))})
        doc = {"type": "FeatureCollection", "features": feats}
        if draw(st.booleans()):
            doc["crs"] = {"type": "name", "properties": {"name": draw(st.sampled_from(
                ["urn:ogc:def:crs:EPSG::27700", "EPSG:27700", "EPSG:4326", "EPSG:999999",
                 "nonsense", ""]))}}
        if mode == "feature" and feats:
            doc = feats[0]
    text = json.dumps(doc)  # may write NaN/Infinity: invalid JSON, a fair input
    data = text.encode()
    if mode == "truncated":
        data = data[:draw(st.integers(0, len(data)))]
    return data
