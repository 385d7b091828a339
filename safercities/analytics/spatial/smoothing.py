"""Empirical-Bayes rate smoothing: steady rates for areas with small populations.

A ward of 300 people with two assaults has a rate of 667 per 100,000; with none, 0. Raw rates of
small areas swing with chance and dominate any map or hot-spot analysis (variance instability).
Empirical-Bayes smoothing shrinks each raw rate ``r_i = e_i / b_i`` towards a reference rate, the
more so the smaller the population at risk ``b_i``.

Global EB (Marshall 1991, method of moments)::

    theta = sum e / sum b
    s^2   = sum b_i (r_i - theta)^2 / sum b
    A     = max(s^2 - theta / bbar, 0)          (bbar = mean population)
    C_i   = A / (A + theta / b_i)
    EB_i  = theta + C_i (r_i - theta)

Spatial EB (Anselin, Lozano & Koschinsky 2006; GeoDa): the same with ``theta_i``, ``s^2_i``,
``bbar_i`` computed over unit ``i`` *and its neighbours* (binary weights), so each rate shrinks
towards its local reference rate. An island shrinks towards its own rate (no change).

Differences from ``esda.smoothing``: ``Empirical_Bayes`` does not truncate a negative prior
variance ``A`` at zero (Marshall does; we do, giving the fully pooled rate ``theta``), and both esda
classes return ``(n, 1)`` arrays. On data with ``A > 0`` everywhere the values are identical.

References
----------
Marshall, R. J. (1991). Mapping disease and mortality rates using empirical Bayes estimators.
*Journal of the Royal Statistical Society C (Applied Statistics)* 40(2), 283-294.
Anselin, L., Lozano, N. and Koschinsky, J. (2006). *Rate Transformations and Smoothing*. Spatial
Analysis Laboratory, University of Illinois, Urbana-Champaign.

Examples
--------
>>> res = empirical_bayes([0, 2, 30, 60, 5], [300, 300, 10_000, 12_000, 900])
>>> [round(r * 1e5, 1) for r in res.raw]
[0.0, 666.7, 300.0, 500.0, 555.6]
>>> [round(r * 1e5, 1) for r in res.smoothed]
[400.3, 420.4, 355.3, 461.2, 425.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .weights import SpatialWeights

__all__ = ["SmoothedRates", "empirical_bayes", "spatial_empirical_bayes"]


@dataclass(frozen=True)
class SmoothedRates:
    """Raw and smoothed rates (events per unit of population), in input order."""

    method: str
    raw: tuple[float, ...]
    smoothed: tuple[float, ...]
    reference: tuple[float, ...]
    shrinkage: tuple[float, ...]


def _events_population(events: Sequence[float] | np.ndarray, population: Sequence[float] | np.ndarray) -> tuple:
    e = np.array(events, dtype=float)
    b = np.array(population, dtype=float)
    if e.ndim != 1 or e.shape != b.shape:
        raise ValueError("events and population must be 1-D and of the same length")
    if not (np.all(np.isfinite(e)) and np.all(np.isfinite(b))):
        raise ValueError("events and population must be finite")
    if np.any(e < 0):
        raise ValueError("events cannot be negative")
    if np.any(b <= 0):
        raise ValueError("every area needs a positive population at risk")
    return e, b


def _shrink(rate: np.ndarray, theta: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    den = a + theta / b
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(den > 0, a / den, 0.0)  # theta = 0 and A = 0: nothing to learn, pool fully
    return theta + c * (rate - theta), 1.0 - c


def empirical_bayes(events: Sequence[float] | np.ndarray, population: Sequence[float] | np.ndarray) -> SmoothedRates:
    """Global empirical-Bayes rates (Marshall 1991), shrinking towards the overall rate.

    ``shrinkage`` is ``1 - C_i``: 0 keeps the raw rate, 1 replaces it by the reference.
    """
    e, b = _events_population(events, population)
    rate = e / b
    theta = e.sum() / b.sum()
    s2 = (b * (rate - theta) ** 2).sum() / b.sum()
    a = max(s2 - theta / b.mean(), 0.0)
    smoothed, shrink = _shrink(rate, np.full_like(rate, theta), np.full_like(rate, a), b)
    return SmoothedRates(
        method="eb-global",
        raw=tuple(rate.tolist()),
        smoothed=tuple(smoothed.tolist()),
        reference=(float(theta),) * len(rate),
        shrinkage=tuple(shrink.tolist()),
    )


def spatial_empirical_bayes(
    events: Sequence[float] | np.ndarray, population: Sequence[float] | np.ndarray, weights: SpatialWeights
) -> SmoothedRates:
    """Spatial empirical-Bayes rates: shrink towards the rate of each area and its neighbours.

    Values are in ``weights.codes`` order. The window of unit ``i`` is ``i`` plus its binary
    neighbours (Anselin, Lozano & Koschinsky 2006), as in ``esda.smoothing.Spatial_Empirical_Bayes``.
    """
    e, b = _events_population(events, population)
    if len(e) != weights.n:
        raise ValueError("one event count and population per unit of the weights is needed")
    rate = e / b
    w = weights.sparse(transform="b", self_weight=1.0)  # window = self + neighbours
    sum_b = w @ b
    theta = (w @ e) / sum_b
    # sum_j b_j (r_j - theta_i)^2 = sum_j b_j r_j^2 - 2 theta_i sum_j e_j + theta_i^2 sum_j b_j
    sq = w @ (b * rate**2) - 2 * theta * (w @ e) + theta**2 * sum_b
    s2 = np.maximum(sq, 0.0) / sum_b
    size = np.asarray(w.sum(axis=1)).ravel()
    a = np.maximum(s2 - theta / (sum_b / size), 0.0)
    smoothed, shrink = _shrink(rate, theta, a, b)
    return SmoothedRates(
        method="eb-spatial",
        raw=tuple(rate.tolist()),
        smoothed=tuple(smoothed.tolist()),
        reference=tuple(theta.tolist()),
        shrinkage=tuple(shrink.tolist()),
    )
