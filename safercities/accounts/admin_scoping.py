"""Admin classes that keep city staff inside their own city.

Every tenant-owned model's admin derives from :class:`CityScopedAdmin`: its list, its search, its
change form and its foreign-key choices are limited to the cities in which the user is at least an
analyst (city admins manage users too). Network admins and superusers see everything.

Every add, change and delete made through these admins (inlines included) is written to the audit
trail with the values before and after (``safercities.audit``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from safercities.accounts.models import Role
from safercities.accounts.permissions import cities_for, is_network_admin
from safercities.audit.models import AuditEvent
from safercities.audit.trail import city_of, diff, record, snapshot
from safercities.places.models import City


class CityScopedAdmin(admin.ModelAdmin):
    """Limit rows to the user's cities through ``city_path`` (e.g. ``"area__city"``)."""

    city_path = "city"
    minimum_role: str = Role.ANALYST

    def _cities(self, request: HttpRequest) -> QuerySet[City]:
        return cities_for(request.user, self.minimum_role)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if is_network_admin(request.user):
            return queryset
        return queryset.filter(**{f"{self.city_path}__in": self._cities(request)})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if not is_network_admin(request.user):
            related = db_field.related_model
            if related is City:
                kwargs["queryset"] = self._cities(request)
            elif hasattr(related, "city"):
                kwargs["queryset"] = related._default_manager.filter(city__in=self._cities(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _allowed(self, request: HttpRequest, obj: Model | None) -> bool:
        if is_network_admin(request.user):
            return True
        if not self._cities(request).exists():
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    # Rights come from the role in a city, not from Django's per-model permission table, so that a
    # membership is the one place where access is granted (DESIGN: tenancy).
    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request, None)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._allowed(request, obj)

    # The audit trail (who, when, what, before/after) of every change made through the admin.
    def _record(self, request: HttpRequest, obj: Model, action: str, before: Any, after: Any) -> None:
        city = city_of(obj, self.city_path)
        record(action=action, request=request, obj=obj, city=city, before=before, after=after)

    def _stored(self, obj: Model) -> dict[str, Any] | None:
        if obj.pk is None:
            return None
        current = type(obj)._default_manager.filter(pk=obj.pk).first()
        return snapshot(current) if current is not None else None

    def _check_tenancy(self, request: HttpRequest, obj: Model) -> None:
        """Refuse to write a row outside the user's cities. Choice lists are limited already, but a
        nullable city (a membership without a city is a network admin's) must not be left blank."""
        if is_network_admin(request.user):
            return
        city = city_of(obj, self.city_path)
        if city is None or not self._cities(request).filter(pk=city.pk).exists():
            raise PermissionDenied("this record must belong to one of your cities")

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        self._check_tenancy(request, obj)
        with transaction.atomic():
            before = self._stored(obj) if change else None
            super().save_model(request, obj, form, change)
            if before is None:
                self._record(request, obj, AuditEvent.Action.CREATE, None, snapshot(obj))
            else:
                self._record(request, obj, AuditEvent.Action.UPDATE, *diff(before, snapshot(obj)))

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        with transaction.atomic():
            self._record(request, obj, AuditEvent.Action.DELETE, snapshot(obj), None)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self._record(request, obj, AuditEvent.Action.DELETE, snapshot(obj), None)
            super().delete_queryset(request, queryset)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        with transaction.atomic():
            before = {
                sub.instance.pk: self._stored(sub.instance)
                for sub in formset.forms
                if sub.instance.pk is not None and sub.has_changed()
            }
            for sub in getattr(formset, "deleted_forms", []):
                if sub.instance.pk is not None:
                    before[sub.instance.pk] = snapshot(sub.instance)
            for sub in formset.forms:
                if sub.has_changed() and sub not in getattr(formset, "deleted_forms", []):
                    self._check_tenancy(request, sub.instance)
            super().save_formset(request, form, formset, change)
            for obj in formset.new_objects:
                self._record(request, obj, AuditEvent.Action.CREATE, None, snapshot(obj))
            for obj, _fields in formset.changed_objects:
                self._record(request, obj, AuditEvent.Action.UPDATE, *diff(before.get(obj.pk) or {}, snapshot(obj)))
            for obj in formset.deleted_objects:
                self._record(request, obj, AuditEvent.Action.DELETE, before.get(obj.pk) or snapshot(obj), None)
