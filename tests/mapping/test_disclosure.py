"""Disclosure control: unit rules, then a scan of every exported file (issue 6)."""

import html as html_lib
import re
import struct
import zipfile

import numpy as np
import pandas as pd
import pytest

import pyogrio
from pyproj import Transformer

from export_fixtures import (SECRET_XY, rates_layer, secret_points_layer, services_layer,
                             surface_layer)
from mapping.render.compose import MapComposition
from mapping.disclosure.rules import (DisclosureRules, apply_rules, count_columns, describe_rules,
                                display_table, enforce_bandwidth, rate_columns, suppress_counts)
from mapping.export.outputs import write_outputs

RULES = DisclosureRules()


def test_primary_and_secondary_suppression_hand_worked():
    df = pd.DataFrame({"count": [0, 3, 12, 25, 7], "rate": [0.0, 1.0, 4.0, 8.0, 2.0]})
    out = suppress_counts(df, ["count"], ["rate"], RULES)
    # 3 is small; alone it would be revealed by the total (47), so the next smallest (7) goes too
    assert out["count_suppressed"].tolist() == [False, True, False, False, True]
    assert np.isnan(out.loc[[1, 4], "count"]).all() and out.loc[0, "count"] == 0
    assert np.isnan(out.loc[[1, 4], "rate"]).all() and out.loc[2, "rate"] == 4.0


def test_two_small_cells_need_no_secondary_and_zero_is_kept_by_default():
    df = pd.DataFrame({"count": [0, 1, 4, 9]})
    assert suppress_counts(df, ["count"], [], RULES)["count_suppressed"].tolist() == [
        False, True, True, False]
    strict = DisclosureRules(suppress_zero=True)
    assert suppress_counts(df, ["count"], [], strict)["count_suppressed"].tolist() == [
        True, True, True, False]


def test_cross_table_secondary_suppression_hand_worked():
    """Counts by area and year with a total column.  Primary: A/2019 = 3, C/2020 = 2.
    Worked by hand with the line rule (no row or column with one suppressed cell):
    column 2019 adds B (8), column 2020 adds B (9); row A adds 10 (its smallest
    other), row C adds 12; then every line has 0 or 2+ suppressed cells."""
    df = pd.DataFrame({"area": ["A", "B", "C"], "count_2019": [3, 8, 12],
                       "count_2020": [10, 9, 2], "total_count": [13, 17, 14]})
    out = suppress_counts(df, ["count_2019", "count_2020", "total_count"], [], RULES)
    got = {c: out[f"{c}_suppressed"].tolist() for c in ["count_2019", "count_2020"]}
    assert got == {"count_2019": [True, True, True], "count_2020": [True, True, True]}
    assert "total_count_suppressed" not in out  # the totals can stay: 3 + 10 = 13 is ambiguous


def _intervals(values, hidden):
    """Feasible [min, max] of each hidden cell given every visible cell, every row total
    and every column total of the table and non-negativity (an attacker's linear
    program; scipy.optimize.linprog, independent of the suppression code)."""
    from scipy.optimize import linprog

    cells = list(zip(*np.nonzero(hidden)))
    n, m = values.shape
    a_eq, b_eq = [], []
    for i in range(n):
        a_eq.append([1.0 if r == i else 0.0 for r, _ in cells])
        b_eq.append(values[i].sum() - values[i][~hidden[i]].sum())
    for j in range(m):
        a_eq.append([1.0 if c == j else 0.0 for _, c in cells])
        b_eq.append(values[:, j].sum() - values[:, j][~hidden[:, j]].sum())
    out = []
    for k in range(len(cells)):
        c = np.zeros(len(cells))
        c[k] = 1
        lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None)).fun
        hi = -linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None)).fun
        out.append((lo, hi))
    return cells, out


@pytest.mark.parametrize("seed", range(12))
def test_no_suppressed_cell_can_be_worked_out_from_the_totals(seed):
    """Random area × category tables with row and column totals published: after
    suppression no small count is pinned down exactly by the totals."""
    rng = np.random.default_rng(seed)
    v = rng.poisson(rng.choice([2.0, 6.0, 15.0]), (8, 4)).astype(float)
    v[v == 0] = 1  # zeros are left visible; keep every cell a candidate
    df = pd.DataFrame(v, columns=[f"n_{k}" for k in range(4)])
    out = suppress_counts(df, list(df.columns), [], RULES)
    hidden = np.column_stack([out.get(f"{c}_suppressed", pd.Series(False, index=df.index))
                              .to_numpy(bool) for c in df.columns])
    assert (hidden >= (v < 5)).all()  # every small count is hidden
    if not hidden.any():
        return
    assert not ((hidden.sum(0) == 1).any() or (hidden.sum(1) == 1).any())
    cells, spans = _intervals(v, hidden)
    for (i, j), (lo, hi) in zip(cells, spans):
        if v[i, j] < 5:
            assert hi - lo > 0.5, f"cell {i},{j} = {v[i, j]:g} pinned to [{lo:g}, {hi:g}]"


