"""Verbs on reports: submit (residents), moderate, route, answer, merge (staff), purge and erase (privacy).

Every verb validates first and writes in one transaction, so a bad input never leaves half a report.
Staff verbs record an audit event (``audit.trail.record``) with the fields that changed.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import timedelta
from typing import Any

import h3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from safercities.audit.trail import diff, record
from safercities.ingest import images
from safercities.places.models import Area, City
from safercities.reports.models import (
    DEFAULT_CONTACT_RETENTION_DAYS,
    Department,
    Report,
    ReportCategory,
    ReportComment,
    ReportPolicy,
    ReportSupport,
    ReportUpdate,
    SensitiveAccess,
)

MAX_DESCRIPTION = 5000
MIN_DESCRIPTION = 10
MAX_ADDRESS = 300
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000  # a decompression bomb is refused before decoding
PHOTO_LONGEST_SIDE = 1600
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone
DUPLICATE_METRES = 150
DUPLICATE_DAYS = 14

# Which status may follow which; resolved and closed may be reopened (back to in progress).
TRANSITIONS: dict[str, set[str]] = {
    Report.RECEIVED: {Report.ACKNOWLEDGED, Report.IN_PROGRESS, Report.RESOLVED, Report.CLOSED},
    Report.ACKNOWLEDGED: {Report.IN_PROGRESS, Report.RESOLVED, Report.CLOSED},
    Report.IN_PROGRESS: {Report.RESOLVED, Report.CLOSED},
    Report.RESOLVED: {Report.CLOSED, Report.IN_PROGRESS},
    Report.CLOSED: {Report.IN_PROGRESS},
}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _new_reference() -> str:
    return "R-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius 6,371,008.8 m)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))


def locate(city: City, lat: float, lon: float) -> tuple[bool, Area | None]:
    """(inside the city?, the smallest area containing the point).

    A city with neither a boundary nor area polygons accepts any point (nothing to check against).
    """
    import numpy as np
    import shapely
    from shapely.geometry import shape

    from safercities.incidents.spatial import AreaIndex

    rows = list(
        Area.objects.filter(city=city, geometry__isnull=False).values_list("id", "code", "area_km2", "geometry")
    )
    index, _skipped = AreaIndex.from_areas(rows)
    found = int(index.assign(np.array([lon]), np.array([lat]))[0])
    area = Area.objects.get(pk=found) if found else None
    if area is not None:
        return True, area
    if city.boundary:
        try:
            inside = bool(shapely.intersects_xy(shape(city.boundary.get("geometry", city.boundary)), lon, lat))
        except Exception:  # noqa: BLE001 — a broken boundary cannot vouch for the point
            inside = False
        return inside, None
    return not index.polygons, None


def clean_photo(upload: Any) -> ContentFile:
    """Decode the upload with Pillow, re-encode it as a fresh JPEG: no EXIF, no GPS, no trailing payload.

    Raises ``ValidationError`` for anything Pillow cannot decode as one of the allowed formats.
    """
    try:
        picture = images.reencode_jpeg(
            upload,
            max_bytes=MAX_PHOTO_BYTES,
            max_pixels=MAX_PHOTO_PIXELS,
            longest_side=PHOTO_LONGEST_SIDE,
            quality=82,
            formats=PHOTO_FORMATS,
        )
    except images.PictureRefused as refused:
        messages = {
            images.Reason.TOO_LARGE: _("The photo is larger than 5 MB."),
            images.Reason.FORMAT: _("Send the photo as JPEG, PNG, WebP or GIF."),
            images.Reason.TOO_MANY_PIXELS: _("The photo has too many pixels."),
            images.Reason.UNREADABLE: _("This file is not an image we can read."),
        }
        raise ValidationError(messages[refused.reason]) from None
    return ContentFile(picture.content, name=f"{secrets.token_hex(12)}.jpg")


def submit_report(
    *,
    city: City,
    category: ReportCategory,
    description: str,
    lat: float | None = None,
    lon: float | None = None,
    area: Area | None = None,
    address: str = "",
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    photo: Any = None,
    source: str = "web",
    user: Any = None,
) -> tuple[Report, str]:
    """File a resident's report; returns it and its private tracking token (only a hash is stored).

    Raises ``ValidationError({field: [messages]})`` on bad input, having written nothing.
    """
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(str(message))

    if not isinstance(category, ReportCategory) or category.city_id != city.pk or not category.active:
        fail("category", _("Choose one of this city's categories."))
    description = (description or "").replace("\x00", "").strip()
    if len(description) < MIN_DESCRIPTION:
        fail("description", _("Describe what happened in at least %(n)d characters.") % {"n": MIN_DESCRIPTION})
    elif len(description) > MAX_DESCRIPTION:
        fail("description", _("Keep the description under %(n)d characters.") % {"n": MAX_DESCRIPTION})
    address = (address or "").replace("\x00", "").strip()
    if len(address) > MAX_ADDRESS:
        fail("address", _("Keep the address under %(n)d characters.") % {"n": MAX_ADDRESS})
    if area is not None and (not isinstance(area, Area) or area.city_id != city.pk):
        fail("area", _("Choose one of this city's areas."))
        area = None
    point: tuple[float, float] | None = None
    if lat not in (None, "") or lon not in (None, ""):
        flat, flon = _finite(lat), _finite(lon)
        if flat is None or flon is None or not (-90 <= flat <= 90) or not (-180 <= flon <= 180):
            fail("lat", _("The map position is not a valid coordinate."))
        else:
            inside, found = locate(city, flat, flon)
            if not inside:
                fail("lat", _("The position is outside %(city)s.") % {"city": city.name})
            else:
                point = (flat, flon)
                area = found or area
    if point is None and area is None and not address and "lat" not in errors:
        fail("area", _("Tell us where: tap the map, choose an area or give an address."))
    contact_name = (contact_name or "").strip()
    contact_email = (contact_email or "").strip()
    contact_phone = (contact_phone or "").strip()
    if len(contact_name) > 200:
        fail("contact_name", _("Keep the name under 200 characters."))
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError:
            fail("contact_email", _("Enter a valid e-mail address."))
        if len(contact_email) > 254:
            fail("contact_email", _("Enter a valid e-mail address."))
    if contact_phone and (len(contact_phone) > 40 or not all(c.isdigit() or c in "+-() ." for c in contact_phone)):
        fail("contact_phone", _("Enter a phone number with digits, spaces and + - ( ) only."))
    if source not in {s for s, _label in Report.SOURCES}:
        fail("source", _("Unknown source."))
    cleaned_photo = None
    if photo:
        try:
            cleaned_photo = clean_photo(photo)
        except ValidationError as exc:
            for message in exc.messages:
                fail("photo", message)
    if errors:
        raise ValidationError(errors)

    token = secrets.token_urlsafe(24)
    h3_cell = ""
    if point is not None:
        h3_cell = h3.latlng_to_cell(point[0], point[1], settings.INCIDENT_H3_RESOLUTION)
    for _attempt in range(8):
        try:
            with transaction.atomic():
                report = Report(
                    city=city,
                    reference=_new_reference(),
                    token_hash=hash_token(token),
                    category=category,
                    description=description,
                    lat=point[0] if point else None,
                    lon=point[1] if point else None,
                    area=area,
                    h3_cell=h3_cell,
                    address=address,
                    department=category.department,
                    source=source,
                    contact_name=contact_name,
                    contact_email=contact_email,
                    contact_phone=contact_phone,
                    user=user if getattr(user, "is_authenticated", False) else None,
                    language=(get_language() or settings.LANGUAGE_CODE)[:8],
                )
                if cleaned_photo is not None:
                    report.photo.save(cleaned_photo.name, cleaned_photo, save=False)
                report.save()
                ReportUpdate.objects.create(report=report, status=Report.RECEIVED, text="", public=True)
            return report, token
        except IntegrityError:
            if cleaned_photo is not None and report.photo:
                report.photo.delete(save=False)
            continue  # a reference collided (1 in 10^9): draw another
    raise RuntimeError("could not allocate a unique report reference")


def report_for_token(token: str) -> Report | None:
    if not token or len(token) > 100:
        return None
    return Report.objects.select_related("city", "category", "department").filter(token_hash=hash_token(token)).first()


# --- who may see what -------------------------------------------------------------------------------------


def may_see_sensitive(user: Any, city: City) -> bool:
    """Only staff whom a city admin designated read sensitive reports' details (the admin too needs it)."""
    from safercities.accounts.permissions import has_role

    if not has_role(user, city, "analyst"):
        return False
    return SensitiveAccess.objects.filter(city=city, user=user).exists()


