"""Local Moran's I (LISA): which units sit in clusters of like values, and which are outliers?

Statistic
---------
With row-standardised binary weights, standardised values ``z_i = (x_i - xbar) / sd`` and the
spatial lag ``lag_i = sum_j w_ij z_j`` (the mean of the neighbours)::

    I_i = (n - 1) z_i lag_i / sum_j z_j^2

This is the scaling of GeoDa and of ``esda.Moran_Local``'s ``Is`` (``m_2`` divides by ``n - 1``),
which our values equal. Anselin's (1995) ``m_2`` divides by ``n``; the two differ by the factor
``(n - 1) / n``.

Variance convention (the trap): esda computes ``Is`` with ``n - 1`` but its analytic expectation
and variance (``EI``, ``VI``, ``EIc``, ``VIc``) with ``n``; dividing one by the other mixes the two.
Our analytic ``z`` (total randomisation; Anselin 1995, Sokal et al. 1998 eqs. A3-A4) rescales
``I_i`` to the ``n`` convention first: ``z_i = (I_i n / (n - 1) - E[I_i]) / sqrt(Var[I_i])``.

Quadrant: ``HH`` (high value, high neighbours), ``LL``, ``HL`` (high among low: an outlier) and
``LH``, from the signs of ``z_i`` and ``lag_i`` (zero counts as low, as in esda). A label is given
only to units significant after Benjamini-Hochberg FDR control (or Bonferroni, or none).

Inference
---------
Conditional-permutation pseudo p-values (``x_i`` fixed; see :mod:`.conditional`), seeded,
two-sided by default. Islands have ``NaN`` statistics and no label (see :mod:`.weights`).

References
----------
Anselin, L. (1995). Local indicators of spatial association - LISA. *Geographical Analysis* 27(2),
93-115.
Sokal, R. R., Oden, N. L. and Thomson, B. A. (1998). Local spatial autocorrelation in a biological
model. *Geographical Analysis* 30(4), 331-354.
Benjamini, Y. and Hochberg, Y. (1995). *JRSS B* 57(1), 289-300.

Examples
--------
>>> from safercities.analytics.spatial.weights import from_neighbors
>>> w = from_neighbors({"a": ["b"], "b": ["a", "c"], "c": ["b", "d"], "d": ["c"]}, name="line")
>>> res = local_moran([1.0, 2.0, 8.0, 9.0], w, permutations=99, seed=1, correction="none", alpha=0.99)
>>> [round(i, 4) for i in res.I]
[0.72, 0.09, 0.09, 0.72]
>>> res.quadrant
('LL', 'LL', 'HH', 'HH')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .conditional import TailCounts, conditional_tail_counts, pseudo_p
from .multiple_testing import significant
from .weights import SpatialWeights

__all__ = ["LocalMoranResult", "local_moran"]


@dataclass(frozen=True)
class LocalMoranResult:
    """Local Moran per unit in ``codes`` order; ``label`` is the quadrant of significant units only."""

    weights: str
    codes: tuple[str, ...]
    I: tuple[float, ...]  # noqa: E741
    z: tuple[float, ...]
    p_value: tuple[float, ...]
    quadrant: tuple[str | None, ...]
    label: tuple[str | None, ...]
    permutations: int
    seed: int
    alpha: float
    correction: str
    alternative: str


def local_moran(
    values: Sequence[float] | np.ndarray,
    weights: SpatialWeights,
    *,
    permutations: int = 999,
    seed: int,
    alpha: float = 0.05,
    correction: str = "fdr_bh",
    alternative: str = "two-sided",
    tail_counts: TailCounts | None = None,
) -> LocalMoranResult:
    """Local Moran's I with quadrant labels and conditional-permutation pseudo p-values.

    Parameters are those of :func:`.getis_ord.local_gi_star` (``tail_counts`` included). A constant
    variable has no local association: all statistics are then ``NaN``.
    """
    y = np.array(values, dtype=float)
    n = weights.n
    if y.shape != (n,):
        raise ValueError(f"expected {n} values (one per unit of the weights), got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("values must be finite")
    if n < 4:
        raise ValueError("Local Moran needs at least 4 units")
    card = weights.cardinalities
    islands = card == 0
    sd = y.std()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (y - y.mean()) / sd
    wr = weights.sparse(transform="r")
    lag = wr @ z
    den = float(z @ z)
    with np.errstate(divide="ignore", invalid="ignore"):
        local_i = (n - 1) * z * lag / den

    # Analytic moments under total randomisation, in the n convention (Sokal et al. 1998, A3-A4).
    m2 = den / n
    m4 = float((z**4).sum()) / n
    b2 = m4 / m2**2 if m2 else np.nan
    wi = np.asarray(wr.sum(axis=1)).ravel()
    wi2 = np.asarray(wr.multiply(wr).sum(axis=1)).ravel()
    expected = -wi / (n - 1)
    var = wi2 * (n - b2) / (n - 1) + (wi**2 - wi2) * (2 * b2 - n) / ((n - 1) * (n - 2)) - expected**2
    with np.errstate(divide="ignore", invalid="ignore"):
        z_i = (local_i * n / (n - 1) - expected) / np.sqrt(var)

    if tail_counts is None:
        _, counts = conditional_tail_counts(y, weights, permutations=permutations, seed=seed)
    elif tail_counts.permutations != permutations or tail_counts.greater_equal.shape != (n,):
        raise ValueError("tail_counts must come from conditional_tail_counts with these values and permutations")
    else:
        counts = tail_counts
    # I_i rises with the neighbour sum when z_i > 0 and falls when z_i < 0.
    high = np.where(z >= 0, counts.greater_equal, counts.less_equal)
    low = np.where(z >= 0, counts.less_equal, counts.greater_equal)
    high = np.where(z == 0, permutations, high)  # I_i = 0 whatever the neighbours: never extreme
    low = np.where(z == 0, permutations, low)
    p = pseudo_p(high, low, permutations, alternative)

    invalid = islands | ~np.isfinite(local_i)
    local_i = np.where(invalid, np.nan, local_i)
    z_i = np.where(invalid | ~np.isfinite(z_i), np.nan, z_i)
    p = np.where(invalid, np.nan, p)
    quadrant = tuple(
        None if bad else ("H" if zi > 0 else "L") + ("H" if li > 0 else "L")
        for bad, zi, li in zip(invalid, z, lag, strict=True)
    )
    sig = significant(p, alpha, correction)
    label = tuple(q if s else None for q, s in zip(quadrant, sig, strict=True))
    return LocalMoranResult(
        weights=weights.name,
        codes=weights.codes,
        I=tuple(float(v) for v in local_i),
        z=tuple(float(v) for v in z_i),
        p_value=tuple(float(v) for v in p),
        quadrant=quadrant,
        label=label,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
        correction=correction,
        alternative=alternative,
    )
