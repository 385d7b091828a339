"""Working groups, their local appraisals, and the recommendations → actions accountability chain."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from safercities.indicators.models import Indicator
from safercities.places.models import Area, City

SEXES = [("female", _("female")), ("male", _("male")), ("other", _("other")), ("", _("not stated"))]
AGE_GROUPS = [("15-24", _("15–24 (youth)")), ("25-59", _("25–59")), ("60+", _("60 and over")), ("", _("not stated"))]
DISABILITY = [("yes", _("with a disability")), ("no", _("without a disability")), ("", _("not stated"))]

# The nine parameters of the women's safety audit (METRAC 1989; Jagori 2010; UN-Habitat/UN Women
# Safe Cities guidance). Each is rated per location on the standard three-point scale.
PARAMETERS = [
    ("lighting", _("Lighting")),
    ("openness", _("Openness")),
    ("visibility", _("Visibility")),
    ("people", _("People")),
    ("security", _("Security presence")),
    ("walk_path", _("Walk path")),
    ("transport", _("Public transport")),
    ("gender_usage", _("Gender usage")),
    ("feeling", _("Feeling")),
]
PARAMETER_CODES = [code for code, _label in PARAMETERS]
POOR, FAIR, GOOD = 1, 2, 3
RATINGS = [(GOOD, _("good")), (FAIR, _("fair")), (POOR, _("poor"))]


class WorkingGroup(models.Model):
    """A group of residents and officials that appraises safety in its areas and follows up."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="working_groups")
    name = models.CharField(_("name"), max_length=200)
    mandate = models.TextField(_("mandate"), blank=True)
    areas = models.ManyToManyField(Area, related_name="working_groups", blank=True, verbose_name=_("focus areas"))
    is_public = models.BooleanField(_("public page"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["city", "name"]
        constraints = [models.UniqueConstraint(fields=["city", "name"], name="working_group_unique_name")]
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    """A member: a user of the platform, or a named participant without an account."""

    CONVENER, MEMBER, LIAISON = "convener", "member", "liaison"
    ROLES = [(CONVENER, _("convener")), (MEMBER, _("member")), (LIAISON, _("official liaison"))]

    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="group_memberships"
    )
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=10, choices=ROLES, default=MEMBER)
    sex = models.CharField(_("sex"), max_length=10, choices=SEXES, blank=True, default="")
    age_group = models.CharField(_("age group"), max_length=10, choices=AGE_GROUPS, blank=True, default="")
    disability = models.CharField(_("disability"), max_length=5, choices=DISABILITY, blank=True, default="")
    joined_on = models.DateField(_("joined on"), null=True, blank=True)

    class Meta:
        ordering = ["group", "role", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"], condition=models.Q(user__isnull=False), name="group_member_user_once"
            )
        ]
        verbose_name = _("group member")
        verbose_name_plural = _("group members")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class Meeting(models.Model):
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="meetings")
    date = models.DateField(_("date"))
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)

    class Meta:
        ordering = ["group", "-date"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.group} {self.date:%Y-%m-%d}"


