"""Build the FICTIONAL demo partnership: areas, wards and record layers.

Everything here is invented by seeded code; no real person, address or
area is represented.  The area, "Hotmap Vale", sits in plausible British
National Grid coordinates (EPSG:27700) so that every tool behaves as it would
on real data.  Rebuilding with the same seed gives byte-identical files.

Run ``python -m resources.demo_build OUTDIR`` or call :func:`build_demo`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

import shapely
import geopandas as gpd

__all__ = ["build_demo", "DEMO_SEED", "FICTIONAL_NOTE", "POPULATION_AGE_SHARES"]

DEMO_SEED = 20240401
FICTIONAL_NOTE = "FICTIONAL DATA: Hotmap Vale is an invented area; every record is synthetic."
CRS = "EPSG:27700"
CENTRE = np.array([452_000.0, 285_000.0])
START, END = pd.Timestamp("2022-04-01"), pd.Timestamp("2025-03-31 23:59")
WARD_NAMES = [
    "Abbey Fields", "Ashgrove", "Beacon Hill", "Brookside", "Castle Vale", "Cherry Orchard",
    "Eastmoor", "Fairholme", "Foxley", "Greenbank", "Harbour Gate", "Kingsmead", "Larkrise",
    "Millbrook", "Northgate", "Oakridge", "Priory", "Riverside", "St Anne's", "Westcliff",
]
AGE_BANDS = ["10-17", "18-24", "25-34", "35-44", "45-54", "55+"]
ETHNICITY = ["White", "Black", "Asian", "Mixed", "Other"]


def _study_area(rng) -> shapely.Polygon:
    """An irregular, smooth outline of about 110 km²."""
    t = np.linspace(0, 2 * np.pi, 181)[:-1]
    r = 6000 * (1 + 0.12 * np.sin(3 * t + 0.4) + 0.08 * np.cos(5 * t + 1.3)
                + 0.05 * np.sin(7 * t + rng.uniform(0, 6)))
    xy = np.c_[CENTRE[0] + 1.15 * r * np.cos(t), CENTRE[1] + 0.9 * r * np.sin(t)]
    return shapely.Polygon(np.round(xy))


def _random_points_in(poly, n, rng) -> np.ndarray:
    xmin, ymin, xmax, ymax = poly.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        cand = rng.uniform([xmin, ymin], [xmax, ymax], size=(n * 3, 2))
        inside = shapely.contains_xy(poly, cand[:, 0], cand[:, 1])
        out = np.vstack([out, cand[inside]])
    return out[:n]


def _voronoi_cells(seeds: np.ndarray, clip, rng, relax: int = 3) -> list:
    """Voronoi cells of ``seeds`` clipped to ``clip``, Lloyd-relaxed for even sizes."""
    pts = seeds.copy()
    for it in range(relax + 1):
        vor = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=clip.buffer(5000))
        cells = [c.intersection(clip) for c in shapely.get_parts(vor)]
        # Match each cell back to its seed (voronoi output order is not the input order).
        order = [next(i for i, c in enumerate(cells) if c.covers(shapely.Point(p)))
                 for p in pts]
        cells = [cells[i] for i in order]
        if it < relax:
            pts = np.array([[c.centroid.x, c.centroid.y] for c in cells])
    return [shapely.make_valid(c) for c in cells]


def _deprivation_surface(x, y):
    """A smooth latent deprivation score: a deprived core and an eastern estate."""
    dx, dy = (x - CENTRE[0]) / 1000, (y - CENTRE[1]) / 1000
    core = 38 * np.exp(-(dx ** 2 + dy ** 2) / 6.0)
    east = 30 * np.exp(-((dx - 4.2) ** 2 + (dy + 1.0) ** 2) / 3.0)
    north = 14 * np.exp(-((dx + 1.0) ** 2 + (dy - 3.8) ** 2) / 2.0)
    return 8 + core + east + north


def _areas(rng):
    outline = _study_area(rng)
    ward_cells = _voronoi_cells(_random_points_in(outline, len(WARD_NAMES), rng), outline, rng)
    wards, lsoas = [], []
    for w, (wname, wcell) in enumerate(zip(WARD_NAMES, ward_cells)):
        wcode = f"X05{w + 1:06d}"
        wards.append({"ward_code": wcode, "ward_name": f"{wname} (fictional)", "geometry": wcell})
        n = int(np.clip(round(wcell.area / 700_000), 4, 12))
        cells = _voronoi_cells(_random_points_in(wcell, n, rng), wcell, rng, relax=2)
        for j, cell in enumerate(cells):
            lsoas.append({"ward_code": wcode, "ward_name": wards[-1]["ward_name"],
                          "suffix": chr(ord("A") + j), "geometry": cell})
    lsoa = gpd.GeoDataFrame(lsoas, crs=CRS)
    rp = lsoa.geometry.representative_point()
    score = _deprivation_surface(rp.x.to_numpy(), rp.y.to_numpy())
    score = np.round(score * rng.lognormal(0, 0.18, len(lsoa)), 2)
    lsoa.insert(0, "code", [f"X01{i + 1:06d}" for i in range(len(lsoa))])
    lsoa.insert(1, "name", [f"Hotmap Vale {w[-3:]}{s}" for w, s in
                            zip(lsoa["ward_code"], lsoa["suffix"])])
    lsoa = lsoa.drop(columns="suffix")
    lsoa["population"] = np.round(rng.normal(1650, 280, len(lsoa)).clip(1000, 3000)).astype(int)
    lsoa["imd_score"] = score
    # National-style deciles from fixed score cut points (decile 1 = most deprived).
    cuts = [45.0, 34.5, 27.5, 22.5, 18.5, 15.0, 12.0, 9.5, 7.0]
    lsoa["imd_decile"] = 1 + np.searchsorted(-np.array(cuts), -score, side="left")
    lsoa["geometry"] = lsoa.geometry.apply(lambda g: shapely.set_precision(g, 1.0))
    ward = gpd.GeoDataFrame(wards, crs=CRS)
    ward["geometry"] = ward.geometry.apply(lambda g: shapely.set_precision(g, 1.0))
    ward["population"] = lsoa.groupby("ward_code")["population"].sum().reindex(
        ward["ward_code"]).to_numpy()
    return outline, lsoa, ward


def _seasonal_dates(n, rng, *, trend=0.0):
    """Dates with a summer peak, a December peak and an August festival weekend."""
    days = pd.date_range(START.normalize(), END.normalize(), freq="D")
    doy = days.dayofyear.to_numpy()
    w = 1 + 0.22 * np.cos(2 * np.pi * (doy - 200) / 365.25)
    w += 0.35 * ((days.month == 12) & (days.day >= 10)).astype(float)
    w += 2.5 * ((days.month == 8) & (days.day >= 24) & (days.day <= 27)).astype(float)
    w *= np.exp(trend * (days - days[0]).days.to_numpy() / 365.25)
    idx = rng.choice(len(days), size=n, p=w / w.sum())
    secs = rng.integers(0, 86_400, size=n)
    return days[idx] + pd.to_timedelta(secs, unit="s")


def _hotspots(lsoa, rng):
    """Cluster centres in deprived areas, each with a life span (for change maps)."""
    deprived = lsoa[lsoa["imd_decile"] <= 3].geometry.representative_point()
    pick = rng.choice(len(deprived), size=6, replace=False)
    centres = np.c_[deprived.x.to_numpy()[pick], deprived.y.to_numpy()[pick]]
    # (start, end) as fractions of the 3-year span: persistent, former, emerging ...
    spans = [(0, 1), (0, 1), (0, 0.4), (0.55, 1), (0, 1), (0.3, 0.8)]
    sds = [180, 260, 220, 200, 320, 240]
    return centres, spans, sds


def _clustered_points(n, lsoa, outline, rng, share_clustered=0.65):
    centres, spans, sds = _hotspots(lsoa, rng)
    dates = np.sort(_seasonal_dates(n, rng).to_numpy())
    frac = (dates - np.datetime64(START)) / (np.datetime64(END) - np.datetime64(START))
    xy = np.empty((n, 2))
    clustered = rng.random(n) < share_clustered
    for i in np.flatnonzero(clustered):
        live = [k for k, (a, b) in enumerate(spans) if a <= frac[i] <= b]
        k = rng.choice(live)
        xy[i] = centres[k] + rng.normal(0, sds[k], 2)
    # Background: LSOA chosen by population x deprivation, then uniform inside it.
    bg = np.flatnonzero(~clustered)
    wts = lsoa["population"].to_numpy() * lsoa["imd_score"].to_numpy()
    which = rng.choice(len(lsoa), size=len(bg), p=wts / wts.sum())
    for j, i in zip(which, bg):
        xy[i] = _random_points_in(lsoa.geometry.iloc[j], 1, rng)[0]
    inside = shapely.contains_xy(outline, xy[:, 0], xy[:, 1])
    xy[~inside] = _random_points_in(outline, int((~inside).sum()), rng)
    return np.round(xy), pd.DatetimeIndex(dates)


def _arrests(lsoa, outline, rng, n=3200):
    xy, dates = _clustered_points(n, lsoa, outline, rng)
    supply = rng.random(n) < 0.24
    return pd.DataFrame({
        "arrest_id": [f"ARR-{i + 1:06d}" for i in range(n)],
        "date": dates.strftime("%Y-%m-%d"),
        "offence": np.where(supply, "Supply", "Possession"),
        "drug_class": rng.choice(["A", "B", "C"], size=n, p=[0.42, 0.5, 0.08]),
        "age_band": rng.choice(AGE_BANDS, size=n, p=[0.08, 0.27, 0.30, 0.19, 0.11, 0.05]),
        "gender": rng.choice(["Male", "Female"], size=n, p=[0.86, 0.14]),
        "ethnicity": rng.choice(ETHNICITY, size=n, p=[0.78, 0.08, 0.07, 0.05, 0.02]),
        "easting": xy[:, 0].astype(int), "northing": xy[:, 1].astype(int),
    })


def _needles(lsoa, outline, rng, n=720):
    xy, dates = _clustered_points(n, lsoa, outline, rng, share_clustered=0.75)
    lag_h = rng.lognormal(np.log(18), 0.8, n)
    collected = dates + pd.to_timedelta(np.round(lag_h * 60), unit="min")
    missing = rng.random(n) < 0.05
    col = pd.Series(collected.strftime("%Y-%m-%d %H:%M")).where(~missing, "")
    return pd.DataFrame({
        "find_id": [f"NF-{i + 1:05d}" for i in range(n)],
        "reported_at": dates.strftime("%Y-%m-%d %H:%M"),
        "collected_at": col,
        "quantity": 1 + rng.poisson(1.2, n) * (rng.random(n) < 0.45),
        "easting": xy[:, 0].astype(int), "northing": xy[:, 1].astype(int),
    })


def _crack_houses(lsoa, outline, rng, n=46):
    xy, opened = _clustered_points(n, lsoa, outline, rng, share_clustered=0.8)
    closed = rng.random(n) < 0.72
    closure = opened + pd.to_timedelta(rng.integers(30, 400, n), unit="D")
    closed &= closure <= END
    reopened_flag = closed & (rng.random(n) < 0.33)
    reopened = closure + pd.to_timedelta(rng.integers(25, 330, n), unit="D")
    reopened_flag &= reopened <= END
    status = np.where(reopened_flag, "reopened", np.where(closed, "closed", "open"))
    fmt = lambda d, m: pd.Series(d.strftime("%d/%m/%Y")).where(m, "")  # noqa: E731
    return pd.DataFrame({
        "premises_id": [f"CH-{i + 1:03d}" for i in range(n)],
        "opened": opened.strftime("%d/%m/%Y"),
        "closure_order": fmt(closure, closed), "reopened": fmt(reopened, reopened_flag),
        "status": status,
        "easting": xy[:, 0].astype(int), "northing": xy[:, 1].astype(int),
    })


def _services(lsoa, rng):
    # Services sit near the centre and north; the deprived eastern estate is under-served.
    spots = [(-600, 300), (400, -500), (-2500, 2600), (1500, 2200), (-3800, -1500),
             (200, 900), (-1200, -2600), (3000, 3500), (-4200, 1800)]
    kinds = ["Structured treatment", "Needle and syringe programme", "Recovery hub",
             "Needle and syringe programme", "Outreach", "Structured treatment",
             "Needle and syringe programme", "Recovery hub", "Outreach"]
    names = ["Vale Recovery Centre", "Market Street Pharmacy NSP", "Northgate Hub",
             "Oakridge Pharmacy NSP", "Westcliff Outreach", "Harbour Gate Clinic",
             "Priory Pharmacy NSP", "Larkrise Recovery Hub", "Foxley Outreach"]
    cap = [120, 40, 60, 35, 25, 90, 30, 45, 20]
    xy = np.round(CENTRE + np.array(spots) + rng.normal(0, 120, (len(spots), 2)))
    return pd.DataFrame({"service_id": [f"SV-{i + 1:02d}" for i in range(len(spots))],
                         "name": [f"{n} (fictional)" for n in names], "type": kinds,
                         "capacity": cap,
                         "easting": xy[:, 0].astype(int), "northing": xy[:, 1].astype(int)})


#: Hotmap Vale's (FICTIONAL) residents by ethnic group: shares of the total population.
_ETHNIC_SHARES = {"White": 0.82, "Asian": 0.07, "Black": 0.05, "Mixed": 0.04, "Other": 0.02}


def _population_by_ethnicity(lsoa) -> pd.DataFrame:
    """Residents by ethnic group (FICTIONAL; no random draw, so the other files are unchanged)."""
    total = int(lsoa["population"].sum())
    counts = {k: int(round(total * v)) for k, v in _ETHNIC_SHARES.items()}
    counts["White"] += total - sum(counts.values())
    return pd.DataFrame({"ethnicity": list(counts), "population": list(counts.values())})


# --------------------------------------------------------------------------- extra fields
# Fields added for the near-repeat, time-profile, treatment and closure analyses.  They are
# drawn from their own random stream (``default_rng([seed, 1])``) *after* the original
# tables are made, so every original column and row is byte-identical to before.

#: Share of the population in each age band (the arrests' bands, plus 0-9).
POPULATION_AGE_SHARES = {"0-9": 0.115, "10-17": 0.095, "18-24": 0.090, "25-34": 0.140,
                         "35-44": 0.130, "45-54": 0.130, "55+": 0.300}
SUBSTANCES = ["Opiates", "Non-opiates", "Alcohol", "Cannabis"]


def _hour_profile() -> np.ndarray:
    """(7, 24) probabilities of an arrest's hour by weekday (Monday = 0): an afternoon and
    evening peak, later on Friday and Saturday nights."""
    h = np.arange(24)
    base = 0.25 + np.exp(-((h - 17.5) / 3.5) ** 2) + 0.35 * np.exp(-((h - 11) / 2.5) ** 2)
    prof = np.tile(base, (7, 1))
    late = np.exp(-(((h + 6) % 24 - 5) / 2.2) ** 2)  # a 23:00 peak running past midnight
    prof[4] += 0.9 * late
    prof[5] += 1.3 * late
    prof[6, :5] += 1.0 * late[:5]  # the small hours of Sunday belong to Saturday night
    return prof / prof.sum(axis=1, keepdims=True)


def _arrest_times(arrests: pd.DataFrame, rng) -> pd.Series:
    """``arrested_at``: the arrest's date with a clock time from :func:`_hour_profile`."""
    day = pd.to_datetime(arrests["date"])
    prof = _hour_profile()
    u = rng.random(len(day))
    cdf = np.cumsum(prof, axis=1)[day.dt.dayofweek.to_numpy()]
    hour = (u[:, None] > cdf).sum(axis=1).clip(0, 23)
    minute = rng.integers(0, 60, len(day))
    t = day + pd.to_timedelta(hour * 60 + minute, unit="min")
    return t.dt.strftime("%Y-%m-%d %H:%M")


