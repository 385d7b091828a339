"""A shared cache of the public pages, and its invalidation.

What is cached (alias ``portal``; Redis when ``CACHE_URL`` is set, else per-process memory):

- fragments that are the same for every visitor allowed to see a city — the city page's body (map,
  ranking, key indicators, alerts), its hot-spot section, the area, indicator and network bodies,
  map.json, the city-wide figures. They are rendered without the request, so they cannot hold a CSRF
  token, a user's name or anything else personal; the page around them (header, sign-out form, other
  apps' area sections) is rendered for each request;
- whole pages for anonymous visitors, stored only when rendering them used no CSRF token, set no cookie
  and left the session alone (``views._whole_page``).

The visibility check (private cities) always runs before the cache is read.

Keys: ``portal:<what>:<city id>:<language>:<version token>:<hash of the parameters>``. The version
token of a city lives in the database (:class:`~safercities.portal.models.CacheVersion`), read in the
same query as the city itself, so every process sees a change the moment it is committed, whatever the
cache backend; old entries are orphaned and expire after the alias's ``TIMEOUT``. :func:`invalidate`
replaces the token: at the end of a compute (``monitoring.compute.compute_all``), from signals when a
city, indicator, index definition, incident category, area, alert or dimension is saved or deleted
(:func:`connect_signals`), and from the workspace views that change settings, visibility or
publication. Bulk writes (imports, computes) send no signals; the compute's call covers them. A city
without a token (none should be: the migration and the signals create them) is simply not cached.

If the cache server fails, pages are built uncached and a warning is logged: an outage slows the
portal, never breaks it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.core.cache import BaseCache, InvalidCacheBackendError, caches
from django.core.cache.backends.dummy import DummyCache
from django.db.models import F, QuerySet
from django.utils import timezone, translation

log = logging.getLogger(__name__)
ALIAS = "portal"
TOKEN = "portal_token"  # the attribute with_token() adds to cities
T = TypeVar("T")
Spec = tuple[str, Any, Sequence[Any], Callable[[], Any]]  # what, city, parameters, build


def backend() -> BaseCache:
    """The portal's cache alias, or the default one when settings define no ``portal`` alias."""
    try:
        return caches[ALIAS]
    except InvalidCacheBackendError:
        return caches["default"]


def enabled() -> bool:
    return not isinstance(backend(), DummyCache)


# --- versions ------------------------------------------------------------------------------------


def with_token(cities: QuerySet) -> QuerySet:
    """Cities with their version token (``portal_token``), in the same query."""
    return cities.annotate(**{TOKEN: F("portal_version__token")})


def token_of(city: Any) -> str | None:
    token = getattr(city, TOKEN, "")
    if token == "":  # not read with the city
        from safercities.portal.models import CacheVersion

        token = CacheVersion.objects.filter(city_id=city.pk).values_list("token", flat=True).first()
    return token


def invalidate(city: Any = None) -> None:
    """Make every cached part of ``city`` (a City or its id; None = every city) stale.

    Inside a transaction the new token becomes visible with the commit, together with the change.
    Only updates: a city's row is created with the city (signal) or by the migration, never here,
    so a city being deleted is never given a new row.
    """
    from safercities.portal.models import CacheVersion

    rows = CacheVersion.objects.all()
    if city is not None:
        rows = rows.filter(city_id=int(getattr(city, "pk", city)))
    rows.update(token=secrets.token_hex(8), changed_at=timezone.now())


def _ensure(city_id: int) -> None:
    from safercities.portal.models import CacheVersion

    CacheVersion.objects.get_or_create(city_id=city_id, defaults={"token": secrets.token_hex(8)})


# --- reading and storing -------------------------------------------------------------------------


def _digest(parts: Sequence[Any]) -> str:
    return hashlib.sha256(repr(tuple(parts)).encode()).hexdigest()[:24]


def key_for(what: str, city: Any, parts: Sequence[Any], also: Iterable[Any] = ()) -> str | None:
    """The key of a value, or None when a city involved has no token (then nothing is cached)."""
    if not enabled():
        return None
    stamps = []
    for one in (city, *also):
        if one is None:
            continue
        token = token_of(one)
        if not token:
            return None
        stamps.append(f"{one.pk}-{token}")
    place = getattr(city, "pk", 0)
    stamp = ".".join(stamps)
    return f"portal:{what}:{place}:{translation.get_language() or '-'}:{stamp}:{_digest(parts)}"


def get(key: str | None) -> Any:
    """A stored value or None (also when the cache server fails)."""
    if key is None:
        return None
    try:
        return backend().get(key)
    except Exception:
        log.warning("portal cache unavailable", exc_info=True)
        return None


def put(key: str | None, value: Any) -> None:
    if key is None:
        return
    try:
        backend().set(key, value)
    except Exception:
        log.warning("portal cache: could not store", exc_info=True)


def cached(what: str, city: Any, parts: Sequence[Any], build: Callable[[], T], *, also: Iterable[Any] = ()) -> T:
    """``build()``'s value, shared by every process for this city, language, ``parts`` and version.

    ``city``: a City (None for what belongs to no single city); ``also``: further cities whose
    versions the value depends on (the network table).
    """
    key = key_for(what, city, parts, also)
    value = get(key)
    if value is None:
        value = build()
        put(key, value)
    return value


def cached_many(specs: Sequence[Spec]) -> list[Any]:
    """Each spec's value, read in one round trip; the missing ones built and stored."""
    keys = [key_for(what, city, parts) for what, city, parts, _build in specs]
    hits: dict[str, Any] = {}
    wanted = [key for key in keys if key is not None]
    if wanted:
        try:
            hits = backend().get_many(wanted)
        except Exception:
            log.warning("portal cache unavailable; building uncached", exc_info=True)
    out, missing = [], {}
    for key, (_what, _city, _parts, build) in zip(keys, specs, strict=True):
        value = hits.get(key) if key is not None else None
        if value is None:
            value = build()
            if key is not None:
                missing[key] = value
        out.append(value)
    if missing:
        try:
            backend().set_many(missing)
        except Exception:
            log.warning("portal cache: could not store", exc_info=True)
    return out


# --- invalidation by signals ---------------------------------------------------------------------


def _on_change(sender: type, instance: Any, **kwargs: Any) -> None:
    city_id = getattr(instance, "city_id", None)
    if city_id is not None:
        invalidate(city_id)
    elif sender.__name__ == "Dimension":  # shared by every city
        invalidate(None)


def _on_city_saved(sender: type, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # loading fixtures
        return
    if created:
        _ensure(instance.pk)
    else:
        invalidate(instance)


def connect_signals() -> None:
    """Invalidate on every ORM save/delete of what the public pages show besides computed results."""
    from django.db.models.signals import post_delete, post_save

    from safercities.incidents.models import IncidentCategory
    from safercities.indicators.models import Dimension, Indicator
    from safercities.monitoring.models import Alert, IndexDefinition
    from safercities.places.models import Area, City

    post_save.connect(_on_city_saved, sender=City, dispatch_uid="portal-cache-city")
    for model in (Indicator, IndexDefinition, IncidentCategory, Area, Alert, Dimension):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"portal-cache-save-{model.__name__}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"portal-cache-delete-{model.__name__}")
