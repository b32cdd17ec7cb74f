"""A reference two-sided pseudo p-value from esda's own simulations, with ties counted.

esda compares floating-point statistics exactly, so a simulation that equals the observed
value up to rounding is not counted as at least as extreme.  Here both are rounded to 9
significant digits of the largest simulated value first, then esda's own counting
(``esda.significance.calculate_significance``) gives each tail; the two-sided value is
twice the smaller tail.  Independent of :mod:`mapping.stats.permutation`'s tolerance rule.
"""

from __future__ import annotations

import numpy as np


def esda_two_sided_with_ties(observed, sims) -> np.ndarray:
    """min(1, 2 x min(greater, lesser)) from esda's counting on rounded values."""
    from esda.significance import calculate_significance

    scale = float(np.abs(sims).max()) or 1.0
    obs = np.round(np.asarray(observed, float) / scale, 9)
    sim = np.round(np.asarray(sims, float) / scale, 9)
    ge = calculate_significance(obs, sim, alternative="greater")
    le = calculate_significance(obs, sim, alternative="lesser")
    return np.minimum(1.0, 2.0 * np.minimum(ge, le))
