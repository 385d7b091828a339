"""Read-side vocabulary of the reports app: public lists, the staff queue, accountability, the map."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from safercities.places.models import Area, City
from safercities.portal.maps import PAD, Frame, geometry_of
from safercities.portal.queries import map_levels
from safercities.reports.disclosure import public_location
from safercities.reports.models import Department, Report

SMALL_COUNT = 5  # accountability figures of a department with fewer reports are withheld


def public_reports(city: City) -> QuerySet[Report]:
    """Published, not merged: the only reports any public output may show."""
    return (
        Report.objects.filter(city=city, moderation=Report.PUBLISHED, merged_into__isnull=True)
        .select_related("category", "area", "department", "city")
        .annotate(support_count=Count("supports", distinct=True))
        .order_by("-created_at", "-id")
    )


def staff_queue(city: City, params: dict[str, str]) -> QuerySet[Report]:
    rows = Report.objects.filter(city=city).select_related("category", "area", "department", "merged_into")
    moderation = params.get("moderation", "open")
    if moderation == "open":
        rows = rows.filter(merged_into__isnull=True).exclude(moderation__in=[Report.SPAM, Report.REJECTED])
    elif moderation in {m for m, _l in Report.MODERATION}:
        rows = rows.filter(moderation=moderation)
    status = params.get("status", "")
    if status in {s for s, _l in Report.STATUSES}:
        rows = rows.filter(status=status)
    department = params.get("department", "")
    if department.isdigit():
        rows = rows.filter(department_id=int(department))
    elif department == "none":
        rows = rows.filter(department__isnull=True)
    return rows.order_by("-created_at", "-id")


# --- accountability --------------------------------------------------------------------------------


@dataclass
class DepartmentFigures:
    """Public accountability figures of one department (``None`` where withheld or not computable)."""

    name: str
    reports: int
    withheld: bool
    median_first_response_days: float | None = None
    median_resolution_days: float | None = None
    share_resolved: float | None = None
    waiting: int | None = None


def _median_days(deltas: list[Any]) -> float | None:
    if not deltas:
        return None
    return round(statistics.median(d.total_seconds() for d in deltas) / 86400, 1)


def accountability(city: City) -> list[DepartmentFigures]:
    """Per department: median days to first response and to resolution, share resolved.

    Counted: the city's reports that are not spam, not rejected and not merged into another (a merged
    duplicate counts once, through its original). A department with fewer than five such reports shows
    only that it has "fewer than 5" (small-count suppression, as everywhere in public outputs).
    """
    rows = list(
        Report.objects.filter(city=city, merged_into__isnull=True)
        .exclude(moderation__in=[Report.SPAM, Report.REJECTED])
        .values_list("department_id", "created_at", "first_response_at", "resolved_at")
    )
    by_department: dict[int | None, list[tuple]] = {}
    for department_id, *times in rows:
        by_department.setdefault(department_id, []).append(tuple(times))
    names = dict(Department.objects.filter(city=city).values_list("id", "name"))
    out = []
    for department_id, name in sorted(names.items(), key=lambda item: item[1]):
        items = by_department.get(department_id, [])
        n = len(items)
        figures = DepartmentFigures(name=name, reports=n, withheld=n < SMALL_COUNT)
        if n and not figures.withheld:
            figures.median_first_response_days = _median_days([f - c for c, f, _r in items if f is not None])
            figures.median_resolution_days = _median_days([r - c for c, _f, r in items if r is not None])
            figures.share_resolved = round(sum(1 for *_x, r in items if r is not None) / n, 3)
            figures.waiting = sum(1 for _c, f, _r in items if f is None)
        out.append(figures)
    return out


# --- the SVG map -------------------------------------------------------------------------------------


@dataclass
class ReportMap:
    width: float
    height: float
    shapes: list[dict[str, str]] = field(default_factory=list)
    dots: list[dict[str, Any]] = field(default_factory=list)
    frame: dict[str, float] = field(default_factory=dict)


def report_map(city: City, reports: list[Report] | None = None, *, tolerance: float = 1.0) -> ReportMap | None:
    """The city's finest polygon level as SVG paths, with a dot per report at its *public* location."""
    levels = map_levels(city)
    if not levels:
        return None
    areas = list(Area.objects.filter(city=city, level=levels[-1]).only("id", "code", "name", "geometry"))
    geometries = [(a, geometry_of(a.geometry)) for a in areas]
    geometries = [(a, g) for a, g in geometries if g is not None]
    if not geometries:
        return None
    frame = Frame.around([g for _a, g in geometries])
    out = ReportMap(
        width=frame.width,
        height=frame.height,
        frame={
            key: float(value)
            for key, value in (
                ("min_lon", frame.min_lon),
                ("max_lat", frame.max_lat),
                ("kx", frame.kx),
                ("scale", frame.scale),
                ("pad", PAD),
            )
        },
    )
    for area, geometry in geometries:
        out.shapes.append({"code": area.code, "name": area.name, "path": frame.path(geometry, tolerance)})
    import numpy as np

    for report in reports or []:
        place = public_location(report)
        if place["lat"] is None:
            continue
        x, y = frame.project(np.array([[place["lon"], place["lat"]]]))[0]
        out.dots.append(
            {"x": round(float(x), 1), "y": round(float(y), 1), "report": report, "sensitive": report.category.sensitive}
        )
    return out


def has_filters(params: dict[str, str]) -> bool:
    return any(params.get(k) for k in ("category", "status"))


def filter_public(rows: QuerySet[Report], params: dict[str, str]) -> QuerySet[Report]:
    category = params.get("category", "")
    if category and len(category) <= 64:
        rows = rows.filter(category__code=category)
    status = params.get("status", "")
    if status == "open":
        rows = rows.filter(status__in=Report.OPEN_STATUSES)
    elif status == "closed":
        rows = rows.filter(~Q(status__in=Report.OPEN_STATUSES))
    return rows
