"""The duplicate check's text hash (layers.ingest.checks._hash_text, written by hand for
speed, issue 18) finds exactly the duplicates that pandas' exact ``duplicated`` finds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from layers.ingest.checks import _hash_text
from layers.records import load_records

_COLS = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
         "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]


def _strings(rng, n):
    alphabet = np.array(list("abcdef0123456789é£ -"))
    lens = rng.integers(0, 40, n)
    return ["".join(rng.choice(alphabet, k)) for k in lens]


def test_equal_strings_hash_equal_and_distinct_strings_do_not_collide():
    rng = np.random.default_rng(5)
    base = _strings(rng, 60_000)
    vals = base + [base[i] for i in rng.integers(0, len(base), 20_000)]  # repeats
    arr = pa.array(vals, pa.large_string())
    h1, h2 = _hash_text(arr)
    codes = pd.factorize(pd.Series(vals))[0]
    pairs = pd.factorize(pd.Series(list(zip(h1.tolist(), h2.tolist()))))[0]
    # equal strings <=> equal hash pairs: the two partitions are the same
    assert pd.Series(pairs).groupby(codes).nunique().max() == 1
    assert len(set(codes)) == len(set(pairs))
    # each hash alone has no collision either among these strings
    assert len(np.unique(h1)) == len(np.unique(h2)) == len(set(vals))
    # a slice (non-zero Arrow offset) hashes its values as the whole array does
    s1, _ = _hash_text(arr.slice(1000, 500))
    assert (s1 == h1[1000:1500]).all()


def test_fixed_width_ids_between_blanks_hash_as_gathered():
    """The end-to-end fast path (64-character ids with blank ones between) gives the same
    hashes as the same ids hashed one by one."""
    rng = np.random.default_rng(1)
    ids = ["%064x" % int(v) for v in rng.integers(0, 2 ** 62, 3000)]
    mixed = [("" if i % 3 == 0 else v) for i, v in enumerate(ids)]
    h_mixed, g_mixed = _hash_text(pa.array(mixed, pa.large_string()))
    for i in (1, 2, 4, 2999):
        one, two = _hash_text(pa.array([mixed[i], "x" * 7], pa.large_string()))
        assert one[0] == h_mixed[i] and two[0] == g_mixed[i]


def test_police_uk_duplicates_match_pandas_duplicated(tmp_path):
    """Rows repeated within and across files are rejected exactly where pandas'
    ``duplicated`` on Crime ID, month, crime type and location says so; the same id at
    another place, and blank ids, are kept."""
    rng = np.random.default_rng(11)
    n = 3000
    ids = np.array(["%064x" % int(v) for v in rng.integers(0, 2 ** 62, n)], dtype=object)
    lon = np.round(rng.uniform(-2.7, -2.5, n), 6)
    lat = np.round(rng.uniform(51.40, 51.50, n), 6)
    types = rng.choice(["Burglary", "Drugs", "Anti-social behaviour"], n)
    ids[types == "Anti-social behaviour"] = ""
    df = pd.DataFrame({c: "" for c in _COLS}, index=range(n))
    df["Crime ID"], df["Month"], df["Crime type"] = ids, "2019-01", types
    df["Longitude"], df["Latitude"] = lon.astype(str), lat.astype(str)
    rep = df.sample(400, random_state=2)  # true repeats
    moved = df[df["Crime ID"] != ""].sample(100, random_state=3).copy()
    moved["Latitude"] = (moved["Latitude"].astype(float) + 0.001).round(6).astype(str)
    files = []
    for i, part in enumerate([pd.concat([df.iloc[:2000], rep.iloc[:150]]),
                              pd.concat([df.iloc[2000:], rep.iloc[150:], moved])]):
        p = tmp_path / f"2019-0{i + 1}-x-street.csv"
        part.to_csv(p, index=False)
        files.append((p, part.reset_index(drop=True)))
    res = load_records([p for p, _ in files], geometry=False)
    whole = pd.concat([f.assign(source_file=str(p), source_row=np.arange(1, len(f) + 1))
                       for p, f in files], ignore_index=True)
    key = ["Crime ID", "Month", "Crime type", "Longitude", "Latitude"]
    expect = whole[(whole["Crime ID"] != "") & whole.duplicated(key)]
    got = res.rejected[res.rejected["reason"] == "duplicate id"]
    assert len(expect) > 250  # 400 repeats, a third of them blank (ASB) ids
    assert sorted(zip(got["source_file"], got["source_row"])) == \
        sorted(zip(expect["source_file"], expect["source_row"]))
    assert len(res.accepted) == len(whole) - len(expect)
