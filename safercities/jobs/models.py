"""A database-backed job queue: the embedded default needs no broker, and PostgreSQL scales it out.

Workers claim a job with a compare-and-swap update (healthchecks' pattern) so two workers never run
the same job; a worker that dies leaves a stale heartbeat, and the job is claimed again. Every task
must therefore be safe to re-run: tasks write their results in one transaction that replaces the
previous results for the same key.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from safercities.places.models import City


class Job(models.Model):
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUSES = [(QUEUED, _("queued")), (RUNNING, _("running")), (DONE, _("done")), (FAILED, _("failed"))]

    kind = models.CharField(_("kind"), max_length=50)
    city = models.ForeignKey(City, on_delete=models.CASCADE, null=True, blank=True, related_name="jobs")
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # Jobs with the same key that are still queued are merged: ten imports in a row cause one recompute.
    key = models.CharField(_("deduplication key"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default=QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    run_after = models.DateTimeField(_("run after"))
    worker = models.CharField(_("worker"), max_length=100, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    progress = models.FloatField(_("progress (0–1)"), default=0)
    error = models.TextField(_("last error"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run_after", "id"]
        indexes = [models.Index(fields=["status", "run_after"]), models.Index(fields=["key", "status"])]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
