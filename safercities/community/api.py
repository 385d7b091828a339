"""The app's operations in the ``/api/v1/`` JSON API (mounted by ``safercities/api/api.py``).

Read-only and public, with the pages' rules: a non-public city is 404 to outsiders, non-public
actions never appear, and only the dashboard's aggregates are given (no follower, no member data).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from pydantic import Field

from safercities.api.errors import ApiError
from safercities.api.pagination import PageParams, page_of
from safercities.api.security import caller
from safercities.community import queries
from safercities.community.models import Action
from safercities.places.models import City
from safercities.portal.queries import visible_city

router = Router(tags=["community"])


def _city(request: HttpRequest, slug: str) -> City:
    if len(slug) > 63:
        raise ApiError(404, "No such city.")
    return visible_city(caller(request), slug)


class ActionFilter(PageParams):
    status: str | None = Field(None, max_length=12, description="planned | in_progress | done | dropped")


def action_json(action: Action, today: Any) -> dict[str, Any]:
    return {
        "id": action.pk,
        "title": action.title,
        "owner_department": action.owner_department,
        "area": action.area.code if action.area_id else None,
        "indicators": sorted(i.code for i in action.indicators.all() if i.is_public),
        "budget": float(action.budget) if action.budget is not None else None,
        "start_date": action.start_date.isoformat(),
        "due_date": action.due_date.isoformat(),
        "status": action.status,
        "overdue": action.is_overdue(today),
        "completed_on": action.completed_on.isoformat() if action.completed_on else None,
    }


@router.get("/cities/{city}/actions", summary="Public actions of the city (the accountability chain)")
def list_actions(request: HttpRequest, city: str, params: Query[ActionFilter]) -> dict[str, Any]:
    place = _city(request, city)
    rows = queries.public_actions(place).order_by("due_date", "pk")
    if params.status:
        if params.status not in dict(Action.STATUSES):
            message = "status: use planned, in_progress, done or dropped"
            raise ApiError(422, message, details=[{"in": "query", "field": "status", "message": message}])
        rows = rows.filter(status=params.status)
    envelope, items = page_of(request, rows, params)
    today = timezone.localdate()
    return {**envelope, "results": [action_json(a, today) for a in items]}


def _tally(t: queries.Tally) -> dict[str, Any]:
    return {"label": t.label, "actions": t.total, "done": t.done, "overdue": t.overdue, "completion_rate": t.rate}


@router.get("/cities/{city}/accountability", summary="The accountability dashboard's figures")
def accountability(request: HttpRequest, city: str) -> dict[str, Any]:
    place = _city(request, city)
    today = timezone.localdate()
    figures = queries.dashboard(place, today)
    return {
        "date": today.isoformat(),
        "overall": _tally(figures["overall"]),
        "overdue": [action_json(a, today) for a in figures["overdue"]],
        "by_area": [_tally(t) for t in figures["by_area"]],
        "by_dimension": [_tally(t) for t in figures["by_dimension"]],
    }
