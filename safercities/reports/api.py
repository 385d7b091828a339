"""Resident reports in the ``/api/v1/`` JSON API (mounted by ``safercities/api/api.py``).

Public: the published reports of a city (their place only through ``disclosure.public_location``) and
filing a report (anonymous allowed, rate-limited per client like the web form). Official: the staff
queue, status changes and public answers, behind a token scope and a role in the city (as official.py).
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from safercities.accounts.models import Role
from safercities.api.errors import ApiError
from safercities.api.pagination import PageParams, page_of
from safercities.api.security import OFFICIAL_AUTH, caller, official_city
from safercities.places.models import Area
from safercities.portal.queries import visible_city
from safercities.reports import abuse, actions, queries
from safercities.reports.disclosure import public_location
from safercities.reports.models import Report, ReportCategory

router = Router(tags=["reports"])


def _city(request: HttpRequest, slug: str) -> Any:
    user = caller(request)
    if len(slug) > 63:
        raise ApiError(404, "No such city.")
    return visible_city(user, slug)


def report_json(report: Report) -> dict[str, Any]:
    """The public shape of a report: never the original text, contact, photo or exact point."""
    return {
        "reference": report.reference,
        "category": report.category.code,
        "category_name": report.category.label(),
        "sensitive": report.category.sensitive,
        "text": report.public_text,
        "status": report.status,
        "open311_status": report.open311_status,
        "department": report.department.name if report.department else None,
        "created_at": report.created_at.isoformat(),
        "updated_at": report.updated_at.isoformat(),
        "location": public_location(report),
        "supporters": getattr(report, "support_count", None),
        "updates": [
            {"created_at": u.created_at.isoformat(), "status": u.status, "text": u.text}
            for u in report.updates.all()  # prefetched by the lists: no query per report
            if u.public
        ],
    }


class ReportFilter(PageParams):
    category: str | None = Field(None, max_length=64)
    status: Literal["open", "closed"] | None = None


@router.get("/cities/{city}/reports", summary="Published resident reports (approximate places only)")
def list_reports(request: HttpRequest, city: str, params: Query[ReportFilter]) -> dict[str, Any]:
    place = _city(request, city)
    rows = queries.filter_public(
        queries.public_reports(place), {"category": params.category or "", "status": params.status or ""}
    )
    envelope, items = page_of(request, rows.prefetch_related("updates"), params)
    return {**envelope, "results": [report_json(r) for r in items]}


@router.get("/cities/{city}/reports/{reference}", summary="One published report")
def get_report(request: HttpRequest, city: str, reference: str) -> dict[str, Any]:
    place = _city(request, city)
    report = queries.public_reports(place).filter(reference=reference[:16]).first()
    if report is None:
        raise ApiError(404, "No such published report.")
    return report_json(report)


class NewReport(Schema):
    category: str = Field(..., max_length=64, description="a category code of the city")
    description: str = Field(..., max_length=20000)
    lat: float | None = None
    lon: float | None = None
    area: str | None = Field(None, max_length=64, description="an area code, when there is no point")
    address: str = Field("", max_length=1200)
    contact_name: str = Field("", max_length=800)
    contact_email: str = Field("", max_length=1000)
    contact_phone: str = Field("", max_length=160)


@router.post("/cities/{city}/reports", response={201: dict}, summary="File a report (anonymous allowed; rate-limited)")
def create_report(request: HttpRequest, city: str, body: NewReport) -> Any:
    place = _city(request, city)
    if abuse.over_limit(request):
        raise ApiError(429, "Too many reports from this client; try again later.")
    abuse.count(request)
    category = ReportCategory.objects.filter(city=place, code=body.category, active=True).first()
    area = Area.objects.filter(city=place, code=body.area).first() if body.area else None
    errors = []
    if category is None:
        errors.append({"in": "body", "field": "category", "message": "Unknown category for this city."})
    if body.area and area is None:
        errors.append({"in": "body", "field": "area", "message": "Unknown area code for this city."})
    if not errors:
        token_user = getattr(request, "api_token", None)
        try:
            report, token = actions.submit_report(
                city=place,
                category=category,
                description=body.description,
                lat=body.lat,
                lon=body.lon,
                area=area,
                address=body.address,
                contact_name=body.contact_name,
                contact_email=body.contact_email,
                contact_phone=body.contact_phone,
                source=Report.API,
                user=token_user.user if token_user is not None else None,
            )
        except ValidationError as exc:
            errors = [
                {"in": "body", "field": field, "message": message}
                for field, messages_ in exc.message_dict.items()
                for message in messages_
            ]
        else:
            return Status(
                201,
                {
                    "reference": report.reference,
                    "token": token,
                    "tracking_url": request.build_absolute_uri(reverse("reports:track", kwargs={"token": token})),
                    "status": report.status,
                },
            )
    raise ApiError(422, "The report was not accepted; nothing was stored.", details=errors)


# --- official -------------------------------------------------------------------------------------


def _staff_report(place: Any, reference: str) -> Report:
    report = (
        Report.objects.select_related("category", "department", "area")
        .filter(city=place, reference=reference[:16])
        .first()
    )
    if report is None:
        raise ApiError(404, "No such report.")
    return report


def staff_json(report: Report, details: bool) -> dict[str, Any]:
    out = report_json(report) | {
        "moderation": report.moderation,
        "merged_into": report.merged_into.reference if report.merged_into_id else None,
        "area": report.area.code if report.area else None,
        "first_response_at": report.first_response_at.isoformat() if report.first_response_at else None,
        "resolved_at": report.resolved_at.isoformat() if report.resolved_at else None,
    }
    if details:  # contact details never leave through the API
        out |= {"description": report.description, "lat": report.lat, "lon": report.lon, "address": report.address}
    return out


class StaffFilter(PageParams):
    moderation: str | None = Field(None, max_length=16)
    status: str | None = Field(None, max_length=16)


@router.get("/cities/{city}/official/reports", auth=OFFICIAL_AUTH, summary="The staff queue of reports")
def staff_list(request: HttpRequest, city: str, params: Query[StaffFilter]) -> dict[str, Any]:
    place = official_city(request, city, minimum=Role.ANALYST, scope="read")
    rows = queries.staff_queue(
        place, {"moderation": params.moderation or "open", "status": params.status or "", "department": ""}
    )
    envelope, items = page_of(request, rows.prefetch_related("updates"), params)
    sensitive_ok = actions.may_see_sensitive(request.user, place)
    return {
        **envelope,
        "results": [staff_json(r, sensitive_ok or not r.category.sensitive) for r in items],
    }


class UpdateBody(Schema):
    status: Literal["", "received", "acknowledged", "in_progress", "resolved", "closed"] = ""
    text: str = Field("", max_length=20000)
    public: bool = True


@router.post(
    "/cities/{city}/official/reports/{reference}/updates",
    auth=OFFICIAL_AUTH,
    summary="Answer a report and/or change its status",
)
def staff_update(request: HttpRequest, city: str, reference: str, body: UpdateBody) -> Any:
    place = official_city(request, city, minimum=Role.ANALYST, scope="write")
    report = _staff_report(place, reference)
    if not actions.may_see_details(request.user, report):
        raise ApiError(403, "Only designated staff handle reports in sensitive categories.", code="sensitive")
    try:
        actions.add_update(
            report, user=request.user, text=body.text, status=body.status, public=body.public, request=request
        )
    except ValidationError as exc:
        code = 409 if "status" in exc.message_dict else 422
        raise ApiError(
            code,
            " ".join(exc.messages),
            details=[{"in": "body", "field": f, "message": m} for f, ms in exc.message_dict.items() for m in ms],
        ) from None
    report.refresh_from_db()
    return staff_json(report, actions.may_see_details(request.user, report))
