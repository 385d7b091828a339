"""Per-client rate limits in Django's cache: the one implementation behind every public form's budget.

Reports, comments, surveys, Open311 and password resets each count attempts per client. They share
this module so that the privacy promise (docs/privacy.md) holds in one place: a client's address is
used only inside an HMAC-SHA256 digest under ``SECRET_KEY``, as part of a cache key that expires with
its window, and is never stored. Windows are fixed (they start with the first attempt). The cache must
be shared by every process (Redis from ``CACHE_URL`` in production), or each process counts alone.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def client_address(request: HttpRequest | None) -> str:
    """The client's address; behind a trusted proxy, the last hop the proxy appended."""
    if request is None:
        return "unknown"
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded and forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def parse_rate(rate: str) -> tuple[int, int] | None:
    """A rate setting as (attempts, window in seconds); empty means no limit.

    The unit defaults to hours. A bad value raises ``ImproperlyConfigured`` naming it, rather than a
    bare ``KeyError`` in the middle of a request.

    >>> parse_rate("10/h"), parse_rate("3/min"), parse_rate("5"), parse_rate("")
    ((10, 3600), (3, 60), (5, 3600), None)
    """
    if not rate or not rate.strip():
        return None
    count, _sep, unit = rate.partition("/")
    unit = unit.strip() or "h"
    try:
        limit = int(count)
    except ValueError:
        limit = -1
    if limit < 0 or unit not in UNITS:
        raise ImproperlyConfigured(
            f"Rate {rate!r} is not a number of attempts per unit such as '10/h' (units: {', '.join(UNITS)})."
        )
    return limit, UNITS[unit]


def key_for(scope: str, value: str) -> str:
    """The cache key counting ``value`` (a client address, an e-mail address) in ``scope``.

    ``value`` enters only the HMAC: the key reveals neither it nor, without ``SECRET_KEY``, a way to
    test guesses of it.
    """
    message = f"ratelimit:{scope}:{value}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    return f"ratelimit:{scope}:{digest}"


def increment(key: str, window: int) -> int:
    """Count one attempt under ``key`` and return the attempts so far in its window.

    ``add`` opens a window only if none is open; ``incr`` is atomic on a shared cache. When the
    window closes between the two, ``incr`` finds no key: this attempt then opens a new window.
    """
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


@dataclass(frozen=True)
class ClientLimit:
    """At most ``limit`` attempts per client in ``window`` seconds; a limit of 0 disables it."""

    scope: str
    limit: int
    window: int

    @classmethod
    def from_rate(cls, scope: str, rate: str) -> ClientLimit:
        """A limit from a rate setting such as ``"10/h"`` (empty: disabled)."""
        limit, window = parse_rate(rate) or (0, 0)
        return cls(scope=scope, limit=limit, window=window)

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def key(self, request: HttpRequest | None) -> str:
        return key_for(self.scope, client_address(request))

    def used(self, request: HttpRequest | None) -> int:
        """Attempts this client made in the current window (0 when disabled: nothing is counted)."""
        if not self.enabled:
            return 0
        return int(cache.get(self.key(request), 0))

    def exhausted(self, request: HttpRequest | None) -> bool:
        """True when this client already used its budget; looks without counting."""
        return self.enabled and self.used(request) >= self.limit

    def count(self, request: HttpRequest | None) -> int:
        """Count one attempt and return the attempts so far; a disabled limit counts nothing (0)."""
        if not self.enabled:
            return 0
        return increment(self.key(request), self.window)

    def allow(self, request: HttpRequest | None) -> bool:
        """Count one attempt; False once this client is over its budget (always True when disabled)."""
        return self.count(request) <= self.limit


RATE_SETTINGS = ("SURVEYS_RATE", "OPEN311_RATE")


def check_rate_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Django system check: a malformed rate setting is reported by ``manage.py check`` (also run by
    ``migrate`` and ``runserver``, and in the upgrade steps of docs/operations.md) instead of surfacing
    as a 500 on the first form posted."""
    from django.core.checks import Error

    errors = []
    for name in RATE_SETTINGS:
        try:
            parse_rate(str(getattr(settings, name, "") or ""))
        except ImproperlyConfigured as exc:
            errors.append(Error(f"{name}: {exc}", id="safercities.E001"))
    return errors