def _discard_windows(needles: pd.DataFrame, rng) -> pd.Series:
    """``discarded_after``: when the site was last seen clear, for about 60% of finds, so the
    discard happened in the window up to ``reported_at`` (some cross midnight, a few last
    more than a week)."""
    rep = pd.to_datetime(needles["reported_at"])
    n = len(rep)
    lag_h = rng.lognormal(np.log(14), 1.0, n)
    lag_h[rng.random(n) < 0.01] += 24 * 8  # a few sites not checked for over a week
    known = rng.random(n) < 0.6
    start = rep - pd.to_timedelta(np.round(lag_h * 60), unit="min")
    return pd.Series(start.dt.strftime("%Y-%m-%d %H:%M")).where(known, "")


def _first_known(crack: pd.DataFrame, rng) -> pd.Series:
    """``first_known``: the date police first knew of the premises, on or after it opened
    and at least a week before any closure order."""
    opened = pd.to_datetime(crack["opened"], format="%d/%m/%Y")
    closure = pd.to_datetime(crack["closure_order"], format="%d/%m/%Y", errors="coerce")
    lag = pd.to_timedelta(rng.integers(0, 60, len(opened)), unit="D")
    first = opened + lag
    latest = closure - pd.Timedelta(days=7)
    first = first.where(closure.isna() | (first <= latest), latest.where(latest > opened, opened))
    return first.dt.strftime("%d/%m/%Y")


