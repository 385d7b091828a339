"""A shared cache of the public pages' expensive parts, and its invalidation.

What is cached: HTML fragments and JSON bodies that are the same for every visitor allowed to see a
city — the city page's body (map, ranking, key indicators, alerts), its hot-spot section, the area and
indicator pages' bodies, map.json and the network table — never a whole response. The page around a
fragment (the header with the signed-in user's name, the sign-out form and its CSRF token, other apps'
sections of the area page) is rendered for each request, and the visibility check (private cities) runs
before the cache is read. Fragments are rendered without the request, so they cannot hold a CSRF token
or anything personal.

Keys: ``portal:<what>:<city id>:<language>:<global version>:<city version>:<hash of the parameters>``.
A version is a random token kept in the cache; :func:`invalidate` replaces it, which orphans every
entry of the city at once (they expire after the alias's ``TIMEOUT``). It is called when a compute
finishes (``monitoring.compute.compute_all``), from signals when a city, indicator, index definition,
incident category, area or alert is saved or deleted (:func:`connect_signals`), and by the workspace
views that change settings, visibility or publication. Inside a transaction the token is replaced at
once and again after the commit, so nothing read before the commit survives under the new token.

The cache alias is ``portal`` (settings ``CACHES``; Redis when ``CACHE_URL`` is set, otherwise per-process
memory; a dummy cache in the test suite unless a test switches it on). If the cache server fails, the
pages are built uncached and a warning is logged: a cache outage slows the portal, never breaks it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.core.cache import BaseCache, InvalidCacheBackendError, caches
from django.core.cache.backends.dummy import DummyCache
from django.db import transaction
from django.utils import translation

log = logging.getLogger(__name__)
ALIAS = "portal"
GLOBAL = 0  # the "city id" of things shared by every city (dimensions)
# A version token outlives every entry made under it; if one expires anyway, a new token only means misses.
VERSION_SECONDS = 7 * 24 * 3600
T = TypeVar("T")


def backend() -> BaseCache:
    """The portal's cache alias, or the default one when settings define no ``portal`` alias."""
    try:
        return caches[ALIAS]
    except InvalidCacheBackendError:
        return caches["default"]


def enabled() -> bool:
    return not isinstance(backend(), DummyCache)


def _version_key(city_id: int) -> str:
    return f"portal:v:{city_id}"


def versions(city_ids: Iterable[int]) -> dict[int, str]:
    """The current version token of each city (and of :data:`GLOBAL`), creating missing ones."""
    cache = backend()
    wanted = {_version_key(c): c for c in {GLOBAL, *city_ids}}
    found = cache.get_many(list(wanted))
    for key in set(wanted) - set(found):
        # add() is atomic: if another process created the token meanwhile, read the winner's.
        cache.add(key, secrets.token_hex(8), VERSION_SECONDS)
        found[key] = cache.get(key) or "-"
    return {wanted[key]: token for key, token in found.items()}


def _bump(city_id: int) -> None:
    try:
        backend().set(_version_key(city_id), secrets.token_hex(8), VERSION_SECONDS)
    except Exception:  # the cache server is down: entries expire after TIMEOUT anyway
        log.warning("portal cache: could not invalidate city %s", city_id, exc_info=True)


def invalidate(city: Any = None) -> None:
    """Make every cached part of ``city`` (a City or its id; None = every city) stale, now and at commit."""
    city_id = GLOBAL if city is None else int(getattr(city, "pk", city))
    if not enabled():
        return
    _bump(city_id)
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _bump(city_id))


def _digest(parts: Sequence[Any]) -> str:
    return hashlib.sha256(repr(tuple(parts)).encode()).hexdigest()[:24]


Tokens = dict[int, str]
Spec = tuple[str, int, Sequence[Any], Callable[[], Any]]  # what, city id, parameters, build


def tokens(city_ids: Iterable[int]) -> Tokens | None:
    """The version tokens a request needs, read once (one round trip); None when the cache is off or down."""
    if not enabled():
        return None
    try:
        return versions(city_ids)
    except Exception:
        log.warning("portal cache unavailable; pages are built uncached", exc_info=True)
        return None


