"""Composite index of areas from several indicators (as ArcGIS's Calculate Composite Index).

Three steps, as ArcGIS describes them:

1. **Scale** each indicator to a common scale (``scaling``):

   * ``minmax`` (default): ``(x − min) / (max − min)``, 0 to 1;
   * ``percentile``: the share of areas with a value less than or equal
     (``rank(method="max") / n``; ties share the higher rank), 0 to 1;
   * ``zscore``: ``(x − mean) / sd`` (population sd, ddof = 0);
   * ``raw``: unchanged (indicators already on one scale, e.g. percentages).

   **Reversed** indicators (``reverse``: a high value is *good*, e.g.
   access to treatment) are turned round after scaling: ``min + max − s``
   for minmax, percentile and raw (the range is kept: 1 − s on 0-1 scales),
   ``−s`` for z-scores.

2. **Combine** the scaled indicators with their ``weights`` (default 1 each):
   ``mean`` (default; weighted mean Σwᵢsᵢ / Σwᵢ), ``sum`` (Σwᵢsᵢ),
   ``geomean`` (weighted geometric mean, exp(Σwᵢ ln sᵢ / Σwᵢ); needs
   scaled values > 0, so not with z-scores) or ``product`` (Πsᵢ^wᵢ).

3. Optionally **rescale** the index to ``output_range`` (e.g. (0, 100)) by
   min-max, **reverse** it, and give its **rank** (1 = highest) and
   **quintile** (5 = highest fifth).

Areas with a missing indicator get no index (ArcGIS ignores such records);
their number is in the meta.  An indicator that is constant cannot be
min-max scaled and is refused with its name.

Reference: Esri, *How Calculate Composite Index works* (ArcGIS Pro 3.x);
OECD/JRC (2008) *Handbook on Constructing Composite Indicators*.

Public functions: :func:`composite_index`; :data:`SCALINGS`, :data:`COMBINATIONS`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.common.errors import AnalysisError

__all__ = ["composite_index", "SCALINGS", "COMBINATIONS"]

SCALINGS = ("minmax", "percentile", "zscore", "raw")
COMBINATIONS = ("mean", "sum", "geomean", "product")


def _scale(x: pd.Series, how: str, name: str) -> pd.Series:
    if how == "minmax":
        lo, hi = x.min(), x.max()
        if not hi > lo:
            raise AnalysisError(f"indicator '{name}' has the same value in every area, so it "
                                "cannot be scaled", column=name, fix="leave it out")
        return (x - lo) / (hi - lo)
    if how == "percentile":
        return x.rank(method="max", pct=True)
    if how == "zscore":
        sd = x.std(ddof=0)
        if not sd > 0:
            raise AnalysisError(f"indicator '{name}' has the same value in every area",
                                column=name, fix="leave it out")
        return (x - x.mean()) / sd
    return x.astype(float)


def composite_index(frame, indicators, *, scaling: str = "minmax", weights=None, reverse=(),
                    combine: str = "mean", output_range=None, reverse_index: bool = False,
                    id_column: str | None = None, name: str = "index"):
    """Combine indicator columns into one index per row (area).

    Parameters
    ----------
    frame : DataFrame or GeoDataFrame
        One row per area with the indicator columns.
    indicators : list of str
        The columns to combine (at least two).
    scaling : {"minmax", "percentile", "zscore", "raw"}
        How each indicator is put on a common scale.
    weights : dict or list of float, optional
        Relative importance of each indicator (default 1 each).
    reverse : list of str
        Indicators where a high value is good (turned round after scaling).
    combine : {"mean", "sum", "geomean", "product"}
        How the scaled indicators are combined.
    output_range : (float, float), optional
        Rescale the index to this range (min-max), e.g. (0, 100).
    reverse_index : bool
        Turn the final index round (high becomes low).
    id_column : str, optional
        Kept as the first column.
    name : str
        Name of the index column.

    Returns
    -------
    DataFrame or GeoDataFrame
        ``id_column``, each indicator, ``<indicator>_scaled``, ``name``,
        ``<name>_rank`` (1 = highest), ``<name>_quintile`` (5 = highest) and the
        geometry when there is one; ``attrs['meta']``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [0, 5, 10], "b": [30, 20, 10]})
    >>> composite_index(df, ["a", "b"], reverse=["b"])["index"].tolist()
    [0.0, 0.5, 1.0]
    """
    indicators = [indicators] if isinstance(indicators, str) else list(indicators)
    _check_options(frame, indicators, scaling, combine, reverse)
    w = _weights(weights, indicators)
    vals = pd.DataFrame({c: pd.to_numeric(frame[c], errors="coerce") for c in indicators},
                        index=frame.index)
    complete = vals.notna().all(axis=1)
    if complete.sum() < 2:
        raise AnalysisError("fewer than two areas have every indicator",
                            fix="check the indicator columns for blanks")
    scaled = pd.DataFrame(index=frame.index)
    for c in indicators:
        s = pd.Series(np.nan, index=frame.index)
        s[complete] = _scale(vals.loc[complete, c], scaling, c)
        if c in reverse:
            s = -s if scaling == "zscore" else s.min() + s.max() - s
        scaled[c] = s
    idx = _combined(scaled[indicators].to_numpy(float), np.array([w[c] for c in indicators]),
                    combine, complete)
    idx = pd.Series(idx, index=frame.index).where(complete)
    if output_range is not None:
        lo, hi = (float(v) for v in output_range)
        span = idx.max() - idx.min()
        idx = lo + (idx - idx.min()) / span * (hi - lo) if span > 0 else idx * 0 + lo
    if reverse_index:
        idx = idx.min() + idx.max() - idx
    res = _index_table(frame, indicators, vals, scaled, idx, complete, id_column, name)
    n_missing = int((~complete).sum())
    res.attrs["meta"] = {
        "title": f"Composite index of {len(indicators)} indicators",
        "units": "index (no units)" if output_range is None else
                 f"index scaled {output_range[0]:g}–{output_range[1]:g}",
        "value_column": name,
        "method": (f"{scaling} scaling, {combine} with weights "
                   + ", ".join(f"{c} {w[c]:g}" for c in indicators)
                   + (f"; reversed: {', '.join(reverse)}" if reverse else "")
                   + " (as ArcGIS's Calculate Composite Index)"),
        "params": {"indicators": indicators, "scaling": scaling, "weights": w,
                   "reverse": list(reverse), "combine": combine,
                   "output_range": list(output_range) if output_range else None,
                   "reverse_index": reverse_index},
        "base_n": int(complete.sum()),
        "references": ["Esri: How Calculate Composite Index works (ArcGIS Pro)",
                       "OECD/JRC (2008) Handbook on Constructing Composite Indicators"],
        "count_columns": [],
        "notes": [f"{n_missing} areas lack an indicator and have no index"] if n_missing else [],
    }
    return res


def _check_options(frame, indicators, scaling, combine, reverse) -> None:
    """Refuse too few or missing indicators, unknown or incompatible scaling and
    combination, and reversed indicators that are not combined."""
    if len(indicators) < 2:
        raise AnalysisError("a composite index needs at least two indicators",
                            fix="list two or more columns")
    if scaling not in SCALINGS:
        raise AnalysisError(f"unknown scaling '{scaling}'",
                            fix=f"use one of: {', '.join(SCALINGS)}")
    if combine not in COMBINATIONS:
        raise AnalysisError(f"unknown combination '{combine}'",
                            fix=f"use one of: {', '.join(COMBINATIONS)}")
    if scaling == "zscore" and combine in ("geomean", "product"):
        raise AnalysisError("z-scores are negative for half the areas, so they cannot be "
                            f"combined by {combine}", fix="combine by mean or sum, or scale "
                                                          "by minmax or percentile")
    missing = [c for c in indicators if c not in frame.columns]
    if missing:
        raise AnalysisError(f"no column(s) {missing}", column=missing[0],
                            fix=f"choose from: {', '.join(map(str, frame.columns[:25]))}")
    bad_rev = [c for c in reverse if c not in indicators]
    if bad_rev:
        raise AnalysisError(f"reversed indicator(s) {bad_rev} are not in the list",
                            fix="reverse only indicators that are combined")


def _weights(weights, indicators) -> dict:
    """Indicator -> weight (1 each by default), checked non-negative and not all zero."""
    if weights is None:
        w = {c: 1.0 for c in indicators}
    elif isinstance(weights, dict):
        w = {c: float(weights.get(c, 1.0)) for c in indicators}
    else:
        if len(weights) != len(indicators):
            raise AnalysisError("give one weight per indicator")
        w = dict(zip(indicators, (float(v) for v in weights)))
    if any(v < 0 for v in w.values()) or not sum(w.values()) > 0:
        raise AnalysisError("weights must be non-negative and not all zero")
    return w


def _combined(m, wv, combine, complete) -> np.ndarray:
    """The scaled indicators (areas x indicators) combined with weights ``wv``."""
    if combine in ("geomean", "product"):
        if (m[complete.to_numpy()] <= 0).any():
            raise AnalysisError(f"{combine} needs scaled values above 0, and some are 0 (the "
                                "lowest area of a min-max or raw indicator)",
                                fix="combine by mean or sum")
        logs = np.log(m) @ wv
        return np.exp(logs / wv.sum()) if combine == "geomean" else np.exp(logs)
    idx = m @ wv
    if combine == "mean":
        idx = idx / wv.sum()
    return idx


def _index_table(frame, indicators, vals, scaled, idx, complete, id_column, name):
    """The result table: id, each indicator and its scaled value, the index, its rank and
    quintile, and the geometry when the frame has one."""
    out = {}
    if id_column:
        out[id_column] = frame[id_column].to_numpy()
    for c in indicators:
        out[c] = vals[c].to_numpy()
        out[f"{c}_scaled"] = scaled[c].to_numpy()
    out[name] = idx.to_numpy()
    out[f"{name}_rank"] = idx.rank(ascending=False, method="min").to_numpy()
    q = pd.Series(np.nan, index=frame.index)
    if complete.sum() >= 5:
        q[complete] = pd.qcut(idx[complete].rank(method="first"), 5, labels=False) + 1
    out[f"{name}_quintile"] = q.to_numpy()
    if hasattr(frame, "geometry"):
        import geopandas as gpd

        return gpd.GeoDataFrame(out, geometry=frame.geometry.values, crs=frame.crs,
                                index=frame.index)
    return pd.DataFrame(out, index=frame.index)