def _client_counts(lsoa, rng) -> pd.DataFrame:
    """Clients in treatment per LSOA (as NDTMS gives them: counts per area, not points)."""
    pop = lsoa["population"].to_numpy(float)
    dep = lsoa["imd_score"].to_numpy(float) / 25.0
    return pd.DataFrame({"lsoa_code": lsoa["code"].to_numpy(),
                         "adults_in_treatment": rng.poisson(pop * 0.0045 * dep ** 1.3),
                         "young_people_in_treatment": rng.poisson(pop * 0.0007 * dep ** 1.3)})


def _episodes(rng, n_adult: int = 950, n_young: int = 170) -> pd.DataFrame:
    """Treatment episodes: referral, first intervention, exit and reason, by group."""
    n = n_adult + n_young
    young = np.r_[np.zeros(n_adult, bool), np.ones(n_young, bool)]
    span = (END.normalize() - START).days
    referral = START + pd.to_timedelta(rng.integers(0, span, n), unit="D")
    wait = np.round(rng.lognormal(np.where(young, np.log(6.5), np.log(9.0)), 0.65)).astype(int)
    first = referral + pd.to_timedelta(wait, unit="D")
    started = first <= END
    stay = np.round(rng.lognormal(np.log(170), 0.9, n)).astype(int)
    exit_ = first + pd.to_timedelta(stay, unit="D")
    exited = started & (exit_ <= END)
    reason = rng.choice(["Completed", "Dropped out", "Transferred"], size=n, p=[0.5, 0.38, 0.12])
    reason = np.where(stay < 40, np.where(rng.random(n) < 0.75, "Dropped out", reason), reason)
    fmt = lambda d, m: pd.Series(d.strftime("%Y-%m-%d")).where(m, "")  # noqa: E731
    df = pd.DataFrame({
        "age_group": np.where(young, "Young people (under 18)", "Adults"),
        "tier": "Tier 3",
        "substance": np.where(young, rng.choice(SUBSTANCES, size=n, p=[0.03, 0.12, 0.15, 0.7]),
                              rng.choice(SUBSTANCES, size=n, p=[0.45, 0.2, 0.3, 0.05])),
        "gender": rng.choice(["Male", "Female"], size=n, p=[0.66, 0.34]),
        "ethnicity": rng.choice(ETHNICITY, size=n, p=[0.8, 0.07, 0.06, 0.05, 0.02]),
        "referral_date": referral.strftime("%Y-%m-%d"),
        "first_intervention_date": fmt(first, started),
        "exit_date": fmt(exit_, exited),
        "exit_reason": pd.Series(reason).where(exited, ""),
    })
    df = df.sort_values("referral_date", kind="stable").reset_index(drop=True)
    df.insert(0, "episode_id", [f"TX-{i + 1:05d}" for i in range(n)])
    return df


