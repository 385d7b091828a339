"""Admin classes that keep city staff inside their own city.

Every tenant-owned model's admin derives from :class:`CityScopedAdmin`: its list, its search, its
change form and its foreign-key choices are limited to the cities in which the user is at least an
analyst (city admins manage users too). Network admins and superusers see everything.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from safercities.accounts.models import Role
from safercities.accounts.permissions import cities_for, is_network_admin
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
