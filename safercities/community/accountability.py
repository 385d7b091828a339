"""Working-group recommendations with a government response: the ``recommendations-answered`` indicator.

Per quarter, of the recommendations **made up to the quarter's last day**, the share that have a
**recorded government response by that day**. A response is an :class:`~safercities.community.models.Action`
linked to the recommendation, whatever its status: planned or in progress (accepted), done, or dropped
(rejected, with its reasons in its description and updates) — the catalogue's "accepted, rejected with
reasons, or in progress". The day of a response is the day its first action was recorded (never
before the recommendation's own day). Days are in the city's time zone.

Written for the whole city (its city-level area, with every recommendation) and for each area a
recommendation is tied to through its appraisal (a recommendation from a meeting has no one area: it
counts for the city only), from the quarter of the first recommendation to the current quarter. The
share is cumulative, so it carries on unchanged through quarters in which nothing happened.

``numerator`` (answered) and ``denominator`` (made) are stored, so the public outputs can apply their
small-count rule. A cell already held by another source (an import, the demo generator) is never
overwritten; a cell of ours that no longer has recommendations is deleted. docs/community.md explains
the method.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from safercities.analytics.periods import Period, quarter_period
from safercities.community.models import Action, Recommendation
from safercities.indicators.models import Indicator, Observation
from safercities.places.models import City
from safercities.portal.queries import city_area

CODE = "recommendations-answered"
SOURCE = "Working groups (recommendations and actions)"


@dataclass(frozen=True)
class Tally:
    """Recommendations made by a day, and how many of them had a response by then."""

    made: int
    answered: int

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.answered / self.made, 4) if self.made else None


@dataclass(frozen=True)
class Result:
    written: int = 0  # cells created or changed
    unchanged: int = 0
    removed: int = 0
    kept_other_source: int = 0
    missing_indicator: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


def tally(history: Iterable[tuple[date, date | None]], end: date) -> Tally:
    """Count ``(made on, answered on)`` pairs as of ``end`` (both days inclusive).

    >>> tally([(date(2025, 1, 5), date(2025, 3, 31)), (date(2025, 2, 1), date(2025, 4, 1))], date(2025, 3, 31))
    Tally(made=2, answered=1)
    """
    made = answered = 0
    for made_on, answered_on in history:
        if made_on <= end:
            made += 1
            answered += answered_on is not None and answered_on <= end
    return Tally(made, answered)


def quarter_of(day: date) -> Period:
    return quarter_period(day.year, (day.month - 1) // 3 + 1)


def quarters(first: date, last: date) -> list[Period]:
    """Every quarter from the one holding ``first`` to the one holding ``last``."""
    out, period = [], quarter_of(first)
    while period.start <= last:
        out.append(period)
        period = quarter_of(period.end + timedelta(days=1))
    return out


def _zone(city: City) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(city.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _local_day(moment: datetime, zone: zoneinfo.ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def histories(city: City) -> dict[int | None, list[tuple[date, date | None]]]:
    """Area id (None: the whole city) → the ``(made on, answered on)`` of each of its recommendations."""
    zone = _zone(city)
    first_response = dict(
        Action.objects.filter(city=city, recommendation__isnull=False)
        .values("recommendation")
        .annotate(first=Min("created_at"))
        .values_list("recommendation", "first")
    )
    out: dict[int | None, list[tuple[date, date | None]]] = defaultdict(list)
    rows = Recommendation.objects.filter(city=city).values_list("pk", "created_at", "appraisal__area")
    for pk, created_at, area_id in rows:
        made_on = _local_day(created_at, zone)
        responded = first_response.get(pk)
        answered_on = max(made_on, _local_day(responded, zone)) if responded is not None else None
        out[None].append((made_on, answered_on))
        if area_id is not None:
            out[area_id].append((made_on, answered_on))
    return out


def recompute(city: City, *, today: date | None = None) -> Result:
    """Rewrite the city's ``recommendations-answered`` observations from its recommendations and actions."""
    indicator = Indicator.objects.filter(city=city, code=CODE).first()
    if indicator is None:  # the city removed it from its indicators: nothing to write
        return Result(missing_indicator=True)
    today = today or timezone.localdate(timezone=_zone(city))
    with transaction.atomic():
        # One recompute per city at a time (two saves at once would both create the same cell); NO KEY
        # UPDATE does not wait for imports, which hold the city FOR KEY SHARE.
        list(City.objects.select_for_update(no_key=True).filter(pk=city.pk).values_list("pk", flat=True))
        whole = city_area(city)
        wanted: dict[tuple[int, str], tuple[Period, Tally]] = {}
        for area_id, history in histories(city).items():
            if area_id is None and whole is None:
                continue  # a city without a city-level area has no row for the whole city
            if whole is not None and area_id == whole.pk:
                continue  # recommendations on the city area itself are counted in the whole city's rows
            target = whole.pk if area_id is None else area_id
            first = min(made_on for made_on, _answered in history)
            for period in quarters(first, max(today, first)):
                wanted[(target, period.code)] = (period, tally(history, period.end))
        cells = Observation.objects.filter(indicator=indicator, sex="", age_group="", disability="")
        ours = {
            (o.area_id, o.period): o for o in cells.filter(quality=Observation.COMMUNITY, source__startswith=SOURCE)
        }
        others = set(cells.exclude(pk__in=[o.pk for o in ours.values()]).values_list("area_id", "period"))
        stale = [o.pk for key, o in ours.items() if key not in wanted]
        Observation.objects.filter(pk__in=stale).delete()
        new, changed, unchanged, kept = [], [], 0, 0
        for (area_id, code), (period, counts) in wanted.items():
            if (area_id, code) in others:
                kept += 1  # another source's value is kept, as the surveys and the walks do
                continue
            values = {
                "value": counts.percent,
                "numerator": float(counts.answered),
                "denominator": float(counts.made),
                "source": f"{SOURCE}: {counts.answered} of {counts.made} answered",
            }
            existing = ours.get((area_id, code))
            if existing is None:
                new.append(
                    Observation(
                        city=city,
                        indicator=indicator,
                        area_id=area_id,
                        period=code,
                        period_type=period.kind,
                        period_start=period.start,
                        period_end=period.end,
                        quality=Observation.COMMUNITY,
                        **values,
                    )
                )
            elif any(getattr(existing, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(existing, name, value)
                changed.append(existing)
            else:
                unchanged += 1
        Observation.objects.bulk_create(new)
        Observation.objects.bulk_update(changed, ["value", "numerator", "denominator", "source"])
    return Result(
        written=len(new) + len(changed),
        unchanged=unchanged,
        removed=len(stale),
        kept_other_source=kept,
    )
