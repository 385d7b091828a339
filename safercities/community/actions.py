"""Every change to working groups, appraisals and actions: checks, one transaction, an audit event.

``may_*`` answer who may do what; ``do_*`` write (all-or-nothing) and record the change in the audit
trail; notifications to followers are sent once the transaction has committed.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safercities.accounts.models import Role
from safercities.accounts.permissions import has_role, role_in
from safercities.audit.trail import diff, record, snapshot
from safercities.community import accountability, photos
from safercities.community import indicators as audit_indicators
from safercities.community.models import (
    Action,
    ActionUpdate,
    Appraisal,
    AuditLocation,
    Finding,
    Follower,
    GroupMember,
    MappingPoint,
    Meeting,
    Photo,
    Recommendation,
    WorkingGroup,
)
from safercities.jobs.queue import enqueue_on_commit
from safercities.places.models import City

logger = logging.getLogger(__name__)

# --- who may do what -------------------------------------------------------------------------------


def may_manage(user: Any, city: City) -> bool:
    """Analysts and above of the city manage groups, recommendations and actions."""
    return has_role(user, city, Role.ANALYST)


def may_record(user: Any, group: WorkingGroup) -> bool:
    """Analysts+, the city's community monitors, and the group's own members record its appraisals."""
    if role_in(user, group.city) is None:
        return False
    if has_role(user, group.city, Role.MONITOR):
        return True
    return GroupMember.objects.filter(group=group, user=user).exists()


def _audit(action: str, *, user: Any, obj: Model, request: HttpRequest | None, before: dict | None = None) -> None:
    after = snapshot(obj)
    if before is not None:
        before, after = diff(before, after)
    record(action=action, user=user, obj=obj, before=before, after=after, request=request)


# --- working groups --------------------------------------------------------------------------------


def do_save_group(
    *,
    city: City,
    user: Any,
    data: dict[str, Any],
    group: WorkingGroup | None = None,
    request: HttpRequest | None = None,
) -> WorkingGroup:
    areas = data.pop("areas", None)
    with transaction.atomic():
        before = snapshot(group) if group is not None else None
        group = group or WorkingGroup(city=city)
        for name, value in data.items():
            setattr(group, name, value)
        group.save()
        if areas is not None:
            group.areas.set([area for area in areas if area.city_id == city.pk])
        _audit("community.group.save", user=user, obj=group, request=request, before=before)
    return group


def member_pseudonym(member: GroupMember) -> str:
    """How the audit log names a member: a stable id, never the person's name."""
    return f"member-{member.pk}"


def _member_trail(member: GroupMember) -> dict[str, Any]:
    """What the append-only audit log keeps of a member: no name, sex, age group or disability.

    The log is never pruned, so it must not outlive the member's personal data (docs/privacy.md):
    the pseudonym, the group, the role and the account link (an account id, already in the log
    for staff) are enough to say who changed the group's make-up and when.
    """
    return {
        "member": member_pseudonym(member),
        "group_id": member.group_id,
        "role": member.role,
        "user_id": member.user_id,
        "joined_on": member.joined_on.isoformat() if member.joined_on else None,
    }


def _record_member(action: str, *, member: GroupMember, user: Any, request: HttpRequest | None, **change: Any) -> None:
    record(
        action=action,
        user=user,
        obj=member,
        city=member.group.city,
        object_repr=f"{member_pseudonym(member)} ({member.role})",
        request=request,
        **change,
    )


def do_add_member(
    *, group: WorkingGroup, user: Any, data: dict[str, Any], request: HttpRequest | None = None
) -> GroupMember:
    account = data.get("user")
    if account is not None and role_in(account, group.city) is None:
        raise ValidationError({"user": _("This user has no role in the city.")})
    if not data.get("name"):
        if account is None:
            raise ValidationError({"name": _("Give a name, or pick a user.")})
        data["name"] = account.get_full_name() or account.get_username()
    try:
        with transaction.atomic():
            member = GroupMember.objects.create(group=group, **data)
            _record_member(
                "community.member.add", member=member, user=user, request=request, after=_member_trail(member)
            )
    except IntegrityError as error:
        raise ValidationError({"user": _("This user is already a member of the group.")}) from error
    return member


