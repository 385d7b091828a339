"""Equitable allocation of a budget across areas by need and population, with floors and caps.

Method
------
Each area's claim is ``w_i = need_i × population_i`` (need on any non-negative scale: the index score,
a dimension score or an indicator value where higher means more need). Amounts are proportional to
the claims, bounded below by the floor and above by the cap: ``amount_i = clip(λ·w_i, floor, cap)``
with the single factor ``λ`` that makes the amounts add up to the budget (bounded proportional
allocation). A floor is therefore a guaranteed minimum, not an extra on top of the share: it only
binds for areas whose share would be smaller. Amounts are finally rounded to the unit of account
(cents by default) with the largest-remainder method (Hamilton) so that they add up to the budget
*exactly*, never breaking a cap.

Equity figures
--------------
- ``concentration_index``: the concentration index of the per-capita allocation ranked by need
  (O'Donnell et al. 2008, *Analyzing Health Equity Using Household Survey Data*, ch. 8):
  ``C = 2 cov(y, R) / mean(y)`` with ``R`` the population-weighted fractional rank by need (least
  needy first). ``C > 0``: money goes to the needier areas; ``C = 0``: no relation to need.
- ``share_to_neediest_quintile``: the share of the budget reaching the fifth of the population in
  the neediest areas.
- ``gini_per_capita``: the population-weighted Gini coefficient of per-capita amounts.

Examples
--------
>>> result = allocate([10, 20, 30], [1000, 1000, 1000], budget=600, codes=["a", "b", "c"])
>>> [round(x, 2) for x in result.amounts]
[100.0, 200.0, 300.0]
>>> result = allocate([10, 20, 30], [1000, 1000, 1000], budget=600, floor=150, cap=250)
>>> [round(x, 2) for x in result.amounts]
[150.0, 200.0, 250.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


class AllocationError(ValueError):
    """The inputs admit no allocation (e.g. floors above the budget)."""


@dataclass(frozen=True)
class Allocation:
    codes: tuple[str, ...]
    need: tuple[float, ...]
    population: tuple[float, ...]
    amounts: tuple[float, ...]
    budget: float
    method: str
    equity: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of INTERFACES.md's ``allocate``."""
        return {
            "budget": self.budget,
            "method": self.method,
            "areas": [
                {"code": code, "need": need, "population": int(pop), "amount": amount}
                for code, need, pop, amount in zip(self.codes, self.need, self.population, self.amounts, strict=True)
            ],
            "equity": dict(self.equity),
        }


