"""Perception survey rounds and their anonymous responses.

A response holds answers only: no user, no session key, no address, no time of day (only the date),
so that a row cannot be linked back to a person or a device.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from safercities.places.models import Area, City

# Answer codes: stored as written here; labels are translated in forms.py.
FEELINGS = ("very_safe", "safe", "unsafe", "very_unsafe")
SAFE_FEELINGS = ("very_safe", "safe")
HARASSMENT = ("yes", "no", "prefer_not")
SEXES = ("female", "male", "other", "prefer_not")
AGE_GROUPS = ("15-29", "30-59", "60+", "prefer_not")
DISABILITY = ("with_disability", "without_disability", "prefer_not")
PLACES = ("streets", "public_transport", "transport_stops", "parks", "markets", "schools", "nightlife", "other")


def _choices(codes: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(code, code) for code in codes]


class SurveyRound(models.Model):
    """One fielding of the questionnaire in a city for one reporting period (e.g. ``2026Q1``)."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="survey_rounds")
    title = models.CharField(_("title"), max_length=200)
    period = models.CharField(_("period"), max_length=16, help_text=_("The period the answers describe, e.g. 2026Q1."))
    area_level = models.CharField(
        _("area level"), max_length=40, help_text=_("Respondents choose their area of residence at this level.")
    )
    is_open = models.BooleanField(_("open for answers"), default=True)
    min_respondents = models.PositiveSmallIntegerField(
        _("minimum respondents per published cell"),
        default=5,
        validators=[MinValueValidator(2), MaxValueValidator(100)],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(_("observations computed at"), null=True, blank=True)

    class Meta:
        ordering = ["city", "-period", "title"]
        constraints = [models.UniqueConstraint(fields=["city", "period"], name="survey_round_unique_period")]
        verbose_name = _("survey round")
        verbose_name_plural = _("survey rounds")

    def __str__(self) -> str:
        return f"{self.title} ({self.period})"

    @property
    def source_label(self) -> str:
        """The ``Observation.source`` of the rows this round writes (how a recompute finds them)."""
        return f"Perception survey round {self.pk} ({self.period})"


class SurveyResponse(models.Model):
    """One anonymous answer sheet."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="survey_responses")
    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="responses")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="survey_responses")
    day_feeling = models.CharField(max_length=12, choices=_choices(FEELINGS))
    night_feeling = models.CharField(max_length=12, choices=_choices(FEELINGS))
    places_avoided = models.JSONField(default=list, blank=True)
    avoided_area = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="survey_avoidances"
    )
    harassment = models.CharField(max_length=12, choices=_choices(HARASSMENT))
    sex = models.CharField(max_length=12, choices=_choices(SEXES))
    age_group = models.CharField(max_length=12, choices=_choices(AGE_GROUPS))
    disability = models.CharField(max_length=20, choices=_choices(DISABILITY))
    # The date only: a timestamp to the second could be matched with a server log.
    submitted_on = models.DateField()

    class Meta:
        ordering = ["round", "pk"]
        indexes = [models.Index(fields=["round", "area"])]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")

    def __str__(self) -> str:
        return f"response {self.pk} to {self.round_id}"
