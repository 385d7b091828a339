"""Equitable allocation of a budget across areas by need and population, with floors and caps.

Method
------
Each area's claim is ``w_i = need_i × population_i`` (need on any non-negative scale: the index score,
a dimension score or an indicator value where higher means more need). Amounts are proportional to
the claims, bounded below by the floor and above by the cap: ``amount_i = clip(λ·w_i, floor, cap)``
with the single factor ``λ`` that makes the amounts add up to the budget (bounded proportional
allocation). A floor is therefore a guaranteed minimum, not an extra on top of the share: it only
binds for areas whose share would be smaller. An area with no need (``w_i = 0``) receives its floor;
when no area has any need the claims are taken as equal. Amounts are finally rounded to the unit of
account (cents by default) with the largest-remainder method (Hamilton) so that they add up to the
budget *exactly*, never going below a floor or past a cap.

Numerics
--------
``λ`` is not searched for: the total ``T(λ)`` is piecewise linear, so the segment between two
breakpoints (``floor_i / w_i``, ``cap_i / w_i``) where it reaches the budget is located on the
logarithmic scale and solved in closed form, the free areas sharing what the bounded ones leave in
proportion to their claims. Claims are kept as mantissa and exponent, so needs from 5e-324 to 1e308
neither underflow nor overflow (a bisection on ``λ`` does: ``budget / 5e-324`` is infinite). Sums use
``math.fsum`` and ties in the rounding go to the needier area, so the result does not depend on the
order in which areas are listed. Money is counted in whole units (integers): the budget must be a
whole number of units and at most ``MAX_UNITS`` of them (10^15, e.g. 10 trillion in cents), beyond
which a float can no longer hold every amount to the unit.

Equity figures
--------------
- ``concentration_index``: the concentration index of the per-capita allocation ranked by need
  (O'Donnell et al. 2008, *Analyzing Health Equity Using Household Survey Data*, ch. 8):
  ``C = 2 cov(y, R) / mean(y)`` with ``R`` the population-weighted fractional rank by need (least
  needy first). ``C > 0``: money goes to the needier areas; ``C = 0``: no relation to need.
- ``share_to_neediest_quintile``: the share of the budget reaching the fifth of the population in
  the neediest areas.
- ``gini_per_capita``: the population-weighted Gini coefficient of per-capita amounts.

References
----------
Balinski, M. L. & Young, H. P. (2001). *Fair Representation*, 2nd ed., ch. 2 (Hamilton's method).

Examples
--------
>>> result = allocate([10, 20, 30], [1000, 1000, 1000], budget=600, codes=["a", "b", "c"])
>>> result.amounts
(100.0, 200.0, 300.0)
>>> allocate([10, 20, 30], [1000, 1000, 1000], budget=600, floor=150, cap=250).amounts
(150.0, 200.0, 250.0)
>>> allocate([5e-324, 1e308], [1, 1], budget=100).amounts
(0.0, 100.0)
>>> allocate([1, 2], [1, 1], budget=5000, cap=2000)
Traceback (most recent call last):
...
safercities.analytics.allocation.AllocationError: the caps add up to 4,000.00 (2 areas × 2,000.00), less than the \
budget of 5,000.00
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

import numpy as np

#: The most units of account a budget may hold: every amount then has at most 15 significant
#: digits, so the float that carries it is exactly its decimal value to the unit.
MAX_UNITS = 10**15

# A value this close to a whole number of units counts as whole: float noise (0.1 + 0.2, or 12345 × 0.01
# a few float steps off 123.45), never a real fraction of a unit.
_NOISE_ULPS = 4
_NOISE_MIN, _NOISE_MAX = Decimal("1e-6"), Decimal("0.25")


class AllocationError(ValueError):
    """The inputs admit no allocation (e.g. floors above the budget); the message names the problem.

    ``str(error)`` is the English sentence (the command, the API and the logs show it). ``code`` says
    which refusal it is and ``params`` holds its figures as data (money as ``Decimal`` in the unit's
    decimals, as the sentence shows them; counts as ``int``; area codes and field names as ``str``), so
    a caller that speaks another language can say the same thing without parsing English.
    docs/methodology.md lists the codes.
    """

    def __init__(self, message: str, *, code: str = "invalid", params: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.params: dict[str, object] = dict(params or {})

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments are lost by the default pickling of exceptions (``cls(*args)``).
        return (_rebuild_error, (str(self), self.code, self.params))


def _rebuild_error(message: str, code: str, params: dict[str, object]) -> AllocationError:
    return AllocationError(message, code=code, params=params)


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


# --- inputs --------------------------------------------------------------------------------------


def _decimal(value: float) -> Decimal:
    """The decimal a person typed: ``repr`` of a float is the shortest string that gives it back."""
    return Decimal(repr(float(value)))


def _plain(value: Decimal | float) -> str:
    """A number as a person writes it: thousands separators, no exponent, no trailing zeros."""
    number = value if isinstance(value, Decimal) else _decimal(value)
    if not number.is_finite():
        return str(float(number))
    if abs(number) >= Decimal("1e21"):
        return f"{float(number):.3g}"
    return f"{number.normalize():,f}"


class _Units:
    """Conversion between amounts and whole units of account, exact (decimal) and formatted."""

    def __init__(self, unit: float) -> None:
        self.unit = _decimal(unit)
        self.places = max(0, -self.unit.normalize().as_tuple().exponent)  # type: ignore[operator]

    def count(self, value: float, rounding: str) -> tuple[int, bool]:
        """``value`` in units, rounded up (floors) or down (caps); and whether rounding changed it."""
        with localcontext() as context:
            context.prec = 60
            exact = _decimal(value) / self.unit
            nearest = exact.to_integral_value()
            noise = min(_NOISE_MAX, max(_NOISE_MIN, _NOISE_ULPS * _decimal(math.ulp(value)) / self.unit))
            if abs(exact - nearest) <= noise:
                return int(nearest), False
            return int(exact.to_integral_value(rounding=rounding)), True

    def text(self, units: int) -> str:
        """``units`` as money in the unit's decimals: 400000 cents → ``4,000.00``."""
        with localcontext() as context:
            context.prec = 60
            value = Decimal(units) * self.unit
        if abs(value) >= Decimal("1e21") or self.places > 12:
            return _plain(value)
        return f"{value:,.{self.places}f}"

    def show(self, value: float) -> str:
        """A bound as typed, in the unit's decimals when it is a whole number of units: ``2,000.00``."""
        number = _decimal(value)
        if not number.is_finite() or abs(number) >= Decimal("1e21") or self.places > 12:
            return _plain(number)
        if -number.normalize().as_tuple().exponent <= self.places:  # type: ignore[operator]
            return f"{number:,.{self.places}f}"
        return _plain(number)

    def value(self, units: int) -> Decimal:
        """``units`` as an exact ``Decimal`` in the unit's decimals (400000 cents → ``4000.00``): data for
        a caller that formats money itself, holding what ``text`` shows."""
        with localcontext() as context:
            context.prec = 60
            value = Decimal(units) * self.unit
            if abs(value) >= Decimal("1e21") or self.places > 12:  # as ``text``: no fixed decimals there
                return value
            return value.quantize(Decimal(1).scaleb(-self.places))

    def exact(self, value: float) -> Decimal | float:
        """A bound as ``show`` writes it, as a ``Decimal`` (``2000.00``, ``33.333``); ``inf`` stays a float."""
        number = _decimal(value)
        if not number.is_finite():
            return float(number)
        if abs(number) >= Decimal("1e21") or self.places > 12:
            return number
        if -number.normalize().as_tuple().exponent <= self.places:  # type: ignore[operator]
            with localcontext() as context:
                context.prec = 60
                return number.quantize(Decimal(1).scaleb(-self.places))
        return number

    def amount(self, units: int) -> float:
        """The float nearest to ``units × unit`` (exact decimal product, then one rounding)."""
        with localcontext() as context:
            context.prec = 60
            return float(Decimal(units) * self.unit)


