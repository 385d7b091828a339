"""Which city (``jurisdiction_id``), which categories and which reports an Open311 call may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from safercities.places.models import City
from safercities.portal.queries import visible_city
from safercities.reports.models import Report, ReportCategory
from safercities.reports.queries import public_reports

MAX_RESULTS = 1000
MAX_SPAN = timedelta(days=90)


@dataclass(frozen=True)
class Problem:
    status: int
    description: str


def jurisdiction(request: HttpRequest, slug: str | None) -> City | Problem:
    """The city named by ``jurisdiction_id`` (its slug); without one, the only public city if there is one."""
    if slug:
        try:
            return visible_city(request.user, slug[:63])
        except Http404:
            return Problem(404, f"jurisdiction_id {slug[:63]!r} not found")
    public = list(City.objects.filter(is_public=True).order_by("pk")[:2])
    if len(public) == 1:
        return public[0]
    return Problem(400, "jurisdiction_id is required: give the city's slug")


def categories(city: City) -> QuerySet[ReportCategory]:
    return ReportCategory.objects.filter(city=city, active=True).select_related("dimension").order_by("code")


def _when(text: str, name: str) -> datetime | Problem:
    text = text.strip().replace(" ", "+")  # a "+" of an offset arrives as a space when the client did not encode it
    try:
        value = parse_datetime(text)
        if value is None and (day := parse_date(text)) is not None:  # W3C allows a date alone: midnight UTC
            value = datetime(day.year, day.month, day.day, tzinfo=UTC)
    except ValueError:
        value = None
    if value is None:
        return Problem(400, f"{name} must be a W3C datetime, e.g. 2026-01-01T00:00:00Z")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()][:100]


def requests(city: City, params: Any) -> QuerySet[Report] | Problem:
    """Published reports by the specification's filters; the newest ``MAX_RESULTS`` at most."""
    rows = public_reports(city).select_related("category", "area", "department").prefetch_related("updates")
    ids = _split(params.get("service_request_id", ""))
    if ids:  # "This overrides all other arguments."
        return rows.filter(reference__in=ids)[:MAX_RESULTS]
    codes = _split(params.get("service_code", ""))
    if codes:
        rows = rows.filter(category__code__in=codes)
    statuses = _split(params.get("status", "").lower())
    if statuses:
        if not set(statuses) <= {"open", "closed"}:
            return Problem(400, "status must be open or closed (comma-separated)")
        if statuses == ["open"]:
            rows = rows.filter(status__in=Report.OPEN_STATUSES)
        elif statuses == ["closed"]:
            rows = rows.exclude(status__in=Report.OPEN_STATUSES)
    start_text, end_text = params.get("start_date", ""), params.get("end_date", "")
    start = _when(start_text, "start_date") if start_text else None
    end = _when(end_text, "end_date") if end_text else None
    for value in (start, end):
        if isinstance(value, Problem):
            return value
    if start is None and end is None:
        end = timezone.now()
        start = end - MAX_SPAN
    elif start is None:
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    if end < start:
        return Problem(400, "end_date is before start_date")
    if end - start > MAX_SPAN:
        return Problem(400, "start_date and end_date may not span more than 90 days")
    return rows.filter(created_at__gte=start, created_at__lte=end)[:MAX_RESULTS]


def published_report(request: HttpRequest, reference: str, slug: str | None) -> Report | None:
    """One published report by its reference, in a city the caller may see."""
    report = (
        Report.objects.filter(reference=reference[:16], moderation=Report.PUBLISHED, merged_into__isnull=True)
        .select_related("city", "category", "area", "department")
        .first()
    )
    if report is None:
        return None
    if slug and report.city.slug != slug:
        return None
    try:
        visible_city(request.user, report.city.slug)
    except Http404:
        return None
    return report