def may_see_details(user: Any, report: Report) -> bool:
    return not report.category.sensitive or may_see_sensitive(user, report.city)


# --- staff verbs ---------------------------------------------------------------------------------------


PRIVATE_FIELDS = ("contact_name", "contact_email", "contact_phone", "description", "token_hash")


def snapshot(obj: Any) -> dict[str, Any]:
    """``audit.trail.snapshot`` for rows with files (as their stored name) and personal data (as a
    marker that says only whether it is filled): the trail is read by city admins."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder
    from django.db.models.fields.files import FieldFile

    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        value = field.value_from_object(obj)
        if isinstance(value, FieldFile):
            value = value.name or ""
        if field.attname in PRIVATE_FIELDS:
            value = "(private)" if value else ""
        values[field.attname] = value
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def _audited(action: str, report: Report, user: Any, request: HttpRequest | None, before: dict[str, Any]) -> None:
    old, new = diff(before, snapshot(report))
    record(action=action, user=user, obj=report, before=old, after=new, request=request)


def _notify(report: Report, update: ReportUpdate) -> None:
    """E-mail the reporter — and the reporters of duplicates merged into it — a public update, when
    they left an address (never the location)."""
    if not update.public:
        return
    for target in [report, *report.duplicates.exclude(contact_email="")]:
        if target.contact_email:
            _send_update(target, update)


def _send_update(report: Report, update: ReportUpdate) -> None:
    with override(report.language or settings.LANGUAGE_CODE):
        status = dict(Report.STATUSES).get(update.status, "")
        subject = _("Update on your report %(ref)s") % {"ref": report.reference}
        lines = [_("The city answered your report %(ref)s.") % {"ref": report.reference}]
        if status:
            lines.append(_("Status: %(status)s") % {"status": status})
        if update.text:
            lines += ["", update.text]
        lines += ["", _("Use the private tracking link you received to follow it.")]
    send_mail(subject, "\n".join(lines), None, [report.contact_email], fail_silently=True)


@transaction.atomic
def publish(report: Report, *, user: Any, public_text: str, request: HttpRequest | None = None) -> Report:
    """Publish a report with the text officials redacted; the resident's original stays private."""
    public_text = (public_text or "").strip()
    if not public_text:
        raise ValidationError({"public_text": [_("Write the text to publish (remove names, phone numbers…).")]})
    if len(public_text) > MAX_DESCRIPTION:
        raise ValidationError({"public_text": [_("Keep the text under %(n)d characters.") % {"n": MAX_DESCRIPTION}]})
    before = snapshot(report)
    report.moderation = Report.PUBLISHED
    report.public_text = public_text
    report.save(update_fields=["moderation", "public_text", "updated_at"])
    _audited("report.publish", report, user, request, before)
    schedule_sync(report.city)
    return report


