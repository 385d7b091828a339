"""Writing the audit trail: snapshots of a row, the difference between two, and ``record``."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model
from django.http import HttpRequest

from safercities.audit.models import AuditEvent
from safercities.places.models import City

# Never copied into the trail, whatever the model: the trail is read by city admins.
SECRET_FIELDS = {"password", "secret", "code_hash", "token", "key"}
REDACTED = "(hidden)"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def snapshot(obj: Model) -> dict[str, Any]:
    """The row's concrete field values as JSON-ready data (foreign keys as their ids)."""
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        name = field.attname
        values[name] = REDACTED if field.name in SECRET_FIELDS else field.value_from_object(obj)
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (before, after)."""
    changed = [name for name in after if before.get(name) != after[name]]
    return {name: before.get(name) for name in changed}, {name: after[name] for name in changed}


def request_id(request: HttpRequest | None) -> str:
    """The proxy's X-Request-ID when well-formed, else one made up and kept for the whole request."""
    if request is None:
        return ""
    existing = getattr(request, "_audit_request_id", None)
    if existing:
        return existing
    header = request.META.get("HTTP_X_REQUEST_ID", "")
    value = header if _REQUEST_ID.match(header) else uuid.uuid4().hex
    request._audit_request_id = value  # type: ignore[attr-defined]
    return value


def city_of(obj: Model, path: str = "city") -> City | None:
    """The city a row belongs to: through ``path`` (as CityScopedAdmin.city_path, e.g. ``area__city``),
    else through its own ``city`` or the ``city`` of a row it points to (an inline's parent)."""
    if isinstance(obj, City):
        return obj
    for candidate in (path, "city"):
        current: Any = obj
        for part in candidate.split("__"):
            current = getattr(current, part, None)
            if current is None:
                break
        if isinstance(current, City):
            return current
    for field in obj._meta.concrete_fields:
        related = field.related_model
        if field.many_to_one and related is not None and any(f.name == "city" for f in related._meta.fields):
            parent = getattr(obj, field.name, None)
            if parent is not None and isinstance(getattr(parent, "city", None), City):
                return parent.city
    return None


def record(
    *,
    action: str,
    user: Any = None,
    obj: Model | None = None,
    city: City | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    model_label: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Append one event. Domain actions call this for every change staff make outside the admin."""
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if obj is not None:
        model_label = model_label or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
        if city is None:
            city = city_of(obj)
    return AuditEvent.objects.create(
        city=city,
        user=user,
        username=user.get_username() if user is not None else "",
        action=action,
        model_label=model_label,
        object_id=object_id[:64],
        object_repr=object_repr[:200],
        before=before,
        after=after,
        request_id=request_id(request),
    )
