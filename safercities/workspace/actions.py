"""Verbs of the workspace outside imports: alert comments, memberships, published index definitions.

Each writes one thing and records it in the audit trail when that app is installed.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.http import HttpRequest
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from safercities.accounts.actions import grant_role
from safercities.accounts.models import STAFF_ROLES, Membership, Role
from safercities.analytics.composite import IndexDefinition as IndexMethod
from safercities.monitoring.index_results import compute_and_store, index_levels, index_years
from safercities.monitoring.models import Alert, IndexDefinition
from safercities.places.models import City
from safercities.workspace.models import AlertComment

# Roles a city admin may hand out in the workspace (a network admin is made on the command line).
CITY_ROLES = [Role.RESIDENT, Role.MONITOR, Role.ANALYST, Role.CITY_ADMIN]


class MembershipError(ValueError):
    """A membership change that would break a rule (e.g. leave the city without an admin)."""


def _audit(**kwargs: Any) -> None:
    if apps.is_installed("safercities.audit"):
        from safercities.audit import record

        record(**kwargs)


def comment_on_alert(*, alert: Alert, author: Any, text: str, request: HttpRequest | None = None) -> AlertComment:
    comment = AlertComment.objects.create(alert=alert, author=author, text=text.strip())
    _audit(action="alert.comment", user=author, obj=alert, city=alert.city, request=request)
    return comment


def staff_of(city: City) -> Any:
    """Users who may be assigned an alert: analysts and admins of the city."""
    return (
        get_user_model()
        .objects.filter(memberships__city=city, memberships__role__in=[Role.ANALYST, Role.CITY_ADMIN], is_active=True)
        .order_by("username")
        .distinct()
    )


def _admins_left(city: City, *, without: Membership) -> int:
    return Membership.objects.filter(city=city, role=Role.CITY_ADMIN).exclude(pk=without.pk).count()


def _drop_staff_flag(user: Any) -> None:
    """A user with no staff role left anywhere loses access to the admin site."""
    still_staff = Membership.objects.filter(user=user, role__in=[*STAFF_ROLES, Role.NETWORK_ADMIN]).exists()
    if user.is_staff and not still_staff and not user.is_superuser:
        user.is_staff = False
        user.save(update_fields=["is_staff"])


def change_role(*, membership: Membership, role: str, by: Any, request: HttpRequest | None = None) -> Membership:
    """Change a member's role; a city never loses its last city admin."""
    role = Role(role)
    if role not in CITY_ROLES:
        raise MembershipError(_("This role cannot be given here."))
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        before = membership.role
        if (
            before == Role.CITY_ADMIN
            and role != Role.CITY_ADMIN
            and not _admins_left(membership.city, without=membership)
        ):
            raise MembershipError(_("The city must keep at least one city admin."))
        grant_role(user=membership.user, city=membership.city, role=role)
        membership.refresh_from_db()
        _drop_staff_flag(membership.user)
    _audit(
        action="membership.change_role",
        user=by,
        obj=membership,
        city=membership.city,
        before={"role": before},
        after={"role": role},
        request=request,
    )
    return membership


def remove_member(*, membership: Membership, by: Any, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.role == Role.CITY_ADMIN and not _admins_left(membership.city, without=membership):
            raise MembershipError(_("The city must keep at least one city admin."))
        user, city, role = membership.user, membership.city, membership.role
        membership.delete()
        _drop_staff_flag(user)
    _audit(
        action="membership.remove",
        user=by,
        city=city,
        model_label="accounts.membership",
        object_id=str(user.pk),
        object_repr=f"{user} · {role}",
        before={"role": role},
        request=request,
    )


class InvitationForm(PasswordResetForm):
    """Django's password-reset e-mail, sent to one invited user (who has no usable password yet)."""

    def __init__(self, *args: Any, invited: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invited = invited

    def get_users(self, email: str) -> Any:
        return [self.invited]


def _free_username(email: str) -> str:
    base = slugify(email.split("@")[0])[:140] or "user"
    model = get_user_model()
    candidate, n = base, 1
    while model.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def add_member(*, city: City, identifier: str, role: str, by: Any, request: HttpRequest) -> tuple[Membership, bool]:
    """Give an existing user (by username or e-mail) a role, or invite a new one by e-mail.

    Returns the membership and whether an invitation was sent. An invited user gets an unusable
    password and the standard password-set e-mail, so no password ever travels in an e-mail.
    """
    role = Role(role)
    if role not in CITY_ROLES:
        raise MembershipError(_("This role cannot be given here."))
    identifier = identifier.strip()
    model = get_user_model()
    user = (
        model.objects.filter(username__iexact=identifier).first()
        or model.objects.filter(email__iexact=identifier).order_by("pk").first()
    )
    invited = False
    if user is None:
        if "@" not in identifier:
            raise MembershipError(_("No user has that name; give an e-mail address to invite someone new."))
        user = model.objects.create_user(username=_free_username(identifier), email=identifier)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        invited = True
    existing = Membership.objects.filter(user=user, city=city).first()
    demotes_admin = existing is not None and existing.role == Role.CITY_ADMIN and role != Role.CITY_ADMIN
    if demotes_admin and not _admins_left(city, without=existing):
        raise MembershipError(_("The city must keep at least one city admin."))
    membership = grant_role(user=user, city=city, role=role)
    if invited:
        form = InvitationForm({"email": identifier}, invited=user)
        form.is_valid()
        form.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name="workspace/emails/invitation_subject.txt",
            email_template_name="workspace/emails/invitation.txt",
            extra_email_context={"city": city, "role": membership.get_role_display(), "inviter": by},
        )
    _audit(
        action="membership.add",
        user=by,
        obj=membership,
        city=city,
        after={"role": role, "invited": invited},
        request=request,
    )
    return membership, invited


def publish_index(
    *,
    city: City,
    name: str,
    method: IndexMethod,
    by: Any,
    level: str | None = None,
    request: HttpRequest | None = None,
) -> tuple[IndexDefinition, int]:
    """Save (or update) the city's index definition and compute it for the latest year.

    Returns the definition and the number of stored results. Other years follow in the background
    ``compute`` job, which recomputes every definition of the city.
    """
    from safercities.jobs import queue

    slug = slugify(name)[:63] or "index"
    config = method.to_dict()
    definition, created = IndexDefinition.objects.update_or_create(
        city=city, slug=slug, defaults={"name": name, "config": config, "is_published": True}
    )
    years = index_years(city)
    stored = 0
    if years:
        levels = [level] if level else index_levels(city)
        for each in levels:
            stored += len(compute_and_store(city, definition, years[-1], each, draws=200))
    queue.enqueue("compute", city=city)
    _audit(
        action="index.publish" if created else "index.update",
        user=by,
        obj=definition,
        city=city,
        after={"config": config},
        request=request,
    )
    return definition, stored
