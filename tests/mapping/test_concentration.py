"""Concentration in the most deprived areas: hand-worked shares and intervals, Bristol Drugs."""

from __future__ import annotations

import glob

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.stats import binomtest

import geopandas as gpd
from shapely.geometry import Point, box

from layers.common.errors import InputError
from mapping.stats.concentration import (concentration, concentration_table, count_in_areas,
                                   share_ratio)
from mapping.stats.intervals import wilson_ci
from tests.conftest import shared_path

CRS = "EPSG:27700"


@pytest.mark.parametrize("a,n", [(8, 10), (0, 25), (116, 258), (3, 3)])
def test_wilson_matches_scipy(a, n):
    lo, hi = wilson_ci(a, n, 0.95)
    ref = binomtest(a, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert_allclose([lo, hi], [ref.low, ref.high], atol=1e-12)


def test_share_ratio_by_hand_wilson_and_katz():
    # 30 of 50 records in areas holding 25% of the population
    r = share_ratio(30, 50, 250, 1000)
    assert_allclose([r["share"], r["ref_share"], r["ratio"]], [0.6, 0.25, 2.4])
    lo, hi = wilson_ci(30, 50)
    assert_allclose([r["ci_low"], r["ci_high"]], [lo / 0.25, hi / 0.25])
    assert r["excludes_1"]
    k = share_ratio(30, 50, 250, 1000, method="katz")
    se = np.sqrt(1 / 30 - 1 / 50 + 1 / 250 - 1 / 1000)
    assert_allclose([k["ci_low"], k["ci_high"]], [2.4 * np.exp(-1.959964 * se),
                                                  2.4 * np.exp(1.959964 * se)], rtol=1e-6)
    assert not share_ratio(13, 50, 250, 1000)["excludes_1"]
    with pytest.raises(InputError, match="positive totals"):
        share_ratio(0, 0, 1, 10)
    with pytest.raises(InputError, match="interval method"):
        share_ratio(1, 2, 1, 10, method="exact")


@pytest.fixture
def three():
    areas = gpd.GeoDataFrame({"id": list("abc"), "pop": [100, 100, 200],
                              "most_deprived_20": [True, False, False],
                              "most_deprived_30": [True, True, False]},
                             geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(20, 0, 30, 10)],
                             crs=CRS)
    pts = gpd.GeoDataFrame(geometry=[Point(5, 5)] * 6 + [Point(15, 5)] * 2 + [Point(25, 5)] * 2
                           + [Point(31, 5), Point(100, 5)], crs=CRS)
    return areas, pts


def test_count_in_areas_and_snap(three):
    areas, pts = three
    c = count_in_areas(areas, pts, area_id="id")
    assert c.tolist() == [6, 2, 2] and c.attrs["outside"] == 2
    c2 = count_in_areas(areas, pts, area_id="id", snap_m=5)
    assert c2.tolist() == [6, 2, 3] and c2.attrs["snapped"] == 1 and c2.attrs["outside"] == 1


def test_concentration_table_per_layer_and_flag(three):
    areas, pts = three
    t = concentration_table(areas.assign(n=[1, 1, 2]), {"points": pts, "col": "n"},
                            area_id="id", population="pop")
    assert t[["layer", "flag"]].values.tolist() == [["points", "most_deprived_20"],
                                                    ["points", "most_deprived_30"],
                                                    ["col", "most_deprived_20"],
                                                    ["col", "most_deprived_30"]]
    row = t.iloc[0]
    assert (row["n"], row["n_in"], row["population_share"]) == (10, 6, 0.25)
    assert_allclose(row["ratio"], 0.6 / 0.25)
    assert_allclose(t.iloc[2]["ratio"], 1.0)  # counts exactly proportional to population
    assert "wilson" in t.attrs["meta"]["method"]


def test_concentration_missing_flag(three):
    areas, pts = three
    with pytest.raises(InputError, match="most_deprived_10"):
        concentration_table(areas, {"p": pts}, area_id="id", population="pop",
                            flags=["most_deprived_10"])


def test_bristol_drugs_concentration_in_most_deprived_20():
    """Drugs offences (police.uk, Oct 2018 - Jan 2019) vs population in IMD deciles 1-2."""
    from tests.mapping.test_coverage import bristol_areas

    areas = bristol_areas()
    files = sorted(glob.glob(str(shared_path("police_uk") / "*-avon-and-somerset-street.csv")))
    pol = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    d = pol[(pol["Crime type"] == "Drugs") & pol["LSOA name"].fillna("").str.startswith("Bristol ")]
    # independent reference: police.uk's own LSOA assignment, counted with pandas
    by_code = d.groupby("LSOA code").size().reindex(areas["LSOA11CD"]).fillna(0)
    ref_share = by_code[areas["most_deprived_20"].to_numpy()].sum() / len(d)
    r_code = concentration(by_code.to_numpy(), areas["population"], areas["most_deprived_20"])
    assert_allclose(r_code["share"], ref_share)
    assert r_code["n"] == len(d)
    pop_share = areas.loc[areas["most_deprived_20"], "population"].sum() / 463_377
    assert_allclose(r_code["population_share"], pop_share)
    # point-in-polygon on the coordinates agrees closely with police.uk's codes
    pts = d[d["Longitude"].notna()]
    g = gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts["Longitude"], pts["Latitude"]),
                         crs=4326).to_crs(CRS)
    c = count_in_areas(areas, g, area_id="LSOA11CD", snap_m=100)
    r_pip = concentration(c.to_numpy(), areas["population"], areas["most_deprived_20"])
    assert abs(r_pip["share"] - r_code["share"]) < 0.02
    assert r_code["ratio"] > 1 and r_code["excludes_1"]  # concentrated in deprived areas


def test_the_step_takes_count_fields_of_the_areas_and_says_what_it_could_not_read(three):
    """Clients per area from a table (a count field, one value suppressed at source "*")
    give the same row as counting records would, with a note on the unreadable value."""
    from layers.model import Layer
    from layers.project import AnalysisStep, Project
    from boundaries.workspace import Workspace
    from mapping.pipeline.policy import Policy
    from mapping.pipeline.runner import run_step

    areas, pts = three
    ws = Workspace(Project(name="t"))
    ws.layers.append(Layer("areas", areas.assign(clients=["6", "*", "2"]), kind="areas"))
    ws.layers.append(Layer("pts", pts, kind="points"))
    (lyr,) = run_step(ws, AnalysisStep("c", "concentration", {
        "areas": "areas", "area_id": "id", "population": "pop", "counts": ["clients"],
        "layers": ["pts"]}), policy=Policy.from_table({"threshold": 0}))
    t = lyr.data.set_index(["layer", "flag"])
    assert t.loc[("clients", "most_deprived_20"), "n"] == 8  # 6 + (suppressed: 0) + 2
    assert t.loc[("clients", "most_deprived_20"), "n_in"] == 6
    ref = concentration_table(areas.assign(n=[6, 0, 2]), {"n": "n"}, area_id="id",
                              population="pop").iloc[0]
    assert_allclose(t.loc[("clients", "most_deprived_20"), "ratio"], ref["ratio"])
    assert t.loc[("pts", "most_deprived_20"), "n"] == 10
    assert any("1 areas have no clients" in n for n in lyr.meta["notes"]), lyr.meta["notes"]
