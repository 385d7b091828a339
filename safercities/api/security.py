"""Who is calling, with which scopes, and may they act in this city (token scope AND city role)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from safercities.accounts.models import ROLE_RANK, Role
from safercities.accounts.permissions import role_in
from safercities.api import tokens
from safercities.api.errors import ApiError
from safercities.api.models import ApiToken
from safercities.places.models import City


class BearerToken(HttpBearer):
    """``Authorization: Bearer scm_…``; sets ``request.api_token`` and acts as the token's owner."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = tokens.authenticate(token)
        if found is None:
            # Never fall back to the session: a script with a revoked token must learn it at once.
            raise ApiError(401, "The bearer token is not valid (malformed, unknown or revoked).", code="invalid_token")
        request.api_token = found  # type: ignore[attr-defined]
        request.user = found.user
        return found


class BrowserSession(SessionAuth):
    """The signed-in browser session; ninja checks CSRF on unsafe methods (csrf=True)."""

    def __call__(self, request: HttpRequest) -> Any:
        # Only a signed-in session is checked (and CSRF-checked): an anonymous call gets 401, not 403.
        if getattr(request, "api_token", None) is not None or not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if getattr(request, "api_token", None) is None and request.user.is_authenticated:
            return request.user
        return None


OFFICIAL_AUTH = [BearerToken(), BrowserSession(csrf=True)]


def caller(request: HttpRequest) -> Any:
    """The user behind a public request: a valid bearer token's owner, the session user, or anonymous.

    A bearer header that does not authenticate is refused (401) rather than silently ignored, so a
    script with a revoked token learns it at once.
    """
    header = request.headers.get("Authorization")
    if header:
        scheme, _, raw = header.partition(" ")
        found = tokens.authenticate(raw) if scheme.lower() == "bearer" else None
        if found is None:
            raise ApiError(401, "The bearer token is not valid (malformed, unknown or revoked).", code="invalid_token")
        if not tokens.has_scope(found, "read"):
            raise ApiError(403, "This token lacks the 'read' scope.", code="insufficient_scope")
        request.api_token = found  # type: ignore[attr-defined]
        request.user = found.user
        return found.user
    user = getattr(request, "user", None)
    return user if user is not None else AnonymousUser()


def require_scope(request: HttpRequest, scope: str) -> None:
    token: ApiToken | None = getattr(request, "api_token", None)
    if not tokens.has_scope(token, scope):
        raise ApiError(403, f"This token lacks the '{scope}' scope.", code="insufficient_scope")


def official_city(request: HttpRequest, slug: str, *, minimum: str, scope: str) -> City:
    """The city of an official operation, after every check.

    Unknown city, or no role in it → 404 (an outsider learns nothing); a missing scope or a role
    below ``minimum`` → 403.
    """
    city = City.objects.filter(slug=slug).first() if len(slug) <= 63 else None
    role = role_in(request.user, city) if city is not None else None
    if city is None or role is None:
        raise ApiError(404, "No such city, or you have no role in it.")
    require_scope(request, scope)
    if ROLE_RANK[Role(role)] < ROLE_RANK[Role(minimum)]:
        raise ApiError(403, f"This operation needs the role '{minimum}' or higher in this city.", code="role_too_low")
    request.city_role = role  # type: ignore[attr-defined]
    return city
