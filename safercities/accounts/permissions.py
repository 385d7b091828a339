"""Which cities a user may act in, and in which role. The single source of tenancy rules."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from safercities.accounts.models import ROLE_RANK, Membership, Role
from safercities.places.models import City


def is_network_admin(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, city__isnull=True, role=Role.NETWORK_ADMIN).exists()


def role_in(user: Any, city: City) -> str | None:
    """The user's role in ``city`` (a network admin counts as city admin everywhere)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if is_network_admin(user):
        return Role.NETWORK_ADMIN
    return Membership.objects.filter(user=user, city=city).values_list("role", flat=True).first()


def has_role(user: Any, city: City, minimum: str) -> bool:
    """True when the user's role in ``city`` is ``minimum`` or higher."""
    role = role_in(user, city)
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(minimum)]


def cities_for(user: Any, minimum: str = Role.ANALYST) -> QuerySet[City]:
    """Cities in which the user holds at least ``minimum``; all of them for a network admin."""
    if is_network_admin(user):
        return City.objects.all()
    if not getattr(user, "is_authenticated", False):
        return City.objects.none()
    allowed = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[Role(minimum)]]
    return City.objects.filter(memberships__user=user, memberships__role__in=allowed).distinct()
