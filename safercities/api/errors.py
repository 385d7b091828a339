"""One error body for every failure: ``{"error": {"code", "message", "details"}}``.

Scripts branch on ``code`` (stable, documented in docs/api.md); ``message`` is for people.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError

logger = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "throttled",
    500: "server_error",
}


class ApiError(Exception):
    """Raise from an operation to answer with a status, a stable code and details."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: list[Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.details = details or []
        self.extra = extra or {}


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: list[Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> JsonResponse:
    body: dict[str, Any] = {
        "error": {"code": code or CODES.get(status, "error"), "message": message, "details": details or []}
    }
    body.update(extra or {})
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's errors without the echoed input (which may be huge, or a secret)."""
    out = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ninja prefixes the source ("query", "body", "path", "form", "file"); keep it as "in".
        where = loc[0] if loc and loc[0] in {"query", "body", "path", "form", "file", "header", "cookie"} else ""
        field = ".".join(loc[1:] if where else loc)
        out.append({"in": where, "field": field, "message": str(error.get("msg", "invalid"))[:300]})
    return out


def install(api: NinjaAPI) -> None:
    """Replace ninja's default handlers (``{"detail": …}``, tracebacks in DEBUG) with ours."""

    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(exc.status, exc.message, code=exc.code, details=exc.details, extra=exc.extra)

    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error_response(
            422, "The request has invalid or missing fields.", details=_validation_details(exc.errors)
        )

    def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = error_response(401, "Authentication required: send 'Authorization: Bearer <token>' or sign in.")
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    def on_forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(403, str(exc) or "Not allowed.")

    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        response = error_response(429, "Too many requests; slow down.")
        if exc.wait:
            response["Retry-After"] = str(int(exc.wait))
        return response

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        message = str(exc) or "Request failed."
        if exc.status_code == 400 and "JSON" in message:
            message = "The request body is not valid JSON."
        elif exc.status_code == 403 and "CSRF" in message:
            return error_response(
                403, "CSRF check failed: send the X-CSRFToken header with session sign-in.", code="csrf_failed"
            )
        return error_response(exc.status_code, message)

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "Not found.")

    def on_anything(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API operation failed: %s %s", request.method, request.path)
        return error_response(500, "Internal error; the request was not completed.")

    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(AuthenticationError, on_auth)
    api.add_exception_handler(AuthorizationError, on_forbidden)
    api.add_exception_handler(PermissionDenied, on_forbidden)
    api.add_exception_handler(Throttled, on_throttled)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(Exception, on_anything)