def _vector(name: str, values: Sequence[float]) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise AllocationError(
            f"{name} must be a list of numbers, one per area", code="not_numbers", params={"field": name}
        ) from None
    if array.ndim != 1:
        raise AllocationError(
            f"{name} must be a list of numbers, one per area", code="not_numbers", params={"field": name}
        )
    return array


def _scalar(name: str, field: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise AllocationError(
            f"{name} must be a number, not {value!r}",
            code="not_a_number",
            params={"field": field, "value": repr(value)},
        ) from None
    return number


def _per_area(name: str, value: float | Sequence[float], n: int) -> tuple[np.ndarray, bool]:
    """One bound per area from a scalar or a sequence; and whether it was one scalar for all."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise AllocationError(
            f"the {name} must be a number or one number per area", code="bound_not_numbers", params={"field": name}
        ) from None
    if array.ndim == 0:
        return np.full(n, float(array)), True
    if array.shape != (n,):
        raise AllocationError(
            f"the {name} must be one number or one per area ({array.size} given for {n} areas)",
            code="bound_length",
            params={"field": name, "given": int(array.size), "areas": n},
        )
    return array.copy(), False


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


# --- the split -----------------------------------------------------------------------------------


def _claims(need: np.ndarray, population: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``need × population`` as mantissa, binary exponent and natural log: no overflow, no underflow."""
    need_m, need_e = np.frexp(need)
    pop_m, pop_e = np.frexp(population)
    mantissa = need_m * pop_m  # in [0.25, 1): one rounding, like the plain product
    exponent = need_e.astype(np.int64) + pop_e.astype(np.int64)
    return mantissa, exponent, np.log(mantissa) + exponent * math.log(2)


def _bounded_proportional(
    mantissa: np.ndarray, exponent: np.ndarray, log_w: np.ndarray, target: float, floors: np.ndarray, caps: np.ndarray
) -> np.ndarray:
    """``clip(λ·w, floor, cap)`` adding up to ``target``, for claims ``w > 0`` (all in units).

    ``T(λ) = Σ clip(λ·w_i, floor_i, cap_i)`` is continuous, non-decreasing and linear between the
    breakpoints ``floor_i / w_i`` and ``cap_i / w_i``. The breakpoint segment holding the target is
    found by bisection over the sorted breakpoints (``t = log λ``, so no ``λ`` ever overflows); inside
    it the areas at a bound are known and the free ones share the rest ``R`` exactly in proportion to
    their claims, ``R · w_i / Σ w_free``. Feasibility (``Σ floors ≤ target ≤ Σ caps``) is the caller's.
    """
    with np.errstate(divide="ignore"):
        log_floor, log_cap = np.log(floors), np.log(caps)
    fixed = floors >= caps
    leaves_floor = log_floor - log_w  # t beyond which the area is above its floor (−inf: floor 0)
    reaches_cap = log_cap - log_w
    breaks = np.unique(np.concatenate([leaves_floor[~fixed], reaches_cap[~fixed]]))
    candidates = np.concatenate([[-np.inf], breaks[np.isfinite(breaks)]])

    def total_at(t: float) -> float:
        return math.fsum(np.exp(np.clip(t + log_w, log_floor, log_cap)))

    low, high = 0, len(candidates) - 1  # invariant: total_at(candidates[low]) <= target (Σ floors)
    while low < high:
        middle = (low + high + 1) // 2
        if total_at(float(candidates[middle])) <= target:
            low = middle
        else:
            high = middle - 1
    t_low = candidates[low]
    t_high = candidates[low + 1] if low + 1 < len(candidates) else np.inf
    at_cap = ~fixed & (reaches_cap <= t_low)
    free = ~fixed & ~at_cap & (leaves_floor < t_high)
    amounts = np.where(at_cap, caps, floors).astype(float)
    if free.any():
        rest = target - math.fsum(amounts[~free])
        relative = np.ldexp(mantissa[free], exponent[free] - exponent[free].max())  # largest ≥ 0.25
        amounts[free] = np.clip(rest * relative / math.fsum(relative), floors[free], caps[free])
    return amounts


def _round_exact(
    raw: np.ndarray, total: int, floors: list[int], caps: list[int], receives: np.ndarray, tiebreak: list[np.ndarray]
) -> list[int]:
    """Largest-remainder (Hamilton) rounding of ``raw`` (units) to integers adding up to ``total``.

    Each area first gets the whole part of its share, kept within its bounds; the units left over go
    one each to the largest remainders among the areas that ``receive`` and have room under their cap
    (ties: by ``tiebreak``, then position). Float noise can leave a unit too many or too few; the loop
    settles it the same way, so the total is exact whenever ``Σ floors ≤ total ≤ Σ caps`` (of receivers).
    """
    nearest = np.round(raw)
    snapped = np.where(np.abs(raw - nearest) <= 1e-6, nearest, raw)
    base = [min(max(int(x), lo), hi) for x, lo, hi in zip(np.floor(snapped), floors, caps, strict=True)]
    remainder = snapped - np.array(base, dtype=float)
    # Largest remainder first; ties to the larger tie-break keys, then position.
    order = np.lexsort((np.arange(len(raw)), *[-key for key in reversed(tiebreak)], -remainder))
    shortfall = total - sum(base)
    while shortfall != 0:
        step = 1 if shortfall > 0 else -1
        moved = False
        for index in order if step > 0 else order[::-1]:
            if shortfall == 0:
                break
            if step > 0 and receives[index] and base[index] < caps[index]:
                base[index] += 1
            elif step < 0 and base[index] > floors[index]:
                base[index] -= 1
            else:
                continue
            shortfall -= step
            moved = True
        if not moved:  # pragma: no cover - feasibility is checked before; this guards the invariant
            raise AllocationError("the budget cannot be split into whole units within the floors and caps")
    return base


# --- equity --------------------------------------------------------------------------------------


def _need_levels(need: np.ndarray, population: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each area's need level (ascending), the population share of each level, and of the levels below.

    Areas with equal need form one level, so ranks and the neediest fifth do not depend on the order in
    which tied areas are listed.
    """
    levels, level_of = np.unique(need, return_inverse=True)
    people = population / population.max()  # a sum of huge populations would overflow
    share = np.bincount(level_of, weights=people, minlength=len(levels)) / math.fsum(people)
    below = np.cumsum(share) - share
    return level_of, share, below


def concentration_index(per_capita: np.ndarray, need: np.ndarray, population: np.ndarray) -> float:
    """Concentration index of ``per_capita`` ranked by ``need`` (population-weighted).

    Areas with equal need share the fractional rank of their group's midpoint (mean rank for ties).

    Reference: O'Donnell, van Doorslaer, Wagstaff & Lindelow (2008), ch. 8, eq. 8.3 (weighted form).
    """
    level_of, share, below = _need_levels(need, population)
    weights = population / population.max()
    weights = weights / weights.sum()
    rank = (below + share / 2)[level_of]
    mean = float(np.sum(weights * per_capita))
    if mean == 0:
        return 0.0
    covariance = float(np.sum(weights * (per_capita - mean) * (rank - np.sum(weights * rank))))
    return 2.0 * covariance / mean


def weighted_gini(values: np.ndarray, population: np.ndarray) -> float:
    """Population-weighted Gini coefficient (0 = all equal per capita)."""
    order = np.argsort(values, kind="stable")
    population = population / population.max()
    v, w = values[order], population[order] / population.sum()
    mean = float(np.sum(w * v))
    if mean == 0:
        return 0.0
    cum_vw = np.cumsum(v * w) / mean
    lorenz_area = np.sum(w * (cum_vw - v * w / mean / 2))
    return float(1 - 2 * lorenz_area)


def _equity(units: list[int], total: int, need: np.ndarray, population: np.ndarray) -> dict[str, float]:
    """The three figures, on scaled copies: they do not depend on the scale of money or people."""
    amounts = np.array(units, dtype=float)
    amounts = amounts / amounts.max() if amounts.max() > 0 else amounts
    people = population / population.max()
    with np.errstate(over="ignore", invalid="ignore"):
        per_capita = amounts / people
    # The neediest fifth: the need levels with less than 20 % of the people above them (ties together).
    level_of, share, _below = _need_levels(need, people)
    above = (np.cumsum(share[::-1]) - share[::-1])[::-1]
    in_top = (above < 0.2)[level_of]
    neediest = sum(count for count, top in zip(units, in_top, strict=True) if top)
    figures = {
        "concentration_index": concentration_index(per_capita, need, people),
        "share_to_neediest_quintile": neediest / total if total else 0.0,
        "gini_per_capita": weighted_gini(per_capita, people),
    }
    # Populations 300 orders of magnitude apart can still overflow a per-capita amount: say 0, not NaN.
    return {key: round(value, 6) if math.isfinite(value) else 0.0 for key, value in figures.items()}


# --- the function --------------------------------------------------------------------------------


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
        One value per area; need finite and ≥ 0 (higher = more need), population finite and > 0.
    budget
        The amount to share, a whole number of ``unit`` (at most ``MAX_UNITS`` of them); the
        returned amounts are whole numbers of ``unit`` and add up to it exactly.
    codes
        One label per area, used in the result and in error messages (default: 1, 2, 3 …).
    floor, cap
        The least and most any area receives (scalars or one per area; ``cap=None`` or ``inf``: no
        cap). A floor that is not a whole number of units is rounded up, a cap rounded down.
    unit
        The unit of account for rounding (0.01 = cents; 1 for whole items such as tents).

    Raises
    ------
    AllocationError
        With a message in the user's terms when an input is invalid, the floors add up to more than
        the budget, or the caps (of the areas that can receive more than their floor) to less.
    """
    need_arr = _vector("need", need)
    pop_arr = _vector("population", population)
    n = len(need_arr)
    if n == 0:
        raise AllocationError("there are no areas to allocate to", code="no_areas")
    if len(pop_arr) != n:
        raise AllocationError(
            f"need and population must have one value per area ({n} needs, {len(pop_arr)} populations)",
            code="length_mismatch",
            params={"needs": n, "populations": len(pop_arr)},
        )
    labels = tuple(str(code) for code in codes) if codes is not None else tuple(str(i + 1) for i in range(n))
    if len(labels) != n:
        raise AllocationError(
            f"codes must have one value per area ({len(labels)} given for {n} areas)",
            code="codes_length",
            params={"given": len(labels), "areas": n},
        )
    bad = ~np.isfinite(need_arr) | (need_arr < 0)
    if bad.any():
        i = _first(bad)
        raise AllocationError(
            f"need must be a finite number ≥ 0 for every area: area {labels[i]} has {_plain(need_arr[i])}",
            code="need_invalid",
            params={"area": labels[i], "value": float(need_arr[i])},
        )
    bad = ~np.isfinite(pop_arr) | (pop_arr <= 0)
    if bad.any():
        i = _first(bad)
        raise AllocationError(
            f"population must be positive and finite for every area: area {labels[i]} has {_plain(pop_arr[i])}",
            code="population_invalid",
            params={"area": labels[i], "value": float(pop_arr[i])},
        )
    budget_f, unit_f = _scalar("the budget", "budget", budget), _scalar("the rounding unit", "unit", unit)
    if not math.isfinite(budget_f) or budget_f < 0:
        raise AllocationError(
            f"the budget must be a finite number ≥ 0, not {_plain(budget_f)}",
            code="budget_invalid",
            params={"value": budget_f},
        )
    if not math.isfinite(unit_f) or unit_f <= 0:
        raise AllocationError(
            f"the rounding unit must be a finite number > 0, not {_plain(unit_f)}",
            code="unit_invalid",
            params={"value": unit_f},
        )
    units = _Units(unit_f)
    total, not_whole = units.count(budget_f, ROUND_FLOOR)
    if not_whole:
        raise AllocationError(
            f"the budget of {_plain(budget_f)} is not a whole number of units of {_plain(unit_f)}; "
            "round it to the unit",
            code="budget_not_whole",
            params={"budget": _decimal(budget_f), "unit": _decimal(unit_f)},
        )
    if total > MAX_UNITS:
        raise AllocationError(
            f"the budget of {units.show(budget_f)} is too large to split exactly into units of {_plain(unit_f)}: "
            f"at most {units.text(MAX_UNITS)} can be (10^15 units); use a larger unit",
            code="budget_too_large",
            params={"budget": units.exact(budget_f), "unit": _decimal(unit_f), "most": units.value(MAX_UNITS)},
        )

    floors, one_floor = _per_area("floor", floor, n)
    caps, one_cap = (np.full(n, np.inf), True) if cap is None else _per_area("cap", cap, n)
    bad = ~np.isfinite(floors) | (floors < 0)
    if bad.any():
        i = _first(bad)
        raise AllocationError(
            f"the floor must be a finite number ≥ 0: area {labels[i]} has {_plain(floors[i])}",
            code="floor_invalid",
            params={"area": labels[i], "value": float(floors[i])},
        )
    bad = np.isnan(caps) | (caps < 0)
    if bad.any():
        i = _first(bad)
        raise AllocationError(
            f"the cap must be a number ≥ 0: area {labels[i]} has {_plain(caps[i])}",
            code="cap_invalid",
            params={"area": labels[i], "value": float(caps[i])},
        )
    bad = floors > caps
    if bad.any():
        i = _first(bad)
        raise AllocationError(
            f"the floor of area {labels[i]} ({units.show(floors[i])}) is above its cap ({units.show(caps[i])})",
            code="floor_above_cap",
            params={"area": labels[i], "floor": units.exact(floors[i]), "cap": units.exact(caps[i])},
        )

    # Bounds in whole units: a floor is met only by rounding it up, a cap kept only by rounding it down.
    floor_counts = [units.count(x, ROUND_CEILING) for x in floors]
    floor_units = [count for count, _rounded in floor_counts]
    floors_rounded = any(rounded for _count, rounded in floor_counts)
    cap_units, caps_rounded = [], False
    for value in caps:
        if math.isinf(value) or value >= budget_f:
            cap_units.append(total)  # a cap at or above the budget never binds
            continue
        count, rounded = units.count(value, ROUND_FLOOR)
        cap_units.append(min(count, total))
        caps_rounded = caps_rounded or rounded
    for i in range(n):
        if floor_units[i] > cap_units[i] and floor_units[i] <= total:
            raise AllocationError(
                f"the floor ({units.show(floors[i])}) and cap ({units.show(caps[i])}) of area {labels[i]} leave "
                f"no whole unit of {_plain(unit_f)} between them",
                code="no_unit_between",
                params={
                    "area": labels[i],
                    "floor": units.exact(floors[i]),
                    "cap": units.exact(caps[i]),
                    "unit": _decimal(unit_f),
                },
            )

    floor_total = sum(floor_units)
    if floor_total > total:
        each = f" ({n} areas × {units.show(floors[0])})" if one_floor and n > 1 else ""
        note = f", rounded up to whole units of {_plain(unit_f)}" if floors_rounded else ""
        raise AllocationError(
            f"the floors add up to {units.text(floor_total)}{each}{note}, more than the budget of {units.text(total)}",
            code="floors_above_budget",
            params={
                "total": units.value(floor_total),
                "budget": units.value(total),
                "areas": n,
                "each": units.exact(floors[0]) if one_floor and n > 1 else None,
                "rounded": floors_rounded,
                "unit": _decimal(unit_f),
            },
        )
    receives = need_arr > 0 if np.any(need_arr > 0) else np.ones(n, dtype=bool)
    room = sum(cap_units[i] if receives[i] else floor_units[i] for i in range(n))
    if room < total:
        note = f", rounded down to whole units of {_plain(unit_f)}" if caps_rounded else ""
        if receives.all():
            each = f" ({n} areas × {units.show(caps[0])})" if one_cap and n > 1 else ""
            raise AllocationError(
                f"the caps add up to {units.text(room)}{each}{note}, less than the budget of {units.text(total)}",
                code="caps_below_budget",
                params={
                    "total": units.value(room),
                    "budget": units.value(total),
                    "areas": n,
                    "each": units.exact(caps[0]) if one_cap and n > 1 else None,
                    "rounded": caps_rounded,
                    "unit": _decimal(unit_f),
                },
            )
        cap_room = sum(cap_units[i] for i in range(n) if receives[i])
        raise AllocationError(
            f"only {int(receives.sum())} of the {n} areas have a need above 0, and an area without need "
            f"receives only its floor: their caps ({units.text(cap_room)}{note}) and the other areas' floors "
            f"({units.text(room - cap_room)}) add up to {units.text(room)}, less than the budget of "
            f"{units.text(total)}",
            code="caps_and_floors_below_budget",
            params={
                "receiving": int(receives.sum()),
                "areas": n,
                "caps": units.value(cap_room),
                "floors": units.value(room - cap_room),
                "total": units.value(room),
                "budget": units.value(total),
                "rounded": caps_rounded,
                "unit": _decimal(unit_f),
            },
        )

    raw = np.array(floor_units, dtype=float)
    if receives.any() and total > floor_total:
        if np.any(need_arr > 0):
            claim_need, claim_pop = need_arr[receives], pop_arr[receives]
        else:  # no claim anywhere: equal claims, so equal shares within the bounds
            claim_need = claim_pop = np.ones(n)
        mantissa, exponent, log_w = _claims(claim_need, claim_pop)
        target = float(total - sum(floor_units[i] for i in range(n) if not receives[i]))
        raw[receives] = _bounded_proportional(
            mantissa,
            exponent,
            log_w,
            target,
            np.array(floor_units, dtype=float)[receives],
            np.array(cap_units, dtype=float)[receives],
        )
    # Ties in the rounding go to the needier area, then the more populous, then the higher bounds: only
    # areas alike in all four are left to their position, and those are interchangeable.
    tiebreak = [need_arr, pop_arr, floors, caps]
    counts = _round_exact(raw, total, floor_units, cap_units, receives, tiebreak)
    return Allocation(
        codes=labels,
        need=tuple(float(x) for x in need_arr),
        population=tuple(float(x) for x in pop_arr),
        amounts=tuple(units.amount(count) for count in counts),
        budget=float(budget_f),
        method="need × population, bounded by floors and caps, largest-remainder rounding",
        equity=_equity(counts, total, need_arr, pop_arr),
    )
