"""Synthetic count series with known answers, after the simulation design of Noufaily et al. (2013).

Baseline counts are negative binomial with mean
``μ_t = exp(θ + β t + Σ_{j=1..m} [γ1 cos(2πjt/52) + γ2 sin(2πjt/52)])`` and variance ``φ μ_t``
(Poisson when ``φ = 1``). An outbreak starting in week ``s`` adds ``Poisson(k · sd_s)`` cases, where
``sd_s = sqrt(φ μ_s)`` is the baseline standard deviation at the start, each case falling
``floor(LogNormal(0, 0.5))`` weeks after ``s`` — so most of an outbreak lands in its first three weeks.

References
----------
Noufaily, A. et al. (2013). An improved algorithm for outbreak detection in multiple surveillance
systems. *Statistics in Medicine* 32(7), 1206–1222, §3 and Table I.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> mu = baseline_mean(624, theta=1.5, beta=0.003, gamma1=0.2, gamma2=-0.4, m=1)
>>> y = simulate_baseline(mu, phi=1.0, rng=rng)
>>> len(y), bool(np.all(y >= 0))
(624, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scenario:
    """One row of Noufaily et al. (2013), Table I (``m`` seasonal harmonics, ``beta = 0`` for no trend)."""

    name: str
    theta: float
    beta: float
    gamma1: float
    gamma2: float
    m: int
    phi: float


def baseline_mean(
    n: int, *, theta: float, beta: float = 0.0, gamma1: float = 0.0, gamma2: float = 0.0, m: int = 0
) -> np.ndarray:
    """``μ_t`` for weeks ``t = 1 … n``."""
    t = np.arange(1, n + 1, dtype=float)
    eta = theta + beta * t
    for j in range(1, m + 1):
        eta = eta + gamma1 * np.cos(2 * np.pi * j * t / 52) + gamma2 * np.sin(2 * np.pi * j * t / 52)
    return np.exp(eta)


def simulate_baseline(mu: np.ndarray, *, phi: float, rng: np.random.Generator) -> np.ndarray:
    """Negative-binomial counts with mean ``mu`` and variance ``phi·mu`` (``size = μ/(φ−1)``, ``prob = 1/φ``)."""
    mu = np.asarray(mu, dtype=float)
    if phi <= 1:
        return rng.poisson(mu).astype(float)
    return rng.negative_binomial(mu / (phi - 1), 1 / phi).astype(float)


def outbreak_cases(n: int, start: int, size: int, *, rng: np.random.Generator, sdlog: float = 0.5) -> np.ndarray:
    """Extra cases per week (length ``n``) for an outbreak of ``size`` cases starting at index ``start``."""
    extra = np.zeros(n)
    delays = np.floor(rng.lognormal(0.0, sdlog, size=size)).astype(int)
    weeks = start + delays
    np.add.at(extra, weeks[weeks < n], 1.0)
    return extra


def outbreak_size(k: float, mu_start: float, phi: float, rng: np.random.Generator) -> int:
    """``Poisson(k × sd)`` cases, ``sd = sqrt(φ μ)`` the baseline standard deviation at the start week."""
    return int(rng.poisson(k * np.sqrt(phi * mu_start)))
