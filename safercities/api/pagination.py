"""``?page=&page_size=`` pagination with ``count``, ``next`` and ``previous`` (absolute URLs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema
from pydantic import Field

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100
# Beyond this, OFFSET arithmetic may overflow a database integer; nobody pages that far.
MAX_PAGE = 1_000_000


class PageParams(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="page number, from 1")
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"rows per page (≤ {MAX_PAGE_SIZE})")


def _link(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def page_of(request: HttpRequest, rows: QuerySet | Sequence[Any], params: PageParams) -> tuple[dict[str, Any], list]:
    """The envelope (count/next/previous) and the rows of the asked page (empty beyond the last)."""
    count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    start = (params.page - 1) * params.page_size
    items = list(rows[start : start + params.page_size]) if start < count else []
    envelope = {
        "count": count,
        "page": params.page,
        "page_size": params.page_size,
        "next": _link(request, params.page + 1) if start + params.page_size < count else None,
        "previous": _link(request, min(params.page - 1, max(1, -(-count // params.page_size))))
        if params.page > 1
        else None,
    }
    return envelope, items