def do_remove_member(*, member: GroupMember, user: Any, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        _record_member(
            "community.member.remove", member=member, user=user, request=request, before=_member_trail(member)
        )
        member.delete()


def do_record_meeting(
    *, group: WorkingGroup, user: Any, data: dict[str, Any], request: HttpRequest | None = None
) -> Meeting:
    with transaction.atomic():
        meeting = Meeting.objects.create(group=group, **data)
        _audit("community.meeting.record", user=user, obj=meeting, request=request)
    return meeting


# --- appraisals ------------------------------------------------------------------------------------


def _editable(appraisal: Appraisal) -> None:
    if appraisal.is_final:
        raise ValidationError({"__all__": _("This appraisal is final and can no longer be changed.")})


def do_create_appraisal(
    *, group: WorkingGroup, user: Any, data: dict[str, Any], request: HttpRequest | None = None
) -> Appraisal:
    area = data["area"]
    if area.city_id != group.city_id:
        raise ValidationError({"area": _("Choose an area of this city.")})
    with transaction.atomic():
        appraisal = Appraisal.objects.create(city=group.city, group=group, created_by=user, **data)
        _audit("community.appraisal.create", user=user, obj=appraisal, request=request)
    return appraisal


def do_add_location(
    *, appraisal: Appraisal, user: Any, data: dict[str, Any], request: HttpRequest | None = None
) -> AuditLocation:
    _editable(appraisal)
    with transaction.atomic():
        # Lock the appraisal so that two stops added at once do not take the same number.
        list(Appraisal.objects.select_for_update().filter(pk=appraisal.pk).order_by().values_list("pk", flat=True))
        last = appraisal.locations.aggregate(last=Max("order"))["last"] or 0
        location = AuditLocation.objects.create(appraisal=appraisal, order=last + 1, **data)
        _audit("community.location.add", user=user, obj=location, request=request)
    return location


def do_add_point(
    *, appraisal: Appraisal, user: Any, data: dict[str, Any], request: HttpRequest | None = None
) -> MappingPoint:
    _editable(appraisal)
    with transaction.atomic():
        point = MappingPoint.objects.create(appraisal=appraisal, **data)
        _audit("community.point.add", user=user, obj=point, request=request)
    return point


def do_add_finding(
    *, appraisal: Appraisal, user: Any, data: dict[str, Any], request: HttpRequest | None = None
) -> Finding:
    _editable(appraisal)
    with transaction.atomic():
        finding = Finding.objects.create(appraisal=appraisal, **data)
        _audit("community.finding.add", user=user, obj=finding, request=request)
    return finding


def do_add_photo(
    *, appraisal: Appraisal, user: Any, upload: Any, caption: str = "", request: HttpRequest | None = None
) -> Photo:
    _editable(appraisal)
    try:
        content, width, height = photos.reencode(upload)
    except ValidationError as error:
        raise ValidationError({"photo": error.messages}) from error
    photo = Photo(appraisal=appraisal, caption=caption, width=width, height=height)
    target = photos.path_of(appraisal.city.slug, photo.stored_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    try:
        with transaction.atomic():
            photo.save()
            _audit("community.photo.add", user=user, obj=photo, request=request)
    except Exception:
        target.unlink(missing_ok=True)  # nothing half-written: no file without its row
        raise
    return photo


def do_finalise(
    *, appraisal: Appraisal, user: Any, request: HttpRequest | None = None, queue_compute: bool = True
) -> int:
    """Mark the appraisal final and (for an audit walk) write its indicator observations, together.

    New observations are "data changed": the city's compute job is queued after the commit.
    """
    _editable(appraisal)
    if appraisal.kind == Appraisal.AUDIT_WALK and not appraisal.locations.exists():
        raise ValidationError({"__all__": _("Add at least one rated location before finalising the walk.")})
    if appraisal.kind == Appraisal.SAFETY_MAPPING and not appraisal.points.exists():
        raise ValidationError({"__all__": _("Place at least one point before finalising the mapping.")})
    if appraisal.kind == Appraisal.FOCUS_GROUP and not appraisal.findings.exists():
        raise ValidationError({"__all__": _("Record at least one finding before finalising the focus group.")})
    written = 0
    with transaction.atomic():
        before = snapshot(appraisal)
        appraisal.status = Appraisal.FINAL
        appraisal.finalised_at = timezone.now()
        appraisal.save(update_fields=["status", "finalised_at"])
        if appraisal.kind == Appraisal.AUDIT_WALK:
            written = audit_indicators.recompute(appraisal.city, appraisal.area, appraisal.date)
            if queue_compute:
                enqueue_on_commit("compute", city=appraisal.city)
        _audit("community.appraisal.finalise", user=user, obj=appraisal, request=request, before=before)
    return written


# --- recommendations and actions -------------------------------------------------------------------


def do_create_recommendation(
    *,
    city: City,
    user: Any,
    data: dict[str, Any],
    request: HttpRequest | None = None,
    queue_compute: bool = True,
) -> Recommendation:
    appraisal, meeting = data.get("appraisal"), data.get("meeting")
    if appraisal is not None and appraisal.city_id != city.pk:
        raise ValidationError({"appraisal": _("Choose a record of this city.")})
    if meeting is not None and meeting.group.city_id != city.pk:
        raise ValidationError({"meeting": _("Choose a record of this city.")})
    with transaction.atomic():
        recommendation = Recommendation.objects.create(city=city, **data)
        _audit("community.recommendation.create", user=user, obj=recommendation, request=request)
        _recompute_answered(city, queue_compute=queue_compute)
    return recommendation


def _recompute_answered(city: City, *, queue_compute: bool) -> None:
    """Keep ``recommendations-answered`` in step with the chain (an explicit call, as walks do)."""
    if accountability.recompute(city).changed and queue_compute:
        enqueue_on_commit("compute", city=city)


def do_save_action(
    *,
    city: City,
    user: Any,
    data: dict[str, Any],
    action: Action | None = None,
    request: HttpRequest | None = None,
    queue_compute: bool = True,
) -> Action:
    """Create or change an action; linking it to a recommendation recomputes ``recommendations-answered``."""
    chosen = data.pop("indicators", None)
    if chosen is not None and any(indicator.city_id != city.pk for indicator in chosen):
        raise ValidationError({"indicators": _("Choose indicators of this city.")})
    area = data.get("area")
    if area is not None and area.city_id != city.pk:
        raise ValidationError({"area": _("Choose an area of this city.")})
    with transaction.atomic():
        before = snapshot(action) if action is not None else None
        linked_before = action.recommendation_id if action is not None else None
        action = action or Action(city=city)
        for name, value in data.items():
            setattr(action, name, value)
        if action.status == Action.DONE and action.completed_on is None:
            action.completed_on = timezone.localdate()
        if action.status != Action.DONE:
            action.completed_on = None
        action.save()
        if chosen is not None:
            action.indicators.set(chosen)
        _audit("community.action.save", user=user, obj=action, request=request, before=before)
        if action.recommendation_id != linked_before:  # a response recorded, moved or withdrawn
            _recompute_answered(city, queue_compute=queue_compute)
    return action


def do_post_update(
    *,
    action: Action,
    user: Any,
    text: str,
    status: str = "",
    day: date | None = None,
    request: HttpRequest | None = None,
) -> ActionUpdate:
    """A public progress update (optionally changing the status); followers are e-mailed after commit."""
    with transaction.atomic():
        update = ActionUpdate.objects.create(
            action=action, text=text, status=status, date=day or timezone.localdate(), author=user
        )
        if status and status != action.status:
            do_save_action(city=action.city, user=user, data={"status": status}, action=action, request=request)
        _audit("community.action.update", user=user, obj=update, request=request)
        update_id, base = update.pk, base_url(request)
        transaction.on_commit(lambda: notify_followers(ActionUpdate.objects.get(pk=update_id), base))
    return update


# --- following -------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    """A subject line: no line breaks (a header injection would make send_mail raise)."""
    return " ".join(text.split())[:150]


def _send(subject: str, body: str, address: str) -> int:
    """Send one message; a mail server that fails is logged, never an error page for the resident."""
    try:
        return send_mail(_one_line(subject), body, None, [address])
    except (OSError, BadHeaderError) as error:
        logger.warning("community mail to a follower failed: %s", error.__class__.__name__)
        return 0


def base_url(request: HttpRequest | None) -> str:
    """Scheme and host of the request, for links in e-mails (empty without a request)."""
    return request.build_absolute_uri("/").rstrip("/") if request is not None else ""


def do_follow(*, action: Action, user: Any = None, email: str = "", base: str = "") -> Follower | None:
    """Signed in: follow at once. By e-mail: a pending follower and a confirmation link by mail.

    Answers the same whether or not the address already follows (nothing is revealed about others).
    """
    if getattr(user, "is_authenticated", False):
        follower, _created = Follower.objects.get_or_create(action=action, user=user, defaults={"confirmed": True})
        return follower
    email = email.strip().lower()
    if not email:
        raise ValidationError({"email": _("Enter your e-mail address.")})
    follower, created = Follower.objects.get_or_create(action=action, email=email)
    if follower.confirmed:
        return follower
    if not created:  # a new link: the confirmation period starts again
        follower.created_at = timezone.now()
        follower.save(update_fields=["created_at"])
    link = base + reverse("community:follow_confirm", args=[action.city.slug, follower.token])
    _send(
        _("Confirm that you want to follow: %(title)s") % {"title": action.title},
        _(
            "Someone (we hope you) asked to be told of progress on the action “%(title)s”.\n\n"
            "To confirm, open this link within %(days)s days: %(link)s\n\n"
            "If it was not you, ignore this message: the request and your address are deleted after "
            "%(days)s days."
        )
        % {"title": action.title, "link": link, "days": confirm_days()},
        email,
    )
    return follower


def confirm_days() -> int:
    """Days a follow request waits for its confirmation before it (and its address) is deleted."""
    return int(settings.COMMUNITY_UNCONFIRMED_FOLLOWER_DAYS)


def do_confirm(*, token: str, now: Any = None) -> Follower | None:
    """Confirm a follow request; one older than :func:`confirm_days` has expired and is deleted."""
    follower = Follower.objects.filter(token=token).select_related("action").first()
    if follower is None or follower.confirmed:
        return follower
    if follower.created_at < (now or timezone.now()) - timedelta(days=confirm_days()):
        follower.delete()  # the daily purge would delete it anyway; its address is not kept a day longer
        return None
    follower.confirmed = True
    follower.save(update_fields=["confirmed"])
    return follower


def purge_unconfirmed_followers(*, city: City | None = None, now: Any = None) -> int:
    """Delete follow requests never confirmed within :func:`confirm_days`, with their e-mail addresses.

    Run by the daily purge (the ``reports_purge`` job and ``safercities purge_contacts``); the count per
    city goes to the audit log, never an address. Returns how many were deleted; re-running deletes
    nothing more.
    """
    days = confirm_days()
    cutoff = (now or timezone.now()) - timedelta(days=days)
    stale = Follower.objects.filter(confirmed=False, created_at__lt=cutoff)
    if city is not None:
        stale = stale.filter(action__city=city)
    purged = 0
    per_city = stale.values("action__city").annotate(n=Count("pk")).order_by("action__city")
    for place in City.objects.filter(pk__in=[row["action__city"] for row in per_city]):
        with transaction.atomic():
            count, _by_model = stale.filter(action__city=place).delete()
            if count:
                record(
                    action="community.followers_purged",
                    city=place,
                    model_label="community.follower",
                    after={"followers": count, "unconfirmed_after_days": days},
                )
        purged += count
    return purged


def do_unfollow(*, token: str) -> Follower | None:
    follower = Follower.objects.filter(token=token).select_related("action").first()
    if follower is not None:
        follower.delete()
    return follower


def notify_followers(update: ActionUpdate, base: str = "") -> int:
    """E-mail every confirmed follower of the update's action; each message has its own unfollow link."""
    action = update.action
    sent = 0
    page = base + reverse("community:action", args=[action.city.slug, action.pk])
    for follower in action.followers.filter(confirmed=True).select_related("user"):
        address = follower.address
        if not address:
            continue
        unfollow = base + reverse("community:unfollow", args=[action.city.slug, follower.token])
        status = update.get_status_display() if update.status else action.get_status_display()
        body = _(
            "New progress on “%(title)s” (%(status)s):\n\n%(text)s\n\nThe action: %(page)s\n"
            "Stop following it: %(unfollow)s"
        ) % {"title": action.title, "status": status, "text": update.text, "page": page, "unfollow": unfollow}
        sent += _send(_("Progress: %(title)s") % {"title": action.title}, body, address)
    return sent
