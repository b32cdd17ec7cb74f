"""2011 <-> 2021 LSOA conversion with the ONS lookup: U, S, M, X by hand (issue 17)."""

import numpy as np
import pandas as pd
import pytest

from boundaries.lsoa_change import (conversion_direction, convert_lsoa_values,
                                    match_lsoa_vintage, read_lsoa_lookup)
from layers.common.errors import InputError

# A hand-made lookup with every change type (one row per 2011/2021 pair, as ONS publishes):
#   U  E01000001 -> E01000001
#   S  E01000002 -> E01100001 + E01100002
#   M  E01000003 + E01000004 -> E01100003
#   X  E01000005 -> E01100004 + E01100005;  E01000006 -> E01100005
ROWS = [("E01000001", "E01000001", "U"), ("E01000002", "E01100001", "S"),
        ("E01000002", "E01100002", "S"), ("E01000003", "E01100003", "M"),
        ("E01000004", "E01100003", "M"), ("E01000005", "E01100004", "X"),
        ("E01000005", "E01100005", "X"), ("E01000006", "E01100005", "X")]


def _ons_csv(tmp_path, name="lookup.csv"):
    """The lookup with the real ONS file's columns, byte-order mark and extras."""
    lines = ["LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND,LAD22CD,LAD22NM,LAD22NMW,ObjectId"]
    for i, (a, b, c) in enumerate(ROWS, 1):
        lines.append(f"{a},Town 00{i}A,{b},Town 00{i}B,{c},E06000023,\"Bristol, City of\",,{i}")
    p = tmp_path / name
    p.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode("utf-8"))
    return p


POP21 = pd.Series({"E01000001": 1500.0, "E01100001": 1200.0, "E01100002": 1300.0,
                   "E01100003": 3000.0, "E01100004": 1000.0, "E01100005": 2000.0})


def test_reader_accepts_the_ons_file_as_published(tmp_path):
    lk = read_lsoa_lookup(_ons_csv(tmp_path))
    assert list(lk.columns) == ["lsoa11", "lsoa21", "change"] and len(lk) == 8
    assert lk["change"].tolist() == [c for _, _, c in ROWS]
    lower = pd.DataFrame(ROWS, columns=["lsoa11cd", "lsoa21cd", "chgind"])
    assert read_lsoa_lookup(lower).equals(lk)


def test_reader_refuses_a_table_without_the_columns_or_with_unknown_codes(tmp_path):
    with pytest.raises(InputError, match="LSOA21CD"):
        read_lsoa_lookup(pd.DataFrame({"LSOA11CD": ["A"], "CHGIND": ["U"]}))
    with pytest.raises(InputError, match="unknown change indicator.*Q"):
        read_lsoa_lookup(pd.DataFrame({"LSOA11CD": ["A"], "LSOA21CD": ["A"], "CHGIND": ["Q"]}))
    with pytest.raises(InputError, match="not found"):
        read_lsoa_lookup(tmp_path / "missing.csv")


def test_2021_population_onto_2011_lsoas_by_hand(tmp_path):
    res = convert_lsoa_values(POP21, _ons_csv(tmp_path), to="2011")
    got = res.data.set_index("code")
    # hand arithmetic: U copies; S sums the 2021 parts; M and X share equally
    assert got["value"].to_dict() == {"E01000001": 1500.0, "E01000002": 2500.0,
                                      "E01000003": 1500.0, "E01000004": 1500.0,
                                      "E01000005": 1000.0 + 1000.0, "E01000006": 1000.0}
    assert got["estimated"].to_dict() == {"E01000001": False, "E01000002": False,
                                          "E01000003": True, "E01000004": True,
                                          "E01000005": True, "E01000006": True}
    assert got.loc["E01000002", "change"] == "S" and got.loc["E01000005", "change"] == "X"
    assert got["value"].sum() == POP21.sum()  # nothing lost or made up


def test_weights_share_a_merged_lsoa_by_where_people_live(tmp_path):
    w = pd.Series({"E01000003": 1000, "E01000004": 2000, "E01000005": 1500, "E01000006": 500,
                   "E01000001": 1, "E01000002": 1})
    got = convert_lsoa_values(POP21, _ons_csv(tmp_path), to="2011", weights=w) \
        .data.set_index("code")["value"]
    assert got["E01000003"] == 1000.0 and got["E01000004"] == 2000.0  # 3000 as 1:2
    # E01100005 (2000) shared 1500:500, plus all of E01100004 (1000) to E01000005
    assert got["E01000005"] == 2500.0 and got["E01000006"] == 500.0
    assert got["E01000002"] == 2500.0  # exact sums do not depend on weights
    assert got.sum() == POP21.sum()


def test_2011_counts_onto_2021_lsoas_by_hand(tmp_path):
    c11 = pd.DataFrame({"code": ["E01000001", "E01000002", "E01000003", "E01000004",
                                 "E01000005", "E01000006"], "count": [4, 10, 3, 5, 6, 2]})
    got = convert_lsoa_values(c11, _ons_csv(tmp_path), to="2021").data.set_index("code")
    assert got["count"].to_dict() == {"E01000001": 4.0, "E01100001": 5.0, "E01100002": 5.0,
                                      "E01100003": 8.0, "E01100004": 3.0, "E01100005": 5.0}
    assert not got.loc["E01100003", "estimated"]  # M onto 2021: an exact sum
    assert got.loc["E01100001", "estimated"]  # S onto 2021: a share
    assert got["count"].sum() == c11["count"].sum()