def _bounded_proportional(weights: np.ndarray, budget: float, floors: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """``clip(λ·w, floor, cap)`` with the one ``λ`` that makes the amounts add up to ``budget``.

    The total is continuous and non-decreasing in ``λ``, so bisection finds it; feasibility
    (floors ≤ budget ≤ caps) is checked by the caller.
    """
    if weights.sum() <= 0:
        weights = np.ones_like(weights)  # no claim anywhere: share equally within the bounds
    finite_caps = np.where(np.isfinite(caps), caps, budget)
    positive = weights > 0
    low, high = 0.0, float(np.max(np.maximum(finite_caps, budget)[positive] / weights[positive])) * 2 + 1.0
    for _ in range(200):
        middle = (low + high) / 2
        if np.clip(middle * weights, floors, caps).sum() < budget:
            low = middle
        else:
            high = middle
    amounts = np.clip(high * weights, floors, caps)
    # Areas without a claim sit at their floor; any tiny rest from bisection goes to the free areas.
    rest = budget - amounts.sum()
    free = (amounts < caps) & (amounts > floors) if rest > 0 else (amounts > floors)
    if free.any():
        amounts[free] += rest * weights[free] / weights[free].sum()
    return amounts


def _round_exact(amounts: np.ndarray, budget: float, unit: float, caps: np.ndarray) -> np.ndarray:
    """Largest-remainder rounding to ``unit`` that keeps the exact total and the bounds."""
    scaled = amounts / unit
    base = np.floor(scaled + 1e-9)
    total_units = round(budget / unit)
    shortfall = int(total_units - base.sum())
    order = np.argsort(-(scaled - base), kind="stable")
    room = np.floor(caps / unit + 1e-9) - base
    for index in order:
        if shortfall <= 0:
            break
        if room[index] >= 1:
            base[index] += 1
            shortfall -= 1
    if shortfall != 0:  # pragma: no cover - only with bounds that leave no room, caught earlier
        raise AllocationError("the budget cannot be split into whole units within the caps")
    return base * unit


def concentration_index(per_capita: np.ndarray, need: np.ndarray, population: np.ndarray) -> float:
    """Concentration index of ``per_capita`` ranked by ``need`` (population-weighted).

    Reference: O'Donnell, van Doorslaer, Wagstaff & Lindelow (2008), ch. 8, eq. 8.3 (weighted form).
    """
    weights = population / population.sum()
    order = np.lexsort((np.arange(len(need)), need))
    w_sorted = weights[order]
    rank = np.empty_like(weights)
    rank[order] = np.cumsum(w_sorted) - w_sorted / 2
    mean = float(np.sum(weights * per_capita))
    if mean == 0:
        return 0.0
    covariance = float(np.sum(weights * (per_capita - mean) * (rank - np.sum(weights * rank))))
    return 2.0 * covariance / mean


def weighted_gini(values: np.ndarray, population: np.ndarray) -> float:
    """Population-weighted Gini coefficient (0 = all equal per capita)."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], population[order] / population.sum()
    mean = float(np.sum(w * v))
    if mean == 0:
        return 0.0
    cum_vw = np.cumsum(v * w) / mean
    lorenz_area = np.sum(w * (cum_vw - v * w / mean / 2))
    return float(1 - 2 * lorenz_area)


def allocate(
    need: Sequence[float],
    population: Sequence[float],
    budget: float,
    *,
    codes: Sequence[str] | None = None,
    floor: float | Sequence[float] = 0.0,
    cap: float | Sequence[float] | None = None,
    unit: float = 0.01,
) -> Allocation:
    """Split ``budget`` across areas by ``need × population`` within ``floor`` and ``cap``.

    Parameters
    ----------
    need, population
        One value per area; need ≥ 0 (higher = more need), population > 0.
    budget
        The amount to share; the returned amounts add up to it exactly (in ``unit`` steps).
    floor, cap
        The least and most any area receives (scalars or one per area).
    unit
        The unit of account for rounding (0.01 = cents; 1 for whole items such as tents).

    Raises
    ------
    AllocationError
        When the floors exceed the budget, the caps cannot absorb it, or inputs are invalid.
    """
    need_arr = np.asarray(need, dtype=float)
    pop_arr = np.asarray(population, dtype=float)
    n = len(need_arr)
    if n == 0:
        raise AllocationError("there are no areas to allocate to")
    if len(pop_arr) != n:
        raise AllocationError("need and population must have one value per area")
    if not np.all(np.isfinite(need_arr)) or np.any(need_arr < 0):
        raise AllocationError("need must be a finite, non-negative number for every area")
    if not np.all(np.isfinite(pop_arr)) or np.any(pop_arr <= 0):
        raise AllocationError("population must be positive for every area")
    if not np.isfinite(budget) or budget < 0:
        raise AllocationError("the budget must be a non-negative number")
    if unit <= 0:
        raise AllocationError("the rounding unit must be positive")
    floors = np.broadcast_to(np.asarray(floor, dtype=float), (n,)).copy()
    caps = np.full(n, np.inf) if cap is None else np.broadcast_to(np.asarray(cap, dtype=float), (n,)).copy()
    if np.any(floors < 0) or np.any(caps < floors):
        raise AllocationError("each floor must be ≥ 0 and no floor may exceed its cap")
    if floors.sum() > budget + 1e-9:
        raise AllocationError(f"the floors add up to {floors.sum():,.2f}, more than the budget {budget:,.2f}")
    if caps.sum() < budget - 1e-9:
        raise AllocationError(f"the caps add up to {caps.sum():,.2f}, less than the budget {budget:,.2f}")
    weights = need_arr * pop_arr
    raw = _bounded_proportional(weights, float(budget), floors, caps)
    amounts = _round_exact(raw, float(budget), unit, caps)
    per_capita = amounts / pop_arr
    order = np.argsort(-need_arr, kind="stable")
    cum_pop = np.cumsum(pop_arr[order]) / pop_arr.sum()
    in_top = cum_pop - pop_arr[order] / pop_arr.sum() < 0.2
    equity = {
        "concentration_index": round(concentration_index(per_capita, need_arr, pop_arr), 6),
        "share_to_neediest_quintile": round(float(amounts[order][in_top].sum() / budget), 6) if budget else 0.0,
        "gini_per_capita": round(weighted_gini(per_capita, pop_arr), 6),
    }
    labels = tuple(codes) if codes is not None else tuple(str(i + 1) for i in range(n))
    decimals = max(0, -int(np.floor(np.log10(unit)))) if unit < 1 else 0
    return Allocation(
        codes=labels,
        need=tuple(float(x) for x in need_arr),
        population=tuple(float(x) for x in pop_arr),
        amounts=tuple(round(float(x), decimals) for x in amounts),
        budget=float(budget),
        method="need × population, bounded by floors and caps, largest-remainder rounding",
        equity=equity,
    )
