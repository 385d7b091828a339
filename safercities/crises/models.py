"""Urban crises: the crisis and its phases, preparedness checklists, the 4W and allocation scenarios.

Every row carries its ``city`` (tenancy, docs/architecture.md). Activities keep a ``ref`` (the
``#activity+code`` column of the 4W sheet) so that a re-imported sheet updates rather than duplicates.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safercities.places.models import Area, City


class Hazard(models.TextChoices):
    FLOOD = "flood", _("flood")
    EPIDEMIC = "epidemic", _("epidemic")
    EARTHQUAKE = "earthquake", _("earthquake")
    HEAT = "heat", _("heat wave")
    VIOLENCE = "violence", _("outbreak of violence")
    DISPLACEMENT = "displacement", _("displacement")
    FIRE = "fire", _("fire")
    LANDSLIDE = "landslide", _("landslide")
    OTHER = "other", _("other")


class Phase(models.TextChoices):
    PREVENT = "prevent", _("prevent")
    PREPARE = "prepare", _("prepare")
    RESPOND = "respond", _("respond")
    RECOVER = "recover", _("recover")


class Crisis(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="crises")
    name = models.CharField(_("name"), max_length=200)
    hazard = models.CharField(_("type"), max_length=16, choices=Hazard.choices)
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices, default=Phase.PREPARE)
    description = models.TextField(_("description"), blank=True)
    started_on = models.DateField(_("start date"))
    ended_on = models.DateField(_("end date"), null=True, blank=True)
    areas = models.ManyToManyField(Area, related_name="crises", blank=True, verbose_name=_("affected areas"))
    drawn_geometry = models.JSONField(_("drawn outline (GeoJSON)"), null=True, blank=True)
    alert = models.ForeignKey(
        "monitoring.Alert",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="crises",
        verbose_name=_("early-warning alert"),
    )
    indicator = models.ForeignKey(
        "indicators.Indicator",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="crises",
        verbose_name=_("indicator to follow"),
    )
    is_published = models.BooleanField(_("published"), default=False)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["city", "-started_on", "name"]
        constraints = [models.UniqueConstraint(fields=["city", "name"], name="crisis_unique_name_per_city")]
        verbose_name = _("crisis")
        verbose_name_plural = _("crises")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.ended_on is None


class PhaseChange(models.Model):
    """The phase history: one row per change, append-only."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="phase_changes")
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["crisis", "changed_at", "pk"]
        verbose_name = _("phase change")
        verbose_name_plural = _("phase changes")

    def __str__(self) -> str:
        return f"{self.crisis_id} → {self.phase}"


class ChecklistStatus(models.Model):
    NOT_STARTED, IN_PROGRESS, DONE = "not_started", "in_progress", "done"
    STATUSES = [(NOT_STARTED, _("not started")), (IN_PROGRESS, _("in progress")), (DONE, _("done"))]

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="checklist")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    item = models.CharField(_("item"), max_length=64)
    status = models.CharField(_("status"), max_length=12, choices=STATUSES, default=NOT_STARTED)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["crisis", "area", "item"], name="checklist_status_unique"),
        ]
        verbose_name = _("checklist status")
        verbose_name_plural = _("checklist statuses")

    def __str__(self) -> str:
        return f"{self.crisis_id} {self.area_id} {self.item}: {self.status}"


class OrgType(models.TextChoices):
    UN = "un", _("UN agency")
    INGO = "ingo", _("international NGO")
    NNGO = "nngo", _("national NGO")
    RED_CROSS = "red_cross", _("Red Cross / Red Crescent")
    GOVERNMENT = "government", _("government")
    COMMUNITY = "community", _("community-based organisation")
    PRIVATE = "private", _("private sector")
    ACADEMIC = "academic", _("academic")
    OTHER = "other", _("other")


class Sector(models.TextChoices):
    """The IASC humanitarian clusters."""

    PROTECTION = "protection", _("Protection")
    SHELTER = "shelter", _("Shelter")
    WASH = "wash", _("WASH")
    HEALTH = "health", _("Health")
    FOOD = "food_security", _("Food Security")
    EDUCATION = "education", _("Education")
    LOGISTICS = "logistics", _("Logistics")
    NUTRITION = "nutrition", _("Nutrition")
    EARLY_RECOVERY = "early_recovery", _("Early Recovery")
    CCCM = "cccm", _("CCCM")
    ETC = "etc", _("Emergency Telecommunications")


class Organisation(models.Model):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="organisations")
    name = models.CharField(_("name"), max_length=200)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    org_type = models.CharField(_("type"), max_length=12, choices=OrgType.choices, default=OrgType.OTHER)

    class Meta:
        ordering = ["city", "name"]
        constraints = [models.UniqueConstraint(fields=["city", "name"], name="organisation_unique_name_per_city")]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.acronym or self.name


REACHED_FIELDS = (
    "reached_f_children",
    "reached_m_children",
    "reached_f_adults",
    "reached_m_adults",
    "reached_f_elderly",
    "reached_m_elderly",
)


class Activity(models.Model):
    PLANNED, ONGOING, COMPLETED = "planned", "ongoing", "completed"
    STATUSES = [(PLANNED, _("planned")), (ONGOING, _("ongoing")), (COMPLETED, _("completed"))]

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="activities")
    ref = models.CharField(_("activity code"), max_length=64)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="activities")
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    description = models.CharField(_("activity"), max_length=500)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default=PLANNED)
    reached_f_children = models.PositiveIntegerField(_("girls reached"), default=0)
    reached_m_children = models.PositiveIntegerField(_("boys reached"), default=0)
    reached_f_adults = models.PositiveIntegerField(_("women reached"), default=0)
    reached_m_adults = models.PositiveIntegerField(_("men reached"), default=0)
    reached_f_elderly = models.PositiveIntegerField(_("older women reached"), default=0)
    reached_m_elderly = models.PositiveIntegerField(_("older men reached"), default=0)

    class Meta:
        ordering = ["crisis", "ref"]
        constraints = [models.UniqueConstraint(fields=["crisis", "ref"], name="activity_unique_ref_per_crisis")]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return f"{self.ref}: {self.description}"

    @property
    def reached(self) -> int:
        return sum(getattr(self, name) for name in REACHED_FIELDS)


class Scenario(models.Model):
    """A saved allocation: the inputs only; amounts are recomputed from the current data."""

    AFFECTED, ALL = "affected", "all"
    SCOPES = [(AFFECTED, _("the crisis's affected areas")), (ALL, _("all areas of the level"))]

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    crisis = models.ForeignKey(Crisis, on_delete=models.CASCADE, related_name="scenarios")
    name = models.CharField(_("name"), max_length=120)
    need = models.CharField(_("need basis"), max_length=100, default="index")
    scope = models.CharField(_("areas"), max_length=10, choices=SCOPES, default=AFFECTED)
    budget = models.DecimalField(_("budget"), max_digits=16, decimal_places=2)
    floor = models.DecimalField(_("floor per area"), max_digits=16, decimal_places=2, default=0)
    cap = models.DecimalField(_("cap per area"), max_digits=16, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["crisis", "created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["crisis", "name"], name="scenario_unique_name_per_crisis")]
        verbose_name = _("allocation scenario")
        verbose_name_plural = _("allocation scenarios")

    def __str__(self) -> str:
        return self.name
