"""English Indices of Deprivation: readers, flags and local quintiles.

Ward (and other larger-area) summaries against the national cut-offs are in
:mod:`boundaries.wards`.

The published files are read as they come (the long column names of the
official MHCLG "File 7" release, the short names of re-published extracts,
and the mySociety UK-composite scores file) and mapped to canonical columns:

``lsoa_code``; ``imd_score``, ``imd_rank``, ``imd_decile``; and for each of
the seven domains ``income_``, ``employment_``, ``education_``, ``health_``,
``crime_``, ``housing_`` (Barriers to Housing and Services) and
``environment_`` (Living Environment) ``score`` / ``rank`` / ``decile``
where the file has them.  Rank 1 and decile 1 are the most deprived; a
higher score is more deprived.

IMD 2019 and 2015 are published on 2011 LSOAs; IoD 2025 is on 2021 LSOAs, so
:func:`crosswalk_imd` moves a file across vintages with a code lookup.

References
----------
Ministry of Housing, Communities and Local Government (2019). *The English
Indices of Deprivation 2019: Technical report*. London: MHCLG.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from layers.common.errors import InputError

__all__ = [
    "read_imd",
    "crosswalk_imd",
    "deprivation_flags",
    "local_quintiles",
    "IMD_DOMAINS",
    "IMD_REFERENCE",
]

IMD_REFERENCE = ("MHCLG (2019) The English Indices of Deprivation 2019: Technical report. "
                 "Decile 1 = most deprived 10% of LSOAs in England.")

#: Canonical domain prefix -> regex on the normalised column name (first match wins).
IMD_DOMAINS = {
    "imd": r"(^|[^a-z])imd([^a-z]|$)|index of multiple deprivation|^overall",
    "income": r"^income",
    "employment": r"employment",
    "education": r"education",
    "health": r"health",
    "crime": r"crime",
    "housing": r"housing|barriers",
    "environment": r"environment",
}
_MEASURES = ("score", "rank", "decile")
# columns never mapped: supplementary indices, sub-domains, UK composite measures
_SKIP = re.compile(r"idaci|idaopi|affecting|sub.?domain|^uk_|expanded|pop_decile|pop_quintile")
_CODE_RE = re.compile(r"^[EW]0[0-9]{7}$")
# the mySociety UK composite file: English rows carry the official IMD 2019 score
_MYSOCIETY = {"overall_local_score": "imd_score", "original_decile": "imd_decile"}


def _norm(name) -> str:
    return re.sub(r"\s+", " ", str(name).replace("\ufeff", "")).strip().lower()


def _detect_code(df: pd.DataFrame, path) -> str:
    named = [c for c in df.columns
             if re.search(r"lsoa", _norm(c)) and re.search(r"code|cd|^lsoa$", _norm(c))]
    named += [c for c in df.columns if _norm(c) == "lsoa" and c not in named]
    for c in named + [c for c in df.columns if c not in named]:
        vals = df[c].astype(str).str.strip().head(500)
        if len(vals) and vals.str.match(_CODE_RE).mean() > 0.5:
            return c
    raise InputError("no LSOA code column found (values like E01000001)", path=path,
                     fix="pass code_field= naming the LSOA code column")


def _map_columns(columns) -> dict:
    mapping = {}
    for c in columns:
        n = _norm(c)
        if n in _MYSOCIETY:
            mapping[c] = _MYSOCIETY[n]
            continue
        if _SKIP.search(n):
            continue
        measure = next((m for m in _MEASURES if m in n), None)
        if measure is None:
            continue
        domain = next((d for d, rx in IMD_DOMAINS.items() if re.search(rx, n)), None)
        if domain is None:
            continue
        target = f"{domain}_{measure}"
        if target not in mapping.values():
            mapping[c] = target
    return mapping


def _read_one(path, code_field=None) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise InputError("IMD file not found", path=path, fix="check the path")
    if path.suffix.lower() in (".xlsx", ".xls"):
        df = pd.read_excel(path, sheet_name=0, dtype=str)
    else:
        df = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    df.columns = [str(c).strip() for c in df.columns]
    if "nation" in df.columns and "overall_local_score" in df.columns:
        df = df[df["nation"].str.strip() == "E"]  # other nations' local scores differ
    if code_field is not None and code_field not in df.columns:
        raise InputError(f"no column '{code_field}'", path=path, column=code_field,
                         fix=f"use one of: {', '.join(df.columns[:12])}")
    code = code_field or _detect_code(df, path)
    mapping = _map_columns([c for c in df.columns if c != code])
    if not mapping:
        raise InputError("no IMD score, rank or decile columns recognised", path=path,
                         fix="check this is an English Indices of Deprivation file")
    out = pd.DataFrame({"lsoa_code": df[code].astype(str).str.strip()})
    for src, dst in mapping.items():
        vals = pd.to_numeric(df[src].astype(str).str.replace(",", ""), errors="coerce")
        out[dst] = vals.to_numpy()
    out = out[out["lsoa_code"].str.match(_CODE_RE)].drop_duplicates("lsoa_code")
    out.attrs["columns"] = {dst: src for src, dst in mapping.items()}
    out.attrs["code_column"] = code
    return out.reset_index(drop=True)


def read_imd(paths, *, code_field=None, derive_deciles=True) -> pd.DataFrame:
    """Read one or more published IMD files into canonical columns.

    Parameters
    ----------
    paths : str, Path or list of them
        IMD files (CSV or XLSX).  Several files are joined on the LSOA code;
        a column already read from an earlier file is not overwritten.
    code_field : str, optional
        The LSOA code column; detected (a column of E01/W01 codes) when omitted.
    derive_deciles : bool
        When a file gives ranks (or only scores) but no deciles, derive
        national deciles from them.  Valid only for a complete national file;
        ``attrs['notes']`` says when this was done.

    Returns
    -------
    DataFrame
        ``lsoa_code`` then ``<domain>_score``/``_rank``/``_decile`` columns;
        ``attrs['columns']`` maps each canonical column to its source column.

    Raises
    ------
    InputError
        If a file is missing or has no code or IMD columns.

    Examples
    --------
    >>> imd = read_imd(["imd2019_deciles.csv", "mysociety_scores.csv"])  # doctest: +SKIP
    >>> imd[["lsoa_code", "imd_score", "imd_decile"]].head()  # doctest: +SKIP
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out, cols, notes = None, {}, []
    for p in paths:
        df = _read_one(p, code_field)
        for k, v in df.attrs["columns"].items():
            cols.setdefault(k, f"{Path(p).name}:{v}")
        if out is None:
            out = df
        else:
            new = ["lsoa_code"] + [c for c in df.columns if c not in out.columns]
            out = out.merge(df[new], on="lsoa_code", how="outer")
    if derive_deciles:
        for d in IMD_DOMAINS:
            s, r, dc = f"{d}_score", f"{d}_rank", f"{d}_decile"
            if dc in out or (r not in out and s not in out):
                continue
            n = int(out[r].notna().sum()) if r in out else int(out[s].notna().sum())
            rank = out[r] if r in out else out[s].rank(ascending=False, method="min")
            out[dc] = np.ceil(rank * 10 / n).clip(1, 10)
            notes.append(f"{dc} derived from {'ranks' if r in out else 'scores'} over {n} LSOAs")
    out.attrs["columns"] = cols
    out.attrs["notes"] = notes
    out.attrs["reference"] = IMD_REFERENCE
    return out


