"""Conditional permutation inference for local statistics: one engine for Gi*, LISA and the
hotspot classes (as esda keeps ``crand.py``).

Conditional randomisation
-------------------------
For site *i* with *k* neighbours, its own value is held and the *k* neighbour
values are redrawn without replacement from the other n − 1 sites, *P* times
(Anselin 1995).  The draws are shared by all sites and are identical to
esda's ``crand`` for the same seed (:func:`permuted_ids`), so the simulated
statistics equal esda's.

Pseudo p-value: two-sided and tie-aware
---------------------------------------
With observed statistic *T* and simulations *S₁ … S_P*, a simulation within
τ of *T* is a **tie**: the same statistic computed in a different order,
which differs from *T* only by rounding.  A tie counts as at least as
extreme in both tails.  With

    n_ge = #{S_j ≥ T − τ},   n_le = #{S_j ≤ T + τ},

the **two-sided** pseudo p-value is

    p = min(1, 2 · (min(n_ge, n_le) + 1) / (P + 1)),

the doubled smaller tail (the usual two-sided Monte Carlo p-value; Davison &
Hinkley 1997, §4.2), on the same footing as the two-sided normal p-value of
analytic Gi*, so the 90/95/99% bins mean the same for both.  Its smallest
value is 2 / (P + 1): the 99% bins need P ≥ 200 (use 999).
τ = :data:`TIE_RTOL` × max(|T|, max_j |S_j|) for each site: far above
rounding (about 1e-16 of the terms) and far below any real difference.
Without ties the value is exactly twice esda's "directed" (folded) ``p_sim``.
esda counts only exact equality as a tie (``>=``), so an area with no events
among neighbours with none looks more extreme than every simulation that
drew the same values in a different order.

Flat neighbourhoods
-------------------
A site whose own value and all its neighbours' values are equal (within
τ of the largest value; typically an area with no events among neighbours
with none) shows no local contrast, so it is **never significant**: the
statistics set its p-value used for classes to 1 and report it in a
``*_flat`` column (:func:`flat_neighbourhoods`).

References: Anselin L (1995) Local indicators of spatial association — LISA.
Geogr Anal 27:93-115.  Davison AC, Hinkley DV (1997) Bootstrap Methods and
their Application, Cambridge UP.

Public functions: :func:`permuted_ids`, :func:`conditional_sims`, :func:`conditional_test`,
:func:`pseudo_p`,
:func:`flat_neighbourhoods`, :func:`min_permutations`, :func:`flat_note`,
:func:`permutation_notes`; constant :data:`TIE_RTOL`.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = ["permuted_ids", "conditional_sims", "conditional_test", "pseudo_p", "flat_neighbourhoods",
           "min_permutations", "flat_note", "permutation_notes", "TIE_RTOL"]

#: Relative tolerance under which a simulated statistic ties with the observed one.
TIE_RTOL = 1e-7


def permuted_ids(n: int, max_card: int, permutations: int, seed) -> np.ndarray:
    """Neighbour draws for conditional randomisation, identical to esda's for the same seed.

    Parameters
    ----------
    n : int
        Number of sites.
    max_card : int
        Largest number of neighbours of a site.
    permutations : int
        Number of draws.
    seed : int or None
        Seed of numpy's legacy ``RandomState`` (as esda's ``vec_permutations``).

    Returns
    -------
    ndarray, shape (permutations, max_card)
        Each row is ``max_card`` distinct positions among the ``n - 1`` other sites.
    """
    rng = np.random.RandomState(seed)
    out = np.empty((permutations, max_card), dtype=np.int64)
    for k in range(permutations):
        out[k] = rng.choice(n - 1, size=max_card, replace=False)
    return out


def _site_draws(w_csr, permutations: int, seed):
    w_csr = sparse.csr_matrix(w_csr)
    card = np.diff(w_csr.indptr)
    max_card = max(int(card.max()), 1)
    return w_csr, card, permuted_ids(w_csr.shape[0], max_card, permutations, seed)


def _site_sims(i, z, w_csr, card, ids, stat):
    k = int(card[i])
    if k == 0:
        wts = np.zeros(1)
        k = 1
    else:
        wts = w_csr.data[w_csr.indptr[i]:w_csr.indptr[i + 1]].astype(float)
    sel = ids[:, :k]
    sel = sel + (sel >= i)  # positions among the others -> positions in z
    return stat(z[i], z[sel], wts)


def conditional_sims(z, w_csr, stat, permutations: int, seed) -> np.ndarray:
    """Simulated local statistics under conditional randomisation (esda's scheme).

    Parameters
    ----------
    z : ndarray, shape (n,)
        Values the statistic is computed from.
    w_csr : scipy.sparse matrix, shape (n, n)
        Weights without self-weights.
    stat : callable
        ``stat(zi, zrand, weights_i)`` returns the ``permutations`` statistics of
        site i, where ``zrand`` is (permutations, k) and ``weights_i`` the k weights.
    permutations : int
        Number of simulations.
    seed : int or None
        Random seed (:func:`permuted_ids`).

    Returns
    -------
    ndarray, shape (n, permutations)
    """
    w_csr, card, ids = _site_draws(w_csr, permutations, seed)
    return np.stack([_site_sims(i, z, w_csr, card, ids, stat) for i in range(len(z))])


def conditional_test(z, w_csr, stat, observed, permutations: int, seed, *,
                     keep: bool = False) -> dict:
    """Pseudo p-values (:func:`pseudo_p`) and moments of the simulations, site by site.

    Same draws and statistics as :func:`conditional_sims`, but memory stays at one
    site's simulations unless ``keep`` (n × permutations floats).

    Returns
    -------
    dict
        ``p_sim``, ``mean`` and ``std`` of each site's simulations, and ``sims``
        (n, permutations) with ``keep``.
    """
    w_csr, card, ids = _site_draws(w_csr, permutations, seed)
    obs = np.asarray(observed, float)
    n = len(z)
    out = {"p_sim": np.empty(n), "mean": np.empty(n), "std": np.empty(n)}
    kept = np.empty((n, permutations)) if keep else None
    for i in range(n):
        row = _site_sims(i, z, w_csr, card, ids, stat)
        out["p_sim"][i] = pseudo_p(obs[i:i + 1], row[None, :])[0]
        out["mean"][i] = row.mean()
        out["std"][i] = row.std()
        if keep:
            kept[i] = row
    if keep:
        out["sims"] = kept
    return out


def pseudo_p(observed, sims, *, rtol: float = TIE_RTOL) -> np.ndarray:
    """Two-sided, tie-aware pseudo p-value of each site (see the module notes).

    Parameters
    ----------
    observed : array-like, shape (n,)
        Observed statistics.
    sims : ndarray, shape (n, P)
        Simulated statistics.
    rtol : float
        Relative tolerance of a tie (default :data:`TIE_RTOL`).

    Returns
    -------
    ndarray, shape (n,)
        ``min(1, 2 (min(n_ge, n_le) + 1) / (P + 1))``.

    Examples
    --------
    >>> sims = np.array([[0.1 + 0.2, 0.5, 0.7, 0.9]])   # 0.30000000000000004
    >>> float(pseudo_p([0.3], sims)[0])                 # a tie: n_le = 1, n_ge = 4
    0.8
    """
    obs = np.asarray(observed, float)
    sims = np.asarray(sims, float)
    p = sims.shape[1]
    tau = rtol * np.maximum(np.abs(obs), np.abs(sims).max(axis=1, initial=0.0))
    n_ge = (sims >= (obs - tau)[:, None]).sum(axis=1)
    n_le = (sims <= (obs + tau)[:, None]).sum(axis=1)
    return np.minimum(1.0, 2.0 * (np.minimum(n_ge, n_le) + 1.0) / (p + 1.0))


def flat_neighbourhoods(values, w_csr, *, rtol: float = TIE_RTOL) -> np.ndarray:
    """Sites whose own value and every neighbour's value are equal.

    Parameters
    ----------
    values : array-like, shape (n,)
        Raw values (counts or rates).
    w_csr : scipy.sparse matrix, shape (n, n)
        Weights; only the pattern (which pairs are neighbours) is used.
    rtol : float
        Values within ``rtol × max |value|`` of each other are equal.

    Returns
    -------
    ndarray of bool, shape (n,)
        True where the neighbourhood is flat; a site without neighbours is not flat.

    Examples
    --------
    >>> w = sparse.csr_matrix(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]]))
    >>> flat_neighbourhoods([0, 0, 3], w).tolist()
    [True, False, False]
    """
    y = np.asarray(values, float)
    m = sparse.csr_matrix(w_csr).copy()
    m.setdiag(0)
    m.eliminate_zeros()
    m = m.tocoo()
    tol = rtol * max(float(np.abs(y).max(initial=0.0)), np.finfo(float).tiny)
    differs = np.abs(y[m.row] - y[m.col]) > tol
    n = len(y)
    n_diff = np.bincount(m.row[differs], minlength=n)
    card = np.bincount(m.row, minlength=n)
    return (card > 0) & (n_diff == 0)


def min_permutations(alpha: float) -> int:
    """Fewest permutations whose smallest two-sided pseudo p-value, 2 / (P + 1), is below alpha.

    Examples
    --------
    >>> min_permutations(0.01), min_permutations(0.05)
    (200, 40)
    """
    return int(np.floor(2.0 / alpha))


def flat_note(flat, what: str = "areas or cells") -> list[str]:
    """The note a result carries about its flat neighbourhoods (none when there are none)."""
    n = int(np.sum(flat))
    return [f"{n} {what} whose value and neighbours' values are all equal (e.g. no events "
            "in or around them) are not significant by rule (flat neighbourhoods)"] if n else []


def permutation_notes(permutations: int) -> list[str]:
    """A note when too few permutations leave the 99% classes out of reach."""
    need = min_permutations(0.01)
    if permutations and permutations < need:
        return [f"with {permutations} permutations the smallest pseudo p-value is "
                f"{2 / (permutations + 1):.3f}, so the 99% classes cannot be reached "
                f"(use at least {need}, e.g. 999)"]
    return []