def _population_by_age(lsoa) -> pd.DataFrame:
    """The Vale's residents by age band (shares of the LSOA total; no randomness)."""
    total = int(lsoa["population"].sum())
    counts = {k: int(round(v * total)) for k, v in POPULATION_AGE_SHARES.items()}
    counts["55+"] += total - sum(counts.values())
    return pd.DataFrame({"age_band": list(counts), "population": list(counts.values())})


def _extras(seed: int, lsoa, tables: dict) -> dict:
    """Add the extra columns to ``tables`` and return the extra tables (own random stream)."""
    rng = np.random.default_rng([seed, 1])
    arrests = tables["arrests.csv"]
    loc = arrests.columns.get_loc("date") + 1
    arrests.insert(loc, "arrested_at", _arrest_times(arrests, rng))
    needles = tables["needle_finds.csv"]
    needles.insert(needles.columns.get_loc("reported_at"), "discarded_after",
                   _discard_windows(needles, rng))
    crack = tables["crack_houses.csv"]
    crack.insert(crack.columns.get_loc("opened") + 1, "first_known", _first_known(crack, rng))
    return {"treatment_clients.csv": _client_counts(lsoa, rng),
            "treatment_episodes.csv": _episodes(rng),
            "population_by_age.csv": _population_by_age(lsoa)}


