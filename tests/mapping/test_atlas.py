"""The atlas (issue 17): one page per ward of Bristol, figures as published, trend, zoom."""

import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from bristol_project import write_bristol_project

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.fixture(scope="module")
def bristol(tmp_path_factory):
    from boundaries.workspace import Workspace
    from mapping.pipeline.policy import Policy
    from mapping.pipeline.runner import run_step

    folder = tmp_path_factory.mktemp("atlas")
    ws = Workspace.open(write_bristol_project(folder))
    pol = Policy.from_project(ws.project)
    for step in ws.project.analyses[:2]:
        run_step(ws, step, policy=pol)
    return ws, pol, folder


def _independent_ward_counts(ws):
    """Drugs offences per ward by geopandas' own point-in-polygon (not hotmap's)."""
    wards = ws.layers["wards"].data
    pts = ws.layers["crime"].data
    pts = pts[pts["crime_type"] == "Drugs"]
    j = gpd.sjoin(pts[["geometry"]], wards[["WD13CD", "geometry"]], predicate="within")
    return j["WD13CD"].value_counts().reindex(wards["WD13CD"], fill_value=0)


def test_pages_figures_disclosure_and_zoom(bristol):
    from mapping.export.atlas_content import build_atlas
    from mapping.export.atlas_pages import MAP_BOX, page_extent

    ws, pol, _ = bristol
    atlas = build_atlas(ws.layers["drugs_wards"], ws.layers["wards"], list(ws.layers),
                        pol.rules)
    wards = ws.layers["wards"].data
    assert [a.code for a in atlas.areas] == list(wards["WD13CD"])
    assert [a.name for a in atlas.areas] == list(wards["WD13NM"])
    truth = _independent_ward_counts(ws)
    total = int(truth.sum())  # the base n: Drugs offences inside the wards
    hidden = 0
    for a in atlas.areas:
        fig = dict(a.figures)
        n = int(truth[a.code])
        if 1 <= n <= 4:  # disclosure: a small count is never printed
            assert fig["Drugs offences"] == "<5"
            hidden += 1
        elif fig["Drugs offences"] not in ("<5", "suppressed"):
            assert int(fig["Drugs offences"].replace(",", "")) == n
            key = f"Share of all {total:,} in the study area (base n)"
            assert fig[key] == f"{100 * n / total:.1f}%", sorted(fig)
        shown = [v for v in a.trend["shown"]]
        assert not any(s in ("1", "2", "3", "4") for s in shown)  # months: no small count
        vals = a.trend["value"].to_numpy(float)
        if np.isfinite(vals).all():  # every month published: they add up to the area
            assert vals.sum() == n
        # the zoom contains the whole area at the frame's aspect ratio
        x0, y0, x1, y1 = page_extent(a.geometry, MAP_BOX[2], MAP_BOX[3])
        assert box(x0, y0, x1, y1).contains(a.geometry)
        assert (x1 - x0) / (y1 - y0) == pytest.approx(MAP_BOX[2] / MAP_BOX[3])
    assert hidden > 0


def test_lsoa_result_rolled_up_into_wards(bristol):
    from mapping.export.atlas_content import build_atlas
    from mapping.stats.intervals import poisson_ci

    ws, pol, _ = bristol
    atlas = build_atlas(ws.layers["drugs_lsoa"], ws.layers["wards"], list(ws.layers),
                        pol.rules)
    lsoa = ws.layers["drugs_lsoa"].data
    rep = lsoa.geometry.representative_point()
    for a in atlas.areas:
        inside = rep.within(a.geometry).to_numpy()
        n, pop = int(lsoa["count"][inside].sum()), float(lsoa["population"][inside].sum())
        fig = dict(a.figures)
        assert fig["Residents"] == f"{pop:,.0f}"
        if n >= 5 and fig["Drugs offences"] not in ("<5", "suppressed"):
            lo, hi = poisson_ci(n)
            assert fig["Rate per 10,000"] == (f"{1e4 * n / pop:.1f} (95% CI "
                                              f"{1e4 * lo / pop:.1f}–{1e4 * hi / pop:.1f})")
        assert a.subareas is not None and len(a.subareas) == inside.sum()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext not installed")
def test_cli_writes_one_page_per_ward_naming_it(bristol, tmp_path):
    from app.cli import main

    _, _, folder = bristol
    out = tmp_path / "atlas.pdf"
    assert main(["atlas", str(folder / "bristol.hotmap.toml"), "--analysis", "drugs_wards",
                 "--by", "wards", "--out", str(out)]) == 0
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
    assert "Pages:           35" in info
    wards = bristol[0].layers["wards"].data
    for k in (1, 18, 35):
        text = subprocess.run(["pdftotext", "-f", str(k), "-l", str(k), str(out), "-"],
                              capture_output=True, text=True).stdout
        assert wards["WD13NM"].iloc[k - 1] in text and wards["WD13CD"].iloc[k - 1] in text
        assert f"Page {k} of 35" in text
    from docx import Document

    doc = Document(str(out.with_suffix(".docx")))
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert h1 == [f"{n} ({c})" for n, c in zip(wards["WD13NM"], wards["WD13CD"])]


def test_cli_refuses_unknown_analysis_and_layer(bristol, tmp_path, capsys):
    from app.cli import main

    _, _, folder = bristol
    proj = str(folder / "bristol.hotmap.toml")
    assert main(["atlas", proj, "--analysis", "nope", "--by", "wards", "--out",
                 str(tmp_path / "a.pdf")]) == 2
    assert "no analysis called 'nope'" in capsys.readouterr().err
    assert main(["atlas", proj, "--analysis", "drugs_wards", "--by", "wards", "--out",
                 str(tmp_path / "a.png")]) == 2
    assert ".pdf" in capsys.readouterr().err
