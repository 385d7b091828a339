"""Verbs on accounts: granting and revoking a role in a city."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from safercities.accounts.models import STAFF_ROLES, Membership, Role
from safercities.places.models import City


def grant_role(*, user: Any, city: City | None, role: str) -> Membership:
    """Give ``user`` ``role`` in ``city`` (None for a network admin); staff roles open the admin."""
    role = Role(role)
    with transaction.atomic():
        membership, _created = Membership.objects.update_or_create(
            user=user, city=None if role == Role.NETWORK_ADMIN else city, defaults={"role": role}
        )
        needs_staff = role in STAFF_ROLES or role == Role.NETWORK_ADMIN
        if needs_staff and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    return membership
