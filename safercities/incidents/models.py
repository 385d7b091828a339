"""Events from administrative data (police, health, emergency services) or from residents."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from safercities.places.models import Area, City


class IncidentCategory(models.Model):
    """A city's incident category; sensitive ones are published only coarsened (DESIGN: do no harm)."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="incident_categories")
    code = models.CharField(_("code"), max_length=100)
    name = models.CharField(_("name"), max_length=200)
    sensitive = models.BooleanField(_("sensitive"), default=False)
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        ordering = ["city", "code"]
        constraints = [models.UniqueConstraint(fields=["city", "code"], name="category_unique_per_city")]
        verbose_name = _("incident category")
        verbose_name_plural = _("incident categories")

    def __str__(self) -> str:
        return self.name


class Incident(models.Model):
    """One event. ``fingerprint`` makes re-imports idempotent when the source has no stable id."""

    OFFICIAL, COMMUNITY = "official", "community"
    SOURCES = [(OFFICIAL, _("official")), (COMMUNITY, _("community"))]

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="incidents")
    fingerprint = models.CharField(max_length=64)
    external_id = models.CharField(_("source id"), max_length=100, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    category = models.CharField(_("category"), max_length=100)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    area = models.ForeignKey(Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents")
    h3_cell = models.CharField(_("h3 cell"), max_length=16, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=SOURCES, default=OFFICIAL)
    victim_sex = models.CharField(_("victim sex"), max_length=10, blank=True)
    victim_age_group = models.CharField(_("victim age group"), max_length=20, blank=True)
    import_run = models.ForeignKey(
        "ingest.ImportRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )

    class Meta:
        ordering = ["city", "occurred_at"]
        constraints = [models.UniqueConstraint(fields=["city", "fingerprint"], name="incident_unique_fingerprint")]
        indexes = [
            models.Index(fields=["city", "occurred_at"]),
            models.Index(fields=["city", "category", "occurred_at"]),
            models.Index(fields=["area", "occurred_at"]),
        ]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return f"{self.category} {self.occurred_at:%Y-%m-%d}"
