"""``/api/v1/`` (mounted outside the language prefix in safercities/urls.py)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import re_path

from safercities.api.api import api
from safercities.api.errors import error_response


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other address under /api/v1/ answers with the API's error body, not an HTML page."""
    return error_response(404, "No such API address; see /api/v1/openapi.json.")


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or any("\x00" in v for _k, values in request.GET.lists() for v in values):
        return True
    content_type = request.content_type or ""
    if content_type.startswith("multipart/") or content_type == "application/x-www-form-urlencoded":
        return any("\x00" in v for _k, values in request.POST.lists() for v in values)
    if request.method in {"POST", "PUT", "PATCH"}:
        return b"\x00" in request.body or b"\\u0000" in request.body
    return False


def reject_nul(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """NUL characters in a path, query or JSON body are refused up front (400): PostgreSQL cannot
    store or compare them, and no legitimate request has one. Uploaded files are not inspected."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _has_nul(request):
            return error_response(400, "The request contains a NUL character.")
        return view(request, *args, **kwargs)

    return wrapper


app_name = "api"
urlpatterns = [*api.urls[0], re_path(r"^(?P<rest>.*)$", not_found, name="not_found")]
for _pattern in urlpatterns:
    _pattern.callback = reject_nul(_pattern.callback)
