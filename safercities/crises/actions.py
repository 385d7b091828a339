"""Every change to a crisis goes through here: validated, written in one transaction, audited."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

import shapely
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from shapely.geometry import shape

from safercities.audit.trail import diff, record, snapshot
from safercities.crises.checklists import items_for
from safercities.crises.fourw import derived_ref
from safercities.crises.models import (
    Activity,
    ChecklistStatus,
    Crisis,
    Organisation,
    OrgType,
    Phase,
    PhaseChange,
    Scenario,
)
from safercities.places.models import Area, City
from safercities.portal import maps

MAX_GEOJSON_CHARS = 2_000_000


class DrawnAreaError(ValueError):
    """The pasted or uploaded outline cannot be used; the message says why."""


def outline_from_geojson(text: str) -> Any:
    """A shapely (multi)polygon from GeoJSON text: a geometry, a Feature or a FeatureCollection."""
    if len(text) > MAX_GEOJSON_CHARS:
        raise DrawnAreaError(f"the outline is longer than {MAX_GEOJSON_CHARS:,} characters")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise DrawnAreaError("the outline is not valid JSON") from None
    if not isinstance(data, dict):
        raise DrawnAreaError("the outline must be a GeoJSON object")
    if data.get("type") == "FeatureCollection":
        features = data.get("features")
        geometries = [f.get("geometry") for f in features if isinstance(f, dict)] if isinstance(features, list) else []
    elif data.get("type") == "Feature":
        geometries = [data.get("geometry")]
    else:
        geometries = [data]
    shapes = []
    for geometry in geometries:
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise DrawnAreaError("the outline must be a Polygon or MultiPolygon (in WGS 84 longitude, latitude)")
        try:
            polygon = shape(geometry)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError):
            raise DrawnAreaError("the polygon's coordinates cannot be read") from None
        if polygon.is_empty:
            raise DrawnAreaError("the polygon is empty")
        minx, miny, maxx, maxy = polygon.bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise DrawnAreaError("the coordinates are not longitude and latitude in degrees (WGS 84)")
        shapes.append(polygon if polygon.is_valid else shapely.make_valid(polygon).buffer(0))
    if not shapes:
        raise DrawnAreaError("the outline has no polygon")
    return shapely.union_all(shapes)


def areas_intersecting(city: City, outline: Any, level: str | None = None) -> list[Area]:
    """The city's areas (of ``level``, else of every level) whose boundary overlaps the outline."""
    areas = Area.objects.filter(city=city).exclude(geometry=None)
    if level:
        areas = areas.filter(level=level)
    minx, miny, maxx, maxy = outline.bounds
    areas = (
        areas.exclude(min_lon__gt=maxx).exclude(max_lon__lt=minx).exclude(min_lat__gt=maxy).exclude(max_lat__lt=miny)
    )
    found = []
    for area in areas.order_by("code"):
        geometry = maps.geometry_of(area.geometry)
        if geometry is not None and geometry.intersects(outline) and geometry.intersection(outline).area > 0:
            found.append(area)
    return found


def _audit(action: str, request: HttpRequest | None, obj: Any, before: dict | None = None) -> None:
    after = snapshot(obj)
    if before is not None:
        before, after = diff(before, after)
    record(action=action, request=request, obj=obj, before=before, after=after)


@transaction.atomic
def declare(
    city: City,
    *,
    request: HttpRequest | None,
    name: str,
    hazard: str,
    phase: str,
    started_on: date,
    areas: Iterable[Area],
    description: str = "",
    drawn: dict | None = None,
    alert: Any = None,
    indicator: Any = None,
) -> Crisis:
    user = getattr(request, "user", None)
    crisis = Crisis.objects.create(
        city=city,
        name=name,
        hazard=hazard,
        phase=phase,
        description=description,
        started_on=started_on,
        drawn_geometry=drawn,
        alert=alert,
        indicator=indicator or (alert.indicator if alert is not None else None),
        declared_by=user if user is not None and user.is_authenticated else None,
    )
    crisis.areas.set(list(areas))
    PhaseChange.objects.create(city=city, crisis=crisis, phase=phase, note="declared", changed_by=crisis.declared_by)
    record(
        action="crises.declare",
        request=request,
        obj=crisis,
        after={**snapshot(crisis), "areas": sorted(a.code for a in crisis.areas.all())},
    )
    return crisis


@transaction.atomic
def update(crisis: Crisis, *, request: HttpRequest, fields: dict[str, Any], areas: Iterable[Area] | None) -> Crisis:
    before = {**snapshot(crisis), "areas": sorted(crisis.areas.values_list("code", flat=True))}
    for key, value in fields.items():
        setattr(crisis, key, value)
    crisis.updated_at = timezone.now()
    crisis.save()
    if areas is not None:
        crisis.areas.set(list(areas))
    after = {**snapshot(crisis), "areas": sorted(crisis.areas.values_list("code", flat=True))}
    record(
        action="crises.update", request=request, obj=crisis, before=diff(before, after)[0], after=diff(before, after)[1]
    )
    return crisis


