"""Tests of mapping.audit.funnel: PHE exact Poisson funnel limits.

References used as independent checks
-------------------------------------
* Exact (Garwood / chi-squared) 95% limits of a Poisson count, as tabulated in
  the standard tables (e.g. Documenta Geigy Scientific Tables; Ulm K 1990,
  Am J Epidemiol 131:373-375) and given by Public Health England, *Technical
  Guide: Confidence Intervals* (Public Health Data Science, 25 May 2018),
  Appendix 2 (chi-squared exact method) and Appendix 1 (Byar's method):
  O = 0: 0 - 3.689; O = 1: 0.0253 - 5.572; O = 10: 4.795 - 18.390;
  O = 20: 12.22 - 30.89.
* The PHE funnel-plot algorithm for rates (Fingertips technical guidance;
  the PHE Excel funnel-plot tool macro, published in the R package
  PHEindicatormethods, ``R/Funnels.R`` ``calculate_funnel_limits`` with
  ``statistic = "rate"`` and ``R/utils.R`` ``poisson_funnel``): for a number
  of events E, the population at which the lower limit passes through E is
  the exact upper confidence limit of E divided by the overall rate, found by
  bisection on the Poisson sums.  :func:`_phe_poisson_funnel` below is an
  independent re-implementation of that published algorithm (plain Poisson
  sums and bisection, no chi-squared functions), so it checks our closed-form
  (gamma-inverse + root-finding) computation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import geopandas as gpd
from shapely.geometry import box

from layers.common.errors import InputError
from mapping.audit.funnel import funnel_limits, funnel_table, poisson_ci
from mapping.render.charts_funnel import funnel_chart
from tests.conftest import shared_path


def _poisson_sum(mu: float, lo: int, hi: int) -> float:
    """P(lo <= X <= hi) for X ~ Poisson(mu), by summing terms (no scipy)."""
    term = math.exp(-mu)
    total = 0.0
    for k in range(0, hi + 1):
        if k >= lo:
            total += term
        term *= mu / (k + 1)
    return total


def _phe_poisson_funnel(obs: int, p: float, side: str) -> float:
    """The PHE macro's bisection: mean whose tail probability at ``obs`` equals ``p``."""
    v, dv = 0.5, 0.5
    while dv > 1e-10:
        dv /= 2
        mu = (1 + obs) * v / (1 - v)
        if side == "low":  # P(X >= obs | mu) = p  -> exact lower confidence limit
            tail = 1 - _poisson_sum(mu, 0, obs - 1) if obs > 0 else 1.0
            v = v - dv if tail > p else v + dv
        else:  # P(X <= obs | mu) = p  -> exact upper confidence limit
            tail = _poisson_sum(mu, 0, obs)
            v = v - dv if tail < p else v + dv
    return (1 + obs) * v / (1 - v)


@pytest.mark.parametrize("count, lo, hi, tol", [(0, 0.0, 3.689, 6e-4), (1, 0.0253, 5.572, 6e-4),
                                                (10, 4.795, 18.390, 6e-4),
                                                (20, 12.22, 30.89, 6e-3)])
def test_exact_poisson_ci_matches_published_table(count, lo, hi, tol):
    got_lo, got_hi = poisson_ci(count, 0.95, "exact")
    assert float(got_lo) == pytest.approx(lo, abs=tol)
    assert float(got_hi) == pytest.approx(hi, abs=tol)


def test_byar_and_phe_rule():
    # Byar's formula (PHE Technical Guide, Appendix 1), written out by hand
    o, z = 65, 1.959963984540054
    lo = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    b_lo, b_hi = poisson_ci(o, 0.95, "byar")
    assert_allclose([b_lo, b_hi], [lo, hi])
    # Byar within 0.2% of exact for counts of 10 or more (PHE guide)
    e_lo, e_hi = poisson_ci([10, 65, 1045], 0.95, "exact")
    y_lo, y_hi = poisson_ci([10, 65, 1045], 0.95, "byar")
    assert np.all(np.abs(y_lo / e_lo - 1) < 0.002) and np.all(np.abs(y_hi / e_hi - 1) < 0.002)
    # "phe": exact below 10, Byar from 10
    p_lo, _ = poisson_ci([5, 50], 0.95, "phe")
    assert p_lo[0] == poisson_ci(5, 0.95, "exact")[0]
    assert p_lo[1] == poisson_ci(50, 0.95, "byar")[0]


