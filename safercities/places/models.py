"""Cities (the tenants) and the areas of their hierarchy."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from safercities.places.querysets import AreaQuerySet

slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]{0,62}$", _("Use lower-case letters, digits and hyphens."))


class City(models.Model):
    """The tenant: usually a municipality, but a metropolitan area, province or country works too."""

    slug = models.CharField(_("slug"), max_length=63, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(
        _("country"), max_length=2, validators=[RegexValidator(r"^[A-Z]{2}$", _("ISO 3166-1 alpha-2 code"))]
    )
    languages = models.CharField(_("languages"), max_length=100, default="en,es")
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    boundary = models.JSONField(_("boundary (GeoJSON, WGS 84)"), null=True, blank=True)
    h3_resolution = models.PositiveSmallIntegerField(
        _("h3 resolution for incidents"), default=9, validators=[MinValueValidator(0), MaxValueValidator(15)]
    )
    financial_year_start_month = models.PositiveSmallIntegerField(
        _("first month of the financial year"), default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    is_synthetic = models.BooleanField(_("synthetic (demo) data"), default=False)
    is_public = models.BooleanField(_("public pages enabled"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("city")
        verbose_name_plural = _("cities")

    def __str__(self) -> str:
        return self.name

    @property
    def language_list(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()]


class Area(models.Model):
    """A place in a city's hierarchy (city ▸ district ▸ neighbourhood …), a polygon or a point."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="areas")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=40, default="area")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    geometry = models.JSONField(_("geometry (GeoJSON, WGS 84)"), null=True, blank=True)
    # Kept beside the geometry so that lists, maps and spatial prefilters need not parse GeoJSON.
    centroid_lat = models.FloatField(null=True, blank=True)
    centroid_lon = models.FloatField(null=True, blank=True)
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["city", "level", "code"]
        constraints = [models.UniqueConstraint(fields=["city", "code"], name="area_unique_code_per_city")]
        indexes = [models.Index(fields=["city", "level"])]
        verbose_name = _("area")
        verbose_name_plural = _("areas")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class AreaPopulation(models.Model):
    """Population of an area in a year; blank sex/age group means the total."""

    SEXES = [("", _("all")), ("female", _("female")), ("male", _("male")), ("other", _("other"))]

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="populations")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(1800), MaxValueValidator(2200)])
    sex = models.CharField(_("sex"), max_length=10, blank=True, default="", choices=SEXES)
    age_group = models.CharField(_("age group"), max_length=20, blank=True, default="")
    population = models.PositiveBigIntegerField(_("population"))

    class Meta:
        ordering = ["area", "year", "sex", "age_group"]
        constraints = [
            models.UniqueConstraint(fields=["area", "year", "sex", "age_group"], name="population_unique_cell"),
        ]
        verbose_name = _("population")
        verbose_name_plural = _("populations")

    def __str__(self) -> str:
        return f"{self.area.code} {self.year} {self.sex or 'all'} {self.age_group or 'all'}: {self.population}"