@transaction.atomic
def change_phase(crisis: Crisis, *, request: HttpRequest, phase: str, note: str = "") -> bool:
    if phase not in Phase.values or phase == crisis.phase:
        return False
    before = snapshot(crisis)
    crisis.phase = phase
    crisis.updated_at = timezone.now()
    crisis.save(update_fields=["phase", "updated_at"])
    PhaseChange.objects.create(city=crisis.city, crisis=crisis, phase=phase, note=note, changed_by=request.user)
    _audit("crises.phase", request, crisis, before)
    return True


@transaction.atomic
def end(crisis: Crisis, *, request: HttpRequest, ended_on: date) -> None:
    before = snapshot(crisis)
    crisis.ended_on = max(ended_on, crisis.started_on)
    crisis.updated_at = timezone.now()
    crisis.save(update_fields=["ended_on", "updated_at"])
    _audit("crises.end", request, crisis, before)


@transaction.atomic
def set_published(crisis: Crisis, *, request: HttpRequest, published: bool) -> None:
    before = snapshot(crisis)
    crisis.is_published = published
    crisis.save(update_fields=["is_published"])
    _audit("crises.publish" if published else "crises.unpublish", request, crisis, before)


@transaction.atomic
def set_checklist(crisis: Crisis, *, request: HttpRequest, statuses: dict[tuple[int, str], str]) -> int:
    """Store the statuses ``{(area id, item key): status}``; returns how many changed."""
    allowed_items = {item.key for item in items_for(crisis.hazard)}
    allowed_areas = set(crisis.areas.values_list("pk", flat=True))
    valid = {s for s, _label in ChecklistStatus.STATUSES}
    existing = {(s.area_id, s.item): s for s in ChecklistStatus.objects.filter(crisis=crisis)}
    changed = []
    for (area_id, item), status in statuses.items():
        if area_id not in allowed_areas or item not in allowed_items or status not in valid:
            continue
        row = existing.get((area_id, item))
        if row is None:
            if status == ChecklistStatus.NOT_STARTED:
                continue
            row = ChecklistStatus(city=crisis.city, crisis=crisis, area_id=area_id, item=item)
        elif row.status == status:
            continue
        changed.append({"area": area_id, "item": item, "from": row.status if row.pk else None, "to": status})
        row.status, row.updated_by, row.updated_at = status, request.user, timezone.now()
        row.save()
    if changed:
        record(action="crises.checklist", request=request, obj=crisis, after={"changes": changed})
    return len(changed)


@transaction.atomic
def save_scenario(crisis: Crisis, *, request: HttpRequest, **fields: Any) -> Scenario:
    scenario = Scenario.objects.create(city=crisis.city, crisis=crisis, created_by=request.user, **fields)
    _audit("crises.scenario_create", request, scenario)
    return scenario


@transaction.atomic
def delete_scenario(scenario: Scenario, *, request: HttpRequest) -> None:
    record(action="crises.scenario_delete", request=request, obj=scenario, before=snapshot(scenario))
    scenario.delete()


@transaction.atomic
def add_activity(crisis: Crisis, *, request: HttpRequest, data: dict[str, Any]) -> Activity:
    """Save one typed-in activity (and its new organisation); its code is derived like an import's."""
    organisation = data.get("organisation")
    if organisation is None:
        organisation = Organisation.objects.create(
            city=crisis.city,
            name=data["new_organisation"].strip(),
            acronym=(data.get("new_acronym") or "").strip(),
            org_type=data.get("new_type") or OrgType.OTHER,
        )
        _audit("crises.organisation_create", request, organisation)
    fields = {k: v for k, v in data.items() if k not in ("organisation", "new_organisation", "new_acronym", "new_type")}
    ref = derived_ref(organisation.name, fields["sector"], fields["description"], fields["area"].code, fields["start"])
    suffix, base = 1, ref
    while Activity.objects.filter(crisis=crisis, ref=ref).exists():
        suffix += 1
        ref = f"{base}-{suffix}"
    activity = Activity.objects.create(city=crisis.city, crisis=crisis, ref=ref, organisation=organisation, **fields)
    _audit("crises.activity_create", request, activity)
    return activity


@transaction.atomic
def delete_activity(activity: Activity, *, request: HttpRequest) -> None:
    record(action="crises.activity_delete", request=request, obj=activity, before=snapshot(activity))
    activity.delete()