def _key(what: str, city_id: int, parts: Sequence[Any], found: Tokens, also: Iterable[int]) -> str:
    stamp = ".".join(found[c] for c in (GLOBAL, city_id, *sorted(set(also))))
    return f"portal:{what}:{city_id}:{translation.get_language() or '-'}:{stamp}:{_digest(parts)}"


def key_for(what: str, city_id: int, parts: Sequence[Any], found: Tokens, also: Iterable[int] = ()) -> str:
    """The key of a value, for callers that store it themselves (whole anonymous pages)."""
    return _key(what, city_id, parts, found, also)


def get(key: str) -> Any:
    """A stored value or None (also when the cache server fails)."""
    try:
        return backend().get(key)
    except Exception:
        log.warning("portal cache unavailable", exc_info=True)
        return None


def put(key: str, value: Any) -> None:
    try:
        backend().set(key, value)
    except Exception:
        log.warning("portal cache: could not store", exc_info=True)


def cached_many(specs: Sequence[Spec], found: Tokens | None) -> list[Any]:
    """Each spec's value from the cache (one round trip), building and storing the missing ones."""
    if found is None:
        return [build() for _what, _city, _parts, build in specs]
    cache = backend()
    keys = [_key(what, city_id, parts, found, ()) for what, city_id, parts, _build in specs]
    try:
        hits = cache.get_many(keys)
    except Exception:
        log.warning("portal cache unavailable; building uncached", exc_info=True)
        return [build() for _what, _city, _parts, build in specs]
    out, missing = [], {}
    for key, (_what, _city, _parts, build) in zip(keys, specs, strict=True):
        if key not in hits:
            missing[key] = hits[key] = build()
        out.append(hits[key])
    if missing:
        try:
            cache.set_many(missing)
        except Exception:
            log.warning("portal cache: could not store", exc_info=True)
    return out


def cached(
    what: str,
    city_id: int,
    parts: Sequence[Any],
    build: Callable[[], T],
    *,
    also: Iterable[int] = (),
    found: Tokens | None = None,
) -> T:
    """``build()``'s value, shared by every process for this city, language, ``parts`` and version.

    ``also``: ids of further cities whose versions the value depends on (the network table);
    ``found``: the tokens the request read already (else they are read here).
    """
    also = tuple(also)
    if found is None or any(c not in found for c in also):
        found = tokens([city_id, *also])
    if found is None:
        return build()
    cache = backend()
    try:
        key = _key(what, city_id, parts, found, also)
        value = cache.get(key)
    except Exception:
        log.warning("portal cache unavailable; building %s uncached", what, exc_info=True)
        return build()
    if value is not None:
        return value
    value = build()
    try:
        cache.set(key, value)
    except Exception:
        log.warning("portal cache: could not store %s", what, exc_info=True)
    return value


# --- invalidation by signals ---------------------------------------------------------------------


def _city_of(instance: Any) -> int | None:
    from safercities.places.models import City

    if isinstance(instance, City):
        return instance.pk
    return getattr(instance, "city_id", None)


def _on_change(sender: type, instance: Any, **kwargs: Any) -> None:
    city_id = _city_of(instance)
    invalidate(city_id if city_id is not None else None)


def connect_signals() -> None:
    """Invalidate on every ORM save/delete of what the public pages show besides computed results.

    Bulk writes (imports, computes) send no signals; the compute's own call covers them.
    """
    from django.db.models.signals import post_delete, post_save

    from safercities.incidents.models import IncidentCategory
    from safercities.indicators.models import Dimension, Indicator
    from safercities.monitoring.models import Alert, IndexDefinition
    from safercities.places.models import Area, City

    for model in (City, Indicator, IndexDefinition, IncidentCategory, Area, Alert, Dimension):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"portal-cache-save-{model.__name__}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"portal-cache-delete-{model.__name__}")
