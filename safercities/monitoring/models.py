"""Stored outputs of the analytics: index results, alerts and hotspot results.

Each is keyed by what it describes (city, definition/indicator, area, period) so that recomputing
replaces rather than duplicates, and a crashed job can simply run again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safercities.indicators.models import Indicator
from safercities.places.models import Area, City


class IndexDefinition(models.Model):
    """A composite index a city defines: which indicators, weights and methods (see methodology)."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="index_definitions")
    slug = models.CharField(_("slug"), max_length=63)
    name = models.CharField(_("name"), max_length=200)
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    is_default = models.BooleanField(_("default index"), default=False)
    is_published = models.BooleanField(_("published"), default=True)

    class Meta:
        ordering = ["city", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["city", "slug"], name="index_definition_unique_slug"),
            models.UniqueConstraint(
                fields=["city"], condition=models.Q(is_default=True), name="index_definition_one_default"
            ),
        ]
        verbose_name = _("index definition")
        verbose_name_plural = _("index definitions")

    def __str__(self) -> str:
        return self.name


class IndexResult(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="index_results")
    definition = models.ForeignKey(IndexDefinition, on_delete=models.CASCADE, related_name="results")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="index_results")
    period = models.CharField(_("period"), max_length=16)
    level = models.CharField(_("level"), max_length=40)
    score = models.FloatField(_("score (0–10, higher is less secure)"), null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    median_rank = models.FloatField(null=True, blank=True)
    rank_low = models.PositiveIntegerField(_("rank interval, best"), null=True, blank=True)
    rank_high = models.PositiveIntegerField(_("rank interval, worst"), null=True, blank=True)
    dimensions = models.JSONField(_("dimension scores"), default=dict, blank=True)
    details = models.JSONField(_("details (imputed cells, treatments)"), default=dict, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["definition", "period", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "period", "area"], name="index_result_unique"),
        ]
        indexes = [models.Index(fields=["city", "period", "level"])]
        verbose_name = _("index result")
        verbose_name_plural = _("index results")

    def __str__(self) -> str:
        return f"{self.definition} {self.area_id} {self.period}: {self.score}"


class Alert(models.Model):
    EXCEEDANCE, THRESHOLD, TREND = "exceedance", "threshold", "trend"
    KINDS = [(EXCEEDANCE, _("unusual count")), (THRESHOLD, _("threshold crossed")), (TREND, _("sustained trend"))]
    AMBER, RED = "amber", "red"
    SEVERITIES = [(AMBER, _("amber")), (RED, _("red"))]
    NEW, ACKNOWLEDGED, RESOLVED = "new", "acknowledged", "resolved"
    STATUSES = [(NEW, _("new")), (ACKNOWLEDGED, _("acknowledged")), (RESOLVED, _("resolved"))]

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="alerts")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="alerts")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="alerts")
    period = models.CharField(_("period"), max_length=16)
    kind = models.CharField(_("kind"), max_length=12, choices=KINDS)
    severity = models.CharField(_("severity"), max_length=6, choices=SEVERITIES)
    observed = models.FloatField(_("observed"))
    expected = models.FloatField(_("expected"), null=True, blank=True)
    upper = models.FloatField(_("upper threshold"), null=True, blank=True)
    explanation = models.TextField(_("explanation"))
    details = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=STATUSES, default=NEW)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One alert per (indicator, area, period, kind): recomputation updates, never duplicates.
            models.UniqueConstraint(fields=["indicator", "area", "period", "kind"], name="alert_dedup"),
        ]
        indexes = [models.Index(fields=["city", "status", "-created_at"])]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return f"{self.get_severity_display()} {self.kind} {self.indicator_id} {self.area_id} {self.period}"


class HotspotResult(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="hotspot_results")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="hotspot_results")
    period = models.CharField(_("period"), max_length=16)
    unit = models.CharField(_("unit (area level or h3 resolution)"), max_length=40)
    weights = models.CharField(_("spatial weights"), max_length=40)
    moran = models.JSONField(default=dict)
    units = models.JSONField(default=list)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["city", "indicator", "period"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "period", "unit"], name="hotspot_result_unique"),
        ]
        verbose_name = _("hotspot result")
        verbose_name_plural = _("hotspot results")

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.period} {self.unit}"
