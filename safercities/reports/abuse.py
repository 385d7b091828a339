"""Abuse protection for the public form: a per-client rate limit in Django's cache.

The counting is ``accounts.ratelimit``'s: the client address is used only as an HMAC digest (under
``SECRET_KEY``) in a cache key that expires with its window; it is never written to the report or to
the database.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from safercities.accounts.ratelimit import ClientLimit

# Reports per client per window; generous enough for a family sharing one phone, small for a script.
DEFAULT_LIMIT = 5
DEFAULT_WINDOW = 600


def limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "REPORTS_RATE_LIMIT", DEFAULT_LIMIT)),
        int(getattr(settings, "REPORTS_RATE_WINDOW", DEFAULT_WINDOW)),
    )


def _limit(scope: str) -> ClientLimit:
    limit, window = limits()
    return ClientLimit(scope=f"reports:{scope}", limit=limit, window=window)


def over_limit(request: HttpRequest, scope: str = "submit") -> bool:
    """True when this client already used its allowance in the current window."""
    return _limit(scope).exhausted(request)


def count(request: HttpRequest, scope: str = "submit") -> None:
    """Count one attempt (accepted or not: a flood of invalid posts is abuse too)."""
    _limit(scope).count(request)