def test_a_target_missing_one_of_its_sources_gets_no_value(tmp_path):
    part = POP21.drop("E01100002")  # half of the split 2011 LSOA is missing from the table
    got = convert_lsoa_values(part, _ons_csv(tmp_path), to="2011").data.set_index("code")
    assert np.isnan(got.loc["E01000002", "value"])  # never a partial sum
    assert got.loc["E01000001", "value"] == 1500.0


def test_unmatched_codes_are_reported(tmp_path):
    res = convert_lsoa_values(pd.concat([POP21, pd.Series({"S01000001": 900.0})]),
                              _ons_csv(tmp_path), to="2011")
    assert res.unmatched == ["S01000001"]
    assert any("S01000001" in m for m in res.messages)


def test_direction_is_found_from_the_codes(tmp_path):
    lk = read_lsoa_lookup(_ons_csv(tmp_path))
    codes11 = ["E01000001", "E01000002", "E01000003", "E01000004", "E01000005", "E01000006"]
    assert conversion_direction(POP21.index, codes11, lk) == "2011"
    assert conversion_direction(codes11, POP21.index, lk) == "2021"
    assert conversion_direction(codes11, codes11, lk) is None
    out, msgs = match_lsoa_vintage(POP21, codes11, _ons_csv(tmp_path))
    assert sorted(out.index) == codes11 and "converted to 2011" in msgs[0]
    same, msgs = match_lsoa_vintage(out, codes11, _ons_csv(tmp_path))
    assert same is out and "already" in msgs[0]


def _areas_2011():
    import geopandas as gpd
    from shapely.geometry import box

    codes = ["E01000001", "E01000002", "E01000003", "E01000004", "E01000005", "E01000006"]
    return gpd.GeoDataFrame({"LSOA11CD": codes},
                            geometry=[box(i * 1000, 0, (i + 1) * 1000, 1000)
                                      for i in range(6)], crs=27700)


def test_join_converts_a_census_2021_table_onto_2011_lsoas(tmp_path):
    from boundaries.tables import join_attributes

    _ons_csv(tmp_path)
    t = tmp_path / "census21.csv"
    t.write_text("geography,geography code,residents\n" + "".join(
        f"Town,{c},{int(v)}\n" for c, v in POP21.items()))
    plain = join_attributes(_areas_2011(), t, area_code="LSOA11CD", table_code="geography code")
    assert plain.data["residents"].isna().sum() == 5  # only the unchanged LSOA matched
    j = join_attributes(_areas_2011(), t, area_code="LSOA11CD", table_code="geography code",
                        lsoa_lookup="lookup.csv")  # found beside the table
    got = j.data.set_index("LSOA11CD")
    assert got["residents"].to_dict() == {"E01000001": 1500, "E01000002": 2500,
                                          "E01000003": 1500, "E01000004": 1500,
                                          "E01000005": 2000, "E01000006": 1000}
    assert got["lsoa_estimated"].tolist() == [False, False, True, True, True, True]
    assert "geography" not in j.data.columns  # text cannot be converted
    assert any("converted to 2011 LSOAs" in m for m in j.messages)
    assert j.unmatched_areas == []


def test_project_table_with_lsoa_lookup_leaves_no_rate_blank(tmp_path):
    """The issue's case: Census 2021 population on 2011 LSOAs, through a project file."""
    from boundaries.workspace import Workspace
    from mapping.pipeline.runner import run_step

    _ons_csv(tmp_path)
    _areas_2011().to_file(tmp_path / "lsoa.gpkg")
    (tmp_path / "census21.csv").write_text("geography code,residents\n" + "".join(
        f"{c},{int(v)}\n" for c, v in POP21.items()))
    pd.DataFrame({"x": np.arange(6) * 1000 + 500.0, "y": 500.0}).to_csv(tmp_path / "p.csv",
                                                                       index=False)
    (tmp_path / "p.hotmap.toml").write_text("""schema_version = 1
[project]
name = "t"
[[boundaries]]
name = "lsoa"
paths = ["lsoa.gpkg"]
code_field = "LSOA11CD"
[[boundaries.tables]]
path = "census21.csv"
key = "geography code"
lsoa_lookup = "lookup.csv"
[[records]]
name = "events"
kind = "generic"
paths = ["p.csv"]
[records.columns]
x = "x"
y = "y"
[[analyses]]
name = "rates"
kind = "count"
[analyses.params]
areas = "lsoa"
points = "events"
population = "residents"
""")
    ws = Workspace.open(tmp_path / "p.hotmap.toml")
    [out] = run_step(ws, ws.project.analyses[0])
    assert out.data["rate_per_10k"].notna().all()
    assert not any("no population" in str(n) for n in out.meta.get("notes", []))
