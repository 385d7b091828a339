"""A per-client budget of survey submissions, kept in Django's cache.

The counting is ``accounts.ratelimit``'s: the cache key is an HMAC of the client address under
``SECRET_KEY``, and the address itself is never stored, in the cache or anywhere else.
Rate: ``SURVEYS_RATE`` (e.g. ``"10/h"``; empty or a count of 0 disables).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from safercities.accounts.ratelimit import ClientLimit, parse_rate

__all__ = ["DEFAULT_RATE", "allow", "parse_rate"]

DEFAULT_RATE = "10/h"


def allow(request: HttpRequest, scope: str = "surveys", rate: str | None = None) -> bool:
    """Count one attempt; False once the client has used its budget for the window."""
    setting = getattr(settings, "SURVEYS_RATE", DEFAULT_RATE) if rate is None else rate
    return ClientLimit.from_rate(scope, setting).allow(request)
