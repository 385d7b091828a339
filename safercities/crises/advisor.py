"""The allocation advisor: a saved scenario run through ``analytics.allocation`` with its reasoning.

The split itself is ``analytics.allocation.allocate`` (need × population, floors, caps, exact total);
need comes from ``monitoring.analysis.need_for_allocation`` (the index, a dimension or an indicator,
direction-aware), the same path as ``safercities allocate``. This module adds what a reader needs to
follow each amount: the proportional share before bounds and what the floor or cap changed, and a
refusal in the reader's language (``refusal_message``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

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


def _figure(value: object) -> str:
    """A figure in the active locale's number format, grouped (4,000.00 in English, 4 000,00 in Spanish)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        value = Decimal(repr(value)).normalize()  # as typed: -2, not -2.0 nor -2E+0
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return number_format(value, force_grouping=True)
    return str(value)


def _refusal_templates() -> dict[str, str]:
    # Built per call so that each message is in the language active for the request.
    return {
        "no_areas": _("there are no areas to allocate to"),
        "not_numbers": _("%(field)s must be a list of numbers, one per area"),
        "not_a_number": _("%(field)s must be a number, not %(value)s"),
        "bound_not_numbers": _("%(field)s must be a number or one number per area"),
        "bound_length": _("%(field)s must be one number or one per area (%(given)s given for %(areas)s areas)"),
        "length_mismatch": _(
            "need and population must have one value per area (%(needs)s needs, %(populations)s populations)"
        ),
        "codes_length": _("codes must have one value per area (%(given)s given for %(areas)s areas)"),
        "need_invalid": _("need must be a finite number ≥ 0 for every area: area %(area)s has %(value)s"),
        "population_invalid": _("population must be positive and finite for every area: area %(area)s has %(value)s"),
        "budget_invalid": _("the budget must be a finite number ≥ 0, not %(value)s"),
        "unit_invalid": _("the rounding unit must be a finite number > 0, not %(value)s"),
        "budget_not_whole": _(
            "the budget of %(budget)s is not a whole number of units of %(unit)s; round it to the unit"
        ),
        "budget_too_large": _(
            "the budget of %(budget)s is too large to split exactly into units of %(unit)s: at most %(most)s "
            "can be (10^15 units); use a larger unit"
        ),
        "floor_invalid": _("the floor must be a finite number ≥ 0: area %(area)s has %(value)s"),
        "cap_invalid": _("the cap must be a number ≥ 0: area %(area)s has %(value)s"),
        "floor_above_cap": _("the floor of area %(area)s (%(floor)s) is above its cap (%(cap)s)"),
        "no_unit_between": _(
            "the floor (%(floor)s) and cap (%(cap)s) of area %(area)s leave no whole unit of %(unit)s between them"
        ),
        "floors_above_budget": _("the floors add up to %(total)s%(each)s%(note)s, more than the budget of %(budget)s"),
        "caps_below_budget": _("the caps add up to %(total)s%(each)s%(note)s, less than the budget of %(budget)s"),
        "caps_and_floors_below_budget": _(
            "only %(receiving)s of the %(areas)s areas have a need above 0, and an area without need receives "
            "only its floor: their caps (%(caps)s%(note)s) and the other areas' floors (%(floors)s) add up to "
            "%(total)s, less than the budget of %(budget)s"
        ),
    }


def refusal_message(error: AllocationError) -> str:
    """The refusal in the active language, from its code and figures; the English text for an unknown code.

    ``analytics`` cannot use Django's translations, so it hands over ``code`` and ``params`` (see
    docs/methodology.md) and the words and number format are chosen here.
    """
    template = _refusal_templates().get(error.code)
    if template is None:
        return str(error)
    fields = {
        "need": pgettext("allocation input", "need"),
        "population": pgettext("allocation input", "population"),
        "budget": pgettext("allocation input", "the budget"),
        "unit": pgettext("allocation input", "the rounding unit"),
        "floor": pgettext("allocation input", "the floor"),
        "cap": pgettext("allocation input", "the cap"),
    }
    try:  # figures missing or of another shape (a newer analytics): say it in English rather than fail
        params = {key: _figure(value) for key, value in error.params.items()}
        if "field" in error.params:
            params["field"] = fields.get(str(error.params["field"]), str(error.params["field"]))
        params["each"] = _(" (%(areas)s areas × %(each)s)") % params if error.params.get("each") is not None else ""
        params["note"] = ""
        if error.params.get("rounded"):  # floors are rounded up to whole units, caps down
            if error.code == "floors_above_budget":
                params["note"] = _(", rounded up to whole units of %(unit)s") % params
            else:
                params["note"] = _(", rounded down to whole units of %(unit)s") % params
        return template % params
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return str(error)


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
        out.error = refusal_message(exc)
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