class Appraisal(models.Model):
    """One local appraisal: a safety audit walk, a community safety mapping or a focus group."""

    AUDIT_WALK, SAFETY_MAPPING, FOCUS_GROUP = "audit_walk", "safety_mapping", "focus_group"
    KINDS = [
        (AUDIT_WALK, _("women's safety audit walk")),
        (SAFETY_MAPPING, _("community safety mapping")),
        (FOCUS_GROUP, _("focus group")),
    ]
    DRAFT, FINAL = "draft", "final"
    STATUSES = [(DRAFT, _("draft")), (FINAL, _("final"))]
    PARTICIPANT_FIELDS = (
        "participants_female",
        "participants_male",
        "participants_other_sex",
        "participants_youth",
        "participants_adult",
        "participants_older",
        "participants_disability",
    )

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="appraisals")
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="appraisals")
    kind = models.CharField(_("kind"), max_length=20, choices=KINDS)
    title = models.CharField(_("title"), max_length=200)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="appraisals", verbose_name=_("area"))
    date = models.DateField(_("date"))
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default=DRAFT)
    participants_female = models.PositiveIntegerField(_("women"), default=0)
    participants_male = models.PositiveIntegerField(_("men"), default=0)
    participants_other_sex = models.PositiveIntegerField(_("other sex or not stated"), default=0)
    participants_youth = models.PositiveIntegerField(_("aged 15–24"), default=0)
    participants_adult = models.PositiveIntegerField(_("aged 25–59"), default=0)
    participants_older = models.PositiveIntegerField(_("aged 60 and over"), default=0)
    participants_disability = models.PositiveIntegerField(_("with a disability"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finalised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["city", "-date", "-pk"]
        indexes = [models.Index(fields=["city", "status", "kind"])]
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")

    def __str__(self) -> str:
        return self.title

    @property
    def is_final(self) -> bool:
        return self.status == self.FINAL

    @property
    def participants(self) -> int:
        return self.participants_female + self.participants_male + self.participants_other_sex


class AuditLocation(models.Model):
    """One stop on an audit walk's route, rated on the nine parameters (blank: not assessed)."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="locations")
    order = models.PositiveSmallIntegerField(_("order"))
    description = models.CharField(_("description"), max_length=300)
    lat = models.FloatField(
        _("latitude"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    lon = models.FloatField(
        _("longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    lighting = models.PositiveSmallIntegerField(_("Lighting"), choices=RATINGS, null=True, blank=True)
    openness = models.PositiveSmallIntegerField(_("Openness"), choices=RATINGS, null=True, blank=True)
    visibility = models.PositiveSmallIntegerField(_("Visibility"), choices=RATINGS, null=True, blank=True)
    people = models.PositiveSmallIntegerField(_("People"), choices=RATINGS, null=True, blank=True)
    security = models.PositiveSmallIntegerField(_("Security presence"), choices=RATINGS, null=True, blank=True)
    walk_path = models.PositiveSmallIntegerField(_("Walk path"), choices=RATINGS, null=True, blank=True)
    transport = models.PositiveSmallIntegerField(_("Public transport"), choices=RATINGS, null=True, blank=True)
    gender_usage = models.PositiveSmallIntegerField(_("Gender usage"), choices=RATINGS, null=True, blank=True)
    feeling = models.PositiveSmallIntegerField(_("Feeling"), choices=RATINGS, null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["appraisal", "order"]
        constraints = [models.UniqueConstraint(fields=["appraisal", "order"], name="audit_location_unique_order")]
        verbose_name = _("audit location")
        verbose_name_plural = _("audit locations")

    def __str__(self) -> str:
        return f"{self.order}. {self.description}"

    def ratings(self) -> list[tuple[str, int | None]]:
        return [(code, getattr(self, code)) for code in PARAMETER_CODES]


class MappingPoint(models.Model):
    """A point of concern placed on the map during a community safety mapping."""

    CATEGORIES = [
        ("dark_spot", _("dark spot")),
        ("harassment", _("harassment")),
        ("isolated", _("isolated place")),
        ("drugs_alcohol", _("drug or alcohol use")),
        ("traffic", _("traffic danger")),
        ("abandoned", _("abandoned building or lot")),
        ("other", _("other concern")),
    ]
    SENSITIVE = {"harassment"}

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="points")
    category = models.CharField(_("category"), max_length=20, choices=CATEGORIES)
    lat = models.FloatField(_("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    lon = models.FloatField(_("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["appraisal", "pk"]
        verbose_name = _("mapping point")
        verbose_name_plural = _("mapping points")

    def __str__(self) -> str:
        return f"{self.get_category_display()} ({self.lat:.4f}, {self.lon:.4f})"


class Finding(models.Model):
    """A structured finding (of a focus group, or any appraisal): a theme and what was found."""

    THEMES = [
        ("safety", _("safety and fear of crime")),
        ("violence_women", _("violence against women and girls")),
        ("youth", _("youth")),
        ("services", _("public services")),
        ("infrastructure", _("infrastructure and public space")),
        ("livelihoods", _("livelihoods")),
        ("trust", _("trust in institutions")),
        ("other", _("other")),
    ]

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="findings")
    theme = models.CharField(_("theme"), max_length=20, choices=THEMES)
    text = models.TextField(_("finding"))

    class Meta:
        ordering = ["appraisal", "pk"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return f"{self.get_theme_display()}: {self.text[:60]}"


def _photo_name() -> str:
    return secrets.token_hex(16) + ".jpg"


class Photo(models.Model):
    """A photo of an appraisal, re-encoded without its metadata; served only through a rights check."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="photos")
    stored_name = models.CharField(max_length=64, default=_photo_name, unique=True)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["appraisal", "pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.caption or self.stored_name


class Recommendation(models.Model):
    """What a group recommends, from an appraisal or a meeting."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="recommendations")
    appraisal = models.ForeignKey(
        Appraisal, on_delete=models.SET_NULL, null=True, blank=True, related_name="recommendations"
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="recommendations"
    )
    text = models.TextField(_("recommendation"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["city", "-created_at"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")

    def __str__(self) -> str:
        return self.text[:80]


class Action(models.Model):
    """What the city commits to do, by whom, by when, and which indicators it should move."""

    PLANNED, IN_PROGRESS, DONE, DROPPED = "planned", "in_progress", "done", "dropped"
    STATUSES = [(PLANNED, _("planned")), (IN_PROGRESS, _("in progress")), (DONE, _("done")), (DROPPED, _("dropped"))]
    OPEN = (PLANNED, IN_PROGRESS)

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="community_actions")
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner_department = models.CharField(_("owner department"), max_length=200)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, null=True, blank=True, related_name="community_actions", verbose_name=_("area")
    )
    indicators = models.ManyToManyField(
        Indicator, blank=True, related_name="community_actions", verbose_name=_("indicators it should move")
    )
    budget = models.DecimalField(
        _("budget"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    start_date = models.DateField(_("start date"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=12, choices=STATUSES, default=PLANNED)
    is_public = models.BooleanField(_("public"), default=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["city", "due_date", "pk"]
        indexes = [models.Index(fields=["city", "status", "due_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_date__gte=models.F("start_date")), name="action_due_after_start"
            )
        ]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today) -> bool:  # noqa: ANN001 - a date
        return self.status in self.OPEN and self.due_date < today


class ActionUpdate(models.Model):
    """A public progress update on an action (followers are told of each)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    date = models.DateField(_("date"))
    text = models.TextField(_("update"))
    status = models.CharField(_("status"), max_length=12, choices=Action.STATUSES, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["action", "-date", "-pk"]
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")

    def __str__(self) -> str:
        return f"{self.action} {self.date:%Y-%m-%d}"


def _token() -> str:
    return secrets.token_urlsafe(24)


class Follower(models.Model):
    """A resident who follows an action: a signed-in user, or an e-mail address confirmed by a link."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    confirmed = models.BooleanField(default=False)
    token = models.CharField(max_length=40, default=_token, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["action", "user"], condition=models.Q(user__isnull=False), name="follower_user_once"
            ),
            models.UniqueConstraint(
                fields=["action", "email"], condition=~models.Q(email=""), name="follower_email_once"
            ),
        ]
        verbose_name = _("follower")
        verbose_name_plural = _("followers")

    def __str__(self) -> str:
        return f"{self.action_id}: {self.user or self.email}"

    @property
    def address(self) -> str:
        return self.user.email if self.user_id else self.email