def crosswalk_imd(imd: pd.DataFrame, lookup: pd.DataFrame, *, from_field: str, to_field: str,
                  weight_field: str | None = None) -> pd.DataFrame:
    """Move IMD values from one LSOA vintage to another with a code lookup.

    Used to put IoD 2025 (2021 LSOAs) on 2011 LSOAs, or IMD 2019 on 2021 LSOAs.

    Method: each target code takes the (weighted, e.g. by population) mean of
    the scores of the source codes it maps from; ranks and deciles, which
    cannot be averaged, are taken from the source code with the largest
    weight, ties going to the most deprived.  ``n_sources`` counts the source
    codes behind each target.

    Parameters
    ----------
    imd : DataFrame
        Output of :func:`read_imd` (``lsoa_code`` in the source vintage).
    lookup : DataFrame
        A code lookup, e.g. the ONS LSOA (2011) to LSOA (2021) lookup.
    from_field, to_field : str
        Lookup columns holding the source and target vintage codes.
    weight_field : str, optional
        Lookup column of weights (e.g. population of the overlap); equal if omitted.

    Returns
    -------
    DataFrame
        ``lsoa_code`` in the target vintage, the IMD columns and ``n_sources``.
    """
    for f in (from_field, to_field) + ((weight_field,) if weight_field else ()):
        if f not in lookup.columns:
            raise InputError(f"lookup has no column '{f}'", column=f,
                             fix=f"use one of: {', '.join(map(str, lookup.columns))}")
    lk = pd.DataFrame({"src": lookup[from_field].astype(str).str.strip(),
                       "dst": lookup[to_field].astype(str).str.strip(),
                       "w": pd.to_numeric(lookup[weight_field], errors="coerce").fillna(0)
                       if weight_field else 1.0}).drop_duplicates(["src", "dst"])
    j = lk.merge(imd, left_on="src", right_on="lsoa_code", how="inner")
    if j.empty:
        raise InputError("no lookup codes match the IMD file's LSOA codes",
                         fix="check from_field holds codes of the IMD file's vintage")
    scores = [c for c in imd.columns if c.endswith("_score")]
    discrete = [c for c in imd.columns if c.endswith(("_rank", "_decile"))]
    parts = {}
    g = j.groupby("dst")
    wsum = g["w"].sum().replace(0, np.nan)
    for c in scores:
        parts[c] = (j[c] * j["w"]).groupby(j["dst"]).sum(min_count=1) / wsum
    if discrete:
        order = "imd_decile" if "imd_decile" in j else discrete[0]
        top = j.sort_values(["dst", "w", order], ascending=[True, False, True]).drop_duplicates("dst")
        for c in discrete:
            parts[c] = top.set_index("dst")[c]
    out = pd.DataFrame(parts)
    out["n_sources"] = g.size()
    out.index.name = "lsoa_code"
    out = out.reset_index()
    out.attrs = {"method": "weighted mean of scores; rank/decile of the largest-weight source",
                 "reference": IMD_REFERENCE}
    return out


