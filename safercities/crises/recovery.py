"""Recovery tracking: each affected area's indicators against their pre-crisis baseline.

Baseline: the mean of the ``BASELINE_PERIODS`` periods that ended before the crisis started (fewer if
fewer exist). A value is *back to normal* when it is no worse than the baseline by more than
``TOLERANCE`` of the baseline (direction-aware: for a "higher is worse" indicator, value ≤ baseline ×
1.10). An indicator has *recovered since P* when P and every later period are back to normal; it is
*not yet* recovered when its latest period is not. docs/crises.md has the method.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from safercities.crises.models import Crisis
from safercities.indicators.models import Indicator, Observation

BASELINE_PERIODS = 3
TOLERANCE = 0.10

RECOVERED, NOT_YET, NO_BASELINE, NO_DATA = "recovered", "not_yet", "no_baseline", "no_data"


@dataclass(frozen=True)
class Point:
    period: str
    start: date
    end: date
    value: float


@dataclass(frozen=True)
class Recovery:
    status: str
    baseline: float | None = None
    baseline_periods: tuple[str, ...] = ()
    latest: Point | None = None
    since: str | None = None
    limit: float | None = None


def within(value: float, baseline: float, *, higher_is_worse: bool, tolerance: float = TOLERANCE) -> bool:
    """Is ``value`` back to normal: no worse than the baseline by more than ``tolerance`` of it?

    >>> within(10.9, 10, higher_is_worse=True), within(11.5, 10, higher_is_worse=True)
    (True, False)
    >>> within(9.2, 10, higher_is_worse=False), within(8.5, 10, higher_is_worse=False)
    (True, False)
    """
    band = tolerance * abs(baseline)
    return value <= baseline + band + 1e-12 if higher_is_worse else value >= baseline - band - 1e-12


def assess(
    points: Sequence[Point],
    crisis_start: date,
    *,
    higher_is_worse: bool,
    periods: int = BASELINE_PERIODS,
    tolerance: float = TOLERANCE,
) -> Recovery:
    """Baseline from the periods that ended before ``crisis_start``; recovery over those after it."""
    ordered = sorted(points, key=lambda p: p.start)
    before = [p for p in ordered if p.end < crisis_start][-periods:]
    after = [p for p in ordered if p.end >= crisis_start]
    if not before:
        return Recovery(NO_BASELINE, latest=after[-1] if after else None)
    baseline = sum(p.value for p in before) / len(before)
    band = tolerance * abs(baseline)
    limit = baseline + band if higher_is_worse else baseline - band
    names = tuple(p.period for p in before)
    if not after:
        return Recovery(NO_DATA, baseline, names, limit=limit)
    since = None
    for point in reversed(after):
        if not within(point.value, baseline, higher_is_worse=higher_is_worse, tolerance=tolerance):
            break
        since = point.period
    status = RECOVERED if since is not None else NOT_YET
    return Recovery(status, baseline, names, after[-1], since, limit)


def area_recovery(crisis: Crisis) -> list[dict[str, Any]]:
    """Per affected area, one row per indicator observed both before and after the start."""
    areas = list(crisis.areas.order_by("code"))
    observations = (
        Observation.objects.filter(
            city=crisis.city, area__in=areas, sex="", age_group="", disability="", indicator__is_public=True
        )
        .order_by("period_start")
        .values_list("area_id", "indicator_id", "period", "period_type", "period_start", "period_end", "value")
    )
    series: dict[tuple[int, int, str], list[Point]] = defaultdict(list)
    for area_id, indicator_id, period, period_type, start, end, value in observations:
        series[(area_id, indicator_id, period_type)].append(Point(period, start, end, value))
    indicators = {i.pk: i for i in Indicator.objects.filter(pk__in={key[1] for key in series})}
    out = []
    for area in areas:
        rows = []
        for (area_id, indicator_id, period_type), points in sorted(series.items(), key=lambda kv: kv[0][1:]):
            if area_id != area.pk:
                continue
            indicator = indicators[indicator_id]
            result = assess(points, crisis.started_on, higher_is_worse=indicator.higher_is_worse)
            if result.status in (NO_BASELINE, NO_DATA):
                continue
            rows.append({"indicator": indicator, "period_type": period_type, "result": result})
        rows.sort(key=lambda r: (r["indicator"].pk != crisis.indicator_id, r["indicator"].code))
        recovered = sum(1 for r in rows if r["result"].status == RECOVERED)
        out.append({"area": area, "rows": rows, "recovered": recovered, "total": len(rows)})
    return out
