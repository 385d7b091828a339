"""Verbs on accounts: granting and revoking a role in a city, with the change in the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from safercities.accounts.models import STAFF_ROLES, Membership, Role
from safercities.places.models import City


def _audit(**kwargs: Any) -> None:
    from safercities.audit.trail import record

    record(**kwargs)


def grant_role(
    *, user: Any, city: City | None, role: str, by: Any = None, request: HttpRequest | None = None
) -> Membership:
    """Give ``user`` ``role`` in ``city`` (None for a network admin); staff roles open the admin.

    When someone acts (``by`` or ``request``), a real change (a new role, or a different one) is
    written to the audit trail with the role before and after. Calls without an actor are the
    system's own (seeding, demo data) and are not staff changes.
    """
    role = Role(role)
    target_city = None if role == Role.NETWORK_ADMIN else city
    with transaction.atomic():
        # ``of=("self",)`` and no update_or_create: Membership's default ordering joins the (nullable) city,
        # and PostgreSQL refuses FOR UPDATE on the nullable side of an outer join (a network admin's row).
        existing = (
            Membership.objects.select_for_update(of=("self",))
            .filter(user=user, city=target_city)
            .order_by("pk")
            .first()
        )
        before = existing.role if existing is not None else None
        if existing is None:
            membership = Membership.objects.create(user=user, city=target_city, role=role)
        else:
            membership = existing
            if membership.role != role:
                membership.role = role
                membership.save(update_fields=["role"])
        needs_staff = role in STAFF_ROLES or role == Role.NETWORK_ADMIN
        if needs_staff and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        if (by is not None or request is not None) and before != role:
            _audit(
                action="membership.grant",
                user=by,
                request=request,
                obj=membership,
                city=target_city,
                before={"role": before} if before is not None else None,
                after={"role": str(role), "user": user.get_username()},
            )
    return membership


def revoke_role(*, user: Any, city: City | None, by: Any = None, request: HttpRequest | None = None) -> bool:
    """Remove ``user``'s role in ``city`` (None: the network role); audited when someone acts.

    The admin flag is dropped when no staff role is left anywhere (superusers keep theirs).
    Returns whether there was a role to remove.
    """
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(of=("self",)).filter(user=user, city=city).order_by("pk").first()
        )
        if membership is None:
            return False
        role, pk = membership.role, membership.pk
        membership.delete()
        still_staff = Membership.objects.filter(user=user, role__in=[*STAFF_ROLES, Role.NETWORK_ADMIN]).exists()
        if user.is_staff and not still_staff and not user.is_superuser:
            user.is_staff = False
            user.save(update_fields=["is_staff"])
        if by is not None or request is not None:
            _audit(
                action="membership.revoke",
                user=by,
                request=request,
                city=city,
                model_label="accounts.membership",
                object_id=str(pk),
                object_repr=f"{user.get_username()} · {role}",
                before={"role": role, "user": user.get_username()},
                after=None,
            )
    return True
