"""Reports and categories in the GeoReport v2 field names — and nothing private.

A request carries the redacted public text (never the resident's original), the place that
``reports.disclosure.public_location`` allows (an h3 cell centre or an area centroid; for sensitive
categories a coarser cell and no address), and no name, e-mail, phone or photo. For sensitive
categories the times are given to the day, so a time cannot help locate a person either.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from safercities.reports.disclosure import public_location
from safercities.reports.models import Report, ReportCategory


def _w3c(value: datetime | None, *, day_only: bool = False) -> str | None:
    if value is None:
        return None
    value = timezone.localtime(value, UTC)
    if day_only:
        value = value.replace(hour=0, minute=0, second=0, microsecond=0)
    return value.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def service(category: ReportCategory) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.label(),
        "description": category.description,
        "metadata": False,
        "type": "realtime",
        "keywords": "sensitive" if category.sensitive else "",
        "group": str(category.dimension) if category.dimension_id else "",
    }


def _status_notes(report: Report) -> str:
    updates = [u for u in report.updates.all() if u.public and u.text]
    if not updates:
        return ""
    return max(updates, key=lambda u: (u.created_at, u.pk)).text


def request(report: Report) -> dict[str, Any]:
    place = public_location(report)
    sensitive = report.category.sensitive
    return {
        "service_request_id": report.reference,
        "status": report.open311_status,
        "status_notes": _status_notes(report),
        "service_name": report.category.label(),
        "service_code": report.category.code,
        "description": report.public_text,
        "agency_responsible": report.department.name if report.department_id else "",
        "service_notice": "",
        "requested_datetime": _w3c(report.created_at, day_only=sensitive),
        "updated_datetime": _w3c(report.updated_at, day_only=sensitive),
        "expected_datetime": None,
        "address": place["address"] or "",
        "address_id": None,
        "zipcode": None,
        "lat": place["lat"],
        "long": place["lon"],
        "media_url": None,
    }


def validation_messages(exc: ValidationError) -> list[str]:
    """``field: message`` lines, with the reports app's field names mapped to the specification's."""
    names = {
        "lat": "lat/long",
        "area": "location",
        "address": "address_string",
        "contact_name": "first_name/last_name",
        "contact_email": "email",
        "contact_phone": "phone",
        "category": "service_code",
    }
    if hasattr(exc, "error_dict"):
        return [
            f"{names.get(field, field)}: {message}"
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return list(exc.messages)
