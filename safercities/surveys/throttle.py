"""A per-client budget of survey submissions, kept in Django's cache.

The cache key is an HMAC of the client address under ``SECRET_KEY``: the address itself is never
stored, in the cache or anywhere else. Rate: ``SURVEYS_RATE`` (e.g. ``"10/h"``; empty disables).
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from safercities.accounts.throttle import client_address

DEFAULT_RATE = "10/h"
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int] | None:
    """``"10/h"`` → (10, 3600); empty → None (no limit)."""
    if not rate:
        return None
    count, _sep, unit = rate.partition("/")
    return int(count), _UNITS[unit.strip() or "h"]


def _key(scope: str, request: HttpRequest) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{scope}:{client_address(request)}".encode(), hashlib.sha256)
    return f"throttle:{scope}:{digest.hexdigest()}"


def allow(request: HttpRequest, scope: str = "surveys", rate: str | None = None) -> bool:
    """Count one attempt; False once the client has used its budget for the window."""
    parsed = parse_rate(getattr(settings, "SURVEYS_RATE", DEFAULT_RATE) if rate is None else rate)
    if parsed is None:
        return True
    limit, window = parsed
    key = _key(scope, request)
    cache.add(key, 0, timeout=window)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        used = 1
    return used <= limit
