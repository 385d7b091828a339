"""The caller's own account: who am I, and my API tokens (list, create, revoke)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from safercities.accounts.models import Membership
from safercities.accounts.permissions import is_network_admin
from safercities.api import tokens
from safercities.api.errors import ApiError
from safercities.api.models import SCOPES, ApiToken
from safercities.api.security import OFFICIAL_AUTH, require_scope

router = Router(tags=["account"], auth=OFFICIAL_AUTH)


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "prefix": token.prefix,
        "name": token.name,
        "scopes": token.scopes,
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


@router.get("/me", summary="Who the API sees: user, roles per city, token scopes")
def me(request: HttpRequest) -> dict[str, Any]:
    memberships = Membership.objects.filter(user=request.user).select_related("city")
    token = getattr(request, "api_token", None)
    return {
        "username": request.user.get_username(),
        "network_admin": is_network_admin(request.user),
        "roles": [{"city": m.city.slug, "role": m.role} for m in memberships if m.city is not None],
        "token": token_json(token) if token is not None else None,
    }


@router.get("/tokens", summary="Your API tokens (never their secrets)")
def list_tokens(request: HttpRequest) -> dict[str, Any]:
    require_scope(request, "admin")
    return {"tokens": [token_json(t) for t in ApiToken.objects.filter(user=request.user)]}


class TokenBody(Schema):
    name: str = Field("", max_length=100)
    scopes: list[str] = Field(..., min_length=1, max_length=len(SCOPES))

    model_config = {"extra": "forbid"}


@router.post("/tokens", response={201: dict}, summary="Create a token; its full value is shown only in this answer")
def create_token(request: HttpRequest, body: TokenBody) -> Status:
    require_scope(request, "admin")
    try:
        token, secret = tokens.create_token(user=request.user, scopes=body.scopes, name=body.name)
    except tokens.TokenError as exc:
        raise ApiError(422, str(exc), details=[{"in": "body", "field": "scopes", "message": str(exc)}]) from None
    return Status(201, token_json(token) | {"token": secret})


@router.delete("/tokens/{prefix}", summary="Revoke one of your tokens")
def revoke_token(request: HttpRequest, prefix: str) -> dict[str, Any]:
    require_scope(request, "admin")
    try:
        token = tokens.revoke_token(prefix[:16], user=request.user)
    except tokens.TokenError:
        raise ApiError(404, "You have no token with that prefix.") from None
    return token_json(token)
