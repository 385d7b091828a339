"""A city's lessons learned (practices) and the moderated discussion on each.

A practice's text is kept per language (``title_en``/``title_es`` …): ``language`` names the
language the author wrote in; the other language's fields hold an optional translation. Pages show
the reader's language when it is there, else the original.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from safercities.indicators.models import Dimension
from safercities.places.models import City

LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LANGUAGE_CODES = [code for code, _label in LANGUAGES]
# The text of a practice, one field per language each.
TEXT_FIELDS = ("title", "context", "problem", "intervention", "results", "evidence_note")


class Practice(models.Model):
    PREVENT, PREPARE, RESPOND, RECOVER = "prevent", "prepare", "respond", "recover"
    PHASES = [(PREVENT, _("prevent")), (PREPARE, _("prepare")), (RESPOND, _("respond")), (RECOVER, _("recover"))]
    ANECDOTAL, MONITORED, EVALUATED = "anecdotal", "monitored", "evaluated"
    EVIDENCE_LEVELS = [
        (ANECDOTAL, _("anecdotal (observed, not measured)")),
        (MONITORED, _("monitored (indicators tracked before and after)")),
        (EVALUATED, _("evaluated (a formal evaluation with a comparison)")),
    ]
    DRAFT, PUBLISHED, WITHDRAWN = "draft", "published", "withdrawn"
    STATUSES = [(DRAFT, _("draft")), (PUBLISHED, _("published")), (WITHDRAWN, _("withdrawn"))]

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="practices")
    language = models.CharField(_("language of the text"), max_length=2, choices=LANGUAGES, default="en")
    title_en = models.CharField(_("title"), max_length=200, blank=True)
    title_es = models.CharField(_("title"), max_length=200, blank=True)
    context_en = models.TextField(_("context"), blank=True, max_length=8000)
    context_es = models.TextField(_("context"), blank=True, max_length=8000)
    problem_en = models.TextField(_("problem"), blank=True, max_length=8000)
    problem_es = models.TextField(_("problem"), blank=True, max_length=8000)
    intervention_en = models.TextField(_("intervention"), blank=True, max_length=8000)
    intervention_es = models.TextField(_("intervention"), blank=True, max_length=8000)
    results_en = models.TextField(_("results"), blank=True, max_length=8000)
    results_es = models.TextField(_("results"), blank=True, max_length=8000)
    evidence_note_en = models.TextField(_("evidence (how the results are known)"), blank=True, max_length=8000)
    evidence_note_es = models.TextField(_("evidence (how the results are known)"), blank=True, max_length=8000)
    evidence_level = models.CharField(_("level of evidence"), max_length=10, choices=EVIDENCE_LEVELS, default=ANECDOTAL)
    cost_amount = models.DecimalField(
        _("cost (amount)"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    cost_currency = models.CharField(
        _("currency (ISO 4217)"),
        max_length=3,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Three capital letters, e.g. MXN, USD."))],
    )
    cost_text = models.CharField(_("cost (in words)"), max_length=300, blank=True)
    contact = models.CharField(_("contact (public)"), max_length=300, blank=True)
    dimensions = models.ManyToManyField(Dimension, verbose_name=_("dimensions"), blank=True, related_name="practices")
    phase = models.CharField(_("crisis phase"), max_length=8, choices=PHASES, default=PREVENT)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default=DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # PostgreSQL only: English and Spanish lexemes of every text field, refreshed by search.reindex()
    # on every save. On SQLite the column stays empty and the FTS5 table practices_fts is used.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        indexes = [models.Index(fields=["status", "-published_at"]), models.Index(fields=["city", "status"])]
        verbose_name = _("practice")
        verbose_name_plural = _("practices")

    def __str__(self) -> str:
        return self.text("title") or f"#{self.pk}"

    @property
    def translation_language(self) -> str:
        return "es" if self.language == "en" else "en"

    @property
    def has_translation(self) -> bool:
        return bool(getattr(self, f"title_{self.translation_language}", ""))

    def shown_language(self, language: str | None = None) -> str:
        """The language the page shows: the reader's when the practice has it, else the original."""
        wanted = (language or get_language() or "en").split("-")[0]
        if wanted in LANGUAGE_CODES and getattr(self, f"title_{wanted}"):
            return wanted
        return self.language

    def text(self, field: str, language: str | None = None) -> str:
        return getattr(self, f"{field}_{self.shown_language(language)}", "")

    @property
    def display(self) -> dict[str, str]:
        """The text fields in the language the page shows (for templates), with ``lang`` itself."""
        code = self.shown_language()
        return {"lang": code, **{name: getattr(self, f"{name}_{code}", "") for name in TEXT_FIELDS}}

    @property
    def is_published(self) -> bool:
        return self.status == self.PUBLISHED


class Comment(models.Model):
    PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
    STATUSES = [(PENDING, _("awaiting moderation")), (APPROVED, _("approved")), (REJECTED, _("rejected"))]

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="comments")
    # The practice's city: its staff moderate, and tenancy rules find the row by city.
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="practice_comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    author_name = models.CharField(_("shown as"), max_length=150)
    text = models.TextField(_("comment"), max_length=4000)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default=PENDING)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["city", "status"])]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.author_name}: {self.text[:40]}"
