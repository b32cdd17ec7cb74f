"""Move populations and counts between 2011 and 2021 LSOAs with the ONS lookup.

The ONS "LSOA (2011) to LSOA (2021) to Local Authority District (2022) Lookup for
England and Wales" has one row per pair of a 2011 and a 2021 LSOA that share
ground, with a change indicator ``CHGIND``:

* ``U`` unchanged: the same area (usually the same code);
* ``S`` split: one 2011 LSOA became several 2021 LSOAs;
* ``M`` merged: several 2011 LSOAs became one 2021 LSOA;
* ``X`` complex: boundaries redrawn, many to many.

:func:`convert_lsoa_values` moves values (a population, a count) from one
vintage to the other.  Each source LSOA's value is shared among the target
LSOAs it is linked to, in proportion to ``weights`` of the targets (equal
shares when none are given), and each target adds up what it receives:

    value(t) = sum over sources s linked to t of value(s) * w(t) / sum(w(t') for t' linked to s)

So ``U`` copies, a 2011 LSOA gets the exact sum of its 2021 parts (``S``
going back to 2011) and a 2021 LSOA the exact sum of its 2011 parts (``M``
going to 2021): those are **exact**.  Sharing one source among several targets
(``M`` going back to 2011, ``S`` going to 2021, and ``X``) is an **estimate**,
flagged in the ``estimated`` column; with population weights (say, mid-2019
estimates on 2011 LSOAs) it follows where people live, with none it is an
equal split.  Totals are kept: the targets add up to the sources that appear
in the lookup.

:func:`read_lsoa_lookup` accepts the ONS file as published (``LSOA11CD``,
``LSOA21CD``, ``CHGIND``; names in any case, a byte-order mark, extra columns
such as ``LSOA11NM`` or ``LAD22CD``) or any table with those three columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from layers.common.errors import InputError

__all__ = ["read_lsoa_lookup", "convert_lsoa_values", "LsoaConversion", "CHANGE_CODES",
           "conversion_direction", "match_lsoa_vintage"]

#: ONS change indicators and what they mean.
CHANGE_CODES = {"U": "unchanged", "S": "split", "M": "merged", "X": "complex"}

_COLUMNS = {"lsoa11": re.compile(r"^(f_)?lsoa_?(20)?11_?cd$|^lsoa11code$", re.I),
            "lsoa21": re.compile(r"^(f_)?lsoa_?(20)?21_?cd$|^lsoa21code$", re.I),
            "change": re.compile(r"^chg_?ind$|^change(_?indicator)?$", re.I)}


def read_lsoa_lookup(lookup) -> pd.DataFrame:
    """Read the ONS LSOA 2011 to 2021 lookup (path, or a DataFrame).

    Returns
    -------
    DataFrame
        ``lsoa11``, ``lsoa21``, ``change`` (one of U, S, M, X), one row per pair.

    Raises
    ------
    InputError
        If a column is missing or a change indicator is not U, S, M or X.
    """
    if isinstance(lookup, (str, Path)):
        path = Path(lookup)
        if not path.exists():
            raise InputError("LSOA lookup file not found", path=path, fix="check the path")
        if path.suffix.lower() in (".xlsx", ".xls"):
            df = pd.read_excel(path, dtype=str)
        else:
            df = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    else:
        path, df = None, pd.DataFrame(lookup).astype(str)
    cols = {}
    for key, pat in _COLUMNS.items():
        found = [c for c in df.columns if pat.match(str(c).strip())]
        if not found:
            want = {"lsoa11": "LSOA11CD", "lsoa21": "LSOA21CD", "change": "CHGIND"}[key]
            raise InputError(f"the LSOA lookup has no {want} column (it has "
                             f"{', '.join(map(str, df.columns[:12]))})", path=path,
                             column=want,
                             fix="use the ONS 'LSOA (2011) to LSOA (2021)' lookup, with "
                                 "LSOA11CD, LSOA21CD and CHGIND")
        cols[key] = found[0]
    out = pd.DataFrame({k: df[c].astype(str).str.strip() for k, c in cols.items()})
    out["change"] = out["change"].str.upper()
    out = out[(out["lsoa11"] != "") & (out["lsoa21"] != "")]
    bad = sorted(set(out["change"]) - set(CHANGE_CODES))
    if bad:
        raise InputError(f"unknown change indicator(s) {', '.join(bad)} in the LSOA lookup",
                         path=path, column="CHGIND", fix="expect U, S, M or X")
    return out.drop_duplicates(["lsoa11", "lsoa21"]).reset_index(drop=True)


@dataclass
class LsoaConversion:
    """Values moved to the other LSOA vintage.

    Attributes
    ----------
    data : DataFrame
        ``code`` (target LSOA), one column per converted value, ``estimated``
        (True where a source was shared among several targets) and ``change``
        (the ONS indicators involved, e.g. ``"S"`` or ``"M,X"``).
    unmatched : list of str
        Codes of the table found on neither side of the lookup (not converted).
    messages : list of str
        Plain-language summary for notes and the command line.
    """

    data: pd.DataFrame
    unmatched: list = field(default_factory=list)
    messages: list = field(default_factory=list)


def conversion_direction(table_codes, target_codes, lookup: pd.DataFrame) -> str | None:
    """``"2011"`` or ``"2021"``: the vintage to convert ``table_codes`` to so they match
    ``target_codes`` (None when both are already the same vintage or neither fits)."""
    t = set(pd.Series(list(table_codes), dtype=object).astype(str).str.strip())
    a = set(pd.Series(list(target_codes), dtype=object).astype(str).str.strip())
    l11, l21 = set(lookup["lsoa11"]), set(lookup["lsoa21"])
    new21, new11 = l21 - l11, l11 - l21  # codes that exist in one vintage only
    if (t & new21) and (a & new11 or not (a & new21)) and a & l11:
        return "2011"
    if (t & new11) and (a & new21 or not (a & new11)) and a & l21:
        return "2021"
    return None


def convert_lsoa_values(table, lookup, *, to: str, code: str | None = None, values=None,
                        weights=None) -> LsoaConversion:
    """Move LSOA values (populations, counts) to the other vintage.

    Parameters
    ----------
    table : DataFrame or Series
        Values keyed by LSOA code: a DataFrame with a ``code`` column (or the
        first column) and value columns, or a Series indexed by code.
    lookup : DataFrame or path
        The ONS lookup (see :func:`read_lsoa_lookup`).
    to : {"2011", "2021"}
        Target vintage.
    code : str, optional
        Code column of ``table`` (default: ``code``, else its first column).
    values : list of str, optional
        Columns to convert (default: every numeric column).
    weights : Series, optional
        Weights of the target LSOAs (indexed by target code) for sharing a
        source among several targets, e.g. a population of the target
        vintage; default equal shares.

    Returns
    -------
    LsoaConversion

    Examples
    --------
    >>> lk = pd.DataFrame({"LSOA11CD": ["A", "B", "C"], "LSOA21CD": ["A", "B1", "B2"],
    ...                    "CHGIND": ["U", "S", "S"]})
    >>> pop21 = pd.Series({"A": 1500.0, "B1": 1200.0, "B2": 1300.0})
    >>> convert_lsoa_values(pop21, lk, to="2011").data  # doctest: +SKIP
    """
    lk = read_lsoa_lookup(lookup) if not {"lsoa11", "lsoa21", "change"} <= set(
        getattr(lookup, "columns", [])) else lookup
    if str(to) not in ("2011", "2021"):
        raise InputError(f"cannot convert LSOAs to '{to}'", fix="use to='2011' or to='2021'")
    src, tgt = ("lsoa21", "lsoa11") if str(to) == "2011" else ("lsoa11", "lsoa21")
    if isinstance(table, pd.Series):
        frame = pd.DataFrame({"code": table.index.astype(str), "value": table.to_numpy()})
        code, values = "code", ["value"]
    else:
        frame = pd.DataFrame(table).copy()
        code = code or ("code" if "code" in frame.columns else frame.columns[0])
        if values is None:
            values = [c for c in frame.columns if c != code
                      and pd.api.types.is_numeric_dtype(frame[c])
                      and not pd.api.types.is_bool_dtype(frame[c])]
    frame[code] = frame[code].astype(str).str.strip()
    if frame[code].duplicated().any():
        dup = frame.loc[frame[code].duplicated(), code].iloc[0]
        raise InputError(f"LSOA {dup} appears more than once in the table",
                         column=code, fix="give one row per LSOA")
    links = lk[[src, tgt, "change"]].rename(columns={src: "s", tgt: "t"})
    if weights is not None:
        wt = pd.to_numeric(pd.Series(weights), errors="coerce")
        wt.index = wt.index.astype(str).str.strip()
        links["w"] = links["t"].map(wt)
        # a source whose targets are not all weighted is shared equally
        incomplete = links.groupby("s")["w"].transform(lambda x: x.isna().any() or x.sum() <= 0)
        links.loc[incomplete.astype(bool), "w"] = 1.0
    else:
        links["w"] = 1.0
    links["share"] = links["w"] / links.groupby("s")["w"].transform("sum")
    links["n_targets"] = links.groupby("s")["t"].transform("size")
    known = set(links["s"])
    in_lookup = frame[code].isin(known)
    unmatched = sorted(frame.loc[~in_lookup & ~frame[code].isin(set(links["t"])), code])
    vals = frame.loc[in_lookup].set_index(code)
    m = links.merge(vals[values], left_on="s", right_index=True, how="inner")
    out = pd.DataFrame({"code": sorted(set(m["t"]))}).set_index("code")
    # a target is given a value only when every source it is linked to has one in the
    # table: a partial sum would understate it (a population too small, a rate too high)
    have = set(vals.index)
    complete = links.groupby("t")["s"].apply(lambda s: set(s) <= have).reindex(out.index)
    for v in values:
        x = pd.to_numeric(m[v], errors="coerce")
        got = (x * m["share"]).groupby(m["t"]).sum(min_count=1)
        full = x.notna().groupby(m["t"]).all().reindex(got.index, fill_value=False)
        out[v] = got.where(full & complete.reindex(got.index).astype(bool))
    est = (m["n_targets"] > 1).groupby(m["t"]).any()
    out["estimated"] = est.reindex(out.index, fill_value=False).astype(bool)
    chg = links.groupby("t")["change"].apply(lambda c: ",".join(sorted(set(c))))
    out["change"] = chg.reindex(out.index)
    data = out.reset_index()
    n_est = int(data["estimated"].sum())
    counts = data["change"].str.split(",").explode().value_counts()
    msgs = [f"{len(data)} LSOAs ({to}) from {int(in_lookup.sum())} of {len(frame)} table rows "
            "by the ONS lookup: " + ", ".join(f"{CHANGE_CODES[k]} {int(counts.get(k, 0))}"
                                               for k in CHANGE_CODES if counts.get(k, 0))]
    if n_est:
        msgs.append(f"{n_est} LSOAs got an estimated share of a split or merged LSOA "
                    f"({'weighted' if weights is not None else 'equal shares'})")
    if unmatched:
        msgs.append(f"{len(unmatched)} table codes are in neither vintage of the lookup "
                    f"(e.g. {unmatched[0]}); not converted")
    return LsoaConversion(data=data, unmatched=unmatched, messages=msgs)


def match_lsoa_vintage(values: pd.Series, area_codes, lookup, *, weights=None):
    """Put a Series of LSOA values on the vintage of ``area_codes`` (2011 or 2021).

    For a population table of one vintage and boundaries of the other (Census
    2021 populations on 2011 LSOAs).  Returns ``(series, messages)``; the
    series unchanged, with a message, when the two already match.
    """
    lk = read_lsoa_lookup(lookup)
    to = conversion_direction(values.index, area_codes, lk)
    if to is None:
        return values, ["the table is already on the areas' LSOA vintage; not converted"]
    res = convert_lsoa_values(values, lk, to=to, weights=weights)
    out = pd.Series(res.data["value"].to_numpy(), index=res.data["code"], name=values.name)
    return out, [f"converted to {to} LSOAs: " + res.messages[0].split(": ", 1)[-1]] + \
        res.messages[1:]
