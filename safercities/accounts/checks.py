"""System checks: the throttling state must be shared by every process serving the site."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@checks.register(checks.Tags.security, deploy=True)
def shared_cache(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """With a per-process cache, each worker counts password resets (and API calls) on its own.

    Reported as information, not a warning: a single-process deployment (``make run``) is fine.
    """
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend in PER_PROCESS_CACHES:
        return [
            checks.Info(
                "The default cache is per process, so password-reset and API throttling are not shared "
                "between workers.",
                hint="Configure a shared CACHES backend (Redis) in production; see docs/security.md.",
                id="accounts.I001",
            )
        ]
    return []