@transaction.atomic
def moderate(report: Report, *, user: Any, verdict: str, request: HttpRequest | None = None) -> Report:
    """Mark a report as spam or rejected (it leaves every public output), or back to pending."""
    if verdict not in {Report.SPAM, Report.REJECTED, Report.PENDING}:
        raise ValidationError({"moderation": [_("Unknown moderation decision.")]})
    before = snapshot(report)
    report.moderation = verdict
    report.save(update_fields=["moderation", "updated_at"])
    _audited(f"report.{verdict}", report, user, request, before)
    schedule_sync(report.city)
    return report


@transaction.atomic
def assign(report: Report, *, user: Any, department: Department | None, request: HttpRequest | None = None) -> Report:
    if department is not None and department.city_id != report.city_id:
        raise ValidationError({"department": [_("Choose one of this city's departments.")]})
    before = snapshot(report)
    changed = report.department_id != (department.pk if department else None)
    report.department = department
    report.save(update_fields=["department", "updated_at"])
    _audited("report.assign", report, user, request, before)
    if changed and department is not None and department.email:
        transaction.on_commit(lambda: _notify_department(report, department))
    return report


def _notify_department(report: Report, department: Department) -> None:
    """Tell the department it has a new report: reference, category and area only (no personal data)."""
    from django.urls import reverse

    with override(settings.LANGUAGE_CODE):
        subject = _("Report %(ref)s assigned to %(department)s") % {
            "ref": report.reference,
            "department": department.name,
        }
        lines = [
            _("Category: %(category)s") % {"category": report.category.label()},
            _("Area: %(area)s") % {"area": report.area.name if report.area else "–"},
            _("Open it in the report queue: %(path)s")
            % {"path": reverse("reports:manage", kwargs={"city": report.city.slug, "pk": report.pk})},
        ]
    send_mail(subject, "\n".join(lines), None, [department.email], fail_silently=True)