def deprivation_flags(decile) -> pd.DataFrame:
    """Flag the nationally most deprived 10%, 20% and 30% of LSOAs from IMD deciles.

    Parameters
    ----------
    decile : array-like
        National IMD deciles (1 = most deprived 10%).

    Returns
    -------
    DataFrame
        Boolean ``most_deprived_10`` (decile 1), ``most_deprived_20`` (1-2)
        and ``most_deprived_30`` (1-3); a missing decile gives ``False``.

    Examples
    --------
    >>> deprivation_flags([1, 2, 3, 4]).sum().tolist()
    [1, 2, 3]
    """
    d = pd.to_numeric(pd.Series(decile).reset_index(drop=True), errors="coerce")
    bad = d.notna() & ~d.isin(range(1, 11))
    if bad.any():
        raise InputError(f"IMD decile values outside 1-10 (e.g. {d[bad].iloc[0]})",
                         fix="check the decile column")
    return pd.DataFrame({f"most_deprived_{p}": (d <= p // 10).fillna(False).astype(bool)
                         for p in (10, 20, 30)})


def local_quintiles(values, *, more_deprived="higher") -> np.ndarray:
    """Quintiles of deprivation within the partnership area (1 = most deprived fifth).

    Areas are ranked from most to least deprived; quintile
    ``q = 1 + floor(5 (r - 1) / n)`` for rank ``r`` of ``n`` areas.  Tied
    values share the more deprived rank.

    Parameters
    ----------
    values : array-like
        IMD scores (``more_deprived="higher"``) or national ranks/deciles
        (``more_deprived="lower"``).
    more_deprived : {"higher", "lower"}
        Which direction is more deprived.

    Returns
    -------
    ndarray of float
        1..5, NaN where the value is missing.

    Examples
    --------
    >>> local_quintiles([50, 40, 30, 20, 10]).tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0]
    """
    if more_deprived not in ("higher", "lower"):
        raise InputError("more_deprived must be 'higher' or 'lower'", fix="use one of those")
    s = pd.to_numeric(pd.Series(values), errors="coerce").reset_index(drop=True)
    r = s.rank(ascending=(more_deprived == "lower"), method="min")
    n = s.notna().sum()
    return (1 + np.floor(5 * (r - 1) / max(n, 1))).to_numpy(dtype=float)
