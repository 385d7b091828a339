"""The seven human-security dimensions, the indicators of a city and their observations."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from safercities.places.models import Area, City

DIMENSIONS: list[tuple[str, str]] = [
    ("economic", _("Economic security")),
    ("food", _("Food security")),
    ("health", _("Health security")),
    ("environmental", _("Environmental security")),
    ("personal", _("Personal security")),
    ("community", _("Community security")),
    ("political", _("Political security")),
]
DIMENSION_CODES = [code for code, _label in DIMENSIONS]


class Translated(models.Model):
    """Mixin for catalogue text: English in the fields, other languages in ``translations``.

    ``translations`` is ``{"es": {"name": "…", "definition": "…"}}``; a new language needs data only.
    """

    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        abstract = True

    def translated(self, field: str, language: str | None = None) -> str:
        language = (language or get_language() or "en").split("-")[0]
        text = (self.translations or {}).get(language, {}).get(field)
        return text or getattr(self, field)


class Dimension(Translated):
    code = models.CharField(_("code"), max_length=20, unique=True, choices=DIMENSIONS)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        verbose_name = _("dimension")
        verbose_name_plural = _("dimensions")

    def __str__(self) -> str:
        return self.translated("name")


class Indicator(Translated):
    """An indicator as a city uses it; the shipped catalogue is copied into each new city."""

    HIGHER_IS_WORSE = "higher_is_worse"
    HIGHER_IS_BETTER = "higher_is_better"
    DIRECTIONS = [(HIGHER_IS_WORSE, _("higher is worse")), (HIGHER_IS_BETTER, _("higher is better"))]
    AGGREGATIONS = [("sum", _("sum")), ("mean", _("mean")), ("rate", _("rate per population"))]
    DISAGGREGATIONS = ["sex", "age_group", "disability"]

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=255)
    definition = models.TextField(_("definition"), blank=True)
    dimension = models.ForeignKey(Dimension, on_delete=models.PROTECT, related_name="indicators")
    unit = models.CharField(_("unit"), max_length=64)
    direction = models.CharField(_("direction"), max_length=20, choices=DIRECTIONS)
    aggregation = models.CharField(_("aggregation"), max_length=10, choices=AGGREGATIONS)
    rate_per = models.PositiveIntegerField(_("rate per N people"), null=True, blank=True)
    official_code = models.CharField(_("official code (SDG)"), max_length=32, blank=True)
    source = models.CharField(_("source"), max_length=255, blank=True)
    disaggregations = models.JSONField(_("disaggregations"), default=list, blank=True)
    incident_categories = models.JSONField(_("incident categories counted"), default=list, blank=True)
    threshold_amber = models.FloatField(_("amber threshold"), null=True, blank=True)
    threshold_red = models.FloatField(_("red threshold"), null=True, blank=True)
    is_public = models.BooleanField(_("public"), default=True)

    class Meta:
        ordering = ["city", "dimension__order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["city", "code"], name="indicator_unique_code_per_city"),
            models.CheckConstraint(
                # NULL > 0 is NULL, which a CHECK lets through: require the value explicitly.
                condition=models.Q(aggregation__in=["sum", "mean"]) | models.Q(rate_per__isnull=False, rate_per__gt=0),
                name="indicator_rate_needs_rate_per",
            ),
        ]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return f"{self.code} {self.translated('name')}"

    @property
    def higher_is_worse(self) -> bool:
        return self.direction == self.HIGHER_IS_WORSE


class Observation(models.Model):
    """One value of one indicator for one area and one period, optionally disaggregated.

    Blank ``sex``/``age_group``/``disability`` mean "all"; blanks rather than NULLs keep the uniqueness
    constraint portable (NULLs never collide in a unique index).
    """

    OFFICIAL, COMMUNITY, ESTIMATED = "official", "community", "estimated"
    QUALITIES = [(OFFICIAL, _("official")), (COMMUNITY, _("community")), (ESTIMATED, _("estimated"))]

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="observations")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="observations")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="observations")
    period = models.CharField(_("period"), max_length=16)
    period_type = models.CharField(_("period type"), max_length=8)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    value = models.FloatField(_("value"))
    sex = models.CharField(_("sex"), max_length=10, blank=True, default="")
    age_group = models.CharField(_("age group"), max_length=20, blank=True, default="")
    disability = models.CharField(_("disability"), max_length=20, blank=True, default="")
    numerator = models.FloatField(_("numerator"), null=True, blank=True)
    denominator = models.FloatField(_("denominator"), null=True, blank=True)
    quality = models.CharField(_("quality"), max_length=10, choices=QUALITIES, default=OFFICIAL)
    source = models.CharField(_("source"), max_length=255, blank=True)
    import_run = models.ForeignKey(
        "ingest.ImportRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="observations"
    )

    class Meta:
        ordering = ["indicator", "area", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "area", "period", "sex", "age_group", "disability"],
                name="observation_unique_cell",
            ),
        ]
        indexes = [
            models.Index(fields=["city", "indicator", "period_start"]),
            models.Index(fields=["area", "period_start"]),
        ]
        verbose_name = _("observation")
        verbose_name_plural = _("observations")

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.area_id} {self.period} = {self.value}"
