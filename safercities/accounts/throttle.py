"""Sign-in throttling: lock a username, and slow a client address, after repeated failures.

Failures are counted in a sliding window (``LOGIN_FAILURE_WINDOW`` seconds). A username is locked after
``LOGIN_FAILURE_LIMIT`` failures, a client address after ``LOGIN_CLIENT_FAILURE_LIMIT`` (higher: many
people may share one municipal proxy). Keys are HMAC-SHA256 digests under ``SECRET_KEY``, so the table
holds no IP address and no username in clear; rows older than the window are purged on every write.
A successful sign-in clears the username's failures (not the address's: an attacker must not be able
to reset the address counter with an account of their own).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from safercities.accounts.models import LoginFailure
from safercities.accounts.ratelimit import client_address, increment, key_for


def _digest(kind: str, value: str) -> str:
    message = f"login-throttle:{kind}:{value}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _keys(username: str, request: HttpRequest | None) -> list[tuple[str, str, int]]:
    return [
        (LoginFailure.Kind.USERNAME, _digest("u", username.strip().casefold()), settings.LOGIN_FAILURE_LIMIT),
        (LoginFailure.Kind.CLIENT, _digest("c", client_address(request)), settings.LOGIN_CLIENT_FAILURE_LIMIT),
    ]


def _window_start() -> Any:
    return timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)


def locked_for(username: str, request: HttpRequest | None) -> int:
    """Seconds until another attempt is allowed for this username or address (0: allowed now)."""
    start = _window_start()
    wait = 0
    for kind, key, limit in _keys(username, request):
        recent = LoginFailure.objects.filter(kind=kind, key=key, created_at__gte=start).order_by("-created_at")
        times = list(recent.values_list("created_at", flat=True)[:limit])
        if len(times) >= limit:
            # Locked until the limit-th most recent failure leaves the window.
            unlock = times[-1] + timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
            wait = max(wait, int((unlock - timezone.now()).total_seconds()) + 1)
    return wait


def record_failure(username: str, request: HttpRequest | None) -> None:
    """Count a failed password or second-factor attempt, and purge what has left the window."""
    now = timezone.now()
    LoginFailure.objects.filter(created_at__lt=_window_start()).delete()
    LoginFailure.objects.bulk_create(
        [LoginFailure(kind=kind, key=key, created_at=now) for kind, key, _limit in _keys(username, request)]
    )


def clear(username: str, request: HttpRequest | None) -> None:
    """Forget the username's failures after a complete, successful sign-in."""
    kind, key, _limit = _keys(username, request)[0]
    LoginFailure.objects.filter(kind=kind, key=key).delete()


# --- Password reset ------------------------------------------------------------------------------
# Reset e-mails are counted in Django's cache (``accounts.ratelimit``), not in a table: the counters
# are short-lived and written by anonymous callers. The cache must therefore be shared by every
# process (Redis ``CACHES`` from ``CACHE_URL`` in production; docs/security.md).


def _reset_limits() -> list[tuple[str, int]]:
    return [
        ("address", int(getattr(settings, "PASSWORD_RESET_LIMIT_PER_ADDRESS", 3))),
        ("client", int(getattr(settings, "PASSWORD_RESET_LIMIT_PER_CLIENT", 10))),
    ]


def reset_window() -> int:
    return int(getattr(settings, "PASSWORD_RESET_WINDOW", 3600))


def _reset_key(kind: str, value: str) -> str:
    return key_for(f"accounts:reset-{kind}", value)


def password_reset_allowed(email: str, request: HttpRequest | None) -> bool:
    """Count one reset request for this e-mail address and this client; False past either limit.

    Every request counts, whether or not an account has the address, so the answer reveals nothing
    about who has an account. Fixed windows of ``PASSWORD_RESET_WINDOW`` seconds.
    """
    values = {"address": email.strip().casefold(), "client": client_address(request)}
    allowed = True
    for kind, limit in _reset_limits():
        count = increment(_reset_key(kind, values[kind]), reset_window())
        if limit and count > limit:
            allowed = False
    return allowed
