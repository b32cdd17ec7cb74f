"""What a finder sees and says: :class:`FindingContext`, :class:`Finding`, the registry.

:func:`finder` registers a finder for analysis kinds in :data:`FINDERS`; the
finders themselves and :func:`~mapping.export.findings.analysis_findings` are in
:mod:`mapping.export.findings`.  The helpers here (:func:`pct`, :func:`base_text`,
:func:`small_count_findings` ...) are shared by the finders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from mapping.export.area_codes import area_code_field

__all__ = ["Finding", "FindingContext", "FINDERS", "finder", "pct", "numbers", "whole",
           "code_column", "base_text", "small_count_findings"]


@dataclass
class Finding:
    """One sentence of the key findings; ``fragile`` marks a caution about small numbers."""

    text: str
    fragile: bool = False
    values: dict = field(default_factory=dict)  # the figures quoted (tests compare them)


@dataclass
class FindingContext:
    """What a finder reads: the analysis's published layers, the pool and the rules."""

    analysis: str
    kind: str
    layers: list  # published Layers of this analysis, main result first
    pool: list  # every layer of the run (boundary names and geographies)
    threshold: int = 5

    @property
    def main(self):
        """The main result layer (named after the analysis), else the first."""
        return next((lyr for lyr in self.layers if lyr.name == self.analysis), self.layers[0])

    @property
    def meta(self) -> dict:
        return self.main.meta or {}

    def table(self, suffix: str = ""):
        """The published frame of output ``<analysis><suffix>``, or None."""
        lyr = next((lyr for lyr in self.layers if lyr.name == self.analysis + suffix), None)
        return None if lyr is None or not hasattr(lyr.data, "columns") else lyr.data

    @property
    def subject(self) -> str:
        s = self.meta.get("subject") or "records"
        word = s.split(" ", 1)[0]
        return s if word.isupper() or word[1:2].isupper() else s[:1].lower() + s[1:]

    def areas_word(self) -> str:
        """The result's geography in words ("LSOAs"), from its areas input."""
        from mapping.render.styling import layer_title

        for inp in self.meta.get("inputs") or []:
            src = next((lyr for lyr in self.pool if lyr.name == inp.get("layer")), None)
            if inp.get("kind") == "areas" and src is not None:
                if layer_title(src) == src.name:  # geography not detected: say "areas"
                    return "areas"
                word = layer_title(src).split(" (")[0]
                return word if word[:2].isupper() else word[:1].lower() + word[1:]
        return "areas"

    def area_name(self, code) -> str:
        """An area's name from its boundary layer (else its code)."""
        for inp in self.meta.get("inputs") or []:
            src = next((lyr for lyr in self.pool if lyr.name == inp.get("layer")), None)
            if inp.get("kind") != "areas" or src is None:
                continue
            m = src.meta or {}
            cf, nf = m.get("code_field"), m.get("name_field")
            d = src.data
            if cf in getattr(d, "columns", []) and nf in d.columns:
                hit = d.loc[d[cf].astype(str) == str(code), nf]
                if len(hit):
                    return f"{hit.iloc[0]} ({code})"
        return str(code)


#: kind -> finder.
FINDERS: dict[str, Callable] = {}


def finder(*kinds: str):
    """Register a finder for the analysis kinds named."""

    def deco(fn):
        for k in kinds:
            FINDERS[k] = fn
        return fn

    return deco


# ------------------------------------------------------------------ helpers
def pct(x: float) -> str:
    """A share 0-1 as ``"44.7%"``."""
    return f"{100 * float(x):.1f}%"


def numbers(s) -> np.ndarray:
    """Values as floats (text and hidden cells as NaN)."""
    return pd.to_numeric(pd.Series(s), errors="coerce").to_numpy(float)


def whole(v) -> str:
    """A count as ``"1,234"``."""
    return f"{int(round(float(v))):,}"


def code_column(ctx, df):
    """The area-code column of the main result's table (None for another table)."""
    return area_code_field(ctx.main, ctx.pool) if df is ctx.main.data else None


def base_text(ctx) -> str:
    """``"based on 1,234 arrests, 2019"``: the base n and the period, as far as known."""
    bn = ctx.meta.get("base_n")
    period = ctx.meta.get("period")
    bits = []
    if isinstance(bn, (int, float)) and not isinstance(bn, bool):
        bits.append(f"based on {whole(bn)} {ctx.subject}")
    elif isinstance(bn, str):
        bits.append(f"based on {bn} {ctx.subject}")
    if period:
        bits.append(str(period))
    return ", ".join(bits)


def small_count_findings(ctx, df, col="count") -> list[Finding]:
    """Fragility of a table of counts per area: how many are below the threshold or hidden."""
    if col not in df.columns:
        return []
    v = numbers(df[col])
    n = len(v)
    hidden = int(np.isnan(v).sum())
    small = int(((v < ctx.threshold) | np.isnan(v)).sum())
    out = []
    if n and small / n > 0.5:
        out.append(Finding(f"Small numbers: {small} of {n} {ctx.areas_word()} "
                           f"({pct(small / n)}) have fewer than {ctx.threshold} {ctx.subject}, "
                           "so their rates and ranks are fragile; a coarser geography or "
                           "smoothed rates read more safely.", True,
                           {"small": small, "n": n}))
    if hidden:
        out.append(Finding(f"{hidden} of {n} counts are suppressed by disclosure control "
                           f"(shown as <{ctx.threshold} or \"suppressed\").", True,
                           {"hidden": hidden}))
    return out
