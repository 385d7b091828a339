"""What the officials' workspace adds: pending uploads of the import wizard and comments on alerts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safercities.ingest.models import ImportRun
from safercities.jobs.models import Job
from safercities.monitoring.models import Alert
from safercities.places.models import City


class ImportUpload(models.Model):
    """One file going through the wizard: stored → checked (dry run) → confirmed → imported.

    The wizard's state lives here rather than in the session, so a background check survives the
    browser being closed and two tabs cannot confirm the same file twice (status compare-and-swap).
    """

    CHECKING, CHECKED, REJECTED, IMPORTING, IMPORTED, FAILED = (
        "checking",
        "checked",
        "rejected",
        "importing",
        "imported",
        "failed",
    )
    STATUSES = [
        (CHECKING, _("checking")),
        (CHECKED, _("checked, waiting for confirmation")),
        (REJECTED, _("rejected")),
        (IMPORTING, _("importing")),
        (IMPORTED, _("imported")),
        (FAILED, _("failed")),
    ]

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="import_uploads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ImportRun.KINDS)
    original_name = models.CharField(_("file name"), max_length=255)
    stored_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default=CHECKING)
    check_run = models.ForeignKey(ImportRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    import_run = models.ForeignKey(ImportRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("upload")
        verbose_name_plural = _("uploads")

    def __str__(self) -> str:
        return f"{self.kind} {self.original_name} ({self.status})"

    @property
    def busy(self) -> bool:
        return self.status in {self.CHECKING, self.IMPORTING}


class AlertComment(models.Model):
    """A note by an official on an alert: what was checked, who was called, what was decided."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(_("comment"), max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("alert comment")
        verbose_name_plural = _("alert comments")

    def __str__(self) -> str:
        return f"{self.author} on {self.alert_id}"
