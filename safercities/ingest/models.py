"""A record of every import: who, when, which file, what it did and every error it found."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safercities.places.models import City

# Errors beyond this many are counted but not stored: a 1,000,000-row file of garbage must not
# become a 1 GB JSON cell. The count stays exact.
MAX_STORED_ERRORS = 10_000


class ImportRun(models.Model):
    KINDS = [
        ("areas", _("areas")),
        ("indicators", _("indicators")),
        ("observations", _("observations")),
        ("incidents", _("incidents")),
        ("population", _("population")),
    ]
    RUNNING, OK, REJECTED, FAILED, DRY_RUN = "running", "ok", "rejected", "failed", "dry_run"
    STATUSES = [
        (RUNNING, _("running")),
        (OK, _("imported")),
        (REJECTED, _("rejected")),
        (FAILED, _("failed")),
        (DRY_RUN, _("checked (dry run)")),
    ]

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="import_runs")
    kind = models.CharField(_("kind"), max_length=20, choices=KINDS)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    filename = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    file_size = models.PositiveBigIntegerField(_("file size (bytes)"), default=0)
    options = models.JSONField(_("options"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default=RUNNING)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    unassigned = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["city", "kind", "-started_at"])]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self) -> str:
        return f"{self.kind} {self.filename} ({self.status})"
