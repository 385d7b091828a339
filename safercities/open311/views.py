"""Open311 GeoReport v2 over the resident reports (``/open311/v2/``).

Thin views: ``queries.py`` chooses the jurisdiction and the rows, ``serialise.py`` shapes them, the
reports app files a new request (``reports.actions.submit_report``). Only published reports are
listed, at the place ``reports.disclosure.public_location`` allows, with no contact data.
Errors use the specification's shape and are never a server error on bad input.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from safercities.accounts.ratelimit import ClientLimit
from safercities.open311 import queries, serialise
from safercities.open311.formats import FORMATS, error, respond
from safercities.reports import actions as report_actions
from safercities.reports.models import Report

REQUEST_ITEM_TAGS = {"attributes": "attribute", "values": "value"}


class _Clean:
    """Request parameters without NUL characters (PostgreSQL refuses them in text; they mean nothing here)."""

    def __init__(self, source) -> None:
        self.source = source

    def get(self, name: str, default: str = "") -> str:
        value = self.source.get(name, default)
        return value.replace("\x00", "") if isinstance(value, str) else default


def _nul_free(text: str) -> str:
    return text.replace("\x00", "")


def _format(fmt: str) -> str | None:
    return fmt if fmt in FORMATS else None


def _bad_format(fmt: str) -> HttpResponse:
    return error("json", 404, f"unknown format {fmt[:20]!r}: use .json or .xml")


@require_GET
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    if _format(fmt) is None:
        return _bad_format(fmt)
    city = queries.jurisdiction(request, _Clean(request.GET).get("jurisdiction_id"))
    if isinstance(city, queries.Problem):
        return error(fmt, city.status, city.description)
    data = [serialise.service(category) for category in queries.categories(city)]
    return respond(fmt, data, root="services", item="service")


@require_GET
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if _format(fmt) is None:
        return _bad_format(fmt)
    city = queries.jurisdiction(request, _Clean(request.GET).get("jurisdiction_id"))
    if isinstance(city, queries.Problem):
        return error(fmt, city.status, city.description)
    category = queries.categories(city).filter(code=_nul_free(code)).first()
    if category is None:
        return error(fmt, 404, f"service_code {code[:64]!r} not found")
    data = {"service_code": category.code, "attributes": []}
    return respond(fmt, data, root="service_definition", item=None, item_tags=REQUEST_ITEM_TAGS)


@csrf_exempt  # an API for other systems: no cookies are needed, and a POST never acts as the signed-in user
@require_http_methods(["GET", "POST"])
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if _format(fmt) is None:
        return _bad_format(fmt)
    params = _Clean(request.POST if request.method == "POST" else request.GET)
    city = queries.jurisdiction(request, params.get("jurisdiction_id"))
    if isinstance(city, queries.Problem):
        return error(fmt, city.status, city.description)
    if request.method == "POST":
        return _create(request, fmt, city)
    rows = queries.requests(city, params)
    if isinstance(rows, queries.Problem):
        return error(fmt, rows.status, rows.description)
    data = [serialise.request(report) for report in rows]
    return respond(fmt, data, root="service_requests", item="request")


def _create(request: HttpRequest, fmt: str, city) -> HttpResponse:
    if not ClientLimit.from_rate("open311", getattr(settings, "OPEN311_RATE", "20/h")).allow(request):
        return error(fmt, 429, "too many requests from this client; try again later")
    data = _Clean(request.POST)
    code = data.get("service_code", "")
    if not code:
        return error(fmt, 400, "service_code is required")
    category = queries.categories(city).filter(code=code[:64]).first()
    if category is None:
        return error(fmt, 400, f"service_code {code[:64]!r} not found")
    lat, lon = data.get("lat", ""), data.get("long", "")
    address = data.get("address_string", "")
    if not (lat and lon) and not address:
        return error(fmt, 400, "a location is required: lat and long, or address_string")
    name = " ".join(part.strip() for part in (data.get("first_name", ""), data.get("last_name", "")) if part.strip())
    try:
        report, token = report_actions.submit_report(
            city=city,
            category=category,
            description=data.get("description", ""),
            lat=lat or None,
            lon=lon or None,
            address=address,
            contact_name=name,
            contact_email=data.get("email", ""),
            contact_phone=data.get("phone", ""),
            source=Report.OPEN311,
            user=None,  # never the session's user: this endpoint is CSRF-exempt
        )
    except ValidationError as exc:
        return error(fmt, 400, *serialise.validation_messages(exc))
    notice = "Received. It is published after moderation; names and contact details are never published."
    if category.referral_text:  # sensitive categories name the support services, as the web form does
        notice += " " + category.referral_text
    if data.get("media_url"):
        notice += " media_url was ignored: photos are accepted through the web form only."
    body = [{"service_request_id": report.reference, "token": token, "service_notice": notice, "account_id": None}]
    return respond(fmt, body, root="service_requests", item="request", status=201)


@require_GET
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    if _format(fmt) is None:
        return _bad_format(fmt)
    report = queries.published_report(request, _nul_free(request_id), _Clean(request.GET).get("jurisdiction_id"))
    if report is None:
        return error(fmt, 404, f"service_request_id {request_id[:32]!r} not found")
    return respond(fmt, [serialise.request(report)], root="service_requests", item="request")


@require_GET
def token_detail(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    if _format(fmt) is None:
        return _bad_format(fmt)
    report = report_actions.report_for_token(_nul_free(token))
    if report is None or report.source != Report.OPEN311:
        return error(fmt, 404, "token not found")
    body = [{"service_request_id": report.reference, "token": token}]
    return respond(fmt, body, root="service_requests", item="request")