def build_demo(out_dir: str | Path, seed: int = DEMO_SEED) -> Path:
    """Generate the fictional demo data files into ``out_dir/data``.

    Returns
    -------
    Path
        The data folder.  Same seed, same bytes.
    """
    out = Path(out_dir)
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    outline, lsoa, ward = _areas(rng)
    opts = {"COORDINATE_PRECISION": 1, "WRITE_NAME": "NO"}
    lsoa.to_file(data / "areas.geojson", driver="GeoJSON", engine="pyogrio",
                 layer_options=opts)
    ward.to_file(data / "wards.geojson", driver="GeoJSON", engine="pyogrio", layer_options=opts)
    tables = {"arrests.csv": _arrests(lsoa, outline, rng),
              "needle_finds.csv": _needles(lsoa, outline, rng),
              "crack_houses.csv": _crack_houses(lsoa, outline, rng),
              "treatment_services.csv": _services(lsoa, rng)}
    tables["population_by_ethnicity.csv"] = _population_by_ethnicity(lsoa)


    tables.update(_extras(seed, lsoa, tables))
    for name, df in tables.items():
        df.to_csv(data / name, index=False, lineterminator="\n")
    (data / "README.txt").write_text(
        f"{FICTIONAL_NOTE}\nGenerated by resources/demo_build.py with seed {seed}.\n",
        encoding="utf-8")
    return data


if __name__ == "__main__":  # pragma: no cover
    print(build_demo(sys.argv[1] if len(sys.argv) > 1 else "resources/demo"))
