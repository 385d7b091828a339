"""Abuse protection for the public form: a per-client rate limit in Django's cache.

The client address is used only as an HMAC digest (under ``SECRET_KEY``) in a cache key that expires
with its window; it is never written to the report or to the database.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from safercities.accounts.throttle import client_address

# Reports per client per window; generous enough for a family sharing one phone, small for a script.
DEFAULT_LIMIT = 5
DEFAULT_WINDOW = 600


def _key(request: HttpRequest, scope: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"reports:{scope}:{client_address(request)}".encode(), hashlib.sha256
    ).hexdigest()
    return f"reports-rl:{scope}:{digest[:40]}"


def limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "REPORTS_RATE_LIMIT", DEFAULT_LIMIT)),
        int(getattr(settings, "REPORTS_RATE_WINDOW", DEFAULT_WINDOW)),
    )


def over_limit(request: HttpRequest, scope: str = "submit") -> bool:
    """True when this client already used its allowance in the current window."""
    limit, _window = limits()
    return limit > 0 and int(cache.get(_key(request, scope), 0)) >= limit


def count(request: HttpRequest, scope: str = "submit") -> None:
    """Count one attempt (accepted or not: a flood of invalid posts is abuse too)."""
    limit, window = limits()
    if limit <= 0:
        return
    key = _key(request, scope)
    if cache.add(key, 1, window):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
