"""Need against coverage for each affected area of a crisis: the numbers behind the gap map and table.

Need is the latest composite-index score of the area (0–10, higher is less secure) with its
dimensions, the incidents recorded in the crisis period and, when the resident-reports app is
installed, the reports received in it. Coverage is the 4W: organisations, activities and people
reached, by sector. docs/crises.md ("Gap analysis") explains the classes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safercities.crises.models import REACHED_FIELDS, Activity, Crisis
from safercities.incidents.models import Incident
from safercities.monitoring.analysis import latest_populations
from safercities.monitoring.models import IndexResult
from safercities.places.models import Area
from safercities.portal import maps

# One in ten residents reached counts as good coverage (docs/crises.md).
GOOD_REACH = 0.10
COUNTED_STATUSES = (Activity.ONGOING, Activity.COMPLETED)

CRITICAL, UNDER, MET, LOW, NODATA = "critical", "under", "met", "low", "nodata"
GAP_CLASSES: tuple[tuple[str, Any, str], ...] = (
    (CRITICAL, _("high need, no coverage"), "#b2182b"),
    (UNDER, _("need above coverage"), "#ef8a62"),
    (MET, _("coverage matches need"), "#67a9cf"),
    (LOW, _("low need, no coverage"), "#f7f7f7"),
    (NODATA, _("no need score"), maps.NO_DATA),
)
NOT_AFFECTED = "#d9d9d9"


@dataclass
class AreaGap:
    area: Area
    score: float | None = None
    dimensions: dict[str, float | None] = field(default_factory=dict)
    incidents: int = 0
    reports: int | None = None
    population: int | None = None
    organisations: int = 0
    activities: int = 0
    planned: int = 0
    reached: int = 0
    by_sector: dict[str, int] = field(default_factory=dict)
    need: str | None = None  # high, medium, low
    coverage: str = "none"  # none, low, good
    gap: str = NODATA

    @property
    def reach_share(self) -> float | None:
        if not self.population:
            return None
        return self.reached / self.population

    @property
    def reach_percent(self) -> float | None:
        share = self.reach_share
        return None if share is None else 100 * share


def need_class(score: float | None, low_cut: float, high_cut: float) -> str | None:
    """High when at or above the city's upper tercile of scores, low at or below the lower one."""
    if score is None or not math.isfinite(score):
        return None
    if score >= high_cut:
        return "high"
    if score <= low_cut:
        return "low"
    return "medium"


def coverage_class(activities: int, reached: int, population: int | None) -> str:
    """None without a counted activity; good when at least GOOD_REACH of the residents were reached."""
    if activities == 0:
        return "none"
    if population and reached / population >= GOOD_REACH:
        return "good"
    return "low"


def gap_class(need: str | None, coverage: str) -> str:
    """The cell of need × coverage the gap map colours."""
    if need is None:
        return NODATA
    if need == "high":
        return {"none": CRITICAL, "low": UNDER}.get(coverage, MET)
    if need == "medium":
        return UNDER if coverage == "none" else MET
    return LOW if coverage == "none" else MET


def terciles(scores: Sequence[float]) -> tuple[float, float]:
    """The 1/3 and 2/3 quantiles (linear interpolation) of the scores."""
    if not scores:
        return (math.inf, math.inf)
    low, high = np.quantile(np.asarray(scores, dtype=float), [1 / 3, 2 / 3])
    return float(low), float(high)


def affected_areas(crisis: Crisis) -> list[Area]:
    return list(crisis.areas.order_by("code"))


def _period_end(crisis: Crisis, as_of: date | None) -> date:
    end = as_of or crisis.ended_on or timezone.localdate()
    return min(end, crisis.ended_on) if crisis.ended_on else end


def index_scores(
    crisis: Crisis, areas: Sequence[Area], as_of: date | None
) -> tuple[str | None, dict[int, IndexResult], list[float]]:
    """The latest default-index period (not after ``as_of``'s year), results per area, and all scores of that level."""
    results = IndexResult.objects.filter(city=crisis.city, definition__is_default=True)
    levels = {a.level for a in areas}
    if levels:
        results = results.filter(level__in=levels)
    periods = sorted(set(results.values_list("period", flat=True)), reverse=True)
    if as_of is not None:
        periods = [p for p in periods if p[:4].isdigit() and int(p[:4]) <= as_of.year] or periods
    if not periods:
        return None, {}, []
    chosen = list(results.filter(period=periods[0]))
    scores = [r.score for r in chosen if r.score is not None]
    return periods[0], {r.area_id: r for r in chosen}, scores


def reports_by_area(crisis: Crisis, area_ids: list[int], start: datetime, end: datetime) -> dict[int, int] | None:
    """Resident reports in the period per area, when the reports app provides them (else None)."""
    try:
        from safercities.reports.models import Report
    except ImportError:  # pragma: no cover - the app is optional
        return None
    try:
        with transaction.atomic():  # a savepoint: a failed query must not poison the request's transaction
            rows = (
                Report.objects.filter(city=crisis.city, area_id__in=area_ids, created_at__gte=start, created_at__lt=end)
                .values("area_id")
                .annotate(n=Count("id"))
            )
            return {row["area_id"]: row["n"] for row in rows}
    except Exception:  # pragma: no cover - a schema in flux must not break the dashboard
        return None


