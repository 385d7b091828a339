"""The library in the ``/api/v1/`` JSON API: search and read published practices (read-only).

The same visibility as the pages (``actions.visible_practices``) and the same search
(``search.search``): published practices of public cities for everyone, plus a member's own city.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from safercities.api.errors import ApiError
from safercities.api.pagination import PageParams, page_of
from safercities.api.security import caller
from safercities.practices import actions, search
from safercities.practices.models import LANGUAGE_CODES, TEXT_FIELDS, Practice

router = Router(tags=["practices"])


class PracticeFilters(Schema):
    q: str = Field("", max_length=200, description="words in English or Spanish (expanded to both languages)")
    dimension: str = Field("", max_length=20, description="a dimension code, e.g. personal")
    country: str = Field("", max_length=2, description="ISO 3166-1 alpha-2")
    phase: str = Field("", max_length=8, description="prevent | prepare | respond | recover")


def practice_json(practice: Practice) -> dict[str, Any]:
    return {
        "id": practice.pk,
        "city": practice.city.slug,
        "country": practice.city.country,
        "language": practice.language,
        "text": {
            code: {name: getattr(practice, f"{name}_{code}") for name in TEXT_FIELDS}
            for code in LANGUAGE_CODES
            if getattr(practice, f"title_{code}")
        },
        "evidence_level": practice.evidence_level,
        "cost": {
            "amount": float(practice.cost_amount) if practice.cost_amount is not None else None,
            "currency": practice.cost_currency or None,
            "text": practice.cost_text or None,
        },
        "contact": practice.contact,
        "dimensions": sorted(d.code for d in practice.dimensions.all()),
        "phase": practice.phase,
        "status": practice.status,
        "published_at": practice.published_at.isoformat() if practice.published_at else None,
    }


@router.get("/practices", summary="Search the published practices of the network (ranked when q is given)")
def list_practices(request: HttpRequest, filters: Query[PracticeFilters], params: Query[PageParams]) -> dict[str, Any]:
    if "\x00" in filters.q:
        raise ApiError(
            422,
            "q: null characters are not allowed.",
            details=[{"in": "query", "field": "q", "message": "null character"}],
        )
    rows = actions.visible_practices(caller(request)).filter(status=Practice.PUBLISHED)
    if filters.dimension:
        rows = rows.filter(dimensions__code=filters.dimension)
    if filters.country:
        rows = rows.filter(city__country=filters.country.upper())
    if filters.phase:
        rows = rows.filter(phase=filters.phase)
    rows = rows.distinct()
    found = [hit.practice for hit in search.search(rows, filters.q)] if filters.q.strip() else rows
    envelope, page = page_of(request, found, params)
    return {**envelope, "results": [practice_json(p) for p in page]}


@router.get("/practices/{practice_id}", summary="One practice, in every language it was written or translated in")
def get_practice(request: HttpRequest, practice_id: int) -> dict[str, Any]:
    practice = actions.visible_practices(caller(request)).filter(pk=practice_id).first()
    if practice is None:
        raise ApiError(404, "No such practice.")
    return practice_json(practice)
