"""Resident reports: categories, departments, the reports themselves and their public dialogue.

The contract other apps code against (open311, surveys): ``Department``, ``ReportCategory``, ``Report``,
``ReportUpdate``. Personal data of reporters (contact fields, the original text, the photo) never leaves
the staff side; every public output goes through ``reports.disclosure.public_location``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from safercities.places.models import Area, City

DEFAULT_CONTACT_RETENTION_DAYS = 365


class PrivateStorage(FileSystemStorage):
    """Photos live outside any public URL (``MEDIA_ROOT/private``); a rights-checking view serves them."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    @property
    def base_location(self) -> str:  # type: ignore[override]
        return str(Path(settings.MEDIA_ROOT) / "private")

    @property
    def location(self) -> str:  # type: ignore[override]
        return str(Path(self.base_location).resolve())

    @property
    def base_url(self) -> None:  # type: ignore[override]
        return None


def private_storage() -> PrivateStorage:
    return PrivateStorage()


class Department(models.Model):
    """A unit of the city administration that reports are routed to."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        ordering = ["city", "name"]
        constraints = [models.UniqueConstraint(fields=["city", "name"], name="department_unique_name_per_city")]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class ReportCategory(models.Model):
    """What a resident can report about; sensitive categories are never shown at an exact place."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="report_categories")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    # {"es": "…"}: the name in other languages (the description stays in the city's words).
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    description = models.TextField(_("description"), blank=True)
    dimension = models.ForeignKey(
        "indicators.Dimension", on_delete=models.PROTECT, related_name="report_categories", verbose_name=_("dimension")
    )
    indicator = models.ForeignKey(
        "indicators.Indicator",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="report_categories",
        verbose_name=_("indicator"),
    )
    sensitive = models.BooleanField(_("sensitive"), default=False)
    incident_category = models.CharField(_("incident category"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="categories",
        verbose_name=_("default department"),
    )
    referral_text = models.TextField(_("support services (shown to reporters)"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["city", "name"]
        constraints = [models.UniqueConstraint(fields=["city", "code"], name="report_category_unique_code")]
        verbose_name = _("report category")
        verbose_name_plural = _("report categories")

    def __str__(self) -> str:
        return self.label()

    def clean(self) -> None:
        """A sensitive category must count as a sensitive incident category (same masking everywhere)."""
        from django.core.exceptions import ValidationError

        from safercities.incidents.models import IncidentCategory

        if self.sensitive and self.incident_category and self.city_id:
            incident = IncidentCategory.objects.filter(city_id=self.city_id, code=self.incident_category).first()
            if incident is not None and not incident.sensitive:
                raise ValidationError(
                    {"incident_category": _("A sensitive category must count as a sensitive incident category.")}
                )

    def label(self, language: str | None = None) -> str:
        language = (language or get_language() or "en").split("-")[0]
        value = (self.translations or {}).get(language)
        if isinstance(value, dict):
            value = value.get("name")
        return str(value) if value else self.name


class Report(models.Model):
    """What a resident tells the city, with its life cycle and moderation state."""

    RECEIVED, ACKNOWLEDGED, IN_PROGRESS, RESOLVED, CLOSED = (
        "received",
        "acknowledged",
        "in_progress",
        "resolved",
        "closed",
    )
    STATUSES = [
        (RECEIVED, _("received")),
        (ACKNOWLEDGED, _("acknowledged")),
        (IN_PROGRESS, _("in progress")),
        (RESOLVED, _("resolved")),
        (CLOSED, _("closed")),
    ]
    OPEN_STATUSES = (RECEIVED, ACKNOWLEDGED, IN_PROGRESS)
    PENDING, PUBLISHED, REJECTED, SPAM = "pending", "published", "rejected", "spam"
    MODERATION = [(PENDING, _("pending")), (PUBLISHED, _("published")), (REJECTED, _("rejected")), (SPAM, _("spam"))]
    WEB, OPEN311, API = "web", "open311", "api"
    SOURCES = [(WEB, _("web form")), (OPEN311, "Open311"), (API, "API")]

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="reports")
    reference = models.CharField(_("reference"), max_length=16, unique=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    category = models.ForeignKey(ReportCategory, on_delete=models.PROTECT, related_name="reports")
    description = models.TextField(_("description (as written, private)"))
    public_text = models.TextField(_("public text (redacted)"), blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    area = models.ForeignKey(Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports")
    h3_cell = models.CharField(_("h3 cell"), max_length=16, blank=True)
    address = models.CharField(_("address or landmark"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=STATUSES, default=RECEIVED)
    moderation = models.CharField(_("moderation"), max_length=10, choices=MODERATION, default=PENDING)
    department = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports")
    source = models.CharField(_("source"), max_length=10, choices=SOURCES, default=WEB)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    contact_name = models.CharField(_("name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    contact_phone = models.CharField(_("phone"), max_length=40, blank=True)
    contact_purged_at = models.DateTimeField(null=True, blank=True)
    # The language the report was written in: e-mails to the reporter are sent in it.
    language = models.CharField(_("language"), max_length=8, blank=True)
    merged_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates")
    photo = models.ImageField(_("photo"), storage=private_storage, upload_to="reports/%Y/%m/", blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["city", "moderation", "created_at"]),
            models.Index(fields=["city", "status"]),
        ]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return self.reference

    @property
    def open311_status(self) -> str:
        """Open311 knows two states: open while the city works on it, closed once resolved or closed."""
        return "open" if self.status in self.OPEN_STATUSES else "closed"

    @property
    def is_sensitive(self) -> bool:
        return self.category.sensitive

    @property
    def is_public(self) -> bool:
        return self.moderation == self.PUBLISHED and self.merged_into_id is None

    @property
    def has_contact(self) -> bool:
        return bool(self.contact_name or self.contact_email or self.contact_phone)


class ReportUpdate(models.Model):
    """A step in a report's life: a status change and/or a note, public or internal."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    text = models.TextField(_("text"), blank=True)
    status = models.CharField(_("new status"), max_length=12, choices=Report.STATUSES, blank=True)
    public = models.BooleanField(_("public"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("report update")
        verbose_name_plural = _("report updates")

    def __str__(self) -> str:
        return f"{self.report.reference} {self.status or '-'}"


class ReportComment(models.Model):
    """A resident's comment on a published report; shown only after a moderator approves it."""

    PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
    STATES = [(PENDING, _("pending")), (APPROVED, _("approved")), (REJECTED, _("rejected"))]

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    text = models.TextField(_("comment"))
    state = models.CharField(_("state"), max_length=10, choices=STATES, default=PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.report.reference}: {self.text[:40]}"


class ReportSupport(models.Model):
    """ "This affects me too": one per signed-in user or per browser session (a hash, never the id)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="supports")
    supporter = models.CharField(max_length=64)  # "u:<user id>" or a hash of the session key
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "supporter"], name="report_support_once")]
        verbose_name = _("support")
        verbose_name_plural = _("supports")

    def __str__(self) -> str:
        return f"{self.report_id}: {self.supporter[:8]}"


class SensitiveAccess(models.Model):
    """Staff designated by a city admin to read the details of reports in sensitive categories."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="sensitive_access")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sensitive_access")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["city", "user"], name="sensitive_access_once")]
        verbose_name = _("sensitive-report access")
        verbose_name_plural = _("sensitive-report access")

    def __str__(self) -> str:
        return f"{self.user} @ {self.city}"


class ReportPolicy(models.Model):
    """Per-city overrides of the reports defaults (absent row = the defaults)."""

    city = models.OneToOneField(City, on_delete=models.CASCADE, related_name="report_policy")
    contact_retention_days = models.PositiveIntegerField(
        _("keep reporters' contact details for (days after closing)"), default=DEFAULT_CONTACT_RETENTION_DAYS
    )

    class Meta:
        verbose_name = _("reports policy")
        verbose_name_plural = _("reports policies")

    def __str__(self) -> str:
        return f"{self.city}: {self.contact_retention_days} d"