@pytest.mark.parametrize("events", [3, 12, 47, 150])
@pytest.mark.parametrize("level", [0.95, 0.998])
def test_funnel_limits_match_phe_algorithm(events, level):
    rate = 0.0012  # overall rate per person
    a = (1 - level) / 2
    key = f"{level * 100:g}".replace(".", "_")
    # lower limit passes through `events` at population UCL(events) / rate
    pop_lo = _phe_poisson_funnel(events, a, "high") / rate
    lim = funnel_limits([pop_lo], rate, levels=(level,), multiplier=10000)
    assert_allclose(lim[f"lower_{key}"].iloc[0], events / pop_lo * 10000, rtol=1e-6)
    # upper limit passes through `events` at population LCL(events) / rate
    pop_hi = _phe_poisson_funnel(events, a, "low") / rate
    lim = funnel_limits([pop_hi], rate, levels=(level,), multiplier=10000)
    assert_allclose(lim[f"upper_{key}"].iloc[0], events / pop_hi * 10000, rtol=1e-6)


def test_limits_shape():
    lim = funnel_limits([500, 5000, 50000, 500000], 0.001)
    assert (lim["baseline"] == 10).all()
    assert (np.diff(lim["upper_99_8"]) < 0).all() and (np.diff(lim["lower_99_8"]) >= 0).all()
    assert (lim["upper_99_8"] > lim["upper_95"]).all()
    assert (lim["lower_99_8"] <= lim["lower_95"]).all()
    assert lim["lower_95"].iloc[0] == 0  # tiny populations: the lower limit is 0
    with pytest.raises(InputError):
        funnel_limits([0, 10], 0.01)


def test_funnel_table_flags_equal_exact_ci_test():
    areas = pd.DataFrame({"name": list("ABCDE"), "count": [2, 30, 9, 60, 10],
                          "population": [4000, 5000, 8000, 9000, 10000]})
    t = funnel_table(areas, name="name", comparators=pd.DataFrame(
        {"name": ["Peer"], "count": [300], "population": [100000]}))
    r = areas["count"].sum() / areas["population"].sum()
    assert_allclose(t.attrs["meta"]["overall_rate"], r * 10000)
    a = t[t["group"] == "area"]
    lo, hi = poisson_ci(a["count"].to_numpy(), 0.998, "exact")
    mu = a["population"].to_numpy() * r
    outer_high = (lo > mu)
    outer_low = (hi < mu)
    assert (a["outside"] == "high 99.8%").tolist() == outer_high.tolist()
    assert (a["outside"] == "low 99.8%").tolist() == outer_low.tolist()
    assert t.loc[t["group"] == "comparator", "label"].tolist() == ["Peer"]
    assert t.attrs["meta"]["base_n"] == 111 and t.attrs["meta"]["n_areas"] == 5


def test_funnel_table_drops_missing_population_and_keeps_geometry():
    g = gpd.GeoDataFrame({"code": ["a", "b"], "count": [1, 2], "population": [100, 0]},
                         geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=27700)
    t = funnel_table(g, name="code")
    assert len(t) == 1 and t.attrs["meta"]["n_dropped"] == 1
    assert isinstance(t, gpd.GeoDataFrame)
    with pytest.raises(InputError, match="no 'pop' column"):
        funnel_table(g, population="pop")


