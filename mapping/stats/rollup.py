"""Roll counts and populations up from small areas to larger ones, and recompute the rates.

:func:`rollup_rates` takes a result per small area (LSOAs: ``count``,
``population``, and any summed quantity such as ``seizure_g_sum``), sums the
counts and the populations into larger areas (wards, districts) with
:func:`boundaries.aggregate.aggregate_areas` (an ONS lookup when given, else
best fit by largest overlap), and recomputes each large area's rate and its
confidence limits **on the sums** with :func:`mapping.stats.rates.area_rates`, the
same public function every count uses (never by averaging the small areas'
rates).

A large area is only given a population when every small area in it has
one: otherwise its population would be too small and its rate too high.  Such
areas get no rate, ``population_complete = False``, and a note naming them;
convert the population to the small areas' geography first (for LSOAs 2011 vs
2021, :func:`boundaries.lsoa_change.convert_lsoa_values`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from boundaries.detect import detect_name_field, level_title
from layers.common.errors import InputError
from mapping.stats.rates import RATE_PER, area_rates

__all__ = ["rollup_rates"]


def rollup_rates(small, large, *, small_code: str, large_code: str, count: str = "count",
                 population: str | None = "population", sums=(), lookup=None,
                 confidence: float = 0.95, small_number: int = 5, small_meta: dict | None = None,
                 level_name: str | None = None, large_name: str | None = None):
    """Sum counts (and populations, and quantities) of small areas into large areas.

    Parameters
    ----------
    small : GeoDataFrame
        Small-area result with ``small_code``, ``count`` and optionally
        ``population`` (e.g. a ``count`` analysis on LSOAs).
    large : GeoDataFrame
        Large areas (wards, districts) with ``large_code``, EPSG:27700.
    small_code, large_code : str
        The two code fields.
    count : str
        Count column to sum (default ``"count"``).
    population : str or None
        Population column to sum (None: counts only, no rates).
    sums : list of str
        Further columns to sum (e.g. ``["seizure_g_sum"]`` from a weighted
        count); each gets a ``<name minus _sum>_per_10k`` when there is a
        population.
    lookup : DataFrame or path, optional
        ONS lookup small -> large; default best fit by largest overlap.
    confidence, small_number : float, int
        As in :func:`mapping.stats.rates.area_rates`.
    small_meta : dict, optional
        The small result's ``meta`` (its units, base n and notes carry on).
    level_name : str, optional
        Human name of the large areas for the title ("Wards (2013)").
    large_name : str, optional
        Name field of the large areas, carried into the result (default:
        detected, e.g. ``WD13NM``).

    Returns
    -------
    GeoDataFrame
        One row per large area: ``large_code``, its name, ``count``,
        [``population``, ``population_complete``, ``rate_per_10k``,
        ``rate_lcl``, ``rate_ucl``], the summed quantities and their rates,
        ``small_number``, geometry; ``attrs["meta"]`` and
        ``attrs["rollup"]`` (method, lookup, unassigned small areas, share of
        unmatched area, large areas lacking a population).

    Raises
    ------
    InputError
        If a column is missing.
    """
    from boundaries.aggregate import aggregate_areas  # geopandas: loaded on first use

    sums = _check_columns(small, large, small_code=small_code, large_code=large_code,
                          count=count, population=population, sums=sums)
    work = small[[small_code, count, *sums, "geometry"]].copy()
    values = [count, *sums]
    if population is not None:
        pop = pd.to_numeric(small[population], errors="coerce")
        work["_pop"] = pop.where(pop > 0)
        work["_pop_missing"] = work["_pop"].isna().astype(int)
        work["_pop"] = work["_pop"].fillna(0.0)
        values += ["_pop", "_pop_missing"]
    agg = aggregate_areas(work, large, values=values, small_code=small_code,
                          large_code=large_code, lookup=lookup)
    big = agg.data
    counts = big[count].to_numpy(float)
    pop_series = None
    incomplete = np.zeros(len(big), bool)
    if population is not None:
        incomplete = (big["_pop_missing"].to_numpy() > 0) | (big["n_small"].to_numpy() == 0)
        pop_vals = np.where(incomplete, np.nan, big["_pop"].to_numpy(float))
        pop_series = pd.Series(pop_vals, index=big[large_code].astype(str).str.strip())
    rated = area_rates(big, None, large_code, population=pop_series, counts=counts.round()
                       .astype(np.int64), confidence=confidence, small_number=small_number)
    out = _large_table(rated, big, large, large_code, large_name, population, incomplete, sums)
    unassigned_events = int(pd.to_numeric(
        small.loc[small[small_code].astype(str).str.strip().isin(agg.unassigned), count],
        errors="coerce").fillna(0).sum())
    lacking = big.loc[incomplete & (big["n_small"].to_numpy() > 0), large_code].astype(str)
    notes = _rollup_notes(small_meta, agg, unassigned_events, lacking, level_name)
    out.attrs["meta"] = _rollup_meta(rated, out, small, small_code, small_meta, agg, notes,
                                     count=count, population=population, sums=sums,
                                     counts=counts, small_number=small_number,
                                     level_name=level_name)
    out.attrs["rollup"] = {"method": agg.method, "lookup": agg.lookup,
                           "n_small": dict(zip(big[large_code].astype(str),
                                               big["n_small"].astype(int))),
                           "unassigned": agg.unassigned, "unassigned_events": unassigned_events,
                           "unmatched_area_share": agg.unmatched_area_share,
                           "lacking_population": lacking.tolist()}
    return out


def _check_columns(small, large, *, small_code, large_code, count, population, sums) -> list:
    """Check the columns exist; return the summed quantities other than the count.

    Raises
    ------
    InputError
        If a column is missing.
    """
    for col, where in ((small_code, "small areas"), (count, "small areas"),
                       (large_code, "large areas")):
        frame = small if where == "small areas" else large
        if col not in frame.columns:
            raise InputError(f"the {where} have no column '{col}'", column=col,
                             fix=f"choose one of: {', '.join(map(str, frame.columns[:15]))}")
    if population is not None and population not in small.columns:
        raise InputError(f"the small areas have no population column '{population}'",
                         column=population, fix="count with a population first, or give none")
    sums = [c for c in sums if c != count]
    missing = [c for c in sums if c not in small.columns]
    if missing:
        raise InputError(f"the small areas have no column(s) {', '.join(missing)}",
                         fix="check the names of the summed quantities")
    return sums


def _large_table(rated, big, large, large_code, large_name, population, incomplete, sums):
    """The large areas' rates with their name, whether their population is complete, the
    summed quantities and their rates, and the geometry."""
    import geopandas as gpd

    out = rated.drop(columns="geometry")
    large_name = large_name or detect_name_field(large, large_code)
    if large_name and large_name in big.columns and large_name != large_code:
        out.insert(1, large_name, big[large_name].to_numpy())
    # (the number of small areas per large area stays in attrs["rollup"]: as a table column
    # disclosure control would take it for a count of people and suppress around it)
    if population is not None:
        out.insert(out.columns.get_loc("population") + 1, "population_complete", ~incomplete)
    for c in sums:
        out[c] = big[c].to_numpy(float)
        if population is not None:
            stem = c[:-4] if c.endswith("_sum") else c
            out[f"{stem}_per_10k"] = out[c] / out["population"] * RATE_PER
    return gpd.GeoDataFrame(out, geometry=big.geometry.values, crs=big.crs)


def _rollup_notes(small_meta, agg, unassigned_events, lacking, level_name) -> list:
    """The small result's notes carried on, the aggregation's, and what was left out."""
    notes = list((small_meta or {}).get("notes") or [])
    notes = [n for n in notes if "flagged small_number" not in str(n)]  # recounted below
    notes += agg.messages[1:]
    if agg.unassigned:
        notes.append(f"{len(agg.unassigned)} small areas ({unassigned_events} events) lie in "
                     "no large area and are not included")
    if len(lacking):
        notes.append(f"{len(lacking)} {level_name or 'areas'} lack a population for at least "
                     f"one of their small areas, so have no rate: "
                     + ", ".join(lacking.head(8)) + (" …" if len(lacking) > 8 else ""))
    return notes


def _rollup_meta(rated, out, small, small_code, small_meta, agg, notes, *, count, population,
                 sums, counts, small_number, level_name) -> dict:
    """The rates' metadata restated for the roll-up (method, base n, notes, columns), with
    the small result's period, filter and subject carried on."""
    method = ("by the lookup table" if agg.method == "lookup"
              else "by best fit (each small area to the large area it overlaps most)")
    meta = dict(rated.attrs["meta"])
    base_meta = small_meta or {}
    small_level = level_title(small_code, small[small_code]) or "small areas"
    meta.update({
        "method": f"counts{' and populations' if population else ''} of "
                  f"{small_level} summed into "
                  f"{level_name or 'larger areas'} {method}"
                  + ("; rates per 10,000 and their limits recomputed on the sums ("
                     + rated.attrs["meta"]["method"].split("; ", 1)[-1] + ")"
                     if population else ""),
        "base_n": int(round(counts.sum())),
        "notes": notes + [f"{int(out['small_number'].sum())} areas with fewer than "
                          f"{small_number} events (flagged small_number)"],
        "count_columns": [count],
    })
    if sums:
        rate_cols = [c for c in ("rate_per_10k", "rate_lcl", "rate_ucl") if c in out.columns]
        meta["rate_columns"] = rate_cols + list(sums) + [
            c for c in out.columns if any(c == (s[:-4] if s.endswith("_sum") else s) + "_per_10k"
                                          for s in sums)]
    for key in ("period", "summed", "filter", "subject"):
        if key in base_meta:
            meta[key] = base_meta[key]
    return meta
