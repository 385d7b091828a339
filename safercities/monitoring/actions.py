"""Verbs on alerts: acknowledge, assign, resolve — each a compare-and-swap on the status."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from safercities.monitoring.models import Alert


class AlertStateError(ValueError):
    """The alert is not in a state that allows this step (e.g. resolving twice)."""


def acknowledge_alert(*, alert: Alert, user: Any) -> Alert:
    now = timezone.now()
    changed = Alert.objects.filter(pk=alert.pk, status=Alert.NEW).update(
        status=Alert.ACKNOWLEDGED, acknowledged_by=user, acknowledged_at=now, updated_at=now
    )
    if not changed:
        raise AlertStateError("only a new alert can be acknowledged")
    alert.refresh_from_db()
    return alert


def assign_alert(*, alert: Alert, assignee: Any) -> Alert:
    Alert.objects.filter(pk=alert.pk).update(assigned_to=assignee, updated_at=timezone.now())
    alert.refresh_from_db()
    return alert


def resolve_alert(*, alert: Alert, user: Any) -> Alert:
    now = timezone.now()
    changed = (
        Alert.objects.filter(pk=alert.pk)
        .exclude(status=Alert.RESOLVED)
        .update(
            status=Alert.RESOLVED,
            resolved_at=now,
            updated_at=now,
            acknowledged_by=alert.acknowledged_by or user,
            acknowledged_at=alert.acknowledged_at or now,
        )
    )
    if not changed:
        raise AlertStateError("the alert is resolved already")
    alert.refresh_from_db()
    return alert
