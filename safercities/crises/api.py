"""The app's operations in the ``/api/v1/`` JSON API (mounted by ``safercities/api/api.py``).

- ``GET /cities/{city}/crises``: published crises for everybody who may see the city; analysts and
  above of the city see every crisis.
- ``GET /cities/{city}/crises/{crisis_id}/activities``: the 4W of a crisis (analysts, token or session).
- ``POST /cities/{city}/crises/{crisis_id}/activities/import``: a 4W sheet (CSV/XLSX with HXL), checked
  whole and written all-or-nothing, the JSON shape of INTERFACES.md's ``import``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from ninja import File, Form, Router
from ninja.files import UploadedFile

from safercities.accounts.models import Role
from safercities.accounts.permissions import has_role
from safercities.api.errors import ApiError
from safercities.api.security import OFFICIAL_AUTH, caller, official_city
from safercities.crises.models import REACHED_FIELDS, Crisis
from safercities.portal import queries

router = Router(tags=["crises"])

MAX_UPLOAD = 20 * 1024 * 1024


def crisis_json(crisis: Crisis) -> dict[str, Any]:
    return {
        "id": crisis.pk,
        "name": crisis.name,
        "type": crisis.hazard,
        "phase": crisis.phase,
        "start": crisis.started_on.isoformat(),
        "end": crisis.ended_on.isoformat() if crisis.ended_on else None,
        "areas": sorted(a.code for a in crisis.areas.all()),
        "published": crisis.is_published,
    }


@router.get("/cities/{city}/crises", summary="Crises of a city (published ones; all for its analysts)")
def list_crises(request: HttpRequest, city: str) -> dict[str, Any]:
    user = caller(request)
    place = queries.visible_city(user, city) if len(city) <= 63 else None
    if place is None:  # pragma: no cover - visible_city raises
        raise ApiError(404, "No such city.")
    crises = Crisis.objects.filter(city=place).prefetch_related("areas")
    if not has_role(user, place, Role.ANALYST):
        crises = crises.filter(is_published=True)
    return {"crises": [crisis_json(c) for c in crises]}


def _crisis(place: Any, crisis_id: int) -> Crisis:
    crisis = Crisis.objects.filter(city=place, pk=crisis_id).first() if 0 < crisis_id < 2**31 else None
    if crisis is None:
        raise ApiError(404, "No such crisis in this city.")
    return crisis


@router.get("/cities/{city}/crises/{crisis_id}/activities", auth=OFFICIAL_AUTH, summary="The 4W of a crisis")
def list_activities(request: HttpRequest, city: str, crisis_id: int) -> dict[str, Any]:
    place = official_city(request, city, minimum=Role.ANALYST, scope="read")
    crisis = _crisis(place, crisis_id)
    activities = crisis.activities.select_related("organisation", "area").order_by("ref")
    return {
        "crisis": crisis.pk,
        "activities": [
            {
                "code": a.ref,
                "organisation": {"name": a.organisation.name, "acronym": a.organisation.acronym},
                "organisation_type": a.organisation.org_type,
                "sector": a.sector,
                "activity": a.description,
                "area": a.area.code,
                "start": a.start.isoformat(),
                "end": a.end.isoformat() if a.end else None,
                "status": a.status,
                "reached": {name.removeprefix("reached_"): getattr(a, name) for name in REACHED_FIELDS},
                "reached_total": a.reached,
            }
            for a in activities
        ],
    }


@router.post(
    "/cities/{city}/crises/{crisis_id}/activities/import",
    auth=OFFICIAL_AUTH,
    summary="Import a 4W sheet (validated whole, then written; or a dry run)",
)
def import_activities(
    request: HttpRequest, city: str, crisis_id: int, file: File[UploadedFile], dry_run: Form[bool] = False
) -> dict[str, Any]:
    from safercities.crises.views import run_import

    place = official_city(request, city, minimum=Role.ANALYST, scope="write")
    crisis = _crisis(place, crisis_id)
    if file.size is not None and file.size > MAX_UPLOAD:
        raise ApiError(413, f"The file is larger than {MAX_UPLOAD} bytes.")
    with translation.override("en"):  # the API speaks English whatever Accept-Language says (docs/api.md)
        report = run_import(crisis, file, user=request.user, dry_run=dry_run)
    data = report.as_dict()
    if not report.ok:
        raise ApiError(
            422,
            f"The sheet was rejected: {report.error_count} problem(s); nothing was written.",
            code="import_rejected",
            details=data["errors"],
            extra={"import": data},
        )
    return data
