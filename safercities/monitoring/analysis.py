"""The one place that turns the monitoring app's rows into analytics inputs (and results back).

Keeping this translation in one module keeps views and commands thin and the analytics package free
of Django.
"""

from __future__ import annotations

from dataclasses import dataclass

from safercities.analytics.periods import parse_period
from safercities.indicators.models import DIMENSION_CODES, Indicator, Observation
from safercities.places.models import Area, AreaPopulation, City


class NeedError(ValueError):
    """The requested need measure has no data to allocate by."""


@dataclass(frozen=True)
class NeedVector:
    codes: list[str]
    need: list[float]
    population: list[float]
    period: str
    label: str
    skipped: dict[str, str]


def latest_populations(city: City, area_ids: list[int], year: int | None) -> dict[int, int]:
    """Total population of each area in the latest year at or before ``year`` (any year if None)."""
    rows = AreaPopulation.objects.filter(area_id__in=area_ids, sex="", age_group="")
    if year is not None:
        rows = rows.filter(year__lte=year)
    populations: dict[int, int] = {}
    for area_id, _year, population in rows.order_by("area_id", "year").values_list("area_id", "year", "population"):
        populations[area_id] = population
    return populations


def need_for_allocation(
    city: City, *, need: str = "index", period: str | None = None, level: str | None = None
) -> NeedVector:
    """Need per area from the index, one of its dimensions, or an indicator (direction-aware)."""
    from safercities.monitoring.models import IndexResult

    values: dict[int, float] = {}
    if need == "index" or need in DIMENSION_CODES:
        results = IndexResult.objects.filter(city=city, definition__is_default=True)
        if level:
            results = results.filter(level=level)
        if period is None:
            period = results.order_by("-period").values_list("period", flat=True).first()
            if period is None:
                raise NeedError("no index results yet: run 'safercities compute' first")
        for result in results.filter(period=period):
            value = result.score if need == "index" else (result.dimensions or {}).get(need)
            if value is not None:
                values[result.area_id] = float(value)
        label = "composite index" if need == "index" else f"{need} security dimension"
    else:
        try:
            indicator = Indicator.objects.get(city=city, code=need)
        except Indicator.DoesNotExist:
            raise NeedError(
                f"need {need!r} is neither 'index', a dimension ({', '.join(DIMENSION_CODES)}) nor an indicator code"
            ) from None
        observations = Observation.objects.filter(indicator=indicator, sex="", age_group="", disability="")
        if level:
            observations = observations.filter(area__level=level)
        if period is None:
            period = observations.order_by("-period_start").values_list("period", flat=True).first()
            if period is None:
                raise NeedError(f"indicator {need!r} has no observations")
        raw = dict(observations.filter(period=period).values_list("area_id", "value"))
        if indicator.higher_is_worse:
            values = {area_id: float(v) for area_id, v in raw.items()}
        else:
            # Higher is better: need is the distance below the best observed value.
            best = max(raw.values(), default=0.0)
            values = {area_id: float(best - v) for area_id, v in raw.items()}
        label = f"indicator {indicator.code}"
    if not values:
        raise NeedError(f"no need values for period {period}")
    year = parse_period(period).end.year
    populations = latest_populations(city, list(values), year)
    areas = dict(Area.objects.filter(pk__in=values).values_list("pk", "code"))
    codes, needs, pops, skipped = [], [], [], {}
    for area_id in sorted(values, key=lambda pk: areas[pk]):
        if area_id not in populations or populations[area_id] <= 0:
            skipped[areas[area_id]] = "no population"
            continue
        if values[area_id] < 0:
            skipped[areas[area_id]] = "negative need"
            continue
        codes.append(areas[area_id])
        needs.append(values[area_id])
        pops.append(float(populations[area_id]))
    if not codes:
        raise NeedError("no area has both a need value and a population")
    return NeedVector(codes=codes, need=needs, population=pops, period=period, label=label, skipped=skipped)