def test_threshold_is_configurable():
    df = pd.DataFrame({"count": [5, 9, 10, 20]})
    out = suppress_counts(df, ["count"], [], DisclosureRules(threshold=10))
    assert out["count_suppressed"].tolist() == [True, True, False, False]
    assert display_table(df, DisclosureRules(threshold=10))["count"].tolist() == [
        "<10", "<10", 10, 20]


def test_column_recognition():
    df = pd.DataFrame({"n_events": [1], "offence_count": [2], "population": [3],
                       "rate_per_1000": [0.1], "ci_low": [0.0], "name": ["x"]})
    assert count_columns(df) == ["n_events", "offence_count"]
    assert rate_columns(df) == ["rate_per_1000", "ci_low"]
    # declared columns come first; name-recognised counts are still protected
    assert count_columns(df, {"count_columns": ["population"]}) == ["population", "n_events",
                                                                    "offence_count"]


def test_apply_rules_withholds_sensitive_points_and_thin_kde():
    layers = [rates_layer(), secret_points_layer(), surface_layer(bandwidth=100.0),
              services_layer()]
    safe, notes = apply_rules(layers, RULES)
    assert [lyr.name for lyr in safe] == ["rates", "services"]
    assert any("'needles': sensitive point locations withheld" in n for n in notes)
    assert any("'kde': surface withheld; its bandwidth (100 m)" in n for n in notes)
    assert layers[0].data["count"].tolist()[1] == 3  # the input is not modified
    safe, notes = apply_rules([secret_points_layer(allow=True), surface_layer(bandwidth=250)],
                              RULES)
    assert len(safe) == 2 and any("ARE included" in n for n in notes)


def test_rules_off_passes_everything_and_says_so():
    safe, notes = apply_rules([secret_points_layer()], DisclosureRules(enabled=False))
    assert len(safe) == 1 and "switched OFF" in notes[0]


def test_kde_minimum_bandwidth():
    assert enforce_bandwidth(50, True, RULES) == 200.0
    assert enforce_bandwidth(50, False, RULES) == 50.0
    assert "at least 200 m" in describe_rules(RULES)[0]


def test_small_base_n_is_hidden():
    lyr = rates_layer()
    lyr.meta["base_n"] = 3
    safe, _ = apply_rules([lyr], RULES)
    assert safe[0].meta["base_n"] == "<5"


# --- every exported file --------------------------------------------------------------

def _secret_tokens():
    t = Transformer.from_crs(27700, 4326, always_xy=True)
    text, binary = [], []
    for x, y in SECRET_XY:
        lon, lat = t.transform(x, y)
        # truncated (not rounded) so any longer printed form contains them; 4 dp ~ 10 m
        text += [f"{x:.0f}"[:6], f"{y:.0f}"[:6], f"{lon:.8f}"[:-4], f"{lat:.8f}"[:-4]]
        for v in (x, y, lon, lat):
            binary += [struct.pack("<d", v), struct.pack(">d", v)]
    return text, binary


def _texts_in(path):
    """Yield (name, bytes) for a file and, for zip containers (DOCX/XLSX), its members."""
    data = path.read_bytes()
    yield path.name, data
    if path.suffix in (".docx", ".xlsx"):
        with zipfile.ZipFile(path) as zf:
            for n in zf.namelist():
                yield f"{path.name}:{n}", zf.read(n)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("disclosure")
    layers = [rates_layer(), surface_layer(bandwidth=400.0), secret_points_layer(),
              services_layer()]
    maps = [MapComposition(name="rates", title="Rates", layers=["rates", "needles"],
                           label_layer="rates", label_column="count"),
            MapComposition(name="kde", title="KDE", layers=["kde", "needles", "services"])]
    files = write_outputs(layers, maps, out, project_meta={"title": "Disclosure test"},
                          rules=RULES)
    return out, files


def test_no_exported_file_contains_a_sensitive_coordinate(exported):
    out, files = exported
    suffixes = {f.suffix for f in files}
    assert {".png", ".svg", ".pdf", ".gpkg", ".csv", ".xlsx", ".html", ".docx", ".tif"} <= suffixes
    text, binary = _secret_tokens()
    for f in files:
        for name, data in _texts_in(f):
            for tok in text:
                assert tok.encode() not in data, f"{tok} found in {name}"
            for tok in binary:
                assert tok not in data, f"raw coordinate bytes found in {name}"