def test_real_bristol_lsoa_drugs_funnel(tmp_path):
    import glob

    from mapping.render.charts import chart_save

    files = sorted(glob.glob(str(shared_path("police_uk") / "*.csv")))
    df = pd.concat([pd.read_csv(f, usecols=["LSOA code", "LSOA name", "Crime type"])
                    for f in files])
    bris = df[df["LSOA name"].fillna("").str.startswith("Bristol ")]
    drugs = bris[bris["Crime type"] == "Drugs"].groupby("LSOA code").size()
    pop = pd.read_csv(shared_path("population", "mysociety_lsoa_population_mid2019_uk.csv"),
                      thousands=",", encoding="utf-8-sig")
    lsoa = gpd.read_file(shared_path("boundaries", "bristol_lsoa2011_E06000023.geojson"))
    t = lsoa[["LSOA11CD", "LSOA11NM"]].merge(pop, left_on="LSOA11CD", right_on="lsoa")
    t["count"] = t["LSOA11CD"].map(drugs).fillna(0).astype(int)
    ft = funnel_table(t.rename(columns={"pop": "population"}), name="LSOA11NM")
    meta = ft.attrs["meta"]
    assert meta["n_areas"] == 263 and meta["population_total"] == 463377
    assert meta["base_n"] == int(drugs.sum())
    # every flag agrees with the area's own exact 99.8% interval excluding the expected count
    lo, hi = poisson_ci(ft["count"].to_numpy(), 0.998, "exact")
    mu = ft["expected"].to_numpy()
    assert ((ft["outside"] == "high 99.8%").to_numpy() == (lo > mu)).all()
    out = chart_save(funnel_chart(ft, units="Drugs offences"), tmp_path / "funnel.png")
    assert out.stat().st_size > 20000


def test_overdispersion_hand_worked_and_adjusted_limits():
    from scipy.stats import norm

    from mapping.audit.funnel import funnel_overdispersion

    # ten areas of 10,000 people: counts far more spread than Poisson around 10
    counts = np.array([2, 4, 6, 8, 10, 10, 12, 14, 16, 28])
    pops = np.full(10, 10000.0)
    od = funnel_overdispersion(counts, pops, winsor=0.1)
    r = counts.sum() / pops.sum()
    z = (counts / pops - r) / np.sqrt(r / pops)
    lo, hi = np.quantile(z, [0.1, 0.9])
    phi = np.mean(np.clip(z, lo, hi) ** 2)
    w = pops / r
    tau2 = (10 * phi - 9) / (w.sum() - (w ** 2).sum() / w.sum())
    assert_allclose(od["phi"], phi) and phi > 1
    assert_allclose(od["tau2"], tau2)
    t = funnel_table(pd.DataFrame({"count": counts, "population": pops}), overdispersion=True)
    half = norm.ppf(0.999) * np.sqrt(r / 10000 + tau2)
    assert_allclose(t["upper_99_8"].iloc[0], (r + half) * 10000)
    assert t.attrs["meta"]["overdispersion"]["adjusted"]
    plain = funnel_table(pd.DataFrame({"count": counts, "population": pops}))
    assert (t["upper_99_8"] > plain["upper_99_8"]).all()
    assert (plain["outside"] != "within").sum() >= (t["outside"] != "within").sum()
    # Poisson-like data: no extra variance
    assert funnel_overdispersion([10, 10, 10, 10], [1e4] * 4)["tau2"] == 0.0


