"""The audit trail: who changed what, when, with the values before and after. Append-only."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safercities.places.models import City


class AppendOnlyError(Exception):
    """Raised when application code tries to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def for_city(self, city: City) -> AuditEventQuerySet:
        return self.filter(city=city)

    def delete(self) -> Any:
        raise AppendOnlyError("audit events cannot be deleted")

    def update(self, **kwargs: Any) -> int:
        # The one update allowed: the database detaching events from a deleted city or user
        # (on_delete=SET_NULL), which keeps the event itself and its copied names.
        if set(kwargs) <= {"city", "user"} and all(value is None for value in kwargs.values()):
            return super().update(**kwargs)
        raise AppendOnlyError("audit events cannot be changed")


class AuditEvent(models.Model):
    """One change made by a member of staff. No IP address is kept (docs/privacy.md)."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")

    city = models.ForeignKey(City, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    # Copied so that the record still says who, after the account is gone.
    username = models.CharField(_("user"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=40)
    model_label = models.CharField(_("record type"), max_length=100, blank=True)
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    object_repr = models.CharField(_("record"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["city", "created_at"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.model_label} {self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("audit events cannot be deleted")