def _small(values):
    nums = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
    return sorted(set(nums[(nums > 0) & (nums < 5)].tolist()))


def test_no_exported_table_contains_a_small_count(exported):
    out, _ = exported
    g = pyogrio.read_dataframe(out / "layers.gpkg", layer="rates")
    assert _small(g["count"]) == [] and g["count"].isna().sum() == 2
    csv = pd.read_csv(out / "tables" / "rates.csv", dtype=str)
    assert _small(csv["count"]) == [] and (csv["count"] == "<5").sum() == 2
    xl = pd.read_excel(out / "tables" / "tables.xlsx", sheet_name="rates", dtype=str)
    assert _small(xl["count"]) == []
    html = (out / "map.html").read_text("utf-8")
    tips = [html_lib.unescape(t.replace("\\u0026", "&").replace("\\u003c", "<"))
            for t in re.findall(r'"t_count": "([^"]*)"', html)]
    assert tips and _small(tips) == [] and tips.count("<5") == 2
    from docx import Document

    doc = Document(str(out / "audit_pack.docx"))
    for table in doc.tables:
        header = [c.text for c in table.rows[0].cells]
        if "count" in header:
            i = header.index("count")
            assert _small([r.cells[i].text for r in table.rows[1:]]) == []
    svg = (out / "maps" / "rates.svg").read_text("utf-8")
    assert "&lt;5" in svg  # area labels show the suppressed counts as <5


def test_every_export_states_the_rules(exported):
    out, _ = exported
    phrase = "Disclosure control"
    assert phrase in (out / "maps" / "rates.svg").read_text("utf-8")
    assert phrase in (out / "map.html").read_text("utf-8")
    notes = pyogrio.read_dataframe(out / "layers.gpkg", layer="hotmap_notes")["note"]
    assert notes.str.contains(phrase).any()
    from docx import Document

    doc = Document(str(out / "audit_pack.docx"))
    assert any(phrase in p.text for p in doc.paragraphs)
    assert "needles" not in [n for n, _ in pyogrio.list_layers(out / "layers.gpkg")]


def test_scan_detects_coordinates_when_raw_export_is_allowed(tmp_path):
    """Positive control: the same scan finds the points once the user allows raw export."""
    from mapping.export.data import export_geopackage
    from mapping.export.html import export_html

    text, binary = _secret_tokens()
    html = export_html([secret_points_layer(allow=True)], tmp_path / "m.html").read_bytes()
    assert any(tok.encode() in html for tok in text)
    assert "ARE included" in html.decode("utf-8")
    gpkg = export_geopackage([secret_points_layer(allow=True)], tmp_path / "a.gpkg").read_bytes()
    assert any(tok in gpkg for tok in binary)


def test_counts_recognised_from_analysis_meta_and_sensitivity():
    df = pd.DataFrame({"code": ["a", "b"], "value": [3.0, 40.0], "gi_bin": [0, 3],
                       "needles": [2, 9], "closed": [1, 7], "month_of_year": [1, 2],
                       "imd_decile": [1, 2], "gi_z": [0.1, 2.5]})
    # Gi*/LISA tables: 'value' is a count when the analysis says params.value = count
    assert count_columns(df, {"params": {"value": "count"}}) == ["value", "needles"]
    assert count_columns(df, {}) == ["needles"]
    # a sensitive layer: every whole-number column that is not a key/class/calendar field
    assert count_columns(df, {"sensitive": True}) == ["value", "needles", "closed"]
    out = display_table(df, RULES, {"sensitive": True})
    # 1 is small; 7 goes too (secondary), or the total would reveal the 1; honest labels:
    # the 7 reads "suppressed", never "<5" (issue 16)
    assert out["closed"].tolist() == ["<5", "suppressed"] and out["imd_decile"].tolist() == [1, 2]


def test_small_base_n_per_layer_is_hidden_and_notes_format_it():
    from mapping.render.layout import composition_notes

    lyr = rates_layer()
    lyr.meta["base_n"] = {"arrests": 3200, "crack_houses": 4}
    safe, lines = apply_rules([lyr], RULES)
    assert safe[0].meta["base_n"] == {"arrests": 3200, "crack_houses": "<5"}
    text = composition_notes(MapComposition(), safe, lines)
    assert "Based on 3,200 arrests and <5 crack houses (base n)" in text
