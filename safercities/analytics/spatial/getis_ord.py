"""Local Getis-Ord Gi*: where do high (or low) values cluster, the unit itself included?

Statistic
---------
With binary weights ``w_ij = 1`` for neighbours *and* ``w_ii = 1`` (the "star": the unit counts in
its own neighbourhood)::

    G*_i = sum_j w_ij x_j / sum_j x_j

and the standardised form of Ord & Getis (1995, eq. 14.3), which we report as ``z``::

    z_i = (sum_j w_ij x_j - xbar W_i) / (s * sqrt((n S_1i - W_i^2) / (n - 1)))

with ``W_i = sum_j w_ij = k_i + 1``, ``S_1i = sum_j w_ij^2`` (= ``W_i`` for binary weights),
``xbar`` the mean and ``s^2 = sum_j x_j^2 / n - xbar^2``.

Variance convention: **n** (``s^2`` divides by ``n``). This is Ord & Getis (1995), ArcGIS Pro's
Hot Spot Analysis and ``esda.G_Local(star=True, transform="B")``'s ``Zs`` — which our values equal.
The other published convention divides ``s^2`` by ``n - 1`` and gives z-values smaller by a factor
``sqrt((n - 1) / n)`` (e.g. 1.447943 instead of 1.45078 on the same cell).

Why binary weights: esda's analytic variance ``W_i (n - W_i)`` assumes ``S_1i = W_i``, true only
for binary weights; with esda's default row-standardisation (``transform="R"``) its ``Zs`` is not
the Ord-Getis z. We therefore always pass ``transform="B"`` when comparing.

Inference
---------
``p_value`` is a conditional-permutation pseudo p-value (``x_i`` fixed, the ``k_i`` neighbour
values drawn from the other ``n - 1``; see :mod:`.conditional`), two-sided by default. ``hotspot``
is ``"hot"`` for significant units with ``z > 0`` and ``"cold"`` for ``z < 0``, after
Benjamini-Hochberg FDR control at ``alpha`` (or Bonferroni, or none). The analytic z is a
normal approximation that is poor for skewed counts; significance is taken from the permutations.

Islands (no neighbours) get ``NaN`` statistics and no label (see :mod:`.weights`).

References
----------
Getis, A. and Ord, J. K. (1992). The analysis of spatial association by use of distance statistics.
*Geographical Analysis* 24(3), 189-206.
Ord, J. K. and Getis, A. (1995). Local spatial autocorrelation statistics: distributional issues and
an application. *Geographical Analysis* 27(4), 286-306.
Benjamini, Y. and Hochberg, Y. (1995). *JRSS B* 57(1), 289-300.

Examples
--------
>>> from safercities.analytics.spatial.weights import from_neighbors
>>> w = from_neighbors({"a": ["b"], "b": ["a", "c"], "c": ["b", "d"], "d": ["c"]}, name="line")
>>> res = local_gi_star([1.0, 2.0, 8.0, 9.0], w, permutations=99, seed=1)
>>> [round(z, 4) for z in res.z]
[-1.7146, -1.1314, 1.1314, 1.7146]
>>> res.permutations, res.weights
(99, 'line')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .conditional import TailCounts, conditional_tail_counts, pseudo_p
from .multiple_testing import significant
from .weights import SpatialWeights

__all__ = ["GiStarResult", "gi_star_z", "local_gi_star"]


@dataclass(frozen=True)
class GiStarResult:
    """Gi* per unit, in the order of ``codes``; islands hold ``NaN`` and ``None``."""

    weights: str
    codes: tuple[str, ...]
    g: tuple[float, ...]
    z: tuple[float, ...]
    p_value: tuple[float, ...]
    hotspot: tuple[str | None, ...]
    permutations: int
    seed: int
    alpha: float
    correction: str
    alternative: str
    variance: str = "n"


def _values(values: Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    y = np.array(values, dtype=float)  # a copy: the caller's array is never touched
    if y.shape != (n,):
        raise ValueError(f"expected {n} values (one per unit of the weights), got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("values must be finite (drop missing units with SpatialWeights.subset first)")
    return y


def gi_star_z(values: Sequence[float] | np.ndarray, weights: SpatialWeights) -> tuple[np.ndarray, np.ndarray]:
    """Analytic ``(G*_i, z_i)`` with binary self-inclusive weights, n-variance convention.

    A constant variable has no clustering to find: every z is then ``NaN``.
    """
    y = _values(values, weights.n)
    n = weights.n
    card = weights.cardinalities
    rows = np.repeat(np.arange(n), card)
    lag = np.bincount(rows, weights=y[weights.indices], minlength=n) + y  # star: self included
    total = y.sum()
    g = lag / total if total != 0 else np.full(n, np.nan)
    wi = card + 1.0
    s1 = wi  # binary weights: sum of squares = sum
    xbar = y.mean()
    s = np.sqrt(max((y**2).mean() - xbar**2, 0.0))
    den = s * np.sqrt((n * s1 - wi**2) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (lag - xbar * wi) / den
    z[~np.isfinite(z)] = np.nan
    z[card == 0] = np.nan
    g = np.where(card == 0, np.nan, g)
    return g, z


def local_gi_star(
    values: Sequence[float] | np.ndarray,
    weights: SpatialWeights,
    *,
    permutations: int = 999,
    seed: int,
    alpha: float = 0.05,
    correction: str = "fdr_bh",
    alternative: str = "two-sided",
    tail_counts: TailCounts | None = None,
) -> GiStarResult:
    """Gi* with analytic z, conditional-permutation pseudo p-values and hot/cold labels.

    Parameters
    ----------
    values : array-like of float
        One value per unit, in ``weights.codes`` order (not modified).
    weights : SpatialWeights
        Binary neighbours; the self-weight of 1 is added here.
    permutations : int
        Conditional permutations (999 gives p-values down to 0.001 one-tailed).
    seed : int
        Seed of the permutations; the same seed gives the same p-values.
    alpha : float
        Level of the test (the FDR ``q`` under ``correction="fdr_bh"``).
    correction : {"fdr_bh", "bonferroni", "none"}
        Multiple-testing control applied before labelling.
    alternative : {"two-sided", "directed"}
        Pseudo p-value convention (see :func:`.conditional.pseudo_p`).
    tail_counts : TailCounts, optional
        ``conditional_tail_counts(values, weights, permutations=…, seed=seed)`` already computed (the
        same draws serve Local Moran: :func:`.hotspots.hotspot_analysis` computes them once).
    """
    n = weights.n
    if n < 3:
        raise ValueError("Gi* needs at least 3 units")
    y = _values(values, n)
    g, z = gi_star_z(y, weights)
    islands = weights.island_mask
    if tail_counts is None:
        _, counts = conditional_tail_counts(y, weights, permutations=permutations, seed=seed)
    elif tail_counts.permutations != permutations or tail_counts.greater_equal.shape != (n,):
        raise ValueError("tail_counts must come from conditional_tail_counts with these values and permutations")
    else:
        counts = tail_counts
    p = pseudo_p(counts.greater_equal, counts.less_equal, permutations, alternative)
    p = np.where(islands | np.isnan(z), np.nan, p)
    sig = significant(p, alpha, correction)
    labels = tuple(
        ("hot" if zi > 0 else "cold" if zi < 0 else None) if s else None for s, zi in zip(sig, z, strict=True)
    )
    return GiStarResult(
        weights=weights.name,
        codes=weights.codes,
        g=tuple(float(v) for v in g),
        z=tuple(float(v) for v in z),
        p_value=tuple(float(v) for v in p),
        hotspot=labels,
        permutations=permutations,
        seed=seed,
        alpha=alpha,
        correction=correction,
        alternative=alternative,
    )
