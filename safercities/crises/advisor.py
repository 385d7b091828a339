"""The allocation advisor: a saved scenario run through ``analytics.allocation`` with its reasoning.

The split itself is ``analytics.allocation.allocate`` (need × population, floors, caps, exact total);
need comes from ``monitoring.analysis.need_for_allocation`` (the index, a dimension or an indicator,
direction-aware), the same path as ``safercities allocate``. This module adds what a reader needs to
follow each amount: the proportional share before bounds and what the floor or cap changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from safercities.analytics.allocation import Allocation, AllocationError, allocate
from safercities.crises.models import Crisis, Scenario
from safercities.monitoring.analysis import NeedError, need_for_allocation
from safercities.places.models import Area


@dataclass
class ScenarioResult:
    scenario: Scenario
    allocation: Allocation | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    period: str = ""
    label: str = ""
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.allocation is not None


def level_of(crisis: Crisis) -> str | None:
    levels = list(crisis.areas.values_list("level", flat=True).distinct())
    return levels[0] if len(levels) == 1 else None


def run(scenario: Scenario) -> ScenarioResult:
    """Compute a scenario from the current data; a problem becomes ``error`` (never an exception)."""
    crisis = scenario.crisis
    out = ScenarioResult(scenario)
    try:
        vector = need_for_allocation(crisis.city, need=scenario.need, level=level_of(crisis))
    except NeedError as exc:
        out.error = str(exc)
        return out
    codes, needs, pops = list(vector.codes), list(vector.need), list(vector.population)
    if scenario.scope == Scenario.AFFECTED:
        affected = set(crisis.areas.values_list("code", flat=True))
        keep = [i for i, code in enumerate(codes) if code in affected]
        for code in sorted(affected - set(codes)):
            out.skipped[code] = vector.skipped.get(code, "no need value")
        codes, needs, pops = [codes[i] for i in keep], [needs[i] for i in keep], [pops[i] for i in keep]
    else:
        out.skipped = dict(vector.skipped)
    out.period, out.label = vector.period, vector.label
    budget = float(scenario.budget)
    try:
        result = allocate(
            needs,
            pops,
            budget,
            codes=codes,
            floor=float(scenario.floor),
            cap=float(scenario.cap) if scenario.cap is not None else None,
        )
    except AllocationError as exc:
        out.error = str(exc)
        return out
    out.allocation = result
    weights = [n * p for n, p in zip(needs, pops, strict=True)]
    total_weight = sum(weights)
    names = dict(Area.objects.filter(city=crisis.city, code__in=codes).values_list("code", "name"))
    floor = float(scenario.floor)
    cap = float(scenario.cap) if scenario.cap is not None else None
    for code, need, pop, weight, amount in zip(codes, needs, pops, weights, result.amounts, strict=True):
        share = budget * weight / total_weight if total_weight > 0 else budget / len(codes)
        # Differences under a cent are the rounding to the cent, not an adjustment.
        if floor and abs(amount - floor) < 0.01 and share < floor:
            reason = "floor"
        elif cap is not None and abs(amount - cap) < 0.01 and share > cap:
            reason = "cap"
        elif abs(amount - share) >= 0.01:
            reason = "rebalanced"
        else:
            reason = ""
        out.rows.append(
            {
                "code": code,
                "name": names.get(code, code),
                "need": need,
                "population": int(pop),
                "weight": weight,
                "share": share,
                "adjustment": 0.0 if abs(amount - share) < 0.01 else amount - share,
                "amount": amount,
                "per_capita": amount / pop if pop else None,
                "reason": reason,
            }
        )
    return out
