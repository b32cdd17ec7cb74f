"""Nothing lost (issue 8 §2): every record read is accepted, or rejected with file, row, reason.

Property tests with random records, checked against independent shapely
geometry: the study-area filter of ``load_records``, several files forming one
layer, counting per area (points outside every area are reported, never
silently dropped), and period assignment (missing dates are kept as <NA>).
The fuzz tests in test_fuzz_loaders.py apply the same reconciliation to every
malformed input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from relhelp import FUZZ, check_reconciled, fresh_dir
from shapely.geometry import Polygon, box

import geopandas as gpd

from layers.records import load_records

# an L-shaped study area of two LSOA-like squares plus a notch, in BNG metres
AREAS = gpd.GeoDataFrame(
    {"code": ["E01900001", "E01900002", "E01900003"]},
    geometry=[box(450000, 280000, 451000, 281000), box(451000, 280000, 452000, 281000),
              Polygon([(450000, 281000), (451000, 281000), (451000, 282000), (450500, 281500),
                       (450000, 282000)])],
    crs="EPSG:27700")
UNION = shapely.union_all(AREAS.geometry.values)
#: Property tests here check exact outcomes, so fewer examples suffice (100 in CI).
NL = settings(FUZZ, max_examples=max(100, FUZZ.max_examples // 5))
pytestmark = pytest.mark.fuzz

_coord = st.one_of(st.integers(449000, 453000), st.sampled_from([450000, 451000, 452000]))
_row = st.one_of(
    st.tuples(_coord, st.integers(279000, 283000)).map(lambda t: (str(t[0]), str(t[1]))),
    st.tuples(st.just(""), st.just("")),                      # no coordinates
    st.tuples(st.just("n/a"), st.integers(279000, 283000).map(str)))  # unparseable


def _write_csv(rows, name="records.csv", start=0):
    d = fresh_dir()
    lines = ["rec_id,easting,northing,date"]
    for i, (x, y) in enumerate(rows):
        lines.append(f"R{start + i:05d},{x},{y},2022-0{1 + i % 9}-15")
    p = d / name
    p.write_text("\n".join(lines) + "\n")
    return p


@NL
@given(rows=st.lists(_row, max_size=40))
def test_study_area_rejections_are_exact(rows):
    """Outside-study-area rejections are exactly the points outside the area, with distance."""
    p = _write_csv(rows)
    res = load_records(p, kind="generic", columns={"x": "easting", "y": "northing",
                                                    "id": "rec_id"}, study_area=AREAS)
    check_reconciled(res, p)
    assert res.rows_read == len(rows)
    outside_expected, blank_expected = set(), set()
    for i, (x, y) in enumerate(rows, start=1):
        if x == "" or x == "n/a":
            blank_expected.add(i)
        elif not UNION.covers(shapely.Point(float(x), float(y))):
            outside_expected.add(i)
    rej = res.rejected
    out = rej[rej["reason"] == "outside study area"]
    assert set(out["source_row"].astype(int)) == outside_expected
    assert set(rej.loc[rej["reason"] != "outside study area", "source_row"].astype(int)) == \
        blank_expected
    for _, r in out.iterrows():  # the detail states the distance to the area
        x, y = (float(v) for v in rows[int(r["source_row"]) - 1])
        dist = UNION.distance(shapely.Point(x, y))
        assert f"{dist:,.0f} m" in r["detail"]
        assert r["rec_id"] == f"R{int(r['source_row']) - 1:05d}"  # the original row kept
    acc_rows = set(res.accepted["source_row"].astype(int))
    assert acc_rows == set(range(1, len(rows) + 1)) - outside_expected - blank_expected


@NL
@given(a=st.lists(_row, max_size=15), b=st.lists(_row, max_size=15))
def test_several_files_one_layer_reconcile_per_file(a, b):
    """Two files as one layer: per-file counts add up and every row keeps its own file."""
    pa = _write_csv(a, "jan.csv")
    pb = _write_csv(b, "feb.csv", start=1000)
    res = load_records([pa, pb], columns={"x": "easting", "y": "northing", "id": "rec_id"},
                       study_area=AREAS)
    assert res.rows_read == len(a) + len(b)
    assert len(res.accepted) + len(res.rejected) == res.rows_read
    files = res.info["files"]
    for p, rows in ((pa, a), (pb, b)):
        f = files[str(p)]
        assert f["read"] == len(rows) and f["accepted"] + f["rejected"] == len(rows)
        both = pd.concat([res.accepted[["source_file", "source_row"]],
                          res.rejected[["source_file", "source_row"]]])
        mine = both[both["source_file"] == str(p)]["source_row"].astype(int)
        assert sorted(mine) == list(range(1, len(rows) + 1))


@NL
@given(pts=st.lists(st.tuples(st.floats(449000, 453000), st.floats(279000, 283000)),
                    max_size=60), holes=st.booleans())
def test_count_per_area_accounts_for_every_point(pts, holes):
    """area_rates: assigned + unassigned == points; counts sum to assigned; the unassigned
    are exactly the points no area covers (independent shapely check)."""
    from mapping.stats.rates import area_rates, count_points

    areas = AREAS if not holes else AREAS.iloc[[0, 2]].reset_index(drop=True)
    points = gpd.GeoDataFrame({"source_file": "f.csv", "source_row": np.arange(1, len(pts) + 1)},
                              geometry=gpd.points_from_xy([p[0] for p in pts],
                                                          [p[1] for p in pts]),
                              crs="EPSG:27700")
    out = area_rates(areas, points, "code")
    a = out.attrs["assignment"]
    assert a["read"] == len(pts) == a["assigned"] + a["unassigned"]
    assert int(out["count"].sum()) == a["assigned"]
    union = shapely.union_all(areas.geometry.values)
    expected_out = {i + 1 for i, (x, y) in enumerate(pts) if not union.covers(shapely.Point(x, y))}
    _, pos = count_points(areas, points, "code")
    assert set(points.loc[pos < 0, "source_row"]) == expected_out
    assert a["unassigned"] == len(expected_out)
    assert list(out["code"]) == list(areas["code"])  # every area appears, even with 0


@NL
@given(dates=st.lists(st.one_of(st.none(), st.datetimes(min_value=pd.Timestamp("1990-01-01"),
                                                            max_value=pd.Timestamp("2040-12-31"))),
                      max_size=30),
       kind=st.sampled_from(["month", "quarter", "year", "financial_year"]))
def test_periods_keep_records_without_dates(dates, kind):
    """assign_periods labels every record; a missing date is <NA>, never dropped."""
    from mapping.core.periods import assign_periods

    s = pd.Series(pd.to_datetime(pd.Series(dates, dtype=object)), dtype="datetime64[ns]")
    lab = assign_periods(s, kind)
    assert len(lab) == len(s)
    assert list(lab.isna()) == list(s.isna())
    for d, label in zip(s, lab):
        if pd.isna(d):
            continue
        if kind == "year":
            assert label == str(d.year)
        elif kind == "quarter":
            assert label == f"{d.year}Q{(d.month - 1) // 3 + 1}"
        elif kind == "month":
            assert label == f"{d.year}-{d.month:02d}"
        else:
            start = d.year - (d.month < 4)
            assert label == f"{start}/{(start + 1) % 100:02d}"


def test_count_step_reports_unassigned_records(tmp_path):
    """The project 'count' step states how many records fell outside every area."""
    from mapping.pipeline import StepContext, get_step

    pts = gpd.GeoDataFrame({"source_file": "a.csv", "source_row": [1, 2, 3]},
                           geometry=gpd.points_from_xy([450500, 451500, 460000],
                                                       [280500, 280500, 290000]),
                           crs="EPSG:27700")
    ctx = StepContext(layers={"areas": AREAS, "pts": pts},
                      meta={"areas": {"code_field": "code"}, "pts": {"sensitive": True}})
    (out,) = get_step("count")(ctx, areas="areas", points="pts")
    assert int(out.data["count"].sum()) == 2
    assign = out.data.attrs.get("assignment") or out.meta.get("assignment")
    assert assign == {"read": 3, "assigned": 2, "unassigned": 1}
    _ = pytest


@NL
@given(dates=st.lists(st.one_of(st.none(), st.datetimes(min_value=pd.Timestamp("2019-01-01"),
                                                            max_value=pd.Timestamp("2023-12-31"))),
                      min_size=1, max_size=40))
def test_monthly_trend_counts_every_dated_record_and_reports_the_rest(dates):
    """trend_monthly: counted + 'n_missing_date' == records; undated ones are reported."""
    from layers.common.errors import InputError
    from mapping.audit.trends import trend_monthly

    df = pd.DataFrame({"date": pd.Series(pd.to_datetime(pd.Series(dates, dtype=object)),
                                         dtype="datetime64[ns]"),
                       "source_row": np.arange(1, len(dates) + 1)})
    n_missing = int(df["date"].isna().sum())
    if n_missing == len(df):
        with pytest.raises(InputError, match=f"{n_missing:,} without a date"):
            trend_monthly(df)
        return
    out = trend_monthly(df)
    meta = out.attrs["meta"]
    assert meta["n_missing_date"] == n_missing
    assert meta["base_n"] + meta["n_missing_date"] == len(df)
    assert int(out["count"].sum()) == len(df) - n_missing