def compute(crisis: Crisis, *, as_of: date | None = None) -> tuple[list[AreaGap], dict[str, Any]]:
    """One :class:`AreaGap` per affected area, and facts about the computation for the notes."""
    areas = affected_areas(crisis)
    end_day = _period_end(crisis, as_of)
    zone = timezone.get_current_timezone()
    start = datetime.combine(crisis.started_on, time.min, tzinfo=zone)
    end = datetime.combine(end_day, time.max, tzinfo=zone)
    period, results, level_scores = index_scores(crisis, areas, as_of)
    low_cut, high_cut = terciles(level_scores)
    area_ids = [a.pk for a in areas]
    incidents = dict(
        Incident.objects.filter(city=crisis.city, area_id__in=area_ids, occurred_at__gte=start, occurred_at__lte=end)
        .values("area_id")
        .annotate(n=Count("id"))
        .values_list("area_id", "n")
    )
    reports = reports_by_area(crisis, area_ids, start, end)
    populations = latest_populations(crisis.city, area_ids, end_day.year)
    activities = crisis.activities.filter(area_id__in=area_ids, start__lte=end_day)
    counted: dict[int, list[Activity]] = defaultdict(list)
    planned: dict[int, int] = defaultdict(int)
    for activity in activities:
        if activity.status in COUNTED_STATUSES:
            counted[activity.area_id].append(activity)
        else:
            planned[activity.area_id] += 1
    rows = []
    for area in areas:
        result = results.get(area.pk)
        mine = counted.get(area.pk, [])
        row = AreaGap(
            area=area,
            score=result.score if result else None,
            dimensions=dict(result.dimensions or {}) if result else {},
            incidents=incidents.get(area.pk, 0),
            reports=None if reports is None else reports.get(area.pk, 0),
            population=populations.get(area.pk),
            organisations=len({a.organisation_id for a in mine}),
            activities=len(mine),
            planned=planned.get(area.pk, 0),
            reached=sum(a.reached for a in mine),
        )
        for activity in mine:
            row.by_sector[activity.sector] = row.by_sector.get(activity.sector, 0) + 1
        row.need = need_class(row.score, low_cut, high_cut)
        row.coverage = coverage_class(row.activities, row.reached, row.population)
        row.gap = gap_class(row.need, row.coverage)
        rows.append(row)
    facts = {
        "period": period,
        "low_cut": low_cut if math.isfinite(low_cut) else None,
        "high_cut": high_cut if math.isfinite(high_cut) else None,
        "start": crisis.started_on,
        "end": end_day,
        "reports_available": reports is not None,
        "good_reach": GOOD_REACH,
    }
    return rows, facts


def sector_summary(crisis: Crisis, as_of: date | None = None) -> list[dict[str, Any]]:
    """Per sector: organisations, activities by status and people reached (4W summary)."""
    activities = crisis.activities.all()
    if as_of is not None:
        activities = activities.filter(start__lte=as_of)
    table: dict[str, dict[str, Any]] = {}
    for activity in activities.select_related("organisation"):
        row = table.setdefault(
            activity.sector,
            {"sector": activity.sector, "orgs": set(), "planned": 0, "ongoing": 0, "completed": 0, "reached": 0},
        )
        row["orgs"].add(activity.organisation_id)
        row[activity.status] += 1
        if activity.status in COUNTED_STATUSES:
            row["reached"] += activity.reached
    out = []
    for sector, row in sorted(table.items()):
        out.append(
            {**row, "organisations": len(row.pop("orgs")), "label": Activity(sector=sector).get_sector_display()}
        )
    return out


def reached_breakdown(crisis: Crisis) -> dict[str, int]:
    """People reached by sex and age over the counted activities."""
    totals = dict.fromkeys(REACHED_FIELDS, 0)
    for activity in crisis.activities.filter(status__in=COUNTED_STATUSES):
        for name in REACHED_FIELDS:
            totals[name] += getattr(activity, name)
    return totals


@dataclass(frozen=True)
class GapMap:
    width: float
    height: float
    shapes: list[maps.Shape]
    legend: list[tuple[str, str, str, int]]  # key, label, colour, count

    @property
    def empty(self) -> bool:
        return not self.shapes


def gap_map(crisis: Crisis, rows: Sequence[AreaGap], *, href: Any = None, tolerance: float = 0.6) -> GapMap:
    """All areas of the affected level; affected areas coloured by gap class, the rest grey."""
    by_pk = {row.area.pk: row for row in rows}
    levels = {row.area.level for row in rows}
    context = list(Area.objects.filter(city=crisis.city, level__in=levels).order_by("code")) if levels else []
    geometries = {area.pk: maps.geometry_of(area.geometry) for area in context}
    drawable = [a for a in context if geometries[a.pk] is not None]
    frame = maps.Frame.around(geometries[a.pk] for a in drawable)
    colours = {key: colour for key, _label, colour in GAP_CLASSES}
    labels = {key: label for key, label, _colour in GAP_CLASSES}
    shapes = []
    for area in drawable:
        row = by_pk.get(area.pk)
        if row is None:
            fill, title, css = NOT_AFFECTED, f"{area.name}: {_('not affected')}", "base"
        else:
            fill, title = colours[row.gap], f"{area.name}: {labels[row.gap]}"
            css = "critical" if row.gap == CRITICAL else ""
        shapes.append(
            maps.Shape(
                key=area.code,
                path=frame.path(geometries[area.pk], tolerance),
                fill=fill,
                title=title,
                href=href(area) if (href and row is not None) else "",
                css=css,
            )
        )
    # Draw the highlighted areas last so their outline sits on top.
    shapes.sort(key=lambda s: s.css == "critical")
    counts = defaultdict(int)
    for row in rows:
        counts[row.gap] += 1
    legend = [(key, str(label), colour, counts[key]) for key, label, colour in GAP_CLASSES]
    return GapMap(round(frame.width, 1), frame.height, shapes, legend)