@transaction.atomic
def add_update(
    report: Report,
    *,
    user: Any,
    text: str = "",
    status: str = "",
    public: bool = True,
    request: HttpRequest | None = None,
) -> ReportUpdate:
    """An official's note and/or status change; the first public one sets ``first_response_at``."""
    text = (text or "").strip()
    errors: dict[str, list[str]] = {}
    if status and status not in TRANSITIONS.get(report.status, set()):
        labels = dict(Report.STATUSES)
        errors["status"] = [
            _("A report that is %(old)s cannot become %(new)s.")
            % {"old": labels[report.status], "new": labels.get(status, status)}
        ]
    if not text and not status:
        errors["text"] = [_("Write an answer or choose a new status.")]
    if len(text) > MAX_DESCRIPTION:
        errors["text"] = [_("Keep the text under %(n)d characters.") % {"n": MAX_DESCRIPTION}]
    if errors:
        raise ValidationError(errors)
    locked = Report.objects.select_for_update().get(pk=report.pk)
    before = snapshot(locked)
    now = timezone.now()
    fields = ["updated_at"]
    if status:
        locked.status = status
        fields.append("status")
        if status == Report.RESOLVED:
            locked.resolved_at = now
            fields.append("resolved_at")
        if status == Report.CLOSED:
            locked.closed_at = now
            fields.append("closed_at")
            if locked.resolved_at is None:
                locked.resolved_at = now
                fields.append("resolved_at")
        if status == Report.IN_PROGRESS and report.status in (Report.RESOLVED, Report.CLOSED):
            locked.resolved_at = locked.closed_at = None
            fields += ["resolved_at", "closed_at"]
    if locked.first_response_at is None and (public or status):
        locked.first_response_at = now
        fields.append("first_response_at")
    locked.save(update_fields=fields)
    update = ReportUpdate.objects.create(report=locked, author=user, text=text, status=status, public=public)
    _audited("report.update", locked, user, request, before)
    for name in set(fields):
        setattr(report, name, getattr(locked, name))
    transaction.on_commit(lambda: _notify(locked, update))
    return update


def duplicate_candidates(
    report: Report, *, metres: float = DUPLICATE_METRES, days: int = DUPLICATE_DAYS
) -> list[Report]:
    """Reports that may describe the same thing: same city and category, within ``days`` of this one,
    not rejected, not merged, and within ``metres`` (or in the same area when either has no point)."""
    window = timedelta(days=days)
    base = (
        Report.objects.filter(
            city=report.city,
            category=report.category,
            merged_into__isnull=True,
            created_at__gte=report.created_at - window,
            created_at__lte=report.created_at + window,
        )
        .exclude(pk=report.pk)
        .exclude(moderation__in=[Report.SPAM, Report.REJECTED])
        .select_related("category", "area")
    )
    out = []
    for other in base[:500]:
        if report.lat is not None and other.lat is not None:
            if distance_m(report.lat, report.lon, other.lat, other.lon) <= metres:
                out.append(other)
        elif report.area_id and report.area_id == other.area_id:
            out.append(other)
    return sorted(out, key=lambda r: r.created_at)


