"""Early warning on the Django side: observation rows → detectors → stored, deduplicated alerts.

Three kinds (docs/methodology-early-warning.md):

- ``exceedance``: the improved Farrington method on monthly incident counts (the numerators of the
  observations that incident aggregation writes, ``source = "incidents"``) for every area and every
  indicator that counts incidents; the newest ``EVALUATE_LAST`` months are evaluated.
- ``threshold``: an indicator's latest value per area against its amber/red levels.
- ``trend``: Mann-Kendall with Sen's slope over the last 12 monthly (or up to 12 annual) values, when
  the trend goes in the indicator's worse direction.

Alerts are keyed by (indicator, area, period, kind): recomputing updates the numbers of an existing
alert and never resets its life cycle (an acknowledged alert stays acknowledged).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from safercities.analytics.early_warning import (
    AlertCandidate,
    Farrington,
    SustainedTrend,
    ThresholdRule,
    deduplicate,
    from_detections,
    from_threshold,
    from_trend,
)
from safercities.analytics.periods import parse_period, shift
from safercities.indicators.models import Indicator, Observation
from safercities.monitoring.models import Alert
from safercities.places.models import Area, City

EVALUATE_LAST = 3
TREND_PERIODS = 12
MIN_ANNUAL_TREND = 5
AGGREGATED_SOURCE = "incidents"


def _month_range(first: str, last: str) -> list[str]:
    period, end = parse_period(first), parse_period(last)
    codes = []
    while period.start <= end.start:
        codes.append(period.code)
        period = shift(period, 1)
    return codes


def incident_count_series(city: City) -> dict[tuple[str, str], pd.Series]:
    """(indicator code, area code) → monthly counts over the city's whole month range (0 = none)."""
    rows = Observation.objects.filter(
        city=city, source=AGGREGATED_SOURCE, period_type="month", sex="", age_group="", disability=""
    ).values_list("indicator__code", "area__code", "period", "numerator", "value")
    cells: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    months: set[str] = set()
    for indicator, area, period, numerator, value in rows.iterator(chunk_size=20000):
        cells[(indicator, area)][period] = float(numerator if numerator is not None else value)
        months.add(period)
    if not months:
        return {}
    index = _month_range(min(months), max(months))
    return {key: pd.Series(values, dtype=float).reindex(index, fill_value=0.0) for key, values in cells.items()}


def history_years(months: int, *, window: int = 1, most: int = 5) -> int:
    """Years of reference values (Farrington's ``b``) a monthly series of this length allows.

    Noufaily et al. use five years; a city with four years of data can still be monitored with three
    (the newest period needs ``b`` full years plus the window before it).
    """
    return max(1, min(most, (months - window - 1) // 12))


def exceedance_candidates(city: City, *, last: int = EVALUATE_LAST) -> list[AlertCandidate]:
    candidates: list[AlertCandidate] = []
    series_by_key = incident_count_series(city)
    if not series_by_key:
        return candidates
    length = len(next(iter(series_by_key.values())))
    detector = Farrington("month", b=history_years(length - last + 1))
    for (indicator, area), series in sorted(series_by_key.items()):
        result = detector.fit(series).detect(last=last)
        candidates.extend(from_detections(indicator, area, result))
    return candidates


def _latest_totals(city: City) -> dict[tuple[str, str], list[tuple[Any, str, str, float]]]:
    """(indicator, area) → [(period start, period, period type, value)] oldest first (totals only)."""
    rows = (
        Observation.objects.filter(city=city, sex="", age_group="", disability="")
        .order_by("period_start")
        .values_list("indicator__code", "area__code", "period_start", "period", "period_type", "value")
    )
    series: dict[tuple[str, str], list[tuple[Any, str, str, float]]] = defaultdict(list)
    for indicator, area, start, period, kind, value in rows.iterator(chunk_size=50000):
        series[(indicator, area)].append((start, period, kind, value))
    return series


def threshold_and_trend_candidates(city: City) -> list[AlertCandidate]:
    indicators = {i.code: i for i in Indicator.objects.filter(city=city)}
    candidates: list[AlertCandidate] = []
    for (code, area), points in sorted(_latest_totals(city).items()):
        indicator = indicators.get(code)
        if indicator is None:
            continue
        worse = "higher" if indicator.higher_is_worse else "lower"
        _start, period, _kind, value = points[-1]
        if indicator.threshold_amber is not None or indicator.threshold_red is not None:
            rule = ThresholdRule(indicator.threshold_amber, indicator.threshold_red, worse, indicator.unit)
            candidates.append(from_threshold(code, area, period, rule.evaluate(value)))
        kinds = {kind for _s, _p, kind, _v in points}
        kind = "month" if "month" in kinds else ("year" if "year" in kinds else None)
        if kind is None:
            continue
        same = [(p, v) for _s, p, k, v in points if k == kind]
        needed = TREND_PERIODS if kind == "month" else MIN_ANNUAL_TREND
        if len(same) < needed:
            continue
        window = same[-TREND_PERIODS:]
        values = np.array([v for _p, v in window], dtype=float)
        detector = SustainedTrend(last=len(window), worse=worse, unit=kind).fit(values)
        candidates.append(from_trend(code, area, window[-1][0], detector.detect()))
    return [c for c in candidates if c is not None]


def store_alerts(city: City, candidates: list[AlertCandidate]) -> dict[str, int]:
    """Upsert alert candidates by their key; never touches an alert's status."""
    unique = deduplicate(candidates)
    indicators = dict(Indicator.objects.filter(city=city).values_list("code", "pk"))
    areas = dict(Area.objects.filter(city=city).values_list("code", "pk"))
    existing = {
        (a.indicator_id, a.area_id, a.period, a.kind): a
        for a in Alert.objects.filter(city=city).only(
            "id", "indicator_id", "area_id", "period", "kind", "severity", "observed", "expected", "upper"
        )
    }
    created, updated, unchanged = [], [], 0
    now = timezone.now()
    for c in unique:
        key = (indicators[c.indicator], areas[c.area], c.period, c.kind)
        observed = c.observed if c.observed is not None else (c.expected or 0.0)
        alert = existing.get(key)
        if alert is None:
            created.append(
                Alert(
                    city=city,
                    indicator_id=key[0],
                    area_id=key[1],
                    period=c.period,
                    kind=c.kind,
                    severity=c.severity,
                    observed=observed,
                    expected=c.expected,
                    upper=c.upper,
                    explanation=c.explanation,
                    created_at=now,
                    updated_at=now,
                )
            )
        elif (alert.severity, alert.observed, alert.expected, alert.upper) != (
            c.severity,
            observed,
            c.expected,
            c.upper,
        ):
            alert.severity, alert.observed, alert.expected, alert.upper = c.severity, observed, c.expected, c.upper
            alert.explanation, alert.updated_at = c.explanation, now
            updated.append(alert)
        else:
            unchanged += 1
    with transaction.atomic():
        Alert.objects.bulk_create(created, batch_size=1000)
        Alert.objects.bulk_update(
            updated, ["severity", "observed", "expected", "upper", "explanation", "updated_at"], batch_size=1000
        )
    return {"alerts_created": len(created), "alerts_updated": len(updated), "alerts_unchanged": unchanged}


def compute_alerts(city: City) -> dict[str, int]:
    candidates = exceedance_candidates(city) + threshold_and_trend_candidates(city)
    return store_alerts(city, candidates)