def test_overdispersion_reported_and_spiegelhalter_offered_on_bristol():
    """Bristol LSOAs, all police.uk crime over four months: far more variation than Poisson.
    The notes give phi and the number of areas the Spiegelhalter (2005) random-effects limits
    would leave outside, checked by hand: rate +/- z sqrt(r / N + tau2)."""
    import glob

    from scipy.stats import chi2, norm

    from boundaries.population import read_population
    from tests.conftest import bristol_drug_counts, shared_path

    lsoa = bristol_drug_counts()
    files = sorted(glob.glob(str(shared_path("police_uk") / "*-street.csv")))
    df = pd.concat([pd.read_csv(f, usecols=["LSOA code"]) for f in files])
    lsoa["all"] = df["LSOA code"].value_counts().reindex(lsoa["LSOA11CD"]).fillna(0).to_numpy()
    pop = read_population(shared_path("population", "mysociety_lsoa_population_mid2019_uk.csv"))
    lsoa["population"] = pop.set_index("code")["population"].reindex(lsoa["LSOA11CD"]).to_numpy()
    t = funnel_table(lsoa, count="all", population="population", name="LSOA11CD")
    meta = t.attrs["meta"]
    od = meta["overdispersion"]
    note = " ".join(meta["notes"])
    assert od["phi"] > 10 and f"overdispersion phi = {od['phi']:.1f}" in note
    assert chi2.sf(od["n_areas"] * od["phi"], od["n_areas"] - 1) < 1e-6
    r = lsoa["all"].sum() / lsoa["population"].sum()
    half = norm.ppf(0.999) * np.sqrt(r / lsoa["population"] + od["tau2"])
    rate = lsoa["all"] / lsoa["population"]
    n_adj = int(((rate > r + half) | (rate < r - half)).sum())
    assert f"would leave {n_adj} outside the 99.8% limits" in note
    assert n_adj < meta["n_outside"]["high 99.8%"] + meta["n_outside"]["low 99.8%"]
    drugs = funnel_table(lsoa, count="drugs", population="population", name="LSOA11CD")
    assert "consistent with Poisson variation" in drugs.attrs["meta"]["notes"][0]
    adj = funnel_table(lsoa, count="all", population="population", name="LSOA11CD",
                       overdispersion=True)
    assert "the limits are widened for it" in adj.attrs["meta"]["notes"][0]


def test_funnel_labels_do_not_overlap_as_saved_and_the_caption_counts_them(tmp_path):
    """Crowded outliers with long names (many clustered at similar populations, some off
    scale): in the saved figure no two labels overlap, none runs off the plot's sides, and
    the caption's "k of m" is the number of labels drawn."""
    import re

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Annotation

    from mapping.render.charts import chart_save

    rng = np.random.default_rng(7)
    pop = rng.integers(1500, 2200, 120)
    count = rng.poisson(pop * 0.01)
    count[:30] = rng.integers(40, 400, 30)  # many high outliers at similar populations
    areas = pd.DataFrame({"name": [f"Hotmap Vale {i:03d}X long name" for i in range(120)],
                          "count": count, "population": pop})
    fig = funnel_chart(funnel_table(areas, name="name"), units="arrests", max_labels=30)
    chart_save(fig, tmp_path / "funnel.png")
    canvas = FigureCanvasAgg(fig)  # the figure drawn afresh, as saved (positions and text
    canvas.draw()                  # sizes scale together with the dpi)
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    anns = [c for c in ax.get_children() if isinstance(c, Annotation)]
    boxes = [a.get_window_extent(renderer) for a in anns]
    assert len(anns) >= 3
    for i, a in enumerate(boxes):
        assert ax.bbox.x0 <= a.x0 and a.x1 <= ax.bbox.x1
        assert not any(a.overlaps(b) for b in boxes[i + 1:])
    # nor does a label (but an off-scale area's, which carries its value) cover another
    # area's dot
    dots = np.vstack([c.get_offsets() for c in ax.collections
                      if hasattr(c, "get_offsets") and len(c.get_offsets())])
    at = ax.transData.transform(dots)
    reach = 2.0 * fig.dpi / 72
    for a, box in zip(anns, boxes):
        if a.get_text().endswith(")"):  # off scale: "(rate)" in the label
            continue
        own = ax.transData.transform([a.xy])[0]
        others = at[np.hypot(*(at - own).T) > 0.5]
        inside = ((others[:, 0] > box.x0 - reach) & (others[:, 0] < box.x1 + reach)
                  & (others[:, 1] > box.y0 - reach) & (others[:, 1] < box.y1 + reach))
        assert not inside.any(), a.get_text()
    caption = " ".join(t.get_text() for t in fig.texts)
    m = re.search(r"\((\d+) of (\d+), the most extreme", caption)
    assert m is not None and int(m.group(1)) == len(anns) < int(m.group(2))