@transaction.atomic
def merge(report: Report, *, into: Report, user: Any, request: HttpRequest | None = None) -> Report:
    """Mark ``report`` a duplicate of ``into``: it points to the original and leaves the public outputs."""
    if into.pk == report.pk or into.city_id != report.city_id:
        raise ValidationError({"into": [_("Choose another report of the same city.")]})
    if into.merged_into_id is not None:
        into = into.merged_into  # always point at the original, never at another duplicate
    if into.pk == report.pk:
        raise ValidationError({"into": [_("Choose another report of the same city.")]})
    before = snapshot(report)
    report.merged_into = into
    report.save(update_fields=["merged_into", "updated_at"])
    Report.objects.filter(merged_into=report).update(merged_into=into)
    _audited("report.merge", report, user, request, before)
    schedule_sync(report.city)
    return report


# --- residents' dialogue -------------------------------------------------------------------------------------


def support(report: Report, *, supporter: str) -> bool:
    """Count "this affects me too" once per supporter key; False when it was already counted."""
    if not report.is_public:
        raise ValidationError({"report": [_("This report is not public.")]})
    try:
        with transaction.atomic():
            ReportSupport.objects.create(report=report, supporter=supporter[:64])
    except IntegrityError:
        return False
    return True


def supporter_key(request: HttpRequest) -> str:
    """ "u:<id>" for a signed-in user; else a hash of the session key (a session is created if needed)."""
    if request.user.is_authenticated:
        return f"u:{request.user.pk}"
    if not request.session.session_key:
        request.session.save()
    return "s:" + hashlib.sha256(f"{settings.SECRET_KEY}:{request.session.session_key}".encode()).hexdigest()[:60]


def comment(report: Report, *, user: Any, text: str) -> ReportComment:
    text = (text or "").replace("\x00", "").strip()
    if not report.is_public:
        raise ValidationError({"report": [_("This report is not public.")]})
    if not 2 <= len(text) <= 2000:
        raise ValidationError({"text": [_("Write a comment of 2 to 2,000 characters.")]})
    return ReportComment.objects.create(
        report=report, user=user if getattr(user, "is_authenticated", False) else None, text=text
    )


@transaction.atomic
def moderate_comment(
    item: ReportComment, *, user: Any, state: str, request: HttpRequest | None = None
) -> ReportComment:
    if state not in {ReportComment.APPROVED, ReportComment.REJECTED}:
        raise ValidationError({"state": [_("Unknown moderation decision.")]})
    before = snapshot(item)
    item.state = state
    item.save(update_fields=["state"])
    old, new = diff(before, snapshot(item))
    record(
        action=f"report.comment.{state}",
        user=user,
        obj=item,
        city=item.report.city,
        before=old,
        after=new,
        request=request,
    )
    return item


# --- sensitive access ----------------------------------------------------------------------------------------


@transaction.atomic
def grant_sensitive_access(
    *, city: City, user: Any, granted_by: Any, request: HttpRequest | None = None
) -> SensitiveAccess:
    from safercities.accounts.permissions import has_role

    if not has_role(user, city, "analyst"):
        raise ValidationError({"user": [_("Only analysts and city admins of this city can be designated.")]})
    access, _created = SensitiveAccess.objects.get_or_create(city=city, user=user, defaults={"granted_by": granted_by})
    record(
        action="report.sensitive_access.grant",
        user=granted_by,
        obj=access,
        city=city,
        request=request,
        after={"user": user.get_username()},
    )
    return access


@transaction.atomic
def revoke_sensitive_access(*, access: SensitiveAccess, by: Any, request: HttpRequest | None = None) -> None:
    record(
        action="report.sensitive_access.revoke",
        user=by,
        obj=access,
        city=access.city,
        request=request,
        before={"user": access.user.get_username()},
    )
    access.delete()


