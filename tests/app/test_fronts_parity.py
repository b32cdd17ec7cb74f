"""The three fronts give the same result: CLI verb, project step (``hotmap run``), GUI dialog.

For every declared analysis the same inputs (real Bristol boundaries, police.uk
records and populations where the analysis needs only those; the fictional
demo's needle finds, crack houses and arrests with demographics where no real
data exists) go through

* the command-line verb (``hotmap <kind> ... --out``),
* a project file's ``[[analyses]]`` entry run by ``hotmap run``,
* the analysis dialog of the desktop app, filled in as a user would,

and the published tables must be byte-identical, the surfaces equal, and the
result metadata (title, subject, filter, period, base n, licences, disclosure
rules, parameters, notes) the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, SHARED

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

DEMO = ROOT / "resources" / "demo" / "data"
STREET = ["2018-12-avon-and-somerset-street.csv", "2019-01-avon-and-somerset-street.csv"]
DRUGS = "crime_type == 'Drugs'"
ASB = "crime_type == 'Anti-social behaviour'"


def _bristol():
    if not SHARED.exists():
        pytest.skip(f"real data not found at {SHARED}: set HOTMAP_SHARED_DATA")
    b = SHARED / "boundaries" / "bristol_lsoa2011_E06000023.geojson"
    pop = SHARED / "population" / "mysociety_lsoa_population_mid2019_uk.csv"
    pts = [SHARED / "police_uk" / f for f in STREET]
    areas = {"name": "areas", "paths": [str(b)], "code_field": "LSOA11CD",
             "tables": [{"path": str(pop), "key": "lsoa", "columns": ["pop"]}]}
    records = {"name": "points", "kind": "generic", "paths": [str(p) for p in pts]}
    cli_areas = ["--areas", str(b), "--area-id", "LSOA11CD"]
    cli_pop = ["--population", str(pop), "--population-id", "lsoa", "--population-field", "pop"]
    cli_pts = ["--points", *map(str, pts)]
    return areas, records, cli_areas, cli_pop, cli_pts


def _demo(name, file, kind, **extra):
    return {"name": name, "kind": kind, "paths": [str(DEMO / file)], **extra}


# kind -> (boundaries, records, CLI arguments, step parameters, GUI fields, tables to compare)
def _cases():
    areas, recs, ca, cpop, cpts = _bristol()
    out = {
        "count": ([areas], [recs], [*ca, *cpts, "--filter", DRUGS, *cpop],
                  {"areas": "areas", "points": ["points"], "area_id": "LSOA11CD",
                   "filter": DRUGS, "population": "pop"}, [""]),
        "kde": ([{**areas, "tables": []}], [recs], [*cpts, "--filter", DRUGS, "--boundary", ca[1],
                                  "--cell-size", "100", "--bandwidth", "150"],
                {"points": ["points"], "filter": DRUGS, "boundary": "areas", "cell_size": 100,
                 "bandwidth": 150}, [""]),
        "gistar": ([{**areas, "tables": []}], [recs], [*ca, *cpts, "--filter", DRUGS, "--permutations", "99",
                                     "--seed", "4"],
                   {"areas": "areas", "points": ["points"], "area_id": "LSOA11CD",
                    "filter": DRUGS, "permutations": 99, "seed": 4}, [""]),
        "lisa": ([{**areas, "tables": []}], [recs], [*ca, *cpts, "--filter", DRUGS, "--permutations", "99"],
                 {"areas": "areas", "points": ["points"], "area_id": "LSOA11CD",
                  "filter": DRUGS, "permutations": 99}, [""]),
        "change": ([areas], [recs], [*ca, *cpts, "--filter", DRUGS, "--period", "month",
                                     "--period-a", "2018-12", "--period-b", "2019-01", *cpop],
                   {"areas": "areas", "points": ["points"], "area_id": "LSOA11CD",
                    "filter": DRUGS, "period": "month", "period_a": "2018-12",
                    "period_b": "2019-01", "population": "pop"}, [""]),
        "trend": ([], [{**recs, "name": "records"}], [*cpts, "--filter", DRUGS],
                  {"records": ["records"], "filter": DRUGS}, ["_monthly", "_quarterly"]),
        "composite": ([{**areas, "tables": []}],
                      [{**recs, "name": "drugs"}, {**recs, "name": "asb"}],
                      ["--layer", "drugs=" + ",".join(cpts[1:]), "--layer",
                       "asb=" + ",".join(cpts[1:]), "--layer-filter", f"drugs={DRUGS}",
                       "--layer-filter", "asb=crime_type == 'Anti-social behaviour'",
                       "--layer-weight", "drugs=2", "--cell-size", "100", "--bandwidth", "400",
                       "--boundary", ca[1]],
                      {"layers": ["drugs", "asb"], "weights": {"drugs": 2.0},
                       "filters": {"drugs": DRUGS, "asb": "crime_type == 'Anti-social behaviour'"},
                       "boundary": "areas", "cell_size": 100, "bandwidth": 400}, [""]),
        "funnel": ([areas], [recs], [*ca, *cpts, "--filter", DRUGS, *cpop],
                   {"areas": "areas", "points": ["points"], "area_id": "LSOA11CD",
                    "filter": DRUGS, "population": "pop"}, [""]),
        "crackhouses": ([], [_demo("records", "crack_houses.csv", "crack_houses")],
                        ["--points", str(DEMO / "crack_houses.csv"), "--census-date",
                         "2025-03-31"],
                        {"records": ["records"], "census_date": "2025-03-31"},
                        ["_closures", "_reopening", "_operating", "_status_counts"]),
        "needles": ([_demo("areas", "wards.geojson", None, code_field="ward_code")],
                    [_demo("records", "needle_finds.csv", "needles")],
                    ["--points", str(DEMO / "needle_finds.csv"), "--areas",
                     str(DEMO / "wards.geojson"), "--area-id", "ward_code"],
                    {"records": ["records"], "areas": "areas", "area_id": "ward_code"},
                    ["_monthly", "_slow_areas", "_finds"]),
        "breakdown": ([], [_demo("records", "arrests.csv", "arrests")],
                      ["--points", str(DEMO / "arrests.csv"), "--kind", "arrests", "--by",
                       "gender,ethnicity"],
                      {"records": ["records"], "by": ["gender", "ethnicity"]},
                      ["_gender", "_ethnicity_display"]),
    }
    for b in out["needles"][0]:
        b.pop("kind")
    out.update(_new_cases(areas, recs, ca, cpop, cpts))
    return out


def _new_cases(areas, recs, ca, cpop, cpts):
    """The issue-20 analyses: real Bristol data where they work on police.uk, boundaries and
    population; the demo's arrests, crack houses and treatment tables otherwise.  A sixth
    item lists the ``[[tables]]`` a case reads."""
    arr = _demo("points", "arrests.csv", "arrests")
    bare = {**areas, "tables": []}
    imd = str(SHARED / "imd" / "mysociety_UK_IMD_E_2019scores_all_uk.csv")
    demo_areas = {"name": "areas", "paths": [str(DEMO / "areas.geojson")], "code_field": "code"}
    episodes = {"name": "episodes", "paths": [str(DEMO / "treatment_episodes.csv")],
                "kind": "episodes"}
    cpts_files = ",".join(cpts[1:])
    four = [str(SHARED / "police_uk" / f"{m}-avon-and-somerset-street.csv")
            for m in ("2018-10", "2018-11", "2018-12", "2019-01")]  # a trend needs 3 periods
    return {
        "nearrepeat": ([], [arr], ["--points", str(DEMO / "arrests.csv"), "--kind", "arrests",
                                   "--permutations", "99", "--seed", "3"],
                       {"points": ["points"], "permutations": 99, "seed": 3},
                       ["", "_ratios"]),
        "timeprofile": ([], [{**arr, "name": "records"}],
                        ["--points", str(DEMO / "arrests.csv"), "--kind", "arrests",
                         "--start-column", "arrested_at"],
                        {"records": ["records"], "start_column": "arrested_at"}, [""]),
        "repeats": ([], [{**recs, "name": "records"}],
                    [*cpts, "--filter", DRUGS, "--location", "Location"],
                    {"records": ["records"], "filter": DRUGS, "location": "Location"},
                    ["", "_concentration"]),
        "evaluate": ([bare], [recs], [*ca, *cpts, "--filter", DRUGS, "--target", "E01014540",
                                      "--control", "E01014714", "--buffer", "300", "--before",
                                      "2018-12-01,2018-12-31", "--after",
                                      "2019-01-01,2019-01-31"],
                     {"areas": "areas", "points": ["points"], "area_id": "LSOA11CD",
                      "filter": DRUGS, "target": ["E01014540"], "control": ["E01014714"],
                      "buffer": 300, "before": ["2018-12-01", "2018-12-31"],
                      "after": ["2019-01-01", "2019-01-31"]}, ["", "_test", "_areas"]),
        "composite_index": ([areas], [{**recs, "name": "drugs"}],
                            [*ca, *cpop, "--imd", imd, "--fields", "imd_score", "--layer",
                             f"drugs={cpts_files}", "--layer-filter", f"drugs={DRUGS}"],
                            {"areas": "areas", "area_id": "LSOA11CD", "population": "pop",
                             "imd": [imd], "fields": ["imd_score"], "layers": ["drugs"],
                             "filters": {"drugs": DRUGS}}, [""]),
        # areas, not cells: the dialog offers an area layer by default (cells need none)
        "emerging": ([bare], [{**recs, "paths": four}],
                     [*ca, "--points", *four, "--filter", ASB, "--period", "month"],
                     {"areas": "areas", "points": ["points"], "area_id": "LSOA11CD",
                      "filter": ASB, "period": "month"}, [""]),
        "dualkde": ([areas], [recs], [*ca, *cpts, "--filter", DRUGS, *cpop, "--cell-size",
                                      "200", "--bandwidth", "500"],
                    {"areas": "areas", "points": ["points"], "area_id": "LSOA11CD",
                     "filter": DRUGS, "population": "pop", "cell_size": 200,
                     "bandwidth": 500}, [""]),
        "hotspot_polygons": ([bare], [recs], [*ca[:2], *cpts, "--filter", DRUGS,
                                              "--name-field", "LSOA11NM"],
                             {"areas": "areas", "points": ["points"], "filter": DRUGS,
                              "label": "LSOA11NM"}, [""]),
        "area_counts": ([demo_areas], [], ["--areas", str(DEMO / "areas.geojson"), "--area-id",
                                           "code", "--table", str(DEMO / "treatment_clients.csv"),
                                           "--table-id", "lsoa_code", "--counts",
                                           "adults_in_treatment,young_people_in_treatment"],
                        {"areas": "areas", "area_id": "code", "table": "table",
                         "key": "lsoa_code",
                         "counts": ["adults_in_treatment", "young_people_in_treatment"]},
                        [""], [{"name": "table", "paths": [str(DEMO / "treatment_clients.csv")],
                                "key": "lsoa_code", "kind": "clients"}]),
        "waits": ([], [], ["--episodes", episodes["paths"][0], "--filter",
                           "age_group == 'Adults'", "--by", "gender,substance"],
                  {"episodes": "episodes", "filter": "age_group == 'Adults'",
                   "by": ["gender", "substance"]}, ["", "_gender", "_substance"], [episodes]),
        "retention": ([], [], ["--episodes", episodes["paths"][0], "--by", "age_group",
                               "--census-date", "2025-03-31"],
                      {"episodes": "episodes", "by": ["age_group"],
                       "census_date": "2025-03-31"}, ["", "_age_group"], [episodes]),
        "agerates": ([], [{**arr, "name": "records"}],
                     ["--points", str(DEMO / "arrests.csv"), "--kind", "arrests",
                      "--population", str(DEMO / "population_by_age.csv")],
                     {"records": ["records"], "population": "population"}, [""],
                     [{"name": "population", "paths": [str(DEMO / "population_by_age.csv")],
                       "kind": "population"}]),
        "closurespeed": ([], [_demo("records", "crack_houses.csv", "crack_houses")],
                         ["--points", str(DEMO / "crack_houses.csv"), "--kind", "crack_houses",
                          "--census-date", "2025-03-31"],
                         {"records": ["records"], "census_date": "2025-03-31"},
                         ["", "_summary", "_km"]),
    }


def _project_file(tmp, boundaries, records, kind, params, tables=()) -> Path:
    import tomli_w

    doc = {"schema_version": 1, "project": {"name": "parity"},
           "boundaries": boundaries, "records": records, "tables": list(tables),
           "analyses": [{"name": kind, "kind": kind, "params": params}]}
    p = tmp / "parity.hotmap.toml"
    p.write_text(tomli_w.dumps(doc), "utf-8")
    return p


def _fill(dlg, params):
    from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QListWidget

    from app.analysis_fields import to_text

    for key, value in params.items():
        w = dlg.widgets[key]
        if isinstance(value, list) and isinstance(w, QComboBox) and len(value) == 1:
            value = value[0]
        if isinstance(w, QComboBox):
            i = w.findData(value)
            if i >= 0:
                w.setCurrentIndex(i)
            else:
                w.setEditText(str(value))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif hasattr(w, "set_value"):  # layers with their weights
            w.set_value(value)
        elif isinstance(w, QListWidget):
            from PySide6.QtCore import Qt

            items = {w.item(r).text(): w.item(r) for r in range(w.count())}
            for it in items.values():
                it.setCheckState(Qt.CheckState.Unchecked)
            for v in value:  # ticked in the order given (a field list keeps that order)
                if v in items:
                    items[v].setCheckState(Qt.CheckState.Checked)
        elif isinstance(w, QLineEdit):
            w.setText(to_text(value))


_SAME_META = ("title", "subject", "units", "method", "filter", "filter_text", "period",
              "base_n", "attribution", "disclosure", "notes", "count_columns", "sensitive",
              "value_column", "params")


def _meta(d: dict) -> dict:
    d = json.loads(json.dumps(d, default=str))
    return {k: d.get(k) for k in _SAME_META}


_NEW_KINDS = ["nearrepeat", "timeprofile", "repeats", "evaluate", "composite_index", "emerging",
              "dualkde", "hotspot_polygons", "area_counts", "waits", "retention", "agerates",
              "closurespeed"]
_SURFACES = ("kde", "composite", "dualkde")


@pytest.mark.parametrize("kind", ["count", "kde", "gistar", "lisa", "change", "trend",
                                  "composite", "funnel", "crackhouses", "needles", "breakdown",
                                  *_NEW_KINDS])
def test_cli_project_and_dialog_give_the_same_result(kind, tmp_path, qtbot):
    from app.analysis_dialogs import AnalysisDialog
    from app.cli import main
    from boundaries.workspace import Workspace
    from mapping.export.data import export_layer
    from mapping.pipeline import get_analysis
    from mapping.pipeline.policy import Policy
    from mapping.pipeline.runner import run_project

    boundaries, records, cli_args, params, suffixes, *tables = _cases()[kind]
    decl = get_analysis(kind)
    folder = decl.out == "folder"
    ext = ".tif" if kind in _SURFACES else ".csv"
    cli_out = tmp_path / ("cli" if folder else f"cli{ext}")
    assert main([kind, *cli_args, "--out", str(cli_out)]) == 0
    proj = _project_file(tmp_path, boundaries, records, kind, params, *tables)
    run_out = tmp_path / "run"
    run_project(proj, run_out)
    ws = Workspace.open(proj)
    dlg = AnalysisDialog(ws, kind)
    qtbot.addWidget(dlg)
    gui = dict(params)
    if "weights" in gui and "weights" not in dlg.widgets:  # weights beside the layers
        gui["layers"] = {n: gui["weights"].get(n, 1.0) for n in gui["layers"]}
        del gui["weights"]
    _fill(dlg, {**gui, "name": kind})
    assert dlg.validate() == []
    with qtbot.waitSignal(dlg.finished_layers, timeout=300_000) as blocker:
        assert dlg.run() is not None
    from mapping.pipeline.runner import published_layers

    # the GUI's writers (Export data, Export audit pack) publish the workspace's layers
    # through the run's cross-table disclosure audit, as hotmap run and the CLI do
    mine = {lyr.name for lyr in blocker.args[0]}
    gui = {lyr.name: lyr for lyr in published_layers(list(ws.layers),
                                                     Policy.from_project(ws.project))
           if lyr.name in mine}
    rules = Policy.from_project(ws.project).rules
    assert ws.project.analyses[-1].kind == kind
    for suffix in suffixes:
        name = kind + suffix
        if folder:
            cli_file = cli_out / f"{name}{ext}"
        else:
            cli_file = cli_out
        run_file = run_out / ("surfaces" if ext == ".tif" else "tables") / f"{name}{ext}"
        gui_file = export_layer(gui[name], tmp_path / f"gui_{name}{ext}", rules=rules)
        if ext == ".csv":
            assert cli_file.read_bytes() == run_file.read_bytes(), name
            assert gui_file.read_bytes() == run_file.read_bytes(), name
            cli_meta = json.loads(Path(str(cli_file) + ".meta.json").read_text())
            run_meta = json.loads(Path(str(run_file) + ".meta.json").read_text())
            assert _meta(cli_meta) == _meta(run_meta) == _meta(gui[name].meta), name
        else:
            import rasterio

            arrays, tags = [], []
            for f in (cli_file, run_file, gui_file):
                with rasterio.open(f) as src:
                    arrays.append(src.read(1))
                    tags.append({k: v for k, v in src.tags().items()
                                 if k in ("title", "subject", "filter", "base_n", "bandwidth_m",
                                          "attribution", "disclosure")})
            assert np.array_equal(arrays[0], arrays[1]) and np.array_equal(arrays[1], arrays[2])
            assert tags[0] == tags[1] == tags[2] and tags[0]["subject"]
    # the result says what it shows: subject and filter in words, on every front
    main_meta = gui[kind + suffixes[0]].meta
    if params.get("filter") == DRUGS:
        assert main_meta["filter_text"] == "crime type is Drugs"
        assert main_meta["subject"] == "Drugs offences"
        assert "police_uk" in main_meta["attribution"]
    elif params.get("filter"):
        assert main_meta["filter_text"] and main_meta["filter"] == params["filter"]
