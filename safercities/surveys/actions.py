"""Verbs of the surveys app: open a round, take an answer sheet, (re)compute the observations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from safercities.analytics.periods import parse_period
from safercities.audit import trail
from safercities.indicators.models import Indicator, Observation
from safercities.places.models import Area, City
from safercities.surveys import analysis
from safercities.surveys.models import SurveyResponse, SurveyRound


def create_round(
    *,
    city: City,
    title: str,
    period: str,
    area_level: str,
    min_respondents: int = 5,
    is_open: bool = True,
    user: Any = None,
    request: HttpRequest | None = None,
) -> SurveyRound:
    """Open a survey round; the period is stored in its canonical code."""
    try:
        code = parse_period(period).code
    except ValueError as exc:
        raise ValidationError({"period": [str(exc)]}) from exc
    if not Area.objects.filter(city=city, level=area_level).exists():
        raise ValidationError({"area_level": [_("This city has no areas at that level.")]})
    if SurveyRound.objects.filter(city=city, period=code).exists():
        raise ValidationError({"period": [_("A survey round for this period already exists.")]})
    survey = SurveyRound.objects.create(
        city=city, title=title, period=code, area_level=area_level, min_respondents=min_respondents, is_open=is_open
    )
    trail.record(action="surveys.round_create", user=user, obj=survey, after=trail.snapshot(survey), request=request)
    return survey


def set_round_open(*, survey: SurveyRound, is_open: bool, user: Any = None, request: HttpRequest | None = None) -> None:
    before = trail.snapshot(survey)
    survey.is_open = is_open
    survey.save(update_fields=["is_open"])
    trail.record(
        action="surveys.round_open" if is_open else "surveys.round_close",
        user=user,
        obj=survey,
        before=before,
        after=trail.snapshot(survey),
        request=request,
    )


def submit_response(*, survey: SurveyRound, answers: dict[str, Any]) -> SurveyResponse:
    """Store one anonymous answer sheet (``answers`` are a valid form's cleaned data)."""
    if not survey.is_open:
        raise ValidationError(_("This survey is closed."))
    area = answers["area"]
    avoided_area = answers.get("avoided_area")
    for name, value in (("area", area), ("avoided_area", avoided_area)):
        if value is not None and value.city_id != survey.city_id:
            raise ValidationError({name: [_("Choose an area of this city.")]})
    return SurveyResponse.objects.create(
        city=survey.city,
        round=survey,
        area=area,
        avoided_area=avoided_area,
        day_feeling=answers["day_feeling"],
        night_feeling=answers["night_feeling"],
        places_avoided=sorted(set(answers.get("places_avoided") or [])),
        harassment=answers["harassment"],
        sex=answers["sex"],
        age_group=answers["age_group"],
        disability=answers["disability"],
        submitted_on=timezone.localdate(),
    )


@dataclass
class ComputeResult:
    written: int = 0
    withheld: int = 0
    kept_other_source: int = 0  # cells where an official/estimated value already exists (left alone)
    removed: int = 0
    missing_indicators: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "written": self.written,
            "withheld": self.withheld,
            "kept_other_source": self.kept_other_source,
            "removed": self.removed,
            "missing_indicators": self.missing_indicators,
        }


def compute_observations(*, survey: SurveyRound, user: Any = None, request: HttpRequest | None = None) -> ComputeResult:
    """Replace the round's community observations with the current estimates, all or nothing.

    Withheld cells are not written. A cell already held by a value from another source (an official
    survey) is left alone and counted, never overwritten.
    """
    period = parse_period(survey.period)
    result = ComputeResult()
    indicators = {i.code: i for i in Indicator.objects.filter(city=survey.city, code__in=list(analysis.OBSERVED))}
    result.missing_indicators = sorted(set(analysis.OBSERVED) - set(indicators))
    cells = analysis.results(survey)
    top = analysis.top_area(analysis.areas_of(survey))
    with transaction.atomic():
        SurveyRound.objects.select_for_update().filter(pk=survey.pk).first()
        mine = Observation.objects.filter(city=survey.city, source=survey.source_label, quality=Observation.COMMUNITY)
        result.removed = mine.count()
        mine.delete()
        taken = set(
            Observation.objects.filter(
                city=survey.city, indicator__in=indicators.values(), period=period.code
            ).values_list("indicator_id", "area_id", "sex", "age_group", "disability")
        )
        new = []
        for cell in cells:
            area = cell.area or top
            indicator = indicators.get(cell.indicator)
            if indicator is None or area is None:
                continue
            if cell.withheld:
                result.withheld += 1
                continue
            groups = {"sex": "", "age_group": "", "disability": ""}
            if cell.dimension:
                groups[cell.dimension] = cell.group
            key = (indicator.pk, area.pk, groups["sex"], groups["age_group"], groups["disability"])
            if key in taken:
                result.kept_other_source += 1
                continue
            taken.add(key)
            new.append(
                Observation(
                    city=survey.city,
                    indicator=indicator,
                    area=area,
                    period=period.code,
                    period_type=period.kind,
                    period_start=period.start,
                    period_end=period.end,
                    value=round(100 * cell.yes / cell.respondents, 4),
                    numerator=cell.yes,
                    denominator=cell.respondents,
                    quality=Observation.COMMUNITY,
                    source=survey.source_label,
                    **groups,
                )
            )
        Observation.objects.bulk_create(new)
        result.written = len(new)
        before = {"computed_at": survey.computed_at.isoformat() if survey.computed_at else None}
        survey.computed_at = timezone.now()
        survey.save(update_fields=["computed_at"])
        trail.record(
            action="surveys.compute",
            user=user,
            obj=survey,
            before=before,
            after={"computed_at": survey.computed_at.isoformat(), **result.as_dict()},
            request=request,
        )
        from safercities.jobs.queue import enqueue_on_commit

        enqueue_on_commit("compute", city=survey.city)
    return result