# --- retention, export, erasure --------------------------------------------------------------------------------


def retention_days(city: City) -> int:
    policy = ReportPolicy.objects.filter(city=city).first()
    return policy.contact_retention_days if policy else DEFAULT_CONTACT_RETENTION_DAYS


def purge_contacts(*, city: City | None = None, now: Any = None) -> int:
    """Blank the contact details of reports closed (or resolved) longer ago than the city's retention.

    Returns how many reports were purged; re-running purges nothing more.
    """
    now = now or timezone.now()
    cities = [city] if city is not None else list(City.objects.all())
    purged = 0
    has_contact = ~Q(contact_name="") | ~Q(contact_email="") | ~Q(contact_phone="")
    for place in cities:
        cutoff = now - timedelta(days=retention_days(place))
        ended = Q(closed_at__lt=cutoff) | Q(closed_at__isnull=True, resolved_at__lt=cutoff)
        stale = Report.objects.filter(ended, has_contact, city=place)
        ids = list(stale.values_list("pk", flat=True))
        if ids:
            Report.objects.filter(pk__in=ids).update(
                contact_name="", contact_email="", contact_phone="", contact_purged_at=now
            )
            record(
                action="report.contacts_purged",
                city=place,
                model_label="reports.report",
                after={"reports": len(ids), "retention_days": retention_days(place)},
            )
        purged += len(ids)
    return purged


def person_reports(city: City, email: str) -> list[Report]:
    email = (email or "").strip()
    if not email:
        return []
    return list(
        Report.objects.filter(city=city)
        .filter(Q(contact_email__iexact=email) | Q(user__email__iexact=email))
        .select_related("category", "area", "department")
        .order_by("created_at")
    )


def export_person(*, city: City, email: str, user: Any, request: HttpRequest | None = None) -> dict[str, Any]:
    """Everything the city holds about the person behind ``email`` in its reports (right of access)."""
    reports = person_reports(city, email)
    data = {
        "city": city.slug,
        "email": email,
        "exported_at": timezone.now().isoformat(),
        "reports": [
            {
                "reference": r.reference,
                "category": r.category.code,
                "description": r.description,
                "public_text": r.public_text,
                "created_at": r.created_at.isoformat(),
                "status": r.status,
                "moderation": r.moderation,
                "lat": r.lat,
                "lon": r.lon,
                "area": r.area.code if r.area else None,
                "address": r.address,
                "contact_name": r.contact_name,
                "contact_email": r.contact_email,
                "contact_phone": r.contact_phone,
                "has_photo": bool(r.photo),
                "updates": [
                    {"created_at": u.created_at.isoformat(), "status": u.status, "text": u.text}
                    for u in r.updates.filter(public=True)
                ],
            }
            for r in reports
        ],
    }
    record(
        action="report.person_export",
        user=user,
        city=city,
        model_label="reports.report",
        request=request,
        after={"reports": len(reports)},
    )
    return data


@transaction.atomic
def erase_person(*, city: City, email: str, user: Any, request: HttpRequest | None = None) -> int:
    """Right to erasure: blank contact details, unlink the account, delete photos of the person's reports.

    The reports themselves stay (they are the city's records and may be public, already redacted).
    """
    reports = person_reports(city, email)
    for report in reports:
        if report.photo:
            report.photo.delete(save=False)
    ids = [r.pk for r in reports]
    Report.objects.filter(pk__in=ids).update(
        contact_name="", contact_email="", contact_phone="", user=None, photo="", contact_purged_at=timezone.now()
    )
    ReportComment.objects.filter(report__city=city, user__email__iexact=email).update(user=None)
    record(
        action="report.person_erase",
        user=user,
        city=city,
        model_label="reports.report",
        request=request,
        after={"reports": len(ids)},
    )
    return len(ids)


def schedule_sync(city: City) -> None:
    """After the transaction commits, queue the job that mirrors published reports into incidents."""
    from safercities.jobs.queue import enqueue_on_commit

    enqueue_on_commit("reports_sync", city=city)
