"""Issuing, checking and revoking API tokens (the one place that knows the token format)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Any

from django.utils import timezone

from safercities.api.models import SCOPES, ApiToken

TOKEN_RE = re.compile(r"^scm_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
# last_used_at is written at most this often per token: a busy script must not write on every call.
TOUCH_EVERY = timedelta(minutes=1)
# Which scopes a scope includes: admin ⊃ write ⊃ read.
IMPLIED = {"read": {"read"}, "write": {"read", "write"}, "admin": {"read", "write", "admin"}}


class TokenError(ValueError):
    """Bad scopes or an unknown token prefix."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def parse_scopes(raw: str | list[str] | tuple[str, ...]) -> list[str]:
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    scopes = sorted({item.strip() for item in items if item and item.strip()})
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise TokenError(
            f"scopes must be a non-empty subset of {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}"
        )
    return scopes


def create_token(*, user: Any, scopes: str | list[str], name: str = "") -> tuple[ApiToken, str]:
    """Create a token; returns the row and the full token, which is never shown again."""
    scopes = parse_scopes(scopes)
    secret = secrets.token_urlsafe(32)  # 32 random bytes → 43 characters
    while True:
        prefix = secrets.token_hex(6)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=prefix, secret_hash=_hash(secret), scopes=scopes)
    return token, f"scm_{prefix}_{secret}"


def authenticate(raw: str) -> ApiToken | None:
    """The active token a bearer string stands for, or None (malformed, unknown, wrong or revoked)."""
    match = TOKEN_RE.match(raw.strip()) if raw else None
    if match is None:
        return None
    prefix, secret = match.groups()
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if not hmac.compare_digest(token.secret_hash, _hash(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def has_scope(token: ApiToken | None, scope: str) -> bool:
    """Session users (no token) act with their full rights; a token only within its scopes."""
    if token is None:
        return True
    return any(scope in IMPLIED.get(granted, set()) for granted in token.scopes)


def revoke_token(prefix: str, *, user: Any = None) -> ApiToken:
    """Revoke by prefix (only the user's own token when ``user`` is given); revoking twice is harmless."""
    tokens = ApiToken.objects.filter(prefix=prefix)
    if user is not None:
        tokens = tokens.filter(user=user)
    token = tokens.first()
    if token is None:
        raise TokenError(f"no token with prefix {prefix!r}")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
