"""Fuzzed input (issue 8 §1, §2): every loader and ``hotmap inspect`` on malformed files.

For any input the outcome must be a reconciled :class:`LoadResult` (accepted +
rejected == rows read, every rejected row with file, row and reason) or an
:class:`InputError` whose message names the file: never another exception and
never a hang.  ``$HOTMAP_FUZZ_EXAMPLES`` examples per test (500 in CI; ``make
fuzz`` runs 20000).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from relhelp import (
    COLUMN_NAMES, FUZZ, alarm, cell_text, check_outcome, count, csv_bytes, fresh_dir,
    geojson_bytes, json_values, run_cli)
from shapely.geometry import Point, box

import geopandas as gpd

from boundaries.io import load_boundaries
from layers.common.errors import InputError
from layers.records import RECORD_KINDS, load_records

pytestmark = pytest.mark.fuzz

KINDS = sorted(RECORD_KINDS)
EXTS_ALL = [".csv", ".tsv", ".txt", ".xlsx", ".geojson", ".json", ".gpkg", ".shp", ".fgb",
            ".zip", ".dat", ""]
STUDY_AREA = gpd.GeoDataFrame({"code": ["E01000001", "E01000002"]},
                              geometry=[box(450000, 280000, 455000, 285000),
                                        box(455000, 280000, 460000, 285000)], crs="EPSG:27700")


def _write(data: bytes, ext: str, name: str = "input") -> Path:
    p = fresh_dir() / f"{name}{ext}"
    p.write_bytes(data)
    return p


# ----------------------------------------------------------------------- record files
@FUZZ
@given(data=csv_bytes(), ext=st.sampled_from([".csv", ".tsv", ".txt"]),
       kind=st.sampled_from(KINDS), study=st.booleans())
def test_fuzz_load_records_csv(data, ext, kind, study):
    """Malformed delimited text: delimiters, quotes, encodings, ragged and cut lines."""
    p = _write(data, ext)
    check_outcome(load_records, p, target="load_records csv", kind=kind,
                  study_area=STUDY_AREA if study else None)


@FUZZ
@given(data=st.binary(max_size=300), ext=st.sampled_from(EXTS_ALL))
def test_fuzz_load_records_random_bytes(data, ext):
    """Random bytes under every extension hotmap reads."""
    p = _write(data, ext)
    check_outcome(load_records, p, target="load_records bytes")


@st.composite
def _mapping(draw, header):
    keys = st.one_of(st.sampled_from(["x", "y", "lon", "lat", "easting", "northing",
                                      "longitude", "latitude", "postcode", "date", "id",
                                      "offence", "quantity", "reported_at", "opened", "Month"]),
                     st.text(max_size=5))
    values = st.one_of(st.sampled_from(header or ["x"]), st.sampled_from(COLUMN_NAMES),
                       st.text(max_size=5), st.integers(-2, 8))
    return draw(st.dictionaries(keys, values, max_size=4))


@st.composite
def _mapped_csv(draw):
    ncol = draw(st.integers(1, 5))
    header = draw(st.lists(st.sampled_from(COLUMN_NAMES[:30]), min_size=ncol, max_size=ncol,
                           unique=True))
    rows = draw(st.lists(st.lists(cell_text, min_size=ncol, max_size=ncol), max_size=6))
    text = "\n".join(",".join('"' + c.replace('"', '""') + '"' for c in r)
                     for r in [header, *rows]) + "\n"
    return header, text.encode("utf-8")


@FUZZ
@given(csv=_mapped_csv(), data=st.data(), kind=st.sampled_from(KINDS),
       crs=st.sampled_from([None, "EPSG:27700", "EPSG:4326", "EPSG:3857", "EPSG:999999",
                            "nonsense"]),
       coordinates=st.sampled_from(["auto", "bng", "lonlat", "xy", "postcode"]),
       header=st.booleans())
def test_fuzz_load_records_column_mapping(csv, data, kind, crs, coordinates, header):
    """Random column mappings, CRS and coordinate options on well-formed CSV text."""
    cols, raw = csv
    columns = data.draw(_mapping(cols))
    p = _write(raw, ".csv")
    count("load_records mapping")
    try:
        with alarm():
            res = load_records(p, kind=kind, columns=columns or None, crs=crs,
                               coordinates=coordinates, header=header)
    except InputError as exc:
        # an option error need not be about the file, but must say something useful
        assert str(exc).strip()
        return
    from relhelp import check_reconciled
    check_reconciled(res, p)


def _xlsx_cells():
    return st.one_of(st.none(), st.integers(-10 ** 7, 10 ** 7), st.floats(-1e7, 1e7),
                     st.booleans(), st.datetimes(), cell_text,
                     st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")),
                             max_size=6))


@FUZZ
@given(header=st.lists(st.one_of(st.sampled_from(COLUMN_NAMES), st.integers(), st.none()),
                       max_size=5),
       rows=st.lists(st.lists(_xlsx_cells(), max_size=6), max_size=6),
       sheets=st.integers(1, 2), kind=st.sampled_from(KINDS),
       damage=st.sampled_from(["none", "none", "truncate", "flip"]), data=st.data())
def test_fuzz_load_records_xlsx(header, rows, sheets, kind, damage, data):
    """Real tiny workbooks with random cells, sometimes truncated or corrupted."""
    from openpyxl import Workbook

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(v):  # openpyxl refuses control characters: Excel cannot hold them either
        return ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v

    header = [clean(v) for v in header]
    rows = [[clean(v) for v in r] for r in rows]
    wb = Workbook()
    import datetime as _dt

    wb.properties.created = wb.properties.modified = _dt.datetime(2024, 1, 1)
    for i in range(sheets):
        ws = wb.active if i == 0 else wb.create_sheet(f"S{i}")
        if header:
            ws.append(header)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    raw = buf.getvalue()
    # positions as fractions: the workbook's length varies (timestamps), and hypothesis
    # needs draws that do not depend on it
    if damage == "truncate":
        raw = raw[:int(data.draw(st.floats(0, 1)) * len(raw))]
    elif damage == "flip":
        pos = min(int(data.draw(st.floats(0, 1)) * len(raw)), len(raw) - 1)
        raw = raw[:pos] + bytes([raw[pos] ^ 0xFF]) + raw[pos + 1:]
    p = _write(raw, ".xlsx")
    check_outcome(load_records, p, target="load_records xlsx", kind=kind)


@FUZZ
@given(data=geojson_bytes(), ext=st.sampled_from([".geojson", ".json"]),
       kind=st.sampled_from(KINDS))
def test_fuzz_load_records_geojson(data, ext, kind):
    """Random JSON structures and broken geometries as record files."""
    p = _write(data, ext)
    check_outcome(load_records, p, target="load_records geojson", kind=kind)


# ------------------------------------------------------------------------- Shapefiles
def _shapefile_parts() -> dict[str, bytes]:
    d = fresh_dir()
    gdf = gpd.GeoDataFrame({"LSOA11CD": ["E01000001", "E01000002"], "LSOA11NM": ["A", "B"],
                            "n": [1, 2]},
                           geometry=[box(450000, 280000, 451000, 281000),
                                     Point(452000, 282000).buffer(300)], crs="EPSG:27700")
    gdf.to_file(d / "areas.shp")
    return {ext: (d / f"areas{ext}").read_bytes() for ext in (".shp", ".shx", ".dbf", ".prj",
                                                              ".cpg")
            if (d / f"areas{ext}").exists()}


_SHP_PARTS = None


@st.composite
def _damaged_shapefile(draw):
    parts = dict(_SHP_PARTS)
    for ext in list(parts):
        action = draw(st.sampled_from(["keep", "keep", "keep", "drop", "truncate", "flip",
                                       "random"]))
        raw = parts[ext]
        if action == "drop":
            del parts[ext]
        elif action == "truncate":
            parts[ext] = raw[:draw(st.integers(0, len(raw)))]
        elif action == "flip":
            pos = draw(st.integers(0, len(raw) - 1))
            parts[ext] = raw[:pos] + bytes([draw(st.integers(0, 255))]) + raw[pos + 1:]
        elif action == "random":
            parts[ext] = draw(st.binary(max_size=200))
    return parts


def _write_shapefile(parts: dict[str, bytes]) -> Path:
    d = fresh_dir()
    for ext, raw in parts.items():
        (d / f"areas{ext}").write_bytes(raw)
    return d / "areas.shp"


@FUZZ
@given(data=st.data(), loader=st.sampled_from(["boundaries", "records"]))
def test_fuzz_shapefile(data, loader):
    """Shapefiles with missing, truncated or corrupted component files."""
    global _SHP_PARTS
    if _SHP_PARTS is None:
        _SHP_PARTS = _shapefile_parts()
    parts = data.draw(_damaged_shapefile())
    p = _write_shapefile(parts)
    if not p.exists():
        p.write_bytes(b"")  # the .shp itself was dropped: an empty file
    if loader == "boundaries":
        check_outcome(load_boundaries, p, target="load_boundaries shp")
    else:
        check_outcome(load_records, p, target="load_records shp")


# ------------------------------------------------------------------------- boundaries
@FUZZ
@given(data=geojson_bytes(), ext=st.sampled_from([".geojson", ".json"]),
       code_field=st.sampled_from([None, None, "LSOA11CD", "code", "nope"]),
       crs=st.sampled_from([None, None, "EPSG:27700", "EPSG:4326", "junk"]))
def test_fuzz_load_boundaries_geojson(data, ext, code_field, crs):
    """Random JSON and broken polygons as boundary files, with random options."""
    p = _write(data, ext)
    check_outcome(load_boundaries, p, target="load_boundaries geojson",
                  code_field=code_field, crs=crs)


@FUZZ
@given(data=st.one_of(st.binary(max_size=300), csv_bytes()), ext=st.sampled_from(EXTS_ALL))
def test_fuzz_load_boundaries_random_bytes(data, ext):
    """Random bytes and text under every extension, as boundary files."""
    p = _write(data, ext)
    check_outcome(load_boundaries, p, target="load_boundaries bytes")


# ------------------------------------------------------------------------ table joins
@FUZZ
@given(data=st.one_of(csv_bytes(), csv_bytes(), st.binary(max_size=200)),
       ext=st.sampled_from([".csv", ".csv", ".xlsx", ".txt"]),
       table_code=st.sampled_from([None, None, "code", "LSOA11CD", "nope"]))
def test_fuzz_table_join(data, ext, table_code):
    """Attribute tables joined by code: malformed tables never lose or duplicate an area."""
    from boundaries.tables import JoinResult, join_attributes

    p = _write(data, ext)
    count("join_attributes")
    try:
        with alarm():
            res = join_attributes(STUDY_AREA, p, area_code="code", table_code=table_code)
    except InputError as exc:
        assert p.name in str(exc), f"InputError does not name the table: {exc}"
        return
    assert isinstance(res, JoinResult)
    assert len(res.data) == len(STUDY_AREA), "the join lost or duplicated areas"
    assert list(res.data["code"]) == list(STUDY_AREA["code"])
    assert res.matched + len(res.unmatched_areas) == len(STUDY_AREA)


# ------------------------------------------------------------------------ hotmap inspect
@FUZZ
@given(payload=st.one_of(
    st.tuples(csv_bytes(), st.sampled_from([".csv", ".tsv"])),
    st.tuples(geojson_bytes(), st.just(".geojson")),
    st.tuples(st.binary(max_size=200), st.sampled_from(EXTS_ALL))),
    kind=st.sampled_from(["generic", "arrests", "needles", "boundaries"]),
    columns=st.one_of(st.none(), st.sampled_from(["x=easting,y=northing", "x=1,y=2",
                                                  "postcode=Postcode", "lat=9", "junk",
                                                  "x=,y=", "date=Month"])))
def test_fuzz_hotmap_inspect(payload, kind, columns):
    """``hotmap inspect`` on malformed files: exit 0 with a report, or exit 2 naming the file."""
    data, ext = payload
    p = _write(data, ext)
    argv = ["inspect", str(p), "--kind", kind]
    if columns:
        argv += ["--columns", columns]
    count("hotmap inspect")
    with alarm():
        code, out, err = run_cli(argv)
    assert code in (0, 2), f"exit {code}: {err}"
    if code == 0:
        assert out.strip(), "inspect printed nothing"
    else:
        assert err.startswith("hotmap: error:"), err
        if not columns:
            assert p.name in err, f"the error does not name the file: {err}"


def test_fuzz_examples_setting():
    """The profile honours $HOTMAP_FUZZ_EXAMPLES (500 by default, as CI requires)."""
    from relhelp import FUZZ_EXAMPLES

    assert FUZZ.max_examples == FUZZ_EXAMPLES == int(os.environ.get("HOTMAP_FUZZ_EXAMPLES",
                                                                    "500"))
    assert FUZZ_EXAMPLES >= 500 or "HOTMAP_FUZZ_EXAMPLES" in os.environ
    _ = json_values
