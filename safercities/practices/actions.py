"""Every change to the library: write, publish, withdraw, comment, moderate. Each is audited.

Rights (docs/practices.md): a city's analysts and admins write and edit its practices; only its
city admin (or a network admin) publishes or withdraws; any signed-in user may comment on a
published practice; the practice city's staff (analyst+) or a network admin moderate comments.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from safercities.accounts.models import Role
from safercities.accounts.permissions import cities_for, has_role, is_network_admin
from safercities.audit.trail import diff, record, snapshot
from safercities.indicators.models import Dimension
from safercities.places.models import City
from safercities.practices import search
from safercities.practices.models import Comment, Practice

# --- who may see and do what -------------------------------------------------------------------------


def visible_practices(user: Any) -> QuerySet[Practice]:
    """Published practices of public cities for everyone; a city's members also see its published
    practices when the city is private; its staff see its drafts and withdrawn ones too."""
    queryset = Practice.objects.select_related("city").prefetch_related("dimensions")
    if is_network_admin(user):
        return queryset
    shown = Q(status=Practice.PUBLISHED, city__is_public=True)
    if getattr(user, "is_authenticated", False):
        shown |= Q(status=Practice.PUBLISHED, city__in=cities_for(user, Role.RESIDENT))
        shown |= Q(city__in=cities_for(user, Role.ANALYST))
    return queryset.filter(shown)


def may_edit(user: Any, practice: Practice) -> bool:
    return has_role(user, practice.city, Role.ANALYST)


def may_publish(user: Any, city: City) -> bool:
    return has_role(user, city, Role.CITY_ADMIN)


def may_moderate(user: Any, city: City) -> bool:
    return has_role(user, city, Role.ANALYST)


# --- practices -----------------------------------------------------------------------------------------


def save_practice(
    *,
    practice: Practice,
    dimensions: Iterable[Dimension],
    user: Any,
    request: HttpRequest | None = None,
) -> Practice:
    """Create or update a practice (fields already set and validated) with its dimensions."""
    if not may_edit(user, practice):
        raise PermissionDenied("only the city's analysts and admins write its practices")
    creating = practice.pk is None
    with transaction.atomic():
        before = {} if creating else snapshot(Practice.objects.get(pk=practice.pk))
        if creating:
            practice.created_by = user if getattr(user, "is_authenticated", False) else None
        practice.updated_at = timezone.now()
        practice.save()
        practice.dimensions.set(list(dimensions))
        search.reindex(practice)
        after = snapshot(practice)
        after.pop("search_vector", None)
        before.pop("search_vector", None)
        after["dimensions"] = sorted(practice.dimensions.values_list("code", flat=True))
        changed_before, changed_after = diff(before, after)
        record(
            action="practice.create" if creating else "practice.update",
            user=user,
            obj=practice,
            before=changed_before or None,
            after=changed_after,
            request=request,
        )
    return practice


def set_status(*, practice: Practice, status: str, user: Any, request: HttpRequest | None = None) -> bool:
    """Publish (to the whole network) or withdraw a practice; False when it already had that status."""
    if not may_publish(user, practice.city):
        raise PermissionDenied("only the city admin publishes or withdraws its practices")
    if status not in {Practice.PUBLISHED, Practice.WITHDRAWN, Practice.DRAFT}:
        raise ValueError(status)
    with transaction.atomic():
        current = Practice.objects.select_for_update().get(pk=practice.pk)
        if current.status == status:
            return False
        before = {"status": current.status, "published_at": current.published_at}
        fields = ["status", "updated_at"]
        current.status = status
        current.updated_at = timezone.now()
        if status == Practice.PUBLISHED and current.published_at is None:
            current.published_at = current.updated_at
            fields.append("published_at")
        current.save(update_fields=fields)
        record(
            action=f"practice.{status}",
            user=user,
            obj=current,
            before={k: str(v) if v else v for k, v in before.items()},
            after={"status": status, "published_at": str(current.published_at) if current.published_at else None},
            request=request,
        )
    practice.refresh_from_db()
    return True


# --- discussion ---------------------------------------------------------------------------------------


def add_comment(*, practice: Practice, user: Any, text: str, request: HttpRequest | None = None) -> Comment:
    """A signed-in user's comment; hidden until a moderator approves it."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("sign in to comment")
    if not practice.is_published:
        raise PermissionDenied("only published practices take comments")
    name = (user.get_full_name() or user.get_username())[:150]
    with transaction.atomic():
        comment = Comment.objects.create(
            practice=practice, city=practice.city, author=user, author_name=name, text=text
        )
        record(action="practice_comment.create", user=user, obj=comment, after={"text": text}, request=request)
    return comment


def moderate(*, comment: Comment, approve: bool, user: Any, request: HttpRequest | None = None) -> bool:
    """Approve or reject a comment; False when it already had that decision."""
    if not may_moderate(user, comment.city):
        raise PermissionDenied("only the practice city's staff or a network admin moderate")
    status = Comment.APPROVED if approve else Comment.REJECTED
    with transaction.atomic():
        current = Comment.objects.select_for_update().get(pk=comment.pk)
        if current.status == status:
            return False
        before = current.status
        current.status = status
        current.moderated_by = user
        current.moderated_at = timezone.now()
        current.save(update_fields=["status", "moderated_by", "moderated_at"])
        record(
            action=f"practice_comment.{status}",
            user=user,
            obj=current,
            before={"status": before},
            after={"status": status},
            request=request,
        )
    comment.refresh_from_db()
    return True
