"""Events from administrative data (police, health, emergency services) or from residents."""

from __future__ import annotations

import zoneinfo
from typing import Any

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

    # Imports write millions of rows, and every index and every database-level foreign-key check costs on
    # each one (the three per-row FK checks were the largest single cost of a 1M-row import). So: no
    # single-column indexes on city and area (the composite indexes below start with them), none on
    # import_run (only deleting a run looks rows up by it), no (city, occurred_at) index (no query is
    # served by it: ``occurred_at__date`` filters cannot use it, and an export sorts once), and the
    # foreign keys are not enforced by the database (``db_constraint=False``). Django still applies
    # ``on_delete`` (CASCADE / SET_NULL) when a city, area or run is deleted through the ORM, and the
    # importer locks the referenced city, areas and run (``FOR KEY SHARE``) once per import instead of once
    # per row, which is what the database's check would have done.
    city = models.ForeignKey(
        City, on_delete=models.CASCADE, related_name="incidents", db_index=False, db_constraint=False
    )
    fingerprint = models.CharField(max_length=64)
    external_id = models.CharField(_("source id"), max_length=100, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    category = models.CharField(_("category"), max_length=100)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    area = models.ForeignKey(
        Area,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
        db_index=False,
        db_constraint=False,
    )
    h3_cell = models.CharField(_("h3 cell"), max_length=16, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=SOURCES, default=OFFICIAL)
    # The local calendar month (``YYYY-MM`` in the city's time zone) of ``occurred_at``, so that the monthly
    # aggregation is one GROUP BY; filled by the importer and by ``save()``.
    month = models.CharField(_("month"), max_length=7, blank=True, default="")
    victim_sex = models.CharField(_("victim sex"), max_length=10, blank=True)
    victim_age_group = models.CharField(_("victim age group"), max_length=20, blank=True)
    import_run = models.ForeignKey(
        "ingest.ImportRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["city", "occurred_at"]
        constraints = [models.UniqueConstraint(fields=["city", "fingerprint"], name="incident_unique_fingerprint")]
        indexes = [
            models.Index(fields=["city", "category", "occurred_at"]),
            models.Index(fields=["area", "occurred_at"]),
        ]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return f"{self.category} {self.occurred_at:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keep ``month`` in step with ``occurred_at`` for rows written one by one (admin, tests, scripts)."""
        if self.occurred_at is not None and self.city_id is not None:
            local = self.occurred_at.astimezone(zoneinfo.ZoneInfo(self.city.timezone))
            self.month = f"{local.year:04d}-{local.month:02d}"
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "occurred_at" in update_fields:
                kwargs["update_fields"] = {*update_fields, "month"}
        super().save(*args, **kwargs)
