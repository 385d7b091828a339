"""Per-user API tokens: shown once, stored as a SHA-256 of their secret, scoped and revocable."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

SCOPES = ("read", "write", "admin")


class ApiToken(models.Model):
    """A bearer token ``scm_<prefix>_<secret>``.

    The prefix identifies the row (and is what a user quotes to revoke it); only ``sha256(secret)``
    is kept, so a copy of the database does not hand out working tokens. A token acts with its
    owner's role in each city, never more, and only within its scopes.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else ",".join(self.scopes)
        return f"{self.user} · {self.prefix} · {state}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
